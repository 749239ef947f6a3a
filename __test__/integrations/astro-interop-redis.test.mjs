// Interop with Astro over Redis, with the real packages: Astro's AstroSession with unstorage's
// redis driver (ioredis) and napi-session's redis driver share a private redis-server and a base.
// A session written by one is read by the other, both ways; and Astro on napi-session's own
// driver entry point (napi-session/astro) shares sessions with unstorage's driver too.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import unstorageRedis from 'unstorage/drivers/redis';
import napiSessionAstroDriver from '../../astro.mjs';
import { createSessions } from '../../index.mjs';
import { assertInteropValues, astroSession, interopValues } from '../helpers/astro-session.mjs';
import { RedisServer, stopAll } from '../helpers/redis-server.mjs';

const server = await RedisServer.start();
const base = 'astro-sessions';

// unstorage's driver keeps an ioredis connection open; each is closed at the end.
const unstorageDrivers = [];
function unstorageRedisDriver(options) {
  const driver = unstorageRedis(options);
  unstorageDrivers.push(driver);
  return driver;
}
after(async () => {
  await Promise.all(unstorageDrivers.map((driver) => driver.dispose()));
  await stopAll();
});

/** One request of Astro with unstorage's redis driver. */
const astro = (cookieHeader) =>
  astroSession({ driverFactory: unstorageRedisDriver, driverOptions: { url: server.url, base }, cookieHeader, ttl: 3600 });

const pair = (setCookie) => setCookie.split(';')[0];

describe('Astro interop (redis)', () => {
  const sessions = createSessions({ driver: { name: 'redis', url: server.url, base } });

  it('reads what Astro wrote, per-key expiry included', async () => {
    const written = astro();
    for (const [key, value] of Object.entries(interopValues())) written.session.set(key, value);
    written.session.set('gone', 'soon', { ttl: 0.05 });
    const [setCookie] = await written.persist();
    const id = written.session.sessionID;
    assert.equal(server.cli('EXISTS', `${base}:${id}`), '1', "Astro's key is <base>:<id>");
    assert.equal(server.cli('PTTL', `${base}:${id}`), '-1', 'Astro sets no expiry');
    await sleep(100);
    const session = sessions.fromRequest(pair(setCookie));
    const read = Object.fromEntries(await session.entries());
    assert.deepStrictEqual(Object.keys(read), ['date', 'map', 'set', 'url', 'big'], 'the expired value is gone');
    assertInteropValues(read);
    assert.equal(session.sessionID, id);
  });

  it('writes what Astro reads, per-key expiry included', async () => {
    const session = sessions.fromRequest('');
    for (const [key, value] of Object.entries(interopValues())) session.set(key, value, { ttl: 3600 });
    session.set('gone', 'soon', { ttl: 0.05 });
    const [setCookie] = await session.commit();
    await sleep(100);
    const read = Object.fromEntries(await astro(pair(setCookie)).session.entries());
    assert.deepStrictEqual(Object.keys(read), ['date', 'map', 'set', 'url', 'big']);
    assertInteropValues(read);
  });

  it('both update one session in turn; napi-session gives the key an expiry; destroy is seen by both', async () => {
    const first = astro();
    first.session.set('astro', 1);
    const cookie = pair((await first.persist())[0]);
    const key = `${base}:${first.session.sessionID}`;

    const ours = sessions.fromRequest(cookie);
    ours.set('ours', 2);
    await ours.commit();
    assert.ok(Number(server.cli('PTTL', key)) > 0, 'written by napi-session, the key expires');

    const second = astro(cookie);
    assert.deepStrictEqual(await second.session.entries(), [
      ['astro', 1],
      ['ours', 2],
    ]);
    second.session.set('astro', 3);
    await second.persist();
    assert.equal(await sessions.fromRequest(cookie).get('astro'), 3);

    const signOut = sessions.fromRequest(cookie);
    signOut.destroy();
    await signOut.commit();
    assert.deepStrictEqual(await astro(cookie).session.entries(), [], 'Astro reads the tombstone as no session');
    const third = astro(cookie);
    third.session.destroy();
    await third.persist();
    assert.equal(server.cli('EXISTS', key), '0', "Astro's destroy removes the key");
    assert.equal(await sessions.fromRequest(cookie).get('ours'), undefined);
  });

  it('Astro on napi-session/astro shares sessions with unstorage on the same Redis', async () => {
    const rustDriver = (config) => napiSessionAstroDriver(config);
    const onRust = astroSession({
      driverFactory: rustDriver,
      driverOptions: { driver: 'redis', url: server.url, base, ttl: 600 },
      ttl: 3600,
    });
    for (const [key, value] of Object.entries(interopValues())) onRust.session.set(key, value);
    const cookie = pair((await onRust.persist())[0]);
    const key = `${base}:${onRust.session.sessionID}`;
    const pttl = Number(server.cli('PTTL', key));
    assert.ok(pttl > 590_000 && pttl <= 600_000, `the driver's ttl is the key's PX: ${pttl}`);
    assertInteropValues(Object.fromEntries(await astro(cookie).session.entries()));
  });
});
