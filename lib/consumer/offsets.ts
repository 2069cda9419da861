/**
 * Offsets: where an assigned partition starts, and what is committed to Kafka when.
 *
 * cdc_offsets in Postgres is the truth: it is written in the transaction that applies a batch's rows,
 * so a partition starts from it. Kafka's committed offset follows it for the tools that watch a group's
 * lag (applied batches' offsets gathered and committed together every kafkaCommitIntervalMs; at
 * assignment and at release at once), never read back when cdc_offsets has the partition.
 */
import type { Logger } from '../log.js';
import type { TopicPartition } from '../worker-protocol.js';
import type { Clock } from './clock.js';
import { engineDefaults } from './defaults.js';
import { byPartition, partitionKey, type PartitionState } from './partition-state.js';

/** The part of node-rdkafka's KafkaConsumer that commits. */
export interface CommitTarget {
  isConnected(): boolean;
  commit(offsets: Array<TopicPartition & { offset: number }>): void;
}

export type StoredOffsetsReader = (partitions: TopicPartition[]) => Promise<ReadonlyArray<TopicPartition & { nextOffset: number }>>;

/** A partition to assign: with the offset cdc_offsets holds for it, or none (Kafka's committed offset or --from decide). */
export type StartOffset = TopicPartition & { offset?: number };

/**
 * Start offsets for an assignment, in a stable order (topic, then partition), so the same assignment
 * always spreads over the worker threads the same way.
 */
export function startOffsets(assignment: readonly TopicPartition[], stored: ReadonlyMap<string, number>): StartOffset[] {
  return [...assignment]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((a) => {
      const offset = stored.get(partitionKey(a.topic, a.partition));
      return offset === undefined ? { topic: a.topic, partition: a.partition } : { topic: a.topic, partition: a.partition, offset };
    });
}

export interface OffsetCommitterDeps {
  consumer: () => CommitTarget | undefined;
  readStored: StoredOffsetsReader;
  log: Logger;
  clock: Clock;
  /** How long a release waits for cdc_offsets before committing what this consumer saw (default: engineDefaults'). */
  releaseReadMs?: number;
  /** Applied batches' offsets are committed to Kafka together at most this often (commitSoon; default: engineDefaults'). */
  commitIntervalMs?: number;
}

export class OffsetCommitter {
  readonly #deps: OffsetCommitterDeps;
  /** Partitions whose applied offset is not yet committed to Kafka, by key. */
  readonly #due = new Map<string, PartitionState>();
  #timer: ReturnType<Clock['setTimeout']> | undefined;

  constructor(deps: OffsetCommitterDeps) {
    this.#deps = deps;
  }

  /**
   * Commits this partition's offset with the others applied within commitIntervalMs, in one request:
   * a commit per batch cost the main thread and the brokers as much as consuming when batches are
   * small (a steady stream), and lag tools need no more than this.
   */
  commitSoon(p: PartitionState): void {
    this.#due.set(p.key, p);
    this.#timer ??= this.#deps.clock.setTimeout(() => this.flush(), this.#deps.commitIntervalMs ?? engineDefaults.kafkaCommitIntervalMs);
  }

  /** Commits what commitSoon gathered now (and stops its timer). */
  flush(): void {
    this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const due = [...this.#due.values()].filter((p) => !p.revoked);
    this.#due.clear();
    this.commit(due);
  }

  /**
   * Commits these partitions' next offsets to Kafka (those that have one). A failure is logged, not
   * thrown: Kafka's committed offset is for lag tools, and cdc_offsets already holds the truth.
   */
  commit(states: readonly PartitionState[]): void {
    const consumer = this.#deps.consumer();
    const known = states.filter((p) => p.nextOffset !== undefined);
    if (!consumer || known.length === 0 || !consumer.isConnected()) return;
    try {
      consumer.commit(known.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset as number })));
    } catch (err) {
      this.#deps.log('debug', 'kafka commit failed', { error: (err as Error).message });
    }
  }

  /**
   * Commits to Kafka what cdc_offsets holds for these partitions now, not what this consumer last saw:
   * another owner may have moved them on since our assignment (a zombie's transaction that was open
   * when we read them, then committed), and a consumer that let go without applying a batch of its
   * own would otherwise leave its stale view as the group's committed offset for good (lag tools would
   * report a lag that is not there). Bounded: with Postgres unreachable, what this consumer saw is
   * committed instead.
   */
  async commitStored(states: readonly PartitionState[]): Promise<void> {
    const { clock, log } = this.#deps;
    // What these partitions had gathered is committed below, from cdc_offsets.
    for (const p of states) this.#due.delete(p.key);
    if (states.length === 0 || !this.#deps.consumer()?.isConnected()) return;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const stored = await Promise.race([
      this.#deps
        .readStored(states.map((p) => ({ topic: p.topic, partition: p.partition })))
        .then(byPartition)
        .catch((err: Error) => {
          log('debug', 'stored offsets unreadable at release', { error: err.message });
          return new Map<string, number>();
        }),
      new Promise<Map<string, number>>((resolve) => {
        timer = clock.setTimeout(() => resolve(new Map()), this.#deps.releaseReadMs ?? engineDefaults.releaseReadMs);
      }),
    ]);
    clock.clearTimeout(timer);
    for (const p of states) {
      const now = stored.get(p.key);
      if (now !== undefined && (p.nextOffset === undefined || now > p.nextOffset)) p.nextOffset = now;
    }
    this.commit(states);
  }
}
