// Tests of the codec (stringify / parse) on fixed inputs: devalue's exact output for a table of
// values, every error a user can meet, hostile and broken input, prototype pollution, and nesting
// 100 000 levels deep. Random graphs are in codec-differential.test.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as devalue from 'devalue';
import { stringify, parse, SessionError } from '../../index.mjs';
import {
  arbitraryValue,
  attempt,
  caseRandom,
  describeError,
  graphDiff,
  seedFromEnv,
  URL_REDUCER,
  URL_REVIVER,
  visible,
} from '../helpers/values/index.mjs';

const SEED = seedFromEnv();
const FIXTURES = new URL('../../core/fixtures/devalue.json', import.meta.url);

const evaluate = (js) => (0, eval)(`(${js})`);

/** Asserts that `fn` throws a SessionError with `code`, and gives it. */
function assertSessionError(fn, code, context) {
  const result = attempt(fn);
  assert.ok(!result.ok, `${context}: expected ${code}, got a value`);
  assert.ok(result.error instanceof SessionError, `${context}: expected a SessionError ${code}, got ${describeError(result.error)}`);
  assert.equal(result.error.code, code, `${context}: ${describeError(result.error)}`);
  assert.equal(result.error.name, 'SessionError');
  return result.error;
}

// ---------------------------------------------------------------------------------------------
// Fixtures: value → devalue's exact text

// Cases of our own, beside core/fixtures/devalue.json (the codec's shared table): Node Buffers,
// both sides of devalue's holes-or-sparse rule, primitives shared with equal ones, lone surrogates.
// Every text here was written by devalue 5.9.4 with Astro's URL reducer; the first test below
// checks that the installed devalue still writes it.
const EXTRA_FIXTURES = [
  { name: "buffer-pooled", js: "Buffer.from(\"abc\")", devalue: "[[\"Uint8Array\",1],[\"ArrayBuffer\",\"YWJj\"]]" },
  { name: "buffer-subarray", js: "Buffer.from(\"hello\").subarray(1, 3)", devalue: "[[\"Uint8Array\",1],[\"ArrayBuffer\",\"ZWw=\"]]" },
  { name: "buffer-twice", js: "(() => { const b = Buffer.from(\"xy\"); return [b, b]; })()", devalue: "[[1,1],[\"Uint8Array\",2],[\"ArrayBuffer\",\"eHk=\"]]" },
  { name: "buffer-and-its-arraybuffer", js: "(() => { const b = Buffer.alloc(4, 1); return [b, b.buffer]; })()", devalue: "[[1,3],[\"Uint8Array\",2],[\"ArrayBuffer\",\"AQEBAQ==\"],[\"ArrayBuffer\",\"AQEBAQ==\"]]" },
  { name: "buffer-over-shared-arraybuffer", js: "(() => { const ab = new Uint8Array([1, 2, 3, 4]).buffer; return [Buffer.from(ab, 1, 2), new Uint8Array(ab, 1, 2), ab]; })()", devalue: "[[1,3,4],[\"Uint8Array\",2],[\"ArrayBuffer\",\"AgM=\"],[\"Uint8Array\",4,1,2],[\"ArrayBuffer\",\"AQIDBA==\"]]" },
  { name: "array-one-hole", js: "new Array(1)", devalue: "[[-2]]" },
  { name: "array-two-holes", js: "new Array(2)", devalue: "[[-7,2]]" },
  { name: "array-leading-hole", js: "[, 1]", devalue: "[[-2,1],1]" },
  { name: "array-trailing-holes", js: "[1, , ,]", devalue: "[[1,-2,-2],1]" },
  { name: "array-holes-cheaper", js: "[1, , 2, , 3, , 4]", devalue: "[[1,-2,2,-2,3,-2,4],1,2,3,4]" },
  { name: "array-sparse-cheaper", js: "Object.assign(new Array(12), { 11: \"last\" })", devalue: "[[-7,12,11,1],\"last\"]" },
  { name: "array-undefined-vs-hole", js: "[undefined, , null]", devalue: "[[-1,-2,1],null]" },
  { name: "array-sparse-million", js: "(() => { const a = []; a[1e6] = 1; a[3] = \"three\"; return a; })()", devalue: "[[-7,1000001,3,1,1000000,2],\"three\",1]" },
  { name: "array-sparse-max-length", js: "(() => { const a = []; a[2 ** 32 - 2] = \"x\"; return a; })()", devalue: "[[-7,4294967295,4294967294,1],\"x\"]" },
  { name: "array-empty-max-length", js: "new Array(2 ** 32 - 1)", devalue: "[[-7,4294967295]]" },
  { name: "array-sparse-shared-item", js: "(() => { const o = { o: 1 }; const a = [o]; a[100] = o; return a; })()", devalue: "[[-7,101,0,1,100,1],{\"o\":2},1]" },
  { name: "numbers-edge", js: "[1e21, 1e-7, 5e-324, 123e-20, 2 ** 53 + 2, 1.7976931348623157e308, 0.1 + 0.2, -1e-7, 1e20, 4.35, 1e-6, 2 ** 31, -(2 ** 31) - 1]", devalue: "[[1,2,3,4,5,6,7,8,9,10,11,12,13],1e+21,1e-7,5e-324,1.23e-18,9007199254740994,1.7976931348623157e+308,0.30000000000000004,-1e-7,100000000000000000000,4.35,0.000001,2147483648,-2147483649]" },
  { name: "numbers-shared-with-strings", js: "[1, \"1\", 1, true, \"true\", null, \"null\", 1.5, \"1.5\"]", devalue: "[[1,2,1,3,4,5,6,7,8],1,\"1\",true,\"true\",null,\"null\",1.5,\"1.5\"]" },
  { name: "string-escapes", js: "\"\\\"\\\\<>/\\n\\r\\t\\b\\f\\u2028\\u2029\\u0000\\u001f\\u007f\\u0080\"", devalue: "[\"\\\"\\\\\\u003C>/\\n\\r\\t\\b\\f\\u2028\\u2029\\u0000\\u001f\"]" },
  { name: "string-lone-surrogates", js: "[\"\\ud800\", \"a\\udfffb\", \"\\udc00\\ud800\", \"😀\"]", devalue: "[[1,2,3,4],\"\ud800\",\"a\udfffb\",\"\udc00\ud800\",\"😀\"]" },
  { name: "string-non-latin1", js: "\"é中😀\\ufeff\\uffff\"", devalue: "[\"é中😀﻿￿\"]" },
  { name: "key-lone-surrogate", js: "({ \"\\ud800\": 1, \"<\": 2, \"\\u2028\": 3 })", devalue: "[{\"\ud800\":1,\"\\u003C\":2,\"\\u2028\":3},1,2,3]" },
  { name: "keys-integer-like-order", js: "({ b: 1, 2: 2, a: 3, 1: 4, \"01\": 5, \"-1\": 6, 4294967294: 7, 4294967295: 8 })", devalue: "[{\"1\":1,\"2\":2,\"4294967294\":3,\"b\":4,\"a\":5,\"01\":6,\"-1\":7,\"4294967295\":8},4,2,7,1,3,5,6,8]" },
  { name: "null-proto-integer-keys", js: "Object.assign(Object.create(null), { z: 1, 10: 2, 9: 3 })", devalue: "[[\"null\",\"9\",1,\"10\",2,\"z\",3],3,2,1]" },
  { name: "url-and-href-string", js: "(() => { const u = new URL(\"https://example.com/a?b=<c>\"); return [u.href, u, new Set([u]), new Map([[u, u.href]])]; })()", devalue: "[[1,2,3,4],\"https://example.com/a?b=%3Cc%3E\",[\"URL\",1],[\"Set\",2],[\"Map\",2,1]]" },
  { name: "url-root", js: "new URL(\"https://例え.jp/パス\")", devalue: "[[\"URL\",1],\"https://xn--r8jz45g.jp/%E3%83%91%E3%82%B9\"]" },
  { name: "date-edges", js: "[new Date(8.64e15), new Date(-8.64e15), new Date(NaN), new Date(-1), new Date(-62198755200001)]", devalue: "[[1,2,3,4,5],[\"Date\",\"+275760-09-13T00:00:00.000Z\"],[\"Date\",\"-271821-04-20T00:00:00.000Z\"],[\"Date\",\"\"],[\"Date\",\"1969-12-31T23:59:59.999Z\"],[\"Date\",\"-000002-12-31T23:59:59.999Z\"]]" },
  { name: "regexp-flag-order", js: "[new RegExp(\"x\", \"ygd\"), /a\\/b/v, new RegExp(\"\\n<\\u2028\")]", devalue: "[[1,2,3],[\"RegExp\",\"x\",\"dgy\"],[\"RegExp\",\"a\\\\/b\",\"v\"],[\"RegExp\",\"\\\\n\\u003C\\\\u2028\"]]" },
  { name: "boxed-special", js: "[Object(-0), Object(NaN), Object(-Infinity), Object(0n), Object(\"<\"), Object(false)]", devalue: "[[1,2,3,4,6,8],[\"Object\",-6],[\"Object\",-3],[\"Object\",-5],[\"Object\",5],[\"BigInt\",\"0\"],[\"Object\",7],\"\\u003C\",[\"Object\",9],false]" },
  { name: "typed-arrays-all", js: "[new Int8Array([-1]), new Uint8ClampedArray([255]), new Int16Array([-2]), new Uint16Array([2]), new Int32Array([-3]), new Uint32Array([3]), new Float32Array([NaN, -0]), new Float64Array([-0, Infinity]), new BigInt64Array([-(2n ** 63n)]), new BigUint64Array([2n ** 64n - 1n])]", devalue: "[[1,3,5,7,9,11,13,15,17,19],[\"Int8Array\",2],[\"ArrayBuffer\",\"/w==\"],[\"Uint8ClampedArray\",4],[\"ArrayBuffer\",\"/w==\"],[\"Int16Array\",6],[\"ArrayBuffer\",\"/v8=\"],[\"Uint16Array\",8],[\"ArrayBuffer\",\"AgA=\"],[\"Int32Array\",10],[\"ArrayBuffer\",\"/f///w==\"],[\"Uint32Array\",12],[\"ArrayBuffer\",\"AwAAAA==\"],[\"Float32Array\",14],[\"ArrayBuffer\",\"AADAfwAAAIA=\"],[\"Float64Array\",16],[\"ArrayBuffer\",\"AAAAAAAAAIAAAAAAAADwfw==\"],[\"BigInt64Array\",18],[\"ArrayBuffer\",\"AAAAAAAAAIA=\"],[\"BigUint64Array\",20],[\"ArrayBuffer\",\"//////////8=\"]]" },
  { name: "typed-array-views-share", js: "(() => { const b = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer; return [new Uint32Array(b, 4, 1), new DataView(b, 2), new Uint8Array(b), new Int16Array(b).subarray(1, 2), b]; })()", devalue: "[[1,3,4,5,2],[\"Uint32Array\",2,4,1],[\"ArrayBuffer\",\"AQIDBAUGBwg=\"],[\"DataView\",2,2,6],[\"Uint8Array\",2],[\"Int16Array\",2,2,1]]" },
  { name: "map-keyed-by-itself", js: "(() => { const m = new Map(); m.set(m, m); m.set(\"m\", m); return m; })()", devalue: "[[\"Map\",0,0,1,0],\"m\"]" },
  { name: "set-contains-itself", js: "(() => { const s = new Set([1]); s.add(s); return [s, s]; })()", devalue: "[[1,1],[\"Set\",2,1],1]" },
  { name: "object-same-twice-and-cycle", js: "(() => { const a = { n: 1 }; const o = { a, b: a }; o.o = o; a.o = o; return o; })()", devalue: "[{\"a\":1,\"b\":1,\"o\":0},{\"n\":2,\"o\":0},1]" },
  { name: "bigint-edges", js: "[0n, -0n, -1n, 2n ** 64n, -(2n ** 200n)]", devalue: "[[1,1,2,3,4],[\"BigInt\",\"0\"],[\"BigInt\",\"-1\"],[\"BigInt\",\"18446744073709551616\"],[\"BigInt\",\"-1606938044258990275541962092341162602522202993782792835301376\"]]" },
  { name: "astro-session-map", js: "new Map([[\"cart\", { data: [{ id: 1, qty: 2, added: new Date(0) }], expires: 1700000000000 }], [\"flash\", { data: \"hi\", expires: undefined }]])", devalue: "[[\"Map\",1,2,9,10],\"cart\",{\"data\":3,\"expires\":8},[4],{\"id\":5,\"qty\":6,\"added\":7},1,2,[\"Date\",\"1970-01-01T00:00:00.000Z\"],1700000000000,\"flash\",{\"data\":11,\"expires\":-1},\"hi\"]" },
  { name: "arraybuffer-resizable", js: "new ArrayBuffer(4, { maxByteLength: 8 })", devalue: "[[\"ArrayBuffer\",\"AAAAAA==\"]]" },
  { name: "view-length-tracking-on-resizable", js: "new Uint8Array(new ArrayBuffer(4, { maxByteLength: 8 }))", devalue: "[[\"Uint8Array\",1],[\"ArrayBuffer\",\"AAAAAA==\"]]" },
  { name: "dataview-on-resizable", js: "new DataView(new ArrayBuffer(4, { maxByteLength: 8 }), 1, 2)", devalue: "[[\"DataView\",1,1,2],[\"ArrayBuffer\",\"AAAAAA==\"]]" },
  { name: "array-with-named-properties-and-a-method", js: "Object.assign([1, { a: 2 }], { f() {}, named: 1 })", devalue: "[[1,2],1,{\"a\":3},2]" },
  { name: "array-getter-element", js: "Object.defineProperty([1, 2], 1, { get() { return \"g\"; }, enumerable: true })", devalue: "[[1,2],1,\"g\"]" },
  { name: "array-non-enumerable-element", js: "Object.defineProperty([1, 2], 0, { value: 9, enumerable: false })", devalue: "[[1,2],9,2]" },
  { name: "arguments-object", js: "(function () { return arguments; })(1, 2)", devalue: "[{\"0\":1,\"1\":2},1,2]" },
  { name: "date-with-named-property", js: "Object.assign(new Date(0), { x: 1 })", devalue: "[[\"Date\",\"1970-01-01T00:00:00.000Z\"]]" },
  { name: "proxy-of-object", js: "new Proxy({ a: [1] }, {})", devalue: "[{\"a\":1},[2],1]" },
  { name: "proxy-of-array", js: "new Proxy([1, 2], {})", devalue: "[[1,2],1,2]" },
];

/**
 * The shared fixture table of the codec, when this checkout has it — but for the fixtures that
 * need Temporal, which codec-temporal.test.mjs tests with and without it.
 */
function sharedFixtures() {
  if (!existsSync(FIXTURES)) return [];
  return JSON.parse(readFileSync(FIXTURES, 'utf8')).filter((fixture) => fixture.needs === undefined);
}

function fixtureTests(fixtures) {
  return async (t) => {
    for (const fixture of fixtures) {
      await t.test(fixture.name, () => {
        const value = evaluate(fixture.js);
        // The fixture guards itself against drift from the real package.
        assert.equal(devalue.stringify(value, URL_REDUCER), fixture.devalue, `devalue no longer writes this for ${fixture.js}`);
        const written = attempt(() => stringify(value));
        assert.ok(written.ok, `stringify(${fixture.js}) threw ${!written.ok && describeError(written.error)}`);
        assert.equal(visible(written.value, Infinity), visible(fixture.devalue, Infinity), `stringify(${fixture.js})`);
        const read = attempt(() => parse(fixture.devalue));
        assert.ok(read.ok, `parse(${visible(fixture.devalue)}) threw ${!read.ok && describeError(read.error)}`);
        const diff = graphDiff(devalue.parse(fixture.devalue, URL_REVIVER), read.value);
        assert.equal(diff, null, `parse(${visible(fixture.devalue)}) differs from devalue.parse ${diff}`);
      });
    }
  };
}

test('fixtures of core/fixtures/devalue.json', { skip: !existsSync(FIXTURES) && 'core/fixtures/devalue.json is not in this checkout' }, fixtureTests(sharedFixtures()));

test('fixtures of our own (Buffers, holes and sparse arrays, shared primitives, lone surrogates)', fixtureTests(EXTRA_FIXTURES));

test('stringify gives a string and parse a new graph each time', () => {
  const text = stringify({ a: [1] });
  assert.equal(typeof text, 'string');
  const first = parse(text);
  const second = parse(text);
  assert.notEqual(first, second);
  assert.notEqual(first.a, second.a);
  first.a.push(2);
  assert.deepEqual(second, { a: [1] });
});

// ---------------------------------------------------------------------------------------------
// stringify: what cannot be stored

class User {
  constructor() {
    this.name = 'Ada';
  }
}

/** Values devalue refuses, with the reason it gives; devalue's own error names the path. */
const UNSTORABLE = [
  { name: 'function at the root', js: '() => {}', reason: /function/ },
  { name: 'function deep in a cart', js: '({ cart: [1, 2, 3, { id: 4, fn() {} }] })', reason: /function/ },
  { name: 'symbol', js: '({ user: { id: Symbol("id") } })', reason: /Symbol/ },
  { name: 'class instance', js: '({ user: new User() })', reason: /non-POJO/ },
  { name: 'Error', js: '[new Error("x")]', reason: /non-POJO/ },
  { name: 'WeakMap', js: '({ cache: new WeakMap() })', reason: /non-POJO/ },
  { name: 'Promise', js: '({ later: Promise.resolve(1) })', reason: /Promise|thenable/ },
  { name: 'thenable', js: '({ later: { then() {} } })', reason: /Promise|thenable/ },
  { name: 'enumerable symbol key', js: '({ o: { [Symbol("k")]: 1 } })', reason: /symbolic keys/ },
  { name: 'own __proto__ key', js: '({ o: JSON.parse(\'{"a":1,"__proto__":{"polluted":1}}\') })', reason: /__proto__/ },
  { name: 'own __proto__ key (computed)', js: '[{ ["__proto__"]: 1 }]', reason: /__proto__/ },
  { name: 'own __proto__ key of a null-prototype object', js: '({ o: Object.defineProperty(Object.create(null), "__proto__", { value: 1, enumerable: true }) })', reason: /__proto__/ },
  { name: 'odd keys on the path', js: '({ "a b": { "c-d": [null, () => {}] } })', reason: /function/ },
  { name: 'in a Map value', js: '({ m: new Map([["k", () => {}]]) })', reason: /function/ },
  { name: 'in a Map value, number key', js: 'new Map([[1, { f: Symbol() }]])', reason: /Symbol/ },
  { name: 'in a Map key', js: 'new Map([[{ f() {} }, 1]])', reason: /function/ },
  { name: 'a Map key that is a symbol', js: 'new Map([[Symbol("k"), 1]])', reason: /Symbol/ },
  { name: 'in a Set', js: '({ s: new Set([1, () => {}]) })', reason: /function/ },
  { name: 'after holes', js: '[, , () => {}]', reason: /function/ },
  { name: 'in a very sparse array', js: '(() => { const a = []; a[1e6] = { f() {} }; return { a }; })()', reason: /function/ },
  { name: 'behind a shared object (first path wins)', js: '(() => { const o = { f() {} }; return { first: o, second: o }; })()', reason: /function/ },
  { name: 'a Proxy of a class instance', js: '({ p: new Proxy(new User(), {}) })', reason: /non-POJO/ },
  { name: 'a boxed Symbol', js: '({ s: Object(Symbol("x")) })', reason: /non-POJO|Symbol/ },
  { name: 'a SharedArrayBuffer', js: '({ s: new SharedArrayBuffer(4) })', reason: /non-POJO/ },
  { name: 'a view on a SharedArrayBuffer', js: '({ v: new Uint8Array(new SharedArrayBuffer(4)) })', reason: /non-POJO/ },
  { name: 'a detached ArrayBuffer', js: '(() => { const b = new ArrayBuffer(8); structuredClone(b, { transfer: [b] }); return { b }; })()', reason: /detached/ },
  { name: 'a view on a detached ArrayBuffer', js: '(() => { const b = new ArrayBuffer(8); const v = new Uint8Array(b, 2, 2); structuredClone(b, { transfer: [b] }); return { v }; })()', reason: /detached/ },
  { name: 'an object whose prototype is Array.prototype (not an array)', js: '({ a: Object.create(Array.prototype) })', reason: /non-POJO/ },
  { name: 'an object whose prototype is Date.prototype (not a Date)', js: '({ d: Object.create(Date.prototype) })', reason: /non-POJO/ },
  { name: 'an object whose prototype is RegExp.prototype (not a RegExp)', js: '({ r: Object.create(RegExp.prototype) })', reason: /non-POJO/ },
  { name: 'a Proxy of a Map', js: '({ m: new Proxy(new Map(), {}) })', reason: /./ },
  { name: 'a Proxy of a Date', js: '({ d: new Proxy(new Date(0), {}) })', reason: /non-POJO/ },
  { name: 'a Proxy whose ownKeys trap throws', js: '({ p: new Proxy({}, { ownKeys() { throw new Error("trap"); } }) })', reason: /trap/ },
  { name: 'a revoked Proxy', js: '(() => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return { proxy }; })()', reason: /revoked/ },
];

test('stringify refuses what devalue refuses: ERR_SESSION_SERIALIZE naming the path', async (t) => {
  for (const { name, js, reason } of UNSTORABLE) {
    await t.test(name, () => {
      const value = (0, eval)(`(User) => (${js})`)(User);
      const expected = attempt(() => devalue.stringify(value, URL_REDUCER));
      assert.ok(!expected.ok, `devalue no longer refuses ${js}`);
      const error = assertSessionError(() => stringify(value), 'ERR_SESSION_SERIALIZE', `stringify(${js})`);
      assert.match(error.message, reason);
      if (expected.error.path) {
        assert.ok(error.message.includes(expected.error.path), `stringify(${js}): the message ${JSON.stringify(error.message)} does not name devalue's path ${expected.error.path}`);
      }
    });
  }
});

test('the path of a cart item is named as devalue names it: .cart[3].fn', () => {
  const error = assertSessionError(() => stringify({ cart: [1, 2, 3, { fn() {} }] }), 'ERR_SESSION_SERIALIZE', 'cart');
  assert.match(error.message, /\.cart\[3\]\.fn/);
});

test('Map keys on the path are written as devalue writes them', () => {
  for (const key of [1n, '<', undefined, -1.5, 'a"b']) {
    const value = { m: new Map([[key, () => {}]]) };
    const expected = attempt(() => devalue.stringify(value, URL_REDUCER));
    const error = assertSessionError(() => stringify(value), 'ERR_SESSION_SERIALIZE', String(key));
    assert.ok(error.message.includes(expected.error.path), `${JSON.stringify(error.message)} does not name ${expected.error.path}`);
  }
});

test('a getter that throws gives ERR_SESSION_SERIALIZE, not its own error', () => {
  const value = { get broken() { throw new TypeError('boom'); } };
  const error = assertSessionError(() => stringify(value), 'ERR_SESSION_SERIALIZE', 'getter');
  assert.match(error.message, /boom/);
});

test('stringify of a failed value leaves nothing behind: the next call works', () => {
  assertSessionError(() => stringify({ a: [{ f() {} }] }), 'ERR_SESSION_SERIALIZE', 'first');
  const value = { a: [new URL('https://example.com/'), Buffer.from('x')] };
  assert.equal(stringify(value), devalue.stringify(value, URL_REDUCER));
});

test('URLSearchParams is written and read as devalue 5.9 does', () => {
  const value = { q: new URLSearchParams('a=1&b=<2>') };
  const text = devalue.stringify(value, URL_REDUCER);
  assert.equal(text, '[{"q":1},["URLSearchParams","a=1&b=%3C2%3E"]]');
  const written = attempt(() => stringify(value));
  assert.ok(written.ok && written.value === text, `stringify: ${written.ok ? written.value : describeError(written.error)}`);
  const read = attempt(() => parse(text));
  assert.ok(read.ok, `parse: ${!read.ok && describeError(read.error)}`);
  assert.equal(graphDiff(devalue.parse(text, URL_REVIVER), read.value), null);
});

// ---------------------------------------------------------------------------------------------
// parse: broken and hostile input

test('parse takes only a string', () => {
  for (const input of [undefined, null, 123, Buffer.from('[1]'), ['[1]'], { toString: () => '[1]' }]) {
    assertSessionError(() => parse(input), 'ERR_SESSION_PARSE', `parse(${typeof input})`);
  }
});

/**
 * Input parse must refuse with ERR_SESSION_PARSE. devalue refuses all of it too, save where noted:
 * it reads an index that is negative or not an integer as `undefined`, which ours must not.
 */
const BROKEN = {
  'not JSON': ['', ' ', 'not json', '[', '[1,', '[1,]', '[01]', '[1]x', '[1] [2]', '[NaN]', "['a']", '["a', '["\\x"]', '["\\u12"]', '["a\u0001"]', '\ufeff[1]', '[1}', '{"a":1', '[.5]', '[+1]', '[0x10]', '[-]'],
  'not an array': ['{}', '{"a":1}', '"str"', 'null', 'true', 'false', '[]'],
  'a number that is not a special value': ['0', '5', '1.5', '-8', '-0', '-2', '-7', '1e3'],
  'unknown tags': ['[["Foo",1],2]', '[["date","1970-01-01T00:00:00.000Z"]]', '[["Temporal.Now","1970-01-01T00:00:00Z"]]', '[["Temporal.TimeZone","UTC"]]', '[["Error","x"]]', '[["",1],2]', '[["Function","return 1"]]'],
  'indices out of range': ['[[5]]', '[{"a":9}]', '[["Set",3]]', '[["Map",1,7],"k"]', '[["Map",1],"k"]', '[["null","a",4]]', '[["Object",9]]', '[[-7,3,1,8]]', '[[1,2]]'],
  'indices that are not integers': ['[[0.5]]', '[[1.5],1,2]', '[{"a":"1"},2]', '[[null]]', '[[true]]', '[[[1]]]', '[{"a":{}}]', '[["Set","1"],1]', '[["Set",0.5]]', '[[1e400]]'],
  'negative indices that are not special values': ['[[-8]]', '[["Set",-9]]', '[{"a":-100},1]', '[[-2.5]]'],
  'invalid circular references': ['[["Object",0]]', '[["Object",1],["Object",0]]', '[["Object",1],["Set",0]]', '[["Object",1],null]', '[["Object",1],{"a":2},3]', '[["URL",0]]', '[["URL",1],["URL",0]]', '[["Uint8Array",0]]', '[["Uint8Array",1],["Uint8Array",0]]', '[["DataView",0]]'],
  '__proto__ keys': ['[{"__proto__":1},2]', '[{"a":1,"__proto__":2},3,{}]', '[{"\\u005f_proto__":1},2]', '[{"__proto\\u005f_":{}}]', '[["null","__proto__",1],2]', '[["null","\\u005f\\u005fproto__",1],2]', '[{"x":1},{"__proto__":2},{"polluted":true}]'],
  'non-string keys': ['[["null",1,1],2]', '[["null",null,1],2]'],
  'broken typed arrays': ['[["Uint8Array",1,0,4294967295],["ArrayBuffer","AAAA"]]', '[["DataView",1,4294967295],["ArrayBuffer","AAAA"]]', '[["Uint8Array",1],5]', '[["Uint8Array",5]]', '[["Uint8Array",1],"AAAA"]', '[["Uint8Array",1],["Date",""]]', '[["Uint16Array",1],["ArrayBuffer","AAAA"]]', '[["Uint8Array",1,10,5],["ArrayBuffer","AAAA"]]', '[["Uint32Array",1,1,1],["ArrayBuffer","AAAAAAAA"]]', '[["DataView",1,0,100],["ArrayBuffer","AAAA"]]', '[["Float64Array",1,-8,1],["ArrayBuffer","AAAAAAAAAAA="]]', '[["BigInt64Array",1,0,2],["ArrayBuffer","AAAAAAAAAAA="]]', '[["ArrayBuffer",5]]', '[["ArrayBuffer"]]', '[["Float16Array",1],["ArrayBuffer","AAAA"]]'],
  'broken BigInts': ['[["BigInt","abc"]]', '[["BigInt","1.5"]]', '[["BigInt","1n"]]', '[["BigInt","1e3"]]', '[["BigInt"]]', '[["BigInt",{}]]', '[["BigInt","--1"]]'],
  'broken RegExps': ['[["RegExp","("]]', '[["RegExp","a","gg"]]', '[["RegExp","a","uv"]]', '[["RegExp","a","x"]]', '[["RegExp","\\\\"]]', '[["RegExp","[z-a]"]]'],
  'broken sparse arrays': ['[[-7,-1]]', '[[-7,1.5]]', '[[-7,4294967296]]', '[[-7,2,5,1],"x"]', '[[-7,2,0.5,1],"x"]', '[[-7,2,-1,1],"x"]', '[[-7,"2"]]', '[[-7]]', '[[-7,2,1]]'],
  // (Text Temporal's grammar allows but Temporal refuses is codec-temporal.test.mjs's, as it needs Temporal.)
  'broken Temporal values': ['[["Temporal.PlainDate"]]', '[["Temporal.PlainDate",1],"2020-01-01"]', '[["Temporal.PlainDate",{}]]', '[["Temporal.PlainDate",""]]', '[["Temporal.PlainDate","2020-01-01\u003C"]]', '[["Temporal.Instant","1970-01-01T00:00:00Z","x"]]', '[["Temporal.Duration","PT1S\\n"]]'],
  'broken URLs': ['[["URL",1],"not a url"]', '[["URL",1],5]', '[["URL","not a url"]]', '[["URL",1],{}]', '[["URL"]]'],
};

test('parse refuses broken input with ERR_SESSION_PARSE', async (t) => {
  for (const [name, inputs] of Object.entries(BROKEN)) {
    await t.test(name, () => {
      const problems = [];
      for (const input of inputs) {
        const result = attempt(() => parse(input));
        if (result.ok) problems.push(`parse(${visible(input)}) gave ${visible(String(attempt(() => stringify(result.value)).value))}`);
        else if (!(result.error instanceof SessionError) || result.error.code !== 'ERR_SESSION_PARSE') {
          problems.push(`parse(${visible(input)}) threw ${describeError(result.error)}`);
        } else if (!/\S/.test(result.error.message)) problems.push(`parse(${visible(input)}): empty message`);
      }
      assert.deepEqual(problems, []);
    });
  }
});

/** Input devalue takes with lenience: parse gives devalue's value or ERR_SESSION_PARSE. */
const DOUBTFUL = [
  '[{"a":-2},1]', '[["Set",-2]]', '[-0]', '[1e400]', '[-1e400]', '[{"a":1,"a":2},3,4]',
  '[["Date","garbage"]]', '[["Date",5]]', '[["Date"]]', '[["Date","2024-01-01"]]', '[["Date","2024-01-01T00:00:00.0Z"]]',
  '[["BigInt",""]]', '[["BigInt"," 12 "]]', '[["BigInt","0x1f"]]', '[["BigInt",5]]', '[["BigInt",true]]', '[["BigInt","-0"]]',
  '[["RegExp",5]]', '[["RegExp","a",""]]', '[["RegExp","a"]]', '[["ArrayBuffer","@@@"]]', '[["ArrayBuffer","AAA"]]', '[["ArrayBuffer","AA==AA=="]]',
  '[["Uint8Array",1,0,"1"],["ArrayBuffer","AAAA"]]', '[["Uint8Array",1,0],["ArrayBuffer","AAAA"]]', '[["Uint8Array",1,1],["ArrayBuffer","AAAA"]]',
  '[["Set",1,1],"x"]', '[["Map",1,2,1,3],"k","a","b"]', '[["Object",1],"x",2]', '[["Object",1],["BigInt","1"]]', '[["URL",1,2],"https://a/"]',
  '[[-7,3,1,1,1,2],"a","b"]', '[[-7,3,2,1,0,2],"a","b"]', '[[1,-2,1],"x"]', '[["null"]]', '[["Set"],1]', '[{"a":1},2,3]',
];

test('parse of input devalue reads leniently gives devalue\'s value or ERR_SESSION_PARSE', () => {
  const problems = [];
  for (const input of DOUBTFUL) {
    const expected = attempt(() => devalue.parse(input, URL_REVIVER));
    const actual = attempt(() => parse(input));
    if (!actual.ok) {
      if (!(actual.error instanceof SessionError) || actual.error.code !== 'ERR_SESSION_PARSE') problems.push(`parse(${input}) threw ${describeError(actual.error)}`);
      continue;
    }
    if (!expected.ok) continue; // more lenient than devalue: allowed here
    const diff = graphDiff(expected.value, actual.value);
    if (diff) problems.push(`parse(${input}) gave another value than devalue's: ${diff}`);
  }
  assert.deepEqual(problems, []);
});

/** Valid JSON that devalue never writes but reads: parse must give the same value. */
const VALID_ODD = [
  ' [1] ', '\n[\t1 ,\r2 ]\n', '[1E5]', '[1e+2]', '[-0.0e0]', '[0.1e1]', '[123456789012345678901234567890]', '[2.2250738585072011e-308]',
  '[0.1e-400]', '[4.9406564584124654e-324]', '[{"\\u0061":1},2]', '["\\ud83d\\ude00"]', '["\\uD83D\\uDE00"]', '["\\ud800"]', '["\\udfff\\ud800"]',
  '["\\/\\b\\f\\n\\r\\t\\"\\\\"]', '["<\u2028\u2029"]', '["\\u0000"]', '[["Map",1,2],"__proto__",{"polluted":3},true]', '[{"constructor":1,"prototype":2,"toString":3},4,5,6]',
  '[["Set",1,1],"same"]', '[["URL","https://example.com/"]]', '[{"b":1,"a":2},3,4]', '[[-7,4294967295]]', '[[-7,3],1]', '[[-2,-2,-2]]',
  '[["Date","+275760-09-13T00:00:00.000Z"]]', '[["Date",""]]', '[["RegExp","x","dgimsuy"]]', '[["Uint8Array",1,4,0],["ArrayBuffer","AAAAAA=="]]',
  '-1', '-3', '-4', '-5', '-6', '[-1]', '[null]',
];

test('parse reads any valid devalue input, not only what stringify writes', () => {
  const problems = [];
  for (const input of VALID_ODD) {
    const expected = devalue.parse(input, URL_REVIVER);
    const actual = attempt(() => parse(input));
    if (!actual.ok) problems.push(`parse(${visible(input)}) threw ${describeError(actual.error)}`);
    else {
      const diff = graphDiff(expected, actual.value);
      if (diff) problems.push(`parse(${visible(input)}): ${diff}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('parse pollutes no prototype', () => {
  const before = Object.getOwnPropertyNames(Object.prototype).join();
  const inputs = [
    ...BROKEN['__proto__ keys'],
    '[{"constructor":1},{"prototype":{"polluted":true}},true]',
    '[{"constructor":{"prototype":{"polluted":1}}}]',
    '[{"constructor":1},{"prototype":2},{"polluted":3},true]',
    '[["Map",1,2],"__proto__",{"polluted":3},true]',
    '[["null","constructor",1],{"prototype":2},{"polluted":3},true]',
    '[[-7,1,0,1],{"__proto__":2},{"polluted":3}]',
  ];
  for (const input of inputs) {
    const result = attempt(() => parse(input));
    if (result.ok && result.value && typeof result.value === 'object' && !(result.value instanceof Map)) {
      const proto = Object.getPrototypeOf(result.value);
      assert.ok(proto === Object.prototype || proto === Array.prototype || proto === null, `parse(${input}) gave an object whose prototype is ${proto}`);
    }
  }
  assert.equal({}.polluted, undefined);
  assert.equal([].polluted, undefined);
  assert.equal(Object.getOwnPropertyNames(Object.prototype).join(), before);
  const object = parse('[{"constructor":1,"toString":2,"hasOwnProperty":3},4,5,6]');
  assert.equal(Object.getPrototypeOf(object), Object.prototype);
  assert.ok(Object.hasOwn(object, 'constructor') && object.toString === 5 && object.hasOwnProperty === 6);
});

// Random damage to valid texts: every result is a value or ERR_SESSION_PARSE, never another
// exception or a crash; where devalue reads the damaged text too, the values agree (save Dates:
// how a non-ISO date string reads is up to the JS engine).
test('parse of truncated and mutated devalue texts gives a value or ERR_SESSION_PARSE', () => {
  const TOKENS = ['[', ']', '{', '}', '"', ',', ':', '-', '0', '1', '9', '-1', '-2', '-7', '99999', '4294967296', '0.5', 'e', '\\', '\\u', '\\ud800', '"Map"', '"Set"', '"Object"', '"BigInt"', '"URL"', '"__proto__"', '"null"', '"ArrayBuffer"', '"Uint8Array"', 'null', 'true', ' '];
  const problems = [];
  let parsed = 0;
  let refused = 0;
  let lenient = 0;
  const PER_TEXT = 24;
  for (let index = 0; index < 300; index++) {
    const random = caseRandom(SEED ^ 0xf022, index);
    const text = devalue.stringify(arbitraryValue(random, { maxDepth: 3 }), URL_REDUCER);
    const damaged = [];
    for (let k = 0; k < PER_TEXT; k++) {
      let s = text;
      const at = random.int(s.length + 1);
      switch (random.int(6)) {
        case 0: s = s.slice(0, at); break; // truncated
        case 1: s = s.slice(0, at) + s.slice(at + 1 + random.int(8)); break; // bytes lost
        case 2: s = s.slice(0, at) + random.pick(TOKENS) + s.slice(at + 1); break; // byte replaced
        case 3: s = s.slice(0, at) + random.pick(TOKENS) + s.slice(at); break; // bytes inserted
        case 4: s = s.replace(/-?\d+/g, (n) => (random.chance(0.15) ? String(random.pick([-8, -2, -1, 0, 1, 2, 3, 1e9, 0.5, -7])) : n)); break; // indices changed
        default: { const from = random.int(s.length); s = s.slice(0, at) + s.slice(from, from + random.int(20)) + s.slice(at); } // a piece repeated
      }
      damaged.push(s);
    }
    for (const input of damaged) {
      const actual = attempt(() => parse(input));
      if (!actual.ok) {
        refused++;
        if (!(actual.error instanceof SessionError) || actual.error.code !== 'ERR_SESSION_PARSE') {
          problems.push(`parse(${visible(input, 200)}) threw ${describeError(actual.error)}`);
        }
        continue;
      }
      parsed++;
      const expected = attempt(() => devalue.parse(input, URL_REVIVER));
      if (!expected.ok) {
        lenient++;
        continue;
      }
      const diff = graphDiff(expected.value, actual.value);
      if (diff && !/expected Date/.test(diff)) problems.push(`parse(${visible(input, 200)}) and devalue.parse differ ${diff}`);
    }
  }
  assert.equal({}.polluted, undefined);
  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems (seed ${SEED}); read ${parsed}, refused ${refused}, read where devalue refuses ${lenient}`);
});

// ---------------------------------------------------------------------------------------------
// Nesting 100 000 levels deep, in a child process: an error or the right value, never a crash.

const INDEX = new URL('../../index.mjs', import.meta.url).href;
const DEPTH = 100_000;

/**
 * Shapes of a deep value: how to nest one level, the devalue text of `depth` levels (checked
 * against devalue itself on a shallow value), and how to unwrap one level of what parse gives.
 */
const CHILD_PRELUDE = `
import * as devalue from 'devalue';
import { stringify, parse, SessionError } from ${JSON.stringify(INDEX)};

const shapes = {
  array: { wrap: (v) => [v], leaf: () => [], text: (n) => '[' + Array.from({ length: n - 1 }, (_, i) => '[' + (i + 1) + ']').concat('[]').join(',') + ']',
    unwrap: (v) => (Array.isArray(v) && v.length === 1 ? v[0] : undefined), isLeaf: (v) => Array.isArray(v) && v.length === 0 },
  object: { wrap: (v) => ({ a: v }), leaf: () => ({}), text: (n) => '[' + Array.from({ length: n - 1 }, (_, i) => '{"a":' + (i + 1) + '}').concat('{}').join(',') + ']',
    unwrap: (v) => (v && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).join() === 'a' ? v.a : undefined), isLeaf: (v) => v && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0 },
  nullProto: { wrap: (v) => Object.assign(Object.create(null), { a: v }), leaf: () => Object.create(null),
    text: (n) => '[' + Array.from({ length: n - 1 }, (_, i) => '["null","a",' + (i + 1) + ']').concat('["null"]').join(',') + ']',
    unwrap: (v) => (v && Object.getPrototypeOf(v) === null && Object.keys(v).join() === 'a' ? v.a : undefined), isLeaf: (v) => v && Object.getPrototypeOf(v) === null && Object.keys(v).length === 0 },
  set: { wrap: (v) => new Set([v]), leaf: () => new Set(), text: (n) => '[' + Array.from({ length: n - 1 }, (_, i) => '["Set",' + (i + 1) + ']').concat('["Set"]').join(',') + ']',
    unwrap: (v) => (v instanceof Set && v.size === 1 ? [...v][0] : undefined), isLeaf: (v) => v instanceof Set && v.size === 0 },
  map: { wrap: (v) => new Map([['k', v]]), leaf: () => new Map(),
    text: (n) => '[' + (n === 1 ? ['["Map"]'] : ['["Map",1,2]', '"k"', ...Array.from({ length: n - 2 }, (_, i) => '["Map",1,' + (i + 3) + ']'), '["Map"]']).join(',') + ']',
    unwrap: (v) => (v instanceof Map && v.size === 1 && v.has('k') ? v.get('k') : undefined), isLeaf: (v) => v instanceof Map && v.size === 0 },
  sparse: { wrap: (v) => { const a = []; a.length = 1000; a[0] = v; return a; }, leaf: () => [],
    text: (n) => '[' + Array.from({ length: n - 1 }, (_, i) => '[-7,1000,0,' + (i + 1) + ']').concat('[]').join(',') + ']',
    unwrap: (v) => (Array.isArray(v) && v.length === 1000 && Object.keys(v).join() === '0' ? v[0] : undefined), isLeaf: (v) => Array.isArray(v) && v.length === 0 },
};

function build(shape, n) {
  let v = shape.leaf();
  for (let i = 1; i < n; i++) v = shape.wrap(v);
  return v;
}

function isDeep(shape, v, n) {
  for (let i = 1; i < n; i++) {
    v = shape.unwrap(v);
    if (v === undefined) return false;
  }
  return Boolean(shape.isLeaf(v));
}

// The shapes describe devalue's text: check on a shallow value.
for (const [name, shape] of Object.entries(shapes)) {
  if (devalue.stringify(build(shape, 5)) !== shape.text(5)) throw new Error('the ' + name + ' shape does not describe devalue: ' + devalue.stringify(build(shape, 5)));
}

function outcome(fn, check) {
  let value;
  try {
    value = fn();
  } catch (error) {
    return { outcome: 'error', sessionError: error instanceof SessionError, code: error?.code, message: String(error?.message).slice(0, 200) };
  }
  return { outcome: 'value', correct: check(value) };
}
`;

function runChild(body, timeout = 120_000, nodeArgs = []) {
  const child = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', `${CHILD_PRELUDE}\n${body}`], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
    timeout,
    maxBuffer: 4 * 1024 * 1024,
  });
  return child;
}

function assertChild(child, code, what) {
  const tail = `\nstdout: ${child.stdout?.slice(-800)}\nstderr: ${child.stderr?.slice(-1500)}`;
  assert.equal(child.error, undefined, `${what}: ${child.error?.message}${tail}`);
  assert.equal(child.signal, null, `${what}: the process died of ${child.signal}${tail}`);
  assert.equal(child.status, 0, `${what}: the process exited with ${child.status}${tail}`);
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
  if (result.outcome === 'error') {
    assert.ok(result.sessionError && result.code === code, `${what}: expected a value or ${code}, got ${result.code ?? 'a non-SessionError'}: ${result.message}`);
  } else {
    assert.equal(result.correct, true, `${what}: the value is wrong`);
  }
  return result;
}

test(`stringify of values nested ${DEPTH} levels deep: a correct text or ERR_SESSION_SERIALIZE`, async (t) => {
  for (const shape of ['array', 'object', 'nullProto', 'set', 'map', 'sparse']) {
    await t.test(shape, () => {
      const child = runChild(`
        const shape = shapes.${shape};
        const value = build(shape, ${DEPTH});
        const expected = shape.text(${DEPTH});
        console.log(JSON.stringify(outcome(() => stringify(value), (text) => text === expected)));
      `);
      const result = assertChild(child, 'ERR_SESSION_SERIALIZE', `stringify(${shape} × ${DEPTH})`);
      t.diagnostic(`${shape}: ${result.outcome === 'error' ? result.message : 'correct text'}`);
    });
  }
});

test(`parse of values nested ${DEPTH} levels deep: a correct value or ERR_SESSION_PARSE`, async (t) => {
  for (const shape of ['array', 'object', 'nullProto', 'set', 'map', 'sparse']) {
    await t.test(shape, () => {
      const child = runChild(`
        const shape = shapes.${shape};
        console.log(JSON.stringify(outcome(() => parse(shape.text(${DEPTH})), (value) => isDeep(shape, value, ${DEPTH}))));
      `);
      const result = assertChild(child, 'ERR_SESSION_PARSE', `parse(${shape} × ${DEPTH})`);
      t.diagnostic(`${shape}: ${result.outcome === 'error' ? result.message : 'correct value'}`);
    });
  }
});

test(`parse of JSON nested ${DEPTH} levels deep (not devalue): ERR_SESSION_PARSE`, async (t) => {
  const inputs = {
    arrays: `'['.repeat(${DEPTH}) + ']'.repeat(${DEPTH})`,
    objects: `'[' + '{"a":'.repeat(${DEPTH}) + '1' + '}'.repeat(${DEPTH}) + ']'`,
    'arrays, unclosed': `'['.repeat(${DEPTH})`,
    'strings in arrays': `'[' + '["x",'.repeat(${DEPTH}) + '1' + ']'.repeat(${DEPTH}) + ']'`,
  };
  for (const [name, expression] of Object.entries(inputs)) {
    await t.test(name, () => {
      const child = runChild(`console.log(JSON.stringify(outcome(() => parse(${expression}), () => false)));`);
      assertChild(child, 'ERR_SESSION_PARSE', `parse(${name})`);
    });
  }
});

// devalue itself recurses: on V8's default stack it overflows at about 1600 levels on x64, and at
// 1400 (1200 for `mixed`) on arm64, whose frames are larger (Node for arm64 under qemu). 1100 is
// past the default maxDepth (1000) and within what devalue takes on both.
test('values as deep as devalue itself takes (1100 levels) are written and read as devalue does, past the default maxDepth when asked', () => {
  const shapes = {
    array: (v) => [v],
    object: (v) => ({ a: v, n: 1 }),
    map: (v) => new Map([[1, v]]),
    set: (v) => new Set([v, 'x']),
    mixed: (v, i) => [{ a: new Map([[i % 3, new Set([v])]]) }],
  };
  for (const [name, wrap] of Object.entries(shapes)) {
    let value = { leaf: new Date(0) };
    for (let i = 0; i < 1100 / (name === 'mixed' ? 4 : 1); i++) value = wrap(value, i);
    const expected = devalue.stringify(value, URL_REDUCER);
    const written = attempt(() => stringify(value));
    assert.ok(written.ok, `${name}: stringify threw ${!written.ok && describeError(written.error)}`);
    assert.equal(written.value, expected, `${name}: stringify differs from devalue`);
    const refused = attempt(() => parse(expected));
    assert.ok(!refused.ok && refused.error.code === 'ERR_SESSION_PARSE' && /maxDepth/.test(refused.error.message),
      `${name}: deeper than the default maxDepth (1000): ${refused.ok ? 'read' : describeError(refused.error)}`);
    const read = attempt(() => parse(expected, { maxDepth: 2000 }));
    assert.ok(read.ok, `${name}: parse threw ${!read.ok && describeError(read.error)}`);
    assert.equal(graphDiff(devalue.parse(expected, URL_REVIVER), read.value), null, `${name}: parse differs from devalue`);
  }
});

test('a graph of 2^60 paths (each level reached twice) is read and written in linear time', () => {
  // Expanding shared references instead of keeping them would never finish: a child process
  // with a timeout keeps that from hanging the run.
  const child = runChild(`
    const n = 60;
    const texts = {
      arrays: '[' + Array.from({ length: n }, (_, i) => '[' + (i + 1) + ',' + (i + 1) + ']').join(',') + ',[]]',
      maps: '[' + Array.from({ length: n }, (_, i) => '["Map",' + (i + 1) + ',' + (i + 1) + ']').join(',') + ',{}]',
      objects: '[' + Array.from({ length: n }, (_, i) => '{"a":' + (i + 1) + ',"b":' + (i + 1) + '}').join(',') + ',[]]',
    };
    const results = {};
    for (const [name, text] of Object.entries(texts)) {
      const value = parse(text);
      results[name] = stringify(value) === text && devalue.stringify(devalue.parse(text)) === text;
    }
    console.log(JSON.stringify({ outcome: 'value', correct: Object.values(results).every(Boolean), results }));
  `, 20_000);
  assertChild(child, 'ERR_SESSION_PARSE', 'a graph of 2^60 paths');
});

test('parse of sparse arrays with a large length allocates nothing of that length (no crash from 329 bytes)', () => {
  // devalue builds such an array in dictionary mode on purpose ("a small payload with a huge
  // declared length can force arbitrary memory allocation"): 12 arrays of length 2^25 - 1 must
  // not need 12 × 256 MB. The child has a 512 MB heap, so an eager allocation kills it.
  const child = runChild(`
    const lengths = [33554431, 33554431, 33554431, 33554431, 20000000, 20000000, 20000000, 20000000, 1e7, 1e7, 1e6, 4294967295];
    const text = '[' + JSON.stringify(lengths.map((_, i) => i + 1)) + ',' + lengths.map((n) => '[-7,' + n + ',' + (n - 1) + ',0]').join(',') + ']';
    const started = performance.now();
    const result = outcome(() => parse(text), (value) => value.length === lengths.length && value.every((a, i) => a.length === lengths[i] && a[lengths[i] - 1] === value && Object.keys(a).length === 1));
    result.ms = Math.round(performance.now() - started);
    result.textBytes = text.length;
    console.log(JSON.stringify(result));
  `, 60_000, ['--max-old-space-size=512']);
  const result = assertChild(child, 'ERR_SESSION_PARSE', 'parse of sparse arrays with large lengths');
  assert.ok(result.ms < 2000, `parse of ${result.textBytes} bytes took ${result.ms} ms`);
});
