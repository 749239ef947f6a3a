// The fixture Astro site (__test__/fixtures/astro-site) as the tests use it: copied to a temporary
// directory, built with `astro build` under Node 22, and its built server (or `astro dev`)
// started on a free loopback port. Nothing is written into the repository: Astro's caches (.astro/,
// node_modules/.vite) and the build land in the temporary copy, which sits next to a
// node_modules symlink to the repository's, so that astro, @astrojs/node and, at run time, the
// built server's external imports resolve from what the root `npm install` fetched.
//
// napi-session itself is made visible at <root>/node_modules/napi-session: Astro resolves a
// session driver's entrypoint from its own directory (node_modules/astro), as it would find a
// package installed next to it. linkPackage() puts a symlink to this checkout there, or an
// unpacked `npm pack` of it (installPackedCopy()) with its binary in the unpacked `npm pack` of this
// platform's package (npm/<platform>/) next to it, as npm installs the two; restorePackage() puts
// things back as they were.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { node22 } from './node22.mjs';
import { freePort } from './ports.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = path.join(root, '__test__', 'fixtures', 'astro-site');
const installed = path.join(root, 'node_modules', 'napi-session');
const { currentPlatform } = createRequire(import.meta.url)('../../lib/platform.js');
const platformPackage = `napi-session-${currentPlatform().id}`;
const installedBinary = path.join(root, 'node_modules', platformPackage);
const astroCli = path.join(root, 'node_modules', 'astro', 'bin', 'astro.mjs');
// Marks a copy unpacked by installPackedCopy(), so a later run knows it may replace it.
const COPY_MARKER = '.napi-session-astro-site-test';

/** Copies the fixture to a fresh temporary directory; returns { dir, site } (site = the project). */
export function copySite(prefix = 'napi-session-astro-site-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const site = path.join(dir, 'site');
  cpSync(fixture, site, {
    recursive: true,
    filter: (source) => !/[\\/](node_modules|dist|\.astro)$/.test(source),
  });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, site };
}

/** What is at node_modules/napi-session: 'absent', 'link' (to this checkout), 'copy' (ours) or 'other'. */
function packageState() {
  let stat;
  try {
    stat = lstatSync(installed);
  } catch {
    return 'absent';
  }
  if (stat.isSymbolicLink()) return path.resolve(path.dirname(installed), readlinkSync(installed)) === path.resolve(root) ? 'link' : 'other';
  return existsSync(path.join(installed, COPY_MARKER)) ? 'copy' : 'other';
}

let before; // the state before this process first changed it: 'absent' or 'link'

function clearPackage() {
  const state = packageState();
  if (state === 'other') throw new Error(`${installed} exists and is not this checkout: move it away to run the Astro site test`);
  before ??= state === 'link' ? 'link' : 'absent'; // a 'copy' was left by a run that crashed
  rmSync(installed, { recursive: true, force: true }); // a symlink is removed, not followed
  if (existsSync(path.join(installedBinary, COPY_MARKER))) rmSync(installedBinary, { recursive: true, force: true });
}

/** Unpacks `npm pack` of the package in `dir` into `target` (which must not exist), marked as ours. */
function unpackInto(dir, target, scratch) {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  mkdirSync(target);
  writeFileSync(path.join(target, COPY_MARKER), 'unpacked by __test__/helpers/astro-site.mjs; safe to delete\n');
  execFileSync('tar', ['-xzf', path.join(scratch, packed.filename), '-C', target, '--strip-components=1']);
}

/** node_modules/napi-session → this checkout (a linked package). */
export function linkPackage() {
  if (packageState() === 'link') {
    before ??= 'link';
    return;
  }
  clearPackage();
  symlinkSync('..', installed, 'dir');
}

/**
 * node_modules/napi-session and node_modules/napi-session-<platform> = the files `npm pack` ships,
 * unpacked, as `npm install` leaves them.
 */
export function installPackedCopy() {
  clearPackage();
  if (existsSync(installedBinary)) throw new Error(`${installedBinary} exists and is not ours: move it away to run the Astro site test`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'napi-session-pack-'));
  try {
    unpackInto(root, installed, scratch);
    unpackInto(path.join(root, 'npm', currentPlatform().id), installedBinary, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Leaves node_modules/napi-session as it was before the first linkPackage()/installPackedCopy(). */
export function restorePackage() {
  if (before === undefined) return;
  if (before === 'link') linkPackage();
  else if (packageState() !== 'other') rmSync(installed, { recursive: true, force: true });
  if (existsSync(path.join(installedBinary, COPY_MARKER))) rmSync(installedBinary, { recursive: true, force: true });
}

const childEnv = (env) => ({ ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...env });

/** Runs `astro build` in `site`; resolves { ms, output } or rejects with the build's output. */
export function build(site, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node22.node, [astroCli, 'build'], { cwd: site, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Math.round(performance.now() - started);
      if (code === 0) resolve({ ms, output });
      else reject(new Error(`astro build failed (${signal ?? `exit ${code}`}, ${ms} ms):\n${output}`));
    });
  });
}

const servers = new Set();
process.on('exit', () => {
  for (const child of servers) child.kill('SIGKILL');
});

/**
 * Starts the built server (dist/server/entry.mjs) on a free loopback port. Resolves
 * { url, pid, output(), stop() } once it listens; stop() is safe to call more than once.
 */
export async function serve(site, env = {}) {
  const port = await freePort();
  return start(site, [path.join(site, 'dist', 'server', 'entry.mjs')], { HOST: '127.0.0.1', PORT: String(port), ...env }, port, /listening on/i);
}

/** Starts `astro dev` on a free loopback port; resolves as serve() does. */
export async function dev(site, env = {}) {
  const port = await freePort();
  return start(site, [astroCli, 'dev', '--host', '127.0.0.1', '--port', String(port)], env, port, /watching for file changes/i);
}

async function start(site, args, env, port, ready) {
  const child = spawn(node22.node, args, { cwd: site, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  servers.add(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    servers.delete(child);
    resolve(signal ?? code);
  }));
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the Astro server did not start in 20 s:\n${output}`)), 20_000);
      child.stdout.on('data', () => {
        if (ready.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      exited.then((status) => {
        clearTimeout(timer);
        reject(new Error(`the Astro server exited (${status}) before listening:\n${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, output: () => output, stop };
}

