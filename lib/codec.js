'use strict';

// stringify / parse: the devalue codec on its own, in Rust (src/codec.rs).

const native = require('./native');
const { encode, decode } = require('./handoff');
const { SessionError, callNative } = require('./errors');

/** devalue text of `value`, byte-identical to devalue's `stringify` with Astro's URL reducer. */
function stringify(value) {
  const bytes = encode(value, (path, reason) => `${reason}${path ? ` (at ${path})` : ''}`);
  return callNative(() => native.stringify(bytes));
}

/**
 * The value of devalue text (from devalue 5 or 6, or Astro). `options.maxDepth` and
 * `options.maxExpansion` bound what hostile text can cost (defaults: 1000 levels, 16 times the
 * text's size); past them, ERR_SESSION_PARSE.
 */
function parse(text, options) {
  if (typeof text !== 'string') {
    throw new SessionError('ERR_SESSION_PARSE', `parse() takes a string (got ${typeof text})`);
  }
  const limits = parseLimits(options);
  const bytes = callNative(() => (text.isWellFormed() ? native.parse(text, limits) : native.parseUtf16(text, limits)));
  return decode(bytes);
}

function parseLimits(options) {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') {
    throw new SessionError('ERR_SESSION_CONFIG', 'parse() options must be an object { maxDepth, maxExpansion }');
  }
  const limits = {};
  for (const [name, value] of Object.entries(options)) {
    if (name !== 'maxDepth' && name !== 'maxExpansion') {
      throw new SessionError('ERR_SESSION_CONFIG', `unknown parse() option "${name}"; known options: maxDepth, maxExpansion`);
    }
    if (!(Number.isInteger(value) && value >= 1 && value <= 0xffffffff)) {
      throw new SessionError('ERR_SESSION_CONFIG', `parse() option ${name} must be a whole number, 1 or more`);
    }
    limits[name] = value;
  }
  return limits;
}

module.exports = { stringify, parse };
