// The benchmark's own redis-server: started on a free loopback port by the same harness the tests
// use (__test__/helpers/redis-server.mjs: fresh, `--save "" --appendonly no`, killed when this
// process ends however it ends), never the shared one on 6379. Read over one ioredis connection
// of the orchestrator: its CPU time (INFO cpu), and the sizes of the sessions a stack stored.

import Redis from 'ioredis';
import { RedisServer } from '../../__test__/helpers/redis-server.mjs';

// The length of every value whose key starts with ARGV[1] (a private server: KEYS is fine).
const STORED_LENGTHS = `
local keys = redis.call('KEYS', ARGV[1] .. '*')
local lengths = {}
for i, key in ipairs(keys) do lengths[i] = redis.call('STRLEN', key) end
return lengths`;

export class BenchRedis {
  #server;
  #client;

  static async start() {
    const bench = new BenchRedis();
    bench.#server = await RedisServer.start();
    bench.#client = new Redis(bench.#server.url, { maxRetriesPerRequest: 1 });
    await bench.#client.ping();
    return bench;
  }

  get url() {
    return this.#server.url;
  }

  /**
   * What the server has done so far: `cpuMicros`, its CPU time (all its threads, user + system,
   * in µs), and `commands`, the commands it ran (`total_commands_processed`: a script's own calls
   * count, each; the INFO command reading this counts one).
   */
  async usage() {
    const info = await this.#client.info('all');
    const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
    return { cpuMicros: (field('used_cpu_sys') + field('used_cpu_user')) * 1e6, commands: field('total_commands_processed') };
  }

  /** Empties it (between the modes, so each starts as fresh as the other stores). */
  async flush() {
    await this.#client.flushall();
  }

  /** The lengths in bytes of the values stored under `prefix`. */
  async storedLengths(prefix) {
    return this.#client.eval(STORED_LENGTHS, 0, prefix);
  }

  async stop() {
    this.#client?.disconnect();
    await this.#server?.kill();
  }
}
