// Codec benchmark: napi-session's stringify/parse against devalue (with Astro's URL reducer and
// reviver), on a session as Astro stores it — Map<key, { data, expires }> holding a cart (items
// with ids, names, quantities, prices, Dates, a Map of options), a user and a flash message — at
// about 1 KB, 10 KB and 100 KB of devalue text. Then where our time goes: the JS walk that checks
// the value plus V8's serializer (lib/handoff.js `encode`), the native call, and `decode`.
//
//   npm run bench:codec          (node benchmark/codec.mjs --time=300 --rounds=3: ms per timing,
//                                 and rounds, of which each figure is the best)
//
// Read the ratios, not the microseconds: this runs on a noisy 2-core machine. Measured there
// (Node 20, release build, other builds running), devalue/ours: stringify ~1.0× at 1 KB, 1.4–2.1×
// at 10 KB, 1.7–1.9× at 100 KB; parse 0.4–0.6× at every size (ours about twice as slow). At 1 KB
// the hand-off is half of each call: encode (check walk + V8's serializer) is about half of our
// stringify, and decode (V8's deserializer) alone costs about what the whole devalue.parse does.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const require = createRequire(import.meta.url);
const devalue = require('devalue');
const { stringify, parse } = require('../index.js');
const native = require('../lib/native.js');
const handoff = require('../lib/handoff.js');
// devalue does not export its package.json: find it next to its entry point.
const devalueVersion = JSON.parse(readFileSync(join(dirname(require.resolve('devalue')), 'package.json'), 'utf8')).version;

const URL_REDUCER = { URL: (value) => value instanceof URL && value.href };
const URL_REVIVER = { URL: (href) => new URL(href) };

const option = (name, fallback) => {
  const argument = process.argv.find((a) => a.startsWith(`--${name}=`));
  return argument ? Number(argument.slice(name.length + 3)) : fallback;
};
/** Milliseconds per timing, and rounds: each figure is the best of its rounds (noise only adds). */
const TIME_MS = option('time', 300);
const ROUNDS = option('rounds', 3);

// ---------------------------------------------------------------------------------------------
// The session

const T0 = Date.UTC(2025, 0, 15, 9, 30);

function item(i) {
  return {
    id: 100000 + i,
    sku: `SKU-${String(i).padStart(5, '0')}`,
    name: `Product ${i}: ${['Linen shirt', 'Espresso cups (set of 4)', 'Trail runners', 'Notebook, dotted'][i % 4]}`,
    quantity: 1 + (i % 3),
    price: Math.round((9.99 + i * 3.17) * 100) / 100,
    discounted: i % 5 === 0,
    addedAt: new Date(T0 + i * 61_000),
    options: new Map([['size', ['S', 'M', 'L'][i % 3]], ['color', ['blue', 'sand', 'black'][i % 3]]]),
  };
}

/** Astro's stored form of a session with a cart of `items` items. */
function session(items) {
  const expires = T0 + 3_600_000;
  const cart = {
    id: 'c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01',
    currency: 'EUR',
    items: Array.from({ length: items }, (_, i) => item(i)),
    coupons: new Set(['WELCOME10']),
    updatedAt: new Date(T0 + items * 61_000),
  };
  const user = {
    id: 'u-5f2d1c9a',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    roles: ['customer', 'beta'],
    lastLogin: new Date(T0 - 86_400_000),
    preferences: new Map([['theme', 'dark'], ['locale', 'en-GB'], ['newsletter', true]]),
    avatar: new URL('https://cdn.example.com/avatars/ada.png'),
  };
  return new Map([
    ['cart', { data: cart, expires }],
    ['user', { data: user, expires }],
    ['flash', { data: 'Your cart was saved.', expires: undefined }],
  ]);
}

/** The session whose devalue text is closest to `bytes` long. */
function sessionOfSize(bytes) {
  let items = 1;
  while (devalue.stringify(session(items * 2), URL_REDUCER).length < bytes) items *= 2;
  let lo = items;
  let hi = items * 2;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (devalue.stringify(session(mid), URL_REDUCER).length < bytes) lo = mid;
    else hi = mid;
  }
  return session(lo);
}

// ---------------------------------------------------------------------------------------------
// Timing

let sink = 0;

/** Nanoseconds per call of `fn`: a warm-up, then batches until TIME_MS has passed. */
function time(fn) {
  const warmUntil = performance.now() + Math.min(200, TIME_MS / 2);
  while (performance.now() < warmUntil) for (let i = 0; i < 10; i++) sink ^= consume(fn());
  let calls = 0;
  let elapsed = 0n;
  let batch = 16;
  while (elapsed < BigInt(TIME_MS) * 1_000_000n) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) sink ^= consume(fn());
    elapsed += process.hrtime.bigint() - start;
    calls += batch;
    batch = Math.min(batch * 2, 4096);
  }
  return Number(elapsed) / calls;
}

function consume(result) {
  if (typeof result === 'string') return result.length;
  if (result instanceof Uint8Array) return result.length;
  return result === undefined ? 0 : 1;
}

const us = (ns) => (ns / 1000).toFixed(ns < 10_000 ? 2 : 1);
const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);

// ---------------------------------------------------------------------------------------------

const describe = (path, reason) => `${reason}${path ? ` (at ${path})` : ''}`;
const sizes = [
  ['~1 KB', 1_000],
  ['~10 KB', 10_000],
  ['~100 KB', 100_000],
];

console.log(`napi-session codec vs devalue ${devalueVersion} (Astro's URL reducer/reviver), Node ${process.version}; best of ${ROUNDS} rounds of ${TIME_MS} ms\n`);

const cases = [];
for (const [label, bytes] of sizes) {
  const value = sessionOfSize(bytes);
  const text = devalue.stringify(value, URL_REDUCER);

  // The benchmark means nothing if the outputs differ.
  if (stringify(value) !== text) throw new Error(`stringify differs from devalue at ${label}`);
  const parsed = parse(text);
  const expected = devalue.parse(text, URL_REVIVER);
  if (!isDeepStrictEqual(parsed, expected) || parsed.get('user').data.avatar.href !== expected.get('user').data.avatar.href) {
    throw new Error(`parse differs from devalue at ${label}`);
  }

  const handoffBytes = handoff.encode(value, describe);
  const wellFormed = text.isWellFormed();
  const parsedBytes = wellFormed ? native.parse(text) : native.parseUtf16(text);
  cases.push({
    label,
    sizes: { text: text.length, handoff: handoffBytes.length },
    timings: {
      devalueStringify: () => devalue.stringify(value, URL_REDUCER),
      stringify: () => stringify(value),
      devalueParse: () => devalue.parse(text, URL_REVIVER),
      parse: () => parse(text),
      validate: () => handoff.validate(value, describe),
      encode: () => handoff.encode(value, describe),
      nativeStringify: () => native.stringify(handoffBytes),
      nativeParse: () => (wellFormed ? native.parse(text) : native.parseUtf16(text)),
      decode: () => handoff.decode(parsedBytes),
    },
    best: {},
  });
}

for (let round = 0; round < ROUNDS; round++) {
  for (const { timings, best } of cases) {
    for (const [name, fn] of Object.entries(timings)) best[name] = Math.min(best[name] ?? Infinity, time(fn));
  }
}

const rows = [];
const breakdown = [];
for (const { label, sizes: size, best: b } of cases) {
  rows.push([label, 'stringify', b.devalueStringify, b.stringify]);
  rows.push(['', 'parse', b.devalueParse, b.parse]);
  breakdown.push({ label, text: size.text, handoff: size.handoff, ...b });
}

console.log(`${padEnd('session', 9)} ${padEnd('operation', 10)} ${pad('devalue µs/op', 14)} ${pad('ours µs/op', 11)} ${pad('devalue/ours', 13)}`);
for (const [label, operation, theirs, ours] of rows) {
  console.log(`${padEnd(label, 9)} ${padEnd(operation, 10)} ${pad(us(theirs), 14)} ${pad(us(ours), 11)} ${pad(`${(theirs / ours).toFixed(2)}×`, 13)}`);
}
console.log('(devalue/ours > 1: ours is faster)\n');

console.log('Where our time goes, µs/op (share of the whole call):');
console.log(`${padEnd('session', 9)} ${pad('text B', 8)} ${pad('hand-off B', 11)} | stringify: ${pad('check walk', 11)} ${pad('+V8 ser.', 9)} ${pad('= encode', 9)} ${pad('native', 8)} ${pad('whole', 7)} | parse: ${pad('native', 8)} ${pad('decode', 8)} ${pad('whole', 7)}`);
for (const b of breakdown) {
  const share = (part, whole) => `${us(part)} (${Math.round((100 * part) / whole)}%)`;
  console.log(
    `${padEnd(b.label, 9)} ${pad(b.text, 8)} ${pad(b.handoff, 11)} | ${' '.repeat(11)}${pad(us(b.validate), 11)} ${pad(us(b.encode - b.validate), 9)} ${pad(us(b.encode), 9)} ${pad(us(b.nativeStringify), 8)} ${pad(us(b.stringify), 7)} | ${' '.repeat(7)}${pad(us(b.nativeParse), 8)} ${pad(us(b.decode), 8)} ${pad(us(b.parse), 7)}`,
  );
  console.log(
    `${' '.repeat(32)}| ${' '.repeat(11)}encode ${share(b.encode, b.stringify)}, native ${share(b.nativeStringify, b.stringify)}${' '.repeat(6)}| ${' '.repeat(7)}native ${share(b.nativeParse, b.parse)}, decode ${share(b.decode, b.parse)}`,
  );
}
console.log('\ncheck walk: lib/handoff.js validate (devalue\'s rules, URLs, Buffers); +V8 ser.: new v8.Serializer() and writeValue;');
console.log('native: the napi call (V8 format → devalue text, or devalue text → V8 format) in Rust; decode: v8.Deserializer in JS.');
if (sink === 0.5) console.log(sink); // keeps results alive
