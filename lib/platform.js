'use strict';

// Which native binary this machine needs, and what to tell the user when it does not load.
// npm installs exactly one of the per-platform packages (napi-session-<platform>, the main
// package's optionalDependencies, picked by their os/cpu/libc fields); binding.js loads it.
// When that fails, binding.js's own error blames an npm bug; this one names the platform, the
// package that should be there and what to do.

const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const { SessionError } = require('./errors');

const pkg = require('../package.json');

/** The C library of this Linux system, as binding.js decides it: 'musl' or 'glibc' (+ version). */
function linuxLibc() {
  try {
    if (readFileSync('/usr/bin/ldd', 'utf8').includes('musl')) return { libc: 'musl' };
  } catch {
    // No ldd (distroless images): ask the process report, as binding.js does next.
  }
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  const glibc = report?.header?.glibcVersionRuntime;
  if (glibc) return { libc: 'glibc', glibcVersion: glibc };
  const musl = (report?.sharedObjects ?? []).some((file) => file.includes('libc.musl-') || file.includes('ld-musl-'));
  return { libc: musl ? 'musl' : 'glibc' };
}

/** Node.js for Windows built with MinGW as a shared library takes the -gnu binaries (binding.js's test). */
const isMingwNode = () => process.config?.variables?.shlib_suffix === 'dll.a' || process.config?.variables?.node_target_type === 'shared_library';

/**
 * This machine as napi-rs names platforms: `{ os, arch, libc?, glibcVersion?, id }`, where `id` is
 * the suffix of the package and of the binary, e.g. linux-arm64-musl, darwin-x64, win32-x64-msvc.
 */
function currentPlatform({ os = process.platform, arch = process.arch, libc, glibcVersion } = {}) {
  if (os === 'linux' && !libc) ({ libc, glibcVersion } = linuxLibc());
  let abi = null;
  if (os === 'linux') {
    const gnu = libc !== 'musl';
    abi = arch === 'arm' ? (gnu ? 'gnueabihf' : 'musleabihf') : gnu ? 'gnu' : 'musl';
  } else if (os === 'win32') {
    abi = isMingwNode() ? 'gnu' : 'msvc';
  } else if (os === 'android' && arch === 'arm') {
    abi = 'eabi';
  }
  return { os, arch, libc: os === 'linux' ? libc : undefined, glibcVersion, id: [os, arch, abi].filter(Boolean).join('-') };
}

const OS_NAMES = { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD', android: 'Android' };

/** "Linux arm64 (glibc 2.36)", "macOS x64", as a person reads it. */
function describe({ os, arch, libc, glibcVersion }) {
  const libcText = libc ? ` (${libc}${glibcVersion ? ` ${glibcVersion}` : ''})` : '';
  return `${OS_NAMES[os] ?? os} ${arch}${libcText}`;
}

/** The platform ids napi-session publishes a binary for: its optionalDependencies. */
const supportedIds = () => Object.keys(pkg.optionalDependencies ?? {}).map((name) => name.slice(pkg.name.length + 1));

/** What `load()` throws, or undefined if it returns. */
function loadError(load) {
  try {
    load();
    return undefined;
  } catch (error) {
    return error;
  }
}

const BUILD_FROM_SOURCE =
  'build it from source: in a checkout of napi-session, with Rust 1.89+ installed, run ' +
  '`npm install && npm run build`, then `npm install <path of that checkout>` in your project';

/**
 * The SessionError (code ERR_SESSION_PLATFORM) for a failed load of the native binding, with the
 * error binding.js threw as its `cause`. `platform` defaults to this machine; `root` is the
 * package directory (where a checkout keeps its own build).
 */
function nativeLoadError(cause, { platform = currentPlatform(), root = path.join(__dirname, '..'), resolve = require.resolve, load = require } = {}) {
  const packageName = `${pkg.name}-${platform.id}`;
  const where = describe(platform);
  const supported = supportedIds();
  const localBinary = path.join(root, `${pkg.name}.${platform.id}.node`);
  let message;
  let packagePath;
  try {
    packagePath = resolve(packageName);
  } catch {
    // Not installed: the cases below say why that may be.
  }

  if (existsSync(localBinary) || packagePath) {
    const file = existsSync(localBinary) ? localBinary : packagePath;
    const reason = loadError(() => load(file));
    const detail = reason ? reason.message.split('\n')[0] : String(cause?.message ?? cause);
    const glibcTooOld = /GLIBC_[\d.]+' not found/.test(detail);
    message =
      `napi-session found its native binary for ${where} (${file}) but could not load it: ${detail}. ` +
      (glibcTooOld
        ? `The linux-*-gnu binaries need glibc 2.17 or newer; on an older system, ${BUILD_FROM_SOURCE}.`
        : file === localBinary
          ? 'Rebuild it with `npm run build`.'
          : `Reinstall it: \`npm install ${packageName}@${pkg.version}\`, or delete node_modules and package-lock.json and run \`npm install\`.`);
  } else if (supported.includes(platform.id)) {
    message =
      `napi-session has no native binary installed for ${where}: the package ${packageName} should ` +
      'have been installed with it (an optional dependency that npm picks by os, cpu and libc). It is ' +
      'missing when optional dependencies were omitted (npm install --omit=optional or --no-optional), ' +
      'or when node_modules or package-lock.json came from another platform (e.g. node_modules copied ' +
      'from macOS into a Linux Docker image). ' +
      `Fix: \`npm install ${packageName}@${pkg.version}\`, or delete node_modules and package-lock.json ` +
      'and run `npm install` on this machine.';
  } else {
    message =
      `napi-session has no native binary for ${where}: there is no package ${packageName}. It ships ` +
      `binaries for ${supported.join(', ')}. To use it on this platform, ${BUILD_FROM_SOURCE}.`;
  }
  const error = new SessionError('ERR_SESSION_PLATFORM', message, { cause });
  error.platform = platform.id;
  error.package = packageName;
  return error;
}

module.exports = { currentPlatform, describe, nativeLoadError };
