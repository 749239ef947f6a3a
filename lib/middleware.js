'use strict';

// Express / Connect middleware: `req.session`, persisted BEFORE the response headers leave, so a
// redirect can never outrun the save (express-session#167, #704).
//
// The first call that would send the headers — writeHead, write, end, flushHeaders, whether the
// application or Node makes it — starts the commit; that call and every one after it wait in
// order until the commit resolves, then go out with the session's Set-Cookie headers. If the
// commit fails, nothing was sent yet: the error goes to next(err) and the error handler answers.

const HELD = ['writeHead', 'write', 'end', 'flushHeaders'];

function middleware(sessions) {
  return function napiSession(req, res, next) {
    const session = sessions.fromRequest(req);
    req.session = session;
    holdHeadersUntilSaved(res, () => session.commit(), next);
    next();
  };
}

/**
 * Holds every call of `res` that would send the headers until `save()` — called once, by the
 * first of them — resolves to the Set-Cookie values to send with them. If it rejects, the calls
 * stay unsent and the error goes to `onError` (Express's next), whose handler answers instead.
 * napi-session/express persists its sessions through this too.
 */
function holdHeadersUntilSaved(res, save, onError) {
  const originals = new Map(HELD.map((name) => [name, res[name]]));
  const held = [];
  let saving = false;

  const restore = () => {
    for (const [name, original] of originals) res[name] = original;
  };
  const release = (setCookies) => {
    restore();
    for (const { name, args } of held) {
      if (name === 'writeHead') addCookiesToWriteHead(res, args, setCookies);
      res[name](...args);
    }
  };

  for (const name of HELD) {
    res[name] = function holdUntilSaved(...args) {
      held.push({ name, args });
      if (name === 'writeHead' && args.length > 0) res.statusCode = args[0];
      if (!saving) {
        saving = true;
        // (save() may throw before it returns a promise: that is a failed save as well.)
        Promise.resolve()
          .then(save)
          .then(
            (setCookies) => {
              if (setCookies.length > 0 && !held.some((call) => call.name === 'writeHead' && headersArgOf(call.args))) {
                res.appendHeader('set-cookie', setCookies);
              }
              release(setCookies);
            },
            (error) => {
              restore();
              onError(error);
            },
          );
      }
      // A held write has not reached the socket; tell streams to keep going.
      return name === 'write' ? true : res;
    };
  }
}

/** The headers argument of a writeHead(status[, message][, headers]) call, if any. */
function headersArgOf(args) {
  const candidate = typeof args[1] === 'string' ? args[2] : args[1];
  return candidate !== null && typeof candidate === 'object' ? candidate : undefined;
}

// writeHead's own headers take precedence over setHeader/appendHeader ones, so the cookies go
// into its headers argument when it has one.
function addCookiesToWriteHead(res, args, setCookies) {
  const headers = headersArgOf(args);
  if (!headers || setCookies.length === 0) {
    return;
  }
  if (Array.isArray(headers)) {
    for (const cookie of setCookies) headers.push('set-cookie', cookie);
    return;
  }
  const key = Object.keys(headers).find((name) => name.toLowerCase() === 'set-cookie') ?? 'set-cookie';
  const existing = headers[key];
  headers[key] = [...(existing === undefined ? [] : [].concat(existing)), ...setCookies];
}

module.exports = { middleware, holdHeadersUntilSaved };
