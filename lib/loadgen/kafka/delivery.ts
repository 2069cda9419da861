/**
 * KafkaProducer's delivery accounting: what was sent, delivered and failed, overall and per topic, and
 * when a sender must wait. One tracker, two strategies, one per `deliveryReports` mode.
 *
 * node-rdkafka turns each delivery report into a JavaScript object on the main thread, which costs about
 * 5 us of CPU per message: with a report per message the producer tops out near 130,000 messages/s on
 * two cores, whatever else it does. So by default (`'errors'`) librdkafka reports failures only
 * (`delivery.report.only.error`): every failed message is still reported and counted, and once `drain()`
 * has flushed the queue, every message sent before it that was not reported failed was delivered. Live
 * figures come from librdkafka's statistics (acked message ids per partition). `'all'` reports every
 * message, for callers that want exact live counts more than throughput. Reports reach JavaScript at
 * most 100 per event-loop turn, from an unbounded native list, so in that mode senders also wait when
 * more than `maxInFlight` messages have no report yet.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Kafka from 'node-rdkafka';
import { CdcError } from '../../errors.js';
import { errorText, isRetriableDeliveryError } from '../../kafka/errors.js';

export type DeliveryReports = 'errors' | 'all';

export interface TopicDeliveryCounts {
  sent: number;
  /** Confirmed deliveries (exact after `drain()`; a lower bound before). */
  delivered: number;
  failed: number;
}

export interface DeliveryErrorCount {
  message: string;
  count: number;
}

/** A message whose sender waits for its outcome (`sendAndWait`); it travels as the message's opaque. */
export interface Pending {
  resolve(): void;
  reject(err: Error): void;
  settled: boolean;
}

/** What the tracker needs of the client. */
export interface DeliveryClient {
  /** Serves the delivery reports librdkafka has queued. */
  poll(): void;
  /** librdkafka's flush: true once its queue is empty, false on timeout or when the client is closed. */
  flush(timeoutMs: number): Promise<boolean>;
}

interface TopicCounters {
  sent: number;
  delivered: number;
  failed: number;
  /** Acknowledged, per librdkafka's statistics. */
  acked: number;
}

/** The counts both strategies read. `delivered` counts reports without error, so only 'all' has them. */
class Counts {
  sent = 0;
  delivered = 0;
  failed = 0;
  statsAcked = 0;
  readonly topics = new Map<string, TopicCounters>();

  get unreported(): number {
    return this.sent - this.delivered - this.failed;
  }

  topic(name: string): TopicCounters {
    let c = this.topics.get(name);
    if (c === undefined) {
      c = { sent: 0, delivered: 0, failed: 0, acked: 0 };
      this.topics.set(name, c);
    }
    return c;
  }
}

/**
 * One waiting sender at a time (all the callers here need): released once the unreported messages are
 * down to its bound, when its time is up, or at once by `wake()`. A newer waiter releases the old one.
 */
class RoomWaiter {
  #waiter: { below: number; resolve(): void } | undefined;

  wait(below: number, maxWaitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#waiter === waiter) this.#waiter = undefined;
        resolve();
      };
      const waiter = { below, resolve: done };
      this.#waiter?.resolve();
      this.#waiter = waiter;
      const timer = setTimeout(done, maxWaitMs);
    });
  }

  reported(unreported: number): void {
    const waiter = this.#waiter;
    if (waiter !== undefined && unreported <= waiter.below) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }

  wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }
}

/** What differs between the modes. */
interface Strategy {
  delivered(): number;
  deliveredOf(topic: TopicCounters): number;
  mustWait(): boolean;
  waitForRoom(maxWaitMs: number): Promise<void>;
  drain(timeoutMs: number): Promise<boolean>;
  /** `pending`'s message is queued: settle it once its outcome is known, if its report will not. */
  follow(pending: Pending, topic: string): void;
}

/** What both strategies read, wait on and poll. */
interface Shared {
  readonly counts: Counts;
  readonly room: RoomWaiter;
  readonly client: DeliveryClient;
}

/** 'all': a report per message, so the counts are exact and reports settle their senders. */
class EveryReport implements Strategy {
  readonly #counts: Counts;
  readonly #shared: Shared;
  readonly #maxInFlight: number;

  constructor(shared: Shared, maxInFlight: number) {
    this.#shared = shared;
    this.#counts = shared.counts;
    this.#maxInFlight = maxInFlight;
  }

  delivered(): number {
    return this.#counts.delivered;
  }

  deliveredOf(topic: TopicCounters): number {
    return topic.delivered;
  }

  mustWait(): boolean {
    return this.#counts.unreported >= this.#maxInFlight;
  }

  /** Until in-flight messages come down to half of `maxInFlight` (or by a tenth, after QUEUE_FULL). */
  async waitForRoom(maxWaitMs: number): Promise<void> {
    const inFlight = this.#counts.unreported;
    const below = Math.min(Math.floor(this.#maxInFlight / 2), Math.floor(inFlight * 0.9));
    if (inFlight > 0 && inFlight > below) await this.#shared.room.wait(below, maxWaitMs);
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.#counts.unreported > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      this.#shared.client.poll();
      await this.#shared.room.wait(0, Math.min(left, 100));
    }
    return true;
  }

  follow(): void {
    // Its own report settles it.
  }
}

/** 'errors': only failures are reported; a message sent before a complete drain and not failed was delivered. */
class FailuresOnly implements Strategy {
  /** Sends before the last complete drain, and the failures among them: all of them have an outcome. */
  #settledSent = 0;
  #settledFailed = 0;

  readonly #counts: Counts;
  readonly #shared: Shared;
  readonly #deliveryTimeoutMs: number;

  constructor(shared: Shared, deliveryTimeoutMs: number) {
    this.#shared = shared;
    this.#counts = shared.counts;
    this.#deliveryTimeoutMs = deliveryTimeoutMs;
  }

  delivered(): number {
    const c = this.#counts;
    return Math.max(this.#settledSent - this.#settledFailed, Math.min(c.statsAcked, c.sent - c.failed));
  }

  deliveredOf(topic: TopicCounters): number {
    return this.#settledSent === this.#counts.sent ? topic.sent - topic.failed : Math.min(topic.acked, topic.sent - topic.failed);
  }

  mustWait(): boolean {
    return false;
  }

  /** For librdkafka to free queue space as acknowledgements arrive: no report says when. */
  async waitForRoom(maxWaitMs: number): Promise<void> {
    await this.#shared.room.wait(Number.NEGATIVE_INFINITY, Math.min(maxWaitMs, 2));
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const sent = this.#counts.sent;
    // librdkafka's flush runs on a worker thread and serves the error reports as it goes.
    const flushed = await this.#shared.client.flush(timeoutMs);
    await this.#settleReports();
    if (flushed && sent >= this.#settledSent) {
      this.#settledSent = sent;
      this.#settledFailed = this.#counts.failed;
    }
    return flushed && this.#counts.sent === sent;
  }

  /** No report means delivered: wait until the queue is empty and any report has arrived. */
  follow(pending: Pending, topic: string): void {
    const boundMs = this.#deliveryTimeoutMs + 5000;
    this.drain(boundMs).then((drained) => {
      if (pending.settled) return;
      if (drained) pending.resolve();
      // Still in flight: sending it again could duplicate it, so this is not retriable.
      else pending.reject(new CdcError('ERR_CDC_KAFKA', `a message to topic ${topic} had no outcome within ${boundMs} ms`));
    }, pending.reject);
  }

  /**
   * Lets reports already queued inside node-rdkafka reach JavaScript. They arrive at most 100 per
   * event-loop turn, and each turn with some left delivers at least one; so once two turns in a row
   * bring none, there are none left.
   */
  async #settleReports(): Promise<void> {
    this.#shared.client.poll();
    let quiet = 0;
    let last = this.#counts.failed + this.#counts.delivered;
    while (quiet < 2) {
      await nextTurn();
      const now = this.#counts.failed + this.#counts.delivered;
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
  }
}

export interface DeliveryTrackerOptions {
  mode: DeliveryReports;
  /** 'all': unreported messages at which senders wait. */
  maxInFlight: number;
  /** librdkafka's message.timeout.ms: a message has an outcome by then. */
  deliveryTimeoutMs: number;
}

export class DeliveryTracker {
  readonly mode: DeliveryReports;
  readonly #counts = new Counts();
  readonly #room = new RoomWaiter();
  readonly #errors = new Map<string, number>();
  readonly #strategy: Strategy;

  constructor(client: DeliveryClient, options: DeliveryTrackerOptions) {
    this.mode = options.mode;
    const shared = { counts: this.#counts, room: this.#room, client };
    this.#strategy =
      options.mode === 'all' ? new EveryReport(shared, options.maxInFlight) : new FailuresOnly(shared, options.deliveryTimeoutMs);
  }

  get sent(): number {
    return this.#counts.sent;
  }

  get failed(): number {
    return this.#counts.failed;
  }

  /** Exact with a report per message, and after a complete `drain()`; otherwise a lower bound. */
  get delivered(): number {
    return this.#strategy.delivered();
  }

  byTopic(): Map<string, TopicDeliveryCounts> {
    return new Map(
      [...this.#counts.topics].map(([topic, c]) => [topic, { sent: c.sent, failed: c.failed, delivered: this.#strategy.deliveredOf(c) }]),
    );
  }

  errors(): DeliveryErrorCount[] {
    return [...this.#errors].map(([message, count]) => ({ message, count }));
  }

  sentTo(topic: string): void {
    this.#counts.sent++;
    this.#counts.topic(topic).sent++;
  }

  mustWait(): boolean {
    return this.#strategy.mustWait();
  }

  waitForRoom(maxWaitMs: number): Promise<void> {
    return this.#strategy.waitForRoom(maxWaitMs);
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.#strategy.drain(timeoutMs);
  }

  follow(pending: Pending, topic: string): void {
    this.#strategy.follow(pending, topic);
  }

  /** Releases a waiting sender now (a fatal error: nothing more can be sent). */
  wake(): void {
    this.#room.wake();
  }

  /** node-rdkafka's 'delivery-report'. */
  onReport(err: Kafka.LibrdKafkaError | null, report: Kafka.DeliveryReport): void {
    const counts = this.#counts.topic(report.topic);
    const pending = report.opaque as Pending | undefined;
    if (err) {
      this.#counts.failed++;
      counts.failed++;
      const text = errorText(err);
      this.#errors.set(text, (this.#errors.get(text) ?? 0) + 1);
      pending?.reject(
        new CdcError('ERR_CDC_KAFKA', `delivery to topic ${report.topic} failed: ${text}`, {
          canRetry: isRetriableDeliveryError(err),
          cause: err,
        }),
      );
    } else {
      this.#counts.delivered++;
      counts.delivered++;
      pending?.resolve();
    }
    this.#room.reported(this.#counts.unreported);
  }

  /** node-rdkafka's 'event.stats' (statistics.interval.ms). */
  onStats(message: string): void {
    // Acknowledged messages per partition: the idempotent producer's last acked message id, which
    // counts the partition's messages from 1.
    try {
      const data = JSON.parse(message) as { topics?: Record<string, { partitions?: Record<string, { acked_msgid?: number }> }> };
      let total = 0;
      for (const [topic, t] of Object.entries(data.topics ?? {})) {
        let acked = 0;
        for (const [id, p] of Object.entries(t.partitions ?? {})) if (id !== '-1') acked += p.acked_msgid ?? 0;
        const c = this.#counts.topics.get(topic);
        if (c) c.acked = Math.max(c.acked, acked);
        total += acked;
      }
      this.#counts.statsAcked = Math.max(this.#counts.statsAcked, total);
    } catch {
      // Statistics are for progress display only; a malformed one is skipped.
    }
  }
}
