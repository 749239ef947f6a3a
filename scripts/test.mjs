// `npm test`: everything from a fresh clone — npm dependencies, the addon (release build), the
// Rust tests, then the Node tests (which start their own private redis-server processes).
// `npm run test:node` (this script with --node) runs only the Node tests.
import { spawnSync } from 'node:child_process';
import { nodeTestFiles, root } from './lib/platforms.mjs';

// The tests run on the Node.js that runs this script — not on whatever `node` comes first on the
// PATH npm gives scripts: node_modules/.bin holds one of the Node.js builds of the devDependencies.
const nodeTests = [process.execPath, ['--test', '--test-concurrency=2', ...nodeTestFiles()]];
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
