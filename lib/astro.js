'use strict';

// The Astro session driver entry point, `napi-session/astro`:
//
//   session: { driver: { entrypoint: 'napi-session/astro', config: { driver: 'redis', url } } }
//
// Astro keeps its own session object and its own devalue encoding; this driver gives it the Rust
// stores: the fs driver's atomic writes, Redis with expiry and a shared, reconnecting connection.

const { NativeStore } = require('./native');
const { normalizeDriverOptions, DEFAULT_LIFETIME } = require('./options');
const { SessionError, callNative, awaitNative } = require('./errors');

/**
 * Astro's driver factory. `config.driver` is "fs" (default), "memory" or "redis", or
 * `{ name, ...options }`; the other keys of `config` are that driver's options, and `ttl` is
 * how long a session lives after its last write (seconds, default 24 hours).
 */
function napiSessionDriver(config = {}) {
  let store;
  try {
    store = createStore(config);
  } catch (error) {
    return brokenDriver(error);
  }
  return {
    name: 'napi-session',
    getItem: (key) => awaitNative(store.getItem(key)),
    // A key that is not a session id (an upper-case UUID that Astro's own check lets through, say)
    // is "not found", so Astro starts a fresh session instead of answering 500.
    hasItem: async (key) => (await awaitNative(store.getItem(key))) !== null,
    setItem: (key, value) => awaitNative(store.setItem(key, typeof value === 'string' ? value : JSON.stringify(value))),
    removeItem: (key) => awaitNative(store.removeItem(key)),
  };
}

function createStore(config) {
  if (config === null || typeof config !== 'object') {
    throw new SessionError('ERR_SESSION_CONFIG', 'napi-session/astro: config must be an object { driver, ...options }');
  }
  const { driver = 'fs', ttl = DEFAULT_LIFETIME, ...driverOptions } = config;
  const options = typeof driver === 'string' ? { name: driver, ...driverOptions } : { ...driver, ...driverOptions };
  // The type is checked here; the range, in Rust.
  if (typeof ttl !== 'number') {
    throw new SessionError('ERR_SESSION_CONFIG', 'napi-session/astro: ttl must be a number of seconds, more than 0');
  }
  try {
    return callNative(() => new NativeStore(normalizeDriverOptions(options), ttl));
  } catch (error) {
    throw error.message.startsWith('napi-session/astro') ? error : new SessionError(error.code, `napi-session/astro: ${error.message}`);
  }
}

/**
 * The driver of a configuration that is wrong. Astro creates a driver when a request first needs
 * its session, and an error thrown then reaches its production log only as
 * "SessionStorageInitError … Unknown error" (the real one is its `cause`, which it does not
 * print). So the error is printed here, once, when the driver is created, and every session
 * operation fails with it: Astro logs those with their own message.
 */
function brokenDriver(error) {
  console.error(`${error.message} (${error.code}); every session request fails until the configuration is fixed`);
  const fail = async () => {
    throw error;
  };
  return { name: 'napi-session', getItem: fail, hasItem: fail, setItem: fail, removeItem: fail };
}

module.exports = { napiSessionDriver };
