// `npm start`: installs and builds what is missing, then runs the demo (examples/cart-server.mjs)
// on the default fs driver.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(command, args) {
  console.log(`> ${command} ${args.join(' ')}`);
  const { status, error } = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (error) throw error;
  if (status !== 0) process.exit(status ?? 1);
}

if (!existsSync(new URL('../node_modules/@napi-rs/cli', import.meta.url))) {
  run('npm', ['install', '--no-audit', '--no-fund']);
}
// This machine's binary: the checkout may hold others' too (npm run build:target).
const { currentPlatform } = createRequire(import.meta.url)('../lib/platform.js');
const built = existsSync(new URL(`../napi-session.${currentPlatform().id}.node`, import.meta.url));
if (!built || !existsSync(new URL('../binding.js', import.meta.url))) {
  run('npm', ['run', 'build']);
}
await import('../examples/cart-server.mjs');
