// napi-session/fastify's typings: the plugin's options, and request.session typed by declaration merging.
import Fastify from 'fastify';
import napiSession from 'napi-session/fastify';
import { createSessions, type Session } from 'napi-session';

declare module 'napi-session' {
  interface SessionData {
    visits: number;
  }
}

const app = Fastify();
await app.register(napiSession, { driver: 'fs', idleTimeout: 1800, cookie: { name: 'sid', maxAge: 3600 } });
await app.register(napiSession, { sessions: createSessions({ driver: 'memory' }) });
// @ts-expect-error: unknown driver
await app.register(napiSession, { driver: 'mongo' });
app.get('/', async (request) => {
  const session: Session = request.session;
  const visits: number = ((await session.get('visits')) ?? 0) + 1;
  request.session.set('visits', visits);
  // @ts-expect-error: visits is a number
  request.session.set('visits', 'many');
  return { visits };
});
