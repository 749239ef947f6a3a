// Types of napi-session/fastify, the Fastify plugin (CommonJS: `export =`, with `default` and
// `napiSession` members for `import`; lib/fastify.d.mts for ES modules).
//
// Registering it types `request.session` as napi-session's Session, by declaration merging.

import type { FastifyPluginCallback } from 'fastify';
import type { Session, Sessions, SessionsOptions } from '../index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's session (napi-session/fastify): committed in onSend. */
    session: Session;
  }
}

type NapiSessionPlugin = FastifyPluginCallback<napiSession.NapiSessionOptions>;

declare namespace napiSession {
  /** createSessions() options, or `{ sessions }`: a Sessions object made elsewhere. */
  export type NapiSessionOptions = SessionsOptions | { sessions: Sessions };
  export const napiSession: NapiSessionPlugin;
  export { napiSession as default };
}

/** The plugin: `app.register(napiSession, { driver: 'fs' })`. */
declare function napiSession(...params: Parameters<NapiSessionPlugin>): ReturnType<NapiSessionPlugin>;

export = napiSession;
