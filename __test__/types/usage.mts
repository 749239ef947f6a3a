// Compiled by `tsc --noEmit` (see types.test.mjs): each @ts-expect-error line must be an error,
// every other line must compile.
import { createSessions, parse, SessionError, stringify, type Session } from 'napi-session';
import napiSessionDriver from 'napi-session/astro';

declare module 'napi-session' {
  interface SessionData {
    cart: Map<string, number>;
    user: { name: string; since: Date };
  }
}

const sessions = createSessions({ driver: { name: 'fs', base: '.sessions' }, cookie: { name: 'sid', sameSite: 'strict' }, ttl: 3600 });
const session: Session = sessions.fromRequest('sid=x');

export async function typed() {
  const cart: Map<string, number> | undefined = await session.get('cart');
  const user = await session.get('user');
  const since: Date | undefined = user?.since;
  session.set('cart', new Map([['tea', 2]]));
  session.set('user', { name: 'ada', since: new Date() }, { ttl: 60 });
  // Astro's App.SessionData types it as well.
  session.set('theme', 'dark');
  const theme: 'light' | 'dark' | undefined = await session.get('theme');

  // @ts-expect-error: a wrong value for a typed key
  session.set('user', { name: 42 });
  // @ts-expect-error: cart holds a Map
  session.set('cart', ['tea']);
  // @ts-expect-error: not a theme
  session.set('theme', 'blue');
  // @ts-expect-error: the value of a typed key is typed
  const wrong: string | undefined = await session.get('cart');

  // Unknown keys stay any.
  session.set('anything', { whatever: [1, 2, 3] });
  const anything = await session.get('anything');
  anything.whatever.push(4);

  const setCookie: string[] = await session.commit();
  const id: string | undefined = session.sessionID;
  // @ts-expect-error: ttl is a number of seconds
  session.set('x', 1, { ttl: '60' });
  // @ts-expect-error: unknown driver
  createSessions({ driver: 'mongo' });
  return [cart, since, theme, wrong, setCookie, id];
}

export function errorsAndCodec(error: unknown) {
  if (error instanceof SessionError) {
    const code:
      | 'ERR_SESSION_KEY'
      | 'ERR_SESSION_SERIALIZE'
      | 'ERR_SESSION_PARSE'
      | 'ERR_SESSION_STORAGE'
      | 'ERR_SESSION_TIMEOUT'
      | 'ERR_SESSION_CONFIG'
      | 'ERR_SESSION_INTERNAL'
      | 'ERR_SESSION_PLATFORM' = error.code;
    return code;
  }
  const text: string = stringify({ a: 1 });
  parse(text, { maxDepth: 50, maxExpansion: 4 });
  // @ts-expect-error: unknown parse option
  parse(text, { depth: 50 });
  return parse(text);
}

export async function lifecycle() {
  const signed = createSessions({ secrets: ['a secret of at least thirty-two bytes!'], idleTimeout: 1800, absoluteTimeout: 86400, rolling: true });
  const s = signed.fromRequest('');
  s.flash('user', { name: 'ada', since: new Date() });
  const count: Map<string, number> = await s.update('cart', (cart) => new Map(cart ?? []).set('tea', 1));
  // @ts-expect-error: update's function returns the key's type
  await s.update('cart', () => 'tea');
  // @ts-expect-error: secrets are strings
  createSessions({ secrets: [42] });
  return count;
}

export function limitsAndStats() {
  const bounded = createSessions({ driver: 'memory', timeout: 1.5, maxSize: 65_536, maxDepth: 100, maxExpansion: 8 });
  const { entries, evictions }: { entries?: number; evictions?: number } = bounded.stats();
  // @ts-expect-error: the timeout is a number of seconds
  createSessions({ timeout: '5s' });
  return [entries, evictions];
}

export function redisDrivers(ca: Uint8Array) {
  createSessions({ driver: { name: 'redis', url: 'redis://127.0.0.1:6379', base: 'sess', connectTimeout: 0.5, commandTimeout: 1 } });
  createSessions({ driver: { name: 'redis', cluster: ['redis://10.0.0.1:7000'], tls: { ca: [ca, 'pem'], cert: 'pem', key: ca } } });
  // @ts-expect-error: one server or a cluster, not both
  createSessions({ driver: { name: 'redis', url: 'redis://a', cluster: ['redis://b'] } });
  // @ts-expect-error: timeouts are numbers of seconds
  createSessions({ driver: { name: 'redis', url: 'redis://a', commandTimeout: '2s' } });
  // @ts-expect-error: unknown option
  createSessions({ driver: { name: 'redis', url: 'redis://a', password: 'x' } });
}

export function glue() {
  const middleware = sessions.middleware();
  const handler = sessions.handle(async (request, session, env: { region: string }) => {
    session.set('cart', new Map());
    return new Response(`${request.url} ${env.region} ${session.sessionID}`);
  });
  const response: Promise<Response> = handler(new Request('http://x/'), { region: 'eu' });
  // @ts-expect-error: the handler's extra arguments are typed
  handler(new Request('http://x/'), { region: 1 });
  const custom = createSessions({
    driver: { getItem: async (key: string) => key, setItem: async () => {}, removeItem: async () => {} },
  });
  const redis = createSessions({ driver: { name: 'redis', url: 'redis://127.0.0.1:6380', base: 'app', commandTimeout: 0.5 } });
  const cluster = createSessions({ driver: { name: 'redis', cluster: ['redis://127.0.0.1:7000'] } });
  const fromModule = createSessions({ driver: { entrypoint: new URL('file:///srv/driver.mjs'), config: { base: 'x' } } });
  return [middleware, response, custom, redis, cluster, fromModule];
}

export const driver = napiSessionDriver({ driver: 'fs', base: '.sessions' });
export const read: Promise<string | null> = driver.getItem('id');
