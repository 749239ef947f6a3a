// What the build, release and platform-test scripts share: the package's targets with their
// napi-rs names, the toolchains a cross build needs, and the glibc check of a Linux binary.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
export const binaryName = pkg.napi.binaryName;

/** The oldest glibc the linux-*-gnu binaries load on (RHEL/CentOS 7, Amazon Linux 2 and later). */
export const MIN_GLIBC = '2.17';

/**
 * napi-rs's reading of a Rust target triple: `{ triple, platformArchABI, platform, arch, abi }`,
 * e.g. aarch64-unknown-linux-gnu → linux-arm64-gnu. A glibc pin (`.2.17`) is not part of it.
 */
export function target(triple) {
  // Loaded when first needed: `npm test` imports this module before its `npm install` step.
  const { parseTriple } = require('@napi-rs/cli');
  return parseTriple(triple.replace(/\.\d+\.\d+$/, ''));
}

/** The binary's file name, as binding.js and the per-platform package's `main` name it. */
export const artifactName = (t) => `${binaryName}.${t.platformArchABI}.node`;

/** The per-platform npm package that ships a target's binary (npm/<platform>/). */
export const packageName = (t) => `${pkg.name}-${t.platformArchABI}`;
export const packageDir = (t) => path.join(root, 'npm', t.platformArchABI);

/** Every target of package.json's `napi.targets`, parsed. */
export const releaseTargets = () => pkg.napi.targets.map(target);

const succeeds = (command, args) => {
  const { status, error } = spawnSync(command, args, { stdio: 'ignore' });
  return !error && status === 0;
};

/** The Rust target this machine compiles for by default (`rustc -vV`'s host line). */
export function hostTriple() {
  return /^host: (.+)$/m.exec(execFileSync('rustc', ['-vV'], { encoding: 'utf8' }))[1].trim();
}

/**
 * Whether `cargo zigbuild` can run: cargo-zigbuild itself, and zig either on the PATH or as the
 * `ziglang` Python package (`pip install cargo-zigbuild ziglang` gives both), which is where
 * cargo-zigbuild looks for it.
 */
export function haveZig() {
  if (!succeeds('cargo-zigbuild', ['--version'])) return false;
  if (process.env.CARGO_ZIGBUILD_ZIG_PATH) return true;
  return succeeds('zig', ['version']) || succeeds('python3', ['-m', 'ziglang', 'version']);
}

/**
 * The GLIBC symbol versions an ELF binary needs (`objdump -T`), sorted oldest first, and the newest
 * of them. A binary needs glibc ≥ `newest` to load.
 */
export function glibcNeeds(file) {
  const dump = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const versions = [...new Set(dump.match(/GLIBC_\d+(\.\d+)+/g) ?? [])]
    .map((v) => v.slice('GLIBC_'.length))
    .sort(compareVersions);
  return { versions, newest: versions.at(-1) };
}

/** Orders dotted version numbers numerically (2.3.4 before 2.17), as `sort` wants. */
export function compareVersions(a, b) {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Runs the napi CLI of the devDependency on this Node.js (not on whatever `node` the PATH has). */
export function napi(args, options = {}) {
  const cli = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json')), 'dist', 'cli.js');
  const { status, error } = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit', ...options });
  if (error) throw error;
  return status;
}

/**
 * The node test files, listed: `node --test __test__/` runs the directory on Node 20 and 26, but
 * Node 22 and 24 take the argument for a file and fail; a glob would not work on Node 20.
 */
export const nodeTestFiles = () =>
  readdirSync(path.join(root, '__test__'), { recursive: true })
    .filter((name) => name.endsWith('.test.mjs'))
    .sort()
    .map((name) => path.join('__test__', name));
