// napi-session/astro in a real Astro site: the fixture project (__test__/fixtures/astro-site:
// @astrojs/node standalone, output 'server', session.driver = { entrypoint: 'napi-session/astro' })
// is built with `astro build` and its built server is driven over HTTP like a browser. A page and
// endpoints read and write Astro.session; the data must land through napi-session's Rust driver
// in a form napi-session's own API reads (and writes back), and destroy() must remove it.
//
// Astro 7 needs Node >= 22.12; the build and the server run on the node22 devDependency (see
// helpers/node22.mjs) while this file runs on the machine's Node.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as devalue from 'devalue';
import { createSessions, parse } from '../../index.mjs';
import { build, copySite, dev, installPackedCopy, linkPackage, restorePackage, root, serve } from '../helpers/astro-site.mjs';
import { CookieJar } from '../helpers/cookie-jar.mjs';
import { node22 } from '../helpers/node22.mjs';
import { RedisServer } from '../helpers/redis-server.mjs';

const skip = node22.reason ?? false;
const COOKIE = 'astro-session'; // Astro's default session cookie name
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// This platform's binary, and the package it comes in when installed (lib/platform.js).
const PLATFORM = createRequire(import.meta.url)('../../lib/platform.js').currentPlatform().id;
const ADDON = `napi-session.${PLATFORM}.node`;

after(restorePackage);

/** A browser: one cookie jar, and the fixture's pages read back into values. */
class Browser {
  jar = new CookieJar();

  constructor(url) {
    this.url = url;
  }

  async request(pathname, { json, method = json === undefined ? 'GET' : 'POST' } = {}) {
    const headers = {};
    if (this.jar.size) headers.cookie = this.jar.header();
    if (json !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers.origin = this.url; // as a browser sends it; Astro's checkOrigin wants it
    const response = await fetch(this.url + pathname, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      redirect: 'manual',
    });
    this.jar.applyResponse(response);
    return response;
  }

  /** GET / and what it shows. */
  async home() {
    const response = await this.request('/');
    const html = await response.text();
    assert.equal(response.status, 200, html);
    // (astro dev adds data-astro-source-* attributes)
    const output = (id) => html.match(new RegExp(`<output id="${id}"[^>]*>([^<]*)</output>`))?.[1];
    return {
      response,
      visits: Number(output('visits')),
      sessionID: output('session-id'),
      cartIsMap: output('cart-is-map') === 'true',
      cart: Object.fromEntries([...html.matchAll(/<li data-sku="([^"]*)"[^>]*>(\d+)<\/li>/g)].map(([, sku, qty]) => [sku, Number(qty)])),
      updated: output('updated'),
    };
  }

  async addToCart(sku, qty) {
    const response = await this.request('/api/cart', { json: { sku, qty } });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    return body;
  }
}

/** Every file of the build, with its text. */
function builtFiles(dist) {
  return readdirSync(dist, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      return { file: path.relative(dist, file), text: readFileSync(file, 'latin1') };
    });
}

function assertNotBundled(dist) {
  const files = builtFiles(dist);
  assert.deepEqual(files.filter(({ file }) => file.endsWith('.node')).map(({ file }) => file), [], 'no .node file in the build');
  const inlined = files.filter(({ text }) => text.includes(ADDON) || text.includes('NativeStore')).map(({ file }) => file);
  assert.deepEqual(inlined, [], 'napi-session\'s loader and JS layer are not bundled');
  // Either the entry point stays an import, or its few lines are inlined and load the package
  // with require at run time (astro.mjs); both reach the installed napi-session.
  const importers = files.filter(({ text }) => /(from\s*|\()["']napi-session\/astro["']/.test(text));
  assert.ok(importers.length > 0, 'the server loads napi-session/astro at run time');
}

/** The shared objects a process has mapped (Linux): which copy of the addon it loaded. */
function loadedAddons(pid) {
  if (!existsSync(`/proc/${pid}/maps`)) return null;
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  return [...new Set(maps.split('\n').map((line) => line.split(/\s+/).slice(5).join(' ')).filter((file) => file.endsWith(ADDON)))];
}

/**
 * The site's whole flow over one store. `open(dir)` sets the store up (before the build) and
 * returns { env (for the build), where (a label), sessions (napi-session on the same store),
 * ids() (the stored session ids), text(id) (a stored session), check?(id), close?() }.
 */
function siteSuite(name, open) {
  describe(`an Astro 7 site with session.driver napi-session/astro (${name})`, { skip, timeout: 150_000 }, () => {
    let dir;
    let site;
    let store;
    let server;
    let browser;
    let id;

    before(async () => {
      linkPackage();
      ({ dir, site } = copySite());
      store = await open(dir);
      const { ms } = await build(site, store.env);
      console.log(`astro build (${name}): ${ms} ms on Node ${node22.version}`);
      server = await serve(site);
      browser = new Browser(server.url);
    });

    after(async () => {
      await server?.stop();
      await store?.close?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('builds with napi-session and its addon left out of the bundle', () => {
      assertNotBundled(path.join(site, 'dist'));
    });

    it('gives a new visitor a session cookie, and Astro.session counts the visits', async () => {
      const first = await browser.home();
      id = browser.jar.get(COOKIE);
      assert.match(id ?? '', UUID, `Set-Cookie: ${first.response.headers.getSetCookie()}`);
      assert.match(first.response.headers.getSetCookie().join('\n'), /astro-session=[^;]+;.*HttpOnly/i);
      assert.equal(first.sessionID, id);
      assert.equal(first.visits, 1);
      assert.equal(first.cartIsMap, false);
      for (const visits of [2, 3]) {
        const page = await browser.home();
        assert.equal(page.visits, visits);
        assert.equal(page.sessionID, id);
      }
      assert.equal(browser.jar.get(COOKIE), id, 'the session keeps its id');
    });

    it('loads the addon from this checkout, in the server process', () => {
      const loaded = loadedAddons(server.pid);
      if (loaded === null) return;
      assert.deepEqual(loaded, [realpathSync(path.join(root, ADDON))]);
    });

    it('keeps a Map and a Date written by the cart endpoint, and the page reads them', async () => {
      await browser.addToCart('apple', 2);
      await browser.addToCart('pear', 1);
      const body = await browser.addToCart('apple', 1);
      assert.deepEqual(body.cart, { apple: 3, pear: 1 });
      assert.equal(body.cartIsMap, true);
      assert.equal(body.sessionID, id);
      const page = await browser.home();
      assert.equal(page.visits, 4);
      assert.equal(page.cartIsMap, true);
      assert.deepEqual(page.cart, { apple: 3, pear: 1 });
      assert.equal(page.updated, body.updated);
      const api = await (await browser.request('/api/cart')).json();
      assert.deepEqual(api, { ...body, sessionID: id });
    });

    it('stores the session through napi-session, in devalue text', async () => {
      assert.deepEqual(await store.ids(), [id], `one session at ${store.where}`);
      const text = await store.text(id);
      const data = devalue.parse(text);
      assert.ok(data instanceof Map);
      assert.deepEqual([...data.keys()].sort(), ['cart', 'updated', 'visits']);
      assert.deepEqual(data.get('visits'), { data: 4, expires: undefined });
      assert.deepEqual(data.get('cart').data, new Map([['apple', 3], ['pear', 1]]));
      assert.ok(data.get('updated').data instanceof Date);
      assert.deepEqual(parse(text), data, 'napi-session\'s parse reads it as devalue does');
      await store.check?.(id);
    });

    it('is the same session for napi-session\'s own API, both ways', async () => {
      const { sessions } = store;
      const session = sessions.fromRequest(browser.jar.header());
      assert.equal(session.sessionID, undefined, 'the cookie is only a claim until the session is read');
      assert.equal(await session.get('visits'), 4);
      assert.equal(session.sessionID, id);
      assert.deepEqual(await session.get('cart'), new Map([['apple', 3], ['pear', 1]]));
      const page = await browser.home(); // visits 5
      assert.equal((await sessions.fromRequest(browser.jar.header()).get('updated')).toISOString(), page.updated);

      const writer = sessions.fromRequest(browser.jar.header());
      writer.set('visits', 41);
      writer.set('cart', new Map([['plum', 7]]));
      await writer.commit();
      const read = await browser.home();
      assert.equal(read.visits, 42);
      assert.deepEqual(read.cart, { plum: 7 });
      assert.equal(read.sessionID, id);
    });

    it('destroy() removes the stored session and expires the cookie', async () => {
      const response = await browser.request('/api/logout', { method: 'POST' });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { destroyed: id, visits: 42 });
      assert.match(response.headers.getSetCookie().join('\n'), /astro-session=[^;]*;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/i);
      assert.equal(browser.jar.get(COOKIE), undefined);
      assert.deepEqual(await store.ids(), []);
      assert.equal(await store.sessions.fromRequest(`${COOKIE}=${id}`).get('visits'), undefined);

      const fresh = await browser.home();
      assert.equal(fresh.visits, 1);
      assert.match(fresh.sessionID, UUID);
      assert.notEqual(fresh.sessionID, id);
      assert.deepEqual(await store.ids(), [fresh.sessionID]);
    });

    it('the server said nothing about errors', () => {
      assert.doesNotMatch(server.output(), /error|warn/i, server.output());
    });
  });
}

// fs: one file per session, <base>/<id> (napi-session keeps its lock files in <base>/.locks).
siteSuite('fs', (dir) => {
  const base = path.join(dir, 'sessions');
  mkdirSync(base);
  return {
    env: { NAPI_SESSION_TEST_DRIVER: 'fs', NAPI_SESSION_TEST_BASE: base },
    where: `${base}/<id>`,
    sessions: createSessions({ driver: { name: 'fs', base }, cookie: COOKIE }),
    ids: () => readdirSync(base).filter((file) => !file.startsWith('.')),
    text: (id) => readFileSync(path.join(base, id), 'utf8'),
  };
});

// redis: a private redis-server on a free port (never the shared one on 6379); the session is the
// key astro-test:<id>, with an expiry (napi-session/astro's default ttl: 24 hours).
siteSuite('redis', async () => {
  const redis = await RedisServer.start();
  const prefix = 'astro-test:';
  const keys = () => redis.cli('--scan', '--pattern', '*').split('\n').filter(Boolean).sort();
  return {
    env: { NAPI_SESSION_TEST_DRIVER: 'redis', NAPI_SESSION_TEST_REDIS: redis.url },
    where: `${redis.url}, key ${prefix}<id>`,
    sessions: createSessions({ driver: { name: 'redis', url: redis.url, base: 'astro-test' }, cookie: COOKIE }),
    ids() {
      const all = keys();
      assert.deepEqual(all.filter((key) => !key.startsWith(prefix)), [], 'every key is under the base');
      return all.map((key) => key.slice(prefix.length));
    },
    text: (id) => redis.cli('GET', prefix + id),
    check(id) {
      const ttl = Number(redis.cli('TTL', prefix + id));
      assert.ok(ttl > 86_400 - 60 && ttl <= 86_400, `the key expires in about 24 hours (TTL ${ttl})`);
    },
    close: () => redis.kill(),
  };
});

// As a user installs it (`npm pack` unpacked into node_modules, not a symlink), the build must
// leave napi-session external by itself. Astro bundles a dependency whose package.json looks like
// an Astro package (keyword "astro") unless it says `"astro": { "external": true }`, as ours does:
// bundling would fail on the .node file.
describe('the same site with napi-session as installed from its tarball, and no Vite setting', { skip, timeout: 120_000 }, () => {
  let dir;
  let server;

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    linkPackage();
  });

  it('builds with napi-session left external, and serves sessions from the installed copy', async (t) => {
    installPackedCopy();
    let site;
    ({ dir, site } = copySite());
    const base = path.join(dir, 'sessions');
    mkdirSync(base);
    const { ms } = await build(site, { NAPI_SESSION_TEST_DRIVER: 'fs', NAPI_SESSION_TEST_BASE: base });
    t.diagnostic(`astro build (installed copy, no Vite setting): ${ms} ms`);
    assertNotBundled(path.join(site, 'dist'));
    server = await serve(site);
    const browser = new Browser(server.url);
    await browser.home();
    const page = await browser.home();
    assert.equal(page.visits, 2);
    assert.deepEqual(readdirSync(base).filter((name) => !name.startsWith('.')), [page.sessionID]);
    const loaded = loadedAddons(server.pid);
    // The installed copy's binary comes from its platform package, as npm installs it.
    if (loaded) assert.deepEqual(loaded, [realpathSync(path.join(root, 'node_modules', `napi-session-${PLATFORM}`, ADDON))]);
  });
});

// `astro dev`, where users start: Vite's dev module runner evaluates the driver entrypoint itself
// (Astro imports it by its resolved path, so no Vite setting makes it external), and it cannot
// run CommonJS: astro.mjs must hand over to Node's own loader (createRequire) for lib/astro.js.
describe('the same site under astro dev (fs)', { skip, timeout: 120_000 }, () => {
  let dir;
  let server;

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves sessions through napi-session/astro', async () => {
    linkPackage();
    let site;
    ({ dir, site } = copySite());
    const base = path.join(dir, 'sessions');
    mkdirSync(base);
    server = await dev(site, { NAPI_SESSION_TEST_DRIVER: 'fs', NAPI_SESSION_TEST_BASE: base });
    const browser = new Browser(server.url);
    await browser.home();
    await browser.addToCart('fig', 2);
    const page = await browser.home();
    assert.equal(page.visits, 2);
    assert.deepEqual(page.cart, { fig: 2 });
    assert.deepEqual(readdirSync(base).filter((name) => !name.startsWith('.')), [page.sessionID]);
    const sessions = createSessions({ driver: { name: 'fs', base }, cookie: COOKIE });
    assert.deepEqual(await sessions.fromRequest(browser.jar.header()).get('cart'), new Map([['fig', 2]]));
    assert.doesNotMatch(server.output(), /error/i, server.output());
  });
});

// A wrong driver option (`dir` for `base`): the built server's log names it (napi-session/astro
// reports it when Astro creates the driver; thrown, Astro would log only "Unknown error").
describe('the same site with a wrong driver option', { skip, timeout: 150_000 }, () => {
  it('shows the real message in the log, answers 500 and stays up', async () => {
    linkPackage();
    const { dir, site } = copySite();
    let server;
    try {
      await build(site, { NAPI_SESSION_TEST_CONFIG: JSON.stringify({ driver: 'fs', dir: '/tmp/sessions' }) });
      server = await serve(site);
      for (let request = 0; request < 2; request++) {
        const response = await fetch(server.url + '/');
        assert.equal(response.status, 500);
        await response.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const output = server.output();
      assert.equal(output.match(/every session request fails until the configuration is fixed/g)?.length, 1, output);
      assert.match(output, /\[ERROR\] SessionError: napi-session\/astro option driver\.dir: unknown field `dir`/, output);
      assert.doesNotMatch(output, /Unknown error/, output);
    } finally {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
