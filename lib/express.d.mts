// Types of napi-session/express for `import` (see lib/express.d.ts).
import session from './express.js';

export type SessionOptions = session.SessionOptions;
export type CookieOptions = session.CookieOptions;
export type Session = session.Session;
export type Cookie = session.Cookie;
export type Middleware = session.Middleware;
export { session };
export default session;
