// Differential tests of the codec against the real devalue, on random value graphs.
//
// For each graph `v` (see helpers/values/):
//   stringify(v)                    === devalue.stringify(v, Astro's URL reducer), byte for byte
//   parse(devalue.stringify(v))     is the graph devalue.parse gives (sharing and cycles included)
//   parse(stringify(v))             is v, as a devalue round trip keeps it
// and parse reads what devalue may write but our stringify never does: entries in another order,
// devalue 6's escaped lone surrogates, URLs in devalue's built-in form.
//
// The run is seeded: CODEC_SEED=<n> picks another run, CODEC_CASE=<i> replays one case,
// CODEC_CASES=<n> sets how many graphs (10 000 by default).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as devalue from 'devalue';
import * as devalue6 from 'devalue6';
import { stringify, parse, SessionError } from '../../index.mjs';
import {
  arbitraryValue,
  attempt,
  caseFromEnv,
  caseRandom,
  describeError,
  graphDiff,
  Random,
  seedFromEnv,
  smallestFailingPart,
  source,
  URL_REDUCER,
  URL_REVIVER,
  visible,
} from '../helpers/values/index.mjs';

const SEED = seedFromEnv();
const ONLY = caseFromEnv();
const CASES = Number(process.env.CODEC_CASES ?? 10_000);

/** Case indices of one test: each test has its own range of cases, so they draw different graphs. */
function* cases(first, count) {
  if (ONLY !== undefined) {
    if (ONLY >= first && ONLY < first + count) yield ONLY;
    return;
  }
  for (let i = first; i < first + count; i++) yield i;
}

/**
 * Failures of one property, reported together at the end: the seed, and for each kind of failure
 * (the shape of the smallest part of the graph that fails on its own) how many cases and one
 * example: its case number, that part as JS source, and expected vs actual. One bug that fails
 * thousands of cases then does not hide another.
 */
class Failures {
  static MINIMIZED = 150; // failing cases cut down to their smallest failing part
  static KINDS = 6; // kinds of failure shown

  constructor(name) {
    this.name = name;
    this.kinds = new Map();
    this.count = 0;
  }

  /** `check(value)` gives null when the property holds for `value`, else what is wrong. */
  run(index, value, check) {
    const safeCheck = (v) => {
      try {
        return check(v);
      } catch (error) {
        return `the check threw ${describeError(error)}`;
      }
    };
    const problem = safeCheck(value);
    if (problem === null) return true;
    this.count++;
    if (this.count <= Failures.MINIMIZED) {
      const minimal = smallestFailingPart(value, (part) => safeCheck(part) !== null);
      const kind = shapeOf(minimal);
      const known = this.kinds.get(kind);
      if (known) known.count++;
      else this.kinds.set(kind, { count: 1, index, problem, minimal, minimalProblem: minimal === value ? problem : safeCheck(minimal) });
    }
    return false;
  }

  assertNone() {
    if (this.count === 0) return;
    const lines = [
      `${this.name}: ${this.count} failing case(s), seed ${SEED} (CODEC_SEED=${SEED}); ` +
        `${this.kinds.size} kind(s) of failure among the first ${Math.min(this.count, Failures.MINIMIZED)}`,
    ];
    const kinds = [...this.kinds.values()].sort((a, b) => b.count - a.count).slice(0, Failures.KINDS);
    for (const { count, index, problem, minimal, minimalProblem } of kinds) {
      lines.push(
        `  ${count}× like case ${index} (replay: CODEC_SEED=${SEED} CODEC_CASE=${index}): ${problem}`,
        `    smallest failing part: ${visible(source(minimal), 400)}`,
        `    ${minimalProblem}`,
      );
    }
    assert.fail(lines.join('\n'));
  }
}

/** The kind of a value for grouping failures: what the smallest failing part is at its root. */
function shapeOf(value) {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value === 'number' && !Number.isFinite(value) ? String(value) : typeof value;
  if (value instanceof URL) return 'URL';
  if (Buffer.isBuffer(value)) return 'Buffer';
  if (Array.isArray(value)) return Object.keys(value).length < value.length ? 'array with holes' : 'array';
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (tag === 'Object') return Object.getPrototypeOf(value) === null ? 'null-prototype object' : 'object';
  return tag;
}

/** null when `parse(text)` gives the graph `devalue.parse(text)` gives (with Astro's reviver). */
function parseMatchesDevalue(text, reference = devalue) {
  const expected = reference.parse(text, URL_REVIVER);
  const actual = attempt(() => parse(text));
  if (!actual.ok) return `parse(${visible(text, 300)}) threw ${describeError(actual.error)}`;
  const diff = graphDiff(expected, actual.value);
  return diff && `parse(${visible(text, 300)}) differs from devalue.parse ${diff}`;
}

test('the generator is deterministic and its graphs survive a devalue round trip', () => {
  const failures = new Failures('devalue round trip of generated values');
  for (const index of cases(0, 2000)) {
    const value = arbitraryValue(caseRandom(SEED, index), { exotic: index % 4 === 0 });
    const again = arbitraryValue(caseRandom(SEED, index), { exotic: index % 4 === 0 });
    failures.run(index, value, (v) => {
      const text = devalue.stringify(v, URL_REDUCER);
      return graphDiff(v, devalue.parse(text, URL_REVIVER), { mode: 'devalue' });
    });
    assert.equal(devalue.stringify(again, URL_REDUCER), devalue.stringify(value, URL_REDUCER), `case ${index} is not reproducible`);
  }
  failures.assertNone();
  if (ONLY === undefined) {
    assert.notEqual(
      devalue.stringify(arbitraryValue(new Random(1))),
      devalue.stringify(arbitraryValue(new Random(2))),
      'two seeds gave the same value',
    );
  }
});

test('graphDiff sees what it must see (so the tests below can fail)', () => {
  const shared = { x: 1 };
  assert.equal(graphDiff([shared, shared], [shared, shared]), null);
  assert.match(graphDiff([shared, shared], [{ x: 1 }, { x: 1 }]), /met before/);
  assert.match(graphDiff([{ x: 1 }, { x: 1 }], [shared, shared]), /distinct object/);
  const cycle = {};
  cycle.self = cycle;
  assert.match(graphDiff(cycle, { self: { self: {} } }), /met before|keys/);
  assert.match(graphDiff([1, , 3], [1, undefined, 3]), /holes/);
  assert.match(graphDiff(-0, 0), /expected -0/);
  assert.equal(graphDiff(NaN, NaN), null);
  assert.equal(graphDiff(new Date(NaN), new Date(NaN)), null);
  assert.match(graphDiff(new URL('https://a/'), new URL('https://b/')), /URL/);
  assert.match(graphDiff({ a: 1, b: 2 }, { b: 2, a: 1 }), /keys/);
  assert.match(graphDiff(Object.create(null), {}), /prototype/);
  assert.match(graphDiff(new Uint8Array([1]), new Int8Array([1])), /Uint8Array/);
  const buffer = new ArrayBuffer(4);
  assert.match(graphDiff([new Uint8Array(buffer, 1), buffer], [new Uint8Array(new ArrayBuffer(4), 1), new ArrayBuffer(4)]), /distinct|met before/);
  assert.match(graphDiff(new Uint8Array(buffer, 1, 2), new Uint8Array(new ArrayBuffer(4), 0, 2)), /byteOffset/);
  assert.equal(graphDiff(new Map([[shared, 1]]), new Map([[{ x: 1 }, 1]])), null);
  assert.match(graphDiff(new Map([[1, shared]]), new Map([[1, { x: 2 }]])), /expected 1, got 2/);
  assert.equal(graphDiff(Buffer.from('ab'), new Uint8Array([97, 98]), { mode: 'devalue' }), null);
  assert.match(graphDiff(Buffer.from('ab'), new Uint8Array([97, 98])), /Buffer/);
  assert.match(graphDiff(Object(1n), Object(2n)), /boxed/);
  assert.match(graphDiff(/a/g, /a/i), /flags|\/a\/g/);
});

/** `fn` remembering its last argument and result, so that two checks of one value share the work. */
function rememberLast(fn) {
  let last = {};
  return (value) => {
    if (!Object.is(last.value, value) || !('result' in last)) last = { value, result: attempt(() => fn(value)) };
    return last.result;
  };
}

test(`stringify(v) is byte-identical to devalue.stringify(v) (${CASES} random graphs)`, () => {
  const mismatch = new Failures('stringify vs devalue.stringify');
  const roundTrip = new Failures('parse(stringify(v)) vs v');
  const ours = rememberLast(stringify);
  for (const index of cases(100_000, CASES)) {
    const value = arbitraryValue(caseRandom(SEED, index));
    mismatch.run(index, value, (v) => {
      const expected = devalue.stringify(v, URL_REDUCER);
      const actual = ours(v);
      if (!actual.ok) return `stringify threw ${describeError(actual.error)}; devalue wrote ${visible(expected, 300)}`;
      if (actual.value === expected) return null;
      return `expected ${visible(expected, 300)}\n      actual ${visible(actual.value, 300)}`;
    });
    roundTrip.run(index, value, (v) => {
      const text = ours(v);
      if (!text.ok) return `stringify threw ${describeError(text.error)}`;
      const back = attempt(() => parse(text.value));
      if (!back.ok) return `parse(stringify(v)) threw ${describeError(back.error)} on ${visible(text.value, 300)}`;
      return graphDiff(v, back.value, { mode: 'devalue' });
    });
  }
  mismatch.assertNone();
  roundTrip.assertNone();
});

test(`parse(devalue.stringify(v)) is devalue.parse's graph (${CASES} random graphs)`, () => {
  const failures = new Failures('parse vs devalue.parse');
  for (const index of cases(200_000, CASES)) {
    const value = arbitraryValue(caseRandom(SEED, index));
    failures.run(index, value, (v) => parseMatchesDevalue(devalue.stringify(v, URL_REDUCER)));
  }
  failures.assertNone();
});

test('exotic values (proxies, other realms, subclasses, getters) are written as devalue writes them', () => {
  const mismatch = new Failures('stringify vs devalue.stringify, exotic values');
  for (const index of cases(300_000, 1500)) {
    const value = arbitraryValue(caseRandom(SEED, index), { exotic: true });
    mismatch.run(index, value, (v) => {
      const expected = attempt(() => devalue.stringify(v, URL_REDUCER));
      const actual = attempt(() => stringify(v));
      if (!expected.ok) {
        if (!actual.ok && actual.error instanceof SessionError && actual.error.code === 'ERR_SESSION_SERIALIZE') return null;
        return `devalue threw ${expected.error.message}, ours ${actual.ok ? `wrote ${visible(actual.value)}` : `threw ${describeError(actual.error)}`}`;
      }
      if (!actual.ok) return `stringify threw ${describeError(actual.error)}; devalue wrote ${visible(expected.value, 300)}`;
      return actual.value === expected.value ? null : `expected ${visible(expected.value, 300)}\n      actual ${visible(actual.value, 300)}`;
    });
  }
  mismatch.assertNone();
});

/**
 * The same devalue text with its entries (all but the root) in another order, indices remapped:
 * still valid input for devalue.parse, and a test of forward references for ours. Re-serialized
 * by JSON.stringify, so `<` and U+2028 come raw and lone surrogates escaped.
 */
function shuffleDevalue(text, random) {
  const values = JSON.parse(text);
  if (!Array.isArray(values)) return text;
  const order = [0];
  const rest = values.map((_, i) => i).slice(1);
  while (rest.length > 0) order.push(rest.splice(random.int(rest.length), 1)[0]);
  const newIndex = [];
  order.forEach((old, position) => (newIndex[old] = position));
  const at = (i) => (typeof i === 'number' && i >= 0 ? newIndex[i] : i);
  const remap = (entry) => {
    if (Array.isArray(entry)) {
      const [head, ...tail] = entry;
      if (typeof head === 'string') {
        switch (head) {
          case 'Set':
          case 'Map':
            return [head, ...tail.map(at)];
          case 'null':
            return [head, ...tail.map((x, i) => (i % 2 === 1 ? at(x) : x))];
          case 'Object':
            return [head, at(tail[0])];
          case 'URL':
            return typeof tail[0] === 'number' ? [head, at(tail[0])] : entry;
          case 'Date':
          case 'RegExp':
          case 'BigInt':
          case 'ArrayBuffer':
          case 'URLSearchParams':
            return entry;
          default: // typed arrays and DataView: [tag, buffer, byteOffset?, length?]
            return [head, at(tail[0]), ...tail.slice(1)];
        }
      }
      if (head === -7) return [head, tail[0], ...tail.slice(1).map((x, i) => (i % 2 === 1 ? at(x) : x))];
      return entry.map(at);
    }
    if (entry !== null && typeof entry === 'object') {
      return Object.fromEntries(Object.entries(entry).map(([key, index]) => [key, at(index)]));
    }
    return entry;
  };
  return JSON.stringify(order.map((old) => remap(values[old])));
}

test('parse reads devalue text whose entries come in any order (forward references)', () => {
  const failures = new Failures('parse of shuffled devalue text');
  for (const index of cases(400_000, 3000)) {
    const value = arbitraryValue(caseRandom(SEED, index));
    const random = caseRandom(SEED ^ 0xabcdef, index);
    failures.run(index, value, (v) => parseMatchesDevalue(shuffleDevalue(devalue.stringify(v, URL_REDUCER), random)));
  }
  failures.assertNone();
});

test('parse reads devalue 6 output (lone surrogates escaped as \\udxxx)', () => {
  const failures = new Failures('parse of devalue 6 text');
  let withEscapes = 0;
  for (const index of cases(500_000, 3000)) {
    const value = arbitraryValue(caseRandom(SEED, index));
    const text = devalue6.stringify(value, URL_REDUCER);
    if (/\\ud[89a-f][0-9a-f]{2}/.test(text)) withEscapes++;
    failures.run(index, value, (v) => parseMatchesDevalue(devalue6.stringify(v, URL_REDUCER), devalue6));
  }
  // Hand-picked ones too: lone surrogates in keys, values, Map keys, a URL next to them.
  const lone = ['\ud800', '\udfff', 'a\ud83d', '\ude00b', '\udc00\ud800', 'x\ud800\udc00y'];
  const picked = [
    lone,
    Object.fromEntries(lone.map((s, i) => [s, i])),
    Object.assign(Object.create(null), { '\udbff': '\udbff' }),
    new Map(lone.map((s) => [s, [s]])),
    new Set(lone),
    [new URL('https://example.com/'), '\ud800', Object('\udc00')],
  ];
  picked.forEach((value, i) => failures.run(`picked ${i}`, value, (v) => parseMatchesDevalue(devalue6.stringify(v, URL_REDUCER), devalue6)));
  failures.assertNone();
  if (ONLY === undefined) assert.ok(withEscapes > 100, `only ${withEscapes} devalue 6 texts had an escaped lone surrogate`);
});

test('parse reads URLs in devalue\'s built-in form (["URL","<href>"], no reducer)', () => {
  const failures = new Failures('parse of devalue text without the URL reducer');
  let withUrls = 0;
  for (const index of cases(600_000, 2000)) {
    const value = arbitraryValue(caseRandom(SEED, index));
    const text = devalue.stringify(value);
    if (!text.includes('["URL","')) continue;
    withUrls++;
    failures.run(index, value, (v) => parseMatchesDevalue(devalue.stringify(v)));
  }
  failures.assertNone();
  if (ONLY === undefined) assert.ok(withUrls > 50, `only ${withUrls} texts had a URL`);
});

test('stringify takes the devalue-text path of the hand-off as the V8 path (setV8Format(false))', async () => {
  const { createRequire } = await import('node:module');
  const handoff = createRequire(import.meta.url)('../../lib/handoff.js');
  const failures = new Failures('stringify through the devalue-text hand-off');
  handoff.setV8Format(false);
  try {
    for (const index of cases(700_000, 1000)) {
      const value = arbitraryValue(caseRandom(SEED, index));
      failures.run(index, value, (v) => {
        const expected = devalue.stringify(v, URL_REDUCER);
        const actual = attempt(() => stringify(v));
        if (!actual.ok) return `stringify threw ${describeError(actual.error)}; devalue wrote ${visible(expected, 300)}`;
        return actual.value === expected ? null : `expected ${visible(expected, 300)}\n      actual ${visible(actual.value, 300)}`;
      });
    }
  } finally {
    handoff.setV8Format(true);
  }
  failures.assertNone();
});
