'use strict';

// `napi-session/express`: a drop-in replacement for express-session.
//
//   const session = require('napi-session/express');
//   app.use(session({ secret: process.env.SESSION_SECRET, cookie: { maxAge: 86_400_000 }, store: 'fs' }));
//   app.post('/login', (req, res) => { req.session.user = req.body.name; res.redirect('/'); });
//
// express-session's options, its `req.session` (plain properties, save/reload/regenerate/destroy/
// touch with callbacks, `cookie`, `id`), `req.sessionID` and its signed cookie (`s:<id>.<signature>`),
// on napi-session's drivers. The session is loaded before the route runs, as express-session does,
// and persisted before the response's headers leave (lib/middleware.js).
//
// What differs on purpose: a request writes only the top-level properties it changed, merged into
// the session as stored at that moment (compare-and-set), so two requests that change different
// properties of one session both land; express-session writes the whole object back and the last
// request to finish wins.

const { randomUUID } = require('node:crypto');
const { createSessions, signedSessionId, sessionLimits } = require('./create-sessions');
const { stringify } = require('./codec');
const { SessionError } = require('./errors');
const { setCookieMaxAge } = require('./session');
const { holdHeadersUntilSaved } = require('./middleware');

const DEFAULT_NAME = 'connect.sid';
/** express-session's options, and the napi-session ones that have no express-session name. */
const OPTIONS = new Set([
  'secret', 'name', 'key', 'cookie', 'store', 'genid', 'rolling', 'resave', 'saveUninitialized', 'unset', 'proxy',
  'idleTimeout', 'absoluteTimeout', 'timeout', 'maxSize', 'maxDepth', 'maxExpansion', 'migrateFrom',
]);
const COOKIE_OPTIONS = new Set(['maxAge', 'expires', 'secure', 'httpOnly', 'sameSite', 'domain', 'path', 'partitioned', 'priority']);
/**
 * The key under which a session keeps its cookie settings, as express-session stores them (it is
 * `req.session.cookie`, never a value of the application's).
 */
const COOKIE_KEY = 'cookie';

function configError(message) {
  return new SessionError('ERR_SESSION_CONFIG', `napi-session/express: ${message}`);
}

/** express-session's options → createSessions() options and what each request needs. */
function normalizeOptions(options = {}) {
  if (options === null || typeof options !== 'object') throw configError('session() takes an options object');
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) throw configError(`unknown option "${key}"; known options: ${[...OPTIONS].join(', ')}`);
  }
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((secret) => typeof secret === 'string')) {
    throw configError(
      'the secret option is required: a string, or a list of strings (the first signs, all verify), each at least 32 bytes',
    );
  }
  const name = options.name ?? options.key ?? DEFAULT_NAME;
  const cookie = options.cookie ?? {};
  if (typeof cookie === 'function') {
    throw configError('cookie must be an object: per-request cookie options (a function) are not supported');
  }
  if (cookie === null || typeof cookie !== 'object') throw configError('cookie must be an object { maxAge, secure, ... }');
  for (const key of Object.keys(cookie)) {
    if (!COOKIE_OPTIONS.has(key)) throw configError(`unknown cookie option "${key}"; known options: ${[...COOKIE_OPTIONS].join(', ')}`);
  }
  const { maxAge = null, expires = null, secure = 'auto', httpOnly = true, sameSite = 'lax', domain, path = '/', partitioned, priority } = cookie;
  if (maxAge !== null && !(typeof maxAge === 'number' && Number.isFinite(maxAge) && maxAge >= 1000)) {
    throw configError(`cookie.maxAge is in milliseconds, as in express-session: a number, 1000 or more (got ${String(maxAge)})`);
  }
  if (expires !== null && !(expires instanceof Date && !Number.isNaN(expires.getTime()))) {
    throw configError('cookie.expires must be a valid Date');
  }
  if (httpOnly !== true) {
    throw configError('cookie.httpOnly must be true: napi-session never lets page scripts read the session cookie');
  }
  if (secure !== true && secure !== false && secure !== 'auto') throw configError('cookie.secure must be true, false or "auto"');
  if (typeof path !== 'string') throw configError('cookie.path must be a string');
  for (const [option, allowed] of [['resave', 'boolean'], ['rolling', 'boolean'], ['saveUninitialized', 'boolean'], ['proxy', 'boolean']]) {
    if (options[option] !== undefined && typeof options[option] !== allowed) throw configError(`${option} must be true or false`);
  }
  if (options.unset !== undefined && options.unset !== 'keep' && options.unset !== 'destroy') {
    throw configError('unset must be "keep" or "destroy"');
  }
  if (options.genid !== undefined && typeof options.genid !== 'function') throw configError('genid must be a function (req) => id');
  const { migrateFrom } = options;
  if (migrateFrom !== undefined && !(migrateFrom !== null && typeof migrateFrom === 'object' && typeof migrateFrom.get === 'function')) {
    throw configError('migrateFrom takes the express-session store sessions were kept in (e.g. a connect-redis RedisStore)');
  }
  const sessionsOptions = {
    driver: storeOption(options.store),
    cookie: {
      name,
      path,
      domain,
      partitioned,
      priority,
      // Whole seconds: express-session takes milliseconds, a cookie's Max-Age is in seconds.
      maxAge: maxAge === null ? undefined : Math.floor(maxAge / 1000),
      // 'auto' cookies are built secure and made plain for a request that did not come over
      // HTTPS (adjustSetCookie), as 'auto' sameSite cookies are built SameSite=None.
      secure: secure !== false,
      sameSite: sameSite === 'auto' ? 'none' : sameSite,
    },
    secrets,
    rolling: options.rolling ?? false,
    // express-session's stores keep a session as long as its cookie lives (cookie.maxAge);
    // napi-session renews that on use, as express-session's touch() does.
    idleTimeout: options.idleTimeout ?? (maxAge === null ? undefined : maxAge / 1000),
  };
  for (const option of ['absoluteTimeout', 'timeout', 'maxSize', 'maxDepth', 'maxExpansion']) {
    if (options[option] !== undefined) sessionsOptions[option] = options[option];
  }
  let sessions;
  try {
    sessions = createSessions(sessionsOptions);
  } catch (error) {
    throw error instanceof SessionError ? configError(error.message.replace(/^secret (\d+)/, 'secret[$1]')) : error;
  }
  return {
    sessions,
    cookie: { path, domain, secure, sameSite, partitioned, priority, maxAge, expires },
    genid: options.genid,
    proxy: options.proxy,
    saveUninitialized: options.saveUninitialized ?? true,
    unsetDestroy: options.unset === 'destroy',
    migrateFrom,
  };
}

/**
 * The cookie lifetime a session moved from express-session keeps: the one it was given there if
 * that is longer than the configured one (a "remember me" is not cut short); otherwise none of its
 * own — express-session does not say whether the application or its configuration chose it. A
 * configured `expires` date counts as the time left until it (express-session, too, records that
 * as the cookie's `originalMaxAge`); with neither, cookies last the browser session.
 */
function rememberedMaxAge(movedEntries, { maxAge, expires }) {
  const originalMaxAge = movedEntries.find(([key]) => key === COOKIE_KEY)?.[1]?.originalMaxAge;
  const configured = maxAge ?? (expires === null ? null : expires.getTime() - Date.now());
  const longer = typeof originalMaxAge === 'number' && (configured === null || originalMaxAge > configured);
  return longer ? originalMaxAge : undefined;
}

/**
 * A value from an express-session store as napi-session can store it: as it is, or, where devalue
 * refuses it (a class instance, such as a database id that connect-mongo hands back), as JSON holds
 * it — what express-session's JSON stores kept anyway. A value moved must never fail every request
 * of its user.
 */
function storable(value) {
  try {
    stringify(value);
    return value;
  } catch {
    try {
      return JSON.parse(JSON.stringify(value)) ?? null;
    } catch {
      return value; // (not JSON either: a cycle through an instance; its save names the property)
    }
  }
}

/** Node's timers take at most 2³¹−1 ms (~24.8 days); a longer delay would fire at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls an express-session store's `method(id, callback)` (the callback form every store has),
 * within `timeoutMs`. Its failure is a SessionError whose message never holds the id: a store's own
 * message may (a query with its parameters, a parser quoting its input), so the id is blanked out
 * of it, and such an error is not kept as the `cause` either.
 */
function callStore(store, method, id, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new SessionError('ERR_SESSION_TIMEOUT', `migrateFrom.${method}() did not answer within ${timeoutMs} ms`));
    }, Math.min(timeoutMs, LONGEST_TIMER_MS));
    const done = (error, value) => {
      clearTimeout(timer);
      if (!error) return resolve(value);
      const reason = String(error?.message ?? error);
      const named = reason.includes(id);
      const message = `migrateFrom.${method}() failed: ${named ? reason.replaceAll(id, '<session id>') : reason}`;
      reject(new SessionError('ERR_SESSION_STORAGE', message, named ? undefined : { cause: error }));
    };
    try {
      store[method](id, done);
    } catch (error) {
      done(error);
    }
  });
}

/** `store`: a napi-session driver option. Default 'memory', as express-session's MemoryStore. */
function storeOption(store = 'memory') {
  const looksLikeExpressStore =
    store !== null && typeof store === 'object' && typeof store.get === 'function' && typeof store.set === 'function' &&
    typeof store.destroy === 'function' && typeof store.getItem !== 'function';
  if (looksLikeExpressStore) {
    throw configError(
      'store takes a napi-session driver — "memory", "fs", { name: "fs", base }, { name: "redis", url, base } or a ' +
        '{ getItem, setItem, removeItem } driver — not an express-session Store (connect-redis: use { name: "redis", url }, ' +
        'and give the old store as migrateFrom to move its sessions over)',
    );
  }
  return store;
}

/**
 * Whether the request came over HTTPS, as express-session decides it: the socket; with `proxy`
 * true, X-Forwarded-Proto; with `proxy` unset, Express's `req.secure` (its "trust proxy" setting).
 */
function isSecure(req, proxy) {
  if (req.socket?.encrypted) return true;
  if (proxy === false) return false;
  if (proxy !== true) return req.secure === true;
  const header = String(req.headers['x-forwarded-proto'] ?? '');
  return header.split(',')[0].trim().toLowerCase() === 'https';
}

/**
 * A Set-Cookie value as this request must send it. The cookie is built in Rust once per
 * configuration; what depends on the request is applied here: `secure: 'auto'` (and
 * `sameSite: 'auto'`) for a request that did not come over HTTPS, and a fixed `expires` date.
 */
function adjustSetCookie(setCookie, cookie, secure) {
  let adjusted = setCookie;
  if (!secure && cookie.secure === 'auto') adjusted = adjusted.replace(/; Secure(?=;|$)/i, '');
  if (!secure && cookie.sameSite === 'auto') adjusted = adjusted.replace(/; SameSite=None(?=;|$)/i, '; SameSite=Lax');
  const removal = /; Max-Age=0(?=;|$)/i.test(adjusted);
  if (cookie.expires !== null && cookie.maxAge === null && !removal) adjusted += `; Expires=${cookie.expires.toUTCString()}`;
  return adjusted;
}

/** The path of the URL the request was made for (Express rewrites req.url in mounted routers). */
function originalPathname(req) {
  const url = req.originalUrl ?? req.url ?? '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

const perSessionCookie = (property) =>
  configError(
    `req.session.cookie.${property} cannot be changed for one session: every session's cookie has the options given ` +
      'to session(); only its lifetime (req.session.cookie.maxAge or .expires) is the session\'s own',
  );

/** Whole seconds of a cookie's lifetime in milliseconds (null: a browser-session cookie). */
const maxAgeSeconds = (ms) => (ms === null ? null : Math.floor(ms / 1000));

/** The longest lifetime a session keeps (about a century, the core's longest ttl), in ms. */
const MAX_COOKIE_MAX_AGE = 100 * 365 * 24 * 3600 * 1000;
/** A cookie lifetime (ms, null: a browser-session cookie) within the limits, as a stored one must be. */
const isCookieMaxAge = (ms) => ms === null || (typeof ms === 'number' && ms >= 0 && ms <= MAX_COOKIE_MAX_AGE);

function checkMaxAge(ms) {
  if (!isCookieMaxAge(ms)) {
    throw configError(
      `req.session.cookie.maxAge is in milliseconds: a number from 0 to ${MAX_COOKIE_MAX_AGE} (about 100 years), ` +
        `or null for a browser-session cookie (got ${String(ms)})`,
    );
  }
}

/** `req.session.cookie`: the cookie's settings as express-session shows them. */
class Cookie {
  #expires;
  #originalMaxAge;
  /** The application changed the cookie's lifetime in this request. */
  #changed = false;

  /** `ownMaxAge`: the session's own lifetime (ms or null), where it is not the configured one. */
  constructor(settings, secure, ownMaxAge) {
    this.path = settings.path;
    if (settings.domain !== undefined) this.domain = settings.domain;
    this.httpOnly = true;
    this.secure = settings.secure === 'auto' ? secure : settings.secure;
    this.sameSite = settings.sameSite === 'auto' ? (secure ? 'none' : 'lax') : settings.sameSite;
    if (settings.partitioned !== undefined) this.partitioned = settings.partitioned;
    if (settings.priority !== undefined) this.priority = settings.priority;
    if (ownMaxAge === undefined) {
      this.#originalMaxAge = settings.maxAge;
      this.#expires = settings.maxAge === null ? settings.expires : new Date(Date.now() + settings.maxAge);
    } else {
      this.#originalMaxAge = ownMaxAge;
      this.#expires = ownMaxAge === null ? null : new Date(Date.now() + ownMaxAge);
    }
  }

  /** Milliseconds the cookie was given to live when it was set; null for a browser-session cookie. */
  get originalMaxAge() {
    return this.#originalMaxAge;
  }

  set originalMaxAge(_) {
    throw perSessionCookie('originalMaxAge');
  }

  /** When the cookie expires, or null for a browser-session cookie. */
  get expires() {
    return this.#expires;
  }

  /** As express-session: this session's cookie expires at `date` (null: with the browser session). */
  set expires(date) {
    if (date !== null && !(date instanceof Date && !Number.isNaN(date.getTime()))) {
      throw configError('req.session.cookie.expires must be a valid Date, or null for a browser-session cookie');
    }
    const ms = date === null ? null : Math.max(0, date.getTime() - Date.now());
    if (ms !== null && ms > MAX_COOKIE_MAX_AGE) {
      throw configError(`req.session.cookie.expires must be within about 100 years (${MAX_COOKIE_MAX_AGE} ms) from now`);
    }
    this.#expires = date;
    this.#originalMaxAge = ms;
    this.#changed = true;
  }

  /** Milliseconds until the cookie expires, or null. */
  get maxAge() {
    return this.#expires === null ? null : this.#expires.getTime() - Date.now();
  }

  /**
   * As express-session: this session's cookie lives `ms` milliseconds from now, and as long again
   * from each later save ("remember me"); null: until the browser session ends. A Date sets
   * `expires`.
   */
  set maxAge(ms) {
    if (ms instanceof Date) {
      this.expires = ms;
      return;
    }
    checkMaxAge(ms);
    this.#expires = ms === null ? null : new Date(Date.now() + ms);
    this.#originalMaxAge = ms;
    this.#changed = true;
  }

  /** Whether the application changed the cookie's lifetime since the last call. */
  takeChange() {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /** As express-session's touch(): the cookie lives its maxAge from now. */
  renew() {
    if (this.#originalMaxAge !== null) this.#expires = new Date(Date.now() + this.#originalMaxAge);
  }

  get data() {
    const { path, domain, httpOnly, secure, sameSite, partitioned, priority } = this;
    return { originalMaxAge: this.#originalMaxAge, expires: this.#expires, secure, httpOnly, domain, path, sameSite, partitioned, priority };
  }

  toJSON() {
    return this.data;
  }
}

/**
 * `req.session`: the session's values as its own properties (set, change or delete them), and
 * express-session's methods. Everything else lives in the request's state (RequestSession).
 */
class Session {
  #request;

  constructor(request) {
    this.#request = request;
    Object.defineProperty(this, COOKIE_KEY, {
      value: new Cookie(request.config.cookie, request.secure, request.ownMaxAge),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }

  /** The session id (`req.sessionID`). */
  get id() {
    return this.#request.id;
  }

  /** Saves the session now; `callback(err)` once it is stored. */
  save(callback) {
    // (A session object that regenerate() or destroy() replaced is not saved again.)
    this.#request.run(() => (this === this.#request.object ? this.#request.persist(this) : undefined), callback);
    return this;
  }

  /** Replaces the session's values with those stored; `callback(err)`. */
  reload(callback) {
    this.#request.run(() => this.#request.reload(this), callback);
    return this;
  }

  /**
   * A new session in place of this one — a new id, no values (sign-in: session fixation
   * defence); `req.session` is then a new object. `callback(err)`.
   */
  regenerate(callback) {
    this.#request.run(() => this.#request.regenerate(), callback);
    return this;
  }

  /** Ends the session: removed from storage now, its cookie expired; `req.session` is unset. `callback(err)`. */
  destroy(callback) {
    if (this.#request.req.session === this) delete this.#request.req.session;
    this.#request.run(() => this.#request.destroy(), callback);
    return this;
  }

  /** The cookie lives its maxAge from now (express-session does this for every request itself). */
  touch() {
    this.cookie?.renew?.();
    return this;
  }

  resetMaxAge() {
    return this.touch();
  }
}

const DELETED = Symbol('deleted');

/**
 * Whether a stored key becomes a property of `req.session`. As express-session, not the names its
 * session object has already (`cookie`, `id`, its methods, Object's: `__proto__`, `constructor`,
 * ...); such keys stay in storage untouched.
 */
function shown(key) {
  return key !== COOKIE_KEY && !(key in Session.prototype);
}

/** One request's session: the napi-session Session behind `req.session`, and what was loaded. */
class RequestSession {
  /** The Set-Cookie values of the latest commit that had any (a save, a destroy): the response's. */
  #cookiesToSend = [];
  /** Operations on the session (save, reload, regenerate, destroy, the final save) run in turn. */
  #queue = Promise.resolve();

  constructor(config, req) {
    this.config = config;
    this.req = req;
    this.secure = isSecure(req, config.proxy);
    this.native = config.sessions.fromRequest(req);
    /** The session has not been stored yet (then its id is chosen on first need). */
    this.isNew = true;
    /** The id given to a new session before it is stored (genid's, or one read from req.sessionID). */
    this.chosenId = undefined;
    /** A stored session's values moved to a new id: it is saved even if nothing else changed. */
    this.regenerated = false;
    /** destroy() ran: nothing more is saved. */
    this.ended = false;
    /** key → devalue text of the value as stored: what a save compares against. */
    this.stored = new Map();
    this.object = null;
    /** The session's own cookie lifetime (ms, or null), where it is not the configured one. */
    this.ownMaxAge = undefined;
    /** The express-session id whose values this new session took over (`migrateFrom`). */
    this.movedFrom = undefined;
  }

  /** Loads the session named by the request's cookie (if any) into a new `req.session`. */
  async open() {
    const entries = await this.native.entries();
    const moved = entries.length === 0 && this.config.migrateFrom ? await this.#readOldSession() : [];
    // A cookie lifetime of the session's own, as stored with it (`own`: the application set it;
    // otherwise the configured one applies, also after the configuration changed).
    const storedCookie = entries.find(([key]) => key === COOKIE_KEY)?.[1];
    const storedMaxAge = moved.length > 0 ? rememberedMaxAge(moved, this.config.cookie) : storedCookie?.own === true ? storedCookie.originalMaxAge : undefined;
    if (isCookieMaxAge(storedMaxAge) && storedMaxAge !== this.config.cookie.maxAge) {
      this.ownMaxAge = storedMaxAge;
      this.native[setCookieMaxAge](maxAgeSeconds(storedMaxAge), false);
    }
    this.#adopt(entries);
    this.object = new Session(this);
    // Moved values are not stored here yet: the save stores them, under a new id and cookie.
    this.#assign(this.object, entries.length > 0 ? entries : moved);
    this.req.session = this.object;
  }

  /**
   * The values of the express-session session the request's signed cookie names, read from
   * `migrateFrom` ([key, value] pairs; none if there is no such session).
   */
  async #readOldSession() {
    const id = this.config.sessions[signedSessionId](this.req);
    if (id === undefined) return [];
    const old = await callStore(this.config.migrateFrom, 'get', id, this.config.sessions[sessionLimits].timeoutMs);
    if (old === null || typeof old !== 'object') return [];
    this.movedFrom = id;
    return Object.entries(old).map(([key, value]) => [key, storable(value)]);
  }

  /**
   * Once the values live in napi-session's store (or the session was destroyed), the old session
   * goes, so its cookie cannot bring them back. A failure there loses nothing: a warning.
   */
  async #retireOldSession() {
    const id = this.movedFrom;
    this.movedFrom = undefined;
    if (id === undefined || typeof this.config.migrateFrom.destroy !== 'function') return;
    try {
      await callStore(this.config.migrateFrom, 'destroy', id, this.config.sessions[sessionLimits].timeoutMs);
    } catch (error) {
      process.emitWarning(`napi-session/express: a session moved from migrateFrom stays there: ${error.message}`, 'SessionWarning');
    }
  }

  /** The session id: the stored session's, or the one a new session will be stored under. */
  get id() {
    if (!this.isNew) return this.native.sessionID;
    this.chosenId ??= this.config.genid ? this.config.genid(this.req) : (this.native.sessionID ?? randomUUID());
    return this.chosenId;
  }

  /**
   * Runs `operation` after those before it; then `callback(err)`, if given. (Without one, a failed
   * save is tried again, and reported, by the final save.)
   */
  run(operation, callback) {
    const done = this.#queue.then(operation);
    this.#queue = done.catch(() => {});
    // The callback runs outside the promise chain: what it throws is the application's own
    // uncaught exception, as with express-session, not an unhandled rejection of ours.
    done.then(
      () => callback && process.nextTick(callback),
      (error) => callback && process.nextTick(callback, error),
    );
  }

  /** The final save, when the response is about to send its headers: the Set-Cookie values. */
  async finish() {
    await (this.#queue = this.#queue.then(() => this.#finalSave()));
    // A session's own lifetime is in the cookie's Max-Age already: no configured Expires date.
    const cookie = this.ownMaxAge === undefined ? this.config.cookie : { ...this.config.cookie, expires: null };
    return this.#cookiesToSend.map((setCookie) => adjustSetCookie(setCookie, cookie, this.secure));
  }

  async #finalSave() {
    if (this.ended) return;
    const current = this.req.session;
    if (current === null || current === undefined) {
      // unset: the application deleted req.session (or set it to null).
      if (this.config.unsetDestroy) await this.destroy();
      return;
    }
    await this.persist(current);
  }

  /** Stores what the request changed in `object` (a top-level key at a time). */
  async persist(object) {
    if (this.ended) return;
    const changes = this.#changes(object);
    const cookie = object[COOKIE_KEY];
    const lifetimeChanged = cookie instanceof Cookie && cookie.takeChange();
    if (lifetimeChanged) {
      this.ownMaxAge = cookie.originalMaxAge === this.config.cookie.maxAge ? undefined : cookie.originalMaxAge;
      this.native[setCookieMaxAge](maxAgeSeconds(cookie.originalMaxAge), true);
    }
    const save = changes.length > 0 || this.regenerated || (this.isNew && this.config.saveUninitialized) || lifetimeChanged;
    if (!save) {
      // Nothing to write; a stored session may still be due for renewal (its idle timeout).
      if (!this.isNew) this.#sent(await this.native.commit());
      // A moved session whose values this request deleted, all of them (a sign-out): the old
      // session goes too, or the old cookie would bring them back.
      await this.#retireOldSession();
      return;
    }
    if (this.isNew) {
      // A new session is stored under the id it was given (genid's, or one req.sessionID handed
      // out); otherwise the core makes one. It records its cookie's settings, as express-session
      // stores them, which also gives a session saved uninitialized something to store.
      const id = this.config.genid ? this.id : this.chosenId;
      if (id !== undefined && id !== this.native.sessionID) await this.#useId(id);
    }
    if (this.isNew || lifetimeChanged || this.ownMaxAge !== undefined) this.#storeCookie();
    for (const [key, value] of changes) {
      if (value === DELETED) this.native.delete(key);
      else this.native.set(key, value);
    }
    this.#sent(await this.native.commit());
    for (const [key, value, text] of changes) {
      if (value === DELETED) this.stored.delete(key);
      else this.stored.set(key, text);
    }
    this.isNew = false;
    this.regenerated = false;
    this.chosenId = undefined;
    await this.#retireOldSession();
  }

  async reload(object) {
    if (this.isNew && this.movedFrom !== undefined) {
      // Moved in this request and not stored here yet: the values are still the old store's, where
      // express-session's reload() would read them too.
      const moved = await this.#readOldSession();
      if (moved.length === 0) throw new SessionError('ERR_SESSION_STORAGE', 'failed to load session: it is no longer stored');
      this.#replaceValues(object, moved);
      return;
    }
    if (this.isNew || this.ended) throw new SessionError('ERR_SESSION_STORAGE', 'failed to load session: it is not stored');
    await this.native.load(this.native.sessionID);
    const entries = await this.native.entries();
    if (entries.length === 0) throw new SessionError('ERR_SESSION_STORAGE', 'failed to load session: it is no longer stored');
    this.stored.clear();
    this.#adopt(entries);
    this.#replaceValues(object, entries);
  }

  async regenerate() {
    if (this.ended) throw new SessionError('ERR_SESSION_STORAGE', 'regenerate(): the session was destroyed');
    if (!this.isNew) {
      // The stored values move to the new id and the old id is retired, so a request still in
      // flight with the old cookie cannot expire the new one; the moved values are deleted at the
      // save (this.stored still lists them), leaving the new session empty as express-session's.
      await this.#useId(this.config.genid ? this.config.genid(this.req) : undefined);
      this.chosenId = this.native.sessionID;
      this.regenerated = true;
    } else {
      this.chosenId = undefined;
      // A session moved in this request and not stored yet: express-session's regenerate() destroys
      // the old session at once, and so does this, or its cookie would bring the values back.
      await this.#retireOldSession();
    }
    this.isNew = true;
    // The new session's cookie has the configured lifetime, as express-session's.
    if (this.ownMaxAge !== undefined) {
      this.ownMaxAge = undefined;
      this.native[setCookieMaxAge](maxAgeSeconds(this.config.cookie.maxAge), false);
    }
    this.object = new Session(this);
    this.req.session = this.object;
  }

  async destroy() {
    this.ended = true;
    await this.#retireOldSession();
    if (this.isNew) return;
    this.native.destroy();
    this.#sent(await this.native.commit());
  }

  async #useId(id) {
    try {
      await this.native.regenerate(id);
    } catch (error) {
      if (error.code === 'ERR_SESSION_KEY' && this.config.genid) {
        throw configError(`genid must return a version-4 UUID in lower case, as crypto.randomUUID() does (got ${JSON.stringify(id)})`);
      }
      throw error;
    }
  }

  /** Takes in the stored values the session was loaded with. */
  #adopt(entries) {
    this.isNew = entries.length === 0;
    for (const [key, value] of entries) if (shown(key)) this.stored.set(key, stringify(value));
  }

  #assign(object, entries) {
    for (const [key, value] of entries) if (shown(key)) object[key] = value;
  }

  /** `object`'s values become `entries` (its cookie stays). */
  #replaceValues(object, entries) {
    for (const key of Object.keys(object)) if (key !== COOKIE_KEY) delete object[key];
    this.#assign(object, entries);
  }

  /** The top-level keys of `object` whose values differ from the stored ones: [key, value, text]. */
  #changes(object) {
    const changes = [];
    const present = new Set();
    for (const key of Object.keys(object)) {
      const value = object[key];
      // As express-session's JSON: a property set to undefined is not stored.
      if (!shown(key) || value === undefined) continue;
      present.add(key);
      let text;
      try {
        text = stringify(value);
      } catch (error) {
        throw new SessionError(error.code, `req.session.${key} cannot be stored: ${error.message}`);
      }
      if (this.stored.get(key) !== text) changes.push([key, value, text]);
    }
    for (const key of this.stored.keys()) if (!present.has(key)) changes.push([key, DELETED]);
    return changes;
  }

  /**
   * Stores the cookie's lifetime with the session, as express-session stores its cookie. A
   * lifetime of its own longer than the configured one keeps the session stored at least that
   * long after this save (a value's ttl outlives the idle timeout).
   */
  #storeCookie() {
    const originalMaxAge = this.ownMaxAge === undefined ? this.config.cookie.maxAge : this.ownMaxAge;
    const longer = this.ownMaxAge !== undefined && originalMaxAge !== null && originalMaxAge > (this.config.cookie.maxAge ?? 0);
    const stored = this.ownMaxAge === undefined ? { originalMaxAge } : { originalMaxAge, own: true };
    this.native.set(COOKIE_KEY, stored, longer ? { ttl: originalMaxAge / 1000 } : undefined);
  }

  #sent(setCookies) {
    if (setCookies.length > 0) this.#cookiesToSend = setCookies;
  }
}

/** express-session's `session(options)`: the middleware. */
function session(options) {
  const config = normalizeOptions(options);
  return function napiExpressSession(req, res, next) {
    // Another session middleware ran first (express-session skips a request that has one too).
    if (req.session) return next();
    // Not under the cookie's path: the browser would not send the cookie back.
    if (!originalPathname(req).startsWith(config.cookie.path)) return next();
    const request = new RequestSession(config, req);
    Object.defineProperty(req, 'sessionID', { configurable: true, enumerable: true, get: () => request.id });
    request.open().then(() => {
      holdHeadersUntilSaved(res, () => request.finish(), next);
      next();
    }, next);
  };
}

module.exports = session;
module.exports.session = session;
module.exports.default = session;
