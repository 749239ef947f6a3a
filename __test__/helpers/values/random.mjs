// Seeded randomness for the codec tests: the same seed gives the same values on every run and
// machine. A test draws case `i` of a run from `caseRandom(seed, i)`, so one failing case can be
// replayed alone (CODEC_SEED=<seed> CODEC_CASE=<i>). Also Astro's URL reducer and reviver, which
// every codec test compares with.

/** Astro's URL reducer and reviver: how a session stores a URL. */
export const URL_REDUCER = { URL: (value) => value instanceof URL && value.href };
export const URL_REVIVER = { URL: (href) => new URL(href) };

export const DEFAULT_SEED = 0x5e55_1011;

/** The seed of a run: `CODEC_SEED` (decimal or 0x…) when set, else `fallback`. */
export function seedFromEnv(fallback = DEFAULT_SEED) {
  const raw = process.env.CODEC_SEED;
  if (raw === undefined || raw.trim() === '') return fallback >>> 0;
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new Error(`CODEC_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return seed >>> 0;
}

/** `CODEC_CASE`: run only this case index (to replay one failure), or undefined. */
export function caseFromEnv() {
  const raw = process.env.CODEC_CASE;
  if (raw === undefined || raw.trim() === '') return undefined;
  const index = Number(raw);
  if (!Number.isInteger(index) || index < 0) throw new Error(`CODEC_CASE must be an index, got ${raw}`);
  return index;
}

/** A small PRNG (mulberry32): 32 bits of state, good enough to pick test values. */
export class Random {
  constructor(seed) {
    this.state = seed >>> 0;
  }

  uint32() {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  float() {
    return this.uint32() / 2 ** 32;
  }

  /** An integer in [0, n). */
  int(n) {
    return Math.floor(this.float() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  chance(p) {
    return this.float() < p;
  }

  pick(items) {
    return items[this.int(items.length)];
  }

  /** `choices` is [[weight, value], …]. */
  weighted(choices) {
    let total = 0;
    for (const [weight] of choices) total += weight;
    let r = this.float() * total;
    for (const [weight, value] of choices) {
      r -= weight;
      if (r < 0) return value;
    }
    return choices[choices.length - 1][1];
  }

  bytes(n) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = this.uint32() & 0xff;
    return bytes;
  }
}

/** The seed of case `index` of a run: a hash of both, so cases are independent of each other. */
export function caseSeed(seed, index) {
  let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

export function caseRandom(seed, index) {
  return new Random(caseSeed(seed, index));
}

// ---------------------------------------------------------------------------------------------
// Leaves

