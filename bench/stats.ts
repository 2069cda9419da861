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

/** One committed batch as the engine's onBatch hook reports it. */
export interface BatchSample {
  /** Wall-clock time of the batch's COMMIT (epoch ms). */
  committedAt: number;
  /** When the main thread handed the batch to its worker (epoch ms). */
  dispatchedAt: number;
  /** Each event's Kafka timestamp (epoch ms). */
  timestamps: readonly number[];
}

export interface LatencySummary {
  events: number;
  batches: number;
  /** Kafka timestamp to COMMIT, per event. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The first part of that, per event: Kafka timestamp to the batch leaving the main thread (fetch, linger, waiting for the partition's previous batch). */
  beforeDispatchP50Ms: number;
  beforeDispatchP99Ms: number;
  /** The second part, per event: dispatch to COMMIT (worker queue, decode, transaction). */
  applyP50Ms: number;
  applyP99Ms: number;
}

const ascending = (a: number, b: number) => a - b;

/**
 * Exact per-event latency from its Kafka timestamp to the commit of the batch that applied it, over
 * the events produced at or after `since` (earlier ones are the warm-up).
 */
export function latencyFromBatches(batches: readonly BatchSample[], since = Number.NEGATIVE_INFINITY): LatencySummary {
  const total: number[] = [];
  const before: number[] = [];
  const apply: number[] = [];
  let counted = 0;
  for (const b of batches) {
    let n = 0;
    for (const ts of b.timestamps) {
      if (ts < since) continue;
      n++;
      total.push(b.committedAt - ts);
      before.push(b.dispatchedAt - ts);
      apply.push(b.committedAt - b.dispatchedAt);
    }
    if (n > 0) counted++;
  }
  total.sort(ascending);
  before.sort(ascending);
  apply.sort(ascending);
  return {
    events: total.length,
    batches: counted,
    p50Ms: percentile(total, 50),
    p99Ms: percentile(total, 99),
    maxMs: percentile(total, 100),
    beforeDispatchP50Ms: percentile(before, 50),
    beforeDispatchP99Ms: percentile(before, 99),
    applyP50Ms: percentile(apply, 50),
    applyP99Ms: percentile(apply, 99),
  };
}
