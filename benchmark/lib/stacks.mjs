// The stacks the benchmark can run, in one place: which server file serves each, with which
// arguments, what it needs (a directory, the private redis-server), and what it is compared with.
// Every stack serves the same workload (servers/workload.mjs) over the same node:http server.
//
// A stack: key (for --stacks), label, family (bare | ours | astro | express), driver (memory |
// fs | redis; none for the bare servers), server (a file in servers/), args({ dir, redisUrl }),
// needs ('dir': a fresh temporary directory; 'redis': the private redis-server), redisPrefix (its
// keys there), env (more environment for the server).

/** The families, as the report names them. */
export const FAMILIES = { bare: 'bare', ours: 'napi-session', astro: 'Astro', express: 'express-session' };

/** The default stacks, in the order tables and charts show them. */
export const STACKS = [
  { key: 'bare', label: 'bare node:http', family: 'bare', server: 'bare.mjs', args: () => [] },

  { key: 'ours-memory', label: 'napi-session memory', family: 'ours', driver: 'memory', server: 'napi-session.mjs', args: () => ['memory'] },
  { key: 'astro-memory', label: 'Astro memory', family: 'astro', driver: 'memory', server: 'astro.mjs', args: () => ['memory'] },
  { key: 'express-memory', label: 'express-session MemoryStore', family: 'express', driver: 'memory', server: 'express-session.mjs', args: () => ['memory'] },

  { key: 'ours-fs', label: 'napi-session fs', family: 'ours', driver: 'fs', server: 'napi-session.mjs', needs: 'dir', args: ({ dir }) => ['fs', dir] },
  { key: 'astro-fs', label: 'Astro fs-lite', family: 'astro', driver: 'fs', server: 'astro.mjs', needs: 'dir', args: ({ dir }) => ['fs-lite', dir] },

  { key: 'ours-redis', label: 'napi-session redis', family: 'ours', driver: 'redis', server: 'napi-session.mjs', needs: 'redis', redisPrefix: 'ours:', args: ({ redisUrl }) => ['redis', redisUrl] },
  { key: 'astro-redis', label: 'Astro redis', family: 'astro', driver: 'redis', server: 'astro.mjs', needs: 'redis', redisPrefix: 'astro:', args: ({ redisUrl }) => ['redis', redisUrl] },
  { key: 'express-redis', label: 'express-session connect-redis', family: 'express', driver: 'redis', server: 'express-session.mjs', needs: 'redis', redisPrefix: 'express:', args: ({ redisUrl }) => ['redis', redisUrl] },
];

/** Stacks for experiments, run only when named in --stacks. */
export const EXTRA_STACKS = [
  // Express's own cost on top of node:http, without a session.
  { key: 'bare-express', label: 'bare Express 5', family: 'bare', server: 'bare-express.mjs', args: () => [] },
  // The floor of any store that copies values: a JS Map of v8.serialize bytes, nothing else.
  { key: 'floor-memory', label: 'floor: JS Map of V8 bytes', family: 'ours', driver: 'memory', server: 'floor.mjs', args: () => [] },
  // One tokio worker thread instead of one per core (tokio reads TOKIO_WORKER_THREADS).
  { key: 'ours-memory-1w', label: 'napi-session memory, 1 tokio worker', family: 'ours', driver: 'memory', server: 'napi-session.mjs', args: () => ['memory'], env: { TOKIO_WORKER_THREADS: '1' } },
  { key: 'ours-fs-1w', label: 'napi-session fs, 1 tokio worker', family: 'ours', driver: 'fs', server: 'napi-session.mjs', needs: 'dir', args: ({ dir }) => ['fs', dir], env: { TOKIO_WORKER_THREADS: '1' } },
];

/** The stack the "of bare" column and the session cost are taken against. */
export const BASELINE = 'bare';

/** The stacks named in `keys` (all of STACKS when null), in the order given. */
export function selectStacks(keys) {
  if (keys === null) return STACKS;
  const all = [...STACKS, ...EXTRA_STACKS];
  return keys.map((key) => {
    const stack = all.find((s) => s.key === key);
    if (!stack) throw new Error(`unknown stack ${key} (known: ${all.map((s) => s.key).join(', ')})`);
    return stack;
  });
}

/**
 * The comparisons among `stacks`: every napi-session stack against every Astro and
 * express-session stack on the same driver.
 */
export function comparisons(stacks) {
  const out = [];
  for (const ours of stacks.filter((s) => s.family === 'ours')) {
    for (const other of stacks.filter((s) => (s.family === 'astro' || s.family === 'express') && s.driver === ours.driver)) {
      out.push({ ours: ours.key, other: other.key, driver: ours.driver, label: `${ours.label} / ${other.label}` });
    }
  }
  return out;
}

/** The Astro stack on `stack`'s driver, which the chart's ratios are taken against (or undefined). */
export const astroOf = (stacks, stack) => stacks.find((s) => s.family === 'astro' && s.driver === stack.driver && stack.driver !== undefined);
