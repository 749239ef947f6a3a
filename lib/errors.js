'use strict';

/**
 * Every failure napi-session reports is a SessionError with a stable `code`:
 * ERR_SESSION_KEY, ERR_SESSION_SERIALIZE, ERR_SESSION_PARSE, ERR_SESSION_STORAGE,
 * ERR_SESSION_TIMEOUT, ERR_SESSION_CONFIG, ERR_SESSION_INTERNAL (a bug), or ERR_SESSION_PLATFORM
 * (no native binary loads on this machine; lib/platform.js).
 */
class SessionError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'SessionError';
    this.code = code;
  }
}

/**
 * Turns what a native call threw into a SessionError. The Rust side puts the stable code in the
 * error's `code` (src/errors.rs); anything else it could throw (an argument napi-rs could not
 * convert) is a bug of this package's, reported as ERR_SESSION_INTERNAL with the original as `cause`.
 */
function toSessionError(error) {
  if (error instanceof SessionError) return error;
  const code = error?.code;
  if (typeof code === 'string' && code.startsWith('ERR_SESSION_')) return new SessionError(code, error.message);
  return new SessionError('ERR_SESSION_INTERNAL', `napi-session internal error: ${error?.message ?? error}`, { cause: error });
}

/** Runs a native call, turning what it throws into a SessionError. */
function callNative(work) {
  try {
    return work();
  } catch (error) {
    throw toSessionError(error);
  }
}

/** Awaits a native call's promise, turning its rejection into a SessionError. */
async function awaitNative(promise) {
  try {
    return await promise;
  } catch (error) {
    throw toSessionError(error);
  }
}

/** What a message says an argument was: a string quoted, otherwise its kind. */
function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

module.exports = { SessionError, toSessionError, callNative, awaitNative, describe };
