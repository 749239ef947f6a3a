// As users get it: `npm pack` of the main package and of this platform's package (npm/<platform>/,
// which `npm run build` fills), install both tarballs into a scratch project, then require(),
// import, import 'napi-session/astro', and compile against the typings there.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const { currentPlatform } = require('../../lib/platform.js');
const platform = currentPlatform().id;
const scratch = mkdtempSync(path.join(tmpdir(), 'napi-session-pack-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const run = (command, args, cwd = scratch) => {
  // npm is npm.cmd on Windows, which Node.js starts only through a shell; npm's own script is
  // started directly instead (npm_execpath, set by `npm run`).
  if (command === 'npm' && process.platform === 'win32' && process.env.npm_execpath) [command, args] = [process.execPath, [process.env.npm_execpath, ...args]];
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
};

const pack = (dir) => {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], dir));
  return { tarball: path.join(scratch, packed.filename), files: packed.files.map((file) => file.path).sort() };
};

describe('the packed package', { timeout: 180_000 }, () => {
  let main;
  let native;
  before(() => {
    main = pack(root);
    native = pack(path.join(root, 'npm', platform));
    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', native.tarball, main.tarball]);
  });

  it('ships the JS/TS layer and nothing else; the addon comes in its platform package', () => {
    const entryPoints = ['express', 'fastify', 'hono'].flatMap((name) => ['.js', '.mjs', '.d.ts', '.d.mts'].map((ext) => `lib/${name}${ext}`));
    for (const file of ['index.js', 'index.mjs', 'index.d.ts', 'astro.mjs', 'astro.d.mts', 'binding.js', 'lib/session.js', ...entryPoints, 'package.json', 'README.md', 'LICENSE']) {
      assert.ok(main.files.includes(file), `${file} is packed`);
    }
    const unexpected = main.files.filter((file) => /^(src|core|__test__|benchmark|examples|scripts|target|npm|\.ci)\//.test(file) || /\.(rs|node)$/.test(file));
    assert.deepStrictEqual(unexpected, []);
    assert.deepStrictEqual(native.files, ['LICENSE', 'README.md', `napi-session.${platform}.node`, 'package.json']);
  });

  it('loads with require()', () => {
    const out = run(process.execPath, [
      '-e',
      `const { createSessions, stringify, parse, SessionError } = require('napi-session');
       const s = createSessions({ driver: 'memory' }).fromRequest('');
       s.set('d', new Date(0));
       s.get('d').then((d) => console.log(d.toISOString(), stringify(new Map([[1, 2]])), parse('[1]'), typeof SessionError));`,
    ]);
    assert.equal(out.trim(), '1970-01-01T00:00:00.000Z [["Map",1,2],1,2] 1 function');
  });

  it('loads napi-session/express, /fastify and /hono with require() and import', () => {
    const out = run(process.execPath, [
      '-e',
      `const names = ['express', 'fastify', 'hono'];
       const required = names.map((name) => require('napi-session/' + name));
       Promise.all(names.map((name) => import('napi-session/' + name))).then((imported) =>
         console.log(required.map((fn, i) => typeof fn + (imported[i].default === fn)).join(' ')));`,
    ]);
    assert.equal(out.trim(), 'functiontrue functiontrue functiontrue');
  });

  it('loads with import, napi-session/astro included', () => {
    writeFileSync(
      path.join(scratch, 'esm.mjs'),
      `import { createSessions } from 'napi-session';
       import driver from 'napi-session/astro';
       const store = driver({ driver: 'memory' });
       await store.setItem('0f8fad5b-d9cb-469f-a165-70867728950e', '[1]');
       console.log(typeof createSessions, await store.getItem('0f8fad5b-d9cb-469f-a165-70867728950e'));`,
    );
    assert.equal(run(process.execPath, ['esm.mjs']).trim(), 'function [1]');
  });

  it('compiles against its typings', () => {
    writeFileSync(
      path.join(scratch, 'typed.mts'),
      `import { createSessions } from 'napi-session';
       import driver from 'napi-session/astro';
       import expressSession from 'napi-session/express';
       declare module 'napi-session' { interface SessionData { count: number } }
       export const dropIn = expressSession({ secret: 'x'.repeat(32), cookie: { maxAge: 60_000 } });
       const session = createSessions().fromRequest(undefined);
       session.set('count', 1);
       // @ts-expect-error: count is a number
       session.set('count', 'one');
       export const store = driver({ driver: 'fs' });`,
    );
    writeFileSync(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', types: ['node'], typeRoots: [path.join(root, 'node_modules/@types')] }, files: ['typed.mts'] }),
    );
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', scratch]);
    assert.ok(readdirSync(path.join(scratch, 'node_modules', 'napi-session')).includes('index.d.ts'));
  });
});
