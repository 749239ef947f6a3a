// The floor of a session store that hands values over as copies: each value kept in a JS Map as
// the bytes of Node's v8.serialize, read back with v8.deserialize, nothing else — no checks, no
// limits, no expiry, no storage format, no thread. Whatever store napi-session had, its JS thread
// would still do this much per request (a copy in at set(), a copy out at get()), so this stack
// shows how far the JS-thread goals can be reached at all. An experiment (`--stacks=floor-memory`),
// not a session library: it keeps every session forever.

import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import { COOKIE_NAME, sessionHandler, start } from './workload.mjs';

/** session id → (key → v8.serialize bytes) */
const sessions = new Map();
/** Destroyed ids, so that a request still in flight does not bring one back. */
const ended = new Set();
const PREFIX = `${COOKIE_NAME}=`;

function cookieId(header) {
  for (const part of header?.split(';') ?? []) {
    const pair = part.trim();
    if (pair.startsWith(PREFIX)) return pair.slice(PREFIX.length);
  }
  return undefined;
}

start('floor memory', sessionHandler((req) => {
  const claimed = cookieId(req.headers.cookie);
  let values = sessions.get(claimed);
  const id = values === undefined ? randomUUID() : claimed;
  const isNew = values === undefined;
  values ??= new Map();
  const changes = new Map();
  let destroyed = false;
  const session = {
    get: async (key) => {
      const bytes = changes.has(key) ? changes.get(key) : values.get(key);
      return bytes === undefined ? undefined : v8.deserialize(bytes);
    },
    set: (key, value) => changes.set(key, v8.serialize(value)),
    keys: async () => new Set([...values.keys(), ...changes.keys()]).values(),
    destroy: () => {
      destroyed = true;
    },
  };
  const persist = async () => {
    if (destroyed) {
      sessions.delete(id);
      ended.add(id);
      return [`${PREFIX}; Path=/; Max-Age=0`];
    }
    if (changes.size === 0 || ended.has(id)) return [];
    const stored = sessions.get(id) ?? values;
    for (const [key, bytes] of changes) stored.set(key, bytes);
    sessions.set(id, stored);
    return isNew ? [`${PREFIX}${id}; Path=/; HttpOnly; SameSite=Lax`] : [];
  };
  return { session, persist };
}));
