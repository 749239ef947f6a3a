// examples/hono.mjs
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { session } from 'napi-session/hono';

// In TypeScript, new Hono<{ Variables: SessionVariables }>() types c.get('session').
const app = new Hono();
app.use(session({ driver: 'fs', idleTimeout: 7 * 24 * 3600 }));

app.get('/', async (c) => {
  const visits = ((await c.get('session').get('visits')) ?? 0) + 1;
  c.get('session').set('visits', visits); // committed after the handler, Set-Cookie added
  return c.text(`visit ${visits} from ${getConnInfo(c).remote.address}\n`);
});

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) });
