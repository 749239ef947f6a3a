// Astro's own session (AstroSession from the real `astro` package, imported by file path as its
// package exports do not expose it), for interoperability tests: what Astro writes,
// napi-session must read, and the other way round.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const astroDir = path.dirname(require.resolve('astro/package.json'));
const importAstro = (file) => import(pathToFileURL(path.join(astroDir, file)).href);

const { AstroSession, PERSIST_SYMBOL } = await importAstro('dist/core/session/runtime.js');
const { AstroCookies } = await importAstro('dist/core/cookies/index.js');

const logger = { error() {}, warn() {}, info() {}, debug() {} };

/**
 * One request's Astro session.
 * @param {object} options
 * @param {(options: object) => object} options.driverFactory an unstorage driver, e.g. fs-lite
 * @param {object} options.driverOptions its options, e.g. { base }
 * @param {string} [options.cookieHeader] the request's Cookie header
 * @param {number} [options.ttl] Astro's session ttl (seconds)
 * @returns {{ session: any, persist: () => Promise<string[]> }} persist() saves the session and
 *   returns the Set-Cookie headers Astro would send.
 */
export function astroSession({ driverFactory, driverOptions, cookieHeader = '', ttl, cookie }) {
  const request = new Request('http://localhost/', { headers: { cookie: cookieHeader } });
  const cookies = new AstroCookies(request, logger);
  const session = new AstroSession({
    cookies,
    config: { driver: driverFactory.name || 'test', options: driverOptions, ttl, cookie },
    runtimeMode: 'development',
    driverFactory,
    mockStorage: null,
    logger,
  });
  return {
    session,
    async persist() {
      await session[PERSIST_SYMBOL]();
      return [...cookies.headers()];
    },
  };
}

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
