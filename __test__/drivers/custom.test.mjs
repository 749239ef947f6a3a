// Custom driver objects ({ getItem, setItem, removeItem }: Astro's SessionDriver, unstorage
// drivers), called from Rust through thread-safe functions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import memoryDriver from 'unstorage/drivers/memory';
import { createSessions } from '../../index.mjs';
import { conformance } from './conformance.mjs';

/** A Map-backed driver that counts its calls. */
function countingDriver() {
  const data = new Map();
  const calls = { getItem: 0, setItem: 0, removeItem: 0 };
  return {
    data,
    calls,
    async getItem(key) {
      calls.getItem++;
      return data.get(key) ?? null;
    },
    async setItem(key, value, options) {
      calls.setItem++;
      data.set(key, { value, ttl: options?.ttl });
      return undefined;
    },
    async removeItem(key) {
      calls.removeItem++;
      data.delete(key);
    },
  };
}

const unstorageMemory = () => {
  const driver = memoryDriver();
  return { driver, raw: { read: async (id) => driver.getItem(id) ?? undefined, write: async (id, text) => driver.setItem(id, text) } };
};

let current;
conformance('custom (unstorage memory)', {
  createSessions: (options) => {
    current = unstorageMemory();
    return createSessions({ driver: current.driver, ...options });
  },
  raw: {
    read: (id) => current.raw.read(id),
    write: (id, text) => current.raw.write(id, text),
  },
});

describe('custom driver', () => {
  it('is read at most once per request, and never without a cookie', async () => {
    const driver = countingDriver();
    const store = { ...driver, getItem: async (key) => (await driver.getItem(key))?.value ?? null };
    const sessions = createSessions({ driver: store });
    const first = sessions.fromRequest('');
    assert.equal(await first.get('a'), undefined);
    first.set('a', 1);
    const [cookie] = await first.commit();
    assert.deepStrictEqual(driver.calls, { getItem: 0, setItem: 1, removeItem: 0 });
    assert.ok(driver.calls.setItem === 1 && [...driver.data.values()][0].ttl === 86400, 'the lifetime goes to setItem as ttl');

    const second = sessions.fromRequest(cookie.split(';')[0]);
    assert.equal(await second.get('a'), 1);
    assert.equal(await second.has('b'), false);
    second.set('b', 2);
    await second.commit();
    // One read to load; a JS driver has no compare-and-set, so the write reads once more, right
    // before it, to check that nobody changed the session since the load.
    assert.equal(driver.calls.getItem, 2);
  });

  it('reports what the driver throws as ERR_SESSION_STORAGE, and a hang as ERR_SESSION_TIMEOUT', async () => {
    const failing = {
      getItem: async () => {
        throw new Error('disk on fire');
      },
      setItem: () => new Promise(() => {}),
      removeItem() {
        throw new Error('sync throw');
      },
    };
    const sessions = createSessions({ driver: failing });
    const reader = sessions.fromRequest('astro-session=0f8fad5b-d9cb-469f-a165-70867728950e');
    await assert.rejects(reader.get('x'), (error) => error.code === 'ERR_SESSION_STORAGE' && /disk on fire/.test(error.message));
    const writer = sessions.fromRequest('');
    writer.set('x', 1);
    const started = Date.now();
    await assert.rejects(writer.commit(), { code: 'ERR_SESSION_TIMEOUT' });
    assert.ok(Date.now() - started < 4000, 'within the 2 s timeout');
  });

  it('takes records that a driver hands back parsed', async () => {
    const data = new Map();
    const parsing = {
      getItem: async (key) => (data.has(key) ? JSON.parse(data.get(key)) : null),
      setItem: async (key, value) => void data.set(key, value),
      removeItem: async (key) => void data.delete(key),
    };
    const sessions = createSessions({ driver: parsing });
    const first = sessions.fromRequest('');
    first.set('when', new Date(5));
    const [cookie] = await first.commit();
    assert.deepStrictEqual(await sessions.fromRequest(cookie.split(';')[0]).get('when'), new Date(5));
  });

  it('needs all three methods', () => {
    assert.throws(() => createSessions({ driver: { getItem() {} } }), { code: 'ERR_SESSION_CONFIG' });
  });
});
