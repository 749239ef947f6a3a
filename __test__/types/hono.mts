// napi-session/hono's typings: c.get('session') typed through Variables, next to the server's own Bindings.
import { serve, type HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { session, type SessionVariables } from 'napi-session/hono';
import { createSessions } from 'napi-session';

declare module 'napi-session' {
  interface SessionData {
    cart: string[];
  }
}

const app = new Hono<{ Bindings: HttpBindings; Variables: SessionVariables }>();
app.use(session({ driver: 'memory' }));
app.use(session(createSessions()));
app.use(session({ sessions: createSessions() }));
app.get('/', async (c) => {
  const cart: string[] = (await c.get('session').get('cart')) ?? [];
  c.get('session').set('cart', [...cart, 'tea']);
  // @ts-expect-error: cart holds strings
  c.get('session').set('cart', [1]);
  const address: string | undefined = getConnInfo(c).remote.address;
  const incoming = c.env.incoming.url;
  return c.text(`${cart.length} ${address} ${incoming}`);
});
// Chained, the middleware's Variables type the routes after it without a type argument.
new Hono().use(session()).get('/', async (c) => c.json((await c.get('session').get('cart')) ?? []));
serve({ fetch: app.fetch, port: 0 });
