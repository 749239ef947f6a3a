// The main benchmark: napi-session against Astro 7's own sessions, express-session and a bare
// node:http server, on the same workload, side by side in one run, in two modes (each session on
// its own connection; sessions drawn at random, so that requests of one session overlap). See
// benchmark/README.md.
//
//   npm run bench                        (both modes, every stack: about 7 minutes)
//   npm run bench -- --quick             (about 2 minutes)
//   npm run bench -- --json              (JSON on stdout; the table goes to stderr)
//   npm run bench -- --help              (all options)
//
// Each stack is a server in its own child process (servers/), the load generator is another
// (load.mjs), the redis stacks share a private redis-server, and this process only orchestrates:
//
//   lib/options.mjs   the command line          lib/stacks.mjs   the stacks, and what compares with what
//   lib/modes.mjs     the two modes             lib/run.mjs      servers, session pools, the rounds
//   lib/child.mjs     child processes (IPC)     lib/checks.mjs   correctness under concurrency
//   lib/redis.mjs     the private redis-server  lib/stats.mjs    medians, spreads, ratios within rounds
//   lib/machine.mjs   the machine and its noise lib/report.mjs   the tables (text, Markdown)
//   lib/node-binary.mjs  --node                 lib/svg.mjs      the chart

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFailures, runChecks } from './lib/checks.mjs';
import { Child } from './lib/child.mjs';
import { describeMachine } from './lib/machine.mjs';
import { resolveNode } from './lib/node-binary.mjs';
import { HELP, parseArgs, selectModes } from './lib/options.mjs';
import { BenchRedis } from './lib/redis.mjs';
import { report } from './lib/report.mjs';
import { createPools, estimateSeconds, measureRounds, startServers, stopServers, storedSize } from './lib/run.mjs';
import { selectStacks } from './lib/stacks.mjs';
import { summarize, summarizeNoise } from './lib/stats.mjs';
import { chart } from './lib/svg.mjs';
import { jsThreadCpuSource } from './lib/thread-cpu.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const log = (line) => process.stderr.write(`${line}\n`);

/** How to run this again, for the report and the chart. */
function commandLine() {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args ? ` -- ${args}` : ''}` : `node benchmark/session.mjs ${args}`.trim();
}

/** One mode: fresh servers, their session pools, the rounds, what they stored; the checks if asked. */
async function runMode({ mode, options, stacks, node, redis, generator, failed, withChecks }) {
  const failKey = (stack) => `${mode.key} ${stack.key}`;
  log(`■ ${mode.label}: ${mode.description}`);
  if (redis) await redis.flush();
  const servers = await startServers({ mode, stacks, node, redis, cpuProf: options.cpuProf, failed, failKey });
  try {
    log(`  creating ${mode.sessions} sessions per stack…`);
    const pools = await createPools({ mode, servers, generator, failed, failKey });
    const results = await measureRounds({ mode, options, servers, pools, generator, redis, failed, failKey, log });
    const { summary, ratios } = summarize(stacks, results);
    const stored = [];
    for (const server of Object.values(servers)) {
      const size = await storedSize(server, redis);
      if (size) stored.push({ key: server.stack.key, label: server.stack.label, ...size });
    }
    const noise = summarizeNoise(stacks, results);
    let checks = null;
    if (withChecks) {
      log('  correctness checks…');
      checks = await runChecks({ servers: Object.fromEntries(Object.entries(servers).filter(([, s]) => !failed.has(failKey(s.stack)))), generator, lost: options.lost });
      for (const stack of stacks) {
        for (const message of checkFailures(stack, checks[stack.key])) failed.set(`${stack.key} ${message.split(':')[0]}`, message);
      }
    }
    return { key: mode.key, label: mode.label, description: mode.description, settings: mode, summary, ratios, stored, noise, rounds: results, checks };
  } finally {
    await stopServers(servers);
  }
}

/** What the command line asks for; a mistake in it ends the run with its message alone. */
function configure() {
  try {
    const options = parseArgs(process.argv.slice(2));
    if (options.help) return { help: true };
    const stacks = selectStacks(options.stacks);
    const modes = selectModes(options);
    if (!readdirSync(root).some((name) => /^napi-session\..*\.node$/.test(name))) {
      throw new Error('The addon is not built: run `npm run build` first.');
    }
    return { options, stacks, modes, node: resolveNode(options.node) };
  } catch (error) {
    log(error.message);
    process.exit(2);
  }
}

async function main() {
  const { help, options, stacks, modes, node } = configure();
  if (help) return process.stdout.write(HELP);
  const env = {
    node: process.version,
    serverNode: node,
    machine: describeMachine(),
    jsThreadCpuSource,
    loadBefore: os.loadavg()[0].toFixed(2),
    loadAfter: null,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(),
  };
  const failed = new Map();
  const started = Date.now();
  const estimate = estimateSeconds(options, stacks.length, modes.length);
  log(`measuring ${modes.length} mode(s) × ${options.rounds} rounds × ${stacks.length} stacks × ${options.warmup} + ${options.duration} s ` +
    `(${Math.round(estimate)} s, plus session pools${options.checks ? ' and checks' : ''})`);

  let redis = null;
  let generator = null;
  const run = { env, options, stacks, modes: {}, checks: null, failed };
  try {
    if (stacks.some((s) => s.needs === 'redis')) redis = await BenchRedis.start();
    generator = new Child('load generator', path.join(here, 'load.mjs'), []);
    for (const [i, mode] of modes.entries()) {
      // The checks once, on the last mode's servers, after their measurements.
      const result = await runMode({ mode, options, stacks, node, redis, generator, failed, withChecks: options.checks && i === modes.length - 1 });
      run.modes[mode.key] = result;
      run.checks ??= result.checks;
    }
  } finally {
    await generator?.stop();
    await redis?.stop();
  }
  env.loadAfter = os.loadavg()[0].toFixed(2);
  env.seconds = Math.round((Date.now() - started) / 1000);

  const text = report(run);
  if (options.json) {
    log(text);
    const { stacks: _, ...json } = { ...run, failed: Object.fromEntries(failed) };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(`${text}\n`);
  }
  // The report files' folders are made as needed (benchmark/results/ is not in a fresh clone).
  const writeReport = (file, content) => {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, content);
  };
  if (options.svg) {
    writeReport(options.svg, chart(run));
    log(`chart: ${options.svg}`);
  }
  if (options.markdown) {
    writeReport(options.markdown, `${report(run, { markdown: true })}\n`);
    log(`Markdown: ${options.markdown}`);
  }
  log(`(${env.seconds} s)`);
  process.exitCode = failed.size > 0 ? 1 : 0;
}

main().catch((error) => {
  log(error?.stack ?? String(error));
  process.exitCode = 1;
});
