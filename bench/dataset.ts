/**
 * The bench's data: seed-format events preloaded once into two topics with the project's producer, then
 * read back from Kafka partition by partition. Reading back proves that the cluster kept every event (the
 * librdkafka mock cluster drops the oldest data beyond about 5 MiB per partition) and gives, per
 * partition and offset, exactly what each contender reads: the expected tables for all of it, or for the
 * first N offsets of each partition (a contender that ran on a subset).
 */
import Kafka from 'node-rdkafka';
import { CdcError } from '../lib/errors.js';
import { TableModel, type TopicNames } from '../lib/loadgen/generator/index.js';
import { produce, resolveProduceOptions } from '../lib/loadgen/produce/index.js';
import type { Tables } from './tables.js';
import { readWatermarks, type Watermarks } from './watermarks.js';

export interface PartitionLog {
  topic: string;
  partition: number;
  /** Message values by offset (offset i at index i; the log starts at 0). */
  values: Buffer[];
}

/** Next offset to read per `topic/partition`: everything below it was applied. */
export type Applied = ReadonlyMap<string, number>;

export class Dataset {
  readonly topics: TopicNames;
  readonly partitions: readonly PartitionLog[];
  #full: Tables | undefined;

  constructor(topics: TopicNames, partitions: readonly PartitionLog[]) {
    this.topics = topics;
    this.partitions = partitions;
  }

  get total(): number {
    return this.partitions.reduce((n, p) => n + p.values.length, 0);
  }

  count(topic: string): number {
    return this.partitions.filter((p) => p.topic === topic).reduce((n, p) => n + p.values.length, 0);
  }

  /** Events covered by `applied` (all of them when it is undefined). */
  eventsIn(applied?: Applied): number {
    if (!applied) return this.total;
    return this.partitions.reduce((n, p) => n + Math.min(p.values.length, applied.get(`${p.topic}/${p.partition}`) ?? 0), 0);
  }

  /**
   * The expected tables after applying every event (or the first `applied` offsets of each partition).
   * Partitions are folded one after another: events of one entity share a partition, and the model does
   * not depend on the order between entities.
   */
  expected(applied?: Applied): Tables {
    if (!applied && this.#full) return this.#full;
    const model = new TableModel();
    for (const p of this.partitions) {
      const end = applied ? Math.min(p.values.length, applied.get(`${p.topic}/${p.partition}`) ?? 0) : p.values.length;
      for (let i = 0; i < end; i++) model.apply(p.values[i] as Buffer);
    }
    const tables = { users: model.users(), orders: model.orders() };
    if (!applied) this.#full = tables;
    return tables;
  }
}

export interface PreloadOptions {
  brokers: string;
  topics: TopicNames;
  events: number;
  seed: number;
  /** debezium: the same generated events as Debezium would have captured them (cdc-produce --format debezium). */
  format?: 'seed' | 'debezium';
  /** With format debezium: JsonConverter's schema envelope (cdc-produce --schemas). */
  schemas?: boolean;
  /** With format debezium: avro writes the messages as AvroConverter does (cdc-produce --encoding avro). */
  encoding?: 'json' | 'avro';
  /** Where --encoding avro registers its schemas. */
  schemaRegistry?: string;
  /**
   * The generator's clock: two preloads with the same seed and clock hold the same events, timestamps
   * included (the generator's timestamps otherwise follow the wall clock).
   */
  now?: () => number;
  log?: (line: string) => void;
}

/** A clock that starts at `startMs` and advances 1 ms every 16 calls, the same on every run. */
export function replayableClock(startMs: number): () => number {
  let calls = 0;
  return () => startMs + (calls++ >>> 4);
}

/** Produces the events as fast as the producer goes; returns the producer's elapsed time. */
export async function preload(o: PreloadOptions): Promise<{ elapsedMs: number; users: number; orders: number; delivered: number }> {
  const options = resolveProduceOptions({
    brokers: o.brokers,
    count: o.events,
    rate: 0,
    seed: o.seed,
    topics: `${o.topics.users},${o.topics.orders}`,
    format: o.format ?? 'seed',
    schemas: o.schemas ?? false,
    encoding: o.encoding ?? 'json',
    ...(o.schemaRegistry === undefined ? {} : { schemaRegistry: o.schemaRegistry }),
    // The mock cluster never answers CreateTopics (it creates topics on first write): do not wait long.
    createTimeoutMs: 2000,
  });
  const summary = await produce(options, { log: o.log, ...(o.now ? { now: o.now } : {}) });
  // In Debezium form, an UPDATE or DELETE of an id the Go tables never had is not written (Debezium
  // would have captured nothing): those were no-ops for the model too.
  const skipped = summary.topics.users.skipped + summary.topics.orders.skipped;
  if (summary.delivered + skipped !== o.events || summary.failed > 0) {
    throw new CdcError(
      'ERR_CDC_KAFKA',
      `preload delivered ${summary.delivered} of ${o.events - skipped} events (${summary.failed} failed)`,
    );
  }
  return {
    elapsedMs: summary.elapsedMs,
    users: summary.topics.users.sent,
    orders: summary.topics.orders.sent,
    delivered: summary.delivered,
  };
}

/**
 * Fails unless the topics still hold every message a preload delivered: each partition's log starts at
 * offset 0 (the mock cluster drops the oldest data beyond its retention) and they hold `delivered` in
 * all. For the preloads the bench does not read back (the Debezium forms), whose contenders' tables are
 * checked against the seed events' model.
 */
export async function checkWhole(brokers: string, topics: TopicNames, delivered: number): Promise<void> {
  checkWatermarks(await readWatermarks(brokers, [topics.users, topics.orders]), delivered);
}

/** checkWhole's verdict on the partitions' watermarks. */
export function checkWatermarks(marks: readonly Watermarks[], delivered: number): void {
  for (const w of marks) {
    if (w.low > 0) {
      throw new CdcError(
        'ERR_CDC_KAFKA',
        `${w.topic}/${w.partition} no longer holds its first ${w.low} messages (retention): preload fewer events (--events)`,
      );
    }
  }
  const total = marks.reduce((n, w) => n + w.high, 0);
  if (total !== delivered)
    throw new CdcError('ERR_CDC_KAFKA', `the topics hold ${total} messages, ${delivered} were delivered (topics reused?)`);
}

function promised<T>(fn: (cb: (err: Kafka.LibrdKafkaError | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** Reads both topics from offset 0 to their end; fails if the cluster no longer holds offset 0. */
export async function readBack(brokers: string, topics: TopicNames, expectedTotal: number): Promise<Dataset> {
  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': brokers, 'group.id': `cdc-bench-readback-${Date.now()}`, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await promised<Kafka.Metadata>((cb) => consumer.connect({ timeout: 20_000 }, cb));
  try {
    const logs: PartitionLog[] = [];
    const assignment: Kafka.Assignment[] = [];
    const metadata = await promised<Kafka.Metadata>((cb) => consumer.getMetadata({ allTopics: true, timeout: 10_000 }, cb));
    for (const topic of [topics.users, topics.orders]) {
      const t = metadata.topics.find((x) => x.name === topic);
      if (!t) throw new CdcError('ERR_CDC_KAFKA', `topic ${topic} is missing after the preload`);
      for (const { id } of [...t.partitions].sort((a, b) => a.id - b.id)) {
        const w = await promised<Kafka.WatermarkOffsets>((cb) => consumer.queryWatermarkOffsets(topic, id, 10_000, cb));
        if (w.lowOffset > 0) {
          throw new CdcError(
            'ERR_CDC_KAFKA',
            `${topic}/${id} no longer holds its first ${w.lowOffset} events (retention): preload fewer events (--events)`,
          );
        }
        logs.push({ topic, partition: id, values: new Array(w.highOffset) });
        if (w.highOffset > 0) assignment.push({ topic, partition: id, offset: 0 });
      }
    }
    const total = logs.reduce((n, l) => n + l.values.length, 0);
    if (total !== expectedTotal) {
      throw new CdcError('ERR_CDC_KAFKA', `the topics hold ${total} events, ${expectedTotal} were produced (topics reused?)`);
    }
    const byKey = new Map(logs.map((l) => [`${l.topic}/${l.partition}`, l]));
    consumer.assign(assignment);
    consumer.setDefaultConsumeTimeout(100);
    let read = 0;
    const deadline = Date.now() + 120_000;
    while (read < total) {
      if (Date.now() > deadline) throw new CdcError('ERR_CDC_KAFKA', `read back only ${read} of ${total} events within 120 s`);
      const batch = await promised<Kafka.Message[]>((cb) => consumer.consume(2000, cb));
      for (const m of batch) {
        const log = byKey.get(`${m.topic}/${m.partition}`);
        if (!log || m.offset >= log.values.length || log.values[m.offset] !== undefined || !m.value) continue;
        log.values[m.offset] = m.value;
        read++;
      }
    }
    return new Dataset(topics, logs);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
