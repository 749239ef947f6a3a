// Configuration errors of napi-session/astro reach Astro's production log with their message.
// Astro creates the session driver when a request first needs it and reports an error thrown
// there as "SessionStorageInitError … Unknown error" (the real error is only its cause): the
// driver reports the error itself when it is created, and every session operation fails with it.
//
// The same in a built Astro site: astro-site.test.mjs (which owns node_modules/napi-session while
// it runs, so it is not shared with a test running alongside).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { napiSessionDriver } from '../../lib/astro.js';

describe('napi-session/astro with a wrong configuration', () => {
  it('reports the option when the driver is created, and fails each operation with it', async (t) => {
    const logged = t.mock.method(console, 'error', () => {});
    const driver = napiSessionDriver({ driver: 'fs', dir: '/tmp/sessions' });
    assert.equal(logged.mock.callCount(), 1);
    const [line] = logged.mock.calls[0].arguments;
    assert.match(line, /^napi-session\/astro option driver\.dir: unknown field `dir`, expected `base` or `sweepInterval` \(ERR_SESSION_CONFIG\)/);
    for (const operation of ['getItem', 'hasItem', 'setItem', 'removeItem']) {
      await assert.rejects(driver[operation]('0f8fad5b-d9cb-469f-a165-70867728950e', '[]'), {
        code: 'ERR_SESSION_CONFIG',
        message: /option driver\.dir: unknown field `dir`/,
      });
    }
    napiSessionDriver({ driver: 'redis', url: 'redis://127.0.0.1:6379', ttl: '1h' });
    assert.match(logged.mock.calls[1].arguments[0], /napi-session\/astro option ttl: invalid type: string "1h", expected a number of seconds/);
  });
});
