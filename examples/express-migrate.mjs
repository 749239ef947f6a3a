// examples/express-migrate.mjs
import express from 'express';
import { createClient } from 'redis';
import { RedisStore } from 'connect-redis';
import session from 'napi-session/express';

const client = await createClient({ url: process.env.REDIS_URL }).connect();
const app = express();
app.use(
  session({
    secret: process.env.SESSION_SECRET, // the secret express-session signed with
    store: { name: 'redis', url: process.env.REDIS_URL, base: 'napi-sess' },
    migrateFrom: new RedisStore({ client }), // where express-session kept its sessions
  }),
);
app.get('/', (req, res) => res.type('text').send(`Hello ${req.session.user ?? 'guest'}\n`));
app.listen(process.env.PORT ?? 3000);
