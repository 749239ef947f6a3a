// A Node.js with `Temporal` (Node 26 has it on by default, no flag), for the tests and fixture
// generators of Temporal values; `node --no-harmony-temporal` is Node 26 without Temporal.
import { findNodeBuild } from './node-builds.mjs';

/** `{ node, version }` (the path of a Node.js with Temporal and its version), or `{ reason }` why there is none. */
export const node26 = findNodeBuild({
  dependency: 'node26',
  expression: 'typeof Temporal',
  here: typeof globalThis.Temporal,
  accepts: (type) => type === 'object',
  need: 'it has no Temporal (Node 26 has)',
});
