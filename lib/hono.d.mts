// Types of napi-session/hono for `import` (see lib/hono.d.ts).
import session from './hono.js';

export type SessionVariables = session.SessionVariables;
export type SessionEnv = session.SessionEnv;
export type SessionMiddlewareOptions = session.SessionMiddlewareOptions;
export { session };
export default session;
