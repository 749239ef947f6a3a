// One mode of the benchmark: the servers of every stack started fresh (fresh stores), a pool of
// sessions created on each, then rounds in which the stacks take turns under the same load.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from './child.mjs';
import { coresBusy, machineCpu } from './machine.mjs';
import { median } from './stats.mjs';

const benchmarkDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

// The fs stacks' directories, removed when the servers stop, or when this process exits without
// stopping them (an error, Ctrl-C: the redis-server harness turns signals into an exit).
const directories = new Set();
process.on('exit', () => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

/** Where the time of a run goes: for the estimate printed before it starts. */
export const estimateSeconds = (options, stackCount, modeCount) =>
  modeCount * options.rounds * stackCount * (options.warmup + options.duration);

/**
 * The servers of `stacks`, started for `mode` (the cart size goes in the environment), each
 * `{ stack, child, port, dir }`; a stack whose server does not start is recorded in `failed`.
 */
export async function startServers({ mode, stacks, node, redis, cpuProf, failed, failKey }) {
  const servers = {};
  for (const stack of stacks) {
    const dir = stack.needs === 'dir' ? mkdtempSync(path.join(os.tmpdir(), `napi-session-bench-${stack.key}-`)) : undefined;
    if (dir) directories.add(dir);
    const args = stack.args({ dir, redisUrl: redis?.url });
    const child = new Child(stack.label, path.join(benchmarkDir, 'servers', stack.server), args, {
      execPath: node.path,
      execArgv: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [],
      env: { BENCH_CART_ITEMS: String(mode.cartItems), ...stack.env },
    });
    servers[stack.key] = { stack, child, dir, port: undefined };
  }
  for (const server of Object.values(servers)) {
    try {
      server.port = (await server.child.ready).port;
    } catch (error) {
      failed.set(failKey(server.stack), `did not start: ${error.message}`);
    }
  }
  return servers;
}

export async function stopServers(servers) {
  await Promise.all(Object.values(servers).map((s) => s.child.stop()));
  for (const { dir } of Object.values(servers)) {
    if (!dir) continue;
    rmSync(dir, { recursive: true, force: true });
    directories.delete(dir);
  }
}

/**
 * A pool of `mode.sessions` sessions on every server, as `Cookie` values; each session is created
 * by a first request and then sent once more, which must count a second visit (a stack that
 * drops its sessions would otherwise be timed creating new ones).
 */
export async function createPools({ mode, servers, generator, failed, failKey }) {
  const pools = {};
  for (const { stack, port } of Object.values(servers)) {
    if (failed.has(failKey(stack))) continue;
    try {
      const { cookies, secondVisits } = await generator.call({ type: 'create', port, count: mode.sessions, concurrency: mode.concurrency });
      if (stack.family !== 'bare' && secondVisits !== cookies.length) {
        throw new Error(`only ${secondVisits} of ${cookies.length} sessions counted a second visit`);
      }
      pools[stack.key] = cookies;
    } catch (error) {
      failed.set(failKey(stack), error.message);
    }
  }
  return pools;
}

/**
 * One measurement of one stack: the load generator's run, with the CPU time of the server (all
 * its threads, and its JS thread alone), of the private redis-server, and of the machine, read
 * before and after it. Per-request figures divide by every request of the run, warm-up included,
 * as the CPU readings cover the warm-up too.
 */
async function measureOnce({ mode, options, server, pool, generator, redis }) {
  const machineBefore = machineCpu();
  const redisBefore = server.stack.needs === 'redis' ? await redis.usage() : null;
  const before = await server.child.call({ type: 'cpu' });
  const result = await generator.call({
    type: 'run',
    port: server.port,
    cookies: pool,
    concurrency: mode.concurrency,
    warmup: options.warmup,
    duration: options.duration,
    pick: mode.pick,
  });
  const after = await server.child.call({ type: 'cpu' });
  const redisAfter = server.stack.needs === 'redis' ? await redis.usage() : null;
  const machineAfter = machineCpu();

  const serverCpu = after.micros - before.micros;
  const redisCpu = redisBefore ? redisAfter.cpuMicros - redisBefore.cpuMicros : NaN;
  // Less the INFO that read `redisAfter`.
  const redisCommands = redisBefore ? redisAfter.commands - redisBefore.commands - 1 : NaN;
  result.serverCpuPerRequest = serverCpu / result.total;
  result.jsThreadCpuPerRequest = (after.jsThreadMicros - before.jsThreadMicros) / result.total;
  result.redisCpuPerRequest = redisCpu / result.total;
  result.redisCommandsPerRequest = redisCommands / result.total;
  // Cores busy on average during the run: the server's, the generator's, Redis's, everyone's.
  result.serverCores = serverCpu / 1e6 / result.elapsed;
  result.generatorCores = (result.generatorCpuPerRequest * result.total) / 1e6 / result.elapsed;
  result.redisCores = Number.isFinite(redisCpu) ? redisCpu / 1e6 / result.elapsed : 0;
  result.machineCores = coresBusy(machineBefore, machineAfter);
  result.otherCores = Math.max(0, result.machineCores - result.serverCores - result.generatorCores - result.redisCores);
  result.serverErrors = after.errors - before.errors;
  result.rss = after.rss;
  if (result.requests === 0) throw new Error('no request completed in the measured window');
  // Throughput counts the answers that did the work (the generator's rps: 200s only); failures
  // are a figure of their own. They fail the run for napi-session (and bare); for the others they are what the run shows (Astro's
  // fs-lite driver, whose writes are not atomic, answers 500 when a read meets a half-written file).
  const failures = result.requests - (result.statuses[200] ?? 0);
  result.failureRate = failures / result.requests;
  result.overlapRate = result.overlapping / result.total;
  if (failures > 0 && (server.stack.family === 'ours' || server.stack.family === 'bare')) {
    throw new Error(`${failures} of ${result.requests} responses were not 200: ${JSON.stringify(result.statuses)}`);
  }
  return result;
}

/** The rounds: every stack once per round, the order rotated each round. */
export async function measureRounds({ mode, options, servers, pools, generator, redis, failed, failKey, log }) {
  const live = Object.values(servers);
  const results = Object.fromEntries(live.map((s) => [s.stack.key, []]));
  for (let round = 0; round < options.rounds; round++) {
    // Rotated, so every stack runs early and late in a round as often as the others.
    const order = live.map((_, i) => live[(i + round) % live.length]);
    const line = [];
    for (const server of order) {
      if (failed.has(failKey(server.stack))) continue;
      try {
        const result = await measureOnce({ mode, options, server, pool: pools[server.stack.key], generator, redis });
        result.round = round;
        results[server.stack.key].push(result);
        line.push(`${server.stack.key} ${Math.round(result.rps)}`);
      } catch (error) {
        failed.set(failKey(server.stack), error.message);
        log(`  ${server.stack.label} FAILED: ${error.message}`);
      }
    }
    log(`  round ${round + 1}/${options.rounds}: ${line.join(', ')} req/s`);
  }
  return results;
}

/** Median size of the sessions a stack stored (files for fs, values for redis), or null. */
export async function storedSize(server, redis) {
  let sizes;
  if (server.dir) {
    sizes = readdirSync(server.dir)
      .filter((name) => !name.startsWith('.'))
      .map((name) => statSync(path.join(server.dir, name)).size);
  } else if (server.stack.redisPrefix && redis) {
    sizes = await redis.storedLengths(server.stack.redisPrefix);
  } else {
    return null;
  }
  sizes = sizes.filter((size) => size > 0);
  return sizes.length ? { sessions: sizes.length, medianBytes: median(sizes) } : null;
}
