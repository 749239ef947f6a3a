// napi-session/express against express-session's documented behaviour, in real Express 5 apps:
// its options (secret, name, cookie with maxAge in milliseconds, secure 'auto' with trust proxy,
// rolling, resave, saveUninitialized, genid, unset, proxy, store), its request API
// (req.session.x = v, save/reload/regenerate/destroy/touch with callbacks, req.session.cookie,
// req.sessionID) and its signed cookie — and, side by side with express-session itself, the
// concurrent update that express-session loses and the drop-in keeps.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import expressSession from 'express-session';
import session from '../../lib/express.js';
import { createSessions, parse, SessionError } from '../../index.mjs';
import { CookieJar, browser as openBrowser } from '../helpers/cookie-jar.mjs';
import { RedisServer } from '../helpers/redis-server.mjs';

const require = createRequire(import.meta.url);
const signature = require('cookie-signature');

const SECRET = 'a secret of at least thirty-two bytes, for the tests';
const OLD_SECRET = 'the secret before the rotation, also 32 bytes long';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const dirs = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A Map-backed driver object (what `store` takes besides 'memory', 'fs', redis): the stored records, readable. */
function mapDriver({ delay = 0 } = {}) {
  const data = new Map();
  return {
    data,
    /** The stored values of session `id` (devalue-parsed), without napi-session's own keys. */
    values(id) {
      const text = data.get(id);
      if (text === undefined || text === '' || text === 'null') return undefined;
      return Object.fromEntries([...parse(text)].filter(([key]) => !key.startsWith('napi-session:')).map(([key, { data: value }]) => [key, value]));
    },
    async getItem(key) {
      return data.get(key) ?? null;
    },
    async setItem(key, value) {
      if (delay) await sleep(delay);
      data.set(key, value);
    },
    async removeItem(key) {
      data.delete(key);
    },
  };
}

/** An Express app with `middleware` and routes, listening on a loopback port. */
async function serve(middleware, routes, { trustProxy } = {}) {
  const app = express();
  if (trustProxy) app.set('trust proxy', true);
  app.use(middleware);
  routes(app);
  app.use((error, req, res, _next) => res.status(500).json({ code: error.code ?? null, message: error.message }));
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  after(() => new Promise((resolve) => server.close(resolve)));
  return origin;
}

/** A browser (a cookie jar over fetch) that also reads a JSON answer, which must be a 200. */
function browser(origin) {
  const client = openBrowser(origin);
  return Object.assign(client, {
    async json(pathname, init) {
      const response = await client.fetch(pathname, init);
      const body = await response.json();
      assert.equal(response.status, 200, JSON.stringify(body));
      return body;
    },
  });
}

/** The session id inside a signed connect.sid cookie value, checked against `secret` with cookie-signature. */
function unsign(value, secret = SECRET) {
  const decoded = decodeURIComponent(value);
  assert.ok(decoded.startsWith('s:'), `a signed cookie: ${decoded}`);
  return signature.unsign(decoded.slice(2), secret);
}

const options = (more = {}) => ({ secret: SECRET, resave: false, saveUninitialized: false, ...more });

describe('napi-session/express: express-session\'s request API', () => {
  it('saves req.session.x = v, nested changes and deletes, and reads them back in the next request', async () => {
    const store = mapDriver();
    const origin = await serve(session(options({ store })), (app) => {
      app.get('/add/:item', (req, res) => {
        req.session.cart ??= [];
        req.session.cart.push(req.params.item);
        req.session.visits = (req.session.visits ?? 0) + 1;
        req.session.since ??= new Date(0);
        res.json({ cart: req.session.cart });
      });
      app.get('/forget', (req, res) => {
        delete req.session.cart;
        req.session.visits = undefined;
        res.json({});
      });
      app.get('/show', (req, res) => res.json({ ...req.session, sessionID: req.sessionID, id: req.session.id }));
    });
    const client = browser(origin);
    await client.json('/add/tea');
    const id = unsign(client.jar.get('connect.sid'));
    assert.match(id, UUID);
    await client.json('/add/mug');
    assert.deepEqual(store.values(id), { cookie: { originalMaxAge: null }, cart: ['tea', 'mug'], visits: 2, since: new Date(0) });
    const shown = await client.json('/show');
    assert.deepEqual(shown.cart, ['tea', 'mug']);
    assert.equal(shown.since, new Date(0).toISOString(), 'a Date comes back as a Date (JSON shows its ISO text)');
    assert.equal(shown.sessionID, id);
    assert.equal(shown.id, id);
    assert.equal(shown.cookie.httpOnly, true);
    await client.json('/forget');
    assert.deepEqual(store.values(id), { cookie: { originalMaxAge: null }, since: new Date(0) });
  });

  it('save(cb), regenerate(cb), reload(cb) and destroy(cb) call back, and do what express-session does', async () => {
    const store = mapDriver({ delay: 20 });
    const events = [];
    const origin = await serve(session(options({ store })), (app) => {
      app.post('/login/:name', (req, res, next) => {
        req.session.guest = true;
        const before = req.sessionID;
        req.session.regenerate((error) => {
          if (error) return next(error);
          events.push({ regenerated: before !== req.sessionID, emptied: req.session.guest === undefined });
          req.session.user = req.params.name;
          req.session.save((saveError) => {
            if (saveError) return next(saveError);
            events.push({ storedBeforeCallback: store.values(req.sessionID)?.user === req.params.name });
            res.redirect(303, '/me');
          });
        });
      });
      app.get('/me', (req, res) => res.json({ user: req.session.user ?? null, id: req.sessionID }));
      app.post('/rename', (req, res, next) => {
        // Another request renames the user while this one waits; reload() sees it.
        const other = createSessions({ driver: store, cookie: 'connect.sid', secrets: [SECRET] }).fromRequest(req);
        other.get('user').then(async () => {
          other.set('user', 'grace');
          await other.commit();
          req.session.reload((error) => (error ? next(error) : res.json({ user: req.session.user, touched: req.session.touch() === req.session })));
        }, next);
      });
      app.post('/logout', (req, res, next) => {
        const id = req.sessionID;
        req.session.destroy((error) => {
          if (error) return next(error);
          res.json({ unset: req.session === undefined, stored: store.values(id) ?? null });
        });
      });
    });
    const client = browser(origin);
    await client.fetch('/me');
    const login = await client.fetch('/login/ada', { method: 'POST' });
    assert.equal(login.status, 303);
    assert.deepEqual(events, [{ regenerated: true, emptied: true }, { storedBeforeCallback: true }]);
    const me = await client.json('/me');
    assert.equal(me.user, 'ada');
    assert.equal(unsign(client.jar.get('connect.sid')), me.id);
    assert.equal((await client.json('/rename', { method: 'POST' })).user, 'grace');

    const logout = await client.fetch('/logout', { method: 'POST' });
    assert.deepEqual(await logout.json(), { unset: true, stored: null });
    assert.match(logout.headers.get('set-cookie'), /^connect\.sid=; .*Max-Age=0/, 'the cookie is expired');
    assert.equal(client.jar.get('connect.sid'), undefined);
    assert.equal((await client.json('/me')).user, null);
  });

  it('regenerate() moves nothing to the new id and retires the old one, so its cookie no longer works', async () => {
    const store = mapDriver();
    const origin = await serve(session(options({ store })), (app) => {
      app.get('/set', (req, res) => {
        req.session.secret = 'pre-login';
        res.json({ id: req.sessionID });
      });
      app.get('/regenerate', (req, res, next) => req.session.regenerate((error) => (error ? next(error) : res.json({ id: req.sessionID, keys: Object.keys(req.session) }))));
      app.get('/read', (req, res) => res.json({ secret: req.session.secret ?? null }));
    });
    const client = browser(origin);
    const { id: oldId } = await client.json('/set');
    const oldCookie = client.jar.header();
    const { id: newId, keys } = await client.json('/regenerate');
    assert.notEqual(newId, oldId);
    assert.deepEqual(keys, ['cookie']);
    assert.equal(unsign(client.jar.get('connect.sid')), newId);
    assert.deepEqual(store.values(newId), { cookie: { originalMaxAge: null } }, 'the new session starts empty');
    assert.equal(store.values(oldId), undefined, 'the old id is retired');
    assert.deepEqual(await (await fetch(`${origin}/read`, { headers: { cookie: oldCookie } })).json(), { secret: null });
  });

  it('req.session.cookie shows maxAge (ms), originalMaxAge and expires; the Set-Cookie has Max-Age in seconds', async () => {
    const origin = await serve(session(options({ cookie: { maxAge: 86_400_000 } })), (app) => {
      app.get('/', (req, res) => {
        req.session.n = 1;
        const { cookie } = req.session;
        res.json({ maxAge: cookie.maxAge, originalMaxAge: cookie.originalMaxAge, expires: cookie.expires, httpOnly: cookie.httpOnly, path: cookie.path });
      });
    });
    const client = browser(origin);
    const started = Date.now();
    const response = await client.fetch('/');
    const body = await response.json();
    assert.match(response.headers.get('set-cookie'), /; Max-Age=86400(;|$)/, 'one day, not 2.7 years');
    assert.ok(body.maxAge > 86_400_000 - 5_000 && body.maxAge <= 86_400_000, `maxAge ${body.maxAge}`);
    assert.equal(body.originalMaxAge, 86_400_000);
    assert.ok(Math.abs(Date.parse(body.expires) - (started + 86_400_000)) < 5_000);
    assert.deepEqual([body.httpOnly, body.path], [true, '/']);
  });

  it('req.session.cookie.maxAge = ms gives one session a cookie lifetime of its own ("remember me"), kept and stored', async () => {
    const DAYS_30 = 30 * 86_400_000;
    // Browser-session cookies by default (express-session's default), sessions idle out after 1 s.
    const origin = await serve(session(options({ idleTimeout: 1 })), (app) => {
      app.get('/login', (req, res) => {
        req.session.user = 'ada';
        if (req.query.remember) req.session.cookie.maxAge = Number(req.query.remember);
        res.json({});
      });
      app.get('/visit', (req, res) => res.json((req.session.visits = (req.session.visits ?? 0) + 1)));
      app.get('/read', (req, res) => res.json({ user: req.session.user ?? null, originalMaxAge: req.session.cookie.originalMaxAge }));
      app.get('/forget', (req, res) => {
        req.session.cookie.maxAge = null;
        res.json({});
      });
      app.get('/until', (req, res) => {
        req.session.cookie.expires = new Date(Date.now() + 3_600_000);
        res.json({});
      });
      app.get('/bad', (req, res) => {
        const set = (property, value) => {
          try {
            req.session.cookie[property] = value;
            return 'accepted';
          } catch (error) {
            return `${error.code}: ${error.message}`;
          }
        };
        // Below zero, far past the century limit, not numbers; dates past it or invalid.
        const maxAges = [-5, 1e300, Infinity, Number.NaN, '30 days'].map((value) => set('maxAge', value));
        const dates = [new Date(8.64e15), new Date(Number.NaN), 'tomorrow'].map((value) => set('expires', value));
        res.json({ maxAges, dates, originalMaxAge: req.session.cookie.originalMaxAge });
      });
      app.get('/regenerate', (req, res, next) => req.session.regenerate((error) => (error ? next(error) : res.json(req.session.cookie.originalMaxAge))));
    });
    const remembered = browser(origin);
    const login = await remembered.fetch(`/login?remember=${DAYS_30}`);
    assert.match(login.headers.get('set-cookie'), /; Max-Age=2592000(;|$)/);
    // Kept by later requests: a save sends it again (renewed), a read sends nothing.
    const visit = await remembered.fetch('/visit');
    assert.match(visit.headers.get('set-cookie'), /; Max-Age=2592000(;|$)/);
    const read = await remembered.fetch('/read');
    assert.equal(read.headers.get('set-cookie'), null);
    assert.deepEqual(await read.json(), { user: 'ada', originalMaxAge: DAYS_30 });

    // Its session outlives the idle timeout; one without its own lifetime does not.
    const plain = browser(origin);
    assert.doesNotMatch((await plain.fetch('/login')).headers.get('set-cookie'), /Max-Age/);
    await sleep(1_600);
    assert.deepEqual(await (await plain.fetch('/read')).json(), { user: null, originalMaxAge: null });
    assert.deepEqual(await (await remembered.fetch('/read')).json(), { user: 'ada', originalMaxAge: DAYS_30 });

    // Back to a browser-session cookie: sent once, without Max-Age; then saves send nothing.
    const forget = await remembered.fetch('/forget');
    assert.ok(forget.headers.get('set-cookie'), 'the cookie is sent with its new lifetime');
    assert.doesNotMatch(forget.headers.get('set-cookie'), /Max-Age|Expires/);
    assert.equal((await remembered.fetch('/visit')).headers.get('set-cookie'), null);
    // expires = a date: a Max-Age to that date.
    const until = (await remembered.fetch('/until')).headers.get('set-cookie');
    const seconds = Number(/; Max-Age=(\d+)/.exec(until)?.[1]);
    assert.ok(seconds > 3_590 && seconds <= 3_600, until);
    // regenerate(): the new session's cookie has the configured lifetime again, as express-session's.
    assert.equal(await (await remembered.fetch('/regenerate')).json(), null);
    // A lifetime that is not one is an error that says so, and changes nothing.
    const bad = await (await remembered.fetch('/bad')).json();
    for (const outcome of bad.maxAges) assert.match(outcome, /^ERR_SESSION_CONFIG: napi-session\/express: req\.session\.cookie\.maxAge is in milliseconds/);
    assert.match(bad.dates[0], /^ERR_SESSION_CONFIG: napi-session\/express: req\.session\.cookie\.expires must be within about 100 years/);
    for (const outcome of bad.dates.slice(1)) assert.match(outcome, /^ERR_SESSION_CONFIG: napi-session\/express: req\.session\.cookie\.expires must be a valid Date/);
    assert.equal(bad.originalMaxAge, null);
  });

  it('keeps the session\'s cookie alive with rolling: sent again once the session is renewed', async () => {
    const rolling = await serve(session(options({ cookie: { maxAge: 2000 }, rolling: true })), (app) => {
      app.get('/set', (req, res) => res.json((req.session.n = 1)));
      app.get('/read', (req, res) => res.json(req.session.n ?? null));
    });
    const fixed = await serve(session(options({ cookie: { maxAge: 2000 } })), (app) => {
      app.get('/set', (req, res) => res.json((req.session.n = 1)));
      app.get('/read', (req, res) => res.json(req.session.n ?? null));
    });
    for (const [origin, resent] of [[rolling, true], [fixed, false]]) {
      const client = browser(origin);
      await client.fetch('/set');
      assert.equal((await client.fetch('/read')).headers.get('set-cookie'), null, 'not yet half of its idle timeout');
      await sleep(1_100);
      const read = await client.fetch('/read');
      assert.equal(await read.json(), 1);
      assert.equal(read.headers.get('set-cookie') !== null, resent, `rolling: ${resent}`);
      if (resent) assert.match(read.headers.get('set-cookie'), /Max-Age=2(;|$)/);
    }
  });

  it('saveUninitialized: true stores a new session and sends its cookie; false waits for a change', async () => {
    for (const saveUninitialized of [true, false]) {
      const store = mapDriver();
      const origin = await serve(session(options({ store, saveUninitialized })), (app) => {
        app.get('/', (req, res) => res.json({ id: req.sessionID }));
      });
      const response = await fetch(origin + '/');
      const { id } = await response.json();
      assert.match(id, UUID, 'req.sessionID is there from the start');
      assert.equal(response.headers.get('set-cookie') !== null, saveUninitialized);
      assert.equal(store.data.size, saveUninitialized ? 1 : 0);
      if (saveUninitialized) assert.ok(store.data.has(id));
    }
  });

  it('genid chooses the ids of new and regenerated sessions; an id that is not a v4 UUID is reported', async () => {
    const made = [];
    const genid = (req) => {
      assert.ok(req instanceof http.IncomingMessage, 'genid gets the request');
      const id = crypto.randomUUID();
      made.push(id);
      return id;
    };
    const origin = await serve(session(options({ genid })), (app) => {
      app.get('/set', (req, res) => res.json({ id: req.sessionID, n: (req.session.n = 1) }));
      app.get('/regenerate', (req, res, next) => req.session.regenerate((error) => (error ? next(error) : res.json({ id: req.sessionID }))));
    });
    const client = browser(origin);
    const first = await client.json('/set');
    assert.deepEqual(made, [first.id]);
    assert.equal(unsign(client.jar.get('connect.sid')), first.id);
    const second = await client.json('/regenerate');
    assert.deepEqual(made, [first.id, second.id]);
    assert.equal(unsign(client.jar.get('connect.sid')), second.id);

    const wrong = await serve(session(options({ genid: () => 'user-42' })), (app) => app.get('/', (req, res) => res.json((req.session.n = 1))));
    const failed = await fetch(wrong + '/');
    assert.equal(failed.status, 500);
    const body = await failed.json();
    assert.equal(body.code, 'ERR_SESSION_CONFIG');
    assert.match(body.message, /genid must return a version-4 UUID .*"user-42"/);
  });

  it('unset: "destroy" ends a session whose req.session was deleted; "keep" keeps it and drops the changes', async () => {
    for (const unset of ['destroy', 'keep']) {
      const store = mapDriver();
      const origin = await serve(session(options({ store, unset })), (app) => {
        app.get('/set', (req, res) => res.json({ id: req.sessionID, n: (req.session.n = 1) }));
        app.get('/unset', (req, res) => {
          req.session.n = 2;
          req.session = null;
          res.json({});
        });
      });
      const client = browser(origin);
      const { id } = await client.json('/set');
      await client.json('/unset');
      if (unset === 'destroy') assert.equal(store.values(id), undefined);
      else assert.equal(store.values(id).n, 1);
    }
  });

  it('persists before the response leaves: a redirect never outruns the save', async () => {
    const store = mapDriver({ delay: 150 });
    const origin = await serve(session(options({ store })), (app) => {
      app.post('/login', (req, res) => {
        req.session.user = 'ada';
        res.redirect(303, '/');
      });
    });
    const response = await fetch(origin + '/login', { method: 'POST', redirect: 'manual' });
    assert.equal(response.status, 303);
    assert.equal(store.values(unsign(new CookieJar().applyResponse(response).get('connect.sid'))).user, 'ada');
  });

  it('a store that fails reaches Express\'s error handling (next(err)), and the process stays up', async () => {
    const store = mapDriver();
    let down = false;
    const setItem = store.setItem;
    store.setItem = async (...args) => {
      if (down) throw new Error('store is down');
      return setItem(...args);
    };
    let readsDown = false;
    store.getItem = ((getItem) => async (key) => {
      if (readsDown) throw new Error('store is down for reads');
      return getItem(key);
    })(store.getItem);
    const origin = await serve(session(options({ store })), (app) => app.get('/', (req, res) => res.json((req.session.n = (req.session.n ?? 0) + 1))));
    const client = browser(origin);
    assert.equal(await client.json('/'), 1);
    // The save at the end of the request fails (before anything was sent), then the load at its start.
    for (const [what, message] of [['writes', /store is down$/], ['reads', /store is down for reads/]]) {
      down = what === 'writes';
      readsDown = what === 'reads';
      const failed = await client.fetch('/');
      assert.equal(failed.status, 500, what);
      const body = await failed.json();
      assert.equal(body.code, 'ERR_SESSION_STORAGE');
      assert.match(body.message, message);
    }
    down = readsDown = false;
    assert.equal(await client.json('/'), 2, 'the next request after the store is back works');
  });
});

describe('napi-session/express: express-session\'s options and cookie', () => {
  it('signs the cookie as express-session does: express-session reads ours, and we read its', async () => {
    const store = mapDriver();
    const ours = await serve(session(options({ store })), (app) => {
      app.get('/', (req, res) => res.json({ id: req.sessionID, n: (req.session.n = (req.session.n ?? 0) + 1) }));
    });
    const client = browser(ours);
    const { id } = await client.json('/');
    const value = client.jar.get('connect.sid');
    assert.match(value, /^s%3A[0-9a-f-]{36}\.[A-Za-z0-9%]+$/, 'percent-encoded s:<id>.<signature>');
    assert.equal(unsign(value), id, 'cookie-signature verifies it');

    // express-session itself, with the same secret, unsigns our cookie to our id: its store is
    // asked for it.
    const asked = [];
    const memory = new expressSession.MemoryStore();
    const get = memory.get.bind(memory);
    memory.get = (sid, callback) => {
      asked.push(sid);
      get(sid, callback);
    };
    const theirs = await serve(expressSession({ secret: SECRET, resave: false, saveUninitialized: false, store: memory }), (app) =>
      app.get('/', (req, res) => res.json(null)),
    );
    await fetch(theirs + '/', { headers: { cookie: `connect.sid=${value}` } });
    assert.deepEqual(asked, [id]);

    // The other way: a cookie signed by cookie-signature (as express-session writes it) for a
    // stored session is read; a tampered one starts a new session.
    const signed = `connect.sid=${encodeURIComponent(`s:${signature.sign(id, SECRET)}`)}`;
    assert.deepEqual(await (await fetch(ours + '/', { headers: { cookie: signed } })).json(), { id, n: 2 });
    const tampered = signed.slice(0, -1) + (signed.endsWith('A') ? 'B' : 'A');
    assert.notEqual((await (await fetch(ours + '/', { headers: { cookie: tampered } })).json()).id, id);
  });

  it('secret: a list rotates — the first signs, every one verifies', async () => {
    const store = mapDriver();
    const before = await serve(session(options({ store, secret: OLD_SECRET })), (app) => app.get('/', (req, res) => res.json({ id: req.sessionID, n: (req.session.n = (req.session.n ?? 0) + 1) })));
    const afterRotation = await serve(session(options({ store, secret: [SECRET, OLD_SECRET], cookie: { maxAge: 60_000 } })), (app) =>
      app.get('/', (req, res) => res.json({ id: req.sessionID, n: (req.session.n = (req.session.n ?? 0) + 1) })),
    );
    const client = browser(before);
    const { id } = await client.json('/');
    assert.equal(unsign(client.jar.get('connect.sid'), OLD_SECRET), id);
    const response = await fetch(afterRotation + '/', { headers: { cookie: client.jar.header() } });
    assert.deepEqual(await response.json(), { id, n: 2 }, 'the old secret still verifies');
    const renewed = new CookieJar().applyResponse(response).get('connect.sid');
    assert.equal(unsign(renewed, SECRET), id, 'the new secret signs');
  });

  it('cookie.secure "auto" follows the request: Secure over HTTPS as Express\'s trust proxy sees it, or with proxy: true', async () => {
    const route = (app) => app.get('/', (req, res) => res.json({ secure: req.session.cookie.secure, n: (req.session.n = 1) }));
    const trusting = await serve(session(options({ cookie: { secure: 'auto' } })), route, { trustProxy: true });
    const notTrusting = await serve(session(options({ cookie: { secure: 'auto' } })), route);
    const proxyOption = await serve(session(options({ proxy: true })), route);
    const always = await serve(session(options({ cookie: { secure: true } })), route);
    const never = await serve(session(options({ cookie: { secure: false } })), route);
    const forwarded = { 'x-forwarded-proto': 'https' };
    const cases = [
      [trusting, forwarded, true],
      [trusting, {}, false],
      [notTrusting, forwarded, false],
      [proxyOption, forwarded, true],
      [proxyOption, { 'x-forwarded-proto': 'http' }, false],
      [always, {}, true],
      [never, forwarded, false],
    ];
    for (const [origin, headers, secure] of cases) {
      const response = await fetch(origin + '/', { headers });
      assert.equal((await response.json()).secure, secure, JSON.stringify(headers));
      assert.equal(/; Secure(;|$)/.test(response.headers.get('set-cookie')), secure, response.headers.get('set-cookie'));
    }
  });

  it('cookie.expires gives every cookie that date; sameSite "auto" is None over HTTPS, Lax otherwise', async () => {
    const expires = new Date(Date.UTC(2040, 0, 2, 3, 4, 5));
    const origin = await serve(session(options({ cookie: { expires, sameSite: 'auto' } })), (app) =>
      app.get('/', (req, res) => res.json({ expires: req.session.cookie.expires, sameSite: req.session.cookie.sameSite, n: (req.session.n = 1) })),
    { trustProxy: true });
    const overHttps = await fetch(origin + '/', { headers: { 'x-forwarded-proto': 'https' } });
    assert.deepEqual(await overHttps.json(), { expires: expires.toISOString(), sameSite: 'none', n: 1 });
    assert.match(overHttps.headers.get('set-cookie'), /; SameSite=None; Secure; Path=\/; Expires=Mon, 02 Jan 2040 03:04:05 GMT$/);
    const plain = await fetch(origin + '/');
    assert.equal((await plain.json()).sameSite, 'lax');
    assert.match(plain.headers.get('set-cookie'), /; SameSite=Lax; Path=\/; Expires=Mon, 02 Jan 2040 03:04:05 GMT$/);
  });

  it('name, sameSite, domain and path; no session outside the cookie\'s path', async () => {
    const origin = await serve(session(options({ name: 'sid', cookie: { path: '/app', sameSite: 'strict', domain: '127.0.0.1' } })), (app) => {
      app.get('/app/x', (req, res) => res.json({ n: (req.session.n = 1) }));
      app.get('/other', (req, res) => res.json({ session: req.session === undefined ? null : 'set', id: req.sessionID ?? null }));
    });
    const response = await fetch(origin + '/app/x');
    const setCookie = response.headers.get('set-cookie');
    assert.match(setCookie, /^sid=s%3A/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Path=\/app/);
    assert.match(setCookie, /; Domain=127\.0\.0\.1/);
    assert.deepEqual(await (await fetch(origin + '/other')).json(), { session: null, id: null });
  });

  it('store: "fs", a redis server, a driver object; an express-session Store is refused with a pointer', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'napi-session-express-'));
    dirs.push(dir);
    const redis = await RedisServer.start();
    after(() => redis.kill());
    for (const store of [{ name: 'fs', base: dir }, { name: 'redis', url: redis.url, base: 'sess' }, mapDriver()]) {
      const origin = await serve(session(options({ store })), (app) => app.get('/', (req, res) => res.json({ id: req.sessionID, n: (req.session.n = (req.session.n ?? 0) + 1) })));
      const client = browser(origin);
      const { id } = await client.json('/');
      assert.equal((await client.json('/')).n, 2);
      if (store.name === 'fs') assert.deepEqual(readdirSync(dir).filter((file) => !file.startsWith('.')), [id]);
      if (store.name === 'redis') assert.ok(redis.cli('GET', `sess:${id}`).includes('"n"'));
    }
    assert.throws(
      () => session(options({ store: new expressSession.MemoryStore() })),
      (error) => error instanceof SessionError && error.code === 'ERR_SESSION_CONFIG' && /not an express-session Store/.test(error.message),
    );
  });

  it('refuses what it cannot do with ERR_SESSION_CONFIG, naming the rule', () => {
    const cases = [
      [{ secret: 'keyboard cat' }, /secret\[0\] is shorter than 32 bytes/],
      [{ secret: undefined }, /the secret option is required/],
      [{ cookie: { httpOnly: false } }, /httpOnly must be true/],
      [{ cookie: { maxAge: 60 } }, /cookie\.maxAge is in milliseconds/],
      [{ cookie: { secure: 'yes' } }, /cookie\.secure must be true, false or "auto"/],
      [{ unset: 'drop' }, /unset must be "keep" or "destroy"/],
      [{ resave: 'no' }, /resave must be true or false/],
      [{ cookie: () => ({}) }, /per-request cookie options/],
      [{ saveUnitialized: true }, /unknown option "saveUnitialized"/],
    ];
    for (const [more, message] of cases) {
      assert.throws(
        () => session({ ...options(), ...more }),
        (error) => error instanceof SessionError && error.code === 'ERR_SESSION_CONFIG' && message.test(error.message),
        JSON.stringify(more),
      );
    }
  });

  it('loads with import (default and named) and require', async () => {
    const esm = await import('napi-session/express');
    assert.equal(esm.default, session);
    assert.equal(esm.session, session);
    assert.equal(require('napi-session/express'), session);
  });
});

describe('migrateFrom: moving from express-session without signing anyone out', () => {
  /** express-session on connect-redis, as an app ran it before the switch, and napi-session/express taking over. */
  async function before_and_after({ more = {}, theirOptions = {} } = {}) {
    const redis = await RedisServer.start();
    const { createClient } = await import('redis');
    const client = createClient({ url: redis.url });
    await client.connect();
    after(() => {
      client.destroy(); // (before the server goes: the client would report a closed socket)
      redis.kill();
    });
    const { RedisStore } = await import('connect-redis');
    const oldStore = new RedisStore({ client });
    const gets = [];
    const get = oldStore.get.bind(oldStore);
    oldStore.get = (sid, callback) => {
      gets.push(sid);
      return get(sid, callback);
    };
    const theirs = await serve(expressSession({ secret: SECRET, resave: false, saveUninitialized: false, store: oldStore, ...theirOptions }), (app) => {
      app.get('/login', (req, res) => {
        req.session.user = { name: 'alice', since: '2026-01-01' };
        req.session.cart = [1, 2];
        if (req.query.remember) req.session.cookie.maxAge = 30 * 24 * 3600 * 1000;
        res.json(req.sessionID);
      });
    });
    const ours = await serve(session(options({ store: { name: 'redis', url: redis.url, base: 'napi' }, migrateFrom: oldStore, ...more })), (app) => {
      app.get('/', (req, res) => res.json({ id: req.sessionID, user: req.session.user ?? null, cart: req.session.cart ?? null }));
      app.get('/logout', (req, res, next) => req.session.destroy((error) => (error ? next(error) : res.json('bye'))));
    });
    return { redis, oldStore, gets, theirs, ours };
  }

  it('a session connect-redis kept moves to a new id and cookie at its first request, and leaves the old store', async () => {
    const { redis, gets, theirs, ours } = await before_and_after();
    const user = browser(theirs);
    const oldId = await user.json('/login');
    assert.ok(redis.cli('GET', `sess:${oldId}`).includes('alice'));
    const oldCookie = user.jar.get('connect.sid');

    // The same browser, now on napi-session/express: its values, a new session and cookie.
    const response = await fetch(ours + '/', { headers: { cookie: `connect.sid=${oldCookie}` } });
    const moved = await response.json();
    assert.deepEqual(moved, { id: moved.id, user: { name: 'alice', since: '2026-01-01' }, cart: [1, 2] });
    assert.match(moved.id, UUID);
    const setCookie = response.headers.getSetCookie();
    assert.equal(setCookie.length, 1, String(setCookie));
    const newCookie = setCookie[0].split(';')[0].slice('connect.sid='.length);
    assert.equal(unsign(newCookie), moved.id);
    assert.deepEqual(gets, [oldId]);
    assert.equal(redis.cli('EXISTS', `sess:${oldId}`).trim(), '0', 'the old session is gone from connect-redis');

    // The next request reads the new session; the old store is not asked again.
    const again = await (await fetch(ours + '/', { headers: { cookie: `connect.sid=${newCookie}` } })).json();
    assert.deepEqual(again, moved);
    assert.equal(gets.length, 1);
    // The old cookie, replayed, finds nothing left to move: a new, empty session.
    const replayed = await (await fetch(ours + '/', { headers: { cookie: `connect.sid=${oldCookie}` } })).json();
    assert.equal(replayed.user, null);
    assert.notEqual(replayed.id, moved.id);
  });

  it('ids express-session\'s genid made as UUIDs move too', async () => {
    const { redis, theirs, ours } = await before_and_after({ theirOptions: { genid: () => crypto.randomUUID() } });
    const user = browser(theirs);
    const oldId = await user.json('/login');
    assert.match(oldId, UUID);
    const moved = await (await fetch(ours + '/', { headers: { cookie: `connect.sid=${user.jar.get('connect.sid')}` } })).json();
    assert.equal(moved.user.name, 'alice');
    assert.notEqual(moved.id, oldId, 'a new id, as at every sign-in');
    assert.equal(redis.cli('EXISTS', `sess:${oldId}`).trim(), '0');
  });

  it('keeps a "remember me" lifetime; an unsigned or tampered cookie is never looked up; destroy() ends the old session too', async () => {
    const { redis, gets, theirs, ours } = await before_and_after({ more: { cookie: { maxAge: 24 * 3600 * 1000 } } });
    // Longer than the configured day: kept. A browser-session cookie gets the configured lifetime.
    // (express-session records originalMaxAge as its expiry date less the time when it computes
    // it, which on a slow machine is a millisecond later: 30 days may be stored as 1 ms short.)
    for (const [query, maxAge] of [['?remember=1', '(2592000|2591999)'], ['', '86400']]) {
      const remembered = browser(theirs);
      await remembered.json('/login' + query);
      const response = await fetch(ours + '/', { headers: { cookie: `connect.sid=${remembered.jar.get('connect.sid')}` } });
      assert.equal((await response.json()).user.name, 'alice');
      assert.match(response.headers.get('set-cookie'), new RegExp(`; Max-Age=${maxAge}(;|$)`));
    }

    const other = browser(theirs);
    const otherId = await other.json('/login');
    const cookie = other.jar.get('connect.sid');
    gets.length = 0;
    const tampered = cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A');
    for (const value of [tampered, encodeURIComponent(`s:${otherId}`), otherId]) {
      assert.equal((await (await fetch(ours + '/', { headers: { cookie: `connect.sid=${value}` } })).json()).user, null);
    }
    assert.deepEqual(gets, [], 'only a cookie signed with the secret is looked up');

    // Signing out at the first request after the switch: the old session goes, and nothing is stored.
    const napiKeys = () => redis.cli('KEYS', 'napi:*').trim();
    const keysBefore = napiKeys();
    assert.equal(await (await fetch(ours + '/logout', { headers: { cookie: `connect.sid=${cookie}` } })).json(), 'bye');
    assert.equal(redis.cli('EXISTS', `sess:${otherId}`).trim(), '0');
    assert.equal(napiKeys(), keysBefore);
  });

  it('an old store that fails or hangs reaches next(err) as a SessionError that names no id', async () => {
    const oldId = 'tz6Fh2y4r4bGz5Rm0NOTi3y0v4pzBkJf';
    const failing = { get: (sid, callback) => callback(new Error('connection refused')) };
    // A store whose message quotes its query's parameters: the id is blanked out of it.
    const quoting = { get: (sid, callback) => callback(new Error(`no row: SELECT sess FROM sessions WHERE sid = '${sid}'`)) };
    const hanging = { get: () => {} };
    const cookie = `connect.sid=${encodeURIComponent(`s:${signature.sign(oldId, SECRET)}`)}`;
    for (const [migrateFrom, code, message] of [
      [failing, 'ERR_SESSION_STORAGE', /^migrateFrom\.get\(\) failed: connection refused$/],
      [quoting, 'ERR_SESSION_STORAGE', /^migrateFrom\.get\(\) failed: no row: SELECT sess FROM sessions WHERE sid = '<session id>'$/],
      [hanging, 'ERR_SESSION_TIMEOUT', /^migrateFrom\.get\(\) did not answer within 300 ms$/],
    ]) {
      let failure;
      const origin = await serve(session(options({ migrateFrom, timeout: 0.3 })), (app) => {
        app.get('/', (req, res) => res.json(null));
        app.use((error, req, res, next) => {
          failure = error;
          next(error);
        });
      });
      const response = await fetch(origin + '/', { headers: { cookie } });
      assert.equal(response.status, 500);
      const body = await response.json();
      assert.equal(body.code, code);
      assert.match(body.message, message);
      assert.ok(!JSON.stringify(body).includes(oldId));
      assert.ok(!String(failure.cause?.message).includes(oldId), 'nor does the error it keeps as its cause');
    }
    assert.throws(
      () => session(options({ migrateFrom: 'redis' })),
      (error) => error instanceof SessionError && error.code === 'ERR_SESSION_CONFIG' && /migrateFrom takes the express-session store/.test(error.message),
    );
  });
});

describe('migrateFrom: the first request after the switch, on express-session\'s MemoryStore', () => {
  /** express-session with a MemoryStore signs alice in; napi-session/express takes over with `ours` options and routes. */
  async function signedInBefore(ours, routes, theirCookie = {}, { answerAfterMs = 0 } = {}) {
    const oldStore = new expressSession.MemoryStore();
    const theirs = await serve(expressSession({ secret: SECRET, resave: false, saveUninitialized: false, store: oldStore, cookie: theirCookie }), (app) => {
      app.get('/login', (req, res) => res.json((req.session.user = 'alice') && req.sessionID));
    });
    const before = browser(theirs);
    const oldId = await before.json('/login');
    // (A store that takes its time: `answerAfterMs`.)
    const slow = { get: (sid, callback) => setTimeout(() => oldStore.get(sid, callback), answerAfterMs), destroy: (sid, callback) => oldStore.destroy(sid, callback) };
    const origin = await serve(session(options({ migrateFrom: answerAfterMs > 0 ? slow : oldStore, ...ours })), (app) => {
      app.get('/', (req, res) => res.json(req.session.user ?? null));
      routes?.(app);
    });
    const oldCookie = `connect.sid=${before.jar.get('connect.sid')}`;
    const stored = () => new Promise((resolve, reject) => oldStore.get(oldId, (error, value) => (error ? reject(error) : resolve(value ?? null))));
    return { origin, oldCookie, stored, oldStore, oldId };
  }

  it('signing out in it lasts, with nothing left to save: deleting every value, or regenerate()', async () => {
    const routes = (app) => {
      app.get('/sign-out/delete', (req, res) => res.json(delete req.session.user));
      app.get('/sign-out/regenerate', (req, res, next) => req.session.regenerate((error) => (error ? next(error) : res.json(req.session.user ?? null))));
    };
    for (const way of ['delete', 'regenerate']) {
      const { origin, oldCookie, stored } = await signedInBefore({}, routes);
      const response = await fetch(`${origin}/sign-out/${way}`, { headers: { cookie: oldCookie } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('set-cookie'), null, `${way}: nothing stored (saveUninitialized: false)`);
      assert.equal(await stored(), null, `${way}: the old session is gone`);
      // The old cookie, sent again, brings nothing back.
      assert.equal(await (await fetch(origin + '/', { headers: { cookie: oldCookie } })).json(), null, way);
    }
  });

  it('reload() in it reads the old session again, as express-session\'s would; once that is gone, it fails', async () => {
    const routes = (app) => {
      app.get('/reload', (req, res, next) => {
        req.session.user = 'mallory';
        req.session.extra = 1;
        req.session.reload((error) => (error ? next(error) : res.json({ user: req.session.user, extra: req.session.extra ?? null })));
      });
      app.get('/reload-after-regenerate', (req, res, next) =>
        req.session.regenerate((error) => (error ? next(error) : req.session.reload((reloadError) => res.json(reloadError?.message ?? null)))),
      );
      // The old session goes (another request moved it) between this request's read and its reload().
      app.get('/reload-after-gone', (req, res) =>
        goneStore.destroy(goneId, () => req.session.reload((reloadError) => res.json(reloadError?.message ?? null))),
      );
    };
    let goneStore, goneId;
    const { origin, oldCookie, stored } = await signedInBefore({}, routes);
    const response = await fetch(origin + '/reload', { headers: { cookie: oldCookie } });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), { user: 'alice', extra: null });
    // The reloaded values moved: the new cookie reads them, the old session is gone.
    const newCookie = response.headers.get('set-cookie').split(';')[0];
    assert.equal(await (await fetch(origin + '/', { headers: { cookie: newCookie } })).json(), 'alice');
    assert.equal(await stored(), null);

    // regenerate() retired the old session: nothing is stored to reload, as in express-session.
    const second = await signedInBefore({}, routes);
    const failed = await fetch(second.origin + '/reload-after-regenerate', { headers: { cookie: second.oldCookie } });
    assert.match(await failed.json(), /failed to load session: it is not stored/);

    const third = await signedInBefore({}, routes);
    ({ oldStore: goneStore, oldId: goneId } = third);
    const gone = await fetch(third.origin + '/reload-after-gone', { headers: { cookie: third.oldCookie } });
    assert.equal(await gone.json(), 'failed to load session: it is no longer stored');
  });

  it('a configured cookie.expires is the lifetime a moved session\'s own is compared with', async () => {
    const expires = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    // An hour in express-session: shorter than the configured week, so the week applies.
    const { origin, oldCookie } = await signedInBefore({ cookie: { expires } }, undefined, { maxAge: 3600 * 1000 });
    const response = await fetch(origin + '/', { headers: { cookie: oldCookie } });
    assert.equal(await response.json(), 'alice');
    const setCookie = response.headers.get('set-cookie');
    assert.match(setCookie, new RegExp(`; Expires=${expires.toUTCString()}`));
    assert.doesNotMatch(setCookie, /Max-Age/);
  });

  it('a value devalue refuses (a class instance a store handed back) moves as JSON holds it; the rest as it is', async () => {
    class ObjectId {
      constructor(hex) {
        this.hex = hex;
      }
      toJSON() {
        return this.hex;
      }
    }
    class Profile {
      constructor() {
        this.name = 'alice';
      }
    }
    const since = new Date(0);
    const oldStore = { get: (sid, callback) => callback(null, { cookie: { originalMaxAge: null }, userId: new ObjectId('65f0c0ffee'), profile: new Profile(), since }) };
    const cookie = `connect.sid=${encodeURIComponent(`s:${signature.sign('an-old-session-id', SECRET)}`)}`;
    const origin = await serve(session(options({ migrateFrom: oldStore })), (app) => {
      app.get('/', (req, res) => res.json({ userId: req.session.userId, profile: req.session.profile, since: req.session.since instanceof Date }));
    });
    const response = await fetch(origin + '/', { headers: { cookie } });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), { userId: '65f0c0ffee', profile: { name: 'alice' }, since: true });
  });

  it('a timeout longer than Node\'s timers can wait (24.8 days) still waits for the old store', async () => {
    const { origin, oldCookie } = await signedInBefore({ timeout: 30 * 24 * 3600 }, undefined, {}, { answerAfterMs: 50 });
    const response = await fetch(origin + '/', { headers: { cookie: oldCookie } });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(await response.json(), 'alice');
  });
});

describe('concurrent requests changing different properties of one session', () => {
  const REQUESTS = 20;

  /** Signs in, then sends REQUESTS requests at once, each setting its own property; counts those kept. */
  async function keptOf(middleware) {
    const origin = await serve(middleware, (app) => {
      app.get('/start', (req, res) => res.json((req.session.started = true)));
      app.get('/set/:key', async (req, res) => {
        // Every request has read the session before any of them saves.
        await sleep(100);
        req.session[req.params.key] = true;
        res.json(true);
      });
      app.get('/keys', (req, res) => res.json(Object.keys(req.session).filter((key) => key.startsWith('k'))));
    });
    const client = browser(origin);
    await client.json('/start');
    await Promise.all(Array.from({ length: REQUESTS }, (_, i) => client.json(`/set/k${i}`)));
    return (await client.json('/keys')).length;
  }

  it(`express-session (MemoryStore) loses updates; napi-session/express keeps all ${REQUESTS}`, async (t) => {
    const expressSessionKept = await keptOf(expressSession({ secret: SECRET, resave: false, saveUninitialized: false }));
    const dropInKept = await keptOf(session(options()));
    t.diagnostic(`properties kept of ${REQUESTS}: express-session ${expressSessionKept}, napi-session/express ${dropInKept}`);
    assert.ok(expressSessionKept < REQUESTS, `express-session kept ${expressSessionKept}`);
    assert.equal(dropInKept, REQUESTS);
  });
});
