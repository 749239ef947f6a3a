// Multi-request flows through a real node:http server (the demo of `npm start`), with real
// cookie round trips: add items, sign in (regenerate), sign out (destroy).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCartServer } from '../../examples/cart-server.mjs';
import { CookieJar } from '../helpers/cookie-jar.mjs';

const base = mkdtempSync(path.join(tmpdir(), 'napi-session-http-'));
let server;
let origin;

before(async () => {
  server = createCartServer({ driver: { name: 'fs', base } });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  server.close();
  rmSync(base, { recursive: true, force: true });
});

function browser() {
  const jar = new CookieJar();
  const send = async (method, pathname, form) => {
    const response = await fetch(origin + pathname, {
      method,
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    jar.applyResponse(response);
    return { response, html: await response.text() };
  };
  return {
    jar,
    get: () => send('GET', '/'),
    post: (pathname, form = {}) => send('POST', pathname, form),
  };
}

const text = (html, id) => new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1];

describe('the demo over HTTP', () => {
  it('keeps a cart, signs in with a new id, signs out', async () => {
    const b = browser();
    let { html } = await b.get();
    assert.equal(text(html, 'visits'), 'Visits: 1');
    const firstId = b.jar.get('astro-session');
    assert.match(firstId, /^[0-9a-f-]{36}$/);

    const added = await b.post('/add', { sku: 'tea' });
    assert.equal(added.response.status, 303);
    await b.post('/add', { sku: 'tea' });
    await b.post('/add', { sku: 'mug' });
    ({ html } = await b.get());
    assert.equal(text(html, 'visits'), 'Visits: 2');
    assert.match(html, /Green tea × 2/);
    assert.match(html, /Mug × 1/);
    assert.equal(text(html, 'total'), 'Total: 18.00');
    assert.equal(b.jar.get('astro-session'), firstId, 'the id stays while nothing asks for a new one');

    await b.post('/signin', { name: 'Ada' });
    const signedInId = b.jar.get('astro-session');
    assert.notEqual(signedInId, firstId, 'signing in regenerates the id');
    ({ html } = await b.get());
    assert.match(text(html, 'user'), /^Signed in as Ada since \d{4}-/);
    assert.match(html, /Green tea × 2/, 'the cart survives the new id');
    assert.equal(readFileSync(path.join(base, firstId), 'utf8'), 'null', 'the old session is retired (a tombstone)');
    assert.match(readFileSync(path.join(base, signedInId), 'utf8'), /"cart"/);

    await b.post('/remove', { sku: 'tea' });
    ({ html } = await b.get());
    assert.doesNotMatch(html, /Green tea ×/);

    const out = await b.post('/signout');
    assert.match(out.response.headers.get('set-cookie'), /astro-session=; .*Max-Age=0/);
    assert.equal(b.jar.size, 0);
    ({ html } = await b.get());
    assert.equal(text(html, 'user'), 'Not signed in');
    assert.equal(text(html, 'visits'), 'Visits: 1');
    assert.doesNotMatch(html, /Mug ×/);
  });

  it('keeps two browsers apart', async () => {
    const [a, b] = [browser(), browser()];
    await a.post('/add', { sku: 'book' });
    await b.post('/add', { sku: 'mug' });
    const [{ html: htmlA }, { html: htmlB }] = await Promise.all([a.get(), b.get()]);
    assert.match(htmlA, /Rust for Node developers × 1/);
    assert.doesNotMatch(htmlA, /Mug ×/);
    assert.match(htmlB, /Mug × 1/);
    assert.doesNotMatch(htmlB, /Rust for Node developers ×/);
  });
});
