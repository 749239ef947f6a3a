'use strict';

// The smoke test of a binary on another platform (scripts/test-platforms.mjs runs it with Node for
// arm64 under qemu and with node.exe under wine): memory and fs sessions, stringify/parse, commits.
// CommonJS and assert only, so that it runs on every Node.js from 20 on, from any directory.
//
//   node smoke.cjs <napi-session package dir> <scratch dir for the fs driver>

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const [packageDir, scratch] = process.argv.slice(2);
const { createSessions, stringify, parse, SessionError } = require(path.resolve(packageDir));

const ID = /^astro-session=([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}); HttpOnly; SameSite=Lax; Path=\//;

/** One request's round trip: set `values`, commit, and return the new session's cookie header. */
async function write(sessions, values) {
  const session = sessions.fromRequest('');
  for (const [key, value] of Object.entries(values)) session.set(key, value);
  const [setCookie] = await session.commit();
  const [, id] = ID.exec(setCookie) ?? assert.fail(`Set-Cookie ${setCookie}`);
  return { id, cookie: `astro-session=${id}` };
}

async function sessionsWork(sessions) {
  const cart = new Map([['apple', { n: 2, at: new Date(0) }]]);
  const { id, cookie } = await write(sessions, { cart, big: 2n ** 70n });
  cart.set('pear', 1); // set() stored a copy

  const next = sessions.fromRequest(cookie);
  assert.deepEqual(await next.get('cart'), new Map([['apple', { n: 2, at: new Date(0) }]]));
  assert.equal(next.sessionID, id, 'the cookie’s session, once found');
  assert.equal(await next.get('big'), 2n ** 70n);
  next.set('visits', 1);
  assert.deepEqual(await next.commit(), [], 'an existing session sends no new cookie');

  const last = sessions.fromRequest(cookie);
  assert.deepEqual([...(await last.keys())].sort(), ['big', 'cart', 'visits']);
  last.destroy();
  const [expired] = await last.commit();
  assert.match(expired, /Max-Age=0|Expires=Thu, 01 Jan 1970/);
  assert.equal(await sessions.fromRequest(cookie).get('cart'), undefined, 'destroyed');
  return id;
}

async function main() {
  const value = { d: new Date(0), m: new Map([[1, new Set(['a'])]]), n: [NaN, -0, undefined], u: new URL('https://example.com/a?b') };
  const text = stringify(value);
  // What devalue 5.9 writes for it, with Astro's URL reducer (checked against devalue itself).
  assert.equal(text, '[{"d":1,"m":2,"n":6,"u":7},["Date","1970-01-01T00:00:00.000Z"],["Map",3,4],1,["Set",5],"a",[-3,-6,-1],["URL",8],"https://example.com/a?b"]');
  assert.deepEqual(parse(text), value);
  assert.throws(() => parse('[{'), (error) => error instanceof SessionError && error.code === 'ERR_SESSION_PARSE');

  await sessionsWork(createSessions({ driver: 'memory' }));

  const base = path.join(path.resolve(scratch), 'sessions');
  const fsSessions = createSessions({ driver: { name: 'fs', base } });
  const { id, cookie } = await write(fsSessions, { hello: 'world' });
  assert.ok(fs.readFileSync(path.join(base, id), 'utf8').includes('"world"'), 'the fs driver wrote <base>/<id>');
  assert.equal(await fsSessions.fromRequest(cookie).get('hello'), 'world');
  await sessionsWork(fsSessions);

  const addon = Object.keys(require.cache).find((file) => file.endsWith('.node'));
  console.log(`smoke ok: ${path.basename(addon)} on ${process.platform}-${process.arch} Node ${process.version}: stringify/parse, memory and fs sessions, commits`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
