// `npm test`: everything from a fresh clone — npm dependencies, the addon (release build), the
// Rust tests, then the Node tests (which start their own private redis-server processes).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const steps = [
  ['npm', ['install', '--no-audit', '--no-fund']],
  ['npm', ['run', 'build']],
  ['cargo', ['test', '--workspace']],
  ['node', ['--test', '--test-concurrency=2', '__test__/']],
];

for (const [command, args] of steps) {
  console.log(`\n> ${command} ${args.join(' ')}`);
  const { status, error } = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (error) throw error;
  if (status !== 0) process.exit(status ?? 1);
}
