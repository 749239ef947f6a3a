// napi-session: createSessions + fromRequest + get/set + commit, on the memory, fs or redis driver.
//
//   node napi-session.mjs memory
//   node napi-session.mjs fs <directory>
//   node napi-session.mjs redis <url>        (keys `ours:<id>`)

import { createSessions } from '../../index.mjs';
import { COOKIE_NAME, TTL, sessionHandler, start } from './workload.mjs';

const [driverName, where] = process.argv.slice(2);
const DRIVERS = {
  memory: () => ({ name: 'memory' }),
  fs: () => ({ name: 'fs', base: where }),
  redis: () => ({ name: 'redis', url: where, base: 'ours' }),
};
const sessions = createSessions({ driver: DRIVERS[driverName](), cookie: COOKIE_NAME, ttl: TTL });

start(`napi-session ${driverName}`, sessionHandler((req) => {
  const session = sessions.fromRequest(req);
  return { session, persist: () => session.commit() };
}));
