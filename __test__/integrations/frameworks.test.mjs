// Framework glue: Express 5 and Connect through sessions.middleware(), Hono (on
// @hono/node-server) through sessions.handle(), and plain node:http.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import connect from 'connect';
import express from 'express';
import { Hono } from 'hono';
import { createSessions } from '../../index.mjs';
import { browser as openBrowser } from '../helpers/cookie-jar.mjs';

/** A Map-backed driver whose writes take `delay` ms, recording when each write finished. */
function slowDriver(delay = 150) {
  const data = new Map();
  return {
    data,
    async getItem(key) {
      return data.get(key) ?? null;
    },
    async setItem(key, value) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      data.set(key, value);
    },
    async removeItem(key) {
      data.delete(key);
    },
  };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}


describe('Express 5 middleware', () => {
  it('sets req.session and saves it before the redirect leaves', async () => {
    const driver = slowDriver();
    const sessions = createSessions({ driver });
    const app = express();
    app.use(sessions.middleware());
    app.post('/login', (req, res) => {
      req.session.set('user', { name: 'ada' });
      res.redirect(303, '/me');
    });
    app.get('/me', async (req, res) => res.json({ user: (await req.session.get('user')) ?? null }));
    const server = await listen(http.createServer(app));
    try {
      const browser = openBrowser(server.origin);
      const login = await browser.fetch('/login', { method: 'POST' });
      assert.equal(login.status, 303);
      assert.equal(driver.data.size, 1, 'the session was stored before the redirect was received');
      assert.match(login.headers.get('set-cookie'), /^astro-session=[0-9a-f-]{36}; HttpOnly/);
      const me = await browser.fetch('/me');
      assert.deepStrictEqual(await me.json(), { user: { name: 'ada' } });
      assert.equal(me.headers.get('set-cookie'), null, 'a read-only request sends no cookie');
    } finally {
      await server.close();
    }
  });

  it('keeps headers given to writeHead, streams in order, and passes storage errors to next(err)', async () => {
    let fail = false;
    const driver = slowDriver(10);
    const setItem = driver.setItem;
    driver.setItem = async (...args) => {
      if (fail) throw new Error('store is down');
      return setItem(...args);
    };
    const sessions = createSessions({ driver });
    const app = express();
    app.use(sessions.middleware());
    app.get('/stream', (req, res) => {
      req.session.set('n', 1);
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'theme=dark' });
      res.write('a');
      res.write('b');
      res.end('c');
    });
    app.use((error, req, res, _next) => res.status(503).json({ code: error.code, message: error.message }));
    const server = await listen(http.createServer(app));
    try {
      const browser = openBrowser(server.origin);
      const streamed = await browser.fetch('/stream');
      assert.equal(await streamed.text(), 'abc');
      const cookies = streamed.headers.getSetCookie();
      assert.equal(cookies.length, 2);
      assert.equal(cookies[0], 'theme=dark');
      assert.match(cookies[1], /^astro-session=/);

      fail = true;
      const failed = await openBrowser(server.origin).fetch('/stream');
      assert.equal(failed.status, 503);
      const body = await failed.json();
      assert.equal(body.code, 'ERR_SESSION_STORAGE');
      assert.match(body.message, /store is down/);
    } finally {
      await server.close();
    }
  });
});

describe('express-session habits with sessions.middleware()', () => {
  it('regenerate(cb) and destroy(cb) are refused at once, pointing to napi-session/express, instead of never calling back', async () => {
    const sessions = createSessions({ driver: 'memory' });
    const app = express();
    app.use(sessions.middleware());
    app.post('/login', (req, res) => req.session.regenerate(() => res.end('never')));
    app.post('/logout', (req, res) => req.session.destroy(() => res.end('never')));
    app.use((error, req, res, _next) => res.status(500).json({ code: error.code, message: error.message }));
    const server = await listen(http.createServer(app));
    try {
      for (const [path, method] of [['/login', 'regenerate'], ['/logout', 'destroy']]) {
        const response = await fetch(server.origin + path, { method: 'POST', signal: AbortSignal.timeout(5_000) });
        assert.equal(response.status, 500);
        const body = await response.json();
        assert.equal(body.code, 'ERR_SESSION_CONFIG');
        assert.match(body.message, new RegExp(`^${method}\\(\\) takes no callback.*use napi-session/express`));
      }
    } finally {
      await server.close();
    }
  });
});

describe('Connect middleware', () => {
  it('works the same', async () => {
    const sessions = createSessions({ driver: 'memory' });
    const app = connect();
    app.use(sessions.middleware());
    app.use(async (req, res) => {
      const visits = ((await req.session.get('visits')) ?? 0) + 1;
      req.session.set('visits', visits);
      res.setHeader('content-type', 'text/plain');
      res.end(String(visits));
    });
    const server = await listen(http.createServer(app));
    try {
      const browser = openBrowser(server.origin);
      assert.equal(await (await browser.fetch('/')).text(), '1');
      assert.equal(await (await browser.fetch('/')).text(), '2');
      assert.equal(await (await browser.fetch('/')).text(), '3');
    } finally {
      await server.close();
    }
  });
});

describe('Hono on @hono/node-server, with handle()', () => {
  it('passes the session to the app and adds Set-Cookie to its Response', async () => {
    const sessions = createSessions({ driver: 'memory' });
    const app = new Hono();
    app.post('/cart/:sku', async (c) => {
      const { session } = c.env;
      const cart = (await session.get('cart')) ?? [];
      session.set('cart', [...cart, c.req.param('sku')]);
      return c.redirect('/cart', 303);
    });
    app.get('/cart', async (c) => c.json(await c.env.session.get('cart')));
    const server = serve({
      fetch: sessions.handle((request, session) => app.fetch(request, { session })),
      port: 0,
      hostname: '127.0.0.1',
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    try {
      const browser = openBrowser(origin);
      const added = await browser.fetch('/cart/tea', { method: 'POST' });
      assert.equal(added.status, 303);
      assert.match(added.headers.get('set-cookie'), /^astro-session=/);
      await browser.fetch('/cart/mug', { method: 'POST' });
      assert.deepStrictEqual(await (await browser.fetch('/cart')).json(), ['tea', 'mug']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('copies a Response whose headers cannot change', async () => {
    const sessions = createSessions({ driver: 'memory' });
    const handler = sessions.handle((request, session) => {
      session.set('x', 1);
      return Response.redirect('http://example.com/', 302);
    });
    const response = await handler(new Request('http://localhost/'));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), 'http://example.com/');
    assert.match(response.headers.get('set-cookie'), /^astro-session=/);
  });
});
