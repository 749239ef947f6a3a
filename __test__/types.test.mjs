// The typings: `tsc --noEmit` on a file that augments SessionData and Astro's App.SessionData;
// its @ts-expect-error lines prove a wrong set() fails to compile, and unknown keys stay any.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

it('index.d.ts types get() and set() from SessionData', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url));
  const { status, stdout, stderr } = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
  assert.equal(status, 0, `tsc failed:\n${stdout}${stderr}`);
});
