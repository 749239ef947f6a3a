// The main benchmark: napi-session against Astro 7's own sessions and against a bare node:http
// server, on the same workload, side by side in one run. See benchmark/README.md.
//
//   npm run bench                        (~2 minutes)
//   npm run bench -- --quick             (~30 seconds)
//   npm run bench -- --json              (JSON on stdout; the table goes to stderr)
//   npm run bench -- --help              (all options)
//
// Each stack is a server in its own child process (benchmark/servers/), the load generator is
// another (benchmark/load.mjs), and this process only orchestrates. The stacks take turns in
// short rounds, their order rotated every round, so that the noise of a shared machine falls on
// all of them alike; ratios are computed within each round and then summarized over the rounds.

import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

// ---------------------------------------------------------------------------------------------
// Options

const HELP = `Usage: node benchmark/session.mjs [options]

  --quick            2 rounds of 2 s (about 30 s in all)
  --rounds=N         rounds (default 5)
  --duration=S       measured seconds per stack and round (default 3)
  --warmup=S         unmeasured seconds before each measurement (default 0.5)
  --concurrency=N    connections, one request in flight on each (default 32)
  --sessions=N       sessions in the pool, created before measuring (default 64)
  --lost=N           concurrent requests on one session in the lost-update check (default 400)
  --stacks=a,b,...   among: bare, ours-memory, ours-fs, astro-memory, astro-fs (the default: all),
                     and ours-memory-1w, ours-fs-1w (one tokio worker thread)
  --no-checks        skip the correctness checks
  --cpu-prof[=DIR]   run the servers under node --cpu-prof (profiles in DIR, default ./bench-profiles)
  --json             print the results as JSON on stdout (the table goes to stderr)
`;

function parseArgs(argv) {
  const options = {
    rounds: 5,
    duration: 3,
    warmup: 0.5,
    concurrency: 32,
    sessions: 64,
    lost: 400,
    stacks: null,
    checks: true,
    cpuProf: null,
    json: false,
  };
  for (const arg of argv) {
    const [name, value] = arg.split(/=(.*)/s);
    const number = () => {
      const n = Number(value);
      if (!(n > 0)) throw new Error(`${name} needs a positive number`);
      return n;
    };
    switch (name) {
      case '--quick':
        Object.assign(options, { rounds: 2, duration: 2, warmup: 0.4, lost: 200 });
        break;
      case '--rounds': options.rounds = Math.round(number()); break;
      case '--duration': options.duration = number(); break;
      case '--warmup': options.warmup = Number(value) >= 0 ? Number(value) : number(); break;
      case '--concurrency': options.concurrency = Math.round(number()); break;
      case '--sessions': options.sessions = Math.round(number()); break;
      case '--lost': options.lost = Math.round(number()); break;
      case '--stacks': options.stacks = value.split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--no-checks': options.checks = false; break;
      case '--cpu-prof': options.cpuProf = path.resolve(value || 'bench-profiles'); break;
      case '--json': options.json = true; break;
      case '--help': case '-h': process.stdout.write(HELP); process.exit(0); break;
      default: throw new Error(`unknown option ${arg}\n\n${HELP}`);
    }
  }
  options.sessions = Math.max(options.sessions, options.concurrency);
  return options;
}

// ---------------------------------------------------------------------------------------------
// Stacks

const STACKS = [
  { key: 'bare', label: 'bare node:http', file: 'bare.mjs', args: () => [] },
  { key: 'ours-memory', label: 'napi-session memory', file: 'napi-session.mjs', args: () => ['memory'], ours: true, driver: 'memory' },
  { key: 'ours-fs', label: 'napi-session fs', file: 'napi-session.mjs', args: (dir) => ['fs', dir], ours: true, driver: 'fs', fs: true },
  { key: 'astro-memory', label: 'Astro memory', file: 'astro.mjs', args: () => ['memory'], astro: true, driver: 'memory' },
  { key: 'astro-fs', label: 'Astro fs-lite', file: 'astro.mjs', args: (dir) => ['fs-lite', dir], astro: true, driver: 'fs', fs: true },
];
/**
 * Variants for experiments, run only when named in --stacks: the same server with one tokio
 * worker thread instead of one per core (tokio reads TOKIO_WORKER_THREADS).
 */
const EXTRA_STACKS = [
  { key: 'ours-memory-1w', label: 'napi-session memory, 1 tokio worker', file: 'napi-session.mjs', args: () => ['memory'], env: { TOKIO_WORKER_THREADS: '1' } },
  { key: 'ours-fs-1w', label: 'napi-session fs, 1 tokio worker', file: 'napi-session.mjs', args: (dir) => ['fs', dir], env: { TOKIO_WORKER_THREADS: '1' }, fs: true },
];
/** Ours against Astro's, per driver. */
const PAIRS = [
  { driver: 'memory', ours: 'ours-memory', astro: 'astro-memory' },
  { driver: 'fs', ours: 'ours-fs', astro: 'astro-fs' },
];

/** A child process spoken to over IPC: `call(message)` resolves to its answer. */
class Child {
  #next = 0;
  #waiting = new Map();

  constructor(label, file, args, execArgv = [], env = {}) {
    this.label = label;
    this.exited = null;
    this.process = fork(file, args, { execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.process.on('message', (message) => {
        if (message?.type === 'ready') return resolve(message);
        const waiting = this.#waiting.get(message?.id);
        if (!waiting) return;
        this.#waiting.delete(message.id);
        if (message.error !== undefined) waiting.reject(new Error(`${label}: ${message.error}`));
        else waiting.resolve(message.result ?? message);
      });
      this.process.on('exit', (code, signal) => {
        this.exited = `exited (${signal ?? code})`;
        const error = new Error(`${label} ${this.exited}`);
        reject(error);
        for (const waiting of this.#waiting.values()) waiting.reject(error);
        this.#waiting.clear();
      });
    });
    this.ready.catch(() => {});
  }

  call(message) {
    if (this.exited) return Promise.reject(new Error(`${this.label} ${this.exited}`));
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.process.send({ ...message, id });
    });
  }

  /** Asks the process to exit, then makes sure it has (this kills only our own child, by pid). */
  async stop() {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    try {
      this.process.send({ type: 'exit' });
    } catch {}
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Busy and idle jiffies of all CPUs (Linux), to tell how much other processes took. */
function machineCpu() {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    return { idle, busy: fields.reduce((a, b) => a + b, 0) - idle };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** { median, min, max, values } of one figure over the rounds. */
function spread(values) {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    values,
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting

const log = (line) => process.stderr.write(`${line}\n`);
const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
const fmtSpread = (s, digits = 0, unit = '') =>
  `${fmt(s.median, digits)}${unit} [${fmt(s.min, digits)}–${fmt(s.max, digits)}]`;
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%` : '–');

function table(header, rows, align) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (align[i] === 'l' ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The run

async function measure(options, stacks, servers, generator, pools, failed) {
  const results = Object.fromEntries(stacks.map((s) => [s.key, []]));
  for (let round = 0; round < options.rounds; round++) {
    // Rotate the order, so every stack runs early and late in a round as often as the others.
    const order = stacks.map((_, i) => stacks[(i + round) % stacks.length]);
    const line = [];
    for (const stack of order) {
      if (failed.has(stack.key)) continue;
      const server = servers[stack.key];
      try {
        const machineBefore = machineCpu();
        const before = await server.call({ type: 'cpu' });
        const result = await generator.call({
          type: 'run',
          port: server.port,
          cookies: pools[stack.key],
          concurrency: options.concurrency,
          warmup: options.warmup,
          duration: options.duration,
        });
        const after = await server.call({ type: 'cpu' });
        const machineAfter = machineCpu();
        result.serverCpuPerRequest = (after.micros - before.micros) / result.total;
        // Cores busy on average during the run: the server's, the generator's, everyone's.
        result.serverCores = (after.micros - before.micros) / 1e6 / result.elapsed;
        result.generatorCores = (result.generatorCpuPerRequest * result.total) / 1e6 / result.elapsed;
        if (machineBefore && machineAfter) {
          const busy = machineAfter.busy - machineBefore.busy;
          const all = busy + machineAfter.idle - machineBefore.idle;
          result.machineCores = (busy / all) * os.cpus().length;
          result.otherCores = Math.max(0, result.machineCores - result.serverCores - result.generatorCores);
        }
        result.serverErrors = after.errors - before.errors;
        result.rss = after.rss;
        result.round = round;
        const bad = result.requests - (result.statuses[200] ?? 0);
        if (bad > 0) throw new Error(`${bad} of ${result.requests} responses were not 200: ${JSON.stringify(result.statuses)}`);
        results[stack.key].push(result);
        line.push(`${stack.key} ${fmt(result.rps)}`);
      } catch (error) {
        failed.set(stack.key, error.message);
        log(`  ${stack.label} FAILED: ${error.message}`);
      }
    }
    log(`  round ${round + 1}/${options.rounds}: ${line.join(', ')} req/s`);
  }
  return results;
}

/** Figures per stack, and ratios taken within each round. */
function summarize(stacks, results) {
  const byRound = (key, round) => results[key]?.find((r) => r.round === round);
  const rounds = Math.max(0, ...Object.values(results).map((list) => list.length));
  const bare = results.bare ? 'bare' : null;
  const summary = {};
  for (const stack of stacks) {
    const list = results[stack.key] ?? [];
    const entry = {
      label: stack.label,
      rounds: list.length,
      rps: spread(list.map((r) => r.rps)),
      p50: spread(list.map((r) => r.p50)),
      p99: spread(list.map((r) => r.p99)),
      serverCpuPerRequest: spread(list.map((r) => r.serverCpuPerRequest)),
      serverCores: spread(list.map((r) => r.serverCores)),
      generatorCpuPerRequest: spread(list.map((r) => r.generatorCpuPerRequest)),
      otherCores: spread(list.map((r) => r.otherCores ?? NaN)),
    };
    if (bare && stack.key !== 'bare') {
      const perRound = (f) =>
        list.map((r) => {
          const b = byRound(bare, r.round);
          return b ? f(r, b) : NaN;
        });
      entry.fractionOfBare = spread(perRound((r, b) => r.rps / b.rps));
      entry.costPerRequest = spread(perRound((r, b) => 1e6 / r.rps - 1e6 / b.rps));
      entry.cpuCostPerRequest = spread(perRound((r, b) => r.serverCpuPerRequest - b.serverCpuPerRequest));
    }
    summary[stack.key] = entry;
  }
  const ratios = {};
  for (const pair of PAIRS) {
    if (!results[pair.ours] || !results[pair.astro]) continue;
    const values = [];
    const cpu = [];
    for (let round = 0; round < rounds; round++) {
      const ours = byRound(pair.ours, round);
      const astro = byRound(pair.astro, round);
      if (ours && astro) {
        values.push(ours.rps / astro.rps);
        cpu.push(astro.serverCpuPerRequest / ours.serverCpuPerRequest);
      }
    }
    ratios[pair.driver] = { rps: spread(values), serverCpu: spread(cpu) };
  }
  return { summary, ratios };
}

async function checks(options, stacks, servers, generator) {
  const out = {};
  const request = (server, p, cookie) =>
    generator.call({ type: 'request', port: server.port, path: p, cookie });
  const cookieOf = (response) =>
    response.headers.find(([n, v]) => n === 'set-cookie' && v.startsWith('astro-session='))?.[1].split(';')[0];
  // What /count says; asked again (a few times) if it fails, as it can for Astro's fs-lite
  // driver, whose writes are not atomic: a read may meet a half-written file.
  const count = async (server, cookie) => {
    let response;
    for (let attempt = 0; attempt < 10; attempt++) {
      response = await request(server, '/count', cookie);
      if (response.status === 200) return JSON.parse(response.body);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    let message = response.body;
    try {
      message = JSON.parse(response.body).error;
    } catch {}
    throw new Error(`the session could not be read afterwards (${response.status}: ${message})`);
  };
  for (const stack of stacks.filter((s) => s.key !== 'bare')) {
    const server = servers[stack.key];
    const result = {};
    try {
      // Lost updates: N requests on one session at once, each setting a key of its own.
      const created = await request(server, '/');
      const cookie = cookieOf(created);
      const paths = Array.from({ length: options.lost }, (_, i) => `/set?key=k${i}`);
      const responses = await generator.call({ type: 'burst', port: server.port, paths, cookie });
      const failedRequests = responses.filter((r) => r.status !== 200).length;
      result.lostUpdates = { requests: options.lost, failedRequests };
      const { marked: present } = await count(server, cookie);
      Object.assign(result.lostUpdates, { present, lost: options.lost - present });
    } catch (error) {
      result.lostUpdates = { ...result.lostUpdates, error: error.message };
    }
    try {
      // A destroyed session comes back: a request still in flight (it read the session, waits,
      // then sets a value) saves after another request destroyed the session.
      const victim = cookieOf(await request(server, '/'));
      const slow = request(server, '/slow?ms=200', victim);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await request(server, '/destroy', victim);
      await slow;
      const after = await count(server, victim);
      result.destroyedComesBack = { keysAfterDestroy: after.count, cameBack: after.count > 0 };
    } catch (error) {
      result.destroyedComesBack = { error: error.message };
    }
    out[stack.key] = result;
  }
  return out;
}

/** Median size of the session files a fs stack wrote (the same workload stores the same bytes). */
function storedSize(dir) {
  try {
    const sizes = readdirSync(dir)
      .filter((name) => !name.startsWith('.'))
      .map((name) => statSync(path.join(dir, name)).size)
      .filter((size) => size > 0);
    return { files: sizes.length, medianBytes: median(sizes) };
  } catch {
    return null;
  }
}

function report(options, env, stacks, summary, ratios, checked, failed, stored) {
  const lines = [];
  lines.push(
    `napi-session benchmark — Node ${env.node}, ${env.cpus}× ${env.cpuModel}, load average ${env.loadBefore} → ${env.loadAfter}`,
    `${options.rounds} rounds × ${options.duration} s per stack (+${options.warmup} s warm-up), ${options.concurrency} connections, ` +
      `${options.sessions} sessions; each request: read the cart (Map of 16 items with Dates), change one item, set it; ` +
      `read the visit counter, +1, set; persist.`,
    '',
  );
  const rows = stacks.map((stack) => {
    const s = summary[stack.key];
    if (!s || s.rounds === 0) return [stack.label, 'failed', '', '', '', '', '', '', ''];
    return [
      stack.label,
      fmtSpread(s.rps),
      fmt(s.p50.median, 2),
      fmt(s.p99.median, 2),
      fmt(s.serverCpuPerRequest.median),
      fmt(s.serverCores.median, 2),
      s.fractionOfBare ? pct(s.fractionOfBare.median) : '100%',
      s.costPerRequest ? fmtSpread(s.costPerRequest) : '–',
      s.cpuCostPerRequest ? fmt(s.cpuCostPerRequest.median) : '–',
    ];
  });
  lines.push(
    table(
      ['stack', 'req/s median [min–max]', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'server cores', 'of bare', 'session cost µs/req [min–max]', 'CPU µs/req over bare'],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
  );
  for (const pair of PAIRS) {
    const r = ratios[pair.driver];
    if (!r) continue;
    lines.push(
      `ours / Astro, ${pair.driver.padEnd(6)}  req/s ${fmtSpread(r.rps, 2, '×')}` +
        `   server CPU per request ${fmtSpread(r.serverCpu, 2, '×')} less` +
        `   (per round: ${r.rps.values.map((v) => v.toFixed(2)).join(', ')})`,
    );
  }
  const others = spread(Object.values(summary).flatMap((s) => s.otherCores.values));
  const generator = spread(Object.values(summary).flatMap((s) => s.generatorCpuPerRequest.values));
  if (Number.isFinite(others.median)) {
    lines.push(
      `noise: other processes kept ${fmtSpread(others, 2)} of ${env.cpus} cores busy during the measurements; ` +
        `the load generator spent ${fmtSpread(generator, 1)} µs of CPU per request`,
    );
  }
  if (stored.length) lines.push(`stored session: ${stored.map((s) => `${s.label} ${fmt(s.medianBytes)} B`).join(', ')}`);
  if (checked) {
    lines.push('', 'correctness under concurrency:');
    const rows = stacks
      .filter((s) => checked[s.key])
      .map((stack) => {
        const c = checked[stack.key];
        const short = (text) => (text.length > 90 ? `${text.slice(0, 89)}…` : text);
        const l = c.lostUpdates;
        const failed = l.failedRequests ? `, ${l.failedRequests} requests failed` : '';
        const lost = l.error
          ? short(`${l.error}${failed}`)
          : `${l.present} of ${l.requests} keys present${l.lost > 0 ? ` (${l.lost} lost)` : ''}${failed}`;
        const d = c.destroyedComesBack;
        const back = d.error ? short(d.error) : d.cameBack ? `yes (${d.keysAfterDestroy} keys)` : 'no';
        return [stack.label, lost, back];
      });
    lines.push(
      table(
        ['stack', `lost updates: ${options.lost} concurrent set() on one session`, 'destroyed session comes back'],
        rows,
        ['l', 'l', 'l'],
      ),
    );
  }
  for (const [key, message] of failed) lines.push(`FAILED ${key}: ${message}`);
  return lines.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const stacks = options.stacks
    ? options.stacks.map(
        (key) => [...STACKS, ...EXTRA_STACKS].find((s) => s.key === key) ?? (() => { throw new Error(`unknown stack ${key}`); })(),
      )
    : STACKS;
  if (!readdirSync(root).some((name) => /^napi-session\..*\.node$/.test(name))) {
    log('The addon is not built: run `npm run build` first.');
    process.exit(1);
  }
  const env = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? '?',
    loadBefore: os.loadavg()[0].toFixed(2),
    loadAfter: null,
  };
  const dirs = {};
  const servers = {};
  const failed = new Map();
  let generator;
  const started = Date.now();
  try {
    for (const stack of stacks) if (stack.fs) dirs[stack.key] = mkdtempSync(path.join(os.tmpdir(), `napi-session-bench-${stack.key}-`));
    const execArgv = options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] : [];
    generator = new Child('load generator', path.join(here, 'load.mjs'), []);
    for (const stack of stacks) {
      servers[stack.key] = new Child(stack.label, path.join(here, 'servers', stack.file), stack.args(dirs[stack.key]), execArgv, stack.env);
    }
    for (const stack of stacks) {
      const server = servers[stack.key];
      try {
        server.port = (await server.ready).port;
      } catch (error) {
        failed.set(stack.key, `did not start: ${error.message}`);
      }
    }

    log(`creating ${options.sessions} sessions per stack…`);
    const pools = {};
    for (const stack of stacks) {
      if (failed.has(stack.key)) continue;
      try {
        const { cookies, secondVisits } = await generator.call({
          type: 'create',
          port: servers[stack.key].port,
          count: options.sessions,
          concurrency: options.concurrency,
        });
        if (stack.key !== 'bare' && secondVisits !== cookies.length) {
          throw new Error(`only ${secondVisits} of ${cookies.length} sessions counted a second visit`);
        }
        pools[stack.key] = cookies;
      } catch (error) {
        failed.set(stack.key, error.message);
      }
    }

    log(`measuring: ${options.rounds} rounds × ${stacks.length} stacks × ${options.warmup} + ${options.duration} s`);
    const results = await measure(options, stacks, servers, generator, pools, failed);
    const { summary, ratios } = summarize(stacks, results);
    const stored = stacks.filter((s) => s.fs && dirs[s.key]).map((s) => ({ key: s.key, label: s.label, ...storedSize(dirs[s.key]) }));

    let checked = null;
    if (options.checks) {
      log('correctness checks…');
      checked = await checks(options, stacks.filter((s) => !failed.has(s.key)), servers, generator);
      for (const stack of stacks.filter((s) => s.ours && checked[s.key])) {
        const c = checked[stack.key];
        const l = c.lostUpdates;
        if (l.error || l.lost !== 0 || l.failedRequests !== 0) failed.set(`${stack.key} lost updates`, JSON.stringify(l));
        if (c.destroyedComesBack.error || c.destroyedComesBack.cameBack) {
          failed.set(`${stack.key} destroyed session`, JSON.stringify(c.destroyedComesBack));
        }
      }
    }
    env.loadAfter = os.loadavg()[0].toFixed(2);
    env.seconds = Math.round((Date.now() - started) / 1000);

    const text = report(options, env, stacks, summary, ratios, checked, failed, stored);
    if (options.json) {
      log(text);
      const json = { env, options, summary, ratios, checks: checked, stored, failed: Object.fromEntries(failed), rounds: results };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      process.stdout.write(`${text}\n`);
    }
    log(`(${env.seconds} s)`);
  } finally {
    await Promise.all([generator?.stop(), ...Object.values(servers).map((s) => s.stop())]);
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed.size > 0 ? 1 : 0;
}

main().catch((error) => {
  log(error?.stack ?? String(error));
  process.exitCode = 1;
});
