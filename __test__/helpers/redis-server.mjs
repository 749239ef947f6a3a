// Private redis-server processes for the tests: each on a free loopback port, in its own temporary
// directory, keeping nothing on disk. Every process started here is killed at the end: by stopAll()
// in an `after` hook, on process exit even if a test failed, and — should this process itself be
// killed — by a watchdog (guard() below). The tests never touch a server they did not start, such
// as a shared one on 6379.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './ports.mjs';

const STARTUP_MS = 10_000;
const running = new Set();
const dirs = new Set();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
// A signal would end the process without 'exit' handlers; make it run them.
for (const [signal, number] of [['SIGHUP', 1], ['SIGINT', 2], ['SIGTERM', 15]]) process.once(signal, () => process.exit(128 + number));

/**
 * Kills `child` and removes `dir` if this process dies without stopping it (even by SIGKILL): a
 * shell that waits for its stdin, a pipe from this process, to close. Stopped itself as soon as
 * `child` exits, so it can never signal a pid that has been reused.
 */
function guard(child, dir) {
  const script = 'read _; kill -KILL "$1" 2>/dev/null; rm -rf -- "$2"';
  const watchdog = spawn('sh', ['-c', script, 'guard', String(child.pid), dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.unref();
  watchdog.stdin.unref();
  watchdog.on('error', () => {});
  child.once('exit', () => watchdog.kill('SIGKILL'));
}

function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Sends PING; resolves true on any answer (PONG, or NOAUTH from a server that wants a password). */
function ping(port, tlsOptions) {
  return new Promise((resolve) => {
    const socket = tlsOptions
      ? tls.connect({ host: '127.0.0.1', port, ...tlsOptions })
      : net.connect({ host: '127.0.0.1', port });
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.once('data', () => done(true));
  });
}

/**
 * A redis-server. `args` are more redis-server arguments (`{dir}` in one is replaced by its
 * directory); `tls` ({ cert, key, ca, authClients }) serves TLS only, on the port.
 */
export class RedisServer {
  #child = null;
  #args;
  #tls;
  #pingTls;

  constructor({ port, args = [], tls: tlsFiles, dir }) {
    this.port = port;
    this.dir = dir;
    this.#args = args.map((arg) => arg.replaceAll('{dir}', dir));
    this.#tls = tlsFiles;
    this.#pingTls = tlsFiles && {
      ca: readFileSync(tlsFiles.ca),
      cert: readFileSync(tlsFiles.clientCert ?? tlsFiles.cert),
      key: readFileSync(tlsFiles.clientKey ?? tlsFiles.key),
    };
  }

  static async start(options = {}) {
    const dir = tempDir('napi-session-redis-');
    let lastError;
    // A port found free may be taken before the server binds it: then try another.
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer({ ...options, dir, port: await freePort() });
      try {
        await server.#spawn();
        return server;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  get url() {
    return `${this.#tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.#child?.pid;
  }

  /** Kills the server at once (SIGKILL): clients see their connections reset. */
  async kill() {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    running.delete(child);
  }

  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  async restart() {
    await this.kill();
    const deadline = Date.now() + STARTUP_MS;
    for (;;) {
      try {
        return await this.#spawn();
      } catch (error) {
        // The port can stay busy for a moment after the kill.
        if (Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
  }

  /** Freezes it (SIGSTOP): connections stay open, nothing is answered. */
  pause() {
    process.kill(this.pid, 'SIGSTOP');
  }

  resume() {
    process.kill(this.pid, 'SIGCONT');
  }

  /** Runs redis-cli against this server; its --raw output, trimmed of the last newline. */
  cli(...args) {
    const connection = ['-h', '127.0.0.1', '-p', String(this.port)];
    if (this.#tls) {
      connection.push('--tls', '--cacert', this.#tls.ca);
      if (this.#tls.clientCert) connection.push('--cert', this.#tls.clientCert, '--key', this.#tls.clientKey);
    }
    return execFileSync('redis-cli', [...connection, '--raw', ...args], { encoding: 'utf8' }).replace(/\n$/, '');
  }

  async #spawn() {
    const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    if (this.#tls) {
      args.push('--port', '0', '--tls-port', String(this.port));
      args.push('--tls-cert-file', this.#tls.cert, '--tls-key-file', this.#tls.key, '--tls-ca-cert-file', this.#tls.ca);
      args.push('--tls-auth-clients', this.#tls.authClients ? 'yes' : 'no');
    } else {
      args.push('--port', String(this.port));
    }
    const child = spawn('redis-server', [...args, ...this.#args], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    if (child.pid) guard(child, this.dir);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const spawnError = new Promise((resolve) => child.once('error', resolve));
    const deadline = Date.now() + STARTUP_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      const error = await Promise.race([spawnError, sleep(20, null)]);
      if (error) {
        running.delete(child);
        throw new Error(`redis-server could not start (is it installed?): ${error.message}`);
      }
      if (await ping(this.port, this.#pingTls)) {
        this.#child = child;
        return;
      }
    }
    child.kill('SIGKILL');
    running.delete(child);
    throw new Error(`redis-server did not start on port ${this.port}: ${stderr.trim()}`);
  }
}

/** Three masters with every slot assigned, ready when CLUSTER INFO says cluster_state:ok on each. */
export async function startCluster() {
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    nodes.push(
      await RedisServer.start({
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', '{dir}/nodes.conf', '--cluster-node-timeout', '5000'],
      }),
    );
  }
  await promisify(execFile)('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map((node) => `127.0.0.1:${node.port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  const deadline = Date.now() + 20_000;
  for (const node of nodes) {
    while (!node.cli('CLUSTER', 'INFO').includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('the test cluster did not become ready');
      await sleep(50);
    }
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    /** The node that holds `key`. */
    nodeOf(key) {
      return nodes.find((node) => node.cli('EXISTS', key) === '1');
    },
  };
}

/**
 * A test CA and, signed by it, a certificate for 127.0.0.1 (server) and one for a client, made
 * with the openssl CLI in a temporary directory. Returns their file paths.
 */
export function makeCertificates() {
  const dir = tempDir('napi-session-tls-');
  const file = (name) => path.join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2',
    '-subj', '/CN=napi-session test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name, subject, extensions) => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', ...ecKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-out', file(`${name}.crt`), '-days', '2', '-extfile', file(`${name}.ext`));
  };
  leaf('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  leaf('client', '/CN=napi-session test client', 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  return {
    ca: file('ca.crt'),
    cert: file('server.crt'),
    key: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
  };
}

/** Kills every server this process started. */
export async function stopAll() {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGKILL');
        }),
    ),
  );
  running.clear();
}

