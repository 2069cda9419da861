/**
 * One assigned partition as the main thread holds it: the messages fetched and not yet dispatched, the
 * batch in flight (at most one: a partition's batches apply in offset order), and the offsets that
 * decide what is accepted and committed. Also how a batch is cut from the pending messages.
 */
import type { Clock, Timer } from './clock.js';
import { engineDefaults } from './defaults.js';
import type { WorkerSlot } from './worker-pool.js';

export interface Message {
  offset: number;
  timestamp?: number | undefined;
  key?: Buffer | string | null | undefined;
  value: Buffer | null;
}

export interface InFlight {
  /**
   * The batch, packed once. Each run transfers a copy to the worker and the main thread keeps this one
   * for a retry: one compact buffer instead of thousands of message objects.
   */
  packed: ArrayBuffer;
  /** Kafka timestamps of the batch's messages, kept only when an onBatch hook wants them. */
  timestamps: Float64Array | undefined;
  dispatchedAt: number;
  /** Its messages' `messageBytes`, as they counted while pending. */
  bytes: number;
  attempt: number;
  running: boolean;
  retryTimer?: Timer | undefined;
  /** When this batch first found rows whose parent rows are missing. */
  orphansSince?: number;
}

/** The key of a partition in every map of the engine. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export class PartitionState {
  readonly key: string;
  pending: Message[] = [];
  pendingBytes = 0;
  firstPendingAt = 0;
  inflight: InFlight | undefined;
  paused = false;
  revoked = false;
  nextOffset: number | undefined;
  /** Lowest offset we may still accept: anything below is a duplicate or left over from an older assignment. */
  acceptFrom = 0;
  /** Resolves when the running task (if any) settles: revocation and shutdown wait on it. */
  settled: Promise<void> = Promise.resolve();
  /** When this partition last logged that its rows wait for their parents, and the waits since. */
  orphansLoggedAt = 0;
  orphanWaitsUnlogged = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly sink: string,
    readonly slot: WorkerSlot,
    /** The table it loads as messages and metrics name it. */
    readonly table: string = sink,
  ) {
    this.key = partitionKey(topic, partition);
  }

  get bytesHeld(): number {
    return this.pendingBytes + (this.inflight?.bytes ?? 0);
  }

  /**
   * Takes a fetched message unless it is below what this assignment may accept. librdkafka drops
   * messages of a previous assignment itself (unassign purges its queues); this only guards against a
   * duplicate. Offsets go up per partition; a gap (compaction, transaction markers) is fine.
   */
  accept(message: Message, now: number): boolean {
    if (this.revoked || message.offset < this.acceptFrom) return false;
    this.acceptFrom = message.offset + 1;
    this.pending.push(message);
    if (this.pending.length === 1) this.firstPendingAt = now;
    this.pendingBytes += messageBytes(message.value);
    return true;
  }

  /**
   * Nothing of it in flight, and: full, or its first pending message has waited the linger out, or its
   * worker thread has nothing to do. The linger only gathers rows while the thread is busy anyway; an
   * idle thread takes what there is at once (under load, batches grow while the previous one runs).
   */
  dueForDispatch(now: number, limits: BatchLimits): boolean {
    if (this.revoked || this.inflight || this.pending.length === 0) return false;
    return this.pending.length >= limits.maxRows || now - this.firstPendingAt >= limits.lingerMs || this.slot.idle;
  }

  /** Removes the next batch from the pending messages; what stays starts a new linger at `now`. */
  takeBatch(limits: BatchLimits, now: number): { messages: Message[]; bytes: number } {
    const { count, bytes } = cutBatch(this.pending, limits);
    const messages = this.pending.splice(0, count);
    this.pendingBytes -= bytes;
    this.firstPendingAt = this.pending.length > 0 ? now : 0;
    return { messages, bytes };
  }

  /** Drops everything not dispatched and a batch waiting to be retried: the next owner reads them again. */
  release(clock: Pick<Clock, 'clearTimeout'>): void {
    this.paused = false;
    this.revoked = true;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.inflight && !this.inflight.running) {
      clock.clearTimeout(this.inflight.retryTimer);
      this.inflight = undefined;
    }
  }
}

export interface BatchLimits {
  maxRows: number;
  /** Message bytes (see messageBytes) one batch may carry; the first message always goes. */
  maxBytes: number;
  lingerMs: number;
}

/**
 * What a message counts against the byte budgets: its value and the main thread's own cost of holding
 * it (engineDefaults.messageOverheadBytes).
 */
export function messageBytes(value: Buffer | null): number {
  return (value?.length ?? 0) + engineDefaults.messageOverheadBytes;
}

/**
 * How many of the pending messages make the next batch: at most maxRows, and stopping once maxBytes
 * is reached, so a worker's memory per batch is bounded too. At least one message, however large.
 */
export function cutBatch(pending: readonly Message[], limits: Pick<BatchLimits, 'maxRows' | 'maxBytes'>): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  while (count < pending.length && count < limits.maxRows && (count === 0 || bytes < limits.maxBytes)) {
    bytes += messageBytes((pending[count] as Message).value);
    count++;
  }
  return { count, bytes };
}

/**
 * A batch's byte limit: the in-flight budget shared by the batches that can be under way at once, one
 * running per worker thread and one forming behind each, and never more than engineDefaults.maxBatchBytes.
 * (Not a share per partition: the budget bounds all partitions together (flow-control.ts), and per
 * partition, large messages made batches of a few hundred rows, each paying a transaction.)
 */
export function batchMaxBytes(maxBytesInFlight: number, workers: number): number {
  return Math.min(engineDefaults.maxBatchBytes, maxBytesInFlight / (2 * Math.max(1, workers)));
}

/** A stored-offsets answer keyed as PartitionState.key is. */
export function byPartition(offsets: ReadonlyArray<{ topic: string; partition: number; nextOffset: number }>): Map<string, number> {
  return new Map(offsets.map((o) => [partitionKey(o.topic, o.partition), o.nextOffset]));
}
