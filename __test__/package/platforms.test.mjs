// Distribution (SPEC §8): one npm package per platform, the error a user gets when the one for
// their machine is missing, and the glibc floor of the Linux binaries. The cross builds and the
// emulated runs (arm64 under qemu, Windows under wine, Node 20-26) are `npm run test:platforms`.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { MIN_GLIBC, artifactName, compareVersions, glibcNeeds, haveZig, packageDir, packageName, pkg, releaseTargets, root } from '../../scripts/lib/platforms.mjs';

const require = createRequire(import.meta.url);
const { currentPlatform, nativeLoadError } = require('../../lib/platform.js');
const host = currentPlatform();

const scratch = mkdtempSync(path.join(tmpdir(), 'napi-session-platforms-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A project with napi-session installed as npm would install it — the main package's files, no
 * binary — plus `extra(project)` to add one. Returns the project directory (made once per name).
 */
function project(name, extra = () => {}) {
  const dir = path.join(scratch, name);
  if (existsSync(dir)) return dir;
  const installed = path.join(dir, 'node_modules', 'napi-session');
  mkdirSync(installed, { recursive: true });
  for (const file of ['package.json', 'index.js', 'binding.js', 'lib']) cpSync(path.join(root, file), path.join(installed, file), { recursive: true });
  symlinkSync(path.join(root, 'node_modules', 'devalue'), path.join(dir, 'node_modules', 'devalue'), 'junction');
  extra(dir);
  return dir;
}

/** A platform package in `dir`'s node_modules, holding `binary` (a file's contents). */
function installPlatformPackage(dir, id, binary) {
  const installed = path.join(dir, 'node_modules', `napi-session-${id}`);
  mkdirSync(installed, { recursive: true });
  const file = `napi-session.${id}.node`;
  writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: `napi-session-${id}`, version: pkg.version, main: file }));
  writeFileSync(path.join(installed, file), binary);
}

/**
 * `require('napi-session')` in `dir`, in a child Node.js whose process.arch is `arch`: what it
 * exported, or the error it threw (name, code, platform, package, message).
 */
function load(dir, { arch } = {}) {
  const pretend = arch ? `Object.defineProperty(process, 'arch', { value: ${JSON.stringify(arch)} });` : '';
  const script = `${pretend}
    let result;
    try {
      const { stringify } = require('napi-session');
      result = { loaded: stringify(new Map([[1, 2]])) };
    } catch (error) {
      result = { name: error.name, code: error.code, platform: error.platform, package: error.package, message: error.message, cause: error.cause?.message };
    }
    console.log(JSON.stringify(result));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' }));
}

const hostBinary = path.join(root, `napi-session.${host.id}.node`);

describe('a missing or broken platform binary', () => {
  it('names the platform, the package that should have been installed, and what to do', () => {
    const error = load(project('missing'));
    assert.equal(error.name, 'SessionError');
    assert.equal(error.code, 'ERR_SESSION_PLATFORM');
    assert.equal(error.platform, host.id);
    assert.equal(error.package, `napi-session-${host.id}`);
    const os = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' }[process.platform];
    assert.ok(error.message.startsWith(`napi-session has no native binary installed for ${os} ${process.arch}`), error.message);
    if (process.platform === 'linux') assert.match(error.message, new RegExp(`\\(${host.libc}[ )]`));
    assert.ok(error.message.includes(`npm install napi-session-${host.id}@${pkg.version}`), error.message);
    assert.match(error.message, /--omit=optional/);
    assert.match(error.cause, /Cannot find native binding/, "binding.js's own error stays as the cause");
  });

  it('names another supported platform as such (an arm64 machine, pretended)', { skip: process.platform !== 'linux' && 'pretends a Linux machine' }, () => {
    const error = load(project('missing'), { arch: 'arm64' });
    assert.equal(error.platform, `linux-arm64-${host.libc === 'musl' ? 'musl' : 'gnu'}`);
    assert.ok(error.message.includes(`Linux arm64 (${host.libc}`), error.message);
    assert.ok(error.message.includes(`npm install ${error.package}@${pkg.version}`), error.message);
  });

  it('says when the platform has no package at all, and how to build from source', { skip: process.platform !== 'linux' && 'pretends a Linux machine' }, () => {
    const error = load(project('missing'), { arch: 'riscv64' });
    assert.equal(error.code, 'ERR_SESSION_PLATFORM');
    assert.ok(error.message.includes('no native binary for Linux riscv64'), error.message);
    assert.ok(error.message.includes(`there is no package napi-session-linux-riscv64-${host.libc === 'musl' ? 'musl' : 'gnu'}`), error.message);
    assert.ok(error.message.includes('linux-x64-gnu, linux-x64-musl, linux-arm64-gnu'), 'lists what it ships for');
    assert.match(error.message, /npm install && npm run build/);
  });

  it('says when the package is there but its binary does not load', () => {
    const dir = project('broken', (d) => installPlatformPackage(d, host.id, 'not an ELF file'));
    const error = load(dir);
    assert.equal(error.code, 'ERR_SESSION_PLATFORM');
    assert.ok(error.message.includes(`found its native binary for`), error.message);
    assert.ok(error.message.includes(path.join('node_modules', `napi-session-${host.id}`)), 'names the file');
    assert.ok(error.message.includes(`npm install napi-session-${host.id}@${pkg.version}`), error.message);
  });

  it('loads the binary from the platform package when it is there', { skip: !existsSync(hostBinary) && 'needs npm run build' }, () => {
    const dir = project('installed', (d) => installPlatformPackage(d, host.id, readFileSync(hostBinary)));
    assert.deepEqual(load(dir), { loaded: '[["Map",1,2],1,2]' });
  });

  it('says to build a checkout that was never built', () => {
    const dir = project('unbuilt');
    rmSync(path.join(dir, 'node_modules', 'napi-session', 'binding.js'));
    const error = load(dir);
    assert.equal(error.code, 'ERR_SESSION_PLATFORM');
    assert.match(error.message, /binding\.js is missing\. Run `npm run build`/);
  });

  it('explains a glibc that is too old', () => {
    const cause = new Error('Cannot find native binding.');
    const platform = { os: 'linux', arch: 'x64', libc: 'glibc', glibcVersion: '2.12', id: 'linux-x64-gnu' };
    const broken = path.join(scratch, 'old-glibc');
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, 'napi-session.linux-x64-gnu.node'), '');
    const error = nativeLoadError(cause, {
      platform,
      root: broken,
      resolve: () => {
        throw new Error('not installed');
      },
      load: () => {
        throw new Error("/lib64/libc.so.6: version `GLIBC_2.14' not found (required by napi-session.linux-x64-gnu.node)");
      },
    });
    assert.ok(error.message.includes('Linux x64 (glibc 2.12)'), error.message);
    assert.ok(error.message.includes("`GLIBC_2.14' not found"), error.message);
    assert.ok(error.message.includes(`need glibc ${MIN_GLIBC} or newer`), error.message);
    assert.equal(error.cause, cause);
  });

  it('names platforms as napi-rs does', () => {
    const id = (platform) => currentPlatform(platform).id;
    assert.equal(id({ os: 'linux', arch: 'x64', libc: 'glibc' }), 'linux-x64-gnu');
    assert.equal(id({ os: 'linux', arch: 'arm64', libc: 'musl' }), 'linux-arm64-musl');
    assert.equal(id({ os: 'linux', arch: 'arm', libc: 'glibc' }), 'linux-arm-gnueabihf');
    assert.equal(id({ os: 'darwin', arch: 'arm64' }), 'darwin-arm64');
    assert.equal(id({ os: 'win32', arch: 'arm64' }), 'win32-arm64-msvc');
    for (const t of releaseTargets()) assert.ok(pkg.optionalDependencies[packageName(t)], `${t.triple} is an optional dependency`);
  });
});

describe('the per-platform packages', () => {
  const targets = releaseTargets();

  it('exist for exactly the targets of napi.targets, as napi create-npm-dirs makes them', () => {
    assert.deepEqual(readdirSync(path.join(root, 'npm')).sort(), targets.map((t) => t.platformArchABI).sort());
    for (const t of targets) {
      const manifest = JSON.parse(readFileSync(path.join(packageDir(t), 'package.json'), 'utf8'));
      assert.equal(manifest.name, packageName(t));
      assert.equal(manifest.version, pkg.version, `${manifest.name} has the main package's version`);
      assert.equal(manifest.main, artifactName(t));
      assert.deepEqual(manifest.files, [artifactName(t)]);
      assert.deepEqual(manifest.os, [t.platform]);
      assert.deepEqual(manifest.cpu, [t.arch]);
      if (t.platform === 'linux') assert.deepEqual(manifest.libc, [t.abi === 'musl' ? 'musl' : 'glibc']);
      else assert.equal(manifest.libc, undefined);
      assert.equal(manifest.license, pkg.license);
      assert.deepEqual(manifest.engines, pkg.engines);
    }
  });

  it('are the optional dependencies of the main package, at its version', () => {
    assert.deepEqual(pkg.optionalDependencies, Object.fromEntries(targets.map((t) => [packageName(t), pkg.version])));
  });

  it('take the release binaries from `napi artifacts`, and pass `napi prepublish --dry-run`', () => {
    // A copy of the release layout, with one stand-in binary per target where the release
    // workflow downloads them (artifacts/bindings-<target>/).
    const release = path.join(scratch, 'release');
    mkdirSync(release);
    for (const file of ['package.json', 'LICENSE']) cpSync(path.join(root, file), path.join(release, file));
    cpSync(path.join(root, 'npm'), path.join(release, 'npm'), { recursive: true, filter: (source) => !source.endsWith('.node') });
    for (const t of targets) {
      mkdirSync(path.join(release, 'artifacts', `bindings-${t.triple}`), { recursive: true });
      writeFileSync(path.join(release, 'artifacts', `bindings-${t.triple}`, artifactName(t)), `binary for ${t.triple}`);
    }
    const cli = path.join(path.dirname(require.resolve('@napi-rs/cli/package.json')), 'dist', 'cli.js');
    execFileSync(process.execPath, [cli, 'artifacts', '--cwd', release], { stdio: 'pipe' });
    for (const t of targets) assert.equal(readFileSync(path.join(release, 'npm', t.platformArchABI, artifactName(t)), 'utf8'), `binary for ${t.triple}`);
    execFileSync('git', ['init', '-q'], { cwd: release }); // napi prepublish reads the last commit
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '--allow-empty', '-m', pkg.version], { cwd: release });
    execFileSync(process.execPath, [cli, 'pre-publish', '-t', 'npm', '--no-gh-release', '--dry-run', '--cwd', release], { stdio: 'pipe' });
    assert.match(pkg.scripts.prepublishOnly, /^napi prepublish -t npm --no-gh-release$/);
    assert.match(pkg.scripts.artifacts, /^napi artifacts$/);
  });

  it('each carry the LICENSE', () => {
    const license = readFileSync(path.join(root, 'LICENSE'), 'utf8');
    assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} napi-session contributors\n/);
    for (const t of targets) assert.equal(readFileSync(path.join(packageDir(t), 'LICENSE'), 'utf8'), license, `npm/${t.platformArchABI}/LICENSE`);
  });
});

describe('the smoke test that npm run test:platforms runs on other platforms', () => {
  it('passes here, on this machine’s binary', { skip: !existsSync(hostBinary) && 'needs npm run build' }, () => {
    const dir = path.join(scratch, 'smoke');
    mkdirSync(dir);
    const output = execFileSync(process.execPath, [path.join(root, '__test__', 'helpers', 'smoke.cjs'), root, dir], { encoding: 'utf8' });
    assert.match(output, new RegExp(`^smoke ok: napi-session\\.${host.id}\\.node on ${process.platform}-${process.arch} Node ${process.version}: `));
  });
});

describe('npm run build:target', { skip: process.platform !== 'linux' && 'plans a build on a Linux machine' }, () => {
  /** What `scripts/build.mjs --plan` says (exit status and output) with `env` over this one's. */
  const plan = (args, env = {}) => {
    const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), ...args, '--plan'], { encoding: 'utf8', env: { ...process.env, ...env } });
    return { status: result.status, output: result.stdout + result.stderr };
  };
  // This PATH without cargo-zigbuild: a machine with only a Rust toolchain.
  const withoutZig = { PATH: process.env.PATH.split(path.delimiter).filter((dir) => !existsSync(path.join(dir, 'cargo-zigbuild'))).join(path.delimiter) };

  it('pins glibc 2.17 through cargo-zigbuild, for this machine too, when zig is installed', { skip: !haveZig() && 'zig is not installed' }, () => {
    for (const args of [[], ['--target', 'x86_64-unknown-linux-gnu'], ['--target', 'aarch64-unknown-linux-gnu']]) {
      const { status, output } = plan(args);
      assert.equal(status, 0, output);
      assert.match(output, new RegExp(`with cargo-zigbuild, glibc ${MIN_GLIBC.replace('.', '\\.')}$`, 'm'));
    }
    assert.match(plan(['--target', 'aarch64-unknown-linux-musl']).output, /\(linux-arm64-musl\) with cargo-zigbuild$/m);
  });

  it('builds this machine’s binary with plain cargo without zig, and no release target', () => {
    const host = plan([], withoutZig);
    assert.equal(host.status, 0, host.output);
    assert.match(host.output, /with cargo for this machine's glibc \(install zig to pin 2\.17: pip install cargo-zigbuild ziglang\)/);
    const release = plan(['--target', 'aarch64-unknown-linux-gnu'], withoutZig);
    assert.equal(release.status, 1);
    assert.match(release.output, /aarch64-unknown-linux-gnu builds with cargo-zigbuild against glibc 2\.17: pip install cargo-zigbuild ziglang/);
  });

  it('says what keeps macOS and Windows MSVC binaries from being built here', () => {
    const darwin = plan(['--target', 'aarch64-apple-darwin'], { SDKROOT: '' });
    assert.equal(darwin.status, 1);
    assert.match(darwin.output, /Security and CoreFoundation frameworks .*rustls-native-certs.*SDKROOT/s);
    const msvc = plan(['--target', 'x86_64-pc-windows-msvc'], withoutZig);
    assert.equal(msvc.status, 1);
    assert.match(msvc.output, /MSVC runtime and the Windows SDK.*x86_64-pc-windows-gnu/s);
  });
});

describe('the Linux gnu binaries', () => {
  const built = readdirSync(root).filter((name) => /^napi-session\.linux-.+-gnu(eabihf)?\.node$/.test(name));
  // `npm run build` pins glibc 2.17 when zig is installed (scripts/build.mjs); CI installs it.
  const pinned = haveZig() || process.env.CI === 'true';

  it(`need no glibc newer than ${MIN_GLIBC}`, { skip: (!pinned && 'built without zig, against this machine’s glibc') || (built.length === 0 && 'nothing built') }, () => {
    for (const name of built) {
      const { newest, versions } = glibcNeeds(path.join(root, name));
      assert.ok(compareVersions(newest, MIN_GLIBC) <= 0, `${name} needs GLIBC_${newest} (${versions.join(', ')}): build it with npm run build:target`);
    }
  });

  it('are stripped', { skip: built.length === 0 && 'nothing built' }, () => {
    for (const name of built) {
      const sections = execFileSync('objdump', ['-h', path.join(root, name)], { encoding: 'utf8' });
      assert.doesNotMatch(sections, /\.symtab\b/, `${name} has a symbol table: [profile.release] strip`);
    }
  });
});
