'use strict';

// How a value crosses between JS and Rust: once, as bytes.
//
// JS → Rust: a walk checks the value against devalue's rules (so `set()` fails at once, naming the
// path, exactly where devalue would), then V8's own serializer (C++, in Node) writes it. V8 would
// silently turn a URL, a URLSearchParams, a class instance or a null-prototype object into a
// plain object, so the walk rejects class instances and notes the rest, with Node Buffers, in a
// trailer that follows the value (see core/src/codec/v8/trailer.rs). Where V8's format cannot
// carry the value (a version we do not read, a Proxy…), the value is written as devalue text
// instead — slower, and just as exact. A Temporal value is one of those: V8's serializer throws a
// DataCloneError on it (there is not even a placeholder object for a trailer entry to name), so a
// value that holds one goes as devalue text, which devalue writes with each Temporal value's text.
//
// Rust → JS: bytes in V8's format, read by V8's deserializer; URLs, URLSearchParams and Temporal
// values arrive as host objects, null prototypes and sparse arrays' lengths in the same kind of
// trailer. A Temporal value is rebuilt with `Temporal.<Kind>.from(text)`; on a Node.js without
// Temporal (before 26), reading it fails — that value's read only, saying which type it is.

const v8 = require('node:v8');
const { types } = require('node:util');
const devalue = require('devalue');
const native = require('./native');
const { SessionError } = require('./errors');

/** Host-object types in the bytes Rust writes (core/src/codec/v8/mod.rs). */
const URL_HOST_OBJECT_TYPE = 0x55524c00;
const URL_SEARCH_PARAMS_HOST_OBJECT_TYPE = 0x55524c01;
/** A Temporal value's type is this plus the index of its kind in TEMPORAL_KINDS. */
const TEMPORAL_HOST_OBJECT_TYPE = 0x54454d00;
/** The Temporal types devalue writes, in its order (core/src/codec/temporal.rs). */
const TEMPORAL_KINDS = ['Duration', 'Instant', 'PlainDate', 'PlainTime', 'PlainDateTime', 'PlainMonthDay', 'PlainYearMonth', 'ZonedDateTime'];

/** Kinds of trailer entries (core/src/codec/v8/trailer.rs). */
const TRAILER_URL = 1;
const TRAILER_URL_SEARCH_PARAMS = 2;
const TRAILER_BUFFER = 3;
const TRAILER_NULL_PROTOTYPE = 4;
const TRAILER_ARRAY_LENGTH = 5;
/** The largest array index: setting it forces an array into dictionary mode (see decode). */
const MAX_ARRAY_INDEX = 2 ** 32 - 2;

/** Astro writes URLs with this reducer, so `["URL", <index of href>]` is the stored form. */
const URL_REDUCER = { URL: (value) => value instanceof URL && value.href };

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const DATE_PROTO = Date.prototype;
const REGEXP_PROTO = RegExp.prototype;
const MAP_PROTO = Map.prototype;
const SET_PROTO = Set.prototype;
const URL_PROTO = URL.prototype;
const URL_SEARCH_PARAMS_PROTO = URLSearchParams.prototype;
const propertyIsEnumerable = Function.prototype.call.bind(Object.prototype.propertyIsEnumerable);

class UnsupportedValue extends Error {}

// State of the current walk. A walk never yields, so module-level state is safe and saves
// passing it through every call.
let seen = null; // objects already checked (shared references, cycles)
let trailer = null; // [kind, object, payload, …] for the trailer
let v8CannotCarry = false; // the value holds what V8's format would lose: write devalue text
let path = null; // devalue-style path segments; tracked only on the second, error-reporting walk
let depth = 0; // objects open on the walk's path
let maxDepth = Infinity; // the deepest a value may be (the sessions' maxDepth), so nothing stored is unreadable

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
  if (depth >= maxDepth) unsupported(`The value is nested more than ${maxDepth} levels deep (maxDepth)`);
  depth++;
  checkObjectOfItsKind(object);
  depth--;
}

function checkObjectOfItsKind(object) {
  const proto = Object.getPrototypeOf(object);
  // Astro's URL reducer runs before any other check in devalue.
  if (proto === URL_PROTO) return addToTrailer(TRAILER_URL, object, object.href);
  if (typeof object.then === 'function') unsupported('Cannot stringify a Promise or thenable');
  if (proto === OBJECT_PROTO) return checkPlainObject(object);
  if (proto === null) {
    addToTrailer(TRAILER_NULL_PROTOTYPE, object, 0);
    return checkPlainObject(object);
  }
  // The common built-ins, by prototype — each confirmed by its internal slot, so that an object
  // that merely has their prototype (Object.create(Array.prototype)) is refused, as devalue does.
  if (proto === ARRAY_PROTO && Array.isArray(object)) return checkArray(object);
  if ((proto === DATE_PROTO && types.isDate(object)) || (proto === REGEXP_PROTO && types.isRegExp(object))) return;
  if (proto === MAP_PROTO && types.isMap(object)) return checkMap(object);
  if (proto === SET_PROTO && types.isSet(object)) return checkSet(object);
  checkUncommonObject(object);
}

// Built-ins met less often, subclasses, and objects from other realms: identified by their
// internal slots, which (unlike devalue's Symbol.toStringTag check) cannot be faked.
function checkUncommonObject(object) {
  if (object instanceof URL) return addToTrailer(TRAILER_URL, object, object.href);
  if (Object.getPrototypeOf(object) === URL_SEARCH_PARAMS_PROTO || object instanceof URLSearchParams) {
    return addToTrailer(TRAILER_URL_SEARCH_PARAMS, object, object.toString());
  }
  if (types.isBoxedPrimitive(object)) {
    if (types.isSymbolObject(object)) unsupported('Cannot stringify arbitrary non-POJOs');
    return;
  }
  if (types.isDate(object) || types.isRegExp(object)) return;
  if (types.isMap(object)) return checkMap(object);
  if (types.isSet(object)) return checkSet(object);
  if (Array.isArray(object)) return checkArray(object);
  if (types.isArrayBufferView(object)) {
    if (Buffer.isBuffer(object)) addToTrailer(TRAILER_BUFFER, object, 0);
    return;
  }
  if (types.isArrayBuffer(object)) return;
  if (isPlainObject(object)) return checkPlainObject(object);
  if (temporalKindOf(object) !== undefined) {
    // What V8's serializer refuses: the value goes as devalue text (see the top of this file).
    v8CannotCarry = true;
    return;
  }
  unsupported('Cannot stringify arbitrary non-POJOs');
}

/**
 * The kind of a Temporal value (`'PlainDate'`…), or undefined for anything else. Told by its
 * internal slots: the kind's own `toString` throws a TypeError on any other receiver, so neither
 * a fake `Symbol.toStringTag` nor `Object.create(Temporal.PlainDate.prototype)` passes. `Temporal`
 * is looked up at each call, as devalue looks it up: the global of the moment is the one used.
 */
function temporalKindOf(object) {
  const temporal = globalThis.Temporal;
  if (typeof temporal !== 'object' || temporal === null) return undefined;
  const proto = Object.getPrototypeOf(object);
  const likely = TEMPORAL_KINDS.find((kind) => temporal[kind]?.prototype === proto);
  if (likely !== undefined) return temporalText(likely, object) === undefined ? undefined : likely;
  // A subclass, or a value from another realm: every kind is tried.
  return TEMPORAL_KINDS.find((kind) => temporalText(kind, object) !== undefined);
}

/** What `Temporal.<kind>.prototype.toString` gives for `object`, or undefined if it is no such value. */
function temporalText(kind, object) {
  const toString = globalThis.Temporal?.[kind]?.prototype?.toString;
  if (typeof toString !== 'function') return undefined;
  try {
    return Reflect.apply(toString, object, []);
  } catch {
    return undefined;
  }
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
    if (!propertyIsEnumerable(array, i)) {
      if (!Object.hasOwn(array, i)) {
        checkHoleyRest(array, i, length);
        return;
      }
      // devalue keeps a non-enumerable element; V8's serializer drops it.
      v8CannotCarry = true;
    }
    checkElement(array, i);
  }
}

// From the first hole on: only the indices that exist, so `a[1e9] = 1` costs one step, not 1e9.
function checkHoleyRest(array, hole, length) {
  const keys = Object.keys(array);
  // Own properties besides `length` that Object.keys does not list are non-enumerable: maybe
  // elements devalue would keep and V8's serializer drops.
  if (Object.getOwnPropertyNames(array).length !== keys.length + 1) v8CannotCarry = true;
  for (const key of keys) {
    const index = Number(key);
    if (!(index > hole && index < length && String(index) === key)) continue;
    checkElement(array, index);
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

function addToTrailer(kind, object, payload) {
  (trailer ??= []).push(kind, object, payload);
}

function unsupported(message) {
  throw new UnsupportedValue(message);
}

const IDENTIFIER = /^[a-zA-Z_$][a-zA-Z_$0-9]*$/;
function pathOfKey(key) {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

// A Map key on the path as devalue writes it (its stringify_primitive), `...` for an object.
function pathOfMapKey(key) {
  const type = typeof key;
  if ((type === 'object' && key !== null) || type === 'function' || type === 'symbol') return '...';
  if (type === 'string') return devalueString(key);
  if (key === undefined) return '-1';
  if (key === 0 && 1 / key < 0) return '-6';
  if (type === 'bigint') return `["BigInt","${key}"]`;
  return String(key);
}

const DEVALUE_ESCAPES = { '"': '\\"', '<': '\\u003C', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\u2028': '\\u2028', '\u2029': '\\u2029' };

// devalue's stringify_string.
function devalueString(text) {
  return `"${text.replace(/["<\\\u0000-\u001f\u2028\u2029]/g, (c) => DEVALUE_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * Checks `value` against devalue's rules. Throws ERR_SESSION_SERIALIZE naming the path of the
 * first unsupported part; `describe(path, reason)` words the message.
 */
function validate(value, describe, depthLimit = Infinity) {
  seen = new Set();
  trailer = null;
  v8CannotCarry = false;
  path = null;
  depth = 0;
  maxDepth = depthLimit;
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
  depth = 0;
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
 * `describe(path, reason)` words the error message when the value cannot be stored; a value nested
 * deeper than `maxDepth` cannot.
 */
function encode(value, describe, maxDepth) {
  validate(value, describe, maxDepth);
  const found = trailer;
  trailer = null;
  if (useV8Format && !v8CannotCarry) {
    try {
      const serializer = new v8.Serializer();
      serializer.writeHeader();
      serializer.writeValue(value);
      if (found !== null) serializer.writeValue(found);
      return serializer.releaseBuffer();
    } catch {
      // A Proxy, a detached buffer, a function on an array's non-index property: fine for
      // devalue, not for V8's serializer.
    }
  }
  return encodeAsDevalueText(value, describe);
}

const LONE_SURROGATE = /\p{Surrogate}/gu;

/**
 * devalue writes a URLSearchParams or a Temporal value as its `value.toString()`; for a Temporal
 * value, the intrinsic toString of its kind is used instead, so that an override on the object
 * (or a subclass) cannot store text that `Temporal.<Kind>.from` does not read back.
 */
const DEVALUE_OPERATIONS = {
  operations: {
    toStringValue(value) {
      // devalue's tag of the value, by which it chose to call this: '[object Temporal.PlainDate]'.
      const tag = Object.prototype.toString.call(value);
      const kind = tag.startsWith('[object Temporal.') ? tag.slice('[object Temporal.'.length, -1) : undefined;
      return (kind !== undefined && temporalText(kind, value)) || value.toString();
    },
  },
};

function encodeAsDevalueText(value, describe) {
  let text;
  try {
    text = devalue.stringify(value, URL_REDUCER, DEVALUE_OPERATIONS);
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
    const temporalKind = TEMPORAL_KINDS[type - TEMPORAL_HOST_OBJECT_TYPE];
    if (type !== URL_HOST_OBJECT_TYPE && type !== URL_SEARCH_PARAMS_HOST_OBJECT_TYPE && temporalKind === undefined) {
      throw new Error(`unknown host object type ${type}`);
    }
    const text = this.readRawBytes(this.readUint32()).toString('utf8');
    if (temporalKind !== undefined) return temporalFrom(temporalKind, text);
    return type === URL_HOST_OBJECT_TYPE ? new URL(text) : new URLSearchParams(text);
  }
}

/** `Temporal.<kind>.from(text)`, as devalue's parse rebuilds the value. */
function temporalFrom(kind, text) {
  const from = globalThis.Temporal?.[kind]?.from;
  if (typeof from !== 'function') {
    throw new Error(`it holds a Temporal.${kind}, and this Node.js (${process.version}) has no Temporal to read it with; use Node.js 26 or later`);
  }
  try {
    return Reflect.apply(from, globalThis.Temporal[kind], [text]);
  } catch (error) {
    throw new Error(`Temporal.${kind}.from() refuses its stored text: ${error?.message ?? error}`);
  }
}

/** A value from the bytes Rust wrote (V8's format). */
function decode(bytes) {
  try {
    const deserializer = new ValueDeserializer(bytes);
    deserializer.readHeader();
    const value = deserializer.readValue();
    // `_readRawBytes(0)` is the read position: anything left is the trailer.
    if (deserializer._readRawBytes(0) < bytes.length) applyTrailer(deserializer.readValue());
    return value;
  } catch (error) {
    throw new SessionError('ERR_SESSION_PARSE', `Stored value could not be read: ${error.message}`, {
      cause: error,
    });
  }
}

function applyTrailer(entries) {
  for (let i = 0; i < entries.length; i += 3) {
    const object = entries[i + 1];
    if (entries[i] === TRAILER_NULL_PROTOTYPE) {
      Object.setPrototypeOf(object, null);
    } else if (entries[i] === TRAILER_ARRAY_LENGTH) {
      // As devalue builds a sparse array: dictionary mode first, so that the length allocates
      // nothing however large it is.
      object[MAX_ARRAY_INDEX] = undefined;
      delete object[MAX_ARRAY_INDEX];
      object.length = entries[i + 2];
    }
  }
}

/**
 * The hand-off format, chosen once per process, here where the hand-off lives: V8's format when
 * the Rust side reads the version this Node writes, devalue text otherwise.
 */
function chooseFormat() {
  const probe = new v8.Serializer();
  probe.writeHeader();
  const header = probe.releaseBuffer();
  useV8Format = header[0] === 0xff && native.readsV8Version(header[1]);
}
chooseFormat();

/** For tests: force the devalue-text path (`false`) or restore the V8 path (`true`). */
function setV8Format(enabled) {
  useV8Format = enabled;
}

module.exports = { encode, decode, validate, setV8Format, URL_REDUCER };
