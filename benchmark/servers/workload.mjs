// The workload every session stack runs, and the HTTP server around it. Each server file
// (bare.mjs, napi-session.mjs, astro.mjs) only says how a request's session is opened and
// persisted; the routes, the cart and the response are the same code for all of them, so the
// stacks differ in their session work and nothing else.
//
// A server runs as a child process of benchmark/session.mjs: it listens on a free port of
// 127.0.0.1, reports it over IPC, and answers `cpu` messages with its CPU time (all threads, so
// the Rust threads of napi-session count too).

import http from 'node:http';

export const COOKIE_NAME = 'astro-session';
/** Seconds; Astro's `session.ttl`, and ours: every value is stored with an expiry. */
export const TTL = 3600;
/** Items in a cart: about 1.5 KB of devalue text, stored in a session of about 1.6 KB. */
export const CART_ITEMS = 16;

const NAMES = ['Beans', 'Tea', 'Mug', 'Kettle', 'Grinder', 'Filter', 'Scale', 'Tamper', 'Cup', 'Spoon'];
const PRICES = [4.5, 9.99, 12, 24.9, 3.25];
const T0 = Date.UTC(2025, 0, 1);
/** Products a request may add: a few more than a cart holds, so requests both add and update. */
const PRODUCTS = CART_ITEMS + 4;

function item(i, at) {
  return { name: `${NAMES[i % NAMES.length]} ${i + 1}`, qty: 1 + (i % 3), price: PRICES[i % PRICES.length], at };
}

/** The cart of a new session: a Map of CART_ITEMS items with names, quantities, prices, Dates. */
export function newCart() {
  const cart = new Map();
  for (let i = 0; i < CART_ITEMS; i++) cart.set(`p${i + 1}`, item(i, new Date(T0 + i * 3_600_000)));
  return cart;
}

/**
 * One request's change to the cart: a random product is added (the oldest item makes room) or,
 * if it is there, its quantity goes up and its date is refreshed.
 */
export function updateCart(cart) {
  const i = Math.floor(Math.random() * PRODUCTS);
  const key = `p${i + 1}`;
  const existing = cart.get(key);
  if (existing) {
    existing.qty += 1;
    existing.at = new Date();
  } else {
    if (cart.size >= CART_ITEMS) cart.delete(cart.keys().next().value);
    cart.set(key, item(i, new Date()));
  }
  return cart;
}

function send(res, status, body, setCookie) {
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (setCookie !== undefined && setCookie.length > 0) headers['set-cookie'] = setCookie;
  res.writeHead(status, headers);
  res.end(body);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The routes, on a session opened by `open(req)` → `{ session, persist(): Promise<string[]> }`
 * (persist saves the session and returns the Set-Cookie values).
 *
 *   GET /             the benchmark: read the cart, change one item, set it back; read the
 *                     visit counter, add one, set it; persist. (A new session gets a new cart.)
 *   GET /set?key=K    set(K, true) and persist: the lost-update check sends many at once.
 *   GET /count        how many keys the session holds, how many of them /set set (`k<n>`),
 *                     and whether it has a cart.
 *   GET /slow?ms=N    read the cart, wait N ms, set `late`, persist: a request in flight…
 *   GET /destroy      …while this one destroys the session.
 */
export function sessionHandler(open) {
  return async (req, res) => {
    try {
      const url = req.url;
      const { session, persist } = open(req);
      if (url === '/') {
        const cart = (await session.get('cart')) ?? newCart();
        session.set('cart', updateCart(cart));
        const visits = ((await session.get('visits')) ?? 0) + 1;
        session.set('visits', visits);
        const setCookie = await persist();
        return send(res, 200, `{"visits":${visits},"items":${cart.size}}`, setCookie);
      }
      const { pathname, searchParams } = new URL(url, 'http://localhost');
      if (pathname === '/set') {
        session.set(searchParams.get('key'), true);
        return send(res, 200, '{}', await persist());
      }
      if (pathname === '/count') {
        const keys = [...(await session.keys())];
        const setCookie = await persist();
        const marked = keys.filter((key) => /^k\d+$/.test(key)).length;
        return send(res, 200, JSON.stringify({ count: keys.length, marked, cart: keys.includes('cart') }), setCookie);
      }
      if (pathname === '/slow') {
        await session.get('cart');
        await sleep(Number(searchParams.get('ms')));
        session.set('late', true);
        return send(res, 200, '{}', await persist());
      }
      if (pathname === '/destroy') {
        session.destroy();
        return send(res, 200, '{}', await persist());
      }
      return send(res, 404, '{"error":"not found"}');
    } catch (error) {
      errors++;
      if (errors <= 3) process.stderr.write(`server error: ${error?.stack ?? error}\n`);
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(error?.message ?? error) }));
    }
  };
}

let errors = 0;

/** Listens on a free port of 127.0.0.1 and reports it to the parent; serves `cpu` requests. */
export function start(name, handler) {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.send({ type: 'ready', name, port: server.address().port, pid: process.pid });
  });
  process.on('message', (message) => {
    if (message?.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send({ type: 'cpu', id: message.id, micros: user + system, errors, rss: process.memoryUsage.rss() });
    } else if (message?.type === 'exit') {
      server.close();
      server.closeAllConnections();
      // Let the profiler (--cpu-prof) write its file on a normal exit.
      setImmediate(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}
