'use strict';

// createSessions() options → what the Rust side takes: the options as JSON text, which the core
// types and checks (core/src/config.rs: every default, range and rule is there), and a driver
// object's methods apart. This file only does what needs JS: shorthands evened out, Buffers turned
// into PEM text, a driver object (or a driver module, `{ entrypoint, config }`) adapted to be
// called from Rust. Every mistake is an ERR_SESSION_CONFIG naming the option.

const { createRequire } = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { SessionError } = require('./errors');

function configError(message) {
  return new SessionError('ERR_SESSION_CONFIG', message);
}

/** A driver object written in JS: Astro's SessionDriver, any unstorage driver. */
function isCustomDriver(driver) {
  return driver !== null && typeof driver === 'object' && typeof driver.getItem === 'function';
}

// The record as text: drivers store the string they were given, but some hand back what they
// parsed from it, or bytes.
function storedText(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  return JSON.stringify(value);
}

// The driver's methods as Rust calls them (src/js_driver.rs): always async, so whatever the
// driver throws arrives in Rust as a rejected promise.
function customDriver(driver) {
  for (const method of ['getItem', 'setItem', 'removeItem']) {
    if (typeof driver[method] !== 'function') {
      throw configError(`a custom driver needs getItem, setItem and removeItem methods; ${method} is missing`);
    }
  }
  return {
    getItem: async (id) => storedText(await driver.getItem(id)),
    setItem: async (id, record, ttl) => {
      await driver.setItem(id, record, { ttl });
    },
    removeItem: async (id) => {
      await driver.removeItem(id);
    },
  };
}

/** Astro's form of a driver: `{ entrypoint: 'unstorage/drivers/redis', config: { url } }`. */
function isEntrypointDriver(driver) {
  return driver !== null && typeof driver === 'object' && 'entrypoint' in driver;
}

/**
 * The module a driver entrypoint names, imported as Astro imports it: a package (its ES module
 * build), or a file path relative to the working directory. A package napi-session cannot see
 * from where it is installed (pnpm's strict layout) is looked up from the working directory.
 */
async function importEntrypoint(entrypoint) {
  if (entrypoint instanceof URL) return import(entrypoint.href);
  if (/^\.{1,2}([\\/]|$)/.test(entrypoint) || path.isAbsolute(entrypoint)) {
    return import(pathToFileURL(path.resolve(entrypoint)).href);
  }
  try {
    return await import(entrypoint);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const fromProject = createRequire(path.join(process.cwd(), 'package.json'));
    return import(pathToFileURL(fromProject.resolve(entrypoint)).href);
  }
}

/**
 * A driver loaded from its entrypoint on first use (createSessions() is synchronous, an import is
 * not): the module's default export is called with `config`, as Astro does, and the driver it
 * returns serves every call after. What goes wrong doing so fails each storage call, naming the
 * entrypoint.
 */
function entrypointDriver({ entrypoint, config, ...rest }) {
  const extra = Object.keys(rest);
  if (extra.length > 0) throw configError(`unknown driver option "${extra[0]}" next to entrypoint; the driver's options go in config`);
  if (!(entrypoint instanceof URL) && (typeof entrypoint !== 'string' || entrypoint === '')) {
    throw configError('driver entrypoint must be a module name or path (e.g. "unstorage/drivers/redis")');
  }
  if (config !== undefined && (config === null || typeof config !== 'object')) {
    throw configError(`the config of driver entrypoint ${JSON.stringify(String(entrypoint))} must be an object`);
  }
  const name = JSON.stringify(String(entrypoint));
  let loading = null;
  const driver = () =>
    (loading ??= (async () => {
      let module;
      try {
        module = await importEntrypoint(entrypoint);
      } catch (error) {
        throw new Error(`driver entrypoint ${name} could not be loaded: ${error?.message ?? error}`, { cause: error });
      }
      // An ES module's default export, or a CommonJS module's exports (or their `default`).
      const factory = [module.default, module.default?.default].find((candidate) => typeof candidate === 'function');
      if (!factory) throw new Error(`driver entrypoint ${name} does not export a driver factory as its default export`);
      const made = await factory(config ?? {});
      if (!isCustomDriver(made) || typeof made.setItem !== 'function' || typeof made.removeItem !== 'function') {
        throw new Error(`driver entrypoint ${name} made no driver (an object with getItem, setItem and removeItem)`);
      }
      return made;
    })());
  return customDriver({
    getItem: async (id) => (await driver()).getItem(id),
    setItem: async (id, text, options) => (await driver()).setItem(id, text, options),
    removeItem: async (id) => (await driver()).removeItem(id),
  });
}

/**
 * The driver option as JSON-able options and, for a driver object or module, its methods adapted
 * for Rust: `{ options, methods }`.
 */
function splitDriver(driver) {
  if (isCustomDriver(driver)) return { options: { name: 'custom' }, methods: customDriver(driver) };
  if (isEntrypointDriver(driver)) return { options: { name: 'custom' }, methods: entrypointDriver(driver) };
  if (driver === undefined) return { options: undefined, methods: undefined };
  if (typeof driver === 'string') return { options: { name: driver }, methods: undefined };
  if (driver === null || typeof driver !== 'object') {
    throw configError(
      'driver must be "memory", "fs", "redis", an object { name, ...options }, a driver object { getItem, setItem, removeItem }, ' +
        'or { entrypoint, config } (a driver module, as Astro takes it)',
    );
  }
  const options = { ...driver };
  if (options.tls !== undefined) options.tls = tlsAsText(options.tls);
  return { options, methods: undefined };
}

/** `tls: { ca, cert, key }` as PEM text (Buffers, and lists of them for `ca`, as Node's tls takes them). */
function tlsAsText(tls) {
  if (tls === null || typeof tls !== 'object') return tls;
  const text = (value, list) => {
    if (list && Array.isArray(value)) return value.map((item) => text(item, false)).join('\n');
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
    return value;
  };
  return { ...tls, ca: text(tls.ca, true), cert: text(tls.cert, false), key: text(tls.key, false) };
}

/**
 * JSON text of `options`. JSON.stringify would drop a function or a symbol without a word, and
 * write a number that is not finite as null (and a Date would arrive as text the core refuses
 * anyway): those are refused here, naming the option.
 */
function toJson(options, what) {
  return JSON.stringify(options, function refuseWhatJsonDrops(key, value) {
    const type = typeof value;
    if (type === 'function' || type === 'symbol' || type === 'bigint') {
      throw configError(`${what} option ${key}: a ${type} is not a valid value`);
    }
    // (JSON would write NaN and ±Infinity as null, which reads as "not given".)
    if (type === 'number' && !Number.isFinite(value)) throw configError(`${what} option ${key}: ${value} is not a finite number`);
    return value;
  });
}

/**
 * What NativeSessions takes, from the options of createSessions(): `[json, driverMethods,
 * production]` (`production`: cookies are Secure by default, as Astro does with NODE_ENV).
 */
function nativeOptions(options = {}) {
  if (options === null || typeof options !== 'object') throw configError('createSessions() takes an options object');
  const { driver, cookie, secrets, ...rest } = options;
  const { options: driverOptions, methods } = splitDriver(driver);
  const shaped = {
    ...rest,
    driver: driverOptions,
    cookie: typeof cookie === 'string' ? { name: cookie } : cookie,
    secrets: typeof secrets === 'string' ? [secrets] : secrets,
  };
  return [toJson(shaped, 'createSessions()'), methods, process.env.NODE_ENV === 'production'];
}

/** What NativeStore (napi-session/astro) takes: `[json, driverMethods]`, from `{ driver, ttl }`. */
function nativeStoreOptions(driver, ttl) {
  const { options, methods } = splitDriver(driver);
  return [toJson({ driver: options, ttl }, 'napi-session/astro'), methods];
}

module.exports = { nativeOptions, nativeStoreOptions };
