'use strict';

// createSessions() options → the flat, validated configuration the Rust side takes
// (src/sessions.rs: SessionsConfig). Every mistake is an ERR_SESSION_CONFIG naming the option.

const { createRequire } = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { SessionError } = require('./errors');

const DEFAULT_COOKIE_NAME = 'astro-session';
/** Astro's default directory for the fs driver (relative to the working directory). */
const DEFAULT_FS_BASE = '.astro/session';
/** How long a stored session lives after its last write when neither ttl nor idleTimeout is set. */
const DEFAULT_LIFETIME = 24 * 60 * 60;

const OPTIONS = new Set(['driver', 'cookie', 'ttl', 'idleTimeout', 'absoluteTimeout', 'rolling', 'secrets', 'timeout', 'maxSize', 'maxDepth', 'maxExpansion']);
const COOKIE_OPTIONS = new Set(['name', 'domain', 'path', 'maxAge', 'sameSite', 'secure', 'partitioned', 'priority']);
const DRIVER_OPTIONS = {
  memory: new Set(['name', 'maxEntries']),
  fs: new Set(['name', 'base', 'sweepInterval']),
  redis: new Set(['name', 'url', 'base', 'cluster', 'connectTimeout', 'commandTimeout', 'tls']),
};
const REDIS_TLS_OPTIONS = new Set(['ca', 'cert', 'key']);

function configError(message) {
  return new SessionError('ERR_SESSION_CONFIG', message);
}

function checkKnown(object, known, what) {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) {
      throw configError(`unknown ${what} option "${key}"; known options: ${[...known].join(', ')}`);
    }
  }
}

function seconds(value, name, { optional = true } = {}) {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw configError(`${name} must be a number of seconds, 0 or more (got ${String(value)})`);
  }
  return value;
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

// The driver's methods as Rust calls them (src/js_store.rs): always async, so whatever the
// driver throws arrives in Rust as a rejected promise.
function customDriver(driver) {
  for (const method of ['getItem', 'setItem', 'removeItem']) {
    if (typeof driver[method] !== 'function') {
      throw configError(`a custom driver needs getItem, setItem and removeItem methods; ${method} is missing`);
    }
  }
  return {
    name: 'custom',
    custom: {
      getItem: async (id) => storedText(await driver.getItem(id)),
      setItem: async (id, record, ttl) => {
        await driver.setItem(id, record, { ttl });
      },
      removeItem: async (id) => {
        await driver.removeItem(id);
      },
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

function normalizeDriver(driver) {
  if (isCustomDriver(driver)) return customDriver(driver);
  if (isEntrypointDriver(driver)) return entrypointDriver(driver);
  const options = typeof driver === 'string' ? { name: driver } : driver;
  if (options === null || typeof options !== 'object') {
    throw configError(
      'driver must be "memory", "fs", "redis", an object { name, ...options }, a driver object { getItem, setItem, removeItem }, ' +
        'or { entrypoint, config } (a driver module, as Astro takes it)',
    );
  }
  const known = DRIVER_OPTIONS[options.name];
  if (!known) {
    throw configError(
      `unknown driver ${JSON.stringify(options.name)}: use "memory", "fs" or "redis", a driver object, ` +
        'or { entrypoint, config } for a driver module such as "unstorage/drivers/redis"',
    );
  }
  checkKnown(options, known, `${options.name} driver`);
  const config = { name: options.name };
  if (options.name === 'memory' && options.maxEntries !== undefined) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw configError('memory driver maxEntries must be a whole number, 1 or more');
    }
    config.maxEntries = options.maxEntries;
  }
  if (options.name === 'fs') {
    const base = options.base ?? DEFAULT_FS_BASE;
    if (typeof base !== 'string' || base === '') throw configError('fs driver base must be a directory path');
    config.base = path.resolve(base);
    config.sweepInterval = seconds(options.sweepInterval, 'fs driver sweepInterval');
  }
  if (options.name === 'redis') Object.assign(config, normalizeRedis(options));
  return config;
}

/** The redis driver's options: one server (`url`) or a cluster (`cluster: [url, …]`). */
function normalizeRedis(options) {
  const { url, cluster, base, tls } = options;
  if ((url === undefined) === (cluster === undefined)) {
    throw configError('the redis driver needs exactly one of url (one server) or cluster (a list of node URLs)');
  }
  if (url !== undefined && (typeof url !== 'string' || url === '')) {
    throw configError('redis driver url must be a redis://, rediss://, valkey:// or valkeys:// URL string');
  }
  if (cluster !== undefined && !(Array.isArray(cluster) && cluster.length > 0 && cluster.every((node) => typeof node === 'string' && node !== ''))) {
    throw configError('redis driver cluster must be a non-empty list of node URL strings, e.g. ["redis://10.0.0.1:7000"]');
  }
  if (base !== undefined && typeof base !== 'string') throw configError('redis driver base must be a string (the key prefix)');
  const timeout = (name) => {
    const value = seconds(options[name], `redis driver ${name}`);
    if (value === 0) throw configError(`redis driver ${name} must be more than 0 seconds`);
    return value;
  };
  return {
    url,
    cluster,
    base,
    connectTimeout: timeout('connectTimeout'),
    commandTimeout: timeout('commandTimeout'),
    tls: tls === undefined ? undefined : normalizeRedisTls(tls),
  };
}

/** `tls: { ca, cert, key }`: PEM text, as strings or Buffers (ca also a list of them, as Node's tls takes them). */
function normalizeRedisTls(tls) {
  if (tls === null || typeof tls !== 'object') throw configError('redis driver tls must be an object { ca, cert, key }');
  checkKnown(tls, REDIS_TLS_OPTIONS, 'redis driver tls');
  const pem = (name, value, list) => {
    if (value === undefined) return undefined;
    if (list && Array.isArray(value)) return value.map((item) => pem(name, item, false)).join('\n');
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
    throw configError(`redis driver tls.${name} must be PEM text (a string or a Buffer${list ? ', or a list of them' : ''})`);
  };
  const config = { ca: pem('ca', tls.ca, true), cert: pem('cert', tls.cert, false), key: pem('key', tls.key, false) };
  if ((config.cert === undefined) !== (config.key === undefined)) {
    throw configError('redis driver tls.cert and tls.key go together: give both or neither');
  }
  return config;
}

/** `secrets`: a string or a list of them; the first signs, all verify. */
function normalizeSecrets(secrets) {
  if (secrets === undefined) return undefined;
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (!Array.isArray(list) || !list.every((secret) => typeof secret === 'string')) {
    throw configError('secrets must be a string or a list of strings (the first signs, all verify)');
  }
  return list;
}

function normalizeCookie(cookie, secrets) {
  const options = typeof cookie === 'string' ? { name: cookie } : cookie ?? {};
  if (typeof options !== 'object') throw configError('cookie must be a name or an object { name, ... }');
  checkKnown(options, COOKIE_OPTIONS, 'cookie');
  const sameSite = options.sameSite ?? 'lax';
  const sameSiteNames = { lax: 'lax', strict: 'strict', none: 'none', true: 'strict', false: 'off' };
  const normalizedSameSite = sameSiteNames[typeof sameSite === 'string' ? sameSite.toLowerCase() : String(sameSite)];
  if (!normalizedSameSite) throw configError('cookie sameSite must be "lax", "strict", "none", true or false');
  const optionalString = (name) => {
    const value = options[name];
    if (value !== undefined && typeof value !== 'string') throw configError(`cookie ${name} must be a string`);
    return value;
  };
  const optionalBoolean = (name, fallback) => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'boolean') throw configError(`cookie ${name} must be true or false`);
    return value;
  };
  return {
    name: optionalString('name') ?? DEFAULT_COOKIE_NAME,
    domain: optionalString('domain'),
    path: optionalString('path'),
    maxAge: seconds(options.maxAge, 'cookie maxAge'),
    sameSite: normalizedSameSite,
    secure: optionalBoolean('secure', process.env.NODE_ENV === 'production'),
    partitioned: optionalBoolean('partitioned', false),
    priority: optionalString('priority')?.toLowerCase(),
    secrets: normalizeSecrets(secrets),
  };
}

/** The configuration for the native side, from the options of createSessions(). */
function normalizeOptions(options = {}) {
  if (options === null || typeof options !== 'object') throw configError('createSessions() takes an options object');
  checkKnown(options, OPTIONS, 'createSessions()');
  const positive = (name) => {
    const value = seconds(options[name], name);
    if (value === 0) throw configError(`${name} must be more than 0 seconds`);
    return value;
  };
  const ttl = positive('ttl');
  const idleTimeout = positive('idleTimeout');
  const booleanOption = (name) => {
    const value = options[name] ?? false;
    if (typeof value !== 'boolean') throw configError(`${name} must be true or false`);
    return value;
  };
  const wholeNumber = (name) => {
    const value = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw configError(`${name} must be a whole number, 1 or more`);
    }
    return value;
  };
  return {
    driver: normalizeDriver(options.driver ?? 'fs'),
    cookie: normalizeCookie(options.cookie, options.secrets),
    ttl,
    lifetime: idleTimeout ?? ttl ?? DEFAULT_LIFETIME,
    absoluteTimeout: positive('absoluteTimeout'),
    rolling: booleanOption('rolling'),
    timeout: positive('timeout'),
    maxSize: wholeNumber('maxSize'),
    maxDepth: wholeNumber('maxDepth'),
    maxExpansion: wholeNumber('maxExpansion'),
  };
}

module.exports = {
  normalizeOptions,
  normalizeDriverOptions: normalizeDriver,
  DEFAULT_COOKIE_NAME,
  DEFAULT_FS_BASE,
  DEFAULT_LIFETIME,
};
