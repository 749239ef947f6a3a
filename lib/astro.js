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
  const { driver = 'fs', ttl = DEFAULT_LIFETIME, ...driverOptions } = config;
  const options = typeof driver === 'string' ? { name: driver, ...driverOptions } : { ...driver, ...driverOptions };
  // The type is checked here; the range, in Rust.
  if (typeof ttl !== 'number') {
    throw new SessionError('ERR_SESSION_CONFIG', 'napi-session/astro: ttl must be a number of seconds, more than 0');
  }
  const store = callNative(() => new NativeStore(normalizeDriverOptions(options), ttl));
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

module.exports = { napiSessionDriver };
