/**
 * Percentiles and the latency summary. Pure functions, unit-tested in test/bench/stats.test.ts.
 */

/**
 * Nearest-rank percentile of ascending values: the smallest value with at least p% of the values at or
 * below it. p = 0 gives the minimum, p = 100 the maximum. NaN for no values.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Nearest-rank percentile where each value stands for `weight` observations. */
export function weightedPercentile(samples: ReadonlyArray<{ value: number; weight: number }>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = samples.filter((s) => s.weight > 0).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((n, s) => n + s.weight, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const s of sorted) {
    seen += s.weight;
    if (seen >= rank) return s.value;
  }
  return (sorted.at(-1) as { value: number }).value;
}

/** One committed batch as the engine's onBatch hook reports it. */
export interface BatchSample {
  /** Wall-clock time of the batch's COMMIT (epoch ms). */
  committedAt: number;
  /** Earliest and latest Kafka timestamp of the batch's messages (epoch ms). */
  minTimestamp: number;
  maxTimestamp: number;
  events: number;
}

export interface LatencySummary {
  events: number;
  batches: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * The same percentiles with each batch's events spread evenly between its earliest and latest
   * timestamp: an estimate, where p50Ms/p99Ms are upper bounds.
   */
  spreadP50Ms: number;
  spreadP99Ms: number;
}

/**
 * Per event latency from its Kafka timestamp to its batch's commit. The engine reports a batch's
 * earliest and latest timestamps, not every event's, so each event is charged its batch's worst case
 * (commit minus the earliest timestamp): p50Ms, p99Ms and maxMs are upper bounds, and maxMs is exact.
 */
export function latencyFromBatches(batches: readonly BatchSample[]): LatencySummary {
  const worst: Array<{ value: number; weight: number }> = [];
  const spread: Array<{ value: number; weight: number }> = [];
  let events = 0;
  let maxMs = Number.NaN;
  for (const b of batches) {
    if (b.events <= 0) continue;
    events += b.events;
    const high = b.committedAt - b.minTimestamp;
    const low = b.committedAt - b.maxTimestamp;
    worst.push({ value: high, weight: b.events });
    if (!(high <= maxMs)) maxMs = high;
    if (b.events === 1 || high === low) {
      spread.push({ value: high, weight: b.events });
    } else {
      for (let i = 0; i < b.events; i++) spread.push({ value: high - ((high - low) * i) / (b.events - 1), weight: 1 });
    }
  }
  return {
    events,
    batches: batches.length,
    p50Ms: weightedPercentile(worst, 50),
    p99Ms: weightedPercentile(worst, 99),
    maxMs,
    spreadP50Ms: weightedPercentile(spread, 50),
    spreadP99Ms: weightedPercentile(spread, 99),
  };
}
