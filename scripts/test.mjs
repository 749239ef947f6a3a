// `npm test`: everything from a fresh clone — npm dependencies, the addon (release build), the
// Rust tests, then the Node tests (which start their own private redis-server processes).
// `npm run test:node` (this script with --node) runs only the Node tests;
// `--exclude=a.test.mjs,b.test.mjs` leaves some out (the release workflow, on Windows: the tests
// that start redis-server, which has no Windows build).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { nodeTestFiles, root } from './lib/platforms.mjs';

const exclude = process.argv.find((arg) => arg.startsWith('--exclude='))?.slice('--exclude='.length).split(',') ?? [];
const files = nodeTestFiles().filter((file) => !exclude.includes(path.basename(file)));
const unknown = exclude.filter((name) => !nodeTestFiles().some((file) => path.basename(file) === name));
if (unknown.length) throw new Error(`--exclude: no test file ${unknown.join(', ')} in __test__/`);

// The tests run on the Node.js that runs this script — not on whatever `node` comes first on the
// PATH npm gives scripts: node_modules/.bin holds one of the Node.js builds of the devDependencies.
const nodeTests = [process.execPath, ['--test', '--test-concurrency=2', ...files]];
const steps = process.argv.includes('--node')
  ? [nodeTests]
  : [
      ['npm', ['install', '--no-audit', '--no-fund']],
      ['npm', ['run', 'build']],
      ['cargo', ['test', '--workspace']],
      nodeTests,
    ];

for (const [command, args] of steps) {
  console.log(`\n> ${command} ${args.join(' ')}`);
  const { status, error } = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (error) throw error;
  if (status !== 0) process.exit(status ?? 1);
}
