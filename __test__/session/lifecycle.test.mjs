// The session lifecycle users expect (issue 13): sliding expiry that counts reads, an absolute
// timeout, rolling cookies, signed cookies with rotation, flash values read once, update(key, fn)
// that loses no increment — on the memory, fs and redis drivers, with short clocks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createSessions } from '../../index.mjs';
import { napiSessionDriver } from '../../lib/astro.js';
import { RedisServer, stopAll } from '../helpers/redis-server.mjs';
import { tempDirs } from '../helpers/temp-dirs.mjs';

const require = createRequire(import.meta.url);
// The package express-session signs its cookies with (a dependency of express here).
const signature = require('cookie-signature');
const root = fileURLToPath(new URL('../..', import.meta.url));

after(stopAll);
const tempDir = tempDirs('lifecycle');

const redis = await RedisServer.start();
let bases = 0;
const drivers = {
  memory: () => 'memory',
  fs: () => ({ name: 'fs', base: tempDir() }),
  redis: () => ({ name: 'redis', url: redis.url, base: `lifecycle${++bases}` }),
};

const pairOf = (setCookie) => setCookie.split(';')[0];

async function newSession(sessions, values) {
  const session = sessions.fromRequest('');
  for (const [key, value] of Object.entries(values)) session.set(key, value);
  return pairOf((await session.commit())[0]);
}

/** A read-only request, as the middleware runs it: read, then commit (which may extend it). */
async function readOnly(sessions, cookie, key) {
  const session = sessions.fromRequest(cookie);
  const value = await session.get(key);
  return { value, setCookie: await session.commit() };
}

for (const [name, driver] of Object.entries(drivers)) {
  describe(`lifecycle on the ${name} driver`, () => {
    it('an active user who only reads is not signed out (sliding idle timeout)', async () => {
      const sessions = createSessions({ driver: driver(), idleTimeout: 2 });
      const cookie = await newSession(sessions, { user: 'ada' });
      // A read every 0.7 s for 4.2 s: twice the idle timeout.
      for (let i = 0; i < 6; i++) {
        await sleep(700);
        assert.equal((await readOnly(sessions, cookie, 'user')).value, 'ada', `signed out after ${(i + 1) * 0.7} s`);
      }
      // Idle past the timeout: gone.
      await sleep(2_300);
      assert.equal((await readOnly(sessions, cookie, 'user')).value, undefined);
    });

    it('an absolute timeout ends a session however active', async () => {
      const sessions = createSessions({ driver: driver(), idleTimeout: 10, absoluteTimeout: 1.5 });
      const cookie = await newSession(sessions, { user: 'ada' });
      assert.deepEqual([...(await sessions.fromRequest(cookie).keys())], ['user'], 'the creation time is not a key');
      for (let i = 0; i < 3; i++) {
        await sleep(400);
        const session = sessions.fromRequest(cookie);
        assert.equal(await session.get('user'), 'ada');
        session.set('seen', i);
        await session.commit();
      }
      await sleep(500);
      assert.equal((await readOnly(sessions, cookie, 'user')).value, undefined, 'ended 1.5 s after creation');
    });

    it('a flash value is read by exactly one of ten concurrent requests', async () => {
      const sessions = createSessions({ driver: driver() });
      const writer = sessions.fromRequest('');
      writer.set('user', 'ada');
      writer.flash('notice', { text: 'Saved', at: new Date(0) });
      const cookie = pairOf((await writer.commit())[0]);
      const reads = await Promise.all(Array.from({ length: 10 }, () => sessions.fromRequest(cookie).get('notice')));
      assert.equal(reads.filter((read) => read !== undefined).length, 1, JSON.stringify(reads));
      assert.deepEqual(reads.find((read) => read !== undefined), { text: 'Saved', at: new Date(0) });
      const after = sessions.fromRequest(cookie);
      assert.equal(await after.get('notice'), undefined, 'gone for later requests');
      assert.equal(await after.get('user'), 'ada', 'the rest stays');
    });

    it('a flash value read twice in its request is the same value; has() and keys() do not take it', async () => {
      const sessions = createSessions({ driver: driver() });
      const writer = sessions.fromRequest('');
      writer.flash('notice', 'hi');
      const cookie = pairOf((await writer.commit())[0]);
      const reader = sessions.fromRequest(cookie);
      assert.equal(await reader.has('notice'), true);
      assert.deepEqual([...(await reader.keys())], ['notice']);
      assert.deepEqual(await reader.entries(), [['notice', 'hi']], 'entries() takes it too');
      assert.equal(await reader.get('notice'), 'hi');
      assert.equal(await sessions.fromRequest(cookie).get('notice'), undefined);
    });

    it('update() loses no increment among 200 concurrent requests', async () => {
      const sessions = createSessions({ driver: driver() });
      const cookie = await newSession(sessions, { n: 0 });
      await Promise.all(Array.from({ length: 200 }, () => sessions.fromRequest(cookie).update('n', (n) => n + 1)));
      assert.equal(await sessions.fromRequest(cookie).get('n'), 200);
    });
  });
}

describe('the idle timeout is extended on a throttle, not on every read', () => {
  it('reads write nothing until half the idle timeout has passed (counted on Redis)', async () => {
    const sessions = createSessions({ driver: drivers.redis(), idleTimeout: 2 });
    const cookie = await newSession(sessions, { user: 'ada' });
    // PEXPIRE runs only in the extension script (Redis counts commands run by scripts too).
    const extensionsSoFar = () => Number(/cmdstat_pexpire:calls=(\d+)/.exec(redis.cli('INFO', 'commandstats'))?.[1] ?? 0);
    const before = extensionsSoFar();
    // 16 reads over 3.2 s: about one extension per second.
    for (let i = 0; i < 16; i++) {
      await readOnly(sessions, cookie, 'user');
      await sleep(200);
    }
    const extensions = extensionsSoFar() - before;
    assert.ok(extensions >= 2 && extensions <= 5, `${extensions} extensions for 16 reads`);
  });

  it('with rolling, an extension renews the cookie; without it, reads send no cookie', async () => {
    const rolling = createSessions({ driver: 'memory', idleTimeout: 1, rolling: true, cookie: { maxAge: 3600 } });
    const still = createSessions({ driver: 'memory', idleTimeout: 1, cookie: { maxAge: 3600 } });
    for (const [sessions, renewed] of [[rolling, true], [still, false]]) {
      const cookie = await newSession(sessions, { a: 1 });
      await sleep(600);
      const { setCookie } = await readOnly(sessions, cookie, 'a');
      assert.equal(setCookie.length === 1 && /Max-Age=3600/.test(setCookie[0]), renewed, JSON.stringify(setCookie));
    }
  });
});

describe('signed cookies (secrets)', () => {
  const secret = 'keyboard cat keyboard cat keyboard cat';
  const next = 'a new secret, at least thirty-two bytes long';

  it('writes the cookie express-session writes: s:<id>.<signature>, percent-encoded', async () => {
    const sessions = createSessions({ driver: 'memory', secrets: [secret] });
    const session = sessions.fromRequest('');
    session.set('a', 1);
    const [setCookie] = await session.commit();
    const value = pairOf(setCookie).split('=')[1];
    assert.equal(value, encodeURIComponent(`s:${signature.sign(session.sessionID, secret)}`));
    assert.equal(signature.unsign(decodeURIComponent(value).slice(2), secret), session.sessionID);
  });

  it('the first secret signs, every secret verifies; tampered or unsigned cookies start afresh', async () => {
    const before = createSessions({ driver: 'memory', secrets: secret });
    const cookie = await newSession(before, { user: 'ada' });
    const id = decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0];
    // The same store, a rotated list of secrets.
    const store = new Map();
    const driver = { getItem: async (k) => store.get(k) ?? null, setItem: async (k, v) => void store.set(k, v), removeItem: async (k) => void store.delete(k) };
    const old = createSessions({ driver, secrets: [secret] });
    const signedOld = await newSession(old, { user: 'ada' });
    const renewed = createSessions({ driver, secrets: [next, secret] });
    assert.equal(await renewed.fromRequest(signedOld).get('user'), 'ada', 'a cookie signed with the old secret still reads');
    const fresh = renewed.fromRequest('');
    fresh.set('x', 1);
    const newCookie = pairOf((await fresh.commit())[0]);
    assert.equal(decodeURIComponent(newCookie.split('=')[1]), `s:${signature.sign(fresh.sessionID, next)}`, 'new cookies use the first secret');

    for (const forged of [
      `astro-session=${id}`,
      `astro-session=${encodeURIComponent(`s:${signature.sign(id, 'some other secret that is long enough!!')}`)}`,
      cookie.slice(0, -2) + (cookie.endsWith('AA') ? 'BB' : 'AA'),
    ]) {
      const session = before.fromRequest(forged);
      assert.equal(await session.get('user'), undefined, forged);
      session.set('y', 1);
      const [setCookie] = await session.commit();
      assert.notEqual(pairOf(setCookie), cookie, 'a new session, not the forged one');
    }
    assert.equal(await before.fromRequest(cookie).get('user'), 'ada');
  });

  it('secrets shorter than 32 bytes, or not strings, are ERR_SESSION_CONFIG', () => {
    assert.throws(() => createSessions({ secrets: ['short'] }), { code: 'ERR_SESSION_CONFIG', message: /32 bytes/ });
    assert.throws(() => createSessions({ secrets: [] }), { code: 'ERR_SESSION_CONFIG' });
    assert.throws(() => createSessions({ secrets: [42] }), { code: 'ERR_SESSION_CONFIG' });
  });
});

describe('update() under changes that never stop', () => {
  it('runs its function again until the timeout, then rejects with ERR_SESSION_TIMEOUT and stores nothing', async () => {
    // Two createSessions() on one directory, as two processes: the other's commits do not wait
    // for this one's turn.
    const driver = drivers.fs();
    const sessions = createSessions({ driver, timeout: 0.3 });
    const elsewhere = createSessions({ driver });
    const cookie = await newSession(sessions, { n: 0 });
    let runs = 0;
    const started = performance.now();
    await assert.rejects(
      sessions.fromRequest(cookie).update('n', async (n) => {
        runs++;
        // Another request changes the key each time this function runs.
        const other = elsewhere.fromRequest(cookie);
        other.set('n', 1_000 + runs);
        await other.commit();
        return n + 1;
      }),
      { code: 'ERR_SESSION_TIMEOUT', message: /kept changing it for 0\.3 s/ },
    );
    const ms = performance.now() - started;
    assert.ok(ms >= 290 && ms < 3_000, `gave up after ${ms.toFixed(0)} ms`);
    assert.ok(runs > 1, `${runs} runs`);
    assert.equal(await sessions.fromRequest(cookie).get('n'), 1_000 + runs, 'only the other requests\' values');
  });
});

describe('update() across processes', () => {
  /** Runs `processes` children that each do `count` update() increments of one session's counter. */
  async function incrementFromProcesses(driverOptions, cookie, processes, count) {
    const script = `
      import { createSessions } from './index.mjs';
      const sessions = createSessions({ driver: ${JSON.stringify(driverOptions)} });
      for (let i = 0; i < ${count}; i++) await sessions.fromRequest(${JSON.stringify(cookie)}).update('n', (n) => n + 1);
    `;
    await Promise.all(Array.from({ length: processes }, () => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
    })));
  }

  for (const name of ['fs', 'redis']) {
    it(`4 processes × 500 increments on ${name} → 2 000`, async () => {
      const driverOptions = drivers[name]();
      const sessions = createSessions({ driver: driverOptions });
      const cookie = await newSession(sessions, { n: 0 });
      const started = performance.now();
      await incrementFromProcesses(driverOptions, cookie, 4, 500);
      console.log(`${name}: 2 000 increments from 4 processes in ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(await sessions.fromRequest(cookie).get('n'), 2_000);
    });
  }
});

describe('napi-session/astro and ids it does not accept', () => {
  it('an upper-case UUID is "not found" for getItem and hasItem, a no-op for removeItem; setItem refuses it', async () => {
    const driver = napiSessionDriver({ driver: 'memory' });
    const upper = '0F8FAD5B-D9CB-469F-A165-70867728950E';
    assert.equal(await driver.getItem(upper), null);
    assert.equal(await driver.hasItem(upper), false);
    await driver.removeItem(upper);
    await assert.rejects(driver.setItem(upper, '[]'), { code: 'ERR_SESSION_KEY' });
  });
});
