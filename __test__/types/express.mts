// napi-session/express's typings, in an Express 5 app typed by @types/express: the drop-in's
// options, req.session's values typed by SessionData, its methods, req.sessionID.
import express from 'express';
import session, { type SessionOptions } from 'napi-session/express';

declare module 'napi-session' {
  interface SessionData {
    views: number;
  }
}

const options: SessionOptions = {
  secret: ['a secret of at least thirty-two bytes!', 'the previous one, also 32 bytes long'],
  name: 'sid',
  cookie: { maxAge: 86_400_000, secure: 'auto', sameSite: 'lax', path: '/' },
  store: { name: 'redis', url: 'redis://127.0.0.1:6379', base: 'sess' },
  genid: () => crypto.randomUUID(),
  rolling: true,
  resave: false,
  saveUninitialized: false,
  unset: 'destroy',
  proxy: true,
};

// Moving from express-session: its store, as migrateFrom.
// (connect-redis's own typings need @types/express-session, which the drop-in replaces: a store
// of that shape here.)
const oldStore = {
  get(sid: string, callback: (error: unknown, session?: { user?: string } | null) => void) {
    callback(null, sid === 'x' ? { user: 'ada' } : null);
  },
  destroy(_sid: string, callback?: (error?: unknown) => void) {
    callback?.();
  },
};
const moving: SessionOptions = { secret: 'a secret of at least thirty-two bytes!', migrateFrom: oldStore };
// @ts-expect-error: migrateFrom takes an express-session store, not a driver name
const notAStore: SessionOptions = { secret: 'a secret of at least thirty-two bytes!', migrateFrom: 'redis' };
void moving, notAStore;

const app = express();
app.use(session(options));
app.get('/', (req, res) => {
  const views: number | undefined = req.session.views;
  req.session.views = (views ?? 0) + 1;
  // @ts-expect-error: views is a number
  req.session.views = 'many';
  req.session.anything = { unknown: 'keys stay any' };
  const id: string = req.sessionID;
  const left: number | null = req.session.cookie.maxAge;
  // "Remember me": this session's cookie lifetime, in milliseconds (or a date, or null).
  req.session.cookie.maxAge = 30 * 86_400_000;
  req.session.cookie.expires = new Date(Date.now() + 3_600_000);
  // @ts-expect-error: originalMaxAge is what the cookie was given, not a setting
  req.session.cookie.originalMaxAge = 5;
  // @ts-expect-error: a lifetime is a number of milliseconds
  req.session.cookie.maxAge = '30 days';
  req.session.touch().save((err) => {
    if (err) throw err;
    req.session.regenerate(() => req.session.reload(() => req.session.destroy(() => res.send(`${id} ${left}`))));
  });
});

// @ts-expect-error: the secret is required
session({});
// @ts-expect-error: store takes a napi-session driver, not an express-session Store
session({ secret: 's', store: { get() {}, set() {}, destroy() {} } });
// @ts-expect-error: unset is "keep" or "destroy"
session({ secret: 's', unset: 'drop' });
