// napi-session: createSessions + fromRequest + get/set + commit, on the memory or the fs driver.
//
//   node napi-session.mjs memory
//   node napi-session.mjs fs <directory>

import { createSessions } from '../../index.mjs';
import { COOKIE_NAME, TTL, sessionHandler, start } from './workload.mjs';

const [driverName, base] = process.argv.slice(2);
const driver = driverName === 'fs' ? { name: 'fs', base } : { name: 'memory' };
const sessions = createSessions({ driver, cookie: COOKIE_NAME, ttl: TTL });

start(`napi-session ${driverName}`, sessionHandler((req) => {
  const session = sessions.fromRequest(req);
  return { session, persist: () => session.commit() };
}));
