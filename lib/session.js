'use strict';

// The `session` object, with Astro's API. Each method crosses into Rust once (src/native_session.rs);
// values cross as bytes (lib/handoff.js). Reads that need the stored values load them first —
// once per request, off the JS thread — and a request that never reads storage never waits.

const { encode, decode } = require('./handoff');
const { SessionError, callNative, awaitNative, describe } = require('./errors');

/**
 * What napi cannot carry is checked here: a key that is not a string, or holds a lone surrogate
 * (which would arrive in Rust changed). The rest of the rules for keys are the core's.
 */
function checkKey(key) {
  if (typeof key !== 'string') {
    throw new SessionError('ERR_SESSION_KEY', `The session key must be a non-empty string (got ${describe(key)}).`);
  }
  if (!key.isWellFormed()) {
    throw new SessionError('ERR_SESSION_KEY', 'The session key must be a well-formed string (it holds a lone surrogate).');
  }
}

/** The value of `key` from its bytes; a failure says which key (the rest of the session is fine). */
function decodeValueOf(key, bytes) {
  try {
    return decode(bytes);
  } catch (error) {
    throw new SessionError(error.code ?? 'ERR_SESSION_PARSE', `The value of ${JSON.stringify(key)}: ${error.message}`, { cause: error.cause });
  }
}

/** The type is checked here (napi would refuse it with a message of its own); the range, in Rust. */
function checkTtl(ttl) {
  if (ttl !== undefined && typeof ttl !== 'number') {
    throw new SessionError('ERR_SESSION_CONFIG', `ttl must be a number of seconds (got ${describe(ttl)}).`);
  }
}

/**
 * express-session's habit of passing a callback to regenerate() or destroy(): refused at once
 * (thrown synchronously, so Express answers 500 with this message), where it would otherwise be
 * ignored and leave the request waiting for a callback that never comes.
 */
function refuseCallback(method, argument) {
  if (typeof argument === 'function') {
    throw new SessionError(
      'ERR_SESSION_CONFIG',
      `${method}() takes no callback: it is Astro's ${method}()${method === 'regenerate' ? ', which returns a promise (await it)' : ', which is synchronous'}. ` +
        "For express-session's API (callbacks, req.session.x = v), use napi-session/express.",
    );
  }
}

/**
 * The hook of napi-session/express (not public API): this request's cookie Max-Age in seconds,
 * or null for a browser-session cookie, in place of the configured one; `changed`: send it at
 * the next write.
 */
const setCookieMaxAge = Symbol('setCookieMaxAge');

class Session {
  #native;
  #maxDepth;
  #timeoutMs;
  /** The load in flight, shared by every read that needs it. */
  #loading = null;

  /**
   * @param {import('../binding').NativeSession} native
   * @param {{ maxDepth: number, timeoutMs: number }} limits the deepest nesting a value may have,
   *   and how long an operation may take (the sessions' maxDepth and timeout)
   */
  constructor(native, { maxDepth, timeoutMs }) {
    this.#native = native;
    this.#maxDepth = maxDepth;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * The session id (a v4 UUID), or undefined while there is none: before the stored session
   * named by the cookie has been read (the cookie is only the client's claim until then), or
   * when it does not exist and no new session was started.
   */
  get sessionID() {
    return this.#native.sessionId ?? undefined;
  }

  /** The value of `key`, or undefined. */
  async get(key) {
    checkKey(key);
    const value = await this.#read(() => this.#native.get(key));
    return value === undefined ? undefined : decodeValueOf(key, value);
  }

  async has(key) {
    checkKey(key);
    return this.#read(() => this.#native.has(key));
  }

  async keys() {
    return (await this.#read(() => this.#native.keys()))[Symbol.iterator]();
  }

  async values() {
    const flat = await this.#read(() => this.#native.entries());
    const values = [];
    for (let i = 1; i < flat.length; i += 2) values.push(decodeValueOf(flat[i - 1], flat[i]));
    return values;
  }

  async entries() {
    const flat = await this.#read(() => this.#native.entries());
    const entries = [];
    for (let i = 0; i < flat.length; i += 2) entries.push([flat[i], decodeValueOf(flat[i], flat[i + 1])]);
    return entries;
  }

  /**
   * Stores a copy of `value` under `key`. The value is checked and copied now: what cannot be
   * stored throws ERR_SESSION_SERIALIZE at once, naming the key and where in the value.
   */
  set(key, value, { ttl } = {}) {
    checkKey(key);
    checkTtl(ttl);
    const bytes = this.#encode(key, value);
    callNative(() => this.#native.set(key, bytes, ttl));
  }

  /**
   * As `set`, for a value read once: the next request that reads `key` gets it, and it is gone for
   * every other (exactly one reader, even among concurrent requests) — a message after a redirect.
   */
  flash(key, value, { ttl } = {}) {
    checkKey(key);
    checkTtl(ttl);
    const bytes = this.#encode(key, value);
    callNative(() => this.#native.flash(key, bytes, ttl));
  }

  /**
   * An atomic read-modify-write of one key: `fn(current)` computes the new value, which is stored
   * at once if the key still holds `current`; if another request changed it meanwhile, `fn` runs
   * again on the value as stored. Resolves to the value stored. No increment is lost, across
   * requests and processes. (For a session not stored yet, or a key this request already set,
   * the new value is set as by `set()` and stored at commit.)
   */
  async update(key, fn, { ttl } = {}) {
    checkKey(key);
    checkTtl(ttl);
    if (typeof fn !== 'function') throw new SessionError('ERR_SESSION_CONFIG', 'update() takes a function (current value) => new value.');
    let base = await this.#read(() => this.#native.get(key));
    // Re-runs are bounded by the sessions' timeout, as every wait is, not by a count: under heavy
    // contention from other processes (which no turn of this one holds back), a count runs out
    // while the key is still moving; a few milliseconds later the update lands.
    const deadline = performance.now() + this.#timeoutMs;
    try {
      while (performance.now() < deadline) {
        const next = await fn(base === undefined ? undefined : decodeValueOf(key, base));
        const bytes = this.#encode(key, next);
        const outcome = await awaitNative(this.#native.update(key, base ?? null, bytes, ttl));
        if (outcome.done) return next;
        // Changed meanwhile: fn runs again on the value as stored, while this session keeps its
        // turn (so keep fn quick: other requests of the session wait for it).
        base = outcome.current ?? undefined;
      }
    } finally {
      this.#native.releaseTurn();
    }
    throw new SessionError(
      'ERR_SESSION_TIMEOUT',
      `update() of ${JSON.stringify(key)}: other requests kept changing it for ${this.#timeoutMs / 1000} s (the timeout) ` +
        'while this one computed its value; not saved.',
    );
  }

  #encode(key, value) {
    return encode(
      value,
      (path, reason) =>
        `The session data for ${JSON.stringify(key)} could not be serialized: ${reason}${path ? ` (at ${path})` : ''}. ` +
        'Session values can be what devalue supports: plain objects, arrays, primitives, Date, Map, Set, RegExp, URL, BigInt, typed arrays.',
      this.#maxDepth,
    );
  }

  delete(key) {
    checkKey(key);
    callNative(() => this.#native.delete(key));
  }

  /** Ends the session: its data is removed from storage at commit, and its cookie expired. */
  destroy(callback) {
    refuseCallback('destroy', callback);
    callNative(() => this.#native.destroy());
  }

  /**
   * Moves the session's data to a new id (session fixation defence): `id`, a v4 UUID of the
   * application's choosing (stored only if no session has it yet), or a random one.
   */
  regenerate(id) {
    refuseCallback('regenerate', id);
    if (id !== undefined && typeof id !== 'string') {
      throw new SessionError('ERR_SESSION_KEY', `regenerate() takes a session id string, or nothing (got ${describe(id)}).`);
    }
    return this.#regenerate(id);
  }

  async #regenerate(id) {
    await this.#ensureLoaded();
    callNative(() => this.#native.regenerate(id));
  }

  /** Switches to the stored session `id`; changes not committed are dropped. */
  async load(id) {
    if (typeof id !== 'string') throw new SessionError('ERR_SESSION_KEY', `load() takes a session id string (got ${describe(id)}).`);
    callNative(() => this.#native.switchTo(id));
    await this.#ensureLoaded();
  }

  [setCookieMaxAge](seconds, changed) {
    callNative(() => this.#native.setCookieMaxAge(seconds, changed));
  }

  /** Persists the session; resolves to the Set-Cookie header values to send. */
  async commit() {
    // A request that changed nothing skips the trip to the Rust thread pool altogether.
    if (!this.#native.dirty) return [];
    return awaitNative(this.#native.commit());
  }

  /**
   * Runs `read`; if the stored values are needed first (it answers null), loads them, and if flash
   * values must be taken first (it answers { consume }), takes them; then asks again.
   */
  async #read(read) {
    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = callNative(read);
      if (answer === null) await this.#ensureLoaded();
      else if (answer?.consume !== undefined) await awaitNative(this.#native.consume(answer.consume));
      else return answer;
    }
    throw new SessionError('ERR_SESSION_STORAGE', 'The session changed while it was being loaded; try again.');
  }

  async #ensureLoaded() {
    this.#loading ??= this.#native.load().finally(() => {
      this.#loading = null;
    });
    await awaitNative(this.#loading);
  }
}

module.exports = { Session, setCookieMaxAge };
