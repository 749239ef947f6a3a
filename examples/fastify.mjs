// examples/fastify.mjs
import Fastify from 'fastify';
import napiSession from 'napi-session/fastify';

const app = Fastify();
await app.register(napiSession, { driver: 'fs', idleTimeout: 7 * 24 * 3600 });

app.get('/', async (request) => {
  const visits = ((await request.session.get('visits')) ?? 0) + 1;
  request.session.set('visits', visits); // committed in onSend, its Set-Cookie added to the reply
  return `visit ${visits}\n`;
});

app.post('/cart/:sku', async (request) => {
  // update(): an atomic read-modify-write, so concurrent requests all add their item.
  const cart = await request.session.update('cart', (cart = []) => [...cart, request.params.sku]);
  return { cart };
});

await app.listen({ port: Number(process.env.PORT ?? 3000) });
