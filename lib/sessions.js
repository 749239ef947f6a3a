'use strict';

const { NativeSessions } = require('./native');
const { normalizeOptions } = require('./options');
const { Session } = require('./session');
const { toSessionError, SessionError } = require('./errors');

/** The Cookie header of a request: IncomingMessage, Fetch Request, or the header itself. */
function cookieHeaderOf(request) {
  if (typeof request === 'string') return request;
  if (request === undefined || request === null) return undefined;
  const headers = request.headers;
  if (headers && typeof headers.get === 'function') return headers.get('cookie') ?? undefined;
  if (headers && typeof headers === 'object') {
    const cookie = headers.cookie;
    return Array.isArray(cookie) ? cookie.join('; ') : cookie;
  }
  throw new SessionError(
    'ERR_SESSION_CONFIG',
    'fromRequest() takes an IncomingMessage, a Fetch Request, or a Cookie header string.',
  );
}

class Sessions {
  #native;

  constructor(options) {
    const config = normalizeOptions(options);
    try {
      this.#native = new NativeSessions(config);
    } catch (error) {
      throw toSessionError(error, 'ERR_SESSION_CONFIG');
    }
  }

  /** The session of a request (IncomingMessage, Fetch Request, or a Cookie header string). */
  fromRequest(request) {
    return new Session(this.#native.open(cookieHeaderOf(request)));
  }
}

/** Sessions configured once, for every request: `createSessions(options).fromRequest(req)`. */
function createSessions(options) {
  return new Sessions(options);
}

module.exports = { createSessions, Sessions };
