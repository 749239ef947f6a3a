// examples/http.mjs
import http from 'node:http';
import { createSessions } from 'napi-session';

// A session lives a week after its last request: every request renews it (idleTimeout slides).
const sessions = createSessions({ driver: 'fs', idleTimeout: 7 * 24 * 3600 });

http
  .createServer(async (req, res) => {
    try {
      const session = sessions.fromRequest(req);
      const visits = ((await session.get('visits')) ?? 0) + 1;
      session.set('visits', visits);
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': await session.commit() });
      res.end(`visit ${visits}\n`);
    } catch (error) {
      // The store failed (a SessionError): this request answers 500, the server stays up.
      console.error(error.code, error.message);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('Sessions are unavailable, try again.\n');
    }
  })
  .listen(process.env.PORT ?? 3000);
