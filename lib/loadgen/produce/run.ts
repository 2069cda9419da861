/**
 * The cdc-produce run: generator -> rate limiter -> Kafka, with topic creation, warm-up, progress and a
 * summary. `bin/cdc-produce` is a thin shell around `produce()`; the demo and benchmarks call it too.
 *
 *   createGenerator ──next()──▶ RateLimiter.take ──▶ KafkaProducer.trySend ──▶ librdkafka ──▶ brokers
 *                  (--format debezium: ──▶ DebeziumEncoder.encode ──▶)  ▲ QUEUE_FULL / too many in flight: wait
 *   delivery reports ──▶ KafkaProducer counters ──▶ progress line, summary, exit code
 */
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { SchemaRegistry } from '../../avro/registry.js';
import { DebeziumEncoder, type DebeziumMessage } from '../generator/debezium.js';
import { DebeziumAvroWriter } from '../generator/debezium-avro.js';
import { createGenerator } from '../generator/generator.js';
import type { EventType, GeneratedEvent, TopicNames } from '../generator/types.js';
import { ensureTopics, type TopicOutcome, topicNotices } from '../../kafka/admin.js';
import type { DeliveryErrorCount } from '../kafka/delivery.js';
import { KafkaProducer, type KafkaProducerOptions } from '../kafka/producer.js';
import { checkEncoding, effectiveCount, type ProduceEncoding, type ProduceFormat, type ProduceOptions } from './options.js';
import { RateLimiter } from './rate-limiter.js';

export const runDefaults = {
  /** Events produced per event-loop turn at most (delivery reports and timers run in between). */
  chunk: 2000,
  progressIntervalMs: 500,
  /** Extra time, beyond the delivery timeout, to wait for the last delivery reports. */
  drainGraceMs: 5000,
} as const;

export interface ProgressSnapshot {
  sent: number;
  delivered: number;
  failed: number;
  inFlight: number;
  elapsedMs: number;
  /** Events sent per second since the previous snapshot. */
  currentRate: number;
}

export interface TopicSummary {
  topic: string;
  /** Generated events by type. */
  CREATE: number;
  UPDATE: number;
  DELETE: number;
  /** Debezium format: UPDATE/DELETE events of an id with no row, which changed nothing, so sent nothing. */
  skipped: number;
  /** Messages sent: the events less those skipped. */
  sent: number;
  delivered: number;
  failed: number;
}

export type StopReason = 'count' | 'duration' | 'signal' | 'error';

export interface ProduceSummary {
  brokers: string;
  seed: number;
  format: ProduceFormat;
  /** Debezium format: whether messages carry JsonConverter's schema. */
  schemas: boolean;
  /** Debezium format: JsonConverter's JSON or AvroConverter's wire format. */
  encoding: ProduceEncoding;
  /** Per topic role; counts by event type are of events generated. */
  topics: { users: TopicSummary; orders: TopicSummary };
  /** Messages sent: the generated events less the skipped ones. */
  sent: number;
  delivered: number;
  failed: number;
  /** Sent but without a delivery report when the run ended (only after a drain timeout). */
  unreported: number;
  /** From the first send until the last delivery report. */
  elapsedMs: number;
  /** Events sent per second while sending (the figure --rate controls). */
  sendRate: number;
  /** Events delivered per second over elapsedMs. */
  deliveredRate: number;
  stoppedBy: StopReason;
  /** Set when a fatal producer error stopped the run. */
  error?: string;
  deliveryErrors: DeliveryErrorCount[];
  /** Topic creation: one outcome per topic. */
  topicOutcomes: TopicOutcome[];
}

export interface ProduceHooks {
  /** Aborting stops generation; what was sent is flushed and summarised. */
  signal?: AbortSignal;
  /** Notices for the user: topic creation, warm-up retries. */
  log?: (line: string) => void;
  onProgress?: (progress: ProgressSnapshot) => void;
  progressIntervalMs?: number;
  /**
   * Sees every generated event after it has been queued for sending (tests, the demo's model), with the
   * Debezium message sent for it in that format (undefined when the event changed nothing).
   */
  onEvent?: (event: GeneratedEvent, message?: DebeziumMessage) => void;
  /** Extra producer settings (benchmarks: linger, batch sizes). */
  producer?: Partial<KafkaProducerOptions>;
  /** Fixes the generator's wall clock (epoch ms), for reproducible timestamps. */
  now?: () => number;
}

/** Exit status for a finished run: non-zero when any event failed or was left unreported. */
export function summaryExitCode(summary: ProduceSummary): number {
  return summary.failed > 0 || summary.unreported > 0 || summary.error !== undefined ? 1 : 0;
}

function emptyTopic(topic: string): TopicSummary {
  return { topic, CREATE: 0, UPDATE: 0, DELETE: 0, skipped: 0, sent: 0, delivered: 0, failed: 0 };
}

/**
 * Runs cdc-produce to completion (count, duration, or abort) and resolves with the summary. Rejects
 * with a CdcError when Kafka cannot be reached within the connect timeout or the first write to a
 * topic is not accepted within the warm-up timeout.
 */
export async function produce(options: ProduceOptions, hooks: ProduceHooks = {}): Promise<ProduceSummary> {
  const log = hooks.log ?? (() => undefined);
  const topics: TopicNames = options.topics;
  const generator = createGenerator({
    seed: options.seed,
    mix: options.mix,
    userShare: options.userShare,
    reservoirSize: options.reservoirSize,
    unicodeShare: options.unicodeShare,
    zoneOffsetsMinutes: options.zones,
    topics,
    now: hooks.now,
  });
  // The envelope's ts_ms is when the connector handled the change: the wall clock, not hooks.now, so a
  // replayed generator clock sees the same calls in both formats (the bench preloads both).
  checkEncoding(options);
  const avro = options.encoding === 'avro';
  // AvroConverter's messages are written from JsonConverter's with their schemas (DebeziumAvroWriter).
  const encoder = options.format === 'debezium' ? new DebeziumEncoder({ schemas: options.schemas || avro, topics }) : undefined;
  const avroWriter =
    avro && options.schemaRegistry !== undefined
      ? new DebeziumAvroWriter(new SchemaRegistry({ url: options.schemaRegistry, auth: options.schemaRegistryAuth }))
      : undefined;
  const count = effectiveCount(options);
  const producer = await KafkaProducer.connect({
    brokers: options.brokers,
    compression: options.compression,
    deliveryTimeoutMs: options.deliveryTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    deliveryReports: options.deliveryReports,
    // Live delivered counts come from librdkafka's statistics when only errors are reported.
    statsIntervalMs: hooks.onProgress ? (hooks.progressIntervalMs ?? runDefaults.progressIntervalMs) : 0,
    ...hooks.producer,
  });
  try {
    const roles = options.userShare >= 100 ? (['users'] as const) : (['users', 'orders'] as const);
    const topicOutcomes = await ensureTopics(
      roles.map((role) => ({ name: topics[role], partitions: options.partitions[role], replicationFactor: options.replicationFactor })),
      {
        brokers: options.brokers,
        metadata: producer,
        requestTimeoutMs: options.createTimeoutMs,
        metadataTimeoutMs: options.connectTimeoutMs,
      },
    );
    for (const line of topicNotices(topicOutcomes)) log(line);
    return await sendAll(producer, generator, encoder, avroWriter, count, options, hooks, topicOutcomes);
  } finally {
    await producer.close();
  }
}

async function sendAll(
  producer: KafkaProducer,
  generator: ReturnType<typeof createGenerator>,
  encoder: DebeziumEncoder | undefined,
  avroWriter: DebeziumAvroWriter | undefined,
  count: number,
  options: ProduceOptions,
  hooks: ProduceHooks,
  topicOutcomes: TopicOutcome[],
): Promise<ProduceSummary> {
  const log = hooks.log ?? (() => undefined);
  const signal = hooks.signal;
  const onEvent = hooks.onEvent;
  const limiter = new RateLimiter(options.rate);
  const topics = generator.topics;
  const userCounts: Record<EventType, number> = { CREATE: 0, UPDATE: 0, DELETE: 0 };
  const orderCounts: Record<EventType, number> = { CREATE: 0, UPDATE: 0, DELETE: 0 };
  // The first write to each topic goes alone, retried while the cluster warms up.
  let usersWarm = false;
  let ordersWarm = false;
  const started = performance.now();
  const deadline = options.durationMs ? started + options.durationMs : Number.POSITIVE_INFINITY;
  // Generated events (what --count and --rate count) and messages sent; they differ only when the
  // Debezium format has nothing to send for an event.
  let generated = 0;
  let sent = 0;
  let stoppedBy: StopReason = 'count';
  let fatal: string | undefined;

  let lastSent = 0;
  let lastAt = started;
  const snapshot = (): ProgressSnapshot => {
    const now = performance.now();
    const currentRate = now > lastAt ? ((sent - lastSent) * 1000) / (now - lastAt) : 0;
    lastSent = sent;
    lastAt = now;
    return {
      sent,
      delivered: producer.delivered,
      failed: producer.failed,
      inFlight: producer.inFlight,
      elapsedMs: now - started,
      currentRate,
    };
  };
  const progressTimer = hooks.onProgress
    ? setInterval(() => hooks.onProgress?.(snapshot()), hooks.progressIntervalMs ?? runDefaults.progressIntervalMs)
    : undefined;

  const warmUp = async (topic: string, key: Buffer, value: Buffer): Promise<void> => {
    await producer.sendWithRetry(topic, key, value, {
      totalMs: options.warmupTimeoutMs,
      signal,
      onRetry: ({ attempt, delayMs, error }) =>
        log(
          `first write to topic ${topic} failed (attempt ${attempt}: ${(error as Error).message}); retrying in ${Math.round(delayMs)} ms`,
        ),
    });
  };

  let sendEnded = started;
  try {
    for (;;) {
      if (signal?.aborted) {
        stoppedBy = 'signal';
        break;
      }
      if (generated >= count) break;
      const now = performance.now();
      if (now >= deadline) {
        stoppedBy = 'duration';
        break;
      }
      const n = limiter.take(Math.min(runDefaults.chunk, count - generated));
      if (n === 0) {
        await sleep(Math.max(1, Math.min(limiter.delayMs(), deadline - now)));
        continue;
      }
      for (let i = 0; i < n; i++) {
        const event = generator.next();
        generated++;
        let key = event.key;
        let value = event.value;
        let message: DebeziumMessage | undefined;
        if (encoder !== undefined) {
          message = encoder.encode(event);
          if (message === undefined) {
            (event.entity === 'user' ? userCounts : orderCounts)[event.type]++;
            if (onEvent !== undefined) onEvent(event, undefined);
            continue;
          }
          // Registers each topic's schemas on first use (a request each), then a compiled write.
          if (avroWriter !== undefined) message = await avroWriter.encode(message);
          key = message.key;
          value = message.value;
        }
        if (event.entity === 'user') {
          if (!usersWarm) {
            await warmUp(event.topic, key, value);
            usersWarm = true;
          } else {
            while (!producer.trySend(event.topic, key, value)) await producer.waitForRoom();
          }
          userCounts[event.type]++;
        } else {
          if (!ordersWarm) {
            await warmUp(event.topic, key, value);
            ordersWarm = true;
          } else {
            while (!producer.trySend(event.topic, key, value)) await producer.waitForRoom();
          }
          orderCounts[event.type]++;
        }
        sent++;
        if (onEvent !== undefined) onEvent(event, message);
      }
      sendEnded = performance.now();
      producer.poll();
      if (producer.mustWait()) await producer.waitForRoom();
      else await yieldToLoop();
    }
  } catch (err) {
    if (signal?.aborted && (err as Error).name === 'AbortError') {
      stoppedBy = 'signal';
    } else if (producer.fatalError) {
      stoppedBy = 'error';
      fatal = producer.fatalError.message;
    } else {
      clearInterval(progressTimer);
      throw err;
    }
  }
  sendEnded = Math.max(sendEnded, started);

  const drained = await producer.drain(options.deliveryTimeoutMs + runDefaults.drainGraceMs);
  const ended = performance.now();
  if (progressTimer) {
    clearInterval(progressTimer);
    hooks.onProgress?.(snapshot());
  }
  if (!drained)
    log(
      `${producer.inFlight} events still had no delivery report ${options.deliveryTimeoutMs + runDefaults.drainGraceMs} ms after sending stopped`,
    );

  const byTopic = producer.byTopic();
  const skipped = encoder?.skipped ?? { users: 0, orders: 0 };
  const topicSummary = (topic: string, counts: Record<EventType, number>, skippedEvents: number): TopicSummary => {
    const t = emptyTopic(topic);
    Object.assign(t, counts);
    t.skipped = skippedEvents;
    t.sent = counts.CREATE + counts.UPDATE + counts.DELETE - skippedEvents;
    t.delivered = byTopic.get(topic)?.delivered ?? 0;
    t.failed = byTopic.get(topic)?.failed ?? 0;
    // The Kafka producer counts what it accepted; the generator's counts less the skipped include nothing else.
    if ((byTopic.get(topic)?.sent ?? 0) !== t.sent)
      throw new Error(`internal: ${topic} sent ${t.sent} but the Kafka producer accepted ${byTopic.get(topic)?.sent ?? 0}`);
    return t;
  };
  const elapsedMs = ended - started;
  const sendMs = sendEnded - started;
  return {
    brokers: options.brokers,
    seed: generator.seed,
    format: options.format,
    schemas: options.format === 'debezium' && (options.schemas || options.encoding === 'avro'),
    encoding: options.format === 'debezium' ? options.encoding : 'json',
    topics: {
      users: topicSummary(topics.users, userCounts, skipped.users),
      orders: topicSummary(topics.orders, orderCounts, skipped.orders),
    },
    sent,
    delivered: producer.delivered,
    failed: producer.failed,
    unreported: producer.inFlight,
    elapsedMs: Math.round(elapsedMs),
    sendRate: sendMs > 0 ? Math.round((sent * 1000) / sendMs) : 0,
    deliveredRate: elapsedMs > 0 ? Math.round((producer.delivered * 1000) / elapsedMs) : 0,
    stoppedBy,
    ...(fatal === undefined ? {} : { error: fatal }),
    deliveryErrors: producer.deliveryErrors(),
    topicOutcomes,
  };
}
