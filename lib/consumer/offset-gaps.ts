/**
 * Offset gaps: a partition assigned to us whose stored offset (cdc_offsets, else Kafka's committed
 * offset) lies outside the log Kafka holds. Below the log's start, retention deleted events that were
 * never applied; above its end, the topic was recreated (or its log truncated), and the offsets in
 * between never existed in the log Kafka has now. Left alone, librdkafka's auto.offset.reset would pick
 * a new start without a word; here each gap is logged as an error naming the partition and the missing
 * offsets, counted, and handled by --on-offset-gap: `fail` holds the partition (not assigned to the
 * consumer, /healthz 503 naming it) until an operator restarts with another setting, `earliest` and
 * `latest` restart it at the log's start or end and say so.
 *
 * The check runs at assignment only. A gap that opens while a partition is consumed (retention
 * overtaking a consumer that is far behind) is still librdkafka's reset to decide.
 */
import { CdcError } from '../errors.js';
import type { Logger } from '../log.js';
import type { TopicPartition } from '../worker-protocol.js';
import type { StartOffset } from './offsets.js';
import { partitionKey } from './partition-state.js';

export const offsetGapPolicies = ['fail', 'earliest', 'latest'] as const;
export type OffsetGapPolicy = (typeof offsetGapPolicies)[number];

/** A partition's log as Kafka holds it: its low and high watermarks. */
export interface LogRange {
  /** The oldest offset still held. */
  low: number;
  /** One past the newest message. */
  high: number;
}

export interface OffsetGap extends TopicPartition {
  kind: 'below-start' | 'above-end';
  /** The offset the partition would have started at. */
  stored: number;
  source: 'cdc_offsets' | 'kafka';
  log: LogRange;
  /** The offsets missing from the log, from (inclusive) to (exclusive). */
  missing: { from: number; to: number };
}

/** The gap between a stored offset and the log, if there is one. An offset equal to the end is no gap. */
export function findOffsetGap(tp: TopicPartition, stored: number, source: OffsetGap['source'], log: LogRange): OffsetGap | undefined {
  const gap = { topic: tp.topic, partition: tp.partition, stored, source, log };
  if (stored < log.low) return { ...gap, kind: 'below-start', missing: { from: stored, to: log.low } };
  if (stored > log.high) return { ...gap, kind: 'above-end', missing: { from: log.high, to: stored } };
  return undefined;
}

/** What the policy makes of a gap: hold the partition, or start it at this offset. */
export function gapStart(gap: OffsetGap, policy: OffsetGapPolicy): number | 'hold' {
  if (policy === 'fail') return 'hold';
  return policy === 'earliest' ? gap.log.low : gap.log.high;
}

/** One line for an operator: which partition, what is missing and why. */
export function describeGap(gap: OffsetGap): string {
  const { from, to } = gap.missing;
  const where = `${gap.topic}/${gap.partition}: stored offset ${gap.stored} (${gap.source})`;
  return gap.kind === 'below-start'
    ? `${where} is below the log start ${gap.log.low}: offsets ${from}-${to - 1} (${to - from} events) were deleted before they were applied`
    : `${where} is above the log end ${gap.log.high}: offsets ${from}-${to - 1} are not in the log (topic recreated?); the log holds ${gap.log.low}-${gap.log.high - 1}`;
}

export interface OffsetGapDeps {
  policy: OffsetGapPolicy;
  log: Logger;
  /** The partition's watermarks (node-rdkafka's queryWatermarkOffsets). */
  watermarks(tp: TopicPartition): Promise<LogRange>;
  /** Kafka's committed offsets of the group for these partitions, those that have one. */
  committed(partitions: TopicPartition[]): Promise<ReadonlyMap<string, number>>;
  /** Moves cdc_offsets rows back to where their partitions restart (see MoveOffsetsTask). */
  moveStored(moves: Array<TopicPartition & { from: number; to: number }>): Promise<unknown>;
  countGap?: (gap: OffsetGap) => void;
}

/** Checks each assignment for gaps and holds the partitions --on-offset-gap fail stops. */
export class OffsetGapGuard {
  readonly #deps: OffsetGapDeps;
  /** Partitions held at a gap, by key, until they are revoked. */
  readonly #held = new Map<string, OffsetGap>();

  constructor(deps: OffsetGapDeps) {
    this.#deps = deps;
  }

  /** The gaps holding partitions now, one line each (for /healthz). */
  held(): string[] {
    return [...this.#held.values()].map(describeGap);
  }

  /** What an idle consumer ends with while partitions are held: an error, not a quiet exit 0. */
  throwIfHeld(): void {
    if (this.#held.size === 0) return;
    throw new CdcError('ERR_CDC_OFFSET_GAP', `partitions stopped at an offset gap (--on-offset-gap fail): ${this.held().join('; ')}`);
  }

  /** Forgets held partitions that were revoked: the next assignment checks them again. */
  release(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.#held.delete(partitionKey(tp.topic, tp.partition));
  }

  /**
   * The partitions of an assignment to consume and where: those without a gap as they were, those with
   * one restarted by the policy or left out (held). Watermarks that cannot be read leave the partition
   * unchecked (logged): librdkafka's reset policy then applies, as before this check.
   */
  async check(starts: readonly StartOffset[]): Promise<StartOffset[]> {
    const { log } = this.#deps;
    const unknown = starts.filter((s) => s.offset === undefined);
    const committed = await this.#committed(unknown);
    const checked = await Promise.all(
      starts.map(async (s) => {
        const fromKafka = committed.get(partitionKey(s.topic, s.partition));
        const stored = s.offset ?? fromKafka;
        if (stored === undefined) return { start: s };
        try {
          const range = await this.#deps.watermarks(s);
          return { start: s, gap: findOffsetGap(s, stored, s.offset === undefined ? 'kafka' : 'cdc_offsets', range) };
        } catch (err) {
          log('warn', 'cannot read the log range to check for an offset gap', {
            partition: partitionKey(s.topic, s.partition),
            error: (err as Error).message,
          });
          return { start: s };
        }
      }),
    );
    const out: StartOffset[] = [];
    const moves: Array<TopicPartition & { from: number; to: number }> = [];
    for (const { start, gap } of checked) {
      if (!gap) {
        out.push(start);
        continue;
      }
      this.#deps.countGap?.(gap);
      const next = gapStart(gap, this.#deps.policy);
      const fields = {
        partition: partitionKey(gap.topic, gap.partition),
        kind: gap.kind,
        stored: gap.stored,
        source: gap.source,
        logStart: gap.log.low,
        logEnd: gap.log.high,
        missing: `${gap.missing.from}-${gap.missing.to - 1}`,
        policy: this.#deps.policy,
      };
      if (next === 'hold') {
        this.#held.set(partitionKey(gap.topic, gap.partition), gap);
        log(
          'error',
          `offset gap: ${describeGap(gap)}; partition not consumed until restarted with --on-offset-gap earliest or latest`,
          fields,
        );
        continue;
      }
      log(
        'error',
        `offset gap: ${describeGap(gap)}; continuing from the log ${this.#deps.policy === 'earliest' ? 'start' : 'end'} at ${next}`,
        fields,
      );
      if (gap.source === 'cdc_offsets' && next < gap.stored)
        moves.push({ topic: gap.topic, partition: gap.partition, from: gap.stored, to: next });
      out.push({ topic: start.topic, partition: start.partition, offset: next });
    }
    if (moves.length > 0) await this.#deps.moveStored(moves);
    return out;
  }

  async #committed(partitions: readonly StartOffset[]): Promise<ReadonlyMap<string, number>> {
    if (partitions.length === 0) return new Map();
    try {
      return await this.#deps.committed(partitions.map((p) => ({ topic: p.topic, partition: p.partition })));
    } catch (err) {
      this.#deps.log('warn', "cannot read Kafka's committed offsets to check for an offset gap", { error: (err as Error).message });
      return new Map();
    }
  }
}
