// Comparing two value graphs so that identity counts: `graphDiff(expected, actual)` walks them side
// by side and keeps a one-to-one map between their objects, so it fails when a shared object comes
// back as two copies, or two objects as one. And `show` / `reachable`, for its messages.

import { inspect } from 'node:util';
import { TYPED_ARRAYS } from './generate.mjs';

const TAG = (value) => Object.prototype.toString.call(value).slice(8, -1);
const TYPED_TAGS = new Set(TYPED_ARRAYS.map((Type) => Type.name));
const BOXED_PROTOS = {
  Number: Number.prototype,
  String: String.prototype,
  Boolean: Boolean.prototype,
  BigInt: BigInt.prototype,
};

/** devalue's kind of an object, as `stringify` decides it (URL first, as Astro's reducer runs first). */
function kindOf(object) {
  if (object instanceof URL) return 'URL';
  if (Buffer.isBuffer(object)) return 'Buffer';
  return TAG(object);
}

/** The prototype a value of `kind` has after devalue's parse, in this realm. */
function prototypeAfterParse(kind, source) {
  if (kind === 'Object') return Object.getPrototypeOf(source) === null ? null : Object.prototype;
  if (kind.startsWith('Temporal.')) return globalThis.Temporal?.[kind.slice('Temporal.'.length)]?.prototype;
  if (kind === 'Buffer') return Uint8Array.prototype;
  if (kind in BOXED_PROTOS) return BOXED_PROTOS[kind];
  const constructor = globalThis[kind];
  return typeof constructor === 'function' ? constructor.prototype : undefined;
}

/** devalue's own view of an array's items: the leading run of index keys of Object.keys. */
function arrayIndexKeys(array) {
  const keys = Object.keys(array);
  let cut = keys.length;
  while (cut > 0 && !isIndexKey(keys[cut - 1])) cut--;
  return keys.slice(0, cut);
}

function isIndexKey(key) {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

function segmentOfKey(key) {
  return /^[a-zA-Z_$][a-zA-Z_$0-9]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A short, one-line picture of a value for messages. */
export function show(value) {
  return inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 60, compact: true });
}

/**
 * Where two value graphs differ, or null when they are the same graph: same types, same
 * primitives (by Object.is: NaN equals NaN, -0 differs from 0), same keys in the same order,
 * same holes, and the same sharing — an object met twice in one graph is one object met twice in
 * the other, cycles included.
 *
 * mode 'strict': both graphs come out of a parser; prototypes must be identical.
 * mode 'devalue': `expected` is the value that was written; `actual` is what a devalue round trip
 *   must give for it: any plain object becomes an Object.prototype object, a Buffer becomes a
 *   Uint8Array copy of its visible bytes, named properties of arrays are dropped, objects from
 *   other realms become this realm's.
 */
export function graphDiff(expected, actual, { mode = 'strict' } = {}) {
  const forward = new Map();
  const backward = new Map();
  const work = [[expected, actual, '']];
  const fail = (path, message) => `at ${path || '(root)'}: ${message}`;

  while (work.length > 0) {
    const [e, a, path] = work.pop();
    if (typeof e !== typeof a) return fail(path, `expected ${typeof e} ${show(e)}, got ${typeof a} ${show(a)}`);
    if (typeof e !== 'object' || e === null || a === null) {
      if (!Object.is(e, a)) return fail(path, `expected ${show(e)}, got ${show(a)}`);
      continue;
    }
    if (forward.has(e)) {
      if (forward.get(e) !== a) return fail(path, `expected the object met before at ${backward.get(forward.get(e))?.path ?? '?'}, got another object ${show(a)}`);
      continue;
    }
    if (backward.has(a)) {
      return fail(path, `expected a distinct object ${show(e)}, got the object met before at ${backward.get(a).path}`);
    }
    forward.set(e, a);
    backward.set(a, { path: path || '(root)' });

    const kind = kindOf(e);
    const actualKind = kindOf(a);
    const wantedKind = mode === 'devalue' && kind === 'Buffer' ? 'Uint8Array' : kind;
    if (actualKind !== wantedKind) return fail(path, `expected a ${wantedKind}, got a ${actualKind}: ${show(a)}`);
    const wantedProto = mode === 'devalue' ? prototypeAfterParse(kind, e) : Object.getPrototypeOf(e);
    if (Object.getPrototypeOf(a) !== wantedProto) {
      return fail(path, `expected prototype of ${wantedProto?.constructor?.name ?? 'null'}, got ${Object.getPrototypeOf(a)?.constructor?.name ?? 'null'}`);
    }

    switch (kind) {
      case 'Object': {
        const keys = Object.keys(e);
        const actualKeys = Reflect.ownKeys(a);
        if (mode === 'strict' && Reflect.ownKeys(e).length !== actualKeys.length) {
          return fail(path, `expected own keys ${show(Reflect.ownKeys(e))}, got ${show(actualKeys)}`);
        }
        if (keys.length !== actualKeys.length || keys.some((key, i) => key !== actualKeys[i])) {
          return fail(path, `expected keys ${show(keys)}, got ${show(actualKeys)}`);
        }
        for (let i = keys.length - 1; i >= 0; i--) work.push([e[keys[i]], a[keys[i]], path + segmentOfKey(keys[i])]);
        break;
      }
      case 'Array': {
        if (e.length !== a.length) return fail(path, `expected array length ${e.length}, got ${a.length}`);
        const keys = mode === 'strict' ? Reflect.ownKeys(e) : arrayIndexKeys(e);
        const actualKeys = Reflect.ownKeys(a);
        if (mode === 'devalue') keys.push('length');
        if (keys.length !== actualKeys.length || keys.some((key, i) => key !== actualKeys[i])) {
          return fail(path, `expected array keys ${show(keys)} (holes where an index is missing), got ${show(actualKeys)}`);
        }
        for (let i = keys.length - 1; i >= 0; i--) {
          if (keys[i] !== 'length') work.push([e[keys[i]], a[keys[i]], `${path}[${String(keys[i])}]`]);
        }
        break;
      }
      case 'Map': {
        if (e.size !== a.size) return fail(path, `expected a Map of ${e.size} entries, got ${a.size}`);
        const actualEntries = [...a];
        const entries = [...e];
        for (let i = entries.length - 1; i >= 0; i--) {
          work.push([entries[i][1], actualEntries[i][1], `${path}.get(#${i})`]);
          work.push([entries[i][0], actualEntries[i][0], `${path}.keys()[${i}]`]);
        }
        break;
      }
      case 'Set': {
        if (e.size !== a.size) return fail(path, `expected a Set of ${e.size} values, got ${a.size}`);
        const actualValues = [...a];
        const values = [...e];
        for (let i = values.length - 1; i >= 0; i--) work.push([values[i], actualValues[i], `${path}.values()[${i}]`]);
        break;
      }
      case 'Date':
        if (!Object.is(e.getTime(), a.getTime())) return fail(path, `expected Date ${e.getTime()}, got ${a.getTime()}`);
        break;
      case 'RegExp':
        if (e.source !== a.source || e.flags !== a.flags || a.lastIndex !== 0) {
          return fail(path, `expected /${e.source}/${e.flags}, got /${a.source}/${a.flags} (lastIndex ${a.lastIndex})`);
        }
        break;
      case 'Number':
      case 'String':
      case 'Boolean':
      case 'BigInt':
        if (!Object.is(e.valueOf(), a.valueOf())) return fail(path, `expected boxed ${show(e.valueOf())}, got ${show(a.valueOf())}`);
        break;
      case 'URL':
        if (e.href !== a.href) return fail(path, `expected URL ${e.href}, got ${a.href}`);
        break;
      case 'URLSearchParams':
        if (String(e) !== String(a)) return fail(path, `expected URLSearchParams ${e}, got ${a}`);
        break;
      case 'ArrayBuffer':
        if (a.resizable) return fail(path, 'expected a fixed-length ArrayBuffer, got a resizable one');
        if (!Buffer.from(e).equals(Buffer.from(a))) {
          return fail(path, `expected ArrayBuffer bytes ${show(Buffer.from(e))}, got ${show(Buffer.from(a))}`);
        }
        break;
      case 'Buffer':
        if (mode === 'devalue') {
          // devalue copies only the visible bytes of a Buffer, into a buffer of their own.
          if (a.byteOffset !== 0 || a.buffer.byteLength !== e.length) {
            return fail(path, `expected a Buffer as a Uint8Array over a copy of its ${e.length} bytes, got byteOffset ${a.byteOffset} in a buffer of ${a.buffer.byteLength}`);
          }
          if (backward.has(a.buffer)) return fail(path, 'expected the Buffer copy to have a buffer of its own');
          backward.set(a.buffer, { path: `${path}.buffer` });
          if (!Buffer.from(e).equals(Buffer.from(a.buffer))) return fail(path, `expected bytes ${show(e)}, got ${show(a)}`);
          break;
        }
      // falls through: a Buffer compared with a Buffer is a view like any other
      default:
        if (TYPED_TAGS.has(kind) || kind === 'DataView' || kind === 'Buffer') {
          if (e.byteOffset !== a.byteOffset || e.byteLength !== a.byteLength) {
            return fail(path, `expected ${kind} at byteOffset ${e.byteOffset}, byteLength ${e.byteLength}, got byteOffset ${a.byteOffset}, byteLength ${a.byteLength}`);
          }
          work.push([e.buffer, a.buffer, `${path}.buffer`]);
          break;
        }
        if (kind.startsWith('Temporal.')) {
          // Equal when their texts are: the kind's own toString (the text devalue stores) says
          // everything a Temporal value holds, calendar and time zone included.
          const toString = globalThis.Temporal[kind.slice('Temporal.'.length)].prototype.toString;
          const [expectedText, actualText] = [e, a].map((value) => Reflect.apply(toString, value, []));
          if (expectedText !== actualText) return fail(path, `expected ${kind} ${expectedText}, got ${actualText}`);
          break;
        }
        return fail(path, `cannot compare a ${kind}`);
    }
  }
  return null;
}

/**
 * The values reachable from `root` (itself included), each once: the candidates when looking for
 * the smallest part of a failing value that fails on its own.
 */
export function reachable(root, limit = 5000) {
  const seen = new Set();
  const found = [root];
  const work = [root];
  const primitives = new Set();
  while (work.length > 0 && found.length < limit) {
    const value = work.pop();
    if (typeof value !== 'object' || value === null) {
      continue;
    }
    const children = [];
    const kind = kindOf(value);
    if (kind === 'Object' || kind === 'Array') {
      for (const key of kind === 'Array' ? arrayIndexKeys(value) : Object.keys(value)) children.push(value[key]);
    } else if (kind === 'Map') {
      for (const [key, item] of value) children.push(key, item);
    } else if (kind === 'Set') {
      children.push(...value);
    } else if (TYPED_TAGS.has(kind) || kind === 'DataView') {
      children.push(value.buffer);
    } else if (kind in BOXED_PROTOS) {
      children.push(value.valueOf());
    }
    for (const child of children) {
      const isObject = typeof child === 'object' && child !== null;
      if (isObject ? seen.has(child) : primitives.has(child)) continue;
      (isObject ? seen : primitives).add(child);
      found.push(child);
      work.push(child);
    }
  }
  return found;
}

