// The redis driver against private redis-server processes (helpers/redis-server.mjs): the
// conformance suite on a single node and on a 3-master cluster, then what is particular to Redis:
// key layout and expiry, one connection per createSessions(), credentials and database from the
// URL, TLS, and outages.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createSessions } from '../../index.mjs';
import { conformance } from './conformance.mjs';
import { makeCertificates, RedisServer, startCluster, stopAll } from '../helpers/redis-server.mjs';

after(stopAll);

const server = await RedisServer.start();
const cluster = await startCluster();

/** A new base per createSessions(), so the tests of the suite never see each other's keys. */
let bases = 0;
function redisDriver(driver) {
  let base;
  return {
    createSessions: (options) => {
      base = `conformance${++bases}`;
      return createSessions({ driver: { name: 'redis', base, ...driver }, ...options });
    },
    raw: {
      read: async (id) => (driver.url ? server : cluster.nodeOf(`${base}:${id}`))?.cli('GET', `${base}:${id}`) || undefined,
      write: async (id, text) => {
        const node = driver.url ? server : cluster.nodeOf(`${base}:${id}`);
        node.cli('SET', `${base}:${id}`, text);
      },
    },
  };
}

conformance('redis', redisDriver({ url: server.url }));
conformance('redis cluster', redisDriver({ cluster: cluster.urls }));

/** Commits one session with `values`; its id. */
async function newSession(sessions, values) {
  const session = sessions.fromRequest('');
  for (const [key, value] of Object.entries(values)) session.set(key, value);
  const [setCookie] = await session.commit();
  assert.ok(setCookie, 'a new session sends its cookie');
  return session.sessionID;
}

const cookieFor = (id) => `astro-session=${id}`;

describe('redis driver', () => {
  it("stores each session under unstorage's key, as Astro's text, with the session's lifetime as PX", async () => {
    const withBase = createSessions({ driver: { name: 'redis', url: server.url, base: 'app:sess:' }, ttl: 60 });
    const id = await newSession(withBase, { x: 1 });
    assert.match(server.cli('GET', `app:sess:${id}`), /^\[\["Map",1,2\],"x",\{"data":3,"expires":4\},1,\d{13}\]$/);
    const pttl = Number(server.cli('PTTL', `app:sess:${id}`));
    assert.ok(pttl > 55_000 && pttl <= 60_000, `PX is the ttl: ${pttl}`);

    const bare = createSessions({ driver: { name: 'redis', url: server.url }, idleTimeout: 120 });
    const bareId = await newSession(bare, { y: 2 });
    assert.equal(server.cli('GET', bareId), '[["Map",1,2],"y",{"data":3,"expires":-1},2]', 'no base: the key is the id');
    const barePttl = Number(server.cli('PTTL', bareId));
    assert.ok(barePttl > 115_000 && barePttl <= 120_000, `PX is idleTimeout: ${barePttl}`);

    const defaults = createSessions({ driver: { name: 'redis', url: server.url, base: 'd' } });
    const defaultId = await newSession(defaults, { z: 3 });
    const defaultPttl = Number(server.cli('PTTL', `d:${defaultId}`));
    assert.ok(defaultPttl > 24 * 3600_000 - 5_000, `by default a session lives a day after its last write: ${defaultPttl}`);
  });

  it('destroy() leaves a short-lived tombstone that Astro reads as no session', async () => {
    const sessions = createSessions({ driver: { name: 'redis', url: server.url, base: 'tomb' } });
    const id = await newSession(sessions, { user: 'ada' });
    const session = sessions.fromRequest(cookieFor(id));
    session.destroy();
    const [expired] = await session.commit();
    assert.match(expired, /Max-Age=0/);
    assert.equal(server.cli('EXISTS', `tomb:${id}`), '1');
    assert.equal(server.cli('STRLEN', `tomb:${id}`), '0', 'an empty string');
    const pttl = Number(server.cli('PTTL', `tomb:${id}`));
    assert.ok(pttl > 0 && pttl <= 300_000, `that expires within 5 minutes: ${pttl}`);
    assert.equal(await sessions.fromRequest(cookieFor(id)).get('user'), undefined);
  });

  it('uses one connection per createSessions(), shared by every request', async () => {
    const own = await RedisServer.start();
    const connected = () => Number(own.cli('INFO', 'clients').match(/connected_clients:(\d+)/)[1]);
    assert.equal(connected(), 1, 'only the redis-cli asking');
    const sessions = createSessions({ driver: { name: 'redis', url: own.url } });
    assert.equal(connected(), 1, 'createSessions() connects nothing yet');
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => newSession(sessions, { i })));
    const values = await Promise.all(ids.map((id) => sessions.fromRequest(cookieFor(id)).get('i')));
    assert.deepStrictEqual(values, Array.from({ length: 50 }, (_, i) => i));
    assert.equal(connected(), 2, 'one connection for 100 concurrent requests');
    await own.kill();
  });

  it('takes user, password (percent-encoded) and database from the URL', async () => {
    const password = 's3cr@t/:x';
    const acl = await RedisServer.start({ args: ['--user', 'default', 'off', '--user', 'app', 'on', `>${password}`, '~*', '&*', '+@all'] });
    const url = `redis://app:${encodeURIComponent(password)}@127.0.0.1:${acl.port}/3`;
    const sessions = createSessions({ driver: { name: 'redis', url } });
    const id = await newSession(sessions, { x: 1 });
    assert.equal(await sessions.fromRequest(cookieFor(id)).get('x'), 1);
    const asApp = ['--user', 'app', '--pass', password, '--no-auth-warning'];
    assert.equal(acl.cli(...asApp, '-n', '3', 'EXISTS', id), '1', 'stored in database 3');
    assert.equal(acl.cli(...asApp, '-n', '0', 'EXISTS', id), '0');

    const wrong = createSessions({ driver: { name: 'redis', url: `redis://app:hunter2@127.0.0.1:${acl.port}` } });
    const error = await wrong.fromRequest(cookieFor(id)).get('x').then(
      () => assert.fail('a wrong password must fail'),
      (error) => error,
    );
    assert.equal(error.code, 'ERR_SESSION_STORAGE');
    assert.ok(!error.message.includes('hunter2'), `no password in the message: ${error.message}`);
    await acl.kill();
  });

  it('spreads sessions over the nodes of a cluster, each with its expiry', async () => {
    const sessions = createSessions({ driver: { name: 'redis', cluster: cluster.urls.slice(0, 1), base: 'spread' }, ttl: 600 });
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => newSession(sessions, { i })));
    const perNode = cluster.nodes.map((node) => node.cli('KEYS', 'spread:*').split('\n').filter(Boolean));
    assert.ok(perNode.every((keys) => keys.length > 0), 'every master holds some sessions (found from one URL)');
    assert.equal(perNode.flat().length, ids.length);
    for (const [n, keys] of perNode.entries()) {
      for (const key of keys) assert.ok(Number(cluster.nodes[n].cli('PTTL', key)) > 590_000);
    }
    const values = await Promise.all(ids.map((id) => sessions.fromRequest(cookieFor(id)).get('i')));
    assert.deepStrictEqual(values, Array.from({ length: 30 }, (_, i) => i));
  });
});

describe('redis driver options', () => {
  it('rejects every mistake with ERR_SESSION_CONFIG, naming it', () => {
    const cases = [
      [{ name: 'redis' }, /exactly one of url .* or cluster/],
      [{ name: 'redis', url: server.url, cluster: cluster.urls }, /exactly one of url .* or cluster/],
      [{ name: 'redis', url: 42 }, /option driver\.url: invalid type: integer `42`, expected a string/],
      [{ name: 'redis', url: 'localhost:6379' }, /url \(without a scheme\) is not a valid redis:\/\//],
      [{ name: 'redis', url: 'http://user:pass@host' }, /url \(http:\/\/…\) is not a valid/],
      [{ name: 'redis', cluster: [] }, /driver\.cluster must list at least one node URL/],
      [{ name: 'redis', cluster: 'redis://a:1' }, /option driver\.cluster: invalid type/],
      [{ name: 'redis', url: server.url, base: 1 }, /option driver\.base: invalid type/],
      [{ name: 'redis', url: server.url, commandTimeout: 0 }, /option driver\.commandTimeout: 0 is not a number of seconds more than 0/],
      [{ name: 'redis', url: server.url, connectTimeout: '2' }, /connectTimeout/],
      [{ name: 'redis', url: server.url, password: 'x' }, /option driver\.password: unknown field `password`/],
      [{ name: 'redis', url: server.url, tls: { ca: 'pem' } }, /tls options need rediss:\/\//],
      [{ name: 'redis', url: 'rediss://127.0.0.1:1', tls: { cert: 'pem' } }, /tls options cert and key go together/],
      [{ name: 'redis', url: 'rediss://127.0.0.1:1', tls: { ca: 1 } }, /option driver\.tls\.ca: invalid type/],
      [{ name: 'redis', url: 'rediss://127.0.0.1:1', tls: { rejectUnauthorized: false } }, /option driver\.tls\.rejectUnauthorized: unknown field/],
    ];
    for (const [driver, message] of cases) {
      assert.throws(
        () => createSessions({ driver }),
        (error) => error.code === 'ERR_SESSION_CONFIG' && message.test(error.message),
        JSON.stringify(driver),
      );
    }
  });

  it('connects nothing in createSessions(), so a server that is down fails the requests, not the setup', () => {
    assert.ok(createSessions({ driver: { name: 'redis', url: 'redis://127.0.0.1:1' } }));
    assert.ok(createSessions({ driver: { name: 'redis', cluster: ['redis://127.0.0.1:1'] } }));
  });
});

describe('redis driver over TLS', () => {
  const files = makeCertificates();
  const ca = readFileSync(files.ca, 'utf8');
  const client = { cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey) };

  it('connects with rediss:// and the CA given in tls.ca', async () => {
    const secure = await RedisServer.start({ tls: files });
    const sessions = createSessions({ driver: { name: 'redis', url: secure.url, base: 'tls', tls: { ca } } });
    assert.match(secure.url, /^rediss:\/\//);
    const id = await newSession(sessions, { secret: 'only over TLS' });
    assert.equal(await sessions.fromRequest(cookieFor(id)).get('secret'), 'only over TLS');
    assert.equal(secure.cli('EXISTS', `tls:${id}`), '1');
    await secure.kill();
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    const secure = await RedisServer.start({ tls: files });
    const sessions = createSessions({ driver: { name: 'redis', url: secure.url } });
    const session = sessions.fromRequest('');
    session.set('x', 1);
    await assert.rejects(session.commit(), { code: 'ERR_SESSION_STORAGE', message: /invalid peer certificate: UnknownIssuer/ });
    await secure.kill();
  });

  it('trusts the CA file named by SSL_CERT_FILE when tls.ca is not given', async () => {
    const secure = await RedisServer.start({ tls: files });
    // In a child process: the system's roots are read from SSL_CERT_FILE when set.
    const script = `
      const { createSessions } = require(${JSON.stringify(fileURLToPath(new URL('../../index.js', import.meta.url)))});
      const session = createSessions({ driver: { name: 'redis', url: process.argv[1] } }).fromRequest('');
      session.set('x', 1);
      session.commit().then(() => console.log('committed'), (error) => { console.log(error.code, error.message); process.exitCode = 1; });
    `;
    const run = spawnSync(process.execPath, ['-e', script, secure.url], {
      env: { ...process.env, SSL_CERT_FILE: files.ca },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.stdout.trim(), 'committed', run.stderr);
    await secure.kill();
  });

  it('presents a client certificate to a server that requires one (tls.cert, tls.key)', async () => {
    const strict = await RedisServer.start({ tls: { ...files, authClients: true } });
    const anonymous = createSessions({ driver: { name: 'redis', url: strict.url, tls: { ca }, connectTimeout: 1 } }).fromRequest('');
    anonymous.set('x', 1);
    await assert.rejects(anonymous.commit(), { code: 'ERR_SESSION_STORAGE', message: /CertificateRequired/ });
    const sessions = createSessions({ driver: { name: 'redis', url: strict.url, tls: { ca: [ca], ...client } } });
    const id = await newSession(sessions, { x: 1 });
    assert.equal(await sessions.fromRequest(cookieFor(id)).get('x'), 1);
    await strict.kill();
  });
});

describe('redis driver outages', () => {
  const timeouts = { connectTimeout: 0.5, commandTimeout: 0.5 };
  /** `work()` rejects with a storage or timeout error in less than 2 s (the limit is 0.5 + 0.5 s). */
  async function rejectsInTime(work, codes = ['ERR_SESSION_STORAGE', 'ERR_SESSION_TIMEOUT']) {
    const started = performance.now();
    const error = await work().then(
      () => assert.fail('the server is down: this must fail'),
      (error) => error,
    );
    const elapsed = performance.now() - started;
    assert.ok(codes.includes(error.code), `${error.code}: ${error.message}`);
    assert.ok(elapsed < 2000, `rejected after ${elapsed.toFixed(0)} ms`);
    return { code: error.code, elapsed };
  }

  it('rejects while the server is down, and the same sessions object works once it is back', async () => {
    const target = await RedisServer.start();
    const sessions = createSessions({ driver: { name: 'redis', url: target.url, base: 'outage', ...timeouts } });
    const id = await newSession(sessions, { cart: ['tea'] });

    await target.kill();
    const read = await rejectsInTime(() => sessions.fromRequest(cookieFor(id)).get('cart'));
    const writer = sessions.fromRequest('');
    writer.set('x', 1);
    const write = await rejectsInTime(() => writer.commit());
    console.log(`server killed: get() ${read.code} in ${read.elapsed.toFixed(1)} ms, commit() ${write.code} in ${write.elapsed.toFixed(1)} ms`);

    await target.restart();
    const started = performance.now();
    const again = await newSession(sessions, { cart: ['coffee'] });
    assert.deepStrictEqual(await sessions.fromRequest(cookieFor(again)).get('cart'), ['coffee']);
    console.log(`server restarted: the next request succeeded in ${(performance.now() - started).toFixed(1)} ms`);
    assert.equal(await sessions.fromRequest(cookieFor(id)).get('cart'), undefined, 'the restarted server kept nothing');
    await target.kill();
  });

  it('times out against a server that stops answering, and recovers when it answers again', async () => {
    const target = await RedisServer.start();
    const sessions = createSessions({ driver: { name: 'redis', url: target.url, base: 'frozen', ...timeouts } });
    const id = await newSession(sessions, { n: 1 });
    target.pause();
    try {
      const read = await rejectsInTime(() => sessions.fromRequest(cookieFor(id)).get('n'), ['ERR_SESSION_TIMEOUT']);
      const writer = sessions.fromRequest(cookieFor(id));
      writer.set('n', 2);
      const write = await rejectsInTime(() => writer.commit(), ['ERR_SESSION_TIMEOUT']);
      console.log(`server frozen: get() ${read.code} in ${read.elapsed.toFixed(1)} ms, commit() ${write.code} in ${write.elapsed.toFixed(1)} ms`);
    } finally {
      target.resume();
    }
    const session = sessions.fromRequest(cookieFor(id));
    assert.ok([1, 2].includes(await session.get('n')));
    session.set('n', 3);
    await session.commit();
    assert.equal(await sessions.fromRequest(cookieFor(id)).get('n'), 3);
    await target.kill();
  });

  it('with 400 commits in flight on a frozen server, each gives up within its own timeout, waits included', async () => {
    const target = await RedisServer.start();
    const sessions = createSessions({ driver: { name: 'redis', url: target.url, base: 'queue', ...timeouts } });
    const shared = await newSession(sessions, { n: 0 });
    target.pause();
    try {
      const started = performance.now();
      const commit = async (cookie) => {
        const session = sessions.fromRequest(cookie);
        session.set('x', 1); // a blind write: it reads under its turn, then writes
        const begun = performance.now();
        const error = await session.commit().then(() => null, (error) => error);
        return { code: error?.code, ms: performance.now() - begun };
      };
      // Half on one session (they take turns), half on sessions of their own.
      const outcomes = await Promise.all([
        ...Array.from({ length: 200 }, () => commit(cookieFor(shared))),
        ...Array.from({ length: 200 }, () => commit('')),
      ]);
      const total = performance.now() - started;
      const slowest = Math.max(...outcomes.map((outcome) => outcome.ms));
      console.log(`frozen server, 400 commits in flight: slowest ${slowest.toFixed(0)} ms, all done in ${total.toFixed(0)} ms`);
      assert.ok(outcomes.every((outcome) => outcome.code === 'ERR_SESSION_TIMEOUT'), JSON.stringify(outcomes.find((o) => o.code !== 'ERR_SESSION_TIMEOUT')));
      // The bound is connectTimeout + commandTimeout (1 s) per commit, turns included.
      assert.ok(slowest < 1_600, `a commit waited ${slowest.toFixed(0)} ms`);
    } finally {
      target.resume();
    }
    await newSession(sessions, { back: true });
    await target.kill();
  });

  it('rejects while the server is down at first use, and connects once it is up', async () => {
    const target = await RedisServer.start();
    await target.kill();
    const sessions = createSessions({ driver: { name: 'redis', url: target.url, ...timeouts } });
    const session = sessions.fromRequest('');
    session.set('x', 1);
    await rejectsInTime(() => session.commit());
    await target.restart();
    await sleep(10);
    assert.ok(await newSession(sessions, { x: 1 }));
    await target.kill();
  });
});
