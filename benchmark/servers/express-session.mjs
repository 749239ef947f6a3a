// express-session, the incumbent of Express/Connect apps: its middleware on the same node:http
// server as every other stack (called as Connect calls a middleware, with no Express router: see
// bare-express.mjs for what Express itself adds), with its MemoryStore or connect-redis.
//
// As a real express-session app: the middleware loads the session before the route runs (cookie
// parsed, signature checked, store read, JSON parsed), the route mutates `req.session`, and
// express-session saves it when the response ends (JSON written, store write) and sends a signed
// Set-Cookie whenever the session changed (the cookie has a Max-Age, as the others' records have
// a ttl). express-session keeps JSON: the cart is a plain object (objectCart), and its Dates come
// back as strings — less work than the devalue stacks do, to its advantage.
//
//   node express-session.mjs memory
//   node express-session.mjs redis <url>     (keys `express:<id>`)

import session from 'express-session';
import { COOKIE_NAME, TTL, objectCart, serverError, sessionHandler, start } from './workload.mjs';

const [storeName, url] = process.argv.slice(2);

async function redisStore() {
  const { RedisStore } = await import('connect-redis');
  const { createClient } = await import('redis');
  const client = createClient({ url });
  client.on('error', (error) => process.stderr.write(`express-session redis client: ${error.message}\n`));
  await client.connect();
  return new RedisStore({ client, prefix: 'express:' });
}

const store = storeName === 'redis' ? await redisStore() : new session.MemoryStore();
const middleware = session({
  store,
  name: COOKIE_NAME,
  secret: 'napi-session benchmark: not a secret, 32+ bytes long',
  resave: false,
  saveUninitialized: false,
  cookie: { maxAge: TTL * 1000, httpOnly: true, sameSite: 'lax' },
});

/**
 * The workload's session interface over `req.session`: reads and writes are plain property
 * accesses, persisting is express-session's own business at the end of the response (so persist()
 * has nothing to do but wait for a destroy), and its Set-Cookie is set by the middleware.
 */
function open(req) {
  let destroyed = null;
  const data = req.session;
  return {
    session: {
      get: (key) => data[key],
      set: (key, value) => {
        data[key] = value;
      },
      keys: () => Object.keys(data).filter((key) => key !== 'cookie'),
      destroy() {
        destroyed = new Promise((resolve, reject) => data.destroy((error) => (error ? reject(error) : resolve())));
      },
    },
    async persist() {
      await destroyed;
      return [];
    },
  };
}

const routes = sessionHandler(open, objectCart);

start(`express-session ${storeName}`, (req, res) => {
  middleware(req, res, (error) => (error ? serverError(res, error) : routes(req, res)));
});
