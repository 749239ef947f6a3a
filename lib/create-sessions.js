'use strict';

const { NativeSessions } = require('./native');
const { nativeOptions } = require('./options');
const { Session } = require('./session');
const { callNative, describe, SessionError } = require('./errors');
const { middleware } = require('./middleware');
const { handle } = require('./handle');

/** The Cookie header of a request: IncomingMessage, Fetch Request, or the header itself. */
function cookieHeaderOf(request) {
  if (typeof request === 'string') return request;
  if (request === undefined || request === null) return undefined;
  const headers = request.headers;
  let cookie;
  if (headers && typeof headers.get === 'function') cookie = headers.get('cookie') ?? undefined;
  else if (headers && typeof headers === 'object') cookie = headers.cookie;
  else {
    throw new SessionError(
      'ERR_SESSION_CONFIG',
      'fromRequest() takes an IncomingMessage, a Fetch Request, or a Cookie header string.',
    );
  }
  if (Array.isArray(cookie) && cookie.every((part) => typeof part === 'string')) return cookie.join('; ');
  if (cookie === undefined || cookie === null || typeof cookie === 'string') return cookie ?? undefined;
  throw new SessionError(
    'ERR_SESSION_CONFIG',
    `fromRequest(): the request's cookie header must be a string (got ${typeof cookie}).`,
  );
}

/**
 * For napi-session/express's `migrateFrom`: what the request's session cookie names if one of the
 * secrets signed it, whatever it is (an express-session id), and the limits in force. Not public API.
 */
const signedSessionId = Symbol('signedSessionId');
const sessionLimits = Symbol('sessionLimits');

class Sessions {
  #native;

  constructor(options) {
    const args = nativeOptions(options);
    this.#native = callNative(() => new NativeSessions(...args));
    this.#limits = { maxDepth: this.#native.maxDepth, timeoutMs: this.#native.timeoutMs };
  }

  #limits;

  /** The session of a request (IncomingMessage, Fetch Request, or a Cookie header string). */
  fromRequest(request) {
    return new Session(this.#native.open(cookieHeaderOf(request)), this.#limits);
  }

  [signedSessionId](request) {
    const header = cookieHeaderOf(request);
    return header ? (callNative(() => this.#native.signedId(header)) ?? undefined) : undefined;
  }

  get [sessionLimits]() {
    return this.#limits;
  }

  /**
   * What the driver tells of its state. The memory driver: `{ entries, evictions }`, the sessions
   * it holds and how many it has dropped to make room (each an involuntary sign-out: if it grows,
   * raise maxEntries). Other drivers: `{}`.
   */
  stats() {
    const { entries, evictions } = callNative(() => this.#native.stats());
    return entries === undefined && evictions === undefined ? {} : { entries, evictions };
  }

  /**
   * Express / Connect middleware: sets `req.session` and persists it before the response
   * headers are sent; storage errors go to `next(err)`.
   */
  middleware() {
    return middleware(this);
  }

  /**
   * Wraps a Fetch-style handler `(request, session, ...rest) => Response`: the session is
   * committed after it and its Set-Cookie headers added to the Response.
   */
  handle(handler) {
    if (typeof handler !== 'function') throw new SessionError('ERR_SESSION_CONFIG', 'handle() takes a handler function.');
    return handle(this, handler);
  }
}

/** Sessions configured once, for every request: `createSessions(options).fromRequest(req)`. */
function createSessions(options) {
  return new Sessions(options);
}

/**
 * The Sessions a framework integration (`integration`: its name, for messages) runs on: those it
 * was given — as `{ sessions }`, or themselves — or new ones from createSessions() options.
 * `frameworkOptions`: names the framework itself passes along with the integration's options.
 */
function sessionsFrom(options, integration, frameworkOptions = []) {
  if (options instanceof Sessions) return options;
  if (options === undefined) return createSessions();
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SessionError(
      'ERR_SESSION_CONFIG',
      `${integration} takes an options object: createSessions() options, or { sessions: createSessions(...) } (got ${describe(options)}).`,
    );
  }
  const { sessions, ...rest } = options;
  for (const name of frameworkOptions) delete rest[name];
  if (sessions === undefined) return createSessions(rest);
  if (!(sessions instanceof Sessions)) {
    throw new SessionError('ERR_SESSION_CONFIG', `${integration}: sessions must be what createSessions() returns (got ${describe(sessions)}).`);
  }
  const others = Object.keys(rest);
  if (others.length > 0) {
    throw new SessionError(
      'ERR_SESSION_CONFIG',
      `${integration}: give either createSessions() options or { sessions: createSessions(...) }, not both (also given: ${others.join(', ')}).`,
    );
  }
  return sessions;
}

module.exports = { createSessions, sessionsFrom, Sessions, signedSessionId, sessionLimits };
