// The README's servers, run as a user runs them: every README code block that starts a server
// is a file under examples/ (the block opens with `// examples/<file>`, and the file is exactly
// the block), and each file runs from the packed package — `npm pack`, installed into a scratch
// project with the frameworks it imports — on its own port, driven over HTTP with a cookie jar.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CookieJar } from '../helpers/cookie-jar.mjs';
import { freePort } from '../helpers/ports.mjs';
import { RedisServer } from '../helpers/redis-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { currentPlatform } = createRequire(import.meta.url)('../../lib/platform.js');
const examples = path.join(root, 'examples');
/** The frameworks the examples import, linked from this checkout's node_modules. */
const FRAMEWORKS = ['express', 'fastify', 'hono', '@hono/node-server', 'redis', 'connect-redis'];
/** Examples that the README does not show (the `npm start` demo). */
const NOT_IN_README = new Set(['cart-server.mjs']);

/** The README's fenced JavaScript blocks. */
function readmeBlocks() {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(?:js|javascript|ts|typescript)\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

describe('the README\'s servers are the files under examples/', () => {
  it('each block that starts a server names its file and is that file, byte for byte', () => {
    const shown = new Set();
    for (const block of readmeBlocks()) {
      const named = block.match(/^\/\/ examples\/([\w.-]+)\n/)?.[1];
      const startsServer = /\.listen\(|\bserve\(/.test(block);
      if (!named) {
        assert.ok(!startsServer, `a README block starts a server but is not an example file:\n${block}`);
        continue;
      }
      shown.add(named);
      assert.equal(block, readFileSync(path.join(examples, named), 'utf8'), `README block of examples/${named}`);
    }
    const files = readdirSync(examples).filter((file) => file.endsWith('.mjs') && !NOT_IN_README.has(file));
    assert.deepEqual([...shown].sort(), files.sort(), 'every example is shown in the README');
  });
});

describe('the examples, run from the packed package', { timeout: 240_000 }, () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'napi-session-examples-'));
  const running = new Set();
  after(() => {
    for (const child of running) child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  before(() => {
    const run = (command, args, cwd = scratch) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // The main package and this platform's package with the binary (npm/<platform>/), as npm
    // installs the two.
    const tarballs = [root, path.join(root, 'npm', currentPlatform().id)].map((dir) => {
      const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], dir));
      return path.join(scratch, packed.filename);
    });
    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'examples', private: true, type: 'module' }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs]);
    for (const name of FRAMEWORKS) {
      mkdirSync(path.dirname(path.join(scratch, 'node_modules', name)), { recursive: true });
      symlinkSync(path.join(root, 'node_modules', name), path.join(scratch, 'node_modules', name), 'dir');
    }
  });

  /**
   * Starts examples/<file> in a directory of its own (its fs sessions land there), on a free
   * port; resolves { origin, dir, output(), alive() } once it answers.
   */
  async function start(file, env = {}) {
    const dir = path.join(scratch, path.basename(file, '.mjs'));
    mkdirSync(dir);
    copyFileSync(path.join(examples, file), path.join(dir, file));
    const port = await freePort();
    const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, ...env, PORT: String(port), NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', () => running.delete(child));
    after(() => child.kill('SIGTERM'));
    const origin = `http://localhost:${port}`;
    for (let waited = 0; ; waited += 100) {
      if (child.exitCode !== null) throw new Error(`examples/${file} exited (${child.exitCode}):\n${output}`);
      try {
        await fetch(origin, { method: 'HEAD' });
        break;
      } catch {
        if (waited > 15_000) throw new Error(`examples/${file} did not answer in 15 s:\n${output}`);
        await sleep(100);
      }
    }
    return { origin, dir, output: () => output, alive: () => child.exitCode === null && child.signalCode === null };
  }

  /** A browser on `origin`: fetch with a cookie jar; text() answers [status, body]. */
  function browser(origin) {
    const jar = new CookieJar();
    const request = async (pathname, { form, method = form ? 'POST' : 'GET' } = {}) => {
      const headers = { cookie: jar.header() };
      if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(origin + pathname, { method, headers, body: form && new URLSearchParams(form), redirect: 'manual' });
      jar.applyResponse(response);
      return response;
    };
    return {
      jar,
      request,
      async text(pathname, init) {
        const response = await request(pathname, init);
        return [response.status, await response.text()];
      },
    };
  }

  it('examples/http.mjs counts visits, and answers 500 and stays up while its store fails', async () => {
    const server = await start('http.mjs');
    const client = browser(server.origin);
    assert.deepEqual(await client.text('/'), [200, 'visit 1\n']);
    assert.deepEqual(await client.text('/'), [200, 'visit 2\n']);
    // The fs store's directory becomes a file: every read and write fails.
    const base = path.join(server.dir, '.astro', 'session');
    renameSync(base, `${base}.away`);
    writeFileSync(base, 'not a directory');
    assert.deepEqual(await client.text('/'), [500, 'Sessions are unavailable, try again.\n']);
    assert.deepEqual(await browser(server.origin).text('/'), [500, 'Sessions are unavailable, try again.\n']);
    assert.ok(server.alive(), server.output());
    rmSync(base);
    renameSync(`${base}.away`, base);
    assert.deepEqual(await client.text('/'), [200, 'visit 3\n'], 'the store is back, the session too');
    assert.match(server.output(), /ERR_SESSION_STORAGE/);
  });

  it('examples/express.mjs: express-session\'s habits, from sign-in to sign-out', async () => {
    const server = await start('express.mjs', { SESSION_SECRET: 'a secret of at least thirty-two bytes, for the example' });
    const client = browser(server.origin);
    assert.deepEqual(await client.text('/'), [200, 'Hello guest, view 1\n']);
    assert.deepEqual(await client.text('/'), [200, 'Hello guest, view 2\n']);
    const login = await client.request('/login', { form: { name: 'Ada' } });
    assert.equal(login.status, 303);
    assert.match(login.headers.get('set-cookie'), /^connect\.sid=s%3A[0-9a-f-]{36}\.[^;]+; HttpOnly; SameSite=Lax; Path=\/; Max-Age=604800$/);
    assert.deepEqual(await client.text('/'), [200, 'Hello Ada, view 1\n'], 'a new, empty session for the signed-in user');
    assert.deepEqual(await client.text('/'), [200, 'Hello Ada, view 2\n']);
    assert.equal((await client.request('/logout', { method: 'POST' })).status, 303);
    assert.equal(client.jar.get('connect.sid'), undefined);
    assert.deepEqual(await client.text('/'), [200, 'Hello guest, view 1\n']);
  });

  it('examples/express-migrate.mjs: a user express-session signed in on connect-redis is still signed in after the switch', async () => {
    const redis = await RedisServer.start();
    after(() => redis.kill());
    const secret = 'a secret of at least thirty-two bytes, for the example';
    // What express-session with connect-redis left: the session as JSON under sess:<id>, and the
    // browser's cookie, signed as cookie-signature signs it.
    const oldId = 'tz6Fh2y4r4bGz5Rm0NOTi3y0v4pzBkJf';
    const stored = { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, user: 'Ada' };
    redis.cli('SET', `sess:${oldId}`, JSON.stringify(stored));
    const signed = createRequire(import.meta.url)('cookie-signature').sign(oldId, secret);
    const server = await start('express-migrate.mjs', { SESSION_SECRET: secret, REDIS_URL: redis.url });
    const client = browser(server.origin);
    client.jar.apply([`connect.sid=${encodeURIComponent(`s:${signed}`)}; Path=/; HttpOnly`]);
    assert.deepEqual(await client.text('/'), [200, 'Hello Ada\n']);
    assert.match(client.jar.get('connect.sid'), /^s%3A[0-9a-f-]{36}\./, 'a napi-session cookie now');
    assert.deepEqual(await client.text('/'), [200, 'Hello Ada\n']);
    assert.equal(redis.cli('EXISTS', `sess:${oldId}`), '0', 'the old session is gone');
    assert.deepEqual(await browser(server.origin).text('/'), [200, 'Hello guest\n']);
  });

  it('examples/express-middleware.mjs: Astro\'s session API in Express', async () => {
    const server = await start('express-middleware.mjs');
    const client = browser(server.origin);
    assert.deepEqual(await client.text('/'), [200, 'Hello guest\n']);
    assert.equal((await client.request('/login', { form: { name: 'Ada' } })).status, 303);
    assert.deepEqual(await client.text('/'), [200, 'Hello Ada\n']);
    assert.equal((await client.request('/logout', { method: 'POST' })).status, 303);
    assert.deepEqual(await client.text('/'), [200, 'Hello guest\n']);
  });

  it('examples/fastify.mjs: visits, and a cart that concurrent requests all add to', async () => {
    const server = await start('fastify.mjs');
    const client = browser(server.origin);
    assert.deepEqual(await client.text('/'), [200, 'visit 1\n']);
    assert.deepEqual(await client.text('/'), [200, 'visit 2\n']);
    const skus = ['tea', 'mug', 'book', 'pen', 'cup'];
    await Promise.all(skus.map((sku) => client.request(`/cart/${sku}`, { method: 'POST' })));
    const [status, body] = await client.text('/cart/jam', { method: 'POST' });
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(body).cart.sort(), [...skus, 'jam'].sort());
  });

  it('examples/hono.mjs: c.get("session"), and @hono/node-server\'s getConnInfo still works', async () => {
    const server = await start('hono.mjs');
    const client = browser(server.origin);
    const [status, body] = await client.text('/');
    assert.equal(status, 200);
    assert.match(body, /^visit 1 from (::1|127\.0\.0\.1|::ffff:127\.0\.0\.1)\n$/);
    assert.match((await client.text('/'))[1], /^visit 2 from /);
  });

  it('examples/handle.mjs: a Fetch-style handler', async () => {
    const server = await start('handle.mjs');
    const client = browser(server.origin);
    assert.deepEqual(await client.text('/'), [200, 'visit 1\n']);
    assert.deepEqual(await client.text('/'), [200, 'visit 2\n']);
  });
});
