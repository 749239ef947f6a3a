// Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core.
// Nothing is ever downloaded here (playwright-core ships no browser and `npx playwright install`
// is never run): the browser is the system one, which .ci/run installs with apt-get when missing.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Where Debian's package puts the launcher; CHROMIUM_PATH points elsewhere (any Chromium/Chrome). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const executable = (file) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const onPath = (name) => (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && executable(path.join(dir, name)));

/**
 * Whether the browser tests can run here:
 * - `{ executablePath }`: Chromium is installed;
 * - `{ skip }`: it is missing and this machine cannot install it (not root, or no apt-get), and
 *   this is not CI: the tests are skipped with that message;
 * - `{ missing }`: it is missing though it could be installed (root with apt-get), or on CI: the
 *   tests fail with that message, since there they must run.
 */
export function findChromium() {
  if (executable(CHROMIUM_PATH)) return { executablePath: CHROMIUM_PATH };
  const install = 'install it with `apt-get install chromium` as root (`bash .ci/run` does), or set CHROMIUM_PATH';
  const root = process.getuid?.() === 0;
  const apt = onPath('apt-get');
  if (!process.env.CI && !(root && apt)) {
    const why = !root ? 'not root' : 'no apt-get';
    return { skip: `Chromium is not installed at ${CHROMIUM_PATH} and cannot be installed here (${why}): ${install}` };
  }
  return { missing: `Chromium is not installed at ${CHROMIUM_PATH}: ${install}` };
}

/** Launches headless Chromium (a fresh temporary profile each time, removed by browser.close()). */
export async function launchChromium(executablePath = CHROMIUM_PATH) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 20_000 });
}
