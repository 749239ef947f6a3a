// Making a failure readable: the smallest failing part of a value, its source, its size.

import * as devalue from 'devalue';
import { URL_REDUCER } from './random.mjs';
import { reachable, show } from './compare.mjs';

/** The size of a value as devalue writes it (Infinity when devalue cannot). */
export function devalueSize(value) {
  try {
    return devalue.stringify(value, URL_REDUCER).length;
  } catch {
    return Infinity;
  }
}

/**
 * The smallest part of `value` (by the length of its devalue text) for which `fails(part)` is
 * true, or `value` itself: a failing random graph, cut down to what a bug report needs.
 */
export function smallestFailingPart(value, fails) {
  const parts = reachable(value)
    .map((part) => ({ part, size: devalueSize(part) }))
    .sort((a, b) => a.size - b.size);
  for (const { part } of parts) {
    let failed;
    try {
      failed = fails(part);
    } catch {
      failed = true;
    }
    if (failed) return part;
  }
  return value;
}

/** JS source that rebuilds `value` (devalue's `uneval`), with lone surrogates escaped. */
export function source(value) {
  try {
    return devalue.uneval(value).replace(/\p{Surrogate}/gu, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  } catch (error) {
    return `(uneval failed: ${error.message}) ${show(value)}`;
  }
}

/** A string with lone surrogates and control characters made visible, for messages. */
export function visible(text, max = 600) {
  const escaped = text.replace(/[\p{Surrogate}\u0000-\u001f\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}… (${text.length} chars)` : escaped;
}

/** What a call gives: its result, or what it threw. */
export function attempt(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A thrown value in one line, with its code when it is a SessionError. */
export function describeError(error) {
  return error?.name === 'SessionError' ? `SessionError ${error.code}: ${error.message}` : `${error?.name}: ${error?.message}`;
}

