// createSessions({ driver: { entrypoint, config } }): a driver module loaded as Astro loads one
// (its default export called with config), on first use — createSessions() stays synchronous.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createSessions, parse } from '../../index.mjs';
import { RedisServer } from '../helpers/redis-server.mjs';

const run = promisify(execFile);

const mapDriverFile = fileURLToPath(new URL('../fixtures/drivers/map-driver.mjs', import.meta.url));

async function roundTrip(sessions) {
  const writer = sessions.fromRequest('');
  writer.set('cart', new Map([['tea', 2]]));
  const [cookie] = await writer.commit();
  const pair = cookie.split(';')[0];
  assert.deepEqual(await sessions.fromRequest(pair).get('cart'), new Map([['tea', 2]]));
  return pair.split('=')[1];
}

describe('driver: { entrypoint, config }', () => {
  it('loads unstorage\'s redis driver by its entrypoint, as Astro does, and stores sessions with it', async () => {
    const redis = await RedisServer.start();
    after(() => redis.kill());
    // In a process of its own: the driver's ioredis connection keeps Node running until it ends.
    const script = `
      import { createSessions } from ${JSON.stringify(pathToFileURL(path.resolve('index.mjs')).href)};
      const sessions = createSessions({ driver: { entrypoint: 'unstorage/drivers/redis', config: { url: process.argv[1], base: 'astro' } } });
      const writer = sessions.fromRequest('');
      writer.set('cart', new Map([['tea', 2]]));
      const [cookie] = await writer.commit();
      const cart = await sessions.fromRequest(cookie.split(';')[0]).get('cart');
      console.log(JSON.stringify({ id: writer.sessionID, cart: [...cart] }));
      process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, redis.url], { timeout: 20_000 });
    const { id, cart } = JSON.parse(stdout);
    assert.deepEqual(cart, [['tea', 2]]);
    const stored = redis.cli('GET', `astro:${id}`);
    assert.deepEqual(parse(stored).get('cart').data, new Map([['tea', 2]]), 'stored as Astro stores it, under the base');
  });

  it('takes a file path or a file URL, and passes config (and each write\'s ttl) to the driver', async () => {
    for (const entrypoint of [mapDriverFile, pathToFileURL(mapDriverFile), `./${path.relative(process.cwd(), mapDriverFile)}`]) {
      const records = new Map();
      const ttls = [];
      const sessions = createSessions({ driver: { entrypoint, config: { records, ttls } }, idleTimeout: 600 });
      const id = await roundTrip(sessions);
      assert.deepEqual([...records.keys()], [id], String(entrypoint));
      assert.deepEqual(ttls, [600]);
    }
  });

  it('fails each storage call with ERR_SESSION_STORAGE naming the entrypoint when it cannot be loaded', async () => {
    const cases = [
      ['napi-session-no-such-driver', /driver entrypoint "napi-session-no-such-driver" could not be loaded: .*napi-session-no-such-driver/],
      ['node:path', /driver entrypoint "node:path" does not export a driver factory/],
    ];
    for (const [entrypoint, message] of cases) {
      const sessions = createSessions({ driver: { entrypoint } });
      for (let attempt = 0; attempt < 2; attempt++) {
        const session = sessions.fromRequest('');
        session.set('x', 1);
        await assert.rejects(session.commit(), (error) => error.code === 'ERR_SESSION_STORAGE' && message.test(error.message), entrypoint);
      }
    }
  });
});
