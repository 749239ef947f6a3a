// `npm test`: everything from a fresh clone — npm dependencies, the addon (release build), the
// Rust tests, then the Node tests (which start their own private redis-server processes).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// The tests run on the Node.js that runs this script — not on whatever `node` comes first on the
// PATH npm gives scripts: node_modules/.bin holds the Node 22 the Astro site test needs.
const steps = [
  ['npm', ['install', '--no-audit', '--no-fund']],
  ['npm', ['run', 'build']],
  ['cargo', ['test', '--workspace']],
  [process.execPath, ['--test', '--test-concurrency=2', '__test__/']],
];

for (const [command, args] of steps) {
  console.log(`\n> ${command} ${args.join(' ')}`);
  const { status, error } = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (error) throw error;
  if (status !== 0) process.exit(status ?? 1);
}
