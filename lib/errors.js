'use strict';

/**
 * Every failure napi-session reports is a SessionError with a stable `code`:
 * ERR_SESSION_KEY, ERR_SESSION_SERIALIZE, ERR_SESSION_PARSE, ERR_SESSION_STORAGE,
 * ERR_SESSION_TIMEOUT, ERR_SESSION_CONFIG, or ERR_SESSION_PLATFORM (no native binary loads
 * on this machine; lib/platform.js).
 */
class SessionError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'SessionError';
    this.code = code;
  }
}

// The Rust core reports its errors as "ERR_SESSION_X: message" (see src/errors.rs).
const NATIVE_MESSAGE = /^(ERR_SESSION_[A-Z]+): ([\s\S]*)$/;

/**
 * Turns whatever a native call threw into a SessionError. Errors without a code of ours (which
 * should not happen) keep their message under `fallbackCode`, with the original as `cause`.
 */
function toSessionError(error, fallbackCode) {
  if (error instanceof SessionError) return error;
  const match = NATIVE_MESSAGE.exec(error?.message ?? '');
  if (match) return new SessionError(match[1], match[2]);
  return new SessionError(fallbackCode, String(error?.message ?? error), { cause: error });
}

module.exports = { SessionError, toSessionError };
