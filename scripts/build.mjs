// The release build of the addon for one target.
//
//   npm run build                         this machine's target
//   npm run build:target -- <triple>      any target, e.g. aarch64-unknown-linux-gnu
//   node scripts/build.mjs [--target <triple>] --plan    says how it would build, builds nothing
//
// The binary is written as napi-rs names it, napi-session.<platform>.node, into the package root
// (where binding.js looks first, so the checkout itself loads it) and, for a target of
// package.json's napi.targets, into npm/<platform>/ (the package that ships it), as
// `napi artifacts` does in a release. binding.js and binding.d.ts are regenerated alongside.
//
// Linux targets build with cargo-zigbuild (`pip install cargo-zigbuild ziglang`): gnu ones against
// glibc 2.17, so that one binary loads on every distribution still in use, and musl ones without
// a musl toolchain. `npm run build` uses zig when it is there and plain cargo otherwise (then the
// binary needs this machine's glibc or newer: fine for tests here, not for shipping).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MIN_GLIBC, artifactName, glibcNeeds, haveZig, hostTriple, napi, packageDir, root, target } from './lib/platforms.mjs';

const ZIG_HINT = 'pip install cargo-zigbuild ziglang';

function fail(message) {
  console.error(`\nbuild: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const i = argv.indexOf('--target');
  if (i === -1) return { triple: undefined };
  const triple = argv[i + 1];
  if (!triple || triple.startsWith('-')) fail('--target needs a Rust target triple, e.g. npm run build:target -- aarch64-unknown-linux-gnu');
  return { triple };
}

const has = (command, args = ['--version']) => {
  const { status, error } = spawnSync(command, args, { stdio: 'ignore' });
  return !error && status === 0;
};

/**
 * The napi-build crate links windows-gnu addons against a libnode.dll it must find on disk
 * (LIBNODE_PATH), the way MinGW builds of Node are linked. napi-sys resolves every N-API function
 * from the running node.exe at load time instead (its default `dyn-symbols` feature), so the
 * addon imports nothing from that library: an empty DLL satisfies the build, and the binary
 * works with the official (MSVC-built) node.exe. The platform tests check the import table.
 */
function libnodeStub() {
  const dir = path.join(root, 'target', 'libnode-stub');
  const dll = path.join(dir, 'libnode.dll');
  if (!existsSync(dll)) {
    mkdirSync(dir, { recursive: true });
    const source = path.join(dir, 'stub.c');
    writeFileSync(source, '/* napi-build needs a libnode.dll to link windows-gnu addons against; see scripts/build.mjs. */\nvoid napi_session_libnode_stub(void) {}\n');
    const { status } = spawnSync('x86_64-w64-mingw32-gcc', ['-shared', '-o', dll, source], { stdio: 'inherit' });
    if (status !== 0) fail('could not build the libnode.dll stub with x86_64-w64-mingw32-gcc');
  }
  return dir;
}

/** How to build `triple` here: the napi build arguments and environment, or why it cannot be. */
function plan(triple, { explicit }) {
  const t = target(triple);
  const host = process.platform;
  if (t.platform === 'linux') {
    const zig = haveZig();
    if (t.abi.startsWith('gnu')) {
      if (zig) return { args: ['--target', `${triple}.${MIN_GLIBC}`, '--cross-compile'], how: `cargo-zigbuild, glibc ${MIN_GLIBC}` };
      if (!explicit && triple === hostTriple()) {
        return { args: [], how: `cargo for this machine's glibc (install zig to pin ${MIN_GLIBC}: ${ZIG_HINT})` };
      }
      fail(`${triple} builds with cargo-zigbuild against glibc ${MIN_GLIBC}: ${ZIG_HINT}`);
    }
    if (zig) return { args: ['--target', triple, '--cross-compile'], how: 'cargo-zigbuild' };
    if (triple === hostTriple()) return { args: ['--target', triple], how: 'cargo' };
    fail(`${triple} builds with cargo-zigbuild: ${ZIG_HINT}`);
  }
  if (t.platform === 'darwin') {
    if (host === 'darwin') return { args: ['--target', triple], how: 'cargo (Xcode)' };
    // zig brings macOS's libc but not its frameworks, and the Redis TLS stack links two of them:
    // rustls-native-certs (which the redis crate's rustls support always pulls in) reads the
    // keychain through security-framework, which links Security.framework and CoreFoundation.
    if (!process.env.SDKROOT) {
      fail(
        `${triple} links against Apple's Security and CoreFoundation frameworks (the Redis driver's ` +
          'rustls-native-certs reads the macOS keychain), which zig does not ship. Build it on macOS ' +
          '(the release workflow does), or set SDKROOT to a MacOSX SDK and install zig for cargo-zigbuild.',
      );
    }
    if (!haveZig()) fail(`${triple} builds with cargo-zigbuild and the SDK in SDKROOT: ${ZIG_HINT}`);
    return { args: ['--target', triple, '--cross-compile'], how: `cargo-zigbuild with the SDK in ${process.env.SDKROOT}` };
  }
  if (t.platform === 'win32') {
    if (host === 'win32') return { args: ['--target', triple], how: 'cargo (MSVC)' };
    if (t.abi === 'gnu') {
      if (t.arch !== 'x64') fail(`${triple}: only x86_64-pc-windows-gnu has a MinGW toolchain in Debian (mingw-w64)`);
      if (!has('x86_64-w64-mingw32-gcc')) fail(`${triple} builds with MinGW: apt-get install mingw-w64`);
      return { args: ['--target', triple], env: { LIBNODE_PATH: libnodeStub() }, how: 'MinGW (mingw-w64)' };
    }
    // The MSVC targets link against Microsoft's CRT and Windows SDK libraries; cargo-xwin downloads
    // them from Microsoft when it first runs.
    if (!has('cargo-xwin')) {
      fail(
        `${triple} links against the MSVC runtime and the Windows SDK, which only Windows (the release ` +
          "workflow's windows runners) or cargo-xwin (downloads them from Microsoft) provide. Here, " +
          '`npm run build:target -- x86_64-pc-windows-gnu` builds a MinGW binary that the same node.exe loads.',
      );
    }
    return { args: ['--target', triple, '--cross-compile'], how: 'cargo-xwin' };
  }
  return { args: ['--target', triple], how: 'cargo' };
}

const { triple: requested } = parseArgs(process.argv.slice(2));
const triple = requested ?? hostTriple();
const t = target(triple);
const { args, env, how } = plan(triple, { explicit: requested !== undefined });

console.log(`build: ${triple} (${t.platformArchABI}) with ${how}`);
if (process.argv.includes('--plan')) process.exit(0);
const started = Date.now();
const status = napi(['build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts', ...args], {
  env: { ...process.env, ...env },
});
if (status !== 0) fail(`napi build for ${triple} failed (exit ${status})`);

const binary = path.join(root, artifactName(t));
if (!existsSync(binary)) fail(`napi build did not write ${artifactName(t)}`);
const notes = [`${(statSync(binary).size / 1e6).toFixed(2)} MB`, `${((Date.now() - started) / 1000).toFixed(0)} s`];
if (t.platform === 'linux' && t.abi.startsWith('gnu') && has('objdump')) notes.push(`needs glibc ≥ ${glibcNeeds(binary).newest}`);
if (existsSync(packageDir(t))) {
  copyFileSync(binary, path.join(packageDir(t), artifactName(t)));
  notes.push(`copied to npm/${t.platformArchABI}/`);
}
console.log(`build: ${artifactName(t)}: ${notes.join(', ')}`);
