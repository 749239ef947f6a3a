// CPU time of the JS thread (the process's main thread: its event loop, JS, and the V8 and
// native work done on it) apart from the other threads of the process (napi-session's Rust
// threads, libuv's pool, V8's background GC). It is the time the application loses on its event
// loop, where a real server also renders its pages.
//
// Linux: /proc/self/task/<pid>/schedstat, whose first field is the nanoseconds the thread has run
// (the main thread's id is the process id); the same source on every Node version, so a run on
// Node 20 and one on Node 26 (`--node`) measure alike. Elsewhere: `process.threadCpuUsage()`
// (getrusage of the calling thread) where Node has it (23.9 on, and recent 22.x releases);
// otherwise nothing (NaN).

import { readFileSync } from 'node:fs';

const schedstat = `/proc/self/task/${process.pid}/schedstat`;

function fromSchedstat() {
  return Number(readFileSync(schedstat, 'latin1').split(' ', 1)[0]) / 1000;
}

function fromThreadCpuUsage() {
  const { user, system } = process.threadCpuUsage();
  return user + system;
}

function pick() {
  try {
    if (Number.isFinite(fromSchedstat())) return { source: 'schedstat', read: fromSchedstat };
  } catch {}
  if (typeof process.threadCpuUsage === 'function') return { source: 'threadCpuUsage', read: fromThreadCpuUsage };
  return { source: 'none', read: () => NaN };
}

const chosen = pick();

/** Where the figure comes from: 'schedstat', 'threadCpuUsage' or 'none'. */
export const jsThreadCpuSource = chosen.source;

/** CPU time the JS thread has used so far, in µs (NaN where it cannot be told). */
export const jsThreadCpuMicros = chosen.read;
