'use strict';

// napi-session: Astro's `session` object for any Node.js server, with storage I/O,
// serialization and cookies in Rust. See README.md.

const { createSessions } = require('./lib/create-sessions');
const { stringify, parse } = require('./lib/codec');
const { SessionError } = require('./lib/errors');

module.exports = { createSessions, stringify, parse, SessionError };
