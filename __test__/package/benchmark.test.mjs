// The benchmark (npm run bench) runs: a very short run of a few stacks in both modes completes,
// exits 0 and prints every column, with every figure measured; the chart and the Markdown report
// are written. And the statistics take ratios within each round, as benchmark/README.md says.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COLUMN_HEADERS, RATIO_HEADERS } from '../../benchmark/lib/report.mjs';
import { MODES } from '../../benchmark/lib/modes.mjs';
import { selectStacks } from '../../benchmark/lib/stacks.mjs';
import { summarize } from '../../benchmark/lib/stats.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'napi-session-bench-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const STACKS = ['bare', 'ours-memory', 'astro-memory', 'express-memory', 'ours-redis'];

/** Runs benchmark/session.mjs; resolves to { code, stdout, stderr }. */
function bench(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['benchmark/session.mjs', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench', () => {
  it('runs a few stacks in both modes, prints every column and writes the chart', { timeout: 60_000 }, async () => {
    // In a folder that does not exist yet, as benchmark/results/ in a fresh clone.
    const svg = path.join(scratch, 'results', 'bench.svg');
    const markdown = path.join(scratch, 'results', 'bench.md');
    const { code, stdout, stderr } = await bench([
      `--stacks=${STACKS.join(',')}`,
      '--rounds=1',
      '--duration=0.3',
      '--warmup=0.1',
      '--sessions=80',
      '--lost=20',
      '--json',
      `--svg=${svg}`,
      `--markdown=${markdown}`,
    ]);
    assert.equal(code, 0, stderr);

    // The table (on stderr with --json): both modes, every column, every stack, the checks.
    for (const mode of Object.values(MODES)) assert.ok(stderr.includes(mode.label), `mode ${mode.label} in the report`);
    for (const header of [...COLUMN_HEADERS, ...RATIO_HEADERS]) assert.ok(stderr.includes(header), `column ${header}`);
    for (const stack of selectStacks(STACKS)) assert.ok(stderr.includes(stack.label), `stack ${stack.label}`);
    assert.match(stderr, /lost updates: 20 concurrent set\(\) on one session/);
    assert.match(stderr, /napi-session memory\s+20 of 20 keys present\s+no/);

    // The figures behind it: measured, finite, positive.
    const run = JSON.parse(stdout);
    assert.deepEqual(Object.keys(run.modes), ['isolated', 'contention']);
    assert.deepEqual(run.failed, {});
    for (const mode of Object.values(run.modes)) {
      for (const key of STACKS) {
        const s = mode.summary[key];
        assert.equal(s.rounds, 1, `${mode.key} ${key}`);
        for (const figure of ['rps', 'p50', 'p99', 'serverCpuPerRequest', 'jsThreadCpuPerRequest']) {
          assert.ok(s[figure].median > 0, `${mode.key} ${key} ${figure}: ${s[figure].median}`);
        }
        // The JS thread is one of the server's threads.
        assert.ok(s.jsThreadCpuPerRequest.median <= s.serverCpuPerRequest.median * 1.01, `${mode.key} ${key}: JS thread within the process`);
        if (key !== 'bare') assert.ok(s.fractionOfBare.median > 0);
      }
      assert.ok(mode.summary['ours-redis'].redisCpuPerRequest.median > 0, 'Redis CPU measured');
      // At least a read and a write per request.
      assert.ok(mode.summary['ours-redis'].redisCommandsPerRequest.median >= 2, 'Redis commands counted');
      assert.equal(mode.summary['ours-memory'].redisCpuPerRequest.median, null, 'no Redis CPU without Redis (NaN in JSON)');
      const labels = mode.ratios.map((r) => `${r.ours}/${r.other}`);
      assert.deepEqual(labels, ['ours-memory/astro-memory', 'ours-memory/express-memory']);
      for (const r of mode.ratios) assert.ok(r.rps.median > 0 && r.jsThreadCpu.median > 0);
      assert.ok(mode.stored.some((s) => s.key === 'ours-redis' && s.medianBytes > 1000), 'stored size of the redis stack');
    }
    assert.equal(run.modes.contention.settings.pick, 'random');
    assert.equal(run.modes.contention.settings.cartItems, 20);

    const chart = readFileSync(svg, 'utf8');
    assert.match(chart, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(chart.trimEnd().endsWith('</svg>'));
    for (const stack of selectStacks(STACKS)) assert.ok(chart.includes(`>${stack.label}<`), `chart: ${stack.label}`);
    assert.match(chart, /× Astro/);
    assert.match(chart, /--stacks=bare,ours-memory/, 'the command in the caption');
    assert.match(readFileSync(markdown, 'utf8'), /^\| stack \| req\/s median \[min–max\] \|/m);
  });

  it('runs the floor stack beside napi-session, and the floor passes the same checks', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await bench([
      '--stacks=bare,ours-memory,floor-memory',
      '--mode=isolated',
      '--rounds=1',
      '--duration=0.3',
      '--warmup=0.1',
      '--sessions=40',
      '--lost=20',
      '--json',
    ]);
    assert.equal(code, 0, stderr);
    // A store that lost updates or revived a destroyed session would not be a floor of this one.
    assert.match(stderr, /floor: JS Map of V8 bytes\s+20 of 20 keys present\s+no/);
    const floor = JSON.parse(stdout).modes.isolated.summary['floor-memory'];
    assert.ok(floor.rps.median > 0 && floor.jsThreadCpuPerRequest.median > 0);
  });
});

describe('benchmark statistics', () => {
  it('takes ratios within each round, then the median over the rounds', () => {
    const stacks = selectStacks(['bare', 'ours-memory', 'astro-memory']);
    const m = (round, rps, cpu) => ({ round, rps, p50: 1, p99: 1, serverCpuPerRequest: cpu, jsThreadCpuPerRequest: cpu / 2 });
    // Round 2 is twice as fast for everyone (noise): the ratios must not see it.
    const results = {
      bare: [m(0, 10_000, 10), m(1, 20_000, 10), m(2, 10_000, 10)],
      'ours-memory': [m(0, 1_000, 100), m(1, 2_000, 100), m(2, 1_200, 100)],
      'astro-memory': [m(0, 500, 200), m(1, 1_000, 200), m(2, 400, 300)],
    };
    const { summary, ratios } = summarize(stacks, results);
    const [ours] = ratios;
    assert.deepEqual(ours.rps.values, [2, 2, 3]);
    assert.equal(ours.rps.median, 2);
    assert.deepEqual([ours.rps.min, ours.rps.max], [2, 3]);
    assert.deepEqual(ours.jsThreadCpu.values, [0.5, 0.5, 1 / 3]);
    assert.deepEqual(summary['ours-memory'].fractionOfBare.values, [0.1, 0.1, 0.12]);
    assert.equal(summary['ours-memory'].rps.median, 1_200);
    assert.equal(summary['ours-memory'].rpsOfAstro.median, 2);
    // 1/rps − 1/rps of bare, in µs.
    assert.equal(summary['ours-memory'].costPerRequest.values[0], 900);
  });
});
