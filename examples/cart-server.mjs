// The demo: a small shop cart on node:http with napi-session's default fs driver.
//   npm start            (PORT=3000 by default; SESSIONS_DIR to move the session files)
// Add and remove items, sign in (the session id is regenerated), sign out (the session is
// destroyed), and watch the visit counter. Each request: one session, one commit, its cookies.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { createSessions } from '../index.mjs';

const PRODUCTS = {
  tea: { name: 'Green tea', price: 4.5 },
  mug: { name: 'Mug', price: 9 },
  book: { name: 'Rust for Node developers', price: 29 },
};

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page({ user, cart, visits, sessionID }) {
  const items = [...cart.entries()];
  const total = items.reduce((sum, [sku, item]) => sum + PRODUCTS[sku].price * item.qty, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>napi-session cart</title>
<style>body{font:16px system-ui;margin:2rem auto;max-width:40rem}form{display:inline}li{margin:.3rem 0}</style></head>
<body>
<h1>napi-session cart</h1>
<p id="visits">Visits: ${visits}</p>
<p id="user">${user ? `Signed in as ${escape(user.name)} since ${escape(user.since.toISOString())}` : 'Not signed in'}</p>
${
  user
    ? '<form method="post" action="/signout"><button id="signout">Sign out</button></form>'
    : '<form method="post" action="/signin"><input name="name" id="name" value="Ada"><button id="signin">Sign in</button></form>'
}
<h2>Products</h2><ul>
${Object.entries(PRODUCTS)
  .map(
    ([sku, p]) =>
      `<li>${escape(p.name)} — ${p.price.toFixed(2)} <form method="post" action="/add"><input type="hidden" name="sku" value="${sku}"><button id="add-${sku}">Add</button></form></li>`,
  )
  .join('\n')}
</ul>
<h2>Cart</h2>
<ul id="cart">
${items
  .map(
    ([sku, item]) =>
      `<li data-sku="${sku}">${escape(PRODUCTS[sku].name)} × ${item.qty} (added ${escape(item.added.toISOString())}) <form method="post" action="/remove"><input type="hidden" name="sku" value="${sku}"><button id="remove-${sku}">Remove</button></form></li>`,
  )
  .join('\n')}
</ul>
<p id="total">Total: ${total.toFixed(2)}</p>
<p><small>Session: <code id="session-id">${escape(sessionID ?? 'none')}</code></small></p>
</body></html>`;
}

async function readForm(request) {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 10_000) break;
  }
  return new URLSearchParams(body);
}

export function createCartServer(options = {}) {
  const sessions = createSessions({ driver: 'fs', ...options });
  return http.createServer(async (request, response) => {
    const session = sessions.fromRequest(request);
    try {
      const url = new URL(request.url, 'http://localhost');
      if (request.method === 'POST') {
        const form = await readForm(request);
        const cart = (await session.get('cart')) ?? new Map();
        const sku = form.get('sku');
        if (url.pathname === '/add' && PRODUCTS[sku]) {
          const item = cart.get(sku) ?? { qty: 0, added: new Date() };
          cart.set(sku, { ...item, qty: item.qty + 1 });
          session.set('cart', cart);
        } else if (url.pathname === '/remove') {
          cart.delete(sku);
          session.set('cart', cart);
        } else if (url.pathname === '/signin') {
          await session.regenerate();
          session.set('user', { name: form.get('name') || 'guest', since: new Date() });
        } else if (url.pathname === '/signout') {
          session.destroy();
        }
        response.writeHead(303, { location: '/', 'set-cookie': await session.commit() });
        return response.end();
      }
      if (url.pathname !== '/') {
        response.writeHead(404, { 'content-type': 'text/plain' });
        return response.end('not found');
      }
      const visits = ((await session.get('visits')) ?? 0) + 1;
      session.set('visits', visits);
      const html = page({
        user: await session.get('user'),
        cart: (await session.get('cart')) ?? new Map(),
        visits,
        sessionID: session.sessionID,
      });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': await session.commit() });
      response.end(html);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`${error.code ?? 'ERROR'}: ${error.message}`);
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) || process.env.npm_lifecycle_event === 'start') {
  const port = Number(process.env.PORT ?? 3000);
  const base = process.env.SESSIONS_DIR;
  const server = createCartServer(base ? { driver: { name: 'fs', base } } : {});
  server.listen(port, '127.0.0.1', () => {
    console.log(`napi-session demo: http://127.0.0.1:${server.address().port}/ (sessions in ${base ?? '.astro/session'})`);
  });
}
