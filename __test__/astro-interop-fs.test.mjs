// Interop with Astro itself (the real `astro` package's AstroSession, unstorage's fs-lite
// driver): a session written by Astro is read by napi-session's fs driver on the same directory,
// and the other way round.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fsLite from 'unstorage/drivers/fs-lite';
import { createSessions } from '../index.mjs';
import { astroSession } from './helpers/astro-session.mjs';

const base = mkdtempSync(path.join(tmpdir(), 'napi-session-astro-'));
after(() => rmSync(base, { recursive: true, force: true }));

const values = () => ({
  date: new Date('2025-01-02T03:04:05.678Z'),
  map: new Map([['tea', { qty: 2 }]]),
  set: new Set([1, 'two']),
  url: new URL('https://shop.example/cart?x=1'),
  big: -(2n ** 70n),
});

function assertValues(read) {
  const expected = values();
  assert.deepStrictEqual(read.date, expected.date);
  assert.deepStrictEqual(read.map, expected.map);
  assert.deepStrictEqual(read.set, expected.set);
  assert.ok(read.url instanceof URL);
  assert.equal(read.url.href, expected.url.href);
  assert.equal(read.big, expected.big);
}

describe('Astro interop (fs)', () => {
  const sessions = createSessions({ driver: { name: 'fs', base } });

  it('reads what Astro wrote, per-key expiry included', async () => {
    const astro = astroSession({ driverFactory: fsLite, driverOptions: { base }, ttl: 3600 });
    for (const [key, value] of Object.entries(values())) astro.session.set(key, value);
    astro.session.set('gone', 'soon', { ttl: 0.05 });
    const [setCookie] = await astro.persist();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const session = sessions.fromRequest(setCookie.split(';')[0]);
    const read = Object.fromEntries(await session.entries());
    assert.deepStrictEqual(Object.keys(read), ['date', 'map', 'set', 'url', 'big'], 'the expired value is gone');
    assertValues(read);
    assert.equal(session.sessionID, astro.session.sessionID);
  });

  it('writes what Astro reads, per-key expiry included', async () => {
    const session = sessions.fromRequest('');
    for (const [key, value] of Object.entries(values())) session.set(key, value, { ttl: 3600 });
    session.set('gone', 'soon', { ttl: 0.05 });
    const [setCookie] = await session.commit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const astro = astroSession({ driverFactory: fsLite, driverOptions: { base }, cookieHeader: setCookie.split(';')[0] });
    const read = Object.fromEntries(await astro.session.entries());
    assert.deepStrictEqual(Object.keys(read), ['date', 'map', 'set', 'url', 'big']);
    assertValues(read);
  });

  it('both update one session in turn', async () => {
    const astro = astroSession({ driverFactory: fsLite, driverOptions: { base } });
    astro.session.set('astro', 1);
    const cookie = (await astro.persist())[0].split(';')[0];
    const ours = sessions.fromRequest(cookie);
    ours.set('ours', 2);
    await ours.commit();
    const astroAgain = astroSession({ driverFactory: fsLite, driverOptions: { base }, cookieHeader: cookie });
    assert.deepStrictEqual(await astroAgain.session.entries(), [
      ['astro', 1],
      ['ours', 2],
    ]);
    astroAgain.session.destroy();
    await astroAgain.persist();
    assert.equal(await sessions.fromRequest(cookie).get('astro'), undefined);
  });
});
