// What the machine is, and how busy it is: to tell the noise of other processes apart from the
// figures measured.

import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Busy and idle jiffies of all CPUs (Linux /proc/stat), or null elsewhere. */
export function machineCpu() {
  try {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    return { idle, busy: fields.reduce((a, b) => a + b, 0) - idle };
  } catch {
    return null;
  }
}

/** How many cores were busy on average between two machineCpu() readings. */
export function coresBusy(before, after) {
  if (!before || !after) return NaN;
  const busy = after.busy - before.busy;
  const all = busy + after.idle - before.idle;
  return all > 0 ? (busy / all) * os.cpus().length : NaN;
}

/** The machine, for the report's header and the chart's caption. */
export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? '?',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
  };
}
