/**
 * The soak's memory verdict: is the long-lived consumer's RSS flat? Pure functions of the samples, so
 * the criterion can be tested (and read) apart from the run.
 *
 * Two checks, both against one bound in MB per minute. The least-squares slope after the warm-up catches
 * a steady leak even under noise; the rise from the second quarter's mean to the last quarter's catches
 * growth that starts late, which a slope over the whole run dilutes. The first quarter is never compared:
 * it holds the warm-up.
 */

export interface RssSample {
  /** Seconds since the consumers started. */
  tSec: number;
  mb: number;
}

export interface LineFit {
  /** Per unit of x. */
  slope: number;
  intercept: number;
}

/** Ordinary least squares; undefined when fewer than two distinct x values make the slope meaningless. */
export function fitLine(points: ReadonlyArray<{ x: number; y: number }>): LineFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  // Centred sums: epoch-sized x values would lose the slope to cancellation in the textbook formula.
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export interface TrendBounds {
  warmUpSec: number;
  /** A shorter judged span (warm-up to end) gives no verdict: minutes of noise say nothing about a trend. */
  minSpanSec: number;
  /** Length of the judged period (production): the quarters are quarters of [0, endSec]. */
  endSec: number;
  maxSlopeMbPerMin: number;
}

export interface RssVerdict {
  /** False when no failure was found; true also when not judged (see `judged`). */
  ok: boolean;
  /** False when the run was too short to judge; then `ok` is true and `notJudged` says why. */
  judged: boolean;
  notJudged?: string;
  /** Samples after the warm-up, the ones judged. */
  samples: number;
  startMb: number;
  endMb: number;
  minMb: number;
  maxMb: number;
  slopeMbPerMin: number;
  secondQuarterMeanMb: number;
  lastQuarterMeanMb: number;
  /** Last quarter's mean minus the second quarter's. */
  quarterRiseMb: number;
  /** The slope bound over the time between the two quarters' midpoints (half the period). */
  quarterRiseBoundMb: number;
  /** Why it failed; empty when ok. */
  failures: string[];
}

/** Fewer than this after the warm-up and no trend can be told from noise. */
export const minJudgedSamples = 6;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function rssVerdict(series: readonly RssSample[], bounds: TrendBounds): RssVerdict {
  const judged = series.filter((s) => s.tSec >= bounds.warmUpSec && s.tSec <= bounds.endSec);
  const q = bounds.endSec / 4;
  const second = judged.filter((s) => s.tSec >= q && s.tSec < 2 * q).map((s) => s.mb);
  const last = judged.filter((s) => s.tSec >= 3 * q).map((s) => s.mb);
  const mbs = judged.map((s) => s.mb);
  const fit = fitLine(judged.map((s) => ({ x: s.tSec / 60, y: s.mb })));
  const failures: string[] = [];
  const span = bounds.endSec - bounds.warmUpSec;
  const judgedSpan = span >= bounds.minSpanSec;
  const slope = fit?.slope ?? Number.NaN;
  const secondMean = second.length > 0 ? mean(second) : Number.NaN;
  const lastMean = last.length > 0 ? mean(last) : Number.NaN;
  const rise = lastMean - secondMean;
  const riseBound = bounds.maxSlopeMbPerMin * ((2 * q) / 60);
  if (!judgedSpan) {
    // Nothing to add: the summary below still describes the samples.
  } else if (judged.length < minJudgedSamples || second.length < 2 || last.length < 2 || fit === undefined) {
    failures.push(
      `too few samples to judge: ${judged.length} after the warm-up (at least ${minJudgedSamples}), ${second.length} in the second quarter and ${last.length} in the last (at least 2 each)`,
    );
  } else {
    if (slope > bounds.maxSlopeMbPerMin) {
      failures.push(`RSS grows ${slope.toFixed(3)} MB/min after the warm-up, above the bound of ${bounds.maxSlopeMbPerMin} MB/min`);
    }
    if (rise > riseBound) {
      failures.push(
        `the last quarter's mean RSS is ${rise.toFixed(1)} MB above the second quarter's, above the bound of ${riseBound.toFixed(1)} MB`,
      );
    }
  }
  return {
    ok: failures.length === 0,
    judged: judgedSpan,
    ...(judgedSpan
      ? {}
      : {
          notJudged: `${(span / 60).toFixed(1)} minutes after the warm-up, at least ${(bounds.minSpanSec / 60).toFixed(0)} needed for a verdict`,
        }),
    samples: judged.length,
    startMb: mbs[0] ?? Number.NaN,
    endMb: mbs.at(-1) ?? Number.NaN,
    minMb: mbs.length > 0 ? Math.min(...mbs) : Number.NaN,
    maxMb: mbs.length > 0 ? Math.max(...mbs) : Number.NaN,
    slopeMbPerMin: slope,
    secondQuarterMeanMb: secondMean,
    lastQuarterMeanMb: lastMean,
    quarterRiseMb: rise,
    quarterRiseBoundMb: riseBound,
    failures,
  };
}

/** `m:ss`, the soak's clock. */
export function clock(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The series as `time MB` pairs, `perLine` to a line, columns aligned. */
export function formatSeries(series: readonly RssSample[], perLine = 6): string[] {
  const cells = series.map((s) => `${clock(s.tSec).padStart(5)} ${s.mb.toFixed(1).padStart(6)}`);
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += perLine) lines.push(cells.slice(i, i + perLine).join('   '));
  return lines;
}
