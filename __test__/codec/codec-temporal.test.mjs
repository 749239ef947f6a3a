// Temporal values (Node 26 has `Temporal`; Node 20 has not). With Temporal: `set()`/`stringify`
// write them byte for byte as devalue 5.9 does, `get()`/`parse` read them back, Astro reads what
// napi-session writes and the other way round. Without: a stored Temporal value fails the read of
// its own key with ERR_SESSION_PARSE naming its type, and the rest of the session stays readable
// and is kept.
//
// This file tests the case of the Node.js that runs it in-process, then runs itself on the other:
// on a Node.js without Temporal, on Node 26 (the node26 devDependency); on one with it, on the same
// binary with `--no-harmony-temporal`. So `npm test` (Node 20) covers both, and so does a run on 26.

import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import * as devalue from 'devalue';
import * as devalue6 from 'devalue6';
import { createSessions, parse, stringify, SessionError } from '../../index.mjs';
import { arbitraryValue, attempt, caseRandom, describeError, graphDiff, seedFromEnv, URL_REDUCER, URL_REVIVER, visible } from '../helpers/values/index.mjs';
import { node26 } from '../helpers/node26.mjs';

const require = createRequire(import.meta.url);
const HAS_TEMPORAL = typeof globalThis.Temporal === 'object';
/** Set in the run of this file on the other kind of Node.js, which must not start another. */
const IS_CHILD = process.env.NAPI_SESSION_TEMPORAL_CHILD === '1';
const SEED = seedFromEnv();

const KINDS = ['Duration', 'Instant', 'PlainDate', 'PlainTime', 'PlainDateTime', 'PlainMonthDay', 'PlainYearMonth', 'ZonedDateTime'];

/** The fixtures of core/fixtures/devalue.json that hold Temporal values (written by devalue on Node 26). */
const FIXTURES = JSON.parse(readFileSync(new URL('../../core/fixtures/devalue.json', import.meta.url), 'utf8')).filter(
  (fixture) => fixture.needs === 'Temporal',
);
const fixture = (name) => FIXTURES.find((f) => f.name === name) ?? assert.fail(`no fixture ${name}`);

/** Asserts that `fn` throws a SessionError with `code`, and gives it. */
function assertSessionError(fn, code, context) {
  const result = attempt(fn);
  assert.ok(!result.ok, `${context}: expected ${code}, got a value`);
  assert.ok(result.error instanceof SessionError, `${context}: expected a SessionError ${code}, got ${describeError(result.error)}`);
  assert.equal(result.error.code, code, `${context}: ${describeError(result.error)}`);
  return result.error;
}

async function assertRejectsWith(promise, code, context) {
  const error = await promise.then(
    (value) => assert.fail(`${context}: expected ${code}, got ${visible(String(value))}`),
    (error) => error,
  );
  assert.ok(error instanceof SessionError, `${context}: expected a SessionError, got ${describeError(error)}`);
  assert.equal(error.code, code, `${context}: ${describeError(error)}`);
  return error;
}

/** A session stored as Astro stores it, in `base` (fs-lite's layout): returns its cookie header. */
function storeRecord(base, text) {
  const id = randomUUID();
  writeFileSync(path.join(base, id), text);
  return { id, cookie: `astro-session=${id}` };
}

function tempDir() {
  return mkdtempSync(path.join(tmpdir(), 'napi-session-temporal-'));
}

if (HAS_TEMPORAL) {
  describe(`with Temporal (Node.js ${process.version})`, withTemporal);
} else {
  describe(`without Temporal (Node.js ${process.version})`, withoutTemporal);
}

// ---------------------------------------------------------------------------------------------
// With Temporal: exactly what devalue writes and reads

function withTemporal() {
  /** The kind and text of a Temporal value, by its internal slots (the kind's own toString). */
  const temporalOf = (value) => {
    for (const kind of KINDS) {
      try {
        return `${kind} ${Reflect.apply(Temporal[kind].prototype.toString, value, [])}`;
      } catch {
        // not this kind
      }
    }
    return `not a Temporal value: ${visible(String(value))}`;
  };

  // devalue's own test suite (test/index.test.js) has these nine: a value of each kind built from
  // a property bag, and one Instant twice; each stringifies to its text, and parses back to a
  // value of its kind (the repeated one to one object).
  const DEVALUE_CASES = [
    ['temporal-duration', () => Temporal.Duration.from({ years: 1, months: 2, days: 3 })],
    ['temporal-instant', () => Temporal.Instant.from('1999-09-29T05:30:00Z')],
    ['temporal-plain-date', () => Temporal.PlainDate.from({ year: 1999, month: 9, day: 29 })],
    ['temporal-plain-time', () => Temporal.PlainTime.from({ hour: 12, minute: 34, second: 56 })],
    ['temporal-plain-date-time', () => Temporal.PlainDateTime.from({ year: 1999, month: 9, day: 29, hour: 12, minute: 34, second: 56 })],
    ['temporal-plain-month-day', () => Temporal.PlainMonthDay.from({ month: 9, day: 29 })],
    ['temporal-plain-year-month', () => Temporal.PlainYearMonth.from({ year: 1999, month: 9 })],
    ['temporal-zoned-date-time', () => Temporal.ZonedDateTime.from({ year: 1999, month: 9, day: 29, hour: 12, minute: 34, second: 56, timeZone: 'Europe/Rome' })],
    ['temporal-instant-repeated', () => ((instant) => [instant, instant])(Temporal.Instant.from('1999-09-29T05:30:00Z'))],
  ];

  it("passes devalue's own nine Temporal cases", async (t) => {
    assert.equal(DEVALUE_CASES.length, 9);
    for (const [name, build] of DEVALUE_CASES) {
      await t.test(name, () => {
        const value = build();
        const expected = fixture(name).devalue;
        assert.equal(devalue.stringify(value), expected, 'devalue itself');
        assert.equal(stringify(value), expected);
        const read = parse(expected);
        if (Array.isArray(value)) {
          assert.equal(read.length, 2);
          assert.equal(read[0], read[1], 'one Instant, met twice');
          assert.ok(read[0] instanceof Temporal.Instant);
          assert.ok(read[0].equals(value[0]));
        } else {
          assert.equal(Object.getPrototypeOf(read), Object.getPrototypeOf(value), 'a value of its kind');
          assert.equal(temporalOf(read), temporalOf(value));
        }
      });
    }
  });

  it('writes every Temporal fixture as devalue does, and reads each as devalue.parse does', async (t) => {
    assert.ok(FIXTURES.length >= 20, `${FIXTURES.length} Temporal fixtures`);
    for (const { name, js, devalue: text } of FIXTURES) {
      await t.test(name, () => {
        const value = (0, eval)(`(${js})`);
        assert.equal(devalue.stringify(value, URL_REDUCER), text, `devalue no longer writes this for ${js}`);
        // devalue 6 writes Temporal values in the same form, so reading 5.9's reads 6's.
        assert.equal(devalue6.stringify(value, URL_REDUCER), text, `devalue 6 writes ${js} otherwise`);
        assert.equal(stringify(value), text, `stringify(${js})`);
        const diff = graphDiff(devalue.parse(text, URL_REVIVER), parse(text));
        assert.equal(diff, null, `parse(${text}) differs from devalue.parse: ${diff}`);
      });
    }
  });

  it('random values with Temporal leaves: stringify and parse agree with devalue', () => {
    const options = { temporal: true, exotic: false };
    for (let index = 0; index < 300; index++) {
      const value = arbitraryValue(caseRandom(SEED, index), options);
      const context = `seed ${SEED}, case ${index}`;
      const expected = devalue.stringify(value, URL_REDUCER);
      const written = attempt(() => stringify(value));
      assert.ok(written.ok, `${context}: stringify threw ${!written.ok && describeError(written.error)}`);
      assert.equal(written.value, expected, `${context}: stringify`);
      const diff = graphDiff(devalue.parse(expected, URL_REVIVER), parse(expected));
      assert.equal(diff, null, `${context}: parse ${diff}`);
    }
  });

  it('hands a value holding a Temporal value to Rust as devalue text (V8 refuses to clone one)', () => {
    const { encode } = require('../../lib/handoff.js');
    const message = (where, reason) => `${reason} ${where}`;
    assert.equal(encode({ a: [1] }, message)[0], 0xff, 'V8 format without one');
    const bytes = encode({ a: [1], at: Temporal.PlainDate.from('2020-01-01') }, message);
    assert.equal(bytes.toString('utf8'), '[{"a":1,"at":3},[2],1,["Temporal.PlainDate","2020-01-01"]]');
  });

  it('stores a subclass instance as its Temporal kind, by its own text, as devalue reads it back', () => {
    class Day extends Temporal.PlainDate {
      toString() {
        return 'not what Temporal.PlainDate.from reads';
      }
    }
    const day = new Day(2020, 2, 29);
    assert.equal(stringify({ day }), '[{"day":1},["Temporal.PlainDate","2020-02-29"]]');
    // Another realm's Temporal value is one too (devalue goes by its tag, this package by its slots).
    const foreign = vm.runInNewContext('Temporal.ZonedDateTime.from("2020-01-01T00:00[Asia/Tokyo]")');
    const text = stringify([foreign]);
    assert.equal(text, devalue.stringify([foreign]));
    assert.ok(parse(text)[0] instanceof Temporal.ZonedDateTime);
  });

  it('refuses what only looks like a Temporal value, naming where it is', () => {
    for (const [js, reason] of [
      ['({ at: { when: Object.create(Temporal.PlainDate.prototype) } })', /non-POJO/],
      ['({ at: { when: { [Symbol.toStringTag]: "Temporal.PlainDate", toString: () => "2020-01-01" } } })', /symbolic keys/],
      ['({ at: { when: new (class Fake { get [Symbol.toStringTag]() { return "Temporal.Instant"; } })() } })', /non-POJO/],
    ]) {
      const error = assertSessionError(() => stringify((0, eval)(js)), 'ERR_SESSION_SERIALIZE', js);
      assert.match(error.message, reason, js);
      assert.match(error.message, /\.at\.when/, js);
    }
  });

  it('a stored text Temporal refuses fails that read with ERR_SESSION_PARSE, not the session', async () => {
    for (const [text, kind] of [
      ['[["Temporal.PlainDate","2020-02-30"]]', 'PlainDate'],
      ['[["Temporal.ZonedDateTime","2020-01-01T00:00:00+00:00[Europe/Nowhere]"]]', 'ZonedDateTime'],
      ['[["Temporal.PlainYearMonth","2020-01[u-ca=hebrew]"]]', 'PlainYearMonth'],
      ['[["Temporal.Instant","2020-01-01T00:00:00"]]', 'Instant'],
    ]) {
      const error = assertSessionError(() => parse(text), 'ERR_SESSION_PARSE', text);
      assert.match(error.message, new RegExp(`Temporal\\.${kind}\\.from\\(\\) refuses its stored text`), text);
    }
    // Text that is no Temporal string at all is malformed devalue text, refused as a whole.
    assertSessionError(() => parse('[["Temporal.PlainDate","<b>"]]'), 'ERR_SESSION_PARSE', '<b>');

    const base = tempDir();
    try {
      const sessions = createSessions({ driver: { name: 'fs', base } });
      const record = '[["Map",1,2,5,6],"bad",{"data":3,"expires":-1},["Temporal.PlainDate","2020-02-30"],"x","good",{"data":7,"expires":-1},["Temporal.PlainDate","2020-02-29"]]';
      const { id, cookie } = storeRecord(base, record);
      const session = sessions.fromRequest(cookie);
      await assertRejectsWith(session.get('bad'), 'ERR_SESSION_PARSE', 'get(bad)');
      assert.ok((await session.get('good')).equals(Temporal.PlainDate.from('2020-02-29')));
      assert.deepEqual([...(await session.keys())], ['bad', 'good']);
      assert.equal(session.sessionID, id);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('set() and get() every kind through a stored session; the record is what devalue writes', async () => {
    const base = tempDir();
    try {
      const sessions = createSessions({ driver: { name: 'fs', base } });
      const values = (0, eval)(`(${fixture('temporal-every-kind').js})`);
      const session = sessions.fromRequest('');
      session.set('all', values);
      session.set('twice', [values.instant, values.instant]);
      const [setCookie] = await session.commit();
      const stored = readFileSync(path.join(base, session.sessionID), 'utf8');
      // (Each set() stores a copy of its value: the Instant under `twice` is not the one in `all`.)
      const instant = Temporal.Instant.from(values.instant);
      const astroMap = new Map([['all', { data: values, expires: undefined }], ['twice', { data: [instant, instant], expires: undefined }]]);
      assert.equal(stored, devalue.stringify(astroMap, URL_REDUCER));
      const again = sessions.fromRequest(setCookie.split(';')[0]);
      assert.equal(graphDiff(values, await again.get('all')), null);
      const [first, second] = await again.get('twice');
      assert.equal(first, second);
      assert.ok(first instanceof Temporal.Instant);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('Astro reads the Temporal values napi-session stored, and the other way round', async () => {
    const [{ default: fsLite }, { astroSession }] = await Promise.all([import('unstorage/drivers/fs-lite'), import('../helpers/astro-session.mjs')]);
    const base = tempDir();
    try {
      const sessions = createSessions({ driver: { name: 'fs', base } });
      const booking = () => ({
        day: Temporal.PlainDate.from('2025-06-01'),
        at: Temporal.ZonedDateTime.from('2025-06-01T09:30[Europe/Paris]'),
        length: Temporal.Duration.from({ minutes: 90 }),
      });

      const astro = astroSession({ driverFactory: fsLite, driverOptions: { base } });
      astro.session.set('booking', booking());
      const [astroCookie] = await astro.persist();
      const ours = sessions.fromRequest(astroCookie.split(';')[0]);
      assert.equal(graphDiff(booking(), await ours.get('booking')), null, 'napi-session reads what Astro wrote');

      const mine = sessions.fromRequest('');
      mine.set('booking', booking());
      const [ourCookie] = await mine.commit();
      const astroAgain = astroSession({ driverFactory: fsLite, driverOptions: { base }, cookieHeader: ourCookie.split(';')[0] });
      assert.equal(graphDiff(booking(), await astroAgain.session.get('booking')), null, 'Astro reads what napi-session wrote');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Without Temporal: the value's own read fails, the session is kept

function withoutTemporal() {
  const kindsIn = (text) => [...text.matchAll(/"Temporal\.(\w+)"/g)].map((match) => match[1]);

  it('parse() of each Temporal fixture fails with ERR_SESSION_PARSE naming the type and what to do', async (t) => {
    for (const { name, devalue: text } of FIXTURES) {
      await t.test(name, () => {
        const error = assertSessionError(() => parse(text), 'ERR_SESSION_PARSE', name);
        const kinds = kindsIn(text);
        assert.ok(kinds.length > 0, `${name} holds a Temporal value`);
        const named = error.message.match(/it holds a Temporal\.(\w+), and this Node\.js \(v[\d.]+\) has no Temporal to read it with; use Node\.js 26 or later/);
        assert.ok(named, `${name}: ${error.message}`);
        assert.ok(kinds.includes(named[1]), `${name}: names ${named[1]}, which the text does not hold`);
        if (new Set(kinds).size === 1) assert.equal(named[1], kinds[0]);
      });
    }
  });

  it('a session Astro stored with Temporal values: only their keys fail; the rest is read, kept and written back', async () => {
    const base = tempDir();
    try {
      const sessions = createSessions({ driver: { name: 'fs', base } });
      // What Astro (devalue 5.9 on Node 26) stores for cart, booking { day, at } and user.
      const record = fixture('temporal-astro-session').devalue;
      const { id, cookie } = storeRecord(base, record);
      const session = sessions.fromRequest(cookie);

      assert.deepEqual(await session.get('cart'), [{ id: 1, qty: 2 }]);
      const error = await assertRejectsWith(session.get('booking'), 'ERR_SESSION_PARSE', 'get(booking)');
      assert.match(error.message, /Temporal\.PlainDate.*no Temporal.*Node\.js 26/);
      assert.equal(await session.get('user'), 'Ada');
      assert.equal(await session.has('booking'), true);
      assert.deepEqual([...(await session.keys())], ['cart', 'booking', 'user']);
      // Every value at once holds the one that cannot be read.
      await assertRejectsWith(session.entries(), 'ERR_SESSION_PARSE', 'entries()');
      await assertRejectsWith(session.values(), 'ERR_SESSION_PARSE', 'values()');

      session.set('seen', true);
      const setCookie = await session.commit();
      assert.deepEqual(setCookie, [], 'the same session goes on: no new cookie');
      const stored = readFileSync(path.join(base, id), 'utf8');
      for (const temporal of record.match(/\["Temporal\.[^\]]*\]/g)) {
        assert.ok(stored.includes(temporal), `the stored value keeps ${temporal}: ${visible(stored)}`);
      }
      assert.equal(
        stored,
        `${record.slice(0, -1)},"seen",{"data":17,"expires":-1},true]`.replace('["Map",1,2,7,8,12,13]', '["Map",1,2,7,8,12,13,15,16]'),
        'the stored session is the one Astro wrote, with the new key',
      );

      const next = sessions.fromRequest(cookie);
      assert.equal(await next.get('seen'), true);
      assert.equal(await next.get('user'), 'Ada');
      assert.equal(next.sessionID, id);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('set() refuses an object that only claims to be a Temporal value', () => {
    const error = assertSessionError(
      () => stringify({ when: { [Symbol.toStringTag]: 'Temporal.PlainDate', toString: () => '2020-01-01' } }),
      'ERR_SESSION_SERIALIZE',
      'fake',
    );
    assert.match(error.message, /\.when/);
  });
}

// ---------------------------------------------------------------------------------------------
// The other kind of Node.js

if (!IS_CHILD) {
  const other = HAS_TEMPORAL
    ? { node: process.execPath, flags: ['--no-harmony-temporal'], what: `Node.js ${process.version} without Temporal (--no-harmony-temporal)` }
    : node26.node && { node: node26.node, flags: [], what: `Node.js ${node26.version}, with Temporal` };

  test(`the same on ${other ? other.what : 'a Node.js with Temporal'}`, { skip: !other && `no Node.js with Temporal: ${node26.reason}`, timeout: 300_000 }, () => {
    const file = fileURLToPath(import.meta.url);
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const run = spawnSync(other.node, [...other.flags, '--test', '--test-reporter=tap', file], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NAPI_SESSION_TEMPORAL_CHILD: '1', NODE_TEST_CONTEXT: undefined },
      timeout: 280_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    const count = (label) => Number(output.match(new RegExp(`^# ${label} (\\d+)$`, 'm'))?.[1]);
    assert.equal(run.error, undefined, `${other.node}: ${run.error}`);
    assert.equal(run.status, 0, `${other.what} failed:\n${output.slice(-8000)}`);
    assert.equal(count('fail'), 0, output.slice(-8000));
    // Each case of the suite for that kind of Node.js ran and passed (none skipped).
    assert.ok(count('pass') >= (HAS_TEMPORAL ? 20 : 8), `too few tests passed:\n${output.slice(-4000)}`);
    assert.equal(count('skipped'), 0, output.slice(-4000));
    const kind = HAS_TEMPORAL ? 'without' : 'with';
    assert.match(output, new RegExp(`# Subtest: ${kind} Temporal`), output.slice(-4000));
  });
}
