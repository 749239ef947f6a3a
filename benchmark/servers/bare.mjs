// The ceiling: node:http that only parses the Cookie header and sets a cookie — what every stack
// does at the least, without a session.

import { randomUUID } from 'node:crypto';
import { COOKIE_NAME, start } from './workload.mjs';

const PREFIX = `${COOKIE_NAME}=`;

/** The value of our cookie in a Cookie header (`a=1; astro-session=…; b=2`). */
function cookieValue(header) {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair.startsWith(PREFIX)) return pair.slice(PREFIX.length);
  }
  return undefined;
}

start('bare', (req, res) => {
  const id = cookieValue(req.headers.cookie) ?? randomUUID();
  const body = '{"visits":0,"items":0}';
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': body.length,
    'set-cookie': `${PREFIX}${id}; Path=/; HttpOnly; SameSite=Lax`,
  });
  res.end(body);
});
