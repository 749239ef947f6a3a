// Interop with Astro itself (the real `astro` package's AstroSession, unstorage's fs-lite
// driver): a session written by Astro is read by napi-session's fs driver on the same directory,
// and the other way round.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fsLite from 'unstorage/drivers/fs-lite';
import { createSessions } from '../../index.mjs';
import { assertInteropValues, astroSession, interopValues } from '../helpers/astro-session.mjs';

const base = mkdtempSync(path.join(tmpdir(), 'napi-session-astro-'));
after(() => rmSync(base, { recursive: true, force: true }));

describe('Astro interop (fs)', () => {
  const sessions = createSessions({ driver: { name: 'fs', base } });

  it('reads what Astro wrote, per-key expiry included', async () => {
    const astro = astroSession({ driverFactory: fsLite, driverOptions: { base }, ttl: 3600 });
    for (const [key, value] of Object.entries(interopValues())) astro.session.set(key, value);
    astro.session.set('gone', 'soon', { ttl: 0.05 });
    const [setCookie] = await astro.persist();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const session = sessions.fromRequest(setCookie.split(';')[0]);
    const read = Object.fromEntries(await session.entries());
    assert.deepStrictEqual(Object.keys(read), ['date', 'map', 'set', 'url', 'big'], 'the expired value is gone');
    assertInteropValues(read);
    assert.equal(session.sessionID, astro.session.sessionID);
  });

  it('writes what Astro reads, per-key expiry included', async () => {
    const session = sessions.fromRequest('');
    for (const [key, value] of Object.entries(interopValues())) session.set(key, value, { ttl: 3600 });
    session.set('gone', 'soon', { ttl: 0.05 });
    const [setCookie] = await session.commit();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const astro = astroSession({ driverFactory: fsLite, driverOptions: { base }, cookieHeader: setCookie.split(';')[0] });
    const read = Object.fromEntries(await astro.session.entries());
    assert.deepStrictEqual(Object.keys(read), ['date', 'map', 'set', 'url', 'big']);
    assertInteropValues(read);
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
