// A Node.js ≥ 22.12 for the tests that run Astro 6+ (whose engines say so); napi-session itself
// supports Node 20.
import { findNodeBuild } from './node-builds.mjs';

const atLeast22_12 = (version) => {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
};

/** `{ node, version }` (the path of a Node ≥ 22.12 and its version), or `{ reason }` why there is none. */
export const node22 = findNodeBuild({
  dependency: 'node22',
  expression: 'process.version',
  here: process.version,
  accepts: atLeast22_12,
  need: 'Astro needs Node >= 22.12',
});
