// napi-session/hono in a real Hono app on @hono/node-server: c.get('session') with this
// package's API, committed after the handlers with Set-Cookie added (also to an immutable
// Response), the server's own env kept (getConnInfo(c) works), storage errors to app.onError.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { session } from 'napi-session/hono';
import { createSessions } from '../../index.mjs';
import { browser } from '../helpers/cookie-jar.mjs';

function listen(app) {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(`http://127.0.0.1:${info.port}`));
    after(() => new Promise((done) => server.close(done)));
  });
}


describe('napi-session/hono', () => {
  it('puts the session in c.get("session"), keeps c.env, and adds the cookie after the handlers', async () => {
    const app = new Hono();
    app.use(session({ driver: 'memory', cookie: 'sid' }));
    app.post('/cart/:sku', async (c) => {
      const s = c.get('session');
      s.set('cart', [...((await s.get('cart')) ?? []), c.req.param('sku')]);
      // Response.redirect() has immutable headers: the cookie goes on a copy.
      return Response.redirect(new URL('/cart', c.req.url), 303);
    });
    app.get('/cart', async (c) => c.json({ cart: (await c.get('session').get('cart')) ?? [], remote: getConnInfo(c).remote.address }));
    const client = browser(await listen(app));
    const added = await client.fetch('/cart/tea', { method: 'POST' });
    assert.equal(added.status, 303);
    assert.match(added.headers.get('set-cookie'), /^sid=[0-9a-f-]{36}; HttpOnly/);
    await client.fetch('/cart/mug', { method: 'POST' });
    const cart = await client.fetch('/cart');
    assert.deepEqual(await cart.json(), { cart: ['tea', 'mug'], remote: '127.0.0.1' }, 'getConnInfo(c) reads @hono/node-server\'s env');
    assert.equal(cart.headers.get('set-cookie'), null);
  });

  it('sends a storage error to app.onError, and serves the next request once the store is back', async () => {
    let down = false;
    const data = new Map();
    const driver = {
      getItem: async (key) => data.get(key) ?? null,
      setItem: async (key, value) => {
        if (down) throw new Error('store is down');
        data.set(key, value);
      },
      removeItem: async (key) => data.delete(key),
    };
    const sessions = createSessions({ driver });
    const app = new Hono();
    app.use(session({ sessions }));
    app.onError((error, c) => c.json({ code: error.code, message: error.message }, 503));
    app.get('/', async (c) => {
      const visits = ((await c.get('session').get('visits')) ?? 0) + 1;
      c.get('session').set('visits', visits);
      return c.text(`visit ${visits}`);
    });
    const client = browser(await listen(app));
    assert.equal(await (await client.fetch('/')).text(), 'visit 1');
    down = true;
    const failed = await client.fetch('/');
    assert.equal(failed.status, 503);
    assert.equal((await failed.json()).code, 'ERR_SESSION_STORAGE');
    down = false;
    assert.equal(await (await client.fetch('/')).text(), 'visit 2');
  });

  it('refuses options it cannot use with a SessionError that says why', () => {
    const cases = [
      ['fs', /takes an options object: createSessions\(\) options, or \{ sessions: createSessions\(...\) \} \(got "fs"\)/],
      [null, /takes an options object.*\(got null\)/],
      [{ sessions: createSessions({ driver: 'memory' }), ttl: 5 }, /not both \(also given: ttl\)/],
      [{ sessions: {} }, /sessions must be what createSessions\(\) returns \(got object\)/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => session(options),
        (error) => error.name === 'SessionError' && error.code === 'ERR_SESSION_CONFIG' && /^napi-session\/hono/.test(error.message) && message.test(error.message),
        String(options),
      );
    }
    // Sessions themselves, or nothing at all (the defaults), are fine.
    assert.equal(typeof session(createSessions({ driver: 'memory' })), 'function');
  });
});
