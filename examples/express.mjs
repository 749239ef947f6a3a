// examples/express.mjs
import express from 'express';
import session from 'napi-session/express';

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    secret: process.env.SESSION_SECRET, // at least 32 bytes: openssl rand -base64 48
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 7 * 24 * 60 * 60 * 1000 }, // milliseconds, as in express-session
    store: 'fs',
  }),
);

app.get('/', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1;
  res.type('text').send(`Hello ${req.session.user ?? 'guest'}, view ${req.session.views}\n`);
});

app.post('/login', (req, res, next) => {
  // A new session (new id, no values) on sign-in: session fixation defence.
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.user = req.body.name;
    res.redirect(303, '/'); // the session is saved before the redirect leaves
  });
});

app.post('/logout', (req, res, next) => {
  req.session.destroy((error) => (error ? next(error) : res.redirect(303, '/')));
});

app.listen(process.env.PORT ?? 3000);
