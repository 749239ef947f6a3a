// The conformance suite every driver must pass (memory, fs, redis, cluster, custom JS drivers):
// Astro's session semantics, request after request, through the public API only.
//
//   conformance('fs', { createSessions: (options) => createSessions({ driver: …, ...options }), raw })
//
// `raw` (optional) reads and writes a driver's stored record of an id, for the tests that look
// at or tamper with storage directly; they are skipped for a driver without it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionError } from '../../index.mjs';
import { CookieJar } from '../helpers/cookie-jar.mjs';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A browser: each call is one request with the jar's cookies, committed at the end. */
function client(sessions, jar = new CookieJar()) {
  return {
    jar,
    async request(work) {
      const session = sessions.fromRequest(jar.header());
      const result = await work(session);
      const setCookies = await session.commit();
      jar.apply(setCookies);
      return { result, setCookies, session };
    },
  };
}

const cookieValue = (setCookie) => setCookie.split(';')[0].split('=')[1];

export function conformance(driverName, { createSessions, raw }) {
  const withRaw = raw ? it : it.skip;

  describe(`${driverName} driver: conformance`, () => {
    it('keeps values of every supported type across requests', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      const cyclic = { name: 'loop' };
      cyclic.self = cyclic;
      const shared = { shared: true };
      const values = {
        string: 'héllo 😀 </script>',
        number: -0,
        nan: NaN,
        big: 2n ** 80n,
        date: new Date('2024-02-29T12:00:00.000Z'),
        invalidDate: new Date(NaN),
        map: new Map([[1, { a: [1, , 3] }], ['k', new Set(['x'])]]),
        regexp: /a+b/giu,
        url: new URL('https://example.com/a?b=c#d'),
        bytes: new Uint8Array([1, 2, 3]),
        nullProto: Object.assign(Object.create(null), { x: 1 }),
        cyclic,
        sharing: [shared, shared],
        nothing: undefined,
        nil: null,
      };
      const first = await browser.request((session) => {
        for (const [key, value] of Object.entries(values)) session.set(key, value);
      });
      assert.equal(first.setCookies.length, 1, 'a new session sends its cookie');
      const { result: read } = await browser.request(async (session) => {
        const out = {};
        for (const key of Object.keys(values)) out[key] = await session.get(key);
        return out;
      });
      for (const key of ['string', 'number', 'nan', 'big', 'date', 'map', 'regexp', 'bytes', 'nothing', 'nil']) {
        assert.deepStrictEqual(read[key], values[key], key);
      }
      // (assert.deepStrictEqual holds two invalid dates unequal: NaN !== NaN)
      assert.ok(read.invalidDate instanceof Date && Number.isNaN(read.invalidDate.getTime()));
      assert.ok(Object.is(read.number, -0));
      assert.ok(read.url instanceof URL);
      assert.equal(read.url.href, values.url.href);
      assert.equal(Object.getPrototypeOf(read.nullProto), null);
      assert.equal(read.nullProto.x, 1);
      assert.equal(read.cyclic.self, read.cyclic, 'cycles survive');
      assert.equal(read.sharing[0], read.sharing[1], 'shared references survive');
    });

    it('answers has, keys, values and entries like Astro', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      await browser.request((s) => {
        s.set('a', 1);
        s.set('b', { two: 2 });
      });
      await browser.request(async (s) => {
        assert.equal(await s.has('a'), true);
        assert.equal(await s.has('zzz'), false);
        assert.equal(await s.get('zzz'), undefined);
        s.set('c', 3);
        s.delete('a');
        assert.deepStrictEqual([...(await s.keys())], ['b', 'c']);
        assert.deepStrictEqual(await s.values(), [{ two: 2 }, 3]);
        assert.deepStrictEqual(await s.entries(), [
          ['b', { two: 2 }],
          ['c', 3],
        ]);
      });
      const { result } = await browser.request(async (s) => s.entries());
      assert.deepStrictEqual(result, [
        ['b', { two: 2 }],
        ['c', 3],
      ]);
    });

    it('writes nothing and sends no cookie for a request that only reads', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      const anonymous = await browser.request(async (s) => [await s.get('x'), s.sessionID]);
      assert.deepStrictEqual(anonymous.result, [undefined, undefined]);
      assert.deepStrictEqual(anonymous.setCookies, []);
      await browser.request((s) => s.set('x', 1));
      const id = browser.jar.get('astro-session');
      const before = raw ? await raw.read(id) : undefined;
      const reader = await browser.request(async (s) => s.get('x'));
      assert.equal(reader.result, 1);
      assert.deepStrictEqual(reader.setCookies, []);
      if (raw) assert.equal(await raw.read(id), before, 'the record is untouched');
    });

    it('checks and copies a value when it is set', async () => {
      const sessions = createSessions();
      const session = sessions.fromRequest('');
      const cart = { items: [{ sku: 'a' }] };
      session.set('cart', cart);
      cart.items.push({ sku: 'b' });
      assert.deepStrictEqual(await session.get('cart'), { items: [{ sku: 'a' }] });
      assert.throws(
        () => session.set('cart', { items: [{ fn() {} }] }),
        (error) =>
          error instanceof SessionError &&
          error.code === 'ERR_SESSION_SERIALIZE' &&
          error.message.includes('"cart"') &&
          error.message.includes('.items[0].fn'),
      );
      class Point {
        x = 1;
      }
      for (const bad of [Symbol('s'), new Point(), Promise.resolve(1), { then() {} }, { [Symbol('k')]: 1 }, new WeakMap()]) {
        assert.throws(() => session.set('k', bad), { code: 'ERR_SESSION_SERIALIZE' });
      }
      for (const badKey of ['', undefined, 1, null, '\ud800']) {
        assert.throws(() => session.set(badKey, 1), { code: 'ERR_SESSION_KEY' });
      }
      await assert.rejects(session.get(''), { code: 'ERR_SESSION_KEY' });
      assert.throws(() => session.set('k', 1, { ttl: -1 }), { code: 'ERR_SESSION_CONFIG' });
      assert.deepStrictEqual(await session.get('cart'), { items: [{ sku: 'a' }] }, 'a failed set changes nothing');
    });

    it('expires values after their ttl, and after the default ttl', async () => {
      // Margins of several hundred ms: the machine may be busy (builds, other test files).
      const sessions = createSessions({ ttl: 1.2 });
      const browser = client(sessions);
      await browser.request((s) => {
        s.set('short', 1, { ttl: 0.2 });
        s.set('default', 2);
        s.set('long', 3, { ttl: 60 });
      });
      await sleep(500);
      const { result: mid } = await browser.request(async (s) => [await s.get('short'), await s.get('default'), await s.get('long')]);
      assert.deepStrictEqual(mid, [undefined, 2, 3]);
      await sleep(1300);
      const { result: late } = await browser.request(async (s) => [...(await s.keys())]);
      assert.deepStrictEqual(late, ['long'], 'a value with a longer ttl outlives the session lifetime');
    });

    it('regenerate() moves the data to a new id and removes the old one after', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      await browser.request((s) => s.set('cart', ['tea']));
      const oldId = browser.jar.get('astro-session');
      const { setCookies, session } = await browser.request(async (s) => {
        await s.regenerate();
        s.set('user', 'ada');
      });
      const newId = session.sessionID;
      assert.match(newId, ID);
      assert.notEqual(newId, oldId);
      assert.equal(cookieValue(setCookies[0]), newId);
      const { result } = await browser.request(async (s) => [await s.get('cart'), await s.get('user')]);
      assert.deepStrictEqual(result, [['tea'], 'ada']);
      const stale = client(sessions, new CookieJar().apply([`astro-session=${oldId}`]));
      const { result: old } = await stale.request(async (s) => s.get('cart'));
      assert.equal(old, undefined, 'the old id no longer opens the session');
    });

    it('destroy() removes the data and expires the cookie; a later set() starts a new session', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      await browser.request((s) => s.set('user', 'ada'));
      const oldId = browser.jar.get('astro-session');
      const { setCookies } = await browser.request(async (s) => {
        assert.equal(await s.get('user'), 'ada');
        s.destroy();
        assert.equal(await s.get('user'), undefined);
        assert.equal(s.sessionID, undefined);
      });
      assert.equal(setCookies.length, 1);
      assert.match(setCookies[0], /^astro-session=; .*Max-Age=0/);
      assert.equal(browser.jar.size, 0);
      if (raw) assert.ok(!(await raw.read(oldId)), 'no data is left under the old id');

      const again = client(sessions, new CookieJar().apply([`astro-session=${oldId}`]));
      const { setCookies: fresh, session } = await again.request(async (s) => {
        s.destroy();
        s.set('guest', true);
      });
      assert.equal(fresh.length, 1, 'one cookie: the new session, not the expired one');
      assert.equal(cookieValue(fresh[0]), session.sessionID);
      assert.notEqual(session.sessionID, oldId);
      const { result } = await again.request(async (s) => [await s.get('guest'), await s.get('user')]);
      assert.deepStrictEqual(result, [true, undefined]);
    });

    it('load(id) switches to a stored session and sends its cookie', async () => {
      const sessions = createSessions();
      const owner = client(sessions);
      const { session } = await owner.request((s) => s.set('device', 'phone'));
      const id = session.sessionID;
      const other = client(sessions);
      const { result, setCookies } = await other.request(async (s) => {
        s.set('dropped', 1);
        await s.load(id);
        return [s.sessionID, await s.get('device'), await s.get('dropped')];
      });
      assert.deepStrictEqual(result, [id, 'phone', undefined]);
      assert.equal(cookieValue(setCookies[0]), id);
      const s = sessions.fromRequest('');
      await assert.rejects(s.load('../../etc/passwd'), { code: 'ERR_SESSION_KEY' });
      await assert.rejects(s.load(42), { code: 'ERR_SESSION_KEY' });
    });

    it('never adopts an id the client made up, and ignores malformed cookies', async () => {
      const sessions = createSessions();
      const madeUp = '11111111-1111-4111-8111-111111111111';
      const attacker = client(sessions, new CookieJar().apply([`astro-session=${madeUp}`]));
      const { session, setCookies } = await attacker.request(async (s) => {
        assert.equal(await s.get('x'), undefined);
        s.set('x', 1);
      });
      assert.notEqual(session.sessionID, madeUp);
      assert.equal(cookieValue(setCookies[0]), session.sessionID);

      const blind = client(sessions, new CookieJar().apply([`astro-session=${madeUp}`]));
      const { session: blindSession } = await blind.request((s) => s.set('y', 1));
      assert.notEqual(blindSession.sessionID, madeUp, 'even when the request never read the session');

      for (const header of ['astro-session=../../etc/passwd', 'astro-session=%00', 'astro-session', '=;;=', 'astro-session="x"; a=b']) {
        const s = sessions.fromRequest(header);
        assert.equal(await s.get('x'), undefined);
        assert.equal(s.sessionID, undefined);
      }
    });

    it('loses no update when requests change one session at the same time', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      await browser.request((s) => s.set('start', true));
      const header = browser.jar.header();
      const count = 100;
      await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const session = sessions.fromRequest(header);
          await session.get('start');
          session.set(`key${i}`, i);
          await session.commit();
        }),
      );
      const { result } = await browser.request(async (s) => [...(await s.keys())]);
      assert.equal(result.length, count + 1, `all ${count} concurrent updates landed`);
    });

    it('never brings back a session destroyed while a request was in flight', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      await browser.request((s) => s.set('user', 'ada'));
      const header = browser.jar.header();
      const inFlightReader = sessions.fromRequest(header);
      await inFlightReader.get('user');
      const inFlightBlind = sessions.fromRequest(header);
      const signOut = sessions.fromRequest(header);
      signOut.destroy();
      await signOut.commit();

      inFlightReader.set('user', 'mallory');
      const cookiesA = await inFlightReader.commit();
      inFlightBlind.set('user', 'mallory');
      const cookiesB = await inFlightBlind.commit();
      for (const cookies of [cookiesA, cookiesB]) {
        assert.equal(cookies.length, 1);
        assert.match(cookies[0], /Max-Age=0/, 'the in-flight request expires the cookie instead');
      }
      const { result } = await browser.request(async (s) => s.get('user'));
      assert.equal(result, undefined);
    });

    withRaw('discards a stored session it cannot read, with ERR_SESSION_PARSE', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      await browser.request((s) => s.set('x', 1));
      const id = browser.jar.get('astro-session');
      await raw.write(id, '[["Map",1,2],"x",{"data":99}]');
      const session = sessions.fromRequest(browser.jar.header());
      await assert.rejects(session.get('x'), { code: 'ERR_SESSION_PARSE' });
      browser.jar.apply(await session.commit());
      assert.equal(browser.jar.size, 0, 'the cookie is expired');
      assert.ok(!(await raw.read(id)), 'the unreadable record is gone');
    });

    withRaw('stores exactly the text Astro writes', async () => {
      const sessions = createSessions();
      const browser = client(sessions);
      await browser.request((s) => {
        s.set('when', new Date(0));
        s.set('where', new URL('https://a.b/'));
      });
      const text = await raw.read(browser.jar.get('astro-session'));
      assert.equal(
        text,
        '[["Map",1,2,4,5],"when",{"data":3,"expires":-1},["Date","1970-01-01T00:00:00.000Z"],"where",{"data":6,"expires":-1},["URL",7],"https://a.b/"]',
      );
    });
  });
}
