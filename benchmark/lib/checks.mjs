// Correctness under concurrency, on every session stack: what the throughput figures do not show.
//
//   lost updates: N requests on one session at once, each set()ting a key of its own; then how
//     many of the N keys the session holds.
//   destroyed session comes back: a request reads the session and waits 200 ms; meanwhile another
//     destroys it; then the first one sets a value and persists. "yes" means the session is
//     stored again under the destroyed id.
//
// napi-session must keep all N keys and must not bring the session back (a failure of the run);
// for the other stacks the outcome is reported as it is.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs both checks on every server of a session stack; → stack key → { lostUpdates, destroyedComesBack }. */
export async function runChecks({ servers, generator, lost }) {
  const out = {};
  for (const { stack, port } of Object.values(servers)) {
    if (stack.family === 'bare' || port === undefined) continue;
    out[stack.key] = {
      lostUpdates: await lostUpdates(generator, port, lost),
      destroyedComesBack: await destroyedComesBack(generator, port),
    };
  }
  return out;
}

/** Whether a stack failed its checks, for the stacks that must pass them (ours): messages. */
export function checkFailures(stack, checked) {
  if (stack.family !== 'ours' || !checked) return [];
  const failures = [];
  const l = checked.lostUpdates;
  if (l.error || l.lost !== 0 || l.failedRequests !== 0) failures.push(`lost updates: ${JSON.stringify(l)}`);
  const d = checked.destroyedComesBack;
  if (d.error || d.cameBack) failures.push(`destroyed session: ${JSON.stringify(d)}`);
  return failures;
}

const request = (generator, port, path, cookie) => generator.call({ type: 'request', port, path, cookie });

const cookieOf = (response) =>
  response.headers.find(([n, v]) => n === 'set-cookie' && v.startsWith('astro-session='))?.[1].split(';')[0];

/**
 * What /count says; asked again (a few times) if it fails, as it can for Astro's fs-lite driver,
 * whose writes are not atomic: a read may meet a half-written file.
 */
async function count(generator, port, cookie) {
  let response;
  for (let attempt = 0; attempt < 10; attempt++) {
    response = await request(generator, port, '/count', cookie);
    if (response.status === 200) return JSON.parse(response.body);
    await sleep(200);
  }
  let message = response.body;
  try {
    message = JSON.parse(response.body).error;
  } catch {}
  throw new Error(`the session could not be read afterwards (${response.status}: ${message})`);
}

async function lostUpdates(generator, port, requests) {
  const result = { requests };
  try {
    const cookie = cookieOf(await request(generator, port, '/'));
    const paths = Array.from({ length: requests }, (_, i) => `/set?key=k${i}`);
    const responses = await generator.call({ type: 'burst', port, paths, cookie });
    result.failedRequests = responses.filter((r) => r.status !== 200).length;
    const { marked: present } = await count(generator, port, cookie);
    Object.assign(result, { present, lost: requests - present });
  } catch (error) {
    result.error = error.message;
  }
  return result;
}

async function destroyedComesBack(generator, port) {
  try {
    const victim = cookieOf(await request(generator, port, '/'));
    const slow = request(generator, port, '/slow?ms=200', victim);
    await sleep(50);
    await request(generator, port, '/destroy', victim);
    await slow;
    const after = await count(generator, port, victim);
    return { keysAfterDestroy: after.count, cameBack: after.count > 0 };
  } catch (error) {
    return { error: error.message };
  }
}
