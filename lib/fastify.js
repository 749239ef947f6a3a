'use strict';

// `napi-session/fastify`: a Fastify plugin.
//
//   import napiSession from 'napi-session/fastify';
//   await app.register(napiSession, { driver: 'fs', idleTimeout: 1800 });
//   app.get('/', async (request) => (await request.session.get('visits')) ?? 0);
//
// `request.session` is this package's Session (get/set/update/flash/regenerate/destroy/...). It is
// committed in the onSend hook — after the handler, before the headers leave — and its Set-Cookie
// values join the reply's. A storage error there goes to Fastify's error handling.
//
// The plugin follows fastify-plugin's conventions without depending on it: skip-override (the
// hooks and the request decorator apply to the whole app, not only to the plugin's own
// encapsulation context), a display name and metadata (the Fastify versions it supports).

const { sessionsFrom } = require('./create-sessions');

/** Options Fastify itself may pass along with a plugin's own (register's). */
const FASTIFY_OPTIONS = ['prefix', 'logLevel', 'logSerializers'];

function napiSession(fastify, options, done) {
  let sessions;
  try {
    sessions = sessionsFrom(options, 'napi-session/fastify', FASTIFY_OPTIONS);
  } catch (error) {
    done(error);
    return;
  }
  // Requests whose commit failed: the error handler's reply passes through onSend again, where the
  // commit is not tried a second time (against a store that is down or slow, that would hold the
  // error reply back for another timeout).
  const failed = new WeakSet();

  fastify.decorateRequest('session', null);
  fastify.addHook('onRequest', (request, reply, next) => {
    request.session = sessions.fromRequest(request.raw);
    next();
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    const { session } = request;
    if (!session || failed.has(request)) return payload;
    let setCookies;
    try {
      setCookies = await session.commit();
    } catch (error) {
      failed.add(request);
      throw error;
    }
    for (const setCookie of setCookies) reply.header('set-cookie', setCookie);
    return payload;
  });
  done();
}

napiSession[Symbol.for('skip-override')] = true;
napiSession[Symbol.for('fastify.display-name')] = 'napi-session';
napiSession[Symbol.for('plugin-meta')] = { name: 'napi-session', fastify: '4.x || 5.x' };

module.exports = napiSession;
module.exports.napiSession = napiSession;
module.exports.default = napiSession;
