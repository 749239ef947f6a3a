// Promises of loads and commits are settled through one queue per JS thread (src/completions.rs).
// The queue must keep the process alive exactly while one of its promises is pending: a script
// that only awaits a commit must see it finish, and a script that is done must exit at once. And
// every JS thread — the main one, workers, several at a time — has its own queue.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDirs } from '../helpers/temp-dirs.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tempDir = tempDirs('event-loop');

/** Runs `script` (an ES module in the package's root) in a fresh Node.js; its exit and output. */
function run(script) {
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return { ...child, ms: performance.now() - started };
}

describe('the promise queue and the event loop', () => {
  it('keeps the process alive while a commit is pending, with nothing else to do', () => {
    // No await at the top level and no timer: only the pending commit holds the loop. (A queue
    // that never took a reference would let the process exit first, printing nothing.)
    const base = tempDir();
    const child = run(`
      import { createSessions } from './index.mjs';
      const sessions = createSessions({ driver: { name: 'fs', base: ${JSON.stringify(base)} } });
      const session = sessions.fromRequest('');
      session.set('n', 1);
      session.commit().then(async (cookies) => {
        const again = sessions.fromRequest(cookies[0].split(';')[0]);
        console.log('read', await again.get('n'));
      });
    `);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'read 1');
  });

  it('lets the process exit as soon as no promise is pending', () => {
    const child = run(`
      import { createSessions } from './index.mjs';
      const sessions = createSessions({ driver: 'memory' });
      for (let i = 0; i < 100; i++) {
        const session = sessions.fromRequest('');
        session.set('n', i);
        await session.commit();
      }
      console.log('done');
    `);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'done');
    // An idle queue that kept a reference would hold the process until the test's timeout.
    assert.equal(child.signal, null);
    assert.ok(child.ms < 10_000, `exited after ${child.ms.toFixed(0)} ms`);
  });

  it('settles in worker threads, several at once, and on the main thread meanwhile', () => {
    const base = tempDir();
    const child = run(`
      import { Worker } from 'node:worker_threads';
      import { createSessions } from './index.mjs';
      const work = async (label, base) => {
        const sessions = createSessions({ driver: { name: 'fs', base } });
        let cookie = '';
        for (let i = 0; i < 50; i++) {
          const session = sessions.fromRequest(cookie);
          session.set('count', ((await session.get('count')) ?? 0) + 1);
          const [set] = await session.commit();
          if (set) cookie = set.split(';')[0];
        }
        return label + ' ' + (await sessions.fromRequest(cookie).get('count'));
      };
      const inWorker = (label) => new Promise((resolve, reject) => {
        const worker = new Worker(
          'import { parentPort, workerData } from "node:worker_threads";' +
            'import { createSessions } from "./index.mjs";' +
            'const work = ' + work.toString() + ';' +
            'parentPort.postMessage(await work(workerData, ' + JSON.stringify(${JSON.stringify(base)}) + '));',
          { eval: true, workerData: label },
        );
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const results = await Promise.all([inWorker('w1'), inWorker('w2'), work('main', ${JSON.stringify(base)})]);
      console.log(results.join(','));
    `);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'w1 50,w2 50,main 50');
  });

  it('survives workers stopped while their commits are still running', () => {
    // A stopped worker's environment ends with its work still on the runtime: the work must then
    // find the queue closed, not call into a function Node has freed.
    const base = tempDir();
    const child = run(`
      import { Worker } from 'node:worker_threads';
      import { createSessions } from './index.mjs';
      const body = 'import { createSessions } from "./index.mjs"; import { parentPort } from "node:worker_threads";' +
        'const sessions = createSessions({ driver: { name: "fs", base: ' + JSON.stringify(${JSON.stringify(base)}) + ' } });' +
        'parentPort.postMessage("ready");' +
        'for (let i = 0; i < 200; i++) { const s = sessions.fromRequest(""); s.set("big", "x".repeat(100000)); s.commit(); }';
      const sessions = createSessions({ driver: { name: 'fs', base: ${JSON.stringify(base)} } });
      let committed = 0;
      for (let round = 0; round < 20; round++) {
        const worker = new Worker(body, { eval: true });
        await new Promise((resolve) => worker.once('message', resolve));
        await new Promise((resolve) => setImmediate(resolve));
        await worker.terminate();
        const session = sessions.fromRequest('');
        session.set('round', round);
        committed += (await session.commit()).length;
      }
      console.log('committed', committed);
    `);
    assert.equal(child.signal, null, child.stderr);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'committed 20');
  });
});
