// The report: the tables of every mode, the ratios, the noise, the checks; as plain text (the
// terminal) or Markdown (for benchmark/README.md). Numbers only come from the results.

export const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
export const fmtSpread = (s, digits = 0, unit = '') =>
  s && Number.isFinite(s.median) ? `${fmt(s.median, digits)}${unit} [${fmt(s.min, digits)}–${fmt(s.max, digits)}]` : '–';
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%` : '–');
const ratio = (s) => fmtSpread(s, 2, '×');

/** A table as aligned text, or as Markdown. `align`: 'l' or 'r' per column. */
export function table(header, rows, align, markdown = false) {
  if (markdown) {
    const escape = (cell) => cell.replaceAll('|', '\\|');
    return [
      `| ${header.map(escape).join(' | ')} |`,
      `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
      ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
    ].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (align[i] === 'l' ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The columns of a mode's stack table, each with how a stack's summary fills it. */
const STACK_COLUMNS = [
  ['stack', 'l', (s) => s.label],
  ['req/s median [min–max]', 'r', (s) => fmtSpread(s.rps)],
  ['p50 ms', 'r', (s) => fmt(s.p50.median, 2)],
  ['p99 ms', 'r', (s) => fmt(s.p99.median, 2)],
  ['server CPU µs/req', 'r', (s) => fmt(s.serverCpuPerRequest.median)],
  ['JS thread µs/req', 'r', (s) => fmt(s.jsThreadCpuPerRequest.median)],
  ['Redis CPU µs/req', 'r', (s) => fmt(s.redisCpuPerRequest.median)],
  ['Redis cmds/req', 'r', (s) => fmt(s.redisCommandsPerRequest.median, 2)],
  ['server cores', 'r', (s) => fmt(s.serverCores.median, 2)],
  ['of bare', 'r', (s) => (s.fractionOfBare ? pct(s.fractionOfBare.median) : '–')],
  ['session cost µs/req', 'r', (s) => (s.costPerRequest ? fmtSpread(s.costPerRequest) : '–')],
  ['not 200', 'r', (s) => (s.failureRate.max > 0 ? `${(s.failureRate.median * 100).toFixed(2)}% [max ${(s.failureRate.max * 100).toFixed(2)}%]` : '0')],
];

/** Every column's header, as the test checks them. */
export const COLUMN_HEADERS = STACK_COLUMNS.map(([header]) => header);
export const RATIO_HEADERS = ['ours / other', 'req/s', 'p99', 'JS thread CPU', 'server CPU', 'Redis CPU'];

function stackTable(stacks, summary, markdown) {
  const rows = stacks.map((stack) => {
    const s = summary[stack.key];
    if (!s || s.rounds === 0) return [stack.label, 'failed', ...STACK_COLUMNS.slice(2).map(() => '')];
    return STACK_COLUMNS.map(([, , cell]) => cell(s));
  });
  return table(COLUMN_HEADERS, rows, STACK_COLUMNS.map(([, align]) => align), markdown);
}

function ratioTable(ratios, markdown) {
  const rows = ratios.map((r) => [r.label, ratio(r.rps), ratio(r.p99), ratio(r.jsThreadCpu), ratio(r.serverCpu), ratio(r.redisCpu)]);
  return table(RATIO_HEADERS, rows, ['l', 'r', 'r', 'r', 'r', 'r'], markdown);
}

function checksTable(stacks, checked, lost, markdown) {
  const short = (text) => (text.length > 90 ? `${text.slice(0, 89)}…` : text);
  const rows = stacks
    .filter((s) => checked[s.key])
    .map((stack) => {
      const { lostUpdates: l, destroyedComesBack: d } = checked[stack.key];
      const failed = l.failedRequests ? `, ${l.failedRequests} requests failed` : '';
      const kept = l.error ? short(`${l.error}${failed}`) : `${l.present} of ${l.requests} keys present${l.lost > 0 ? ` (${l.lost} lost)` : ''}${failed}`;
      const back = d.error ? short(d.error) : d.cameBack ? `yes (${d.keysAfterDestroy} keys)` : 'no';
      return [stack.label, kept, back];
    });
  return table(['stack', `lost updates: ${lost} concurrent set() on one session`, 'destroyed session comes back'], rows, ['l', 'l', 'l'], markdown);
}

/** The header lines: what ran, where, how. */
export function describeRun(run, { paths = true } = {}) {
  const { env, options } = run;
  const where = paths ? ` (${env.serverNode.path})` : '';
  const nodes =
    env.serverNode.path === process.execPath ? `Node ${env.node}` : `servers on Node ${env.serverNode.version}${where}, load generator on Node ${env.node}`;
  return [
    `napi-session benchmark — ${nodes}, ${env.machine.cpus}× ${env.machine.cpuModel}, load average ${env.loadBefore} → ${env.loadAfter ?? '?'}`,
    `${options.rounds} rounds × ${options.duration} s per stack (+${options.warmup} s warm-up); each request: read the cart ` +
      '(a Map of items with Dates), change one item, set it; read the visit counter, +1, set; persist.',
    `JS-thread CPU from ${env.jsThreadCpuSource}; ${env.date}; ${env.command}`,
  ];
}

/** The whole report. */
export function report(run, { markdown = false } = {}) {
  const { options, stacks, modes, checks, failed } = run;
  // Notes under a table: lines of text, or a Markdown list (consecutive lines would run together).
  const notes = (list) => list.map((note) => (markdown ? `- ${note}` : note));
  const lines = [...describeRun(run).map((l) => (markdown ? `${l}  ` : l)), ''];
  for (const mode of Object.values(modes)) {
    lines.push(markdown ? `### ${mode.label}\n` : `■ ${mode.label}`, `${mode.description}.`, '');
    lines.push(stackTable(stacks, mode.summary, markdown), '');
    if (mode.ratios.length) lines.push(ratioTable(mode.ratios, markdown), '');
    const list = [];
    if (mode.ratios.length) {
      list.push(
        'ratios ours / other, taken within each round, median [min–max]: napi-session is ahead where req/s is above 1×, ' +
          'and p99 and CPU are below 1×.',
      );
    }
    const others = mode.noise.otherCores;
    if (Number.isFinite(others.median)) {
      list.push(
        `noise: other processes kept ${fmtSpread(others, 2)} of ${run.env.machine.cpus} cores busy during the measurements; ` +
          `the load generator spent ${fmtSpread(mode.noise.generatorCpuPerRequest, 1)} µs of CPU per request.`,
      );
    }
    const overlap = mode.noise.overlapRate;
    if (Number.isFinite(overlap.median)) {
      list.push(
        `requests sent while another request of their session was in flight: ${pct(overlap.median)} [${pct(overlap.min)}–${pct(overlap.max)}] ` +
          'over the session stacks.',
      );
    }
    if (mode.stored.length) list.push(`stored session (median): ${mode.stored.map((s) => `${s.label} ${fmt(s.medianBytes)} B`).join(', ')}.`);
    lines.push(...notes(list), '');
  }
  if (checks) {
    lines.push(markdown ? '### Correctness under concurrency\n' : '■ correctness under concurrency', checksTable(stacks, checks, options.lost, markdown), '');
  }
  lines.push(...notes([...failed].map(([key, message]) => `FAILED ${key}: ${message}`)));
  return lines.join('\n').trimEnd();
}
