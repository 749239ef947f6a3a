// createSessions() options: defaults, cookies, and every mistake as ERR_SESSION_CONFIG.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSessions, SessionError } from '../../index.mjs';

async function setCookieOf(options) {
  const session = createSessions({ driver: 'memory', ...options }).fromRequest('');
  session.set('x', 1);
  const [cookie] = await session.commit();
  return cookie.replace(/=[0-9a-f-]{36};/, '=ID;');
}

describe('options', () => {
  it('sends Astro’s default cookie: HttpOnly, SameSite=Lax, Path=/', async () => {
    assert.equal(await setCookieOf({}), 'astro-session=ID; HttpOnly; SameSite=Lax; Path=/');
  });

  it('adds Secure when NODE_ENV is production', async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      assert.equal(await setCookieOf({}), 'astro-session=ID; HttpOnly; SameSite=Lax; Secure; Path=/');
      assert.equal(await setCookieOf({ cookie: { secure: false } }), 'astro-session=ID; HttpOnly; SameSite=Lax; Path=/');
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
  });

  it('writes every cookie option', async () => {
    assert.equal(await setCookieOf({ cookie: 'sid' }), 'sid=ID; HttpOnly; SameSite=Lax; Path=/');
    assert.equal(
      await setCookieOf({
        cookie: {
          name: '__Host-sid',
          path: '/',
          maxAge: 600,
          sameSite: 'strict',
          secure: true,
          partitioned: true,
          priority: 'high',
        },
      }),
      '__Host-sid=ID; HttpOnly; SameSite=Strict; Partitioned; Secure; Path=/; Max-Age=600; Priority=High',
    );
    assert.equal(
      await setCookieOf({ cookie: { domain: 'example.com', path: '/app', sameSite: false } }),
      'astro-session=ID; HttpOnly; Path=/app; Domain=example.com',
    );
  });

  it('rejects every mistake with ERR_SESSION_CONFIG, naming it', () => {
    const cases = [
      [{ drivr: 'fs' }, /createSessions\(\) option drivr: unknown field `drivr`/],
      [{ driver: 'mongo' }, /unknown driver "mongo"/],
      [{ driver: { name: 'memory', maxEntries: 0 } }, /maxEntries/],
      [{ driver: { name: 'fs', base: '' } }, /base/],
      [{ driver: { name: 'fs', bse: '/tmp' } }, /option driver\.bse: unknown field `bse`/],
      [{ ttl: -1 }, /ttl/],
      [{ ttl: '60' }, /ttl/],
      [{ idleTimeout: Infinity }, /idleTimeout/],
      // 0 would make values (or the whole session) expire as soon as they are written.
      [{ ttl: 0 }, /option ttl: 0 is not a number of seconds more than 0/],
      [{ idleTimeout: 0 }, /option idleTimeout: 0 is not a number of seconds more than 0/],
      [{ idleTimeout: NaN }, /option idleTimeout: NaN is not a finite number/],
      [{ ttl: () => 60 }, /option ttl: a function is not a valid value/],
      [{ idleTimeout: -30 }, /idleTimeout/],
      [{ driver: { entrypoint: 'unstorage/drivers/redis', config: { url: 'redis://x' }, base: 'x' } }, /unknown driver option "base" next to entrypoint/],
      [{ driver: { entrypoint: '' } }, /driver entrypoint must be a module name or path/],
      [{ driver: { entrypoint: 'unstorage/drivers/redis', config: 'redis://x' } }, /config of driver entrypoint .* must be an object/],
      [{ maxSize: 0 }, /maxSize/],
      [{ cookie: { name: 'bad name' } }, /not a valid cookie name/],
      [{ cookie: { name: '__Host-x' } }, /__Host-/],
      [{ cookie: { name: '__Secure-x', secure: false } }, /__Secure-/],
      [{ cookie: { sameSite: 'none' } }, /secure/],
      [{ cookie: { sameSite: 'sometimes' } }, /sameSite/],
      [{ cookie: { priority: 'urgent' } }, /priority/],
      [{ cookie: { path: 'app' } }, /path/],
      [{ cookie: { maxAge: -5 } }, /maxAge/],
      [{ cookie: { secure: 'yes' } }, /secure/],
      [{ cookie: { sameSit: 'lax' } }, /option cookie\.sameSit: unknown field `sameSit`/],
      [null, /options object/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => createSessions(options),
        (error) => error instanceof SessionError && error.code === 'ERR_SESSION_CONFIG' && message.test(error.message),
        JSON.stringify(options),
      );
    }
  });

  it('takes a Cookie header from an IncomingMessage-like object, a Fetch Request or a string', async () => {
    const sessions = createSessions({ driver: 'memory' });
    const first = sessions.fromRequest(undefined);
    first.set('x', 42);
    const [cookie] = await first.commit();
    const pair = cookie.split(';')[0];
    assert.equal(await sessions.fromRequest(pair).get('x'), 42);
    assert.equal(await sessions.fromRequest({ headers: { cookie: pair } }).get('x'), 42);
    assert.equal(await sessions.fromRequest(new Request('http://x/', { headers: { cookie: pair } })).get('x'), 42);
    assert.equal(await sessions.fromRequest({ headers: {} }).get('x'), undefined);
    assert.throws(() => sessions.fromRequest(42), { code: 'ERR_SESSION_CONFIG' });
  });
});
