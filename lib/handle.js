'use strict';

// Fetch-style servers (Hono, @hono/node-server, Bun-like handlers): `handler(request, session)`
// returns a Response; the session is committed and its Set-Cookie headers added to it.

function handle(sessions, handler) {
  return async function handleWithSession(request, ...rest) {
    const session = sessions.fromRequest(request);
    const response = await handler(request, session, ...rest);
    const setCookies = await session.commit();
    if (setCookies.length === 0) return response;
    try {
      for (const cookie of setCookies) response.headers.append('set-cookie', cookie);
      return response;
    } catch {
      // Immutable headers (Response.redirect(), a fetched response): answer with a copy.
      const copy = new Response(response.body, response);
      for (const cookie of setCookies) copy.headers.append('set-cookie', cookie);
      return copy;
    }
  };
}

module.exports = { handle };
