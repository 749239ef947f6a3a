// Astro 7's own session stack for one request, outside Astro: `AstroSession` (from the real `astro`
// package) over an unstorage driver, its cookie read and written through `AstroCookies`, the
// session persisted with its PERSIST symbol at the end of the request, as Astro's pipeline does.
// The one copy of this harness: the interoperability tests (through __test__/helpers/
// astro-session.mjs), the benchmark's Astro server (servers/astro.mjs) and breakdown.mjs use it.
//
// `AstroCookies` gets a minimal request, `{ headers: { get } }`, not a Fetch `Request`: it reads
// only the Cookie header of it, and Astro's Node adapter builds that `Request` for every page,
// session or not, so building one here would time HTTP plumbing, not session work (leaving it out
// favours Astro in the benchmark).

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const astroDir = path.dirname(require.resolve('astro/package.json'));
// Not in the package's exports, so imported by file path.
const importAstro = (file) => import(pathToFileURL(path.join(astroDir, file)).href);

const { AstroSession, PERSIST_SYMBOL } = await importAstro('dist/core/session/runtime.js');
const { AstroCookies } = await importAstro('dist/core/cookies/index.js');

const logger = { error() {}, warn() {}, info() {}, debug() {} };

/** unstorage's drivers as Astro's `session.driver` names them. */
const DRIVERS = {
  memory: () => import('unstorage/drivers/memory'),
  'fs-lite': () => import('unstorage/drivers/fs-lite'),
  redis: () => import('unstorage/drivers/redis'),
};

/** The unstorage driver factory Astro uses for `session.driver: name`. */
export async function astroDriver(name) {
  const load = DRIVERS[name];
  if (!load) throw new Error(`no unstorage driver ${name} here (one of ${Object.keys(DRIVERS).join(', ')})`);
  return (await load()).default;
}

/**
 * One request's Astro session.
 * @param {object} options
 * @param {(options: object) => object} options.driverFactory an unstorage driver, e.g. fs-lite
 * @param {object} [options.driverOptions] its options, e.g. { base }
 * @param {string} [options.driver] Astro's `session.driver` name. AstroSession keeps one storage
 *   per name for the whole process (its driver factory is called once per name).
 * @param {string | null} [options.cookieHeader] the request's Cookie header
 * @param {number} [options.ttl] Astro's session ttl (seconds)
 * @param {string} [options.cookie] the session cookie's name (Astro's default: astro-session)
 * @returns {{ session: any, persist: () => Promise<string[]> }} persist() saves the session and
 *   returns the Set-Cookie headers Astro would send.
 */
export function astroSession({ driverFactory, driverOptions = {}, driver = driverFactory.name || 'test', cookieHeader = null, ttl, cookie }) {
  const request = { headers: { get: (name) => (name.toLowerCase() === 'cookie' ? cookieHeader : null) } };
  const cookies = new AstroCookies(request, logger);
  const session = new AstroSession({
    cookies,
    config: { driver, options: driverOptions, ttl, cookie },
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
