// napi-session/fastify in real Fastify 5 apps: request.session with this package's API,
// committed in onSend (Set-Cookie joined to the reply's, the session stored before the reply
// leaves), storage errors through Fastify's error handling, and fastify-plugin's conventions
// (skip-override: the session reaches routes of other encapsulation contexts; name; metadata).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import napiSession from 'napi-session/fastify';
import { createSessions } from '../../index.mjs';
import { browser, CookieJar } from '../helpers/cookie-jar.mjs';

/** A Map-backed driver object whose writes take `delay` ms and fail while `down` is set (so a commit fails in onSend). */
function mapDriver({ delay = 0 } = {}) {
  const data = new Map();
  const driver = {
    data,
    down: false,
    writes: 0,
    async getItem(key) {
      return data.get(key) ?? null;
    },
    async setItem(key, value) {
      driver.writes += 1;
      if (delay) await sleep(delay);
      if (driver.down) throw new Error('store is down');
      data.set(key, value);
    },
    async removeItem(key) {
      data.delete(key);
    },
  };
  return driver;
}

async function start(app) {
  await app.listen({ port: 0, host: '127.0.0.1' });
  after(() => app.close());
  return `http://127.0.0.1:${app.server.address().port}`;
}


describe('napi-session/fastify', () => {
  it('gives request.session to every route, commits it in onSend and adds its cookie to the reply\'s', async () => {
    const driver = mapDriver({ delay: 100 });
    const app = Fastify();
    await app.register(napiSession, { driver, cookie: 'sid' });
    // A route in another encapsulation context sees request.session (skip-override).
    await app.register(async (child) => {
      child.post('/cart/:sku', async (request, reply) => {
        await request.session.update('cart', (cart = []) => [...cart, request.params.sku]);
        reply.header('set-cookie', 'theme=dark; Path=/');
        return reply.redirect('/cart', 303);
      });
    });
    app.get('/cart', async (request) => ({ cart: (await request.session.get('cart')) ?? [], id: request.session.sessionID }));
    app.post('/logout', async (request) => {
      request.session.destroy();
      return { ok: true };
    });
    const client = browser(await start(app));

    const added = await client.fetch('/cart/tea', { method: 'POST' });
    assert.equal(added.status, 303);
    const cookies = added.headers.getSetCookie();
    assert.equal(cookies[0], 'theme=dark; Path=/', 'the reply\'s own cookie is kept');
    assert.match(cookies[1], /^sid=[0-9a-f-]{36}; HttpOnly; SameSite=Lax; Path=\/$/);
    assert.equal(driver.data.size, 1, 'stored before the reply left');
    await client.fetch('/cart/mug', { method: 'POST' });
    const cart = await client.fetch('/cart');
    const body = await cart.json();
    assert.deepEqual(body.cart, ['tea', 'mug']);
    assert.equal(body.id, client.jar.get('sid'));
    assert.equal(cart.headers.get('set-cookie'), null, 'a read sends no cookie');

    const logout = await client.fetch('/logout', { method: 'POST' });
    assert.match(logout.headers.get('set-cookie'), /^sid=; .*Max-Age=0/);
    assert.deepEqual((await (await client.fetch('/cart')).json()).cart, []);
  });

  it('reports a storage error through Fastify\'s error handler, and the server stays up', async () => {
    const driver = mapDriver();
    const app = Fastify();
    await app.register(napiSession, { driver });
    app.setErrorHandler((error, request, reply) => reply.status(503).send({ code: error.code, message: error.message }));
    app.get('/', async (request) => {
      const visits = ((await request.session.get('visits')) ?? 0) + 1;
      request.session.set('visits', visits);
      return { visits };
    });
    const client = browser(await start(app));
    assert.deepEqual(await (await client.fetch('/')).json(), { visits: 1 });
    driver.down = true;
    const writes = driver.writes;
    const failed = await client.fetch('/');
    assert.equal(failed.status, 503);
    assert.equal(driver.writes - writes, 1, 'the error reply does not try the commit again');
    const body = await failed.json();
    assert.equal(body.code, 'ERR_SESSION_STORAGE');
    assert.match(body.message, /store is down/);
    driver.down = false;
    assert.deepEqual(await (await client.fetch('/')).json(), { visits: 2 });
  });

  it('follows fastify-plugin\'s conventions, and takes an existing Sessions object', async () => {
    assert.equal(napiSession[Symbol.for('skip-override')], true);
    assert.equal(napiSession[Symbol.for('fastify.display-name')], 'napi-session');
    assert.deepEqual(napiSession[Symbol.for('plugin-meta')], { name: 'napi-session', fastify: '4.x || 5.x' });
    const sessions = createSessions({ driver: 'memory' });
    const app = Fastify();
    await app.register(napiSession, { sessions });
    app.get('/', async (request) => {
      request.session.set('n', 1);
      return 'ok';
    });
    await app.ready();
    assert.ok(app.hasPlugin('napi-session'));
    const response = await app.inject({ method: 'GET', url: '/' });
    const [cookie] = new CookieJar().apply([].concat(response.headers['set-cookie'])).header().split('; ');
    assert.equal(await sessions.fromRequest(cookie).get('n'), 1, 'the session went to the Sessions given');
    await app.close();

    const wrong = Fastify();
    wrong.register(napiSession, { driver: 'mongo' });
    await assert.rejects(wrong.ready(), (error) => error.code === 'ERR_SESSION_CONFIG' && /unknown driver "mongo"/.test(error.message));
  });

  it('refuses a wrong sessions option, or sessions beside createSessions() options, with a SessionError that says which', async () => {
    const cases = [
      [{ sessions: createSessions({ driver: 'memory' }), driver: 'fs' }, /not both \(also given: driver\)/],
      [{ sessions: {} }, /sessions must be what createSessions\(\) returns \(got object\)/],
    ];
    for (const [options, message] of cases) {
      const app = Fastify();
      app.register(napiSession, options);
      await assert.rejects(app.ready(), (error) => {
        assert.equal(error.name, 'SessionError');
        assert.equal(error.code, 'ERR_SESSION_CONFIG');
        assert.match(error.message, /^napi-session\/fastify: /);
        assert.match(error.message, message);
        return true;
      });
    }
  });
});
