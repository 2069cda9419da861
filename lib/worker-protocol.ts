/**
 * The whole main-thread <-> worker protocol, imported by both sides: the worker's start-up data, the
 * tasks, and the results. Batches cross as one transferred ArrayBuffer (no cloned object graphs), and
 * errors as plain objects (class identity and custom fields do not survive postMessage).
 */
import type { ConsumerOptions } from './consumer/options.js';
import type { PlainError } from './errors.js';
import { SESSION_OPTIONS } from './postgres/session.js';
import type { Mapping } from './sinks/mapping.js';

/** The consumer options a worker thread uses, exactly as cdc-consume validated them. */
export const WORKER_OPTIONS = [
  // The database URL and the limits set on every connection the worker opens (in ms; 0 = not set).
  ...SESSION_OPTIONS,
  'dbSchema',
  // Values larger than this are dead-lettered before any decoding.
  'maxValueBytes',
  // Where the writer schemas of Avro sinks are read (each worker thread has its own client and cache).
  'schemaRegistry',
  'schemaRegistryAuth',
] as const satisfies ReadonlyArray<keyof ConsumerOptions>;

/** Given to every worker thread at start (piscina `workerData`). */
export interface WorkerConfig extends Pick<ConsumerOptions, (typeof WORKER_OPTIONS)[number]> {
  /** The consumer group: the key of the offsets stored in Postgres. */
  groupId: string;
  /** Postgres connections this worker may open (one per batch it runs at once). */
  maxConnections: number;
  /** The validated mapping file (plain data); each worker compiles it once. */
  mapping: Mapping;
}

/**
 * A worker's configuration from the consumer's options (or cdc-dead-letters replay's, which carry the
 * same fields) and a group: the one place the fields are copied.
 */
export function workerConfig(
  options: Pick<ConsumerOptions, (typeof WORKER_OPTIONS)[number]>,
  group: string,
  mapping: Mapping,
): Omit<WorkerConfig, 'maxConnections'> {
  const picked = Object.fromEntries(WORKER_OPTIONS.map((k) => [k, options[k]])) as Pick<ConsumerOptions, (typeof WORKER_OPTIONS)[number]>;
  return { ...picked, groupId: group, mapping };
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export type WorkerTask = MigrateTask | StoredOffsetsTask | MoveOffsetsTask | ApplyTask | PingTask;

/** `SELECT 1`: does Postgres answer (for /healthz)? */
export interface PingTask {
  kind: 'ping';
}

/** Apply the schema (idempotent; see lib/postgres/schema.ts). Also proves Postgres is reachable. */
export interface MigrateTask {
  kind: 'migrate';
  /** false: only check that the tables exist and match the mapping (--no-migrate). */
  apply: boolean;
}

/** Read `cdc_offsets` for these partitions: the first source of a partition's start offset. */
export interface StoredOffsetsTask {
  kind: 'stored-offsets';
  partitions: TopicPartition[];
}

/**
 * Move `cdc_offsets` rows back to where their partitions restart after an offset gap above the log's
 * end (lib/consumer/offset-gaps.ts): a batch skips every message below its row's offset, so a row left
 * there would skip the recreated topic's events. A row no longer at `from` is left alone.
 */
export interface MoveOffsetsTask {
  kind: 'move-offsets';
  moves: Array<TopicPartition & { from: number; to: number }>;
}

export interface ApplyTask {
  kind: 'apply';
  topic: string;
  partition: number;
  /** Name of the mapping's sink that decodes and applies this topic. */
  sink: string;
  /** Packed messages, see `packBatch`; transferred, so the main thread no longer owns it. */
  batch: ArrayBuffer;
  /** The orphan wait is over: dead-letter rows whose parent row is still missing instead of retrying. */
  deadLetterOrphans: boolean;
}

export interface MigrateResult {
  ok: true;
  version: number;
  applied: number[];
  /** Sink tables created because the mapping says create-table (quoted, qualified). */
  createdTables: string[];
}

export interface StoredOffsetsResult {
  ok: true;
  offsets: Array<TopicPartition & { nextOffset: number }>;
}

/** Something a worker thread saw once that the main thread's log should say once (a table created, a field ignored). */
export interface Notice {
  level: 'info' | 'warn';
  /** The same key is logged once per process. */
  key: string;
  message: string;
  fields: Record<string, string | number>;
}

export interface ApplyStats {
  /** Messages in the batch. */
  events: number;
  /** What the batch's sink noticed for the first time (tables created, columns added, fields ignored). */
  notices?: Notice[];
  /** Events carrying fields no column takes (evolve: none), per field. */
  ignoredFields?: Record<string, number>;
  /** Messages already applied by an earlier owner (offset below the stored next offset), skipped. */
  skipped: number;
  upserted: number;
  patched: number;
  /** Patches and deletes of keys not in the table. */
  noops: number;
  /** Events that change nothing (tombstones, Debezium messages, truncates the sink skips) or that a truncate later in the batch undid. */
  ignored: number;
  deadLetters: number;
  /** Worker time for decode + COPY + apply + commit, in milliseconds. */
  durationMs: number;
  /** Wall-clock time of the COMMIT, for end-to-end latency. */
  committedAt: number;
}

export type ApplyResult =
  | { ok: true; status: 'applied'; nextOffset: number; stats: ApplyStats }
  /** Rows whose parent row is not in Postgres yet: nothing was written; retry later. */
  | { ok: true; status: 'orphans'; orphans: number };

export type TaskFailure = { ok: false; error: PlainError };

export interface PingResult {
  ok: true;
}

export type TaskResult<T extends WorkerTask> =
  | (T extends MigrateTask
      ? MigrateResult
      : T extends StoredOffsetsTask
        ? StoredOffsetsResult
        : T extends PingTask | MoveOffsetsTask
          ? PingResult
          : ApplyResult)
  | TaskFailure;

/** One Kafka message as the worker sees it. */
export interface PackedMessage {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export interface BatchSource {
  offset: number;
  timestamp?: number | undefined;
  key?: Buffer | string | null | undefined;
  value: Buffer | null;
}

/*
 * Batch layout, little-endian, 24-byte header per message followed by its key and value bytes:
 *   f64 offset | f64 timestamp | i32 key length (-1 = null) | i32 value length (-1 = null) | key | value
 * Offsets are below 2^53 in any real log, so a float64 carries them exactly.
 */
const HEADER_BYTES = 24;

export function packBatch(messages: readonly BatchSource[]): ArrayBuffer {
  const keys: Array<Buffer | null> = new Array(messages.length);
  let size = 4;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as BatchSource;
    const key = m.key == null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key;
    keys[i] = key;
    size += HEADER_BYTES + (key?.length ?? 0) + (m.value?.length ?? 0);
  }
  const buffer = new ArrayBuffer(size);
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  view.setUint32(0, messages.length, true);
  let at = 4;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as BatchSource;
    const key = keys[i] ?? null;
    view.setFloat64(at, m.offset, true);
    view.setFloat64(at + 8, m.timestamp ?? 0, true);
    view.setInt32(at + 16, key === null ? -1 : key.length, true);
    view.setInt32(at + 20, m.value === null ? -1 : m.value.length, true);
    at += HEADER_BYTES;
    if (key !== null) {
      bytes.set(key, at);
      at += key.length;
    }
    if (m.value !== null) {
      bytes.set(m.value, at);
      at += m.value.length;
    }
  }
  return buffer;
}

export function unpackBatch(buffer: ArrayBuffer): PackedMessage[] {
  const view = new DataView(buffer);
  const count = view.getUint32(0, true);
  const out: PackedMessage[] = new Array(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const offset = view.getFloat64(at, true);
    const timestamp = view.getFloat64(at + 8, true);
    const keyLength = view.getInt32(at + 16, true);
    const valueLength = view.getInt32(at + 20, true);
    at += HEADER_BYTES;
    const key = keyLength < 0 ? null : new Uint8Array(buffer, at, keyLength);
    at += Math.max(keyLength, 0);
    const value = valueLength < 0 ? null : new Uint8Array(buffer, at, valueLength);
    at += Math.max(valueLength, 0);
    out[i] = { offset, timestamp, key, value };
  }
  return out;
}
