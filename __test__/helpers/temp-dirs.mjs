// Temporary directories for a test file, removed when it ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** A function that makes a new temporary directory named `napi-session-<label>-…` on each call. */
export function tempDirs(label) {
  const made = [];
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), `napi-session-${label}-`));
    made.push(dir);
    return dir;
  };
}
