// The conformance suite on the embedded drivers, plus what is particular to each.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createSessions } from '../../index.mjs';
import { conformance } from './conformance.mjs';
import { tempDirs } from '../helpers/temp-dirs.mjs';

const tempDir = tempDirs('fs');

conformance('memory', { createSessions: (options) => createSessions({ driver: 'memory', ...options }) });

let fsBase;
conformance('fs', {
  createSessions: (options) => {
    fsBase = tempDir();
    return createSessions({ driver: { name: 'fs', base: fsBase }, ...options });
  },
  raw: {
    read: async (id) => {
      try {
        return readFileSync(path.join(fsBase, id), 'utf8');
      } catch {
        return undefined;
      }
    },
    write: async (id, text) => writeFileSync(path.join(fsBase, id), text),
  },
});

describe('memory driver', () => {
  it('holds at most maxEntries sessions', async () => {
    const sessions = createSessions({ driver: { name: 'memory', maxEntries: 2 } });
    const ids = [];
    for (let i = 0; i < 3; i++) {
      // Apart in time, so "the oldest" is well defined.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const session = sessions.fromRequest('');
      session.set('i', i);
      const [cookie] = await session.commit();
      ids.push(cookie.split(';')[0]);
    }
    const values = await Promise.all(ids.map((cookie) => sessions.fromRequest(cookie).get('i')));
    assert.deepStrictEqual(values, [undefined, 1, 2], 'the oldest session made room');
  });
});

describe('fs driver', () => {
  it('lays out files as unstorage fs-lite does, written atomically', async () => {
    const base = path.join(tempDir(), 'nested', 'sessions');
    const sessions = createSessions({ driver: { name: 'fs', base } });
    const session = sessions.fromRequest('');
    session.set('x', 1);
    await session.commit();
    const files = readdirSync(base).filter((name) => !name.startsWith('.'));
    assert.deepStrictEqual(files, [session.sessionID], 'one file named by the session id');
    assert.equal(readFileSync(path.join(base, session.sessionID), 'utf8'), '[["Map",1,2],"x",{"data":3,"expires":-1},1]');
    assert.ok(
      readdirSync(base).every((name) => !name.endsWith('.tmp')),
      'no temporary file is left behind',
    );
  });

  it('defaults to .astro/session under the working directory', async () => {
    const cwd = process.cwd();
    const dir = tempDir();
    process.chdir(dir);
    try {
      const session = createSessions().fromRequest('');
      session.set('x', 1);
      await session.commit();
      assert.deepStrictEqual(readdirSync(path.join(dir, '.astro', 'session')).filter((n) => !n.startsWith('.')), [
        session.sessionID,
      ]);
    } finally {
      process.chdir(cwd);
    }
  });
});
