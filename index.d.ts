// Types of napi-session. Augment `SessionData` to type your session values:
//
//   declare module 'napi-session' {
//     interface SessionData { cart: Map<string, number>; user: { name: string } }
//   }
//
// Astro's `App.SessionData` counts too, so an Astro project's declarations type this package.
//
// These declarations need neither @types/node nor the DOM library: where they speak of a Node
// request or response, or of a Fetch Request or Response, they take the global types if the
// project has them and the few members napi-session uses otherwise.

declare global {
  namespace App {
    // Merges with Astro's own declaration when Astro is installed.
    interface SessionData {}
  }
  namespace Express {
    // What `req.session` is (merges with @types/express's Request): the Session of
    // sessions.middleware(), or, in a project that imports napi-session/express, its
    // express-session-like session.
    interface Request {
      session: ExpressRequestSession;
    }
  }
}

/**
 * Filled in by napi-session/express's declarations (`dropIn`: its session type), so that
 * `req.session` is typed as what the middleware a project uses sets.
 */
export interface ExpressSessionRegistry {}
type ExpressRequestSession = ExpressSessionRegistry extends { dropIn: infer DropIn } ? DropIn : Session;

/** What napi-session reads of a Node request (IncomingMessage, Express's or Connect's `req`). */
export interface NodeRequestLike {
  headers: { cookie?: string | string[] | undefined };
}

/** What napi-session uses of a Node response (ServerResponse, Express's or Connect's `res`). */
export interface NodeResponseLike {
  statusCode: number;
  writeHead(statusCode: number, ...rest: any[]): unknown;
  write(chunk: any, ...rest: any[]): unknown;
  end(...args: any[]): unknown;
  appendHeader(name: string, value: string | readonly string[]): unknown;
}

/** Express's `next`: an error goes to the error handlers. */
export type NextFunction = (error?: unknown) => void;

/** The global URL type where there is one (it is not in the ES library). */
type GlobalURL = typeof globalThis extends { URL: { prototype: infer U } } ? U : never;

/** The global Fetch `Request` type (DOM library, @types/node), or what napi-session reads of one. */
export type FetchRequest = typeof globalThis extends { Request: { prototype: infer R } }
  ? R
  : { readonly headers: { get(name: string): string | null }; readonly url: string };
/** The global Fetch `Response` type (DOM library, @types/node), or what napi-session uses of one. */
export type FetchResponse = typeof globalThis extends { Response: { prototype: infer R } }
  ? R
  : { readonly headers: { append(name: string, value: string): void } };

/** The values your sessions hold, by key. Augment it (see above); unknown keys stay `any`. */
export interface SessionData {}

type AllSessionData = SessionData & App.SessionData;
type SessionKey = keyof AllSessionData & string;
/** A key of your SessionData, or any other string. */
type AnyKey = SessionKey | (string & {});
type ValueOf<K> = K extends SessionKey ? AllSessionData[K] : any;

export type SessionErrorCode =
  | 'ERR_SESSION_KEY'
  | 'ERR_SESSION_SERIALIZE'
  | 'ERR_SESSION_PARSE'
  | 'ERR_SESSION_STORAGE'
  | 'ERR_SESSION_TIMEOUT'
  | 'ERR_SESSION_CONFIG'
  /** A bug in napi-session (a Rust panic caught before it reached Node); please report it. */
  | 'ERR_SESSION_INTERNAL'
  /** Thrown by require/import: no native binary for this platform loads (lib/platform.js). */
  | 'ERR_SESSION_PLATFORM';

/** Every failure napi-session reports; `code` is stable, the message says what to do. */
export declare class SessionError extends Error {
  readonly name: 'SessionError';
  readonly code: SessionErrorCode;
  constructor(code: SessionErrorCode, message: string, options?: ErrorOptions);
}

export interface MemoryDriverOptions {
  name: 'memory';
  /**
   * The most sessions held. When full, expired sessions make room first, then the least recently
   * used (read or written); `sessions.stats()` counts those evictions. Default 10 000.
   */
  maxEntries?: number;
}

export interface FsDriverOptions {
  name: 'fs';
  /** Directory of the session files (`<base>/<id>`, as unstorage fs-lite). Default `.astro/session`. */
  base?: string;
  /** Seconds between sweeps of expired files. Default 600. */
  sweepInterval?: number;
}

interface RedisDriverCommonOptions {
  name: 'redis';
  /**
   * Key prefix: sessions are stored under `<base>:<id>`, or `<id>` without a base — the layout of
   * unstorage's redis driver, so Astro and napi-session share sessions when they share the base.
   */
  base?: string;
  /** Seconds one connection attempt may take (fractions allowed). Default 2. */
  connectTimeout?: number;
  /** Seconds a command may wait for its answer (fractions allowed). Default 2. */
  commandTimeout?: number;
  /**
   * Certificates for `rediss://` (PEM text). Without `ca`, the system's trusted roots are used
   * (or those of the file named by the `SSL_CERT_FILE` environment variable).
   */
  tls?: {
    /** Certificate authorities to trust instead of the system's. */
    ca?: string | Uint8Array | Array<string | Uint8Array>;
    /** Client certificate and key, for servers that require them (mutual TLS); both or neither. */
    cert?: string | Uint8Array;
    key?: string | Uint8Array;
  };
}

export interface RedisDriverOptions extends RedisDriverCommonOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`; `rediss://` for TLS. `valkey://` and
   * `valkeys://` too.
   */
  url: string;
  cluster?: never;
}

export interface RedisClusterDriverOptions extends RedisDriverCommonOptions {
  /** URLs of some nodes of a Redis Cluster (one is enough; the others are discovered). */
  cluster: string[];
  url?: never;
}

export type DriverOptions = MemoryDriverOptions | FsDriverOptions | RedisDriverOptions | RedisClusterDriverOptions;

export interface CookieOptions {
  /** Default `astro-session`, as Astro. */
  name?: string;
  domain?: string;
  /** Default `/`. */
  path?: string;
  /** Seconds; without it the cookie lasts the browser session. */
  maxAge?: number;
  /** Default `lax`; `true` is `strict`, `false` leaves the attribute out. */
  sameSite?: 'lax' | 'strict' | 'none' | boolean;
  /** Default: `true` when NODE_ENV is `production`. */
  secure?: boolean;
  partitioned?: boolean;
  priority?: 'low' | 'medium' | 'high';
}

/**
 * A driver written in JS — Astro's `SessionDriver`, any unstorage driver. Rust calls it; what it
 * throws becomes ERR_SESSION_STORAGE, a call that takes over 2 s ERR_SESSION_TIMEOUT.
 */
export interface SessionDriver {
  /** The stored text of session `key`, or null/undefined. */
  getItem(key: string): unknown;
  /** Stores `value`; `ttl` is how long it should live, in seconds. */
  setItem(key: string, value: string, options?: { ttl?: number }): unknown;
  removeItem(key: string): unknown;
}

/**
 * A driver module, as Astro's `session.driver` names one: its default export is called with
 * `config` on first use (`{ entrypoint: 'unstorage/drivers/redis', config: { url } }`).
 */
export interface DriverEntrypoint {
  /** A package's module, a file path (relative to the working directory) or a file URL. */
  entrypoint: string | GlobalURL;
  config?: Record<string, unknown>;
}

export interface SessionsOptions {
  /** Where sessions are stored. Default `fs`. */
  driver?: 'memory' | 'fs' | DriverOptions | SessionDriver | DriverEntrypoint;
  /** The cookie's name, or its options. HttpOnly is always set. */
  cookie?: string | CookieOptions;
  /**
   * Seconds: the default lifetime of every value (from when it is set, however the session is
   * used), and the idle timeout when `idleTimeout` is not given. Without it values do not expire
   * on their own.
   */
  ttl?: number;
  /**
   * Seconds a session lives after it was last used: writes renew it, and so do reads once half of
   * it has passed. Default `ttl`, or 24 hours.
   */
  idleTimeout?: number;
  /** Seconds a session lives after it was created, however active. Default: no limit. */
  absoluteTimeout?: number;
  /** With a cookie `maxAge`: send the cookie again (renewing it) whenever a read renews the session. */
  rolling?: boolean;
  /**
   * Sign the session id in the cookie (`s:<id>.<signature>`, HMAC-SHA256, as express-session
   * writes it): the first secret signs, all verify. Each at least 32 bytes. Then unsigned or
   * tampered cookies start a new session.
   */
  secrets?: string | string[];
  /**
   * Seconds a load or a commit may take in all, every wait included (other requests' commits to
   * the same session, locks, connections, commands, retries); past it, ERR_SESSION_TIMEOUT.
   * Default: `connectTimeout + commandTimeout` for redis, twice `commandTimeout` for a driver
   * object, 5 seconds otherwise.
   */
  timeout?: number;
  /**
   * The largest stored session, in bytes, written or read back: a commit over it fails with
   * ERR_SESSION_SERIALIZE (and a `set()` of a value over it at once); a stored session over it is
   * refused with ERR_SESSION_PARSE and discarded. Default 1 MiB.
   */
  maxSize?: number;
  /** The deepest nesting of a value, for `set()` and for reads alike. Default 1000. */
  maxDepth?: number;
  /**
   * How many times its stored size a value read may grow (a hostile record can reference one
   * long string many times); past it, ERR_SESSION_PARSE. Default 16 (and always at least 1 MiB).
   */
  maxExpansion?: number;
}

/** What a driver tells of its state: the memory driver's sessions held and evictions. */
export interface DriverStats {
  entries?: number;
  evictions?: number;
}

export interface SetOptions {
  /** Seconds until this value expires; default the `ttl` option. */
  ttl?: number;
}

/** One request's session, with the API of Astro's `Astro.session`. */
export interface Session {
  /**
   * The session id (a v4 UUID), or `undefined` while there is none — including before the session
   * named by the request's cookie has been read (until then the cookie is only a claim).
   */
  readonly sessionID: string | undefined;
  get<K extends AnyKey>(key: K): Promise<ValueOf<K> | undefined>;
  has(key: AnyKey): Promise<boolean>;
  keys(): Promise<IterableIterator<string>>;
  values(): Promise<any[]>;
  entries(): Promise<[string, any][]>;
  /** Checks and copies `value` at once; throws ERR_SESSION_SERIALIZE for what cannot be stored. */
  set<K extends AnyKey>(key: K, value: ValueOf<K>, options?: SetOptions): void;
  /** As `set`, for a value the next request to read it gets, and no other (a message after a redirect). */
  flash<K extends AnyKey>(key: K, value: ValueOf<K>, options?: SetOptions): void;
  /**
   * Atomic read-modify-write of one key, stored at once: `fn` runs again on the stored value if
   * another request changed the key meanwhile, so no update is lost. Resolves to the value stored;
   * rejects with ERR_SESSION_TIMEOUT, storing nothing, if the key kept changing for the whole `timeout`.
   */
  update<K extends AnyKey>(
    key: K,
    fn: (current: ValueOf<K> | undefined) => ValueOf<K> | Promise<ValueOf<K>>,
    options?: SetOptions,
  ): Promise<ValueOf<K>>;
  delete(key: AnyKey): void;
  /**
   * New id, same data (session fixation defence). At commit the data is stored under the new id,
   * then the old id is retired; requests still in flight on the old id drop their changes.
   * `id`: a v4 UUID of your choosing (lower case), stored only if no session has it yet
   * (otherwise the commit fails with ERR_SESSION_STORAGE); default a random one.
   */
  regenerate(id?: string): Promise<void>;
  /** Removes the session from storage at commit, and expires its cookie. */
  destroy(): void;
  /** Switches to the stored session `id`; changes not committed are dropped. */
  load(id: string): Promise<void>;
  /** Persists the session; resolves to the `Set-Cookie` header values to send. */
  commit(): Promise<string[]>;
}

/** A request as `fromRequest` takes it: Node's IncomingMessage, a Fetch Request, or a Cookie header. */
export type RequestLike =
  | string
  | undefined
  | { headers: { cookie?: string | string[] } | { get(name: string): string | null } };

export interface Sessions {
  /** The session of `request`: its cookie is read now, its stored data when first needed. */
  fromRequest(request: RequestLike): Session;
  /** What the driver tells of its state (`{}` for drivers that keep nothing in process). */
  stats(): DriverStats;
  /**
   * Express / Connect middleware: sets `req.session`, and persists it before the response
   * headers are sent; storage errors go to `next(err)`.
   */
  middleware(): (req: NodeRequestLike, res: NodeResponseLike, next: NextFunction) => void;
  /**
   * Wraps a Fetch-style handler: the session is committed after it, and its Set-Cookie headers
   * are added to the Response.
   */
  handle<Rest extends unknown[]>(
    handler: (request: FetchRequest, session: Session, ...rest: Rest) => FetchResponse | Promise<FetchResponse>,
  ): (request: FetchRequest, ...rest: Rest) => Promise<FetchResponse>;
}

export declare function createSessions(options?: SessionsOptions): Sessions;

/** devalue text of `value`: byte-identical to devalue's `stringify` with Astro's URL reducer. */
export declare function stringify(value: unknown): string;

export interface ParseOptions {
  /** The deepest nesting accepted. Default 1000. */
  maxDepth?: number;
  /** How many times the text's size the value may take (at least 1 MiB). Default 16. */
  maxExpansion?: number;
}

/**
 * The value of devalue text (devalue 5 or 6, Astro's sessions). Hostile text costs at most what
 * the limits allow: past them, ERR_SESSION_PARSE.
 */
export declare function parse(text: string, options?: ParseOptions): any;
