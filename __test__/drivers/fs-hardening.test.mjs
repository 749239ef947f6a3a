// The fs driver against what another program — or another local account — may put in or do to
// its directory: permissions, special files named like session ids, huge files, a foreign lock
// holder, and several server processes committing to the same sessions at once.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createSessions } from '../../index.mjs';

const COOKIE = 'astro-session';
const unix = process.platform !== 'win32';
const linux = process.platform === 'linux';
const hasPython = spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status === 0;
const root = typeof process.getuid === 'function' && process.getuid() === 0;

const dirs = [];
const fifos = [];
function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'napi-session-fs-hardening-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  // A FIFO that a (broken) store is blocked opening would keep a thread, and so this process,
  // alive: a writer lets such an open return. (With O_NONBLOCK, this fails when nobody reads.)
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {}
  }
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

const mode = (file) => lstatSync(file).mode & 0o7777;
const octal = (value) => `0${value.toString(8)}`;

async function newSession(sessions, values = { x: 1 }) {
  const session = sessions.fromRequest('');
  for (const [key, value] of Object.entries(values)) session.set(key, value);
  const [setCookie] = await session.commit();
  return { id: session.sessionID, cookie: setCookie.split(';')[0] };
}

/** `promise`, or a failure if it does not settle within `ms`. */
async function within(ms, what, promise) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function withUmask(mask, work) {
  const previous = process.umask(mask);
  return Promise.resolve()
    .then(work)
    .finally(() => process.umask(previous));
}

describe('fs driver: permissions', { skip: !unix && 'POSIX modes' }, () => {
  for (const umask of [0o022, 0o000, 0o277]) {
    it(`makes files 0600 and directories 0700 under umask ${octal(umask)}`, async () => {
      const dir = tempDir();
      const base = path.join(dir, 'made', 'sessions');
      const { id } = await withUmask(umask, () => newSession(createSessions({ driver: { name: 'fs', base } })));
      for (const made of [path.join(dir, 'made'), base, path.join(base, '.locks')]) {
        assert.equal(octal(mode(made)), '0700', made);
      }
      assert.equal(octal(mode(path.join(base, id))), '0600', 'the session file');
      const lockFiles = readdirSync(path.join(base, '.locks'));
      assert.ok(lockFiles.length > 0);
      for (const name of lockFiles) assert.equal(octal(mode(path.join(base, '.locks', name))), '0600', name);
    });
  }

  it('leaves the mode of a directory that already exists, and still makes its files 0600', async () => {
    const base = path.join(tempDir(), 'astro-made');
    mkdirSync(base);
    chmodSync(base, 0o755); // as Astro's fs-lite driver makes it under umask 022
    const { id } = await withUmask(0o022, () => newSession(createSessions({ driver: { name: 'fs', base } })));
    assert.equal(octal(mode(base)), '0755', 'never changed (and never made wider)');
    assert.equal(octal(mode(path.join(base, id))), '0600');
    assert.equal(octal(mode(path.join(base, '.locks'))), '0700');
  });

  it('keeps another local account from listing ids, reading sessions or opening lock files', { skip: !root && 'needs root, to run a command as another account' }, async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755); // so that only the store's own modes are in the way
    const base = path.join(dir, 'sessions');
    const { id } = await withUmask(0o022, () => newSession(createSessions({ driver: { name: 'fs', base } })));
    const asNobody = (command, ...args) => spawnSync(command, args, { uid: 65534, gid: 65534, stdio: 'ignore' }).status;
    // The check itself works: "nobody" reads a file left world-readable next to the store.
    writeFileSync(path.join(dir, 'public'), 'x', { mode: 0o644 });
    assert.equal(asNobody('cat', path.join(dir, 'public')), 0, 'another account can read what is open to it');
    assert.notEqual(asNobody('ls', base), 0, 'lists the session ids');
    assert.notEqual(asNobody('cat', path.join(base, id)), 0, 'reads a session');
    for (const name of readdirSync(path.join(base, '.locks'))) {
      assert.notEqual(asNobody('cat', path.join(base, '.locks', name)), 0, `opens lock file ${name}`);
    }
  });
});

describe('fs driver: what is not a session file', { skip: !unix && 'FIFOs, symlinks to devices' }, () => {
  it('answers at once for a FIFO named like a session id, and gives the session a fresh id', async () => {
    const base = tempDir();
    const sessions = createSessions({ driver: { name: 'fs', base } });
    const id = randomUUID();
    execFileSync('mkfifo', [path.join(base, id)]);
    fifos.push(path.join(base, id));
    const session = sessions.fromRequest(`${COOKIE}=${id}`);
    assert.equal(await within(1000, 'get()', session.get('x')), undefined);
    session.set('x', 1);
    await within(1000, 'commit()', session.commit());
    assert.notEqual(session.sessionID, id, 'a special file is no session: the values went to a new id');
    assert.ok(lstatSync(path.join(base, id)).isFIFO(), 'and the FIFO was left alone');
  });

  it('sweeps expired sessions past FIFOs and symlinks without blocking', async () => {
    const base = tempDir();
    const specials = [];
    for (let i = 0; i < 5; i++) {
      const fifo = path.join(base, randomUUID());
      execFileSync('mkfifo', [fifo]);
      fifos.push(fifo);
      const link = path.join(base, randomUUID());
      symlinkSync('/dev/zero', link);
      specials.push(fifo, link);
    }
    // Expired sessions: written two days ago (the default lifetime is one day).
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    const expired = Array.from({ length: 20 }, () => path.join(base, randomUUID()));
    for (const file of expired) {
      writeFileSync(file, '[["Map"]]');
      utimesSync(file, twoDaysAgo, twoDaysAgo);
    }
    // A write starts the sweep (in the background) when the last one is older than sweepInterval.
    const sessions = createSessions({ driver: { name: 'fs', base, sweepInterval: 0 } });
    await within(1000, 'commit()', newSession(sessions));
    const deadline = Date.now() + 5000;
    while (expired.some(existsSync) && Date.now() < deadline) await sleep(20);
    assert.deepEqual(expired.filter(existsSync), [], 'every expired session was swept');
    assert.ok(specials.every((file) => lstatSync(file)), 'special files are passed over, not deleted');
    // And the store still answers (no lock is left held by a blocked sweep).
    await within(1000, 'a second commit', newSession(sessions));
  });

  it('reads no more than maxSize + 1 bytes of a huge file, and nothing through a symlink to /dev/zero', () => {
    const base = tempDir();
    const huge = Array.from({ length: 5 }, () => randomUUID());
    const big = Buffer.alloc(10 << 20, 'x');
    for (const id of huge) writeFileSync(path.join(base, id), big);
    const zero = randomUUID();
    symlinkSync('/dev/zero', path.join(base, zero));
    // In a child, whose peak memory is its own: it reads all five huge files at once, then the
    // symlink, and reports its peak resident memory before and after.
    const child = `
      import { createSessions } from ${JSON.stringify(new URL('../../index.mjs', import.meta.url).href)};
      const [base, zero, ...huge] = process.argv.slice(1);
      const sessions = createSessions({ driver: { name: 'fs', base } });
      const warm = sessions.fromRequest('');
      warm.set('x', 1);
      const [cookie] = await warm.commit();
      for (let i = 0; i < 5; i++) await sessions.fromRequest(cookie.split(';')[0]).get('x');
      const before = process.resourceUsage().maxRSS;
      const outcome = async (id) => sessions.fromRequest('${COOKIE}=' + id).get('x').then((v) => String(v), (e) => e.code);
      const hugeOutcomes = await Promise.all(huge.map(outcome));
      const zeroOutcome = await outcome(zero);
      const growthKiB = process.resourceUsage().maxRSS - before;
      console.log(JSON.stringify({ hugeOutcomes, zeroOutcome, growthKiB }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', child, base, zero, ...huge], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.status, 0, `the child did not finish: ${run.signal ?? ''} ${run.stderr}`);
    const { hugeOutcomes, zeroOutcome, growthKiB } = JSON.parse(run.stdout);
    assert.deepEqual(hugeOutcomes, huge.map(() => 'ERR_SESSION_PARSE'), 'too large: refused');
    assert.equal(zeroOutcome, 'undefined', 'a symlink is no session');
    // Reading the whole files would take 5 × 10 MB at once.
    assert.ok(growthKiB < 20 * 1024, `peak memory grew by ${growthKiB} KiB`);
  });
});

/** The byte of `<base>/.locks/sessions` that locks session `id` on Linux (store/fs/locks.rs). */
const lockByte = (id) => BigInt(`0x${id.slice(0, 8)}${id.slice(9, 13)}${id.slice(15, 18)}`);

/** Another process holding the lock of session `id`, as another server would, until released. */
async function foreignLockHolder(base, id) {
  const script = [
    'import fcntl, os, sys',
    'fd = os.open(sys.argv[1], os.O_RDWR)',
    // A POSIX record lock conflicts with the store's OFD lock on the same byte.
    'fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, int(sys.argv[2]))',
    'print("locked", flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const holder = spawn('python3', ['-c', script, path.join(base, '.locks', 'sessions'), String(lockByte(id))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  await new Promise((resolve, reject) => {
    holder.stdout.once('data', resolve);
    exited.then((code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)));
  });
  return {
    release: async () => {
      holder.stdin.end();
      await exited;
    },
  };
}

describe('fs driver: locks', () => {
  it('gives up on a lock another process holds with ERR_SESSION_TIMEOUT, in time, and takes it once free', { skip: !(linux && hasPython) && 'needs Linux and python3 (a foreign OFD/POSIX lock holder)' }, async () => {
    const base = tempDir();
    const sessions = createSessions({ driver: { name: 'fs', base }, timeout: 1 });
    const busy = await newSession(sessions, { n: 1 });
    const other = await newSession(sessions, { n: 1 });
    const holder = await foreignLockHolder(base, busy.id);
    try {
      const session = sessions.fromRequest(busy.cookie);
      session.set('n', 2);
      const started = performance.now();
      await assert.rejects(session.commit(), { name: 'SessionError', code: 'ERR_SESSION_TIMEOUT' });
      const waited = performance.now() - started;
      assert.ok(waited >= 950 && waited < 1600, `the commit gave up after ${Math.round(waited)} ms (timeout: 1 s)`);
      // Reading takes no lock, and other sessions have their own locks.
      assert.equal(await within(300, 'get()', sessions.fromRequest(busy.cookie).get('n')), 1);
      const unrelated = sessions.fromRequest(other.cookie);
      unrelated.set('n', 2);
      await within(300, 'an unrelated commit', unrelated.commit());
    } finally {
      await holder.release();
    }
    const retry = sessions.fromRequest(busy.cookie);
    retry.set('n', 3);
    await retry.commit();
    assert.equal(await sessions.fromRequest(busy.cookie).get('n'), 3);
  });

  it('lets 4 processes × 500 commits on 20 sessions all land: none rejected, none lost', async (t) => {
    const base = tempDir();
    const sessions = createSessions({ driver: { name: 'fs', base } });
    const cookies = [];
    for (let i = 0; i < 20; i++) cookies.push((await newSession(sessions, { start: i })).cookie);
    const contender = fileURLToPath(new URL('../helpers/fs-contender.mjs', import.meta.url));
    const children = ['p0', 'p1', 'p2', 'p3'].map((name) => {
      const spec = { base, cookies, name, commits: 500, concurrency: 8 };
      const child = spawn(process.execPath, [contender, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      const ready = new Promise((resolve) => {
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (out.startsWith('ready\n')) resolve();
        });
      });
      const done = new Promise((resolve, reject) => {
        child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.split('\n')[1])) : reject(new Error(`${name} exited with ${code}`))));
      });
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    const started = performance.now();
    children.forEach((c) => c.child.stdin.end('go\n'));
    const results = await Promise.all(children.map((c) => c.done));
    const ms = Math.round(performance.now() - started);
    const rejected = results.reduce((sum, r) => sum + r.rejected, 0);
    t.diagnostic(`2000 commits from 4 processes in ${ms} ms, ${rejected} rejected`);
    assert.equal(rejected, 0, JSON.stringify(results.map((r) => r.errors)));
    for (const [i, cookie] of cookies.entries()) {
      const keys = new Set(await sessions.fromRequest(cookie).keys());
      for (const name of ['p0', 'p1', 'p2', 'p3']) {
        for (let commit = i; commit < 500; commit += 20) {
          assert.ok(keys.has(`${name}-${commit}`), `session ${i} lacks ${name}-${commit}`);
        }
      }
      assert.equal(keys.size, 1 + 4 * 25, `session ${i}`);
    }
  });
});
