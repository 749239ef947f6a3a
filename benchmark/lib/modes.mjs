// The two ways the load generator spreads its requests over the sessions.

export const MODES = {
  // The first benchmark's: each session belongs to one connection, so no two requests of a
  // session are ever in flight at once.
  isolated: {
    key: 'isolated',
    label: 'one connection per session',
    concurrency: 32,
    sessions: 64,
    cartItems: 16,
    pick: 'owned',
    describe(m) {
      const [fewest, most] = [Math.floor(m.sessions / m.concurrency), Math.ceil(m.sessions / m.concurrency)];
      return (
        `${m.concurrency} connections, each sending its own ${fewest === most ? fewest : `${fewest}–${most}`} of ${m.sessions} sessions in turn ` +
        `(requests of one session never overlap); a cart of ${m.cartItems} items`
      );
    },
  },
  // As browsers send requests: a page's parallel requests carry the same cookie, so requests of
  // one session overlap now and then, and the stores meet their concurrent updates.
  contention: {
    key: 'contention',
    label: 'sessions at random (contention)',
    concurrency: 50,
    sessions: 500,
    cartItems: 20,
    pick: 'random',
    describe: (m) =>
      `${m.concurrency} connections, each request for one of ${m.sessions} sessions drawn at random ` +
      `(requests of one session overlap); a cart of ${m.cartItems} items`,
  },
};
