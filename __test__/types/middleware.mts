// sessions.middleware() in an Express 5 app typed by @types/express: req.session is napi-session's
// Session (a project that imports napi-session/express gets that one's instead: express.mts).
import express from 'express';
import { createSessions } from 'napi-session';

const app = express();
app.use(createSessions({ driver: 'memory' }).middleware());
app.post('/cart/:sku', async (req, res) => {
  const cart: Map<string, number> = (await req.session.get('cart')) ?? new Map();
  req.session.set('cart', cart.set(req.params.sku, (cart.get(req.params.sku) ?? 0) + 1));
  // @ts-expect-error: cart holds a Map
  req.session.set('cart', []);
  res.redirect(303, '/');
});
