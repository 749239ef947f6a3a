// One of several processes committing to the same fs sessions at once (fs-hardening.test.mjs).
//
//   node fs-contender.mjs <json: { base, cookies, name, commits, concurrency }>
//
// It prints "ready" once loaded, and starts when a line arrives on stdin, so that all contenders
// run at the same time rather than one after another as they come up. Commit i sets key `<name>-<i>` in session `cookies[i % cookies.length]`, `concurrency` commits
// in flight at a time. Prints one JSON line: { rejected, errors, ms }.
import { createSessions } from '../../index.mjs';

const { base, cookies, name, commits, concurrency } = JSON.parse(process.argv[2]);
const sessions = createSessions({ driver: { name: 'fs', base } });

let next = 0;
let rejected = 0;
const errors = new Map();
async function worker() {
  while (next < commits) {
    const i = next++;
    const session = sessions.fromRequest(cookies[i % cookies.length]);
    session.set(`${name}-${i}`, i);
    try {
      await session.commit();
    } catch (error) {
      rejected++;
      const key = `${error.code}: ${error.message}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }
}

process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const ms = Math.round(performance.now() - started);
process.stdout.write(`${JSON.stringify({ rejected, errors: Object.fromEntries(errors), ms })}\n`);
