// Self time per function of a V8 CPU profile, as `npm run bench -- --cpu-prof` writes them (one
// per server process).
//
//   node benchmark/profile-summary.mjs bench-profiles/CPU.….cpuprofile [--top=30]
//
// Read with care: V8's profiler sees only the JS thread, and it books the native work done on
// behalf of a JS call (creating a napi promise and thread-safe function, spawning onto tokio) to
// that JS function, and Node's own native callbacks (a thread-safe function's completion, the
// microtask checkpoint after it) to whatever frame it last saw — often `writev`. For the work of
// the Rust threads use `perf record -g -p <server pid>` (see benchmark/README.md).

import { readFileSync } from 'node:fs';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node benchmark/profile-summary.mjs <file.cpuprofile> [--top=N]');
  process.exit(1);
}
const top = Number(rest.find((a) => a.startsWith('--top='))?.slice(6) ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
  if (functionName === '(idle)') idle += dt;
});
console.log(`${(total / 1000).toFixed(0)} ms sampled, ${(idle / 1000).toFixed(0)} ms idle; shares of the busy time:`);
for (const [key, dt] of [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * dt) / (total - idle)).toFixed(1).padStart(5)}%  ${key}`);
}
