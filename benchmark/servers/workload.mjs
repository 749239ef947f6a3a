// The workload every session stack runs, and the HTTP server around it. Each server file
// (bare.mjs, napi-session.mjs, astro.mjs, express-session.mjs) only says how a request's session is
// opened and persisted; the routes, the cart and the response are the same code for all of them,
// so the stacks differ in their session work and nothing else.
//
// A server runs as a child process of benchmark/session.mjs: it listens on a free port of
// 127.0.0.1, reports it over IPC, and answers `cpu` messages with its CPU time (all threads, so
// the Rust threads of napi-session count too, and the JS thread's alone).

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { jsThreadCpuMicros } from '../lib/thread-cpu.mjs';

export const COOKIE_NAME = 'astro-session';
/** Seconds; Astro's `session.ttl`, and ours: every value is stored with an expiry. */
export const TTL = 3600;
/**
 * Items in a cart: 16 (about 1.5 KB of devalue text, a stored session of about 1.7 KB), or what
 * the benchmark's mode asks for in BENCH_CART_ITEMS (its contention mode: 20). A new session's
 * cart starts full, so every request of a run handles a cart of the same size.
 */
export const CART_ITEMS = Number(process.env.BENCH_CART_ITEMS) > 0 ? Number(process.env.BENCH_CART_ITEMS) : 16;

const NAMES = ['Beans', 'Tea', 'Mug', 'Kettle', 'Grinder', 'Filter', 'Scale', 'Tamper', 'Cup', 'Spoon'];
const PRICES = [4.5, 9.99, 12, 24.9, 3.25];
const T0 = Date.UTC(2025, 0, 1);
/** Products a request may add: a few more than a cart holds, so requests both add and update. */
const PRODUCTS = CART_ITEMS + 4;

function item(i, at) {
  return { name: `${NAMES[i % NAMES.length]} ${i + 1}`, qty: 1 + (i % 3), price: PRICES[i % PRICES.length], at };
}

/** The product a request adds, or changes if the cart has it. */
function pickProduct() {
  const i = Math.floor(Math.random() * PRODUCTS);
  return { i, key: `p${i + 1}` };
}

/**
 * The cart as a `Map` of items with `Date`s, stored as Astro stores values (devalue): what
 * napi-session and Astro keep.
 */
export const mapCart = {
  /** The cart of a new session: CART_ITEMS items with names, quantities, prices, Dates. */
  create() {
    const cart = new Map();
    for (let i = 0; i < CART_ITEMS; i++) cart.set(`p${i + 1}`, item(i, new Date(T0 + i * 3_600_000)));
    return cart;
  },
  /**
   * One request's change: a random product is added (the oldest item makes room) or, if it is
   * there, its quantity goes up and its date is refreshed.
   */
  update(cart) {
    const { i, key } = pickProduct();
    const existing = cart.get(key);
    if (existing) {
      existing.qty += 1;
      existing.at = new Date();
    } else {
      if (cart.size >= CART_ITEMS) cart.delete(cart.keys().next().value);
      cart.set(key, item(i, new Date()));
    }
    return cart;
  },
  size: (cart) => cart.size,
};

/**
 * The same cart as a plain object, for stores that keep JSON (express-session): JSON has no
 * `Map`, and a `Date` comes back from it as a string. Keys such as `p7` keep insertion order.
 */
export const objectCart = {
  create() {
    const cart = {};
    for (let i = 0; i < CART_ITEMS; i++) cart[`p${i + 1}`] = item(i, new Date(T0 + i * 3_600_000));
    return cart;
  },
  update(cart) {
    const { i, key } = pickProduct();
    const existing = cart[key];
    if (existing) {
      existing.qty += 1;
      existing.at = new Date();
    } else {
      const keys = Object.keys(cart);
      if (keys.length >= CART_ITEMS) delete cart[keys[0]];
      cart[key] = item(i, new Date());
    }
    return cart;
  },
  size: (cart) => Object.keys(cart).length,
};

function send(res, status, body, setCookie) {
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (setCookie !== undefined && setCookie.length > 0) headers['set-cookie'] = setCookie;
  res.writeHead(status, headers);
  res.end(body);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The routes, on a session opened by `open(req)` → `{ session, persist(): Promise<string[]> }`
 * (persist saves the session and returns the Set-Cookie values), with the cart as `cart` keeps it
 * (mapCart or objectCart).
 *
 *   GET /             the benchmark: read the cart, change one item, set it back; read the
 *                     visit counter, add one, set it; persist. (A new session gets a new cart.)
 *   GET /set?key=K    set(K, true) and persist: the lost-update check sends many at once.
 *   GET /count        how many keys the session holds, how many of them /set set (`k<n>`),
 *                     and whether it has a cart.
 *   GET /slow?ms=N    read the cart, wait N ms, set `late`, persist: a request in flight…
 *   GET /destroy      …while this one destroys the session.
 */
export function sessionHandler(open, cart = mapCart) {
  return async (req, res) => {
    try {
      const url = req.url;
      const { session, persist } = open(req);
      if (url === '/') {
        const items = cart.update((await session.get('cart')) ?? cart.create());
        session.set('cart', items);
        const visits = ((await session.get('visits')) ?? 0) + 1;
        session.set('visits', visits);
        const setCookie = await persist();
        return send(res, 200, `{"visits":${visits},"items":${cart.size(items)}}`, setCookie);
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
      serverError(res, error);
    }
  };
}

let errors = 0;

/** Answers 500 and counts the error (the benchmark reports any); prints the first few. */
export function serverError(res, error) {
  errors++;
  if (errors <= 3) process.stderr.write(`server error: ${error?.stack ?? error}\n`);
  if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(error?.message ?? error) }));
}

const PREFIX = `${COOKIE_NAME}=`;

/** The value of our cookie in a Cookie header (`a=1; astro-session=…; b=2`). */
function cookieValue(header) {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair.startsWith(PREFIX)) return pair.slice(PREFIX.length);
  }
  return undefined;
}

/**
 * The ceiling, without a session: parses the Cookie header and sets a cookie — what every stack
 * does at the least.
 */
export function cookieOnlyHandler(req, res) {
  const id = cookieValue(req.headers.cookie) ?? randomUUID();
  const body = '{"visits":0,"items":0}';
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': body.length,
    'set-cookie': `${PREFIX}${id}; Path=/; HttpOnly; SameSite=Lax`,
  });
  res.end(body);
}

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
      const jsThreadMicros = jsThreadCpuMicros();
      process.send({ type: 'cpu', id: message.id, micros: user + system, jsThreadMicros, errors, rss: process.memoryUsage.rss() });
    } else if (message?.type === 'exit') {
      server.close();
      server.closeAllConnections();
      // Let the profiler (--cpu-prof) write its file on a normal exit.
      setImmediate(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}
