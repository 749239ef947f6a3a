// The typings in a project with neither @types/node nor the DOM library (TypeScript 7's default
// `types` is empty): napi-session, napi-session/astro and napi-session/express declare what they
// need themselves.
import { createSessions, parse, SessionError, stringify } from 'napi-session';
import napiSessionDriver from 'napi-session/astro';
import session from 'napi-session/express';

declare module 'napi-session' {
  interface SessionData {
    user: { name: string };
  }
}

const sessions = createSessions({ driver: 'memory', idleTimeout: 1800, cookie: { name: 'sid', maxAge: 3600 }, secrets: 'x'.repeat(32) });
export async function use(cookieHeader: string) {
  const s = sessions.fromRequest(cookieHeader);
  const user: { name: string } | undefined = await s.get('user');
  s.set('user', { name: 'ada' });
  // @ts-expect-error: a wrong value for a typed key
  s.set('user', { name: 42 });
  const setCookie: string[] = await s.commit();
  return [user, setCookie, parse(stringify([1])), SessionError];
}
export const middleware = sessions.middleware();
export const fromModule = createSessions({ driver: { entrypoint: 'unstorage/drivers/redis', config: { url: 'redis://127.0.0.1:6379' } } });
// @ts-expect-error: an entrypoint is a module name, path or URL
createSessions({ driver: { entrypoint: 42 } });
export const dropIn = session({ secret: 'x'.repeat(32), cookie: { maxAge: 60_000, secure: 'auto' } });
export const driver = napiSessionDriver({ driver: 'fs', base: '.sessions' });
