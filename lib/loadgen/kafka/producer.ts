/**
 * A node-rdkafka producer for bulk sending: idempotent (librdkafka's retries neither reorder nor
 * duplicate), never drops a message (a full local queue makes the caller wait, it does not lose the
 * message), accounts for every message (delivery.ts, in either delivery-report mode), and fails within
 * a bounded time when no broker answers.
 *
 * Flow control: librdkafka's queue (`queue.buffering.max.messages`) makes produce() fail with
 * QUEUE_FULL; the caller waits and retries. With per-message reports senders also wait while too many
 * messages have no report yet (see delivery.ts).
 */
import Kafka from 'node-rdkafka';
import { retryWithBackoff } from '../../backoff.js';
import { CdcError } from '../../errors.js';
import { type DeliveryErrorCount, type DeliveryReports, DeliveryTracker, type Pending, type TopicDeliveryCounts } from './delivery.js';
import { errorText, isRetriableDeliveryError } from '../../kafka/errors.js';

export const compressionCodecs = ['none', 'lz4', 'zstd', 'gzip', 'snappy'] as const;
export type Compression = (typeof compressionCodecs)[number];

/** The codecs this build of librdkafka has (the bundled node-rdkafka build may lack zstd). */
export function availableCompression(): Compression[] {
  return compressionCodecs.filter((c) => c === 'none' || Kafka.features.includes(c));
}

/** Defaults tuned for throughput into a local cluster on a small machine (docs/producer.md: Throughput). */
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
  /** With per-message reports: unreported messages at which senders wait (see delivery.ts). */
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

export class KafkaProducer {
  readonly client: Kafka.Producer;
  readonly brokers: string;
  readonly deliveryReports: DeliveryReports;
  readonly maxInFlight: number;
  readonly deliveryTimeoutMs: number;
  readonly #delivery: DeliveryTracker;
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
    this.#delivery = new DeliveryTracker(
      { poll: () => this.poll(), flush: (timeoutMs) => this.#flush(timeoutMs) },
      { mode: options.deliveryReports, maxInFlight: options.maxInFlight, deliveryTimeoutMs: options.deliveryTimeoutMs },
    );
    client.on('delivery-report', (err, report) => this.#delivery.onReport(err, report));
    client.on('event.error', (err) => {
      this.#lastClientError = errorText(err);
      if (err.isFatal) {
        this.#fatal ??= new CdcError('ERR_CDC_KAFKA', `the Kafka producer hit a fatal error: ${errorText(err)}`);
        this.#delivery.wake();
      }
    });
    client.on('event.stats', (stats) => this.#delivery.onStats(stats.message));
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
    return this.#delivery.sent;
  }

  /** Delivery failures reported so far. */
  get failed(): number {
    return this.#delivery.failed;
  }

  /**
   * Confirmed deliveries: exact with per-message reports, and after a complete `drain()`; otherwise a
   * lower bound from the last statistics (0 when statistics are off).
   */
  get delivered(): number {
    return this.#delivery.delivered;
  }

  /** Sent and not known to be delivered or failed. */
  get inFlight(): number {
    return this.sent - this.delivered - this.failed;
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
    return this.#delivery.byTopic();
  }

  /** Distinct delivery error messages and how often each occurred. */
  deliveryErrors(): DeliveryErrorCount[] {
    return this.#delivery.errors();
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
    return this.#delivery.mustWait();
  }

  /**
   * Waits a little for room: with per-message reports until in-flight messages come down; otherwise for
   * librdkafka to free queue space as acknowledgements arrive. Never longer than `maxWaitMs`.
   */
  async waitForRoom(maxWaitMs = 50): Promise<void> {
    this.#throwIfFatal();
    this.poll();
    await this.#delivery.waitForRoom(maxWaitMs);
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
            this.#delivery.follow(pending, topic);
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
  drain(timeoutMs: number): Promise<boolean> {
    return this.#delivery.drain(timeoutMs);
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
    this.#delivery.sentTo(topic);
    return true;
  }

  #flush(timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (this.#closed || !this.client.isConnected()) return resolve(false);
      this.client.flush(timeoutMs, (err) => resolve(!err));
    });
  }

  #throwIfFatal(): void {
    if (this.#fatal) throw this.#fatal;
  }
}
