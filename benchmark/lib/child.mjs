// A child process spoken to over IPC: the servers and the load generator.

import { fork } from 'node:child_process';

/**
 * A forked Node.js process: `ready` resolves to its first `{ type: 'ready' }` message,
 * `call(message)` to its answer to `message` (matched by id).
 */
export class Child {
  #next = 0;
  #waiting = new Map();

  /**
   * @param {string} label for messages
   * @param {string} file the module to run
   * @param {string[]} args its arguments
   * @param {{ execPath?: string, execArgv?: string[], env?: object }} [options] execPath: the
   *   Node.js to run it on (default: this one)
   */
  constructor(label, file, args, { execPath, execArgv = [], env = {} } = {}) {
    this.label = label;
    this.exited = null;
    this.process = fork(file, args, {
      execPath,
      execArgv,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.process.on('message', (message) => {
        if (message?.type === 'ready') return resolve(message);
        const waiting = this.#waiting.get(message?.id);
        if (!waiting) return;
        this.#waiting.delete(message.id);
        if (message.error !== undefined) waiting.reject(new Error(`${label}: ${message.error}`));
        else waiting.resolve(message.result ?? message);
      });
      this.process.on('error', (error) => reject(new Error(`${label}: ${error.message}`)));
      this.process.on('exit', (code, signal) => {
        this.exited = `exited (${signal ?? code})`;
        const error = new Error(`${label} ${this.exited}`);
        reject(error);
        for (const waiting of this.#waiting.values()) waiting.reject(error);
        this.#waiting.clear();
      });
    });
    this.ready.catch(() => {});
  }

  call(message) {
    if (this.exited) return Promise.reject(new Error(`${this.label} ${this.exited}`));
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.process.send({ ...message, id });
    });
  }

  /** Asks the process to exit, then makes sure it has (this kills only our own child, by pid). */
  async stop() {
    if (this.exited || this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    try {
      this.process.send({ type: 'exit' });
    } catch {}
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
