// Types of napi-session/hono, the Hono middleware (CommonJS: `export =`, with `default` and
// `session` members; lib/hono.d.mts for ES modules).
//
//   const app = new Hono<{ Variables: SessionVariables }>();   // c.get('session') is a Session
//   app.use(session({ driver: 'fs' }));

import type { MiddlewareHandler } from 'hono';
import type { Session, Sessions, SessionsOptions } from '../index.js';

type SessionMiddlewareFactory = (options?: session.SessionMiddlewareOptions) => MiddlewareHandler<session.SessionEnv>;

declare namespace session {
  /** The context variables the middleware sets: `c.get('session')`. */
  export type SessionVariables = { session: Session };
  /** A Hono environment with the session variable (combine it with your Bindings). */
  export type SessionEnv = { Variables: SessionVariables };
  /** createSessions() options, a Sessions object, or `{ sessions }`. */
  export type SessionMiddlewareOptions = SessionsOptions | Sessions | { sessions: Sessions };
  export const session: SessionMiddlewareFactory;
  export { session as default };
}

/** The middleware: `app.use(session({ driver: 'fs' }))`. */
declare function session(...params: Parameters<SessionMiddlewareFactory>): ReturnType<SessionMiddlewareFactory>;

export = session;
