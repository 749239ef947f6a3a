'use strict';

// Preloaded (NODE_OPTIONS=--require) into every Node.js of a test run under qemu user-mode
// emulation (scripts/test-platforms.mjs: the node test suite on Node for arm64). An emulated
// process can only exec binaries of this machine's own architecture, since nothing registers
// arm64 ELF files with the kernel (binfmt_misc), yet the run starts Node.js children with
// process.execPath: the test runner one per test file, the tests for `node -e` and tsc. Those
// children are started through the emulator instead; every other command runs as it is.
//
//   NAPI_SESSION_EMULATOR        JSON array: the emulator and its options, e.g.
//                                ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]
//   NAPI_SESSION_EMULATED_NODE   the emulated node binary

const childProcess = require('node:child_process');
const { syncBuiltinESMExports } = require('node:module');
const path = require('node:path');

const emulator = process.env.NAPI_SESSION_EMULATOR;
const guestNode = process.env.NAPI_SESSION_EMULATED_NODE;

if (emulator && guestNode) {
  const [command, ...options] = JSON.parse(emulator);
  const isGuest = (file) => typeof file === 'string' && path.resolve(file) === path.resolve(guestNode);

  // spawn, execFile, exec and fork all end in ChildProcess#spawn; `args` starts with argv[0].
  const spawn = childProcess.ChildProcess.prototype.spawn;
  childProcess.ChildProcess.prototype.spawn = function spawnEmulated(spawnOptions) {
    if (isGuest(spawnOptions.file)) {
      const args = [command, ...options, spawnOptions.file, ...spawnOptions.args.slice(1)];
      return spawn.call(this, { ...spawnOptions, file: command, args });
    }
    return spawn.call(this, spawnOptions);
  };

  // The synchronous ones do not; they are wrapped one by one, and the ES module bindings of
  // node:child_process updated to match.
  for (const name of ['spawnSync', 'execFileSync']) {
    const original = childProcess[name];
    childProcess[name] = function runEmulated(file, args, runOptions) {
      if (!isGuest(file)) return original.apply(this, arguments);
      if (!Array.isArray(args)) [args, runOptions] = [[], args];
      return original.call(this, command, [...options, file, ...args], runOptions);
    };
  }
  syncBuiltinESMExports();
}
