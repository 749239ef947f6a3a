// examples/express-middleware.mjs
import express from 'express';
import { createSessions } from 'napi-session';

const sessions = createSessions({ driver: 'fs', idleTimeout: 7 * 24 * 3600 });
const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(sessions.middleware()); // req.session: Astro's session API

app.get('/', async (req, res) => {
  const user = await req.session.get('user');
  res.type('text').send(`Hello ${user?.name ?? 'guest'}\n`);
});

app.post('/login', async (req, res) => {
  await req.session.regenerate(); // a new id for the signed-in session, the data kept
  req.session.set('user', { name: req.body.name });
  res.redirect(303, '/'); // the session is saved before the redirect leaves
});

app.post('/logout', (req, res) => {
  req.session.destroy();
  res.redirect(303, '/');
});

app.listen(process.env.PORT ?? 3000);
