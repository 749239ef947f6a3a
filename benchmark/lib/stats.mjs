// Statistics over the rounds. Every figure of one stack is summarized over the rounds as median
// [min–max]; every figure that relates two stacks (a ratio, a fraction of bare, a cost over
// bare) is taken within each round first — the two were measured seconds apart, so a burst of
// noise on a shared machine falls on both — and then summarized.

import { BASELINE, astroOf, comparisons } from './stacks.mjs';

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** { median, min, max, values } of one figure over the rounds (NaNs kept in values, not counted). */
export function spread(values) {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    values,
  };
}

/** The figures of one stack's measurement that are summarized over the rounds. */
export const FIGURES = [
  'rps',
  'p50',
  'p99',
  'serverCpuPerRequest',
  'jsThreadCpuPerRequest',
  'redisCpuPerRequest',
  'redisCommandsPerRequest',
  'serverCores',
  'generatorCpuPerRequest',
  'otherCores',
  'failureRate',
  'overlapRate',
];

/**
 * One mode's results → per stack, each figure's spread and its relation to bare; per comparison
 * (napi-session against Astro and express-session on one driver), the ratios ours / other.
 * @param {object[]} stacks
 * @param {Record<string, object[]>} results stack key → its measurements, each with `round`
 */
export function summarize(stacks, results) {
  const inRound = (key, round) => results[key]?.find((r) => r.round === round);
  /** f(measurement of a, measurement of b) for every round both have, summarized. */
  const paired = (a, b, f) =>
    spread((results[a] ?? []).map((ra) => {
      const rb = inRound(b, ra.round);
      return rb ? f(ra, rb) : NaN;
    }));

  const summary = {};
  for (const stack of stacks) {
    const list = results[stack.key] ?? [];
    const entry = { label: stack.label, rounds: list.length };
    for (const figure of FIGURES) entry[figure] = spread(list.map((r) => r[figure] ?? NaN));
    if (results[BASELINE] && stack.key !== BASELINE) {
      entry.fractionOfBare = paired(stack.key, BASELINE, (r, b) => r.rps / b.rps);
      // The time per request the session work adds at this concurrency.
      entry.costPerRequest = paired(stack.key, BASELINE, (r, b) => 1e6 / r.rps - 1e6 / b.rps);
      entry.cpuOverBare = paired(stack.key, BASELINE, (r, b) => r.serverCpuPerRequest - b.serverCpuPerRequest);
    }
    const astro = astroOf(stacks, stack);
    if (astro && astro.key !== stack.key && results[astro.key]) {
      entry.rpsOfAstro = paired(stack.key, astro.key, (r, a) => r.rps / a.rps);
    }
    summary[stack.key] = entry;
  }

  const ratios = comparisons(stacks)
    .filter((c) => results[c.ours]?.length && results[c.other]?.length)
    .map((c) => ({
      ...c,
      rps: paired(c.ours, c.other, (o, t) => o.rps / t.rps),
      p99: paired(c.ours, c.other, (o, t) => o.p99 / t.p99),
      jsThreadCpu: paired(c.ours, c.other, (o, t) => o.jsThreadCpuPerRequest / t.jsThreadCpuPerRequest),
      serverCpu: paired(c.ours, c.other, (o, t) => o.serverCpuPerRequest / t.serverCpuPerRequest),
      redisCpu: paired(c.ours, c.other, (o, t) => o.redisCpuPerRequest / t.redisCpuPerRequest),
    }));
  return { summary, ratios };
}

/**
 * What the measurements of one mode say about the conditions: cores other processes kept busy,
 * the load generator's CPU per request, and how often a request overlapped another of its session.
 */
export function summarizeNoise(stacks, results) {
  const all = Object.values(results).flat();
  return {
    otherCores: spread(all.map((r) => r.otherCores)),
    generatorCpuPerRequest: spread(all.map((r) => r.generatorCpuPerRequest)),
    overlapRate: spread(stacks.filter((s) => s.family !== 'bare').flatMap((s) => results[s.key]?.map((r) => r.overlapRate) ?? [])),
  };
}
