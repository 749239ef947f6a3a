// Configuration errors of napi-session/astro reach Astro's production log with their message.
// Astro creates the session driver when a request first needs it and reports an error thrown
// there as "SessionStorageInitError … Unknown error" (the real error is only its cause): the
// driver reports the error itself when it is created, and every session operation fails with it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import napiSessionDriver from 'napi-session/astro';
import { build, copySite, linkPackage, restorePackage, serve } from './helpers/astro-site.mjs';
import { node22 } from './helpers/node22.mjs';

after(restorePackage);

describe('napi-session/astro with a wrong configuration', () => {
  it('reports the option when the driver is created, and fails each operation with it', async (t) => {
    const logged = t.mock.method(console, 'error', () => {});
    const driver = napiSessionDriver({ driver: 'fs', dir: '/tmp/sessions' });
    assert.equal(logged.mock.callCount(), 1);
    const [line] = logged.mock.calls[0].arguments;
    assert.match(line, /^napi-session\/astro: unknown fs driver option "dir"; known options: name, base, sweepInterval \(ERR_SESSION_CONFIG\)/);
    for (const operation of ['getItem', 'hasItem', 'setItem', 'removeItem']) {
      await assert.rejects(driver[operation]('0f8fad5b-d9cb-469f-a165-70867728950e', '[]'), {
        code: 'ERR_SESSION_CONFIG',
        message: /unknown fs driver option "dir"/,
      });
    }
    napiSessionDriver({ driver: 'redis', url: 'redis://127.0.0.1:6379', ttl: '1h' });
    assert.match(logged.mock.calls[1].arguments[0], /napi-session\/astro: ttl must be a number of seconds/);
  });

  it('shows the real message in the log of a built site, which answers 500 and stays up', { skip: node22.reason ?? false, timeout: 150_000 }, async () => {
    linkPackage();
    const { dir, site } = copySite();
    let server;
    try {
      await build(site, { NAPI_SESSION_TEST_CONFIG: JSON.stringify({ driver: 'fs', dir: '/tmp/sessions' }) });
      server = await serve(site);
      for (let request = 0; request < 2; request++) {
        const response = await fetch(server.url + '/');
        assert.equal(response.status, 500);
        await response.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const output = server.output();
      assert.equal(output.match(/every session request fails until the configuration is fixed/g)?.length, 1, output);
      assert.match(output, /\[ERROR\] SessionError: napi-session\/astro: unknown fs driver option "dir"/, output);
      assert.doesNotMatch(output, /Unknown error/, output);
    } finally {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
