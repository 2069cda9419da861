/**
 * The bench chart as hand-written SVG (no charting dependency): events/s per contender as horizontal
 * bars with the engine's ratio to each, and the latency percentiles against the p99 target.
 */
import { type BenchReport, cpuMicrosPerEvent, formatInt, formatRatio, ratioToEngine, targets } from './report.js';

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const COLORS: Record<string, string> = {
  engine: '#2b6cb0',
  'engine-debezium': '#3182ce',
  'engine-debezium-avro': '#4299e1',
  'engine-baseline': '#90cdf4',
  'per-row-insert': '#c05621',
  'multi-row-insert': '#b7791f',
  'copy-ceiling': '#718096',
};

const WIDTH = 760;
const LABEL_W = 150;
const BAR_MAX_W = 430;
const BAR_H = 26;
const GAP = 10;

/**
 * A round axis for values up to `max`: a tick step of 1, 2, 2.5 or 5 times a power of ten, about a
 * quarter of the range, and the axis maximum the first tick at or above `max`.
 */
export function axisScale(max: number): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 0.25 };
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

export function renderChart(report: BenchReport): string {
  const parts: string[] = [];
  let y = 34;
  const m = report.machine;
  parts.push(text(16, y, 'cdc-pipeline benchmark: events applied per second (higher is better)', 'class="title"'));
  y += 20;
  parts.push(
    text(
      16,
      y,
      `${m.cpus} CPUs${m.cpuModel ? ` (${m.cpuModel})` : ''}, Node ${m.node}, PostgreSQL ${m.postgres}${m.stack ? `; ${m.stack}` : ''}`,
      'class="sub"',
    ),
  );
  if (report.dataset) {
    y += 16;
    parts.push(
      text(
        16,
        y,
        `${formatInt(report.dataset.events)} events preloaded (users ${formatInt(report.dataset.users)}, orders ${formatInt(report.dataset.orders)}); every contender's tables checked against the model`,
        'class="sub"',
      ),
    );
  }
  y += 22;

  const contenders = report.contenders;
  const axis = axisScale(Math.max(1, ...contenders.map((c) => c.eventsPerSec)));
  const axisMax = axis.max;
  const x0 = 16 + LABEL_W;
  const gridTop = y;
  const gridBottom = y + contenders.length * (BAR_H + GAP);
  for (let v = 0; v <= axisMax + 1e-9; v += axis.step) {
    const gx = x0 + (BAR_MAX_W * v) / axisMax;
    parts.push(`<line x1="${gx.toFixed(1)}" y1="${gridTop}" x2="${gx.toFixed(1)}" y2="${gridBottom}" class="grid"/>`);
    parts.push(text(gx, gridBottom + 14, formatInt(v), 'class="axis" text-anchor="middle"'));
  }
  for (const c of contenders) {
    const w = Math.max(1, (BAR_MAX_W * c.eventsPerSec) / axisMax);
    const color = COLORS[c.name] ?? '#4a5568';
    parts.push(text(x0 - 8, y + BAR_H / 2 + 4, c.name + (c.subset ? ' *' : ''), 'class="label" text-anchor="end"'));
    parts.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${color}" rx="2"/>`);
    const ratio = c.name === 'engine' ? undefined : ratioToEngine(report, c.name);
    const note = `${formatInt(c.eventsPerSec)} /s${ratio === undefined ? '' : `  (engine ${formatRatio(ratio)})`}${c.verified === false ? '  NOT VERIFIED' : ''}`;
    parts.push(text(x0 + w + 6, y + BAR_H / 2 + 4, note, 'class="value"'));
    y += BAR_H + GAP;
  }
  y = gridBottom + 30;
  if (contenders.some((c) => c.subset)) {
    parts.push(text(16, y, '* measured on the first events it applied in a fixed time', 'class="sub"'));
    y += 18;
  }
  for (const c of contenders) {
    if (!c.extraArgs) continue;
    parts.push(text(16, y, `${c.name} ran with non-default arguments: ${c.extraArgs}`, 'class="sub"'));
    y += 18;
  }

  // CPU per event, stacked by process: on two cores whatever one process spends, the others cannot.
  const withCpu = contenders.map((c) => ({ c, us: cpuMicrosPerEvent(c) })).filter((x) => x.us !== undefined);
  if (withCpu.length > 0) {
    y += 14;
    parts.push(text(16, y, 'CPU µs per event, by process (lower is better): own / Postgres / runner and mock Kafka', 'class="title"'));
    y += 16;
    const cpuAxis = axisScale(Math.max(1, ...withCpu.map((x) => x.us?.total ?? 0)));
    const cpuTop = y;
    const cpuBottom = y + withCpu.length * (BAR_H + GAP);
    for (let v = 0; v <= cpuAxis.max + 1e-9; v += cpuAxis.step) {
      const gx = x0 + (BAR_MAX_W * v) / cpuAxis.max;
      parts.push(`<line x1="${gx.toFixed(1)}" y1="${cpuTop}" x2="${gx.toFixed(1)}" y2="${cpuBottom}" class="grid"/>`);
      parts.push(text(gx, cpuBottom + 14, formatInt(v), 'class="axis" text-anchor="middle"'));
    }
    for (const { c, us } of withCpu) {
      const u = us as NonNullable<typeof us>;
      parts.push(text(x0 - 8, y + BAR_H / 2 + 4, c.name, 'class="label" text-anchor="end"'));
      let x = x0;
      for (const [v, opacity] of [
        [u.own, 1],
        [u.postgres ?? 0, 0.6],
        [u.runner, 0.3],
      ] as const) {
        const w = (BAR_MAX_W * v) / cpuAxis.max;
        if (w > 0)
          parts.push(
            `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[c.name] ?? '#4a5568'}" opacity="${opacity}"/>`,
          );
        x += w;
      }
      parts.push(
        text(
          x + 6,
          y + BAR_H / 2 + 4,
          `${u.total.toFixed(0)} µs (${u.own.toFixed(0)} / ${u.postgres === undefined ? 'n/a' : u.postgres.toFixed(0)} / ${u.runner.toFixed(0)})`,
          'class="value"',
        ),
      );
      y += BAR_H + GAP;
    }
    y = cpuBottom + 30;
  }

  const l = report.latency;
  if (l) {
    y += 14;
    parts.push(text(16, y, `Engine latency at ${formatInt(l.rate)} events/s: Kafka timestamp to commit (ms)`, 'class="title"'));
    y += 16;
    const bars: Array<[string, number]> = [
      ['p50', l.p50Ms],
      ['p99', l.p99Ms],
      ['max', l.maxMs],
    ];
    const latMax = axisScale(Math.max(targets.maxP99Ms * 1.2, ...bars.map(([, v]) => (Number.isFinite(v) ? v : 0)))).max;
    const top = y;
    const bottom = y + bars.length * (BAR_H + GAP);
    for (const [label, v] of bars) {
      const w = Math.max(1, (BAR_MAX_W * (Number.isFinite(v) ? v : 0)) / latMax);
      parts.push(text(x0 - 8, y + BAR_H / 2 + 4, label, 'class="label" text-anchor="end"'));
      parts.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS.engine}" opacity="0.8" rx="2"/>`);
      parts.push(text(x0 + w + 6, y + BAR_H / 2 + 4, Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a', 'class="value"'));
      y += BAR_H + GAP;
    }
    const tx = x0 + (BAR_MAX_W * targets.maxP99Ms) / latMax;
    parts.push(`<line x1="${tx.toFixed(1)}" y1="${top - 4}" x2="${tx.toFixed(1)}" y2="${bottom}" class="target"/>`);
    parts.push(text(tx, bottom + 14, `p99 target ${targets.maxP99Ms} ms`, 'class="axis" text-anchor="middle"'));
    y = bottom + 30;
  }
  if (report.engineRssMaxMB !== null) {
    parts.push(
      text(
        16,
        y,
        `Engine peak RSS while draining the backlog: ${Math.round(report.engineRssMaxMB)} MB (target ${targets.maxRssMB} MB)`,
        'class="sub"',
      ),
    );
    y += 18;
  }
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="cdc-pipeline benchmark results">`,
    '<style>text{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;fill:#1a202c}.title{font-size:15px;font-weight:600}.sub{font-size:12px;fill:#4a5568}.label{font-size:13px}.value{font-size:12px}.axis{font-size:11px;fill:#718096}.grid{stroke:#e2e8f0;stroke-width:1}.target{stroke:#e53e3e;stroke-width:2;stroke-dasharray:5 4}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
