// Random value graphs: every type devalue 5.9 writes, plus URL as Astro writes it, and the graphs
// devalue must keep — the same object reached twice, objects that contain themselves, a Map keyed
// by itself, views sharing one ArrayBuffer.

import vm from 'node:vm';

const SPECIAL_NUMBERS = [
  0, -0, 1, -1, 2, 7, 10, 100, NaN, Infinity, -Infinity, 0.1, 0.2, 0.3, 0.5, -0.5, 1 / 3, 4.35,
  1e21, -1e21, 1e20, 1e-7, -1e-7, 1e-6, 1e15, 1e16, 1e17, 1e100, 1e308, 1.5e300, 123e-20,
  5e-324, -5e-324, 1e-323, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE,
  2.2250738585072014e-308, 2.225073858507201e-308, Number.EPSILON,
  Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 2 ** 53 + 2, 9007199254740993,
  2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 32 - 1, 2 ** 64, 123456789.123, 1700000000000,
  0.000001, 0.0000001, 1.7976931348623157e308, 4.9406564584124654e-324, 299792458, 1e6,
];

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;!?/\'()[]{}=+*&^%$#@~`|';
const ESCAPED = '"\\<>\n\r\t\b\f\u2028\u2029/';
const CONTROL = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f';
const LATIN1 = 'éüÿ\u00a0\u00ad©ßÀ\u0080\u009f';
const BMP = 'Ωжあ中한\u0600\u200b\u200d\ufeff\ufffd\uffff\ue000\u0301';
const ASTRAL = ['😀', '𝒳', '\u{10000}', '\u{10ffff}', '🏳️‍🌈', '👍🏽'];
const LONE = ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00'];

/** Strings drawn often, so that devalue's sharing of equal primitives is exercised. */
const COMMON_STRINGS = ['', 'a', 'id', 'name', 'x', 'true', '1', 'null', 'undefined', 'Date', 'URL', 'Map', '-1', '__proto__'];

const KEYS = [
  'a', 'b', 'id', 'name', 'qty', 'price', 'items', 'user', 'data', 'expires', '', ' ', 'a b', 'a-b', '$', '_', '$a1',
  '0', '1', '2', '10', '01', '-1', '-0', '1.5', '1e3', 'NaN', 'Infinity', '4294967294', '4294967295', '9007199254740993',
  'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__proto', '__proto__ ', '_proto__', '__defineGetter__',
  'then', '"', '\\', '<', '</script>', '\n', '\u2028', '\u0000', 'é', '𝒳', '😀', 'キー',
];
const LONE_KEYS = ['\ud800', 'a\udfffb'];

const URL_HREFS = [
  'https://example.com/',
  'https://example.com/path?query=1#hash',
  'http://user:pw@localhost:8080/a/b?c=d&e=<f>#g',
  'file:///tmp/x y',
  'https://例え.jp/パス?q=ü',
  'data:text/plain,hello%20world',
  'mailto:ada@example.com',
  'https://example.com/"quote"\u2028',
  'ws://[::1]:9000/socket',
  'blob:https://example.com/0f0e',
  'https://example.com/%F0%9F%98%80?x=😀',
  'about:blank',
];

const REGEXP_SOURCES = [
  'abc', 'a/b', '[\\]\\n]', '\\d+\\.\\d*', '^$', '(?<name>x)\\k<name>', '<\\/script>', '\u2028', '"', 'é+',
  '😀', '.', '', 'a|b', '\\\\', '[/]', '\n', '\\u{1F600}', '[\\p{L}--[a-z]]', '\\p{Lu}', '(?:a)*?', '\\x41\\0',
];
const REGEXP_FLAGS = 'dgimsy';

const TIME_ZONES = ['UTC', 'Europe/Rome', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Etc/GMT+5', '+05:30', '-00:01'];

const SPECIAL_TIMES = [
  0, -1, 1, 8.64e15, -8.64e15, NaN, 1700000000123, -62167219200000, -62198755200001, 253402300800000,
  253402300799999, 951825600000, 1e12, -1e12, 86400000,
];

export const TYPED_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
];

const float64 = new Float64Array(1);
const float64Words = new Uint32Array(float64.buffer);

/** Options of `arbitraryValue`; every one has a default. */
export const DEFAULT_OPTIONS = Object.freeze({
  /** Containers nest at most this deep below the root. */
  maxDepth: 4,
  /** A container holds at most this many entries (very sparse arrays aside). */
  maxBreadth: 6,
  /** Strings and keys may hold lone surrogates. */
  loneSurrogates: true,
  /** The same object reached twice. */
  shared: true,
  /** Objects that contain themselves (through any path). */
  cycles: true,
  /** Arrays of length 1e6 … 2^32-1 with a few items. */
  hugeSparseArrays: true,
  /** Node Buffers (pooled and not). */
  buffers: true,
  /** URL objects (Astro's reducer). */
  urls: true,
  /** Temporal values of every kind (needs a Node.js with Temporal). Off by default. */
  temporal: false,
  /** Strings of a few thousand characters. */
  longStrings: true,
  /** Objects with a null prototype. */
  nullPrototype: true,
  /**
   * Values devalue accepts that are unusual for V8's serializer or for a naive type check:
   * Proxies, objects from another realm, subclasses of built-ins, arrays with named properties,
   * getters, objects whose prototype has a null prototype. Off by default.
   */
  exotic: false,
});

/**
 * A random value graph. `random` is a `Random`; `options` overrides DEFAULT_OPTIONS.
 * The root is a container most of the time, a primitive or leaf object otherwise.
 */
export function arbitraryValue(random, options = {}) {
  return new Generator(random, { ...DEFAULT_OPTIONS, ...options }).root();
}

class Generator {
  constructor(random, options) {
    this.random = random;
    this.options = options;
    this.pool = []; // finished objects, for shared references
    this.ancestors = []; // objects being filled, for cycles
    this.arrayBuffers = []; // for views sharing a buffer
    this.strings = [...COMMON_STRINGS];
    this.realm = null;
  }

  root() {
    const r = this.random;
    if (r.chance(0.1)) return this.leaf();
    return this.container(0, r.pick(['array', 'object', 'object', 'map', 'set', 'holey', this.options.nullPrototype ? 'nullProto' : 'object']));
  }

  value(depth) {
    const r = this.random;
    const { options } = this;
    if (options.cycles && this.ancestors.length > 0 && r.chance(0.05)) return r.pick(this.ancestors);
    if (options.shared && this.pool.length > 0 && r.chance(0.07)) return r.pick(this.pool);
    if (depth < options.maxDepth && r.chance(0.3)) {
      const kind = r.weighted([
        [6, 'array'], [6, 'object'], [options.nullPrototype ? 2 : 0, 'nullProto'], [2, 'map'], [2, 'set'], [3, 'holey'],
        [options.hugeSparseArrays ? 0.7 : 0, 'hugeSparse'], [options.exotic ? 2 : 0, 'exotic'],
      ]);
      return this.container(depth, kind);
    }
    return this.leaf();
  }

  leaf() {
    const r = this.random;
    const { options } = this;
    const kind = r.weighted([
      [3, 'undefined'], [3, 'null'], [3, 'boolean'], [14, 'number'], [14, 'string'], [3, 'bigint'],
      [3, 'date'], [2, 'regexp'], [2, 'boxed'], [3, 'typedArray'], [1, 'dataView'], [1.5, 'arrayBuffer'],
      [options.buffers ? 1.5 : 0, 'buffer'], [options.urls ? 2 : 0, 'url'], [options.temporal ? 4 : 0, 'temporal'],
    ]);
    switch (kind) {
      case 'undefined':
        return undefined;
      case 'null':
        return null;
      case 'boolean':
        return r.chance(0.5);
      case 'number':
        return this.number();
      case 'string':
        return this.string();
      case 'bigint':
        return this.bigint();
      default:
        return this.finish(this.leafObject(kind));
    }
  }

  leafObject(kind) {
    switch (kind) {
      case 'date':
        return this.date();
      case 'regexp':
        return this.regexp();
      case 'boxed':
        return this.boxed();
      case 'typedArray':
        return this.typedArray();
      case 'dataView':
        return this.dataView();
      case 'arrayBuffer':
        return this.arrayBuffer();
      case 'buffer':
        return this.buffer();
      case 'url':
        return this.url();
      case 'temporal':
        return this.temporal();
    }
    throw new Error(`unknown leaf kind ${kind}`);
  }

  /** A finished object joins the pool of shareable objects. */
  finish(object) {
    this.pool.push(object);
    return object;
  }

  number() {
    const r = this.random;
    switch (r.weighted([[3, 'special'], [3, 'small'], [1, 'int32'], [2, 'bits'], [1, 'decimal']])) {
      case 'special':
        return r.pick(SPECIAL_NUMBERS);
      case 'small':
        return r.range(-1000, 1000);
      case 'int32':
        return r.uint32() | 0;
      case 'bits':
        float64Words[0] = r.uint32();
        float64Words[1] = r.uint32();
        return float64[0];
      default:
        return r.range(-1e6, 1e6) / 10 ** r.range(1, 8);
    }
  }

  string() {
    const r = this.random;
    if (r.chance(0.3)) return r.pick(this.strings);
    const length = this.options.longStrings && r.chance(0.02) ? r.range(500, 4000) : r.range(0, 16);
    const classes = [
      [10, 'ascii'], [2, 'escaped'], [1, 'control'], [1, 'latin1'], [1.5, 'bmp'], [1, 'astral'],
      [this.options.loneSurrogates ? 0.5 : 0, 'lone'],
    ];
    // Most strings draw from one or two classes, so that long runs of one kind occur.
    const mine = [r.weighted(classes), r.weighted(classes)];
    let s = '';
    for (let i = 0; i < length; i++) {
      switch (r.pick(mine)) {
        case 'ascii': s += ASCII[r.int(ASCII.length)]; break;
        case 'escaped': s += ESCAPED[r.int(ESCAPED.length)]; break;
        case 'control': s += CONTROL[r.int(CONTROL.length)]; break;
        case 'latin1': s += LATIN1[r.int(LATIN1.length)]; break;
        case 'bmp': s += BMP[r.int(BMP.length)]; break;
        case 'astral': s += r.pick(ASTRAL); break;
        case 'lone': s += r.pick(LONE); break;
      }
    }
    if (r.chance(0.1)) this.strings.push(s);
    return s;
  }

  key() {
    const r = this.random;
    if (r.chance(0.55)) return r.pick(KEYS);
    if (this.options.loneSurrogates && r.chance(0.03)) return r.pick(LONE_KEYS);
    if (r.chance(0.2)) return String(r.range(0, 40));
    const key = this.string();
    return key === '__proto__' ? '__proto__x' : key;
  }

  bigint() {
    const r = this.random;
    switch (r.int(4)) {
      case 0:
        return r.pick([0n, 1n, -1n, 2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n, 2n ** 100n, -(10n ** 30n)]);
      case 1:
        return BigInt(r.range(-1000, 1000));
      default: {
        let n = 0n;
        const words = r.range(1, 8);
        for (let i = 0; i < words; i++) n = (n << 32n) | BigInt(r.uint32());
        return r.chance(0.5) ? -n : n;
      }
    }
  }

  date() {
    const r = this.random;
    switch (r.int(3)) {
      case 0:
        return new Date(r.pick(SPECIAL_TIMES));
      case 1:
        return new Date(r.range(0, 4102444800) * 1000 + r.int(1000)); // 1970 … 2100
      default:
        return new Date(Math.round((r.float() * 2 - 1) * 8.64e15));
    }
  }

  regexp() {
    const r = this.random;
    const source = r.pick(REGEXP_SOURCES);
    let flags = '';
    for (const flag of REGEXP_FLAGS) if (r.chance(0.25)) flags += flag;
    const unicode = r.weighted([[3, ''], [1, 'u'], [1, 'v']]);
    for (const candidate of [flags + unicode, flags + 'u', flags, '']) {
      try {
        return new RegExp(source, candidate);
      } catch {
        // This source needs (or forbids) a unicode flag: try the next set of flags.
      }
    }
    return new RegExp(r.pick(['abc', 'x+']), flags);
  }

  boxed() {
    const r = this.random;
    switch (r.int(4)) {
      case 0: return Object(this.number());
      case 1: return Object(this.string());
      case 2: return Object(r.chance(0.5));
      default: return Object(this.bigint());
    }
  }

  arrayBuffer() {
    const r = this.random;
    if (this.arrayBuffers.length > 0 && r.chance(0.3)) return r.pick(this.arrayBuffers);
    const length = r.chance(0.8) ? r.pick([0, 1, 2, 3, 4, 5, 7, 8, 16, 24, 32, 64]) : r.range(0, 600);
    const buffer = new ArrayBuffer(length);
    new Uint8Array(buffer).set(r.bytes(length));
    this.arrayBuffers.push(buffer);
    return buffer;
  }

  typedArray() {
    const r = this.random;
    const Type = r.pick(TYPED_ARRAYS);
    const size = Type.BYTES_PER_ELEMENT;
    switch (r.weighted([[4, 'fresh'], [2, 'shared'], [1, 'subarray']])) {
      case 'fresh': {
        const view = new Type(r.pick([0, 1, 2, 3, 5, 8, 17]));
        new Uint8Array(view.buffer).set(r.bytes(view.byteLength));
        return view;
      }
      case 'shared': {
        // A view on a buffer that other values may hold too, at an aligned offset.
        const buffer = this.arrayBuffer();
        const elements = Math.floor(buffer.byteLength / size);
        const first = r.range(0, elements);
        return new Type(buffer, first * size, r.range(0, elements - first));
      }
      default: {
        const whole = new Type(r.range(1, 12));
        new Uint8Array(whole.buffer).set(r.bytes(whole.byteLength));
        const start = r.range(0, whole.length);
        return whole.subarray(start, r.range(start, whole.length));
      }
    }
  }

  dataView() {
    const r = this.random;
    const buffer = this.arrayBuffer();
    if (r.chance(0.3)) return new DataView(buffer);
    const offset = r.range(0, buffer.byteLength);
    return r.chance(0.3) ? new DataView(buffer, offset) : new DataView(buffer, offset, r.range(0, buffer.byteLength - offset));
  }

  buffer() {
    const r = this.random;
    switch (r.int(5)) {
      case 0:
        return Buffer.from(this.string().slice(0, 40)); // pooled: a view into Node's shared slab
      case 1:
        return Buffer.from(r.bytes(r.range(0, 40))); // pooled too
      case 2:
        return Buffer.alloc(r.range(0, 20), r.range(0, 255)); // a buffer of its own
      case 3: {
        const buffer = this.arrayBuffer(); // a Buffer over an ArrayBuffer that may appear elsewhere
        const offset = r.range(0, buffer.byteLength);
        return Buffer.from(buffer, offset, r.range(0, buffer.byteLength - offset));
      }
      default: {
        const whole = Buffer.from(r.bytes(r.range(1, 30)));
        const start = r.range(0, whole.length);
        return whole.subarray(start, r.range(start, whole.length));
      }
    }
  }

  url() {
    const r = this.random;
    const url = r.chance(0.7)
      ? new URL(r.pick(URL_HREFS))
      : new URL(`https://example.com/${encodeURIComponent(this.string().replace(/\p{Surrogate}/gu, ''))}`);
    // The href as a plain string elsewhere in the value makes devalue share its index.
    if (r.chance(0.5)) this.strings.push(url.href);
    return url;
  }

  /** A Temporal value of any kind, across its range, in calendars and time zones besides ISO and UTC. */
  temporal() {
    const r = this.random;
    const calendar = r.weighted([[6, 'iso8601'], [1, 'gregory'], [1, 'japanese'], [1, 'hebrew'], [1, 'islamic-umalqura']]);
    const timeZone = r.pick(TIME_ZONES);
    // Epoch nanoseconds within Temporal's range (±10^8 days), at nanosecond, second or day steps.
    const dayNs = 86_400n * 10n ** 9n;
    const days = BigInt(r.range(-1e8, 1e8 - 1));
    const within = r.pick([BigInt(r.int(86_400)) * 10n ** 9n, BigInt(r.uint32()) * BigInt(r.int(20_116)), 0n]);
    const instant = Temporal.Instant.fromEpochNanoseconds(days * dayNs + within);
    const zoned = instant.toZonedDateTimeISO(timeZone).withCalendar(calendar);
    switch (r.int(8)) {
      case 0: {
        const sign = r.chance(0.3) ? -1 : 1;
        const units = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds', 'nanoseconds'];
        const fields = { [r.pick(units)]: 0 }; // (a property bag needs one unit at least)
        for (const unit of units) if (r.chance(0.3)) fields[unit] = sign * r.pick([0, 1, 7, 59, 999, 100_000]);
        return Temporal.Duration.from(fields);
      }
      case 1: return instant;
      case 2: return zoned.toPlainDate();
      case 3: return zoned.toPlainTime();
      case 4: return zoned.toPlainDateTime();
      case 5: return zoned.toPlainDate().toPlainMonthDay();
      case 6: return zoned.toPlainDate().toPlainYearMonth();
      default: return zoned;
    }
  }

  container(depth, kind) {
    switch (kind) {
      case 'array': return this.array(depth);
      case 'holey': return this.holey(depth);
      case 'hugeSparse': return this.hugeSparse(depth);
      case 'object': return this.object(depth, {});
      case 'nullProto': return this.object(depth, Object.create(null));
      case 'map': return this.map(depth);
      case 'set': return this.set(depth);
      case 'exotic': return this.exotic(depth);
    }
    throw new Error(`unknown container kind ${kind}`);
  }

  /** Fills a container with `fill` while it is an ancestor, so that its children may point back. */
  build(container, fill) {
    this.ancestors.push(container);
    fill(container);
    this.ancestors.pop();
    return this.finish(container);
  }

  breadth() {
    const r = this.random;
    return r.chance(0.15) ? 0 : r.range(1, this.options.maxBreadth);
  }

  array(depth) {
    return this.build([], (array) => {
      const n = this.breadth();
      for (let i = 0; i < n; i++) array.push(this.value(depth + 1));
    });
  }

  /** Short arrays with holes: on both sides of devalue's choice between holes and the sparse form. */
  holey(depth) {
    const r = this.random;
    const length = r.chance(0.3) ? r.range(1, 4) : r.range(1, 40);
    const density = r.pick([0, 0.1, 0.3, 0.5, 0.8, 0.95]);
    return this.build(new Array(length), (array) => {
      for (let i = 0; i < length; i++) if (r.chance(density)) array[i] = this.value(depth + 1);
      if (r.chance(0.2)) array.length += r.range(1, 3); // trailing holes
    });
  }

  /** Very sparse arrays: a huge length and a few items, which devalue writes in its sparse form. */
  hugeSparse(depth) {
    const r = this.random;
    const length = r.pick([1e5, 1e6, 1e9, 2 ** 32 - 1]);
    return this.build([], (array) => {
      array.length = length;
      const items = r.range(0, 3);
      for (let i = 0; i < items; i++) {
        const index = r.pick([0, 1, length - 1, r.int(length)]);
        array[index] = this.value(depth + 1);
      }
    });
  }

  object(depth, object) {
    return this.build(object, () => {
      const n = this.breadth();
      for (let i = 0; i < n; i++) object[this.key()] = this.value(depth + 1);
    });
  }

  map(depth) {
    const r = this.random;
    return this.build(new Map(), (map) => {
      const n = this.breadth();
      for (let i = 0; i < n; i++) {
        const key = r.chance(0.5) ? this.key() : this.value(depth + 1);
        map.set(key, this.value(depth + 1));
      }
    });
  }

  set(depth) {
    return this.build(new Set(), (set) => {
      const n = this.breadth();
      for (let i = 0; i < n; i++) set.add(this.value(depth + 1));
    });
  }

  /** Values devalue takes as plain (or as a built-in) that are not what they seem at first. */
  exotic(depth) {
    const r = this.random;
    this.realm ??= vm.createContext({});
    switch (r.int(12)) {
      case 0:
        return this.object(depth, Object.create(Object.create(null))); // devalue: plain
      case 1:
        return this.object(depth, vm.runInContext('({})', this.realm)); // another realm's object
      case 2: {
        const array = vm.runInContext('[]', this.realm);
        return this.build(array, () => array.push(this.value(depth + 1), this.value(depth + 1)));
      }
      case 3: {
        const map = vm.runInContext('new Map()', this.realm);
        return this.build(map, () => map.set(this.key(), this.value(depth + 1)));
      }
      case 4:
        return this.finish(vm.runInContext(r.pick(['new Date(0)', '/x/gi', 'new Uint8Array([1, 2, 3])']), this.realm));
      case 5: {
        const array = this.array(depth);
        array.named = 'not an index'; // devalue ignores named properties of an array
        return array;
      }
      case 6:
        return this.finish(new Proxy(this.object(depth, {}), {}));
      case 7:
        return this.finish(new Proxy(this.array(depth), {}));
      case 8: {
        const object = this.object(depth, {});
        Object.defineProperty(object, 'getter', { enumerable: true, get: () => 'from a getter' });
        Object.defineProperty(object, 'hidden', { enumerable: false, value: () => 'not enumerable' });
        Object.defineProperty(object, Symbol('not enumerable'), { enumerable: false, value: 1 });
        return object;
      }
      case 9: {
        class SubMap extends Map {}
        const map = new SubMap();
        return this.build(map, () => map.set(this.key(), this.value(depth + 1)));
      }
      case 10: {
        class SubArray extends Array {}
        const array = new SubArray();
        return this.build(array, () => array.push(this.value(depth + 1)));
      }
      default: {
        const object = this.object(depth, {});
        return this.finish(r.chance(0.5) ? Object.freeze(object) : Object.seal(object));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing graphs

