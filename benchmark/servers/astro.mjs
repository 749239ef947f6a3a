// Astro 7's own session stack, as Astro runs it for a page (benchmark/harness/astro-session.mjs):
// AstroSession over unstorage with the memory, fs-lite or redis driver, values cloned and stored
// with devalue, cookies read and written through AstroCookies, and the session persisted at the
// end of the request.
//
//   node astro.mjs memory
//   node astro.mjs fs-lite <directory>
//   node astro.mjs redis <url>               (keys `astro:<id>`)

import { astroDriver, astroSession } from '../harness/astro-session.mjs';
import { COOKIE_NAME, TTL, sessionHandler, start } from './workload.mjs';

const [driver, where] = process.argv.slice(2);
const driverFactory = await astroDriver(driver);
const OPTIONS = { memory: {}, 'fs-lite': { base: where }, redis: { url: where, base: 'astro' } };
const driverOptions = OPTIONS[driver];

start(`astro ${driver}`, sessionHandler((req) =>
  astroSession({ driverFactory, driverOptions, driver, cookieHeader: req.headers.cookie ?? null, ttl: TTL, cookie: COOKIE_NAME }),
));
