// The load generator, run as a child process of benchmark/session.mjs and driven over IPC.
//
// A small HTTP/1.1 client on raw keep-alive sockets: each request is a pre-built buffer and each
// response is read only as far as its status and Content-Length, so the generator spends a few
// microseconds per request and leaves the (shared, 2-core) machine to the server it measures.
// One request at a time per connection (no pipelining); the servers always send Content-Length.
//
// Messages (each answered with { id, result } or { id, error }):
//   { type: 'create', port, count, concurrency }  new sessions: GET / without a cookie, each
//       answered with a Set-Cookie; each is then sent once more with its cookie, which must count
//       a second visit. → { cookies: ['astro-session=…', …], secondVisits }
//   { type: 'run', port, cookies, concurrency, warmup, duration, pick }  closed-loop load:
//       `concurrency` connections sending GET / back to back for warmup + duration seconds; only
//       requests started and finished inside the measured window count. The cookie of each request:
//       pick 'owned': the connection's own cookies in turn (cookie j belongs to connection
//         j % concurrency, so no two requests in flight share a session);
//       pick 'random': any cookie, drawn at random for every request, so requests of one session
//         overlap now and then, as a browser's parallel requests do.
//       → { requests (answered in the window), seconds, rps (answers 200 per second), p50, p90,
//           p99, max (ms, all answers), statuses, total (warm-up included), overlapping (requests
//           sent while another of their session was in flight, warm-up included), elapsed (s,
//           warm-up included), generatorCpuPerRequest (µs) }
//   { type: 'burst', port, paths, cookie }  one connection per path, all requests written at once.
//       → [{ status, body }]
//   { type: 'request', port, path, cookie }  → { status, headers, body }

import net from 'node:net';
import { performance } from 'node:perf_hooks';

const CRLF2 = Buffer.from('\r\n\r\n');

function requestBytes(port, path, cookie) {
  const cookieLine = cookie ? `Cookie: ${cookie}\r\n` : '';
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${cookieLine}\r\n`, 'latin1');
}

/** A keep-alive connection: `send(bytes)` resolves to the next response. */
class Connection {
  #socket;
  #buffer = null;
  #pending = null;
  #full;

  /** @param {boolean} full keep headers and body (slower), or only the status */
  constructor(port, full = false) {
    this.#full = full;
    this.#socket = net.connect(port, '127.0.0.1');
    this.#socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once('connect', resolve);
      this.#socket.once('error', reject);
    });
    this.#socket.on('data', (chunk) => this.#onData(chunk));
    this.#socket.on('error', (error) => this.#fail(error));
    this.#socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  send(bytes) {
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#socket.write(bytes);
    });
  }

  close() {
    this.#pending = null;
    this.#socket.destroy();
  }

  #fail(error) {
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(error);
  }

  #onData(chunk) {
    const buffer = this.#buffer === null ? chunk : Buffer.concat([this.#buffer, chunk]);
    const headEnd = buffer.indexOf(CRLF2);
    if (headEnd < 0) {
      this.#buffer = buffer;
      return;
    }
    const head = buffer.latin1Slice(0, headEnd);
    const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (match === null) return this.#fail(new Error(`response without Content-Length: ${head}`));
    const end = headEnd + 4 + Number(match[1]);
    if (buffer.length < end) {
      this.#buffer = buffer;
      return;
    }
    this.#buffer = buffer.length > end ? buffer.subarray(end) : null;
    const status = Number(head.slice(9, 12));
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null) return;
    if (!this.#full) return pending.resolve({ status });
    const headers = head
      .split('\r\n')
      .slice(1)
      .map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      });
    pending.resolve({ status, headers, body: buffer.toString('utf8', headEnd + 4, end) });
  }
}

async function request({ port, path, cookie }) {
  const connection = new Connection(port, true);
  try {
    await connection.ready;
    return await connection.send(requestBytes(port, path, cookie));
  } finally {
    connection.close();
  }
}

/** The `name=value` of the session cookie a response sets. */
function sessionCookie(response) {
  const setCookie = response.headers.find(([name, value]) => name === 'set-cookie' && value.startsWith('astro-session='));
  return setCookie?.[1].split(';')[0];
}

async function create({ port, count, concurrency }) {
  const cookies = new Array(count);
  let secondVisits = 0;
  let next = 0;
  const worker = async () => {
    const connection = new Connection(port, true);
    await connection.ready;
    try {
      while (next < count) {
        const i = next++;
        const first = await connection.send(requestBytes(port, '/', undefined));
        const cookie = sessionCookie(first);
        if (first.status !== 200 || cookie === undefined) {
          throw new Error(`creating a session: status ${first.status}, no session cookie (${first.body})`);
        }
        cookies[i] = cookie;
        const second = await connection.send(requestBytes(port, '/', cookie));
        if (second.status !== 200) throw new Error(`second visit: status ${second.status} (${second.body})`);
        if (JSON.parse(second.body).visits === 2) secondVisits++;
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { cookies, secondVisits };
}

async function run({ port, cookies, concurrency, warmup, duration, pick }) {
  if (pick !== 'owned' && pick !== 'random') throw new Error(`pick must be 'owned' or 'random', not ${pick}`);
  const requests = cookies.map((cookie) => requestBytes(port, '/', cookie));
  const connections = Array.from({ length: concurrency }, () => new Connection(port));
  await Promise.all(connections.map((c) => c.ready));

  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const measureFrom = start + warmup * 1000;
  const measureTo = measureFrom + duration * 1000;
  const latencies = [];
  const statuses = {};
  let total = 0;
  // Requests sent while another request of the same session was in flight.
  const inFlight = new Uint16Array(requests.length);
  let overlapping = 0;

  const worker = async (connection, index) => {
    const own = requests.map((_, j) => j).filter((j) => j % concurrency === index);
    let turn = 0;
    const next = pick === 'owned' ? () => own[turn++ % own.length] : () => Math.floor(Math.random() * requests.length);
    for (;;) {
      const sent = performance.now();
      if (sent >= measureTo) return;
      const session = next();
      if (inFlight[session]++ > 0) overlapping++;
      const { status } = await connection.send(requests[session]);
      inFlight[session]--;
      const done = performance.now();
      total++;
      if (sent >= measureFrom && done <= measureTo) {
        latencies.push(done - sent);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  try {
    await Promise.all(connections.map(worker));
  } finally {
    for (const connection of connections) connection.close();
  }

  const elapsed = (performance.now() - start) / 1000;
  const { user, system } = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(latencies).sort();
  const at = (q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return {
    requests: sorted.length,
    seconds: duration,
    rps: (statuses[200] ?? 0) / duration,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
    statuses,
    total,
    overlapping,
    elapsed,
    generatorCpuPerRequest: (user + system) / total,
  };
}

async function burst({ port, paths, cookie }) {
  const connections = paths.map(() => new Connection(port, true));
  try {
    await Promise.all(connections.map((c) => c.ready));
    const responses = connections.map((c, i) => c.send(requestBytes(port, paths[i], cookie)));
    return (await Promise.all(responses)).map(({ status, body }) => ({ status, body }));
  } finally {
    for (const connection of connections) connection.close();
  }
}

const COMMANDS = { create, run, burst, request };

process.on('message', async (message) => {
  try {
    const result = await COMMANDS[message.type](message);
    process.send({ id: message.id, result });
  } catch (error) {
    process.send({ id: message.id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
