'use strict';

// stringify / parse: the devalue codec on its own, in Rust (src/codec.rs).

const native = require('./native');
const { encode, decode, configure } = require('./handoff');
const { toSessionError } = require('./errors');

configure((version) => native.readsV8Version(version));

/** devalue text of `value`, byte-identical to devalue's `stringify` with Astro's URL reducer. */
function stringify(value) {
  const bytes = encode(value, (path, reason) => `${reason}${path ? ` (at ${path})` : ''}`);
  try {
    return native.stringify(bytes);
  } catch (error) {
    throw toSessionError(error, 'ERR_SESSION_SERIALIZE');
  }
}

/** The value of devalue text (from devalue 5 or 6, or Astro). */
function parse(text) {
  if (typeof text !== 'string') {
    throw toSessionError(new Error(`ERR_SESSION_PARSE: parse() takes a string (got ${typeof text})`));
  }
  let bytes;
  try {
    bytes = text.isWellFormed() ? native.parse(text) : native.parseUtf16(text);
  } catch (error) {
    throw toSessionError(error, 'ERR_SESSION_PARSE');
  }
  return decode(bytes);
}

module.exports = { stringify, parse };
