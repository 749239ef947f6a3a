'use strict';

// `napi-session/hono`: a Hono middleware.
//
//   import { session } from 'napi-session/hono';
//   const app = new Hono<{ Variables: SessionVariables }>();
//   app.use(session({ driver: 'fs', idleTimeout: 1800 }));
//   app.get('/', async (c) => c.text(String((await c.get('session').get('visits')) ?? 0)));
//
// The session is a context variable (`c.get('session')`), so the server's own `c.env` stays as it
// was (@hono/node-server's `incoming`/`outgoing`, which getConnInfo(c) reads; Cloudflare's
// bindings). It is committed after the handlers, and its Set-Cookie values are added to the
// Response; a storage error goes to the app's onError.

const { sessionsFrom } = require('./create-sessions');

function session(options) {
  const sessions = sessionsFrom(options, 'napi-session/hono');
  return async function napiSession(c, next) {
    const requestSession = sessions.fromRequest(c.req.raw);
    c.set('session', requestSession);
    await next();
    const setCookies = await requestSession.commit();
    if (setCookies.length === 0) return;
    try {
      for (const setCookie of setCookies) c.res.headers.append('set-cookie', setCookie);
    } catch {
      // Immutable headers (Response.redirect(), a fetched response): answer with a copy.
      c.res = new Response(c.res.body, c.res);
      for (const setCookie of setCookies) c.res.headers.append('set-cookie', setCookie);
    }
  };
}

module.exports = session;
module.exports.session = session;
module.exports.default = session;
