// `npm start`: installs and builds what is missing, then runs the demo (examples/cart-server.mjs)
// on the default fs driver.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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
const built = readdirSync(root).some((name) => name.startsWith('napi-session.') && name.endsWith('.node'));
if (!built || !existsSync(new URL('../binding.js', import.meta.url))) {
  run('npm', ['run', 'build']);
}
await import('../examples/cart-server.mjs');
