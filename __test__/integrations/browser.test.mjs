// The `npm start` demo (examples/cart-server.mjs) in a real browser: headless Chromium (Debian's
// `chromium`, driven by playwright-core) adds two items, signs in and signs out, and at each step
// the test checks what the page shows and which cookies the browser holds. Skipped, with a
// message, only where Chromium is missing and cannot be installed (see helpers/chromium.mjs).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCartServer } from '../../examples/cart-server.mjs';
import { findChromium, launchChromium } from '../helpers/chromium.mjs';

const chromium = findChromium();
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SECURE = process.env.NODE_ENV === 'production'; // the library's default for `secure`

describe('the demo in headless Chromium', { skip: chromium.skip ?? false, timeout: 60_000 }, () => {
  if (chromium.missing) {
    it('has Chromium to drive', () => assert.fail(chromium.missing));
    return;
  }

  let base;
  let server;
  let origin;
  let browser;
  let context;
  let page;
  /** What reached the server, in order: method, path and the Cookie header the browser sent. */
  const requests = [];

  before(async () => {
    base = mkdtempSync(path.join(tmpdir(), 'napi-session-browser-'));
    server = createCartServer({ driver: { name: 'fs', base } });
    // A second listener, after the demo's own: it only notes what the browser sent.
    server.on('request', (request) => {
      requests.push({ method: request.method, path: request.url, cookie: request.headers.cookie });
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    origin = `http://127.0.0.1:${server.address().port}`;
    browser = await launchChromium(chromium.executablePath);
    context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
  });

  after(async () => {
    // Each step is tried even when one before it failed; the browser goes first, so the
    // server's keep-alive connections are closed when it is.
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    }
    if (base) rmSync(base, { recursive: true, force: true });
  });

  // The steps build on one another: once one fails, those after it are skipped rather than failing
  // for the same reason.
  let broken = false;
  const step = (name, fn) =>
    it(name, async (t) => {
      if (broken) return t.skip('an earlier step failed');
      try {
        await fn(t);
      } catch (error) {
        broken = true;
        throw error;
      }
    });

  /** The cookies of `ctx`, checked to be exactly the session cookie as the library sets it; its value. */
  async function sessionCookie(ctx = context) {
    const cookies = await ctx.cookies();
    assert.deepEqual(cookies.map((cookie) => cookie.name), ['astro-session'], 'the browser holds the session cookie and no other');
    const [cookie] = cookies;
    assert.match(cookie.value, UUID_V4, 'the id is a v4 UUID');
    assert.equal(cookie.httpOnly, true, 'HttpOnly');
    assert.equal(cookie.sameSite, 'Lax', 'SameSite=Lax');
    assert.equal(cookie.path, '/', 'Path=/');
    assert.equal(cookie.domain, '127.0.0.1', 'a host-only cookie of the demo');
    assert.equal(cookie.secure, SECURE, 'Secure only in production');
    assert.equal(cookie.expires, -1, 'a browser-session cookie (no maxAge configured)');
    return cookie.value;
  }

  /** What the page shows, as a person reads it; and what its scripts can see of the cookies. */
  async function shown(p = page) {
    const view = await p.evaluate(() => {
      const text = (selector) => document.querySelector(selector)?.textContent.trim() ?? null;
      return {
        visits: text('#visits'),
        user: text('#user'),
        total: text('#total'),
        sessionID: text('#session-id'),
        cart: [...document.querySelectorAll('#cart li[data-sku]')].map((li) => [li.dataset.sku, li.textContent.trim()]),
        signInForm: document.querySelector('#signin') !== null,
        signOutButton: document.querySelector('#signout') !== null,
        documentCookie: document.cookie,
      };
    });
    // "Green tea × 2 (added 2026-…Z) Remove" → { tea: 'Green tea × 2' }, the added dates aside.
    const lines = view.cart.map(([sku, line]) => {
      const match = /^(.+ × \d+) \(added (\d{4}-\d\d-\d\dT[\d:.]+Z)\)/.exec(line);
      assert.ok(match, `a cart line reads "<name> × <qty> (added <date>)": ${line}`);
      return [sku, match[1], match[2]];
    });
    assert.doesNotMatch(view.documentCookie, /astro-session/, 'HttpOnly: scripts cannot read the session cookie');
    return {
      ...view,
      cart: Object.fromEntries(lines.map(([sku, line]) => [sku, line])),
      added: Object.fromEntries(lines.map(([sku, , added]) => [sku, added])),
    };
  }

  /** Clicks a form's button; resolves with the POST's response (a 303) once the page it redirects to has loaded. */
  async function submit(selector) {
    const posted = page.waitForResponse((response) => response.request().method() === 'POST');
    const loaded = page.waitForEvent('load');
    const seen = requests.length;
    await page.click(selector);
    const [response] = await Promise.all([posted, loaded]);
    assert.equal(response.status(), 303, `${selector}: the form post answers 303 See Other`);
    assert.equal(await response.headerValue('location'), '/');
    const sent = requests.slice(seen).filter((request) => request.path !== '/favicon.ico');
    assert.deepEqual(
      sent.map((request) => `${request.method} ${request.path}`),
      [`POST ${new URL(response.url()).pathname}`, 'GET /'],
      'the post, then the page it redirects to',
    );
    return { response, post: sent[0], landing: sent[1] };
  }

  let firstId;
  let signedInId;
  let addedAt;

  step('opens the cart: a new session, its cookie HttpOnly and SameSite=Lax', async (t) => {
    t.diagnostic(`Chromium ${browser.version()} (${chromium.executablePath})`);
    const response = await page.goto(`${origin}/`);
    assert.equal(response.status(), 200);
    assert.equal(requests[0].cookie, undefined, 'a fresh profile sends no cookie');

    firstId = await sessionCookie();
    const view = await shown();
    assert.equal(view.visits, 'Visits: 1');
    assert.equal(view.user, 'Not signed in');
    assert.deepEqual(view.cart, {});
    assert.equal(view.total, 'Total: 0.00');
    assert.equal(view.sessionID, firstId, 'the page and the cookie name the same session');
    assert.ok(view.signInForm && !view.signOutButton);
    assert.equal(view.documentCookie, '');
    assert.ok(existsSync(path.join(base, firstId)), 'the fs driver stored the session under its id');
  });

  step('adds two items (tea twice, a mug): the cart and total follow, the id stays', async () => {
    for (const button of ['#add-tea', '#add-tea', '#add-mug']) {
      const { post, landing } = await submit(button);
      assert.equal(post.cookie, `astro-session=${firstId}`, 'the browser sends its session cookie with the form');
      assert.equal(landing.cookie, `astro-session=${firstId}`);
    }
    assert.equal(await sessionCookie(), firstId, 'nothing asked for a new id');
    const view = await shown();
    assert.equal(view.visits, 'Visits: 4');
    assert.deepEqual(view.cart, { tea: 'Green tea × 2', mug: 'Mug × 1' });
    assert.equal(view.total, 'Total: 18.00');
    assert.equal(view.sessionID, firstId);
    assert.equal(view.user, 'Not signed in');
    addedAt = view.added;
  });

  step('signs in as Ada: a new id (regenerated), the cart kept', async () => {
    await page.fill('#name', 'Ada');
    const { response, post, landing } = await submit('#signin');
    assert.equal(post.cookie, `astro-session=${firstId}`);
    assert.match(
      (await response.headerValue('set-cookie')) ?? '(none)',
      /^astro-session=[0-9a-f-]{36}; HttpOnly; SameSite=Lax; Path=\//,
      'the sign-in sends a new session cookie',
    );

    signedInId = await sessionCookie();
    assert.notEqual(signedInId, firstId, 'signing in regenerates the session id');
    assert.equal(landing.cookie, `astro-session=${signedInId}`, 'the redirect already carries the new id');
    const view = await shown();
    assert.match(view.user, /^Signed in as Ada since \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    assert.ok(view.signOutButton && !view.signInForm);
    assert.deepEqual(view.cart, { tea: 'Green tea × 2', mug: 'Mug × 1' }, 'the cart survives the new id');
    assert.deepEqual(view.added, addedAt, 'with its dates (Map and Date values round-trip)');
    assert.equal(view.total, 'Total: 18.00');
    assert.equal(view.visits, 'Visits: 5', 'the visit counter too');
    assert.equal(view.sessionID, signedInId);
    assert.equal(readFileSync(path.join(base, firstId), 'utf8'), 'null', 'the old id is retired (a tombstone)');
  });

  step('another browser holding the id from before sign-in gets nothing of it, and leaves nothing in it', async () => {
    const other = await browser.newContext();
    try {
      await other.addCookies([{ name: 'astro-session', value: firstId, url: origin, httpOnly: true, sameSite: 'Lax' }]);
      const otherPage = await other.newPage();
      await otherPage.goto(`${origin}/`);
      const view = await shown(otherPage);
      assert.equal(view.user, 'Not signed in');
      assert.deepEqual(view.cart, {});
      assert.equal(view.visits, 'Visits: 1');
      // Its visit is not stored, and its cookie is left alone: napi-session cannot tell it from a
      // request of Ada's own browser that was in flight during the sign-in, whose cookie must not
      // be touched. Once the retired id's tombstone expires (a minute), it gets a fresh session.
      const ids = (await other.cookies()).filter((c) => c.name === 'astro-session').map((c) => c.value);
      assert.ok(!ids.includes(signedInId), `it never learns the new id (holds ${ids})`);
      assert.equal(readFileSync(path.join(base, firstId), 'utf8'), 'null', 'the retired id holds nothing');
    } finally {
      await other.close();
    }
    assert.equal(await sessionCookie(), signedInId, "Ada's browser is untouched");
  });

  step('signs out: the cookie is expired, and the page after it is a fresh session', async () => {
    const { response, post, landing } = await submit('#signout');
    assert.equal(post.cookie, `astro-session=${signedInId}`);
    assert.match((await response.headerValue('set-cookie')) ?? '(none)', /^astro-session=; .*Max-Age=0/, 'the sign-out expires the cookie');
    assert.equal(landing.cookie, undefined, 'the browser dropped the cookie: the next page is requested without it');

    // That page (visits are counted) starts a new session, with a new cookie.
    const freshId = await sessionCookie();
    assert.ok(freshId !== signedInId && freshId !== firstId, 'a new id, neither of the old ones');
    const view = await shown();
    assert.equal(view.user, 'Not signed in');
    assert.ok(view.signInForm && !view.signOutButton);
    assert.deepEqual(view.cart, {});
    assert.equal(view.total, 'Total: 0.00');
    assert.equal(view.visits, 'Visits: 1');
    assert.equal(view.sessionID, freshId);
    assert.equal(readFileSync(path.join(base, signedInId), 'utf8'), '', 'the signed-in session is a tombstone');
  });
});
