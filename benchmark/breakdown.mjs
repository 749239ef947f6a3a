// Where the time of one benchmark request goes, without HTTP: the request's session work step by
// step, for napi-session and for Astro, on the memory drivers, one request at a time and with
// many in flight. Evidence for benchmark/README.md's "where time goes".
//
//   node benchmark/breakdown.mjs [--requests=N] [--concurrency=N]

import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSessions } from '../index.mjs';
import { astroDriver, astroSession } from './harness/astro-session.mjs';
import { jsThreadCpuMicros } from './lib/thread-cpu.mjs';
import { COOKIE_NAME, TTL, mapCart } from './servers/workload.mjs';

const require = createRequire(import.meta.url);
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const handoff = require(path.join(root, 'lib/handoff.js'));
const memoryDriver = await astroDriver('memory');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const REQUESTS = Number(args.requests ?? 4000);
const CONCURRENCY = Number(args.concurrency ?? 32);
const SESSIONS = 64;

// ---- the stacks, opened on a Cookie header
const sessions = createSessions({ driver: 'memory', cookie: COOKIE_NAME, ttl: TTL });
const ours = (cookie) => {
  const session = sessions.fromRequest(cookie);
  return { session, persist: () => session.commit() };
};
const astro = (cookie) =>
  astroSession({ driverFactory: memoryDriver, driver: 'memory', cookieHeader: cookie, ttl: TTL, cookie: COOKIE_NAME });

/** Runs `work` (async), returning CPU µs of all threads and of the JS thread, and wall µs. */
async function measured(work) {
  const cpu = process.cpuUsage();
  const main = jsThreadCpuMicros();
  const start = performance.now();
  await work();
  const wall = (performance.now() - start) * 1000;
  const { user, system } = process.cpuUsage(cpu);
  return { wall, cpu: user + system, main: jsThreadCpuMicros() - main };
}

const STEPS = ['open', 'get cart', 'update', 'set cart', 'get visits', 'set visits', 'persist'];

/** One benchmark request; with `times`, adds each step's wall time to it. */
async function request(open, cookie, times) {
  let t = performance.now();
  const lap = (i) => {
    if (!times) return;
    const now = performance.now();
    times[i] += now - t;
    t = now;
  };
  const { session, persist } = open(cookie);
  lap(0);
  const cart = (await session.get('cart')) ?? mapCart.create();
  lap(1);
  mapCart.update(cart);
  lap(2);
  session.set('cart', cart);
  lap(3);
  const visits = ((await session.get('visits')) ?? 0) + 1;
  lap(4);
  session.set('visits', visits);
  lap(5);
  const setCookie = await persist();
  lap(6);
  return setCookie;
}

async function pool(open) {
  const cookies = [];
  for (let i = 0; i < SESSIONS; i++) {
    const setCookie = await request(open, '');
    cookies.push(setCookie[0].split(';')[0]);
  }
  return cookies;
}

async function sequential(open, cookies) {
  const times = new Array(STEPS.length).fill(0);
  for (let i = 0; i < REQUESTS / 4; i++) await request(open, cookies[i % SESSIONS]);
  const m = await measured(async () => {
    for (let i = 0; i < REQUESTS; i++) await request(open, cookies[i % SESSIONS], times);
  });
  return { wall: m.wall / REQUESTS, cpu: m.cpu / REQUESTS, main: m.main / REQUESTS, steps: times.map((t) => (t * 1000) / REQUESTS) };
}

async function concurrent(open, cookies) {
  let next = 0;
  const worker = async (w) => {
    while (next < REQUESTS) {
      next++;
      // each worker its own sessions, as in the HTTP benchmark
      await request(open, cookies[(w + CONCURRENCY * (next % 2)) % SESSIONS]);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  next = 0;
  const m = await measured(() => Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w))));
  return { wall: m.wall / REQUESTS, cpu: m.cpu / REQUESTS, main: m.main / REQUESTS };
}

/** Synchronous pieces of our stack, each timed alone (µs per call). */
function pieces(cookies) {
  // The fastest of several batches: on a shared machine, the minimum is the figure noise
  // inflates least.
  const time = (f, n = 1000, batches = 7) => {
    for (let i = 0; i < n / 2; i++) f();
    let best = Infinity;
    for (let b = 0; b < batches; b++) {
      const start = performance.now();
      for (let i = 0; i < n; i++) f();
      best = Math.min(best, ((performance.now() - start) * 1000) / n);
    }
    return best;
  };
  const cart = mapCart.create();
  const bytes = handoff.encode(cart, () => '');
  const describe = () => '';
  // The record as stored (Astro's format), for the Rust-side pieces, timed here on the JS thread.
  const devalue = require('devalue');
  const expires = Date.now() + TTL * 1000;
  const record = devalue.stringify(new Map([['cart', { data: cart, expires }], ['visits', { data: 7, expires }]]));
  const native = require(path.join(root, 'lib/native.js'));
  const recordBytes = handoff.encode(devalue.parse(record), describe);
  return {
    [`Rust devalue parse + V8 write of the record (${record.length} B)`]: time(() => native.parse(record)),
    'Rust V8 read + devalue stringify of the record': time(() => native.stringify(recordBytes)),
    'handoff.validate(cart) (JS walk)': time(() => handoff.validate(cart, describe)),
    'handoff.encode(cart) (walk + v8.Serializer)': time(() => handoff.encode(cart, describe)),
    'handoff.decode(cart) (v8.Deserializer)': time(() => handoff.decode(bytes)),
    'fromRequest(cookie)': time(() => sessions.fromRequest(cookies[0])),
    'devalue.stringify(cart) (Astro)': time(() => require('devalue').stringify(cart)),
  };
}

/**
 * The cost of one async round trip into Rust and back, with no work in it: commit() of a session
 * with no changes (resolves to [] at once, on a tokio thread). CPU counts every thread.
 */
async function roundTrips() {
  const out = {};
  for (const inFlight of [1, CONCURRENCY]) {
    const n = REQUESTS * 2;
    const run = async () => {
      let next = 0;
      const worker = async () => {
        while (next++ < n) await sessions.fromRequest('').commit();
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    };
    await run();
    const m = await measured(run);
    out[inFlight] = { wall: m.wall / n, cpu: m.cpu / n, main: m.main / n };
  }
  const n = REQUESTS * 2;
  const m = await measured(async () => {
    for (let i = 0; i < n; i++) sessions.fromRequest('').sessionID;
  });
  const sync = m.cpu / n;
  return { out, sync };
}

const fmt = (n) => n.toFixed(1).padStart(7);
for (const [name, open] of [['napi-session memory', ours], ['Astro memory', astro]]) {
  const cookies = await pool(open);
  const seq = await sequential(open, cookies);
  const conc = await concurrent(open, cookies);
  console.log(`\n${name}`);
  console.log(`  one at a time: ${fmt(seq.wall)} µs wall, ${fmt(seq.cpu)} µs CPU (all threads), ${fmt(seq.main)} µs on the JS thread, per request`);
  for (let i = 0; i < STEPS.length; i++) console.log(`    ${STEPS[i].padEnd(12)} ${fmt(seq.steps[i])} µs`);
  console.log(`  ${CONCURRENCY} in flight:   ${fmt(conc.wall)} µs wall, ${fmt(conc.cpu)} µs CPU (all threads), ${fmt(conc.main)} µs on the JS thread, per request`);
  if (open === ours) {
    for (const [piece, us] of Object.entries(pieces(cookies))) console.log(`    ${piece.padEnd(46)} ${fmt(us)} µs`);
    const { out, sync } = await roundTrips();
    console.log(`  an empty async round trip (commit() of an unchanged session), fromRequest() included:`);
    for (const [inFlight, r] of Object.entries(out)) {
      console.log(`    ${String(inFlight).padStart(2)} in flight: ${fmt(r.wall)} µs wall, ${fmt(r.cpu)} µs CPU (all threads), ${fmt(r.main)} µs on the JS thread, each`);
    }
    console.log(`    fromRequest() + sessionID alone (sync): ${fmt(sync)} µs CPU`);
  }
}
