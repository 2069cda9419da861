/**
 * Sends each partition's batches to the partition's worker thread, one at a time and in offset order,
 * and acts on what comes back: an applied batch commits its offset to Kafka and lets the next batch
 * go at once; rows waiting for their parents or a transient failure go to the retry scheduler; any
 * other failure ends the run.
 */
import { CdcError } from '../errors.js';
import type { Logger } from '../log.js';
import { type ApplyStats, type Notice, packBatch } from '../worker-protocol.js';
import type { Clock } from './clock.js';
import type { EngineHooks } from './engine.js';
import type { OffsetCommitter } from './offsets.js';
import type { ConsumerOptions } from './options.js';
import { type BatchLimits, batchMaxBytes, type InFlight, type PartitionState } from './partition-state.js';
import type { RetryScheduler } from './retry-scheduler.js';
import { addBatch, type EngineStats } from './stats.js';

export interface DispatcherDeps {
  options: Pick<ConsumerOptions, 'batchMaxRows' | 'batchMaxMs' | 'maxBytesInFlight'>;
  /**
   * The assigned partitions' states: their worker threads share the in-flight byte budget among their
   * batches (batchMaxBytes), and a worker thread that falls idle takes the batches waiting for it.
   */
  partitions: () => ReadonlyMap<string, PartitionState>;
  stats: EngineStats;
  hooks: Pick<EngineHooks, 'metrics' | 'onBatch'>;
  log: Logger;
  clock: Clock;
  offsets: OffsetCommitter;
  retries: RetryScheduler;
  stopping: () => boolean;
  /** Something a worker saw for the first time: logged once per process. */
  notice: (notice: Notice) => void;
  /** A failure no retry can help: the engine stops with it. */
  fatal: (err: Error) => void;
  /** A batch settled (applied, failed or waiting): the consume loop may be waiting for one. */
  settled: () => void;
}

export class Dispatcher {
  readonly #deps: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  limits(): BatchLimits {
    const o = this.#deps.options;
    const workers = new Set(Array.from(this.#deps.partitions().values(), (p) => p.slot)).size;
    return { maxRows: o.batchMaxRows, maxBytes: batchMaxBytes(o.maxBytesInFlight, workers), lingerMs: o.batchMaxMs };
  }

  /** Sends a batch for every partition that is full or has lingered long enough and has none in flight. */
  dispatchReady(states: Iterable<PartitionState>, now: number): void {
    const limits = this.limits();
    for (const p of states) if (p.dueForDispatch(now, limits)) this.dispatch(p);
  }

  dispatch(p: PartitionState): void {
    const now = this.#deps.clock.now();
    const { messages, bytes } = p.takeBatch(this.limits(), now);
    const timestamps = this.#deps.hooks.onBatch ? Float64Array.from(messages, (m) => m.timestamp ?? 0) : undefined;
    p.inflight = { packed: packBatch(messages), timestamps, dispatchedAt: now, bytes, attempt: 0, running: false };
    this.#run(p);
  }

  #run(p: PartitionState): void {
    const flight = p.inflight;
    if (!flight || p.revoked) return;
    const { stats, retries } = this.#deps;
    flight.running = true;
    stats.inflightBatches++;
    let settle!: () => void;
    p.settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const deadLetterOrphans = retries.orphanWaitOver(flight);
    // The worker gets a transferred copy; the packed original stays here for a retry.
    const batch = flight.packed.slice(0);
    const rerun = () => this.#run(p);
    p.slot
      .run({ kind: 'apply', topic: p.topic, partition: p.partition, sink: p.sink, batch, deadLetterOrphans }, [batch])
      .then(
        (result) => {
          if (result.status === 'applied') this.#applied(p, flight, result.nextOffset, result.stats);
          else retries.orphans(p, flight, result.orphans, rerun);
        },
        (err: Error) => {
          // A worker's failure arrives as the CdcError it was, its retry flag included (worker-pool.ts).
          if (err instanceof CdcError && err.canRetry) retries.failed(p, flight, err, rerun);
          else this.#deps.fatal(err);
        },
      )
      .finally(() => {
        flight.running = false;
        stats.inflightBatches--;
        settle();
        this.#deps.settled();
        if (p.slot.idle && !this.#deps.stopping()) this.dispatchReady(this.#deps.partitions().values(), this.#deps.clock.now());
      });
  }

  #applied(p: PartitionState, flight: InFlight, nextOffset: number, stats: ApplyStats): void {
    const { hooks, log } = this.#deps;
    this.#deps.retries.applied(p, flight);
    p.nextOffset = nextOffset;
    p.inflight = undefined;
    if (stats.skipped > 0)
      log('info', 'skipped messages another owner had applied', { partition: p.key, skipped: stats.skipped, events: stats.events });
    addBatch(this.#deps.stats, p.topic, p.partition, stats);
    for (const n of stats.notices ?? []) this.#deps.notice(n);
    for (const [field, events] of Object.entries(stats.ignoredFields ?? {})) hooks.metrics?.fieldsIgnored(p.sink, field, events);
    hooks.metrics?.batchApplied(p.topic, p.table, stats.upserted + stats.patched, stats.deadLetters, stats.durationMs / 1000);
    if (flight.timestamps) {
      hooks.onBatch?.({ topic: p.topic, partition: p.partition }, stats, {
        timestamps: flight.timestamps,
        dispatchedAt: flight.dispatchedAt,
      });
    }
    if (!p.revoked) {
      this.#deps.offsets.commitSoon(p);
      // Whatever accumulated while this batch ran goes out now: back-to-back batches under load.
      if (p.pending.length > 0 && !this.#deps.stopping()) this.dispatch(p);
    }
  }
}
