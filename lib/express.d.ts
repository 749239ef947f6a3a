// Types of napi-session/express, the drop-in for express-session (CommonJS: `export =`, as
// `require('napi-session/express')` returns the function; lib/express.d.mts for `import`).
//
// Importing it types Express's `req.session` as this session and adds `req.sessionID`. The
// session's values are typed by napi-session's SessionData (and Astro's App.SessionData):
//
//   declare module 'napi-session' { interface SessionData { user: { name: string } } }
//   req.session.user = { name: 'ada' };   // typed; unknown keys stay `any`

import type {
  CookieOptions as SessionsCookieOptions,
  NextFunction,
  NodeRequestLike,
  NodeResponseLike,
  SessionData,
  SessionsOptions,
} from '../index.js';

type SessionMiddlewareFactory = (options: session.SessionOptions) => session.Middleware;

/** express-session's `session(options)`: the middleware. */
declare function session(...params: Parameters<SessionMiddlewareFactory>): ReturnType<SessionMiddlewareFactory>;

declare namespace session {
  /** express-session's cookie options. */
  export interface CookieOptions {
    /** Milliseconds, as express-session takes it (the `Max-Age` sent is in seconds). Default: none, a browser-session cookie. */
    maxAge?: number | null;
    /** A fixed expiry date for every cookie (maxAge, when given, wins). */
    expires?: Date | null;
    /**
     * `'auto'` (the default): `Secure` when the request came over HTTPS — directly, or through a
     * proxy Express trusts (its "trust proxy" setting, or the `proxy` option). `true` always.
     */
    secure?: boolean | 'auto';
    /** Always true: napi-session never lets page scripts read the session cookie. */
    httpOnly?: true;
    /** Default `'lax'`; `'auto'`: `'none'` over HTTPS, `'lax'` otherwise. */
    sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto';
    domain?: string;
    /** Default `/`; requests outside it get no session. */
    path?: string;
    partitioned?: boolean;
    priority?: SessionsCookieOptions['priority'];
  }

  export interface SessionOptions {
    /** Signs the cookie (`s:<id>.<signature>`): the first signs, all verify; each at least 32 bytes. */
    secret: string | string[];
    /** The cookie's name. Default `connect.sid`. */
    name?: string;
    /** @deprecated express-session's old name for `name`. */
    key?: string;
    cookie?: CookieOptions;
    /** A napi-session driver: 'memory' (the default, as express-session's MemoryStore), 'fs', { name: 'redis', url }, a driver object. */
    store?: SessionsOptions['driver'];
    /** The id of a new session: a version-4 UUID in lower case (crypto.randomUUID()). */
    genid?: (req: NodeRequestLike) => string;
    /** With cookie.maxAge: send the cookie again whenever the session is renewed (at most every half maxAge). */
    rolling?: boolean;
    /** Accepted for compatibility; sessions are renewed on use without rewriting them. */
    resave?: boolean;
    /** Store a new session, and send its cookie, even if nothing was set in it. Default true, as express-session. */
    saveUninitialized?: boolean;
    /** When `req.session` is deleted or set to null: 'keep' (default) the stored session, or 'destroy' it. */
    unset?: 'keep' | 'destroy';
    /** Trust X-Forwarded-Proto for `secure: 'auto'`; default: Express's "trust proxy" setting. */
    proxy?: boolean;
    /** Seconds a session lives after it was last used. Default cookie.maxAge, or 24 hours. */
    idleTimeout?: SessionsOptions['idleTimeout'];
    absoluteTimeout?: SessionsOptions['absoluteTimeout'];
    timeout?: SessionsOptions['timeout'];
    maxSize?: SessionsOptions['maxSize'];
    maxDepth?: SessionsOptions['maxDepth'];
    maxExpansion?: SessionsOptions['maxExpansion'];
    /**
     * The express-session store sessions were kept in until now (a connect-redis `RedisStore`, a
     * `MemoryStore`, any store with `get(sid, callback)`): a request whose cookie express-session
     * signed with one of the secrets gets that session's values in a new napi-session session,
     * saved with a new cookie; the old one is then destroyed there. No one is signed out by the switch.
     */
    migrateFrom?: {
      get(sid: string, callback: (error: unknown, session?: Record<string, unknown> | null) => void): unknown;
      destroy?(sid: string, callback: (error?: unknown) => void): unknown;
    };
  }

  /**
   * `req.session.cookie`: the cookie's settings as express-session shows them. Its lifetime
   * (`maxAge`, `expires`) may be set for one session ("remember me"); the rest is session()'s.
   */
  export interface Cookie {
    /** Milliseconds the cookie was given to live when set; null for a browser-session cookie. */
    readonly originalMaxAge: number | null;
    /** When the cookie expires; set it to give this session's cookie that date (null: browser session). */
    get expires(): Date | null;
    set expires(date: Date | null);
    /**
     * Milliseconds left, or null. Set it to give this session's cookie that lifetime, renewed at
     * each save (null: a browser-session cookie); it is stored with the session.
     */
    get maxAge(): number | null;
    set maxAge(ms: number | Date | null);
    path: string;
    domain?: string;
    httpOnly: true;
    secure: boolean;
    sameSite: CookieOptions['sameSite'];
    partitioned?: boolean;
    priority?: CookieOptions['priority'];
  }

  /** The typed values: napi-session's SessionData and Astro's App.SessionData, each optional. */
  export type SessionValues = { [K in keyof (SessionData & App.SessionData)]?: (SessionData & App.SessionData)[K] };

  /** `req.session`: the values as properties, and express-session's methods. */
  export interface Session extends SessionValues {
    /** Any other value (unknown keys stay `any`). */
    [key: string]: any;
    readonly id: string;
    cookie: Cookie;
    /** Saves now; `callback(err)` once stored. */
    save(callback?: (err?: any) => void): this;
    /** Replaces the values with those stored. */
    reload(callback: (err?: any) => void): this;
    /** A new session (new id, no values) in place of this one; `req.session` is then a new object. */
    regenerate(callback: (err?: any) => void): this;
    /** Removes the session from storage now and expires its cookie; `req.session` is unset. */
    destroy(callback?: (err?: any) => void): this;
    touch(): this;
    resetMaxAge(): this;
  }

  export type Middleware = (req: NodeRequestLike, res: NodeResponseLike, next: NextFunction) => void;

  export const session: SessionMiddlewareFactory;
  export { session as default };
}

declare module '../index.js' {
  export interface ExpressSessionRegistry {
    dropIn: session.Session;
  }
}

declare global {
  namespace Express {
    interface Request {
      /** The session id (napi-session/express). */
      sessionID: string;
    }
  }
}

export = session;
