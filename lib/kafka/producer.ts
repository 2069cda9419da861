/**
 * A node-rdkafka producer for bulk sending: idempotent (librdkafka's retries neither reorder nor
 * duplicate), never drops a message (a full local queue makes the caller wait, it does not lose the
 * message), accounts for every message, and fails within a bounded time when no broker answers.
 *
 * Delivery accounting. node-rdkafka turns each delivery report into a JavaScript object on the main
 * thread, which costs about 5 us of CPU per message: with a report per message the producer tops out
 * near 130,000 messages/s on two cores, whatever else it does. So by default (`deliveryReports:
 * 'errors'`) librdkafka reports failures only (`delivery.report.only.error`): every failed message is
 * still reported and counted, and once `drain()` has flushed the queue, every message sent before it
 * that was not reported failed was delivered. Live figures come from librdkafka's statistics (acked
 * message ids per partition). `deliveryReports: 'all'` reports every message, for callers that want
 * exact live counts more than throughput.
 *
 * Flow control: librdkafka's queue (`queue.buffering.max.messages`) makes produce() fail with
 * QUEUE_FULL; the caller waits and retries. With per-message reports there is a second limit: reports
 * reach JavaScript at most 100 per event-loop turn, from an unbounded native list, so senders also wait
 * when more than `maxInFlight` messages have no report yet.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import Kafka from 'node-rdkafka';
import { retryWithBackoff } from '../backoff.js';
import { CdcError } from '../errors.js';

export const compressionCodecs = ['none', 'lz4', 'zstd', 'gzip', 'snappy'] as const;
export type Compression = (typeof compressionCodecs)[number];

/** The codecs this build of librdkafka has (the bundled node-rdkafka build may lack zstd). */
export function availableCompression(): Compression[] {
  return compressionCodecs.filter((c) => c === 'none' || Kafka.features.includes(c));
}

export type DeliveryReports = 'errors' | 'all';

/** Defaults tuned for throughput into a local cluster on a small machine (see docs: producer). */
export const producerDefaults = {
  clientId: 'cdc-produce',
  /** lz4 costs the least CPU of the codecs and shrinks these JSON bodies several times. */
  compression: 'lz4' as Compression,
  /** Lets batches fill at high rates; at low rates it adds at most this much latency. */
  lingerMs: 10,
  /** Messages per batch (per partition); big batches mean few requests for the broker. */
  batchNumMessages: 10_000,
  /** Bytes per batch, kept under the brokers' default message.max.bytes (1 MB). */
  batchSizeBytes: 900_000,
  /** librdkafka's local queue, in messages and KiB: the bound on memory and on unacknowledged sends. */
  queueMaxMessages: 200_000,
  queueMaxKbytes: 256 * 1024,
  /** A message not acknowledged this long after produce() fails with a delivery error. */
  deliveryTimeoutMs: 30_000,
  /** Bound on reaching any broker at start (metadata request). */
  connectTimeoutMs: 10_000,
  deliveryReports: 'errors' as DeliveryReports,
  /** With per-message reports: unreported messages at which senders wait (see the module comment). */
  maxInFlight: 200_000,
  /** How often delivery reports are polled while nothing else polls. */
  pollIntervalMs: 5,
  /** librdkafka statistics (live acknowledged counts); 0 = off. */
  statsIntervalMs: 0,
} as const;

export interface KafkaProducerOptions {
  brokers: string;
  clientId?: string;
  compression?: Compression;
  lingerMs?: number;
  batchNumMessages?: number;
  batchSizeBytes?: number;
  queueMaxMessages?: number;
  queueMaxKbytes?: number;
  deliveryTimeoutMs?: number;
  connectTimeoutMs?: number;
  deliveryReports?: DeliveryReports;
  maxInFlight?: number;
  pollIntervalMs?: number;
  statsIntervalMs?: number;
  /** Extra librdkafka properties, applied last. */
  librdkafka?: Record<string, string | number | boolean>;
}

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

/** Delivery errors worth another try while a cluster warms up (librdkafka's own retriable set). */
const RETRIABLE_DELIVERY = new RegExp(
  [
    'timed out',
    'transport',
    'all broker connections are down',
    'unknown topic or partition',
    'leader not available',
    'not leader',
    'not enough in-sync replicas',
    'not enough replicas',
    'network exception',
    'coordinator',
    'unknown leader epoch',
    'fenced leader epoch',
    'storage error',
    'broker not available',
    'unknown partition',
    'unknown topic',
  ].join('|'),
  'i',
);

export function isRetriableDeliveryError(err: unknown): boolean {
  if (err instanceof CdcError) return err.canRetry;
  const e = err as { isRetriable?: boolean; message?: string } | undefined;
  return e?.isRetriable === true || RETRIABLE_DELIVERY.test(e?.message ?? '');
}

interface Waiter {
  resolve(): void;
  below: number;
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
  settled: boolean;
}

interface TopicCounters {
  sent: number;
  delivered: number;
  failed: number;
  /** Acknowledged, per librdkafka's statistics. */
  acked: number;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function errorText(err: unknown): string {
  const e = err as { origin?: string; message?: string };
  if (typeof e?.message !== 'string') return String(err);
  // node-rdkafka turns "Local: Message timed out" into origin "local" and message "message timed out".
  if (e.origin && e.origin !== 'unknown' && !e.message.toLowerCase().startsWith(e.origin))
    return `${capitalise(e.origin)}: ${capitalise(e.message)}`;
  return e.message;
}

export class KafkaProducer {
  readonly client: Kafka.Producer;
  readonly brokers: string;
  readonly deliveryReports: DeliveryReports;
  readonly maxInFlight: number;
  readonly deliveryTimeoutMs: number;
  #sent = 0;
  /** Per-message mode: delivery reports without error. */
  #delivered = 0;
  #failed = 0;
  /** Error-only mode: sends before the last complete drain; all of them have an outcome. */
  #settledSent = 0;
  #settledFailed = 0;
  #statsAcked = 0;
  readonly #topics = new Map<string, TopicCounters>();
  readonly #errors = new Map<string, number>();
  #waiter: Waiter | undefined;
  #fatal: CdcError | undefined;
  #lastClientError: string | undefined;
  #closed = false;

  private constructor(
    client: Kafka.Producer,
    options: Required<Pick<KafkaProducerOptions, 'brokers' | 'deliveryReports' | 'maxInFlight' | 'deliveryTimeoutMs'>>,
  ) {
    this.client = client;
    this.brokers = options.brokers;
    this.deliveryReports = options.deliveryReports;
    this.maxInFlight = options.maxInFlight;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs;
    client.on('delivery-report', (err, report) => this.#onDelivery(err, report));
    client.on('event.error', (err) => {
      this.#lastClientError = errorText(err);
      if (err.isFatal) {
        this.#fatal ??= new CdcError('ERR_CDC_KAFKA', `the Kafka producer hit a fatal error: ${errorText(err)}`);
        this.#wake();
      }
    });
    client.on('event.stats', (stats) => this.#onStats(stats));
  }

  /**
   * Connects and fetches metadata; rejects with a clear CdcError when no broker answers within
   * `connectTimeoutMs`, never hangs.
   */
  static async connect(options: KafkaProducerOptions): Promise<KafkaProducer> {
    const d = producerDefaults;
    const connectTimeoutMs = options.connectTimeoutMs ?? d.connectTimeoutMs;
    const deliveryReports = options.deliveryReports ?? d.deliveryReports;
    const deliveryTimeoutMs = options.deliveryTimeoutMs ?? d.deliveryTimeoutMs;
    const config: Kafka.ProducerGlobalConfig = {
      'metadata.broker.list': options.brokers,
      'client.id': options.clientId ?? d.clientId,
      'enable.idempotence': true,
      'compression.codec': options.compression ?? d.compression,
      'linger.ms': options.lingerMs ?? d.lingerMs,
      'batch.num.messages': options.batchNumMessages ?? d.batchNumMessages,
      'batch.size': options.batchSizeBytes ?? d.batchSizeBytes,
      'queue.buffering.max.messages': options.queueMaxMessages ?? d.queueMaxMessages,
      'queue.buffering.max.kbytes': options.queueMaxKbytes ?? d.queueMaxKbytes,
      'delivery.report.only.error': deliveryReports === 'errors',
      'statistics.interval.ms': options.statsIntervalMs ?? d.statsIntervalMs,
      'socket.connection.setup.timeout.ms': Math.max(1000, connectTimeoutMs),
      // A broker thread waiting to reconnect checks message timeouts only when it wakes: librdkafka's
      // 10 s default would let a message outlive its delivery timeout by up to 10 s when brokers are down.
      'reconnect.backoff.max.ms': 1000,
      'log.connection.close': false,
      dr_cb: true,
      ...options.librdkafka,
    } as Kafka.ProducerGlobalConfig;
    // Topic-level properties must go in the topic configuration: node-rdkafka always passes one, and it
    // replaces the defaults that topic properties in the global configuration would have set.
    const topicConfig: Kafka.ProducerTopicConfig = {
      'message.timeout.ms': deliveryTimeoutMs,
      // The Java client's partitioner, so other clients agree on which partition a key goes to.
      partitioner: 'murmur2_random',
    };
    let client: Kafka.Producer;
    try {
      client = new Kafka.Producer(config, topicConfig);
    } catch (err) {
      throw new CdcError('ERR_CDC_KAFKA', `invalid Kafka producer configuration: ${errorText(err)}`, { cause: err });
    }
    const producer = new KafkaProducer(client, {
      brokers: options.brokers,
      deliveryReports,
      maxInFlight: options.maxInFlight ?? d.maxInFlight,
      deliveryTimeoutMs,
    });
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      // node-rdkafka's connect() waits for metadata up to `timeout`; the timer is a second guard.
      const guard = setTimeout(() => {
        reject(
          new CdcError('ERR_CDC_KAFKA', `no Kafka broker at ${options.brokers} answered within ${connectTimeoutMs} ms`, { canRetry: true }),
        );
      }, connectTimeoutMs + 2000);
      client.connect({ timeout: connectTimeoutMs }, (err) => {
        clearTimeout(guard);
        if (!err) return resolve();
        const waited = Math.round(performance.now() - started);
        reject(
          new CdcError('ERR_CDC_KAFKA', `cannot reach Kafka at ${options.brokers} (gave up after ${waited} ms): ${errorText(err)}`, {
            canRetry: true,
            cause: err,
          }),
        );
      });
    }).catch(async (err) => {
      await producer.close().catch(() => undefined);
      throw err;
    });
    client.setPollInterval(options.pollIntervalMs ?? d.pollIntervalMs);
    return producer;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Delivery failures reported so far. */
  get failed(): number {
    return this.#failed;
  }

  /**
   * Confirmed deliveries: exact with per-message reports, and after a complete `drain()`; otherwise a
   * lower bound from the last statistics (0 when statistics are off).
   */
  get delivered(): number {
    if (this.deliveryReports === 'all') return this.#delivered;
    return Math.max(this.#settledSent - this.#settledFailed, Math.min(this.#statsAcked, this.#sent - this.#failed));
  }

  /** Sent and not known to be delivered or failed. */
  get inFlight(): number {
    return this.#sent - this.delivered - this.#failed;
  }

  /** A fatal client error (e.g. from the idempotence machinery): nothing more can be sent. */
  get fatalError(): CdcError | undefined {
    return this.#fatal;
  }

  /** The last error the client reported outside deliveries (e.g. a broker connection failing). */
  get lastClientError(): string | undefined {
    return this.#lastClientError;
  }

  /** Sent, delivered and failed per topic (delivered as for `delivered`). */
  byTopic(): Map<string, TopicDeliveryCounts> {
    const settled = this.deliveryReports === 'errors' && this.#settledSent === this.#sent;
    return new Map(
      [...this.#topics].map(([topic, c]) => [
        topic,
        {
          sent: c.sent,
          failed: c.failed,
          delivered: this.deliveryReports === 'all' ? c.delivered : settled ? c.sent - c.failed : Math.min(c.acked, c.sent - c.failed),
        },
      ]),
    );
  }

  /** Distinct delivery error messages and how often each occurred. */
  deliveryErrors(): DeliveryErrorCount[] {
    return [...this.#errors].map(([message, count]) => ({ message, count }));
  }

  /**
   * Queues one message. Returns false, having queued nothing, when the local queue is full (wait with
   * `waitForRoom()` and try again); throws CdcError for anything else (message too large, fatal error).
   */
  trySend(topic: string, key: Buffer | string, value: Buffer): boolean {
    return this.#produce(topic, key, value, undefined);
  }

  /** Queues one message, waiting for room as long as it takes. */
  async send(topic: string, key: Buffer | string, value: Buffer): Promise<void> {
    while (this.mustWait() || !this.trySend(topic, key, value)) await this.waitForRoom();
  }

  /** True when the caller should `waitForRoom()` before sending more (per-message reports only). */
  mustWait(): boolean {
    return this.deliveryReports === 'all' && this.#sent - this.#delivered - this.#failed >= this.maxInFlight;
  }

  /**
   * Waits a little for room: with per-message reports until in-flight messages come down to half of
   * `maxInFlight` (or by a tenth, after QUEUE_FULL); otherwise for librdkafka to free queue space as
   * acknowledgements arrive. Never longer than `maxWaitMs`.
   */
  async waitForRoom(maxWaitMs = 50): Promise<void> {
    this.#throwIfFatal();
    this.poll();
    if (this.deliveryReports === 'errors') {
      await this.#waitFor(Number.NEGATIVE_INFINITY, Math.min(maxWaitMs, 2));
    } else {
      const inFlight = this.inFlight;
      const below = Math.min(Math.floor(this.maxInFlight / 2), Math.floor(inFlight * 0.9));
      if (inFlight > 0 && inFlight > below) await this.#waitFor(below, maxWaitMs);
    }
    this.#throwIfFatal();
  }

  /**
   * Sends one message and waits until it is delivered; rejects with the delivery error (a CdcError
   * whose `canRetry` says whether trying again makes sense). In error-only mode this drains everything
   * in flight, so it is for the odd message (warm-up), not for a stream.
   */
  async sendAndWait(topic: string, key: Buffer | string, value: Buffer): Promise<void> {
    const outcome = new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        settled: false,
        resolve: () => {
          pending.settled = true;
          resolve();
        },
        reject: (err) => {
          pending.settled = true;
          reject(err);
        },
      };
      const attempt = (): void => {
        try {
          if (this.#produce(topic, key, value, pending)) {
            if (this.deliveryReports === 'errors') {
              // No report means delivered: wait until the queue is empty and any report has arrived.
              this.drain(this.deliveryTimeoutMs + 5000).then((drained) => {
                if (pending.settled) return;
                if (drained) pending.resolve();
                // Still in flight: sending it again could duplicate it, so this is not retriable.
                else
                  pending.reject(
                    new CdcError('ERR_CDC_KAFKA', `a message to topic ${topic} had no outcome within ${this.deliveryTimeoutMs + 5000} ms`),
                  );
              }, pending.reject);
            }
            return;
          }
        } catch (err) {
          pending.reject(err as Error);
          return;
        }
        this.waitForRoom().then(attempt, pending.reject);
      };
      attempt();
    });
    await outcome;
  }

  /**
   * Sends one message and retries it on retriable delivery errors with exponential backoff, for at
   * most `totalMs`: the first write to a cluster that is still electing leaders or creating topics.
   * Nothing else should be in flight to that topic, so a retry cannot reorder anything.
   */
  async sendWithRetry(
    topic: string,
    key: Buffer | string,
    value: Buffer,
    options: {
      totalMs: number;
      initialDelayMs?: number;
      maxDelayMs?: number;
      signal?: AbortSignal;
      onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
    },
  ): Promise<void> {
    await retryWithBackoff(() => this.sendAndWait(topic, key, value), {
      initialDelayMs: options.initialDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 2000,
      totalMs: options.totalMs,
      signal: options.signal,
      isRetriable: (err) => isRetriableDeliveryError(err) && !this.#fatal,
      onRetry: options.onRetry,
      giveUp: ({ attempts, elapsedMs, error }) =>
        new CdcError(
          'ERR_CDC_KAFKA',
          `Kafka at ${this.brokers} did not accept a write to topic ${topic} within ${Math.round(elapsedMs)} ms (${attempts} attempts; last error: ${errorText(error)})`,
          { cause: error },
        ),
    });
  }

  /** Serves delivery reports now (node-rdkafka also polls on a timer). */
  poll(): void {
    if (!this.#closed && this.client.isConnected()) this.client.poll();
  }

  /**
   * Waits until every message sent so far has an outcome (delivered, or failed and counted), or
   * `timeoutMs` has passed; returns whether everything has one. librdkafka fails each message at its
   * delivery timeout, so a bound a little above that always suffices.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.deliveryReports === 'all') {
      const deadline = performance.now() + timeoutMs;
      while (this.inFlight > 0) {
        const left = deadline - performance.now();
        if (left <= 0) return false;
        this.poll();
        await this.#waitFor(0, Math.min(left, 100));
      }
      return true;
    }
    const sent = this.#sent;
    const flushed = await new Promise<boolean>((resolve) => {
      if (this.#closed || !this.client.isConnected()) return resolve(false);
      // librdkafka's flush runs on a worker thread and serves the error reports as it goes.
      this.client.flush(timeoutMs, (err) => resolve(!err));
    });
    await this.#settleReports();
    if (flushed && sent >= this.#settledSent) {
      this.#settledSent = sent;
      this.#settledFailed = this.#failed;
    }
    return flushed && this.#sent === sent;
  }

  /** Cluster metadata through this client's connection. */
  getMetadata(timeoutMs: number): Promise<Kafka.Metadata> {
    return new Promise((resolve, reject) => {
      this.client.getMetadata({ allTopics: true, timeout: timeoutMs }, (err, data) =>
        err
          ? reject(new CdcError('ERR_CDC_KAFKA', `cannot read Kafka metadata: ${errorText(err)}`, { canRetry: true, cause: err }))
          : resolve(data),
      );
    });
  }

  /** Flushes what librdkafka still holds (bounded) and disconnects. Safe to call twice. */
  async close(flushTimeoutMs = 5000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.client.setPollInterval(0);
    if (!this.client.isConnected()) return;
    await new Promise<void>((resolve) => {
      const guard = setTimeout(resolve, flushTimeoutMs + 5000);
      this.client.disconnect(flushTimeoutMs, () => {
        clearTimeout(guard);
        resolve();
      });
    });
  }

  #produce(topic: string, key: Buffer | string, value: Buffer, opaque: Pending | undefined): boolean {
    this.#throwIfFatal();
    try {
      this.client.produce(topic, null, value, key, null, opaque);
    } catch (err) {
      const e = err as { code?: number };
      if (e.code === Kafka.CODES.ERRORS.ERR__QUEUE_FULL) return false;
      throw new CdcError('ERR_CDC_KAFKA', `cannot send to topic ${topic}: ${errorText(err)}`, { cause: err });
    }
    this.#sent++;
    this.#counters(topic).sent++;
    return true;
  }

  #counters(topic: string): TopicCounters {
    let c = this.#topics.get(topic);
    if (c === undefined) {
      c = { sent: 0, delivered: 0, failed: 0, acked: 0 };
      this.#topics.set(topic, c);
    }
    return c;
  }

  #onDelivery(err: Kafka.LibrdKafkaError | null, report: Kafka.DeliveryReport): void {
    const counts = this.#counters(report.topic);
    const pending = report.opaque as Pending | undefined;
    if (err) {
      this.#failed++;
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
      this.#delivered++;
      counts.delivered++;
      pending?.resolve();
    }
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#sent - this.#delivered - this.#failed <= waiter.below) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }

  #onStats(stats: { message: string }): void {
    // Acknowledged messages per partition: the idempotent producer's last acked message id, which
    // counts the partition's messages from 1.
    try {
      const data = JSON.parse(stats.message) as { topics?: Record<string, { partitions?: Record<string, { acked_msgid?: number }> }> };
      let total = 0;
      for (const [topic, t] of Object.entries(data.topics ?? {})) {
        let acked = 0;
        for (const [id, p] of Object.entries(t.partitions ?? {})) if (id !== '-1') acked += p.acked_msgid ?? 0;
        const c = this.#topics.get(topic);
        if (c) c.acked = Math.max(c.acked, acked);
        total += acked;
      }
      this.#statsAcked = Math.max(this.#statsAcked, total);
    } catch {
      // Statistics are for progress display only; a malformed one is skipped.
    }
  }

  /**
   * Lets reports already queued inside node-rdkafka reach JavaScript. They arrive at most 100 per
   * event-loop turn, and each turn with some left delivers at least one; so once two turns in a row
   * bring none, there are none left.
   */
  async #settleReports(): Promise<void> {
    this.poll();
    let quiet = 0;
    let last = this.#failed + this.#delivered;
    while (quiet < 2) {
      await nextTurn();
      const now = this.#failed + this.#delivered;
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
  }

  #waitFor(below: number, maxWaitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#waiter === waiter) this.#waiter = undefined;
        resolve();
      };
      const waiter: Waiter = { below, resolve: done };
      // One waiter at a time is all the callers here need; a newer one replaces (and releases) the old.
      this.#waiter?.resolve();
      this.#waiter = waiter;
      const timer = setTimeout(done, maxWaitMs);
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }

  #throwIfFatal(): void {
    if (this.#fatal) throw this.#fatal;
  }
}
