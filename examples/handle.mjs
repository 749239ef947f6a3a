// examples/handle.mjs
import { serve } from '@hono/node-server';
import { createSessions } from 'napi-session';

const sessions = createSessions({ driver: 'fs', idleTimeout: 7 * 24 * 3600 });

serve({
  port: Number(process.env.PORT ?? 3000),
  fetch: sessions.handle(async (request, session) => {
    const visits = ((await session.get('visits')) ?? 0) + 1;
    session.set('visits', visits);
    return new Response(`visit ${visits}\n`); // handle() adds the Set-Cookie
  }),
});
