// Astro 7's own session stack, as Astro runs it for a page: AstroSession (from the real `astro`
// package) over unstorage with the memory or the fs-lite driver, values cloned and stored with
// devalue, cookies read and written through AstroCookies, and the session persisted with its
// PERSIST symbol at the end of the request — as __test__/helpers/astro-session.mjs does, except
// that the request handed to AstroCookies is a minimal object with `headers.get`, not a Fetch
// `Request`: Astro's Node adapter builds that Request for every page, session or not, so its cost
// is not session work and is left out (in Astro's favour).
//
//   node astro.mjs memory
//   node astro.mjs fs-lite <directory>

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { COOKIE_NAME, TTL, sessionHandler, start } from './workload.mjs';

const require = createRequire(import.meta.url);
const astroDir = path.dirname(require.resolve('astro/package.json'));
// Not in the package's exports, so imported by file path (as the test helper does).
const importAstro = (file) => import(pathToFileURL(path.join(astroDir, file)).href);
const { AstroSession, PERSIST_SYMBOL } = await importAstro('dist/core/session/runtime.js');
const { AstroCookies } = await importAstro('dist/core/cookies/index.js');

const [driverName, base] = process.argv.slice(2);
const driverFactory =
  driverName === 'fs-lite'
    ? (await import('unstorage/drivers/fs-lite')).default
    : (await import('unstorage/drivers/memory')).default;
const config = { driver: driverName, options: driverName === 'fs-lite' ? { base } : {}, ttl: TTL, cookie: COOKIE_NAME };
const logger = { error() {}, warn() {}, info() {}, debug() {} };

start(`astro ${driverName}`, sessionHandler((req) => {
  const cookieHeader = req.headers.cookie ?? null;
  const cookies = new AstroCookies({ headers: { get: (name) => (name === 'cookie' ? cookieHeader : null) } }, logger);
  const session = new AstroSession({ cookies, config, runtimeMode: 'development', driverFactory, mockStorage: null, logger });
  return {
    session,
    async persist() {
      await session[PERSIST_SYMBOL]();
      return [...cookies.headers()];
    },
  };
}));
