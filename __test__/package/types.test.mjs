// The typings, compiled with `strict` and `skipLibCheck: false` by TypeScript 5 (tsc) and
// TypeScript 7 (tsgo, @typescript/native-preview): each project's @ts-expect-error lines must be
// errors and every other line must compile.
//
//   tsconfig.json             napi-session and napi-session/astro (SessionData, Astro's App.SessionData),
//                             sessions.middleware() in Express — with @types/node
//   tsconfig.express.json     napi-session/express in Express (req.session typed as the drop-in's)
//   tsconfig.frameworks.json  napi-session/fastify and napi-session/hono in their apps
//   tsconfig.no-node.json     napi-session, /astro and /express with neither @types/node nor the DOM library
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('../types/', import.meta.url));

const compilers = {
  [`TypeScript ${require('typescript/package.json').version}`]: require.resolve('typescript/bin/tsc'),
  [`TypeScript ${require('@typescript/native-preview/package.json').version}`]: path.join(
    path.dirname(require.resolve('@typescript/native-preview/package.json')),
    'bin',
    'tsgo',
  ),
};
const projects = ['tsconfig.json', 'tsconfig.express.json', 'tsconfig.frameworks.json', 'tsconfig.no-node.json'];

for (const [name, compiler] of Object.entries(compilers)) {
  describe(name, () => {
    for (const project of projects) {
      it(`compiles types/${project}`, () => {
        const { status, stdout, stderr } = spawnSync(process.execPath, [compiler, '-p', path.join(here, project)], { encoding: 'utf8' });
        assert.equal(status, 0, `${name} on ${project}:\n${stdout}${stderr}`);
      });
    }
  });
}
