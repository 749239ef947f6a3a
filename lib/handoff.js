'use strict';

// How a value crosses between JS and Rust: once, as bytes.
//
// JS → Rust: a walk checks the value against devalue's rules (so `set()` fails at once, naming the
// path, exactly where devalue would), then V8's own serializer (C++, in Node) writes it. V8 would
// silently turn a URL, a class instance or a null-prototype object into a plain object, so the
// walk rejects class instances and collects URLs, Node Buffers and null-prototype objects; they
// travel in a trailer after the value (see core/src/codec/v8). Where V8's format cannot carry the
// value (a version we do not read, a Proxy…), the value is written as devalue text instead —
// slower, and just as exact.
//
// Rust → JS: bytes in V8's format, read by V8's deserializer; a URL arrives as a host object, and
// the null-prototype objects are listed after the value.

const v8 = require('node:v8');
const { types } = require('node:util');
const devalue = require('devalue');
const { SessionError } = require('./errors');

/** Host-object type of a URL in the bytes Rust writes (core/src/codec/v8: URL_HOST_OBJECT_TYPE). */
const URL_HOST_OBJECT_TYPE = 0x55524c00;

/** Astro writes URLs with this reducer, so `["URL", <index of href>]` is the stored form. */
const URL_REDUCER = { URL: (value) => value instanceof URL && value.href };

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const DATE_PROTO = Date.prototype;
const REGEXP_PROTO = RegExp.prototype;
const MAP_PROTO = Map.prototype;
const SET_PROTO = Set.prototype;
const URL_PROTO = URL.prototype;
const propertyIsEnumerable = Function.prototype.call.bind(Object.prototype.propertyIsEnumerable);

class UnsupportedValue extends Error {}

// State of the current walk. A walk never yields, so module-level state is safe and saves
// passing it through every call.
let seen = null; // objects already checked (shared references, cycles)
let urls = null; // [url, href, url, href, …] for the trailer
let buffers = null; // Node Buffers for the trailer
let nullPrototypes = null; // null-prototype objects for the trailer
let path = null; // devalue-style path segments; tracked only on the second, error-reporting walk

function check(value) {
  const type = typeof value;
  if (type === 'object') {
    if (value !== null) checkObject(value);
  } else if (type === 'function') {
    unsupported('Cannot stringify a function');
  } else if (type === 'symbol') {
    unsupported('Cannot stringify a Symbol primitive');
  }
}

function checkObject(object) {
  if (seen.has(object)) return;
  seen.add(object);
  const proto = Object.getPrototypeOf(object);
  // Astro's URL reducer runs before any other check in devalue.
  if (proto === URL_PROTO) return addUrl(object);
  if (typeof object.then === 'function') unsupported('Cannot stringify a Promise or thenable');
  if (proto === OBJECT_PROTO) return checkPlainObject(object);
  if (proto === null) {
    (nullPrototypes ??= []).push(object);
    return checkPlainObject(object);
  }
  if (proto === ARRAY_PROTO) return checkArray(object);
  if (proto === DATE_PROTO || proto === REGEXP_PROTO) return;
  if (proto === MAP_PROTO) return checkMap(object);
  if (proto === SET_PROTO) return checkSet(object);
  checkUncommonObject(object);
}

// Built-ins met less often, subclasses, and objects from other realms: identified by their
// internal slots, which (unlike devalue's Symbol.toStringTag check) cannot be faked.
function checkUncommonObject(object) {
  if (object instanceof URL) return addUrl(object);
  if (types.isBoxedPrimitive(object)) {
    if (types.isSymbolObject(object)) unsupported('Cannot stringify arbitrary non-POJOs');
    return;
  }
  if (types.isDate(object) || types.isRegExp(object)) return;
  if (types.isMap(object)) return checkMap(object);
  if (types.isSet(object)) return checkSet(object);
  if (Array.isArray(object)) return checkArray(object);
  if (types.isArrayBufferView(object)) {
    if (Buffer.isBuffer(object)) (buffers ??= []).push(object);
    return;
  }
  if (types.isArrayBuffer(object)) return;
  if (isPlainObject(object)) return checkPlainObject(object);
  unsupported('Cannot stringify arbitrary non-POJOs');
}

// devalue's test for a plain object, for prototypes other than Object.prototype and null.
const OBJECT_PROTO_NAMES = Object.getOwnPropertyNames(OBJECT_PROTO).sort().join('\0');
function isPlainObject(object) {
  if (types.isProxy(object)) return false;
  const proto = Object.getPrototypeOf(object);
  return (
    Object.getPrototypeOf(proto) === null ||
    Object.getOwnPropertyNames(proto).sort().join('\0') === OBJECT_PROTO_NAMES
  );
}

function checkPlainObject(object) {
  const symbols = Object.getOwnPropertySymbols(object);
  if (symbols.length > 0 && symbols.some((symbol) => propertyIsEnumerable(object, symbol))) {
    unsupported('Cannot stringify POJOs with symbolic keys');
  }
  for (const key of Object.keys(object)) {
    if (key === '__proto__') unsupported('Cannot stringify objects with __proto__ keys');
    if (path === null) {
      check(object[key]);
    } else {
      path.push(pathOfKey(key));
      check(object[key]);
      path.pop();
    }
  }
}

function checkArray(array) {
  const length = array.length;
  for (let i = 0; i < length; i++) {
    if (!Object.hasOwn(array, i)) {
      // A hole: visit only the indices that exist, so `a[1e9] = 1` costs one step, not 1e9.
      for (const key of Object.keys(array)) {
        const index = Number(key);
        if (!(index > i && index < length && String(index) === key)) continue;
        checkElement(array, index);
      }
      return;
    }
    checkElement(array, i);
  }
}

function checkElement(array, index) {
  if (path === null) return check(array[index]);
  path.push(`[${index}]`);
  check(array[index]);
  path.pop();
}

function checkMap(map) {
  for (const [key, value] of map) {
    if (path !== null) path.push(`.get(${pathOfMapKey(key)})`);
    check(key);
    check(value);
    if (path !== null) path.pop();
  }
}

function checkSet(set) {
  for (const value of set) check(value);
}

function addUrl(url) {
  (urls ??= []).push(url, url.href);
}

function unsupported(message) {
  throw new UnsupportedValue(message);
}

const IDENTIFIER = /^[a-zA-Z_$][a-zA-Z_$0-9]*$/;
function pathOfKey(key) {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function pathOfMapKey(key) {
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key);
    case 'bigint':
      return `${key}n`;
    case 'object':
    case 'function':
    case 'symbol':
      return key === null ? 'null' : '...';
    default:
      return String(key);
  }
}

/**
 * Checks `value` against devalue's rules. Throws ERR_SESSION_SERIALIZE naming the path of the
 * first unsupported part; `describe(path, reason)` words the message.
 */
function validate(value, describe) {
  seen = new Set();
  urls = null;
  buffers = null;
  nullPrototypes = null;
  path = null;
  try {
    check(value);
  } catch (error) {
    throw new SessionError('ERR_SESSION_SERIALIZE', describe(locate(value), reasonOf(error)), {
      cause: error instanceof UnsupportedValue ? undefined : error,
    });
  } finally {
    seen = null;
  }
}

// The second walk, only after a failure: the same checks, now recording where they are.
function locate(value) {
  seen = new Set();
  path = [];
  try {
    check(value);
    return '';
  } catch {
    return path.join('');
  } finally {
    path = null;
  }
}

function reasonOf(error) {
  if (error instanceof UnsupportedValue) return error.message;
  if (error instanceof RangeError) return 'the value is nested too deeply';
  // A getter or a Proxy trap threw while the value was read.
  return `reading the value threw: ${error?.message ?? error}`;
}

let useV8Format = true;

/**
 * The value as bytes for Rust: V8's format, or devalue text where that format cannot carry it.
 * `describe(path, reason)` words the error message when the value cannot be stored.
 */
function encode(value, describe) {
  validate(value, describe);
  const trailer = urls === null && buffers === null && nullPrototypes === null ? null : [urls ?? [], buffers ?? [], nullPrototypes ?? []];
  urls = null;
  buffers = null;
  nullPrototypes = null;
  if (useV8Format) {
    try {
      const serializer = new v8.Serializer();
      serializer.writeHeader();
      serializer.writeValue(value);
      if (trailer !== null) for (const list of trailer) serializer.writeValue(list);
      return serializer.releaseBuffer();
    } catch {
      // A Proxy, a detached buffer, a function on an array's non-index property: fine for
      // devalue, not for V8's serializer.
    }
  }
  return encodeAsDevalueText(value, describe);
}

const LONE_SURROGATE = /\p{Surrogate}/gu;

function encodeAsDevalueText(value, describe) {
  let text;
  try {
    text = devalue.stringify(value, URL_REDUCER);
  } catch (error) {
    throw new SessionError('ERR_SESSION_SERIALIZE', describe(error.path ?? '', error.message));
  }
  // Escaped as devalue 6 writes them, so a lone surrogate survives the trip through UTF-8.
  text = text.replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  return Buffer.from(text, 'utf8');
}

class ValueDeserializer extends v8.Deserializer {
  _readHostObject() {
    const type = this.readUint32();
    if (type !== URL_HOST_OBJECT_TYPE) throw new Error(`unknown host object type ${type}`);
    const length = this.readUint32();
    return new URL(this.readRawBytes(length).toString('utf8'));
  }
}

/** A value from the bytes Rust wrote (V8's format). */
function decode(bytes) {
  try {
    const deserializer = new ValueDeserializer(bytes);
    deserializer.readHeader();
    const value = deserializer.readValue();
    // `_readRawBytes(0)` is the read position: anything left is the trailer (core/src/codec/v8),
    // whose third list holds the null-prototype objects.
    if (deserializer._readRawBytes(0) < bytes.length) {
      deserializer.readValue();
      deserializer.readValue();
      for (const object of deserializer.readValue()) Object.setPrototypeOf(object, null);
    }
    return value;
  } catch (error) {
    throw new SessionError('ERR_SESSION_PARSE', `Stored value could not be read: ${error.message}`, {
      cause: error,
    });
  }
}

/**
 * Chooses the hand-off format once per process: V8's format when the Rust side reads the
 * version this Node writes, devalue text otherwise.
 */
function configure(readsV8Version) {
  const probe = new v8.Serializer();
  probe.writeHeader();
  const header = probe.releaseBuffer();
  useV8Format = header[0] === 0xff && readsV8Version(header[1]);
}

/** For tests: force the devalue-text path (`false`) or restore the V8 path (`true`). */
function setV8Format(enabled) {
  useV8Format = enabled;
}

module.exports = { encode, decode, validate, configure, setV8Format, URL_REDUCER };
