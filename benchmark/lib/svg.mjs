// The chart: req/s of every stack in every mode, a bar at the median with a whisker from the
// slowest to the fastest round, and each stack's req/s as a multiple of Astro's on its driver
// (taken within each round). A plain SVG with its text in it: readable in a browser, a viewer or
// a README without scripts. The caption says where and how it was measured.

import { describeRun, fmt } from './report.mjs';

const COLORS = { bare: '#868e96', ours: '#e8590c', astro: '#7048e8', express: '#2f9e44' };
const FAMILY_NAMES = { bare: 'no session', ours: 'napi-session', astro: 'Astro (AstroSession + unstorage)', express: 'express-session' };

const WIDTH = 980;
const LABEL_WIDTH = 250;
const VALUE_WIDTH = 230;
const BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
const ROW = 24;
const BAR = 14;

const escape = (text) => String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Splits `text` into lines of at most `width` characters, at spaces. */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

export function chart(run) {
  const { stacks, modes } = run;
  const modeList = Object.values(modes);
  // One scale for every mode, so bars compare across modes. The bare server is many times
  // faster than any session stack: it would flatten them all, so the scale stops short of it and
  // its bar is drawn broken.
  const sessionMax = Math.max(
    1,
    ...modeList.flatMap((m) => stacks.filter((s) => s.family !== 'bare').map((s) => m.summary[s.key]?.rps.max ?? 0)).filter(Number.isFinite),
  );
  const scale = sessionMax * 1.08;
  const x = (rps) => LABEL_WIDTH + (Math.min(rps, scale) / scale) * BAR_AREA;

  const out = [];
  let y = 34;
  out.push(`<text x="16" y="${y}" class="title">napi-session benchmark: requests per second, median of the rounds, whiskers min–max</text>`);
  y += 22;
  let legendX = 16;
  for (const family of new Set(stacks.map((s) => s.family))) {
    out.push(`<rect x="${legendX}" y="${y - 10}" width="12" height="12" fill="${COLORS[family]}"/>`);
    out.push(`<text x="${legendX + 17}" y="${y}" class="small">${escape(FAMILY_NAMES[family])}</text>`);
    legendX += 30 + FAMILY_NAMES[family].length * 6.3;
  }
  y += 14;

  for (const mode of modeList) {
    y += 22;
    out.push(`<text x="16" y="${y}" class="mode">${escape(mode.label)}</text>`);
    y += 16;
    for (const line of wrap(`${mode.description}.`, 150)) {
      out.push(`<text x="16" y="${y}" class="small">${escape(line)}</text>`);
      y += 14;
    }
    y += 4;
    let driver = stacks[0]?.driver;
    for (const stack of stacks) {
      // A little space between the groups of one driver.
      if (stack.driver !== driver) y += 6;
      driver = stack.driver;
      const s = mode.summary[stack.key];
      const mid = y + ROW / 2;
      out.push(`<text x="${LABEL_WIDTH - 8}" y="${mid + 4}" class="label" text-anchor="end">${escape(stack.label)}</text>`);
      if (!s || s.rounds === 0) {
        out.push(`<text x="${LABEL_WIDTH + 4}" y="${mid + 4}" class="value">failed</text>`);
        y += ROW;
        continue;
      }
      const end = x(s.rps.median);
      out.push(`<rect x="${LABEL_WIDTH}" y="${mid - BAR / 2}" width="${(end - LABEL_WIDTH).toFixed(1)}" height="${BAR}" fill="${COLORS[stack.family]}"/>`);
      if (s.rps.median > scale) {
        // A break in the bar: it goes on far beyond the scale.
        const bx = LABEL_WIDTH + BAR_AREA - 30;
        out.push(`<path d="M${bx} ${mid + BAR / 2 + 2} l6 ${-BAR - 4} h5 l-6 ${BAR + 4} z" fill="#fff"/>`);
      } else {
        const [lo, hi] = [x(s.rps.min), x(s.rps.max)];
        out.push(`<path d="M${lo.toFixed(1)} ${mid} H${hi.toFixed(1)} M${lo.toFixed(1)} ${mid - 5} v10 M${hi.toFixed(1)} ${mid - 5} v10" class="whisker"/>`);
      }
      const ofAstro = s.rpsOfAstro && Number.isFinite(s.rpsOfAstro.median) ? ` · ${s.rpsOfAstro.median.toFixed(2)}× Astro` : '';
      const failing = s.failureRate.median > 0 ? ` · ${(s.failureRate.median * 100).toFixed(1)}% not 200` : '';
      const valueX = Math.min(Math.max(end, x(s.rps.max)), LABEL_WIDTH + BAR_AREA) + 8;
      out.push(`<text x="${valueX.toFixed(1)}" y="${mid + 4}" class="value">${fmt(s.rps.median)} req/s${escape(ofAstro + failing)}</text>`);
      y += ROW;
    }
  }

  y += 18;
  const noise = modeList.map((m) => `${m.label}: ${fmt(m.noise.otherCores.median, 2)}`).join(', ');
  const caption = [
    ...describeRun(run, { paths: false }),
    `Cores kept busy by other processes during the measurements (median): ${noise}. "× Astro": req/s over Astro's on the same driver, within each round.`,
  ];
  for (const text of caption) {
    for (const line of wrap(text, 160)) {
      out.push(`<text x="16" y="${y}" class="caption">${escape(line)}</text>`);
      y += 14;
    }
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:16px;font-weight:600}.mode{font-size:14px;font-weight:600}.label{font-size:12px}.value{font-size:12px}' +
      '.small{font-size:11px;fill:#495057}.caption{font-size:10.5px;fill:#495057}.whisker{stroke:#212529;stroke-width:1.2;fill:none}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
