// No session id, cookie value or password in any error message (issue 10 item 6, issue 12 item 5).
// A session id is a credential: an error that reaches a log, a monitoring service or a 500 page
// must not hand it out. This test provokes every kind of failure the package reports, on every
// driver, and scans each message (and cause) for the secrets involved.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, it } from 'node:test';
import { createSessions } from '../../index.mjs';
import { napiSessionDriver } from '../../lib/astro.js';
import { RedisServer, stopAll } from '../helpers/redis-server.mjs';
import { tempDirs } from '../helpers/temp-dirs.mjs';

after(stopAll);
const tempDir = tempDirs('secrets');

const SECRET = 'keyboard cat keyboard cat keyboard cat';
const PASSWORD = 'hunter2-very-secret';
const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
const other = '1f8fad5b-d9cb-469f-a165-70867728950e';
const cookie = `astro-session=${id}`;
const CORRUPT = '[["Map",1,2],"x",{"data":99}]';

/** Every error a scenario produced, flattened with its causes. */
const collected = [];
async function failure(label, work) {
  try {
    await work();
  } catch (error) {
    for (let e = error; e; e = e.cause) collected.push({ label, text: `${e.name}: ${e.message} ${e.stack ?? ''}` });
    return error;
  }
  assert.fail(`${label}: expected a failure`);
}

it('no failure names a session id, a cookie value, a secret or a password', async () => {
  // A stored session that cannot be read, on each driver.
  const fsBase = tempDir();
  writeFileSync(path.join(fsBase, id), CORRUPT);
  await failure('fs: unreadable record', () => createSessions({ driver: { name: 'fs', base: fsBase } }).fromRequest(cookie).get('x'));
  const redis = await RedisServer.start();
  redis.cli('SET', `s:${id}`, CORRUPT);
  await failure('redis: unreadable record', () => createSessions({ driver: { name: 'redis', url: redis.url, base: 's' } }).fromRequest(cookie).get('x'));
  const store = new Map([[id, CORRUPT]]);
  const mapDriver = { getItem: async (k) => store.get(k) ?? null, setItem: async (k, v) => void store.set(k, v), removeItem: async (k) => void store.delete(k) };
  await failure('driver object: unreadable record', () => createSessions({ driver: mapDriver }).fromRequest(cookie).get('x'));

  // Storage that fails: a base that is a file; a directory named like the session; a driver that
  // throws naming the id; a driver that hangs; Redis with a wrong password, and down.
  const notADir = path.join(tempDir(), 'file');
  writeFileSync(notADir, 'x');
  const fsWriter = createSessions({ driver: { name: 'fs', base: notADir } }).fromRequest('');
  fsWriter.set('a', 1);
  await failure('fs: base is a file', () => fsWriter.commit());
  const dirBase = tempDir();
  mkdirSync(path.join(dirBase, other));
  const onDir = createSessions({ driver: { name: 'fs', base: dirBase } });
  const loaded = onDir.fromRequest('');
  await loaded.load(other);
  loaded.set('a', 1);
  await failure('fs: a directory named like the session', () => loaded.commit());
  const throwing = { getItem: async (k) => { throw new Error(`no such key ${k}`); }, setItem: async () => {}, removeItem: async () => {} };
  await failure('driver object: throws naming the id', () => createSessions({ driver: throwing }).fromRequest(cookie).get('x'));
  const hanging = { getItem: () => new Promise(() => {}), setItem: async () => {}, removeItem: async () => {} };
  await failure('driver object: hangs', () => createSessions({ driver: hanging, timeout: 0.2 }).fromRequest(cookie).get('x'));
  redis.cli('CONFIG', 'SET', 'requirepass', 'the-right-one');
  const wrongPassword = createSessions({ driver: { name: 'redis', url: `redis://:${PASSWORD}@127.0.0.1:${redis.port}` } });
  await failure('redis: wrong password', () => wrongPassword.fromRequest(cookie).get('x'));
  await redis.kill();
  const down = createSessions({ driver: { name: 'redis', url: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`, connectTimeout: 0.3, commandTimeout: 0.3 } });
  await failure('redis: down', () => down.fromRequest(cookie).get('x'));

  // What the application gets wrong: load() of something that is not an id, a signed setup with
  // a short secret, a redis URL with a password that does not parse.
  await failure('load() of a non-id', () => createSessions({ driver: 'memory' }).fromRequest('').load(`${id}-and-more`));
  await failure('a secret too short', () => createSessions({ secrets: [SECRET.slice(0, 10)] }));
  await failure('a redis URL that does not parse', () => createSessions({ driver: { name: 'redis', url: `redis//:${PASSWORD}@host` } }));
  await failure('astro driver: setItem of a non-id', () => napiSessionDriver({ driver: 'memory' }).setItem(`${id}x`, '[]'));

  assert.ok(collected.length >= 13, `${collected.length} errors collected`);
  for (const { label, text } of collected) {
    for (const secret of [id, other, PASSWORD, SECRET, SECRET.slice(0, 10)]) {
      assert.ok(!text.includes(secret), `${label}: the message holds a secret (${secret}): ${text}`);
    }
  }
});
