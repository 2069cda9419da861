/**
 * What the engine counts for the progress line, the summary, --json and the metrics gauges. Totals are
 * added once per committed batch, from the worker's own counts, never per message.
 */
import type { ApplyStats } from '../worker-protocol.js';

export interface TopicTotals {
  events: number;
  upserted: number;
  patched: number;
  noops: number;
  deadLetters: number;
  skipped: number;
  /** Events that change nothing: tombstones, Debezium messages, truncates the sink skips. */
  ignored: number;
}

export interface EngineStats {
  startedAt: number;
  /** Messages received from Kafka (per topic). */
  consumed: Record<string, number>;
  /** Messages whose batch committed (per topic). */
  totals: Record<string, TopicTotals>;
  batches: number;
  inflightBatches: number;
  /** When the first message arrived and the last batch committed: the span throughput is measured over. */
  firstMessageAt?: number;
  lastCommitAt?: number;
  /** High watermark minus next offset, per `topic/partition`, when known. */
  lag: Record<string, number>;
  /** Latest batch commit times and durations, for latency measurements. */
  lastBatch?: { topic: string; partition: number; durationMs: number; committedAt: number };
}

/** Every topic starts at 0, so the summary lists a topic that received nothing. */
export function createEngineStats(topics: Iterable<string>): EngineStats {
  const stats: EngineStats = { startedAt: Date.now(), consumed: {}, totals: {}, batches: 0, inflightBatches: 0, lag: {} };
  for (const topic of topics) {
    stats.consumed[topic] = 0;
    stats.totals[topic] = { events: 0, upserted: 0, patched: 0, noops: 0, deadLetters: 0, skipped: 0, ignored: 0 };
  }
  return stats;
}

/** Adds a committed batch's counts. */
export function addBatch(stats: EngineStats, topic: string, partition: number, batch: ApplyStats): void {
  // A topic a pattern matched after start-up gets its totals at its first batch.
  const t = (stats.totals[topic] ??= { events: 0, upserted: 0, patched: 0, noops: 0, deadLetters: 0, skipped: 0, ignored: 0 });
  {
    t.events += batch.events;
    t.upserted += batch.upserted;
    t.patched += batch.patched;
    t.noops += batch.noops;
    t.deadLetters += batch.deadLetters;
    t.skipped += batch.skipped;
    t.ignored += batch.ignored;
  }
  stats.batches++;
  stats.lastCommitAt = batch.committedAt;
  stats.lastBatch = { topic, partition, durationMs: batch.durationMs, committedAt: batch.committedAt };
}

/** A partition as lag needs it: where the engine will read next. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  /** `topic/partition`, the key of `EngineStats.lag`. */
  key: string;
  nextOffset: number | undefined;
}

/** The parts of librdkafka's statistics JSON (`statistics.interval.ms`) the engine reads. */
export interface RdkafkaStatistics {
  topics?: Record<string, { partitions?: Record<string, { hi_offset?: number }> }>;
  brokers?: Record<string, { nodeid?: number; nodename?: string; source?: string; state?: string }>;
}

/** Parses one statistics event; undefined when it is not JSON (statistics are advisory). */
export function parseStatistics(statisticsJson: string): RdkafkaStatistics | undefined {
  try {
    return JSON.parse(statisticsJson) as RdkafkaStatistics;
  } catch {
    return undefined;
  }
}

/**
 * Updates lag from one librdkafka statistics event: each partition's high watermark (`hi_offset`)
 * minus the next offset to apply. A partition with no committed batch yet, or no watermark in the
 * event, keeps what it had.
 */
export function updateLag(stats: EngineStats, statistics: string | RdkafkaStatistics, partitions: Iterable<PartitionPosition>): void {
  const parsed = typeof statistics === 'string' ? parseStatistics(statistics) : statistics;
  if (parsed === undefined) return;
  for (const p of partitions) {
    const hi = parsed.topics?.[p.topic]?.partitions?.[String(p.partition)]?.hi_offset;
    if (typeof hi === 'number' && hi >= 0 && p.nextOffset !== undefined) stats.lag[p.key] = Math.max(0, hi - p.nextOffset);
  }
}

/** Calls `add` once per run of messages of one topic: one counter update per consume call, not per message. */
export function countPerTopic(messages: ReadonlyArray<{ topic: string }>, add: (topic: string, count: number) => void): void {
  let topic = messages[0]?.topic;
  let run = 0;
  for (const m of messages) {
    if (m.topic !== topic) {
      add(topic as string, run);
      topic = m.topic;
      run = 0;
    }
    run++;
  }
  if (topic !== undefined) add(topic, run);
}
