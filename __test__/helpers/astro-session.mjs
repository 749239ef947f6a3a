// Astro's own session for the interoperability tests (what Astro writes, napi-session must read,
// and the other way round): the harness the benchmark uses too, and the values to exchange.
import assert from 'node:assert/strict';

export { astroSession } from '../../benchmark/harness/astro-session.mjs';

/** Values of every kind Astro's devalue setup stores specially, for the interop tests. */
export const interopValues = () => ({
  date: new Date('2025-01-02T03:04:05.678Z'),
  map: new Map([['tea', { qty: 2 }]]),
  set: new Set([1, 'two']),
  url: new URL('https://shop.example/cart?x=1'),
  big: -(2n ** 70n),
});

/** Checks that `read` holds interopValues(), as napi-session or Astro read them back. */
export function assertInteropValues(read) {
  const expected = interopValues();
  assert.deepStrictEqual(read.date, expected.date);
  assert.deepStrictEqual(read.map, expected.map);
  assert.deepStrictEqual(read.set, expected.set);
  assert.ok(read.url instanceof URL);
  assert.equal(read.url.href, expected.url.href);
  assert.equal(read.big, expected.big);
}
