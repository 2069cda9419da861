/**
 * cdc-produce's options, declared once for the CLI flags, the environment and the library API
 * (`resolveProduceOptions`). Precedence: flag > environment > default.
 */
import { connectionOptions, type Env, option, parse, resolveOptions, schemaRegistryOptions, type SpecValues } from '../../config/index.js';
import { InvalidOptionError } from '../../errors.js';
import { generatorDefaults, validateMix } from '../generator/generator.js';
import { parseRfc3339, zoneSuffix } from '../generator/timestamps.js';
import type { Mix, TopicNames } from '../generator/types.js';
import type { DeliveryReports } from '../kafka/delivery.js';
import { availableCompression, type Compression, compressionCodecs } from '../kafka/producer.js';

export const produceFormats = ['seed', 'debezium'] as const;
export type ProduceFormat = (typeof produceFormats)[number];

/** How Debezium messages are written: Kafka Connect's JsonConverter, or its AvroConverter. */
export const produceEncodings = ['json', 'avro'] as const;
export type ProduceEncoding = (typeof produceEncodings)[number];

export const produceDefaults = {
  /** Events sent when neither --count nor --duration is given. */
  count: 1000,
  /** Events per second; 0 = as fast as the client allows. */
  rate: 0,
  partitions: { users: 3, orders: 5 },
  replicationFactor: 3,
  compression: 'lz4' as Compression,
  connectTimeoutMs: 10_000,
  createTimeoutMs: 5000,
  deliveryTimeoutMs: 30_000,
  warmupTimeoutMs: 30_000,
} as const;

function fail(name: string, value: unknown, accepts: string): never {
  throw new InvalidOptionError(name, `invalid ${name} ${JSON.stringify(value)}: expected ${accepts}`);
}

/** `60,30,10` (CREATE,UPDATE,DELETE percent) or a Mix object. */
const mixParser = (value: unknown, name: string): Mix => {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return validateMix(value as Mix, name);
  const parts = Array.isArray(value)
    ? value.map(Number)
    : typeof value === 'string'
      ? value.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s)))
      : [];
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p)))
    return fail(name, value, 'three percentages CREATE,UPDATE,DELETE such as 60,30,10');
  return validateMix({ create: parts[0] as number, update: parts[1] as number, delete: parts[2] as number }, name);
};

/** `users,orders`: the topic for user events, then the topic for order events. */
const topicsParser = (value: unknown, name: string): TopicNames => {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const t = value as Partial<TopicNames>;
    return topicsParser([t.users, t.orders].join(','), name);
  }
  const names = parse.nameList(value, name);
  const valid = /^[A-Za-z0-9._-]{1,249}$/;
  if (names.length !== 2 || names[0] === names[1] || !names.every((n) => valid.test(n) && n !== '.' && n !== '..')) {
    return fail(name, value, 'two different topic names, users topic first then orders topic, such as users,orders');
  }
  return { users: names[0] as string, orders: names[1] as string };
};

/** `users=3,orders=5`, or one number for both. */
const partitionsParser = (value: unknown, name: string): { users: number; orders: number } => {
  const accepts = 'users=N,orders=N (or one N for both), N from 1 to 10000';
  const count = (v: unknown): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
    return Number.isSafeInteger(n) && n >= 1 && n <= 10_000 ? n : fail(name, value, accepts);
  };
  if (typeof value === 'number') return { users: count(value), orders: count(value) };
  if (typeof value === 'object' && value !== null) {
    const v = value as { users?: unknown; orders?: unknown };
    return { users: count(v.users), orders: count(v.orders) };
  }
  if (typeof value !== 'string') return fail(name, value, accepts);
  if (/^\s*\d+\s*$/.test(value)) return { users: count(value), orders: count(value) };
  const out: Partial<Record<'users' | 'orders', number>> = {};
  for (const part of value.split(',')) {
    const m = /^\s*(users|orders)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) return fail(name, value, accepts);
    out[m[1] as 'users' | 'orders'] = count(m[2]);
  }
  return { users: out.users ?? produceDefaults.partitions.users, orders: out.orders ?? produceDefaults.partitions.orders };
};

/** `Z,+05:30,-08:00`: the zones timestamps are written in, one picked at random per event. */
const zonesParser = (value: unknown, name: string): number[] => {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  const out: number[] = [];
  for (const raw of items) {
    if (typeof raw === 'number' && Number.isInteger(raw) && Math.abs(raw) < 1440) {
      out.push(raw);
      continue;
    }
    const text = String(raw).trim();
    const parsed = parseRfc3339(`2000-01-01T00:00:00${text}`);
    if (!parsed) return fail(name, value, 'a comma-separated list of UTC offsets such as Z,+05:30,-08:00');
    out.push(parsed.offsetMinutes);
  }
  if (out.length === 0) return fail(name, value, 'a comma-separated list of UTC offsets such as Z,+05:30,-08:00');
  return out;
};

export const produceOptions = {
  brokers: connectionOptions.brokers,
  count: option<number | undefined>({
    flag: 'count',
    env: 'CDC_PRODUCE_COUNT',
    describe: 'Events to send, all topics together; 0 = no limit. Stops at --count or --duration, whichever comes first',
    default: undefined,
    defaultText: `${produceDefaults.count}, or no limit when --duration is given`,
    parse: parse.optional(parse.integer(0)),
  }),
  durationMs: option<number | undefined>({
    flag: 'duration',
    env: 'CDC_PRODUCE_DURATION',
    describe: 'How long to send, such as 30s or 5m; 0 = no limit',
    default: undefined,
    defaultText: 'no limit',
    parse: parse.optional(parse.duration),
  }),
  rate: option<number>({
    flag: 'rate',
    env: 'CDC_PRODUCE_RATE',
    describe: 'Events per second across all topics; 0 = as fast as the client allows',
    default: produceDefaults.rate,
    parse: parse.number(0),
  }),
  topics: option<TopicNames>({
    flag: 'topics',
    env: 'CDC_PRODUCE_TOPICS',
    describe: 'Topic for user events, then topic for order events',
    default: generatorDefaults.topics,
    show: (t) => `${t.users},${t.orders}`,
    parse: topicsParser,
  }),
  format: option<ProduceFormat>({
    flag: 'format',
    env: 'CDC_PRODUCE_FORMAT',
    describe:
      "seed: the Go pipeline's events; debezium: the changes they make to the Go pipeline's tables, as Debezium's PostgreSQL connector captures them, in Kafka Connect JsonConverter JSON",
    default: 'seed',
    parse: parse.oneOf(produceFormats),
  }),
  schemas: option<boolean>({
    flag: 'schemas',
    env: 'CDC_PRODUCE_SCHEMAS',
    describe: 'With --format debezium: write {"schema", "payload"}, as JsonConverter does with schemas.enable=true, not the payload alone',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  encoding: option<ProduceEncoding>({
    flag: 'encoding',
    env: 'CDC_PRODUCE_ENCODING',
    describe:
      'With --format debezium: json (JsonConverter) or avro (AvroConverter: keys and values in the Confluent wire format, their schemas registered in --schema-registry under <topic>-key and <topic>-value)',
    default: 'json',
    parse: parse.oneOf(produceEncodings),
  }),
  ...schemaRegistryOptions,
  mix: option<Mix>({
    flag: 'mix',
    env: 'CDC_PRODUCE_MIX',
    describe: 'CREATE,UPDATE,DELETE percentages (sum 100); UPDATE/DELETE fall back to CREATE while no id is known',
    default: generatorDefaults.mix,
    show: (m) => `${m.create},${m.update},${m.delete}`,
    parse: mixParser,
  }),
  userShare: option<number>({
    flag: 'user-share',
    env: 'CDC_PRODUCE_USER_SHARE',
    describe: 'Percent of events that are user events (the rest are order events); above 0',
    default: generatorDefaults.userShare,
    parse: (v, name) => {
      const n = parse.number(0, 100)(v, name);
      return n > 0 ? n : fail(name, v, 'a percentage above 0 (orders refer to users this producer created)');
    },
  }),
  seed: option<number | undefined>({
    flag: 'seed',
    env: 'CDC_PRODUCE_SEED',
    describe: 'Makes the sequence of entities and operations reproducible (timestamps follow the clock); the summary shows the seed used',
    default: undefined,
    defaultText: 'random',
    parse: parse.optional(parse.integer(0)),
  }),
  partitions: option<{ users: number; orders: number }>({
    flag: 'partitions',
    env: 'CDC_PRODUCE_PARTITIONS',
    describe: 'Partitions for topics this command creates: users=N,orders=N',
    default: produceDefaults.partitions,
    show: (p) => `users=${p.users},orders=${p.orders}`,
    parse: partitionsParser,
  }),
  replicationFactor: option<number>({
    flag: 'replication-factor',
    env: 'CDC_PRODUCE_REPLICATION_FACTOR',
    describe: 'Replication factor for topics this command creates',
    default: produceDefaults.replicationFactor,
    parse: parse.integer(1, 32767),
  }),
  compression: option<Compression>({
    flag: 'compression',
    env: 'CDC_PRODUCE_COMPRESSION',
    describe: `Batch compression: ${compressionCodecs.join(', ')}; one this build of librdkafka lacks is refused, naming those it has`,
    default: produceDefaults.compression,
    parse: (v, name) => {
      const codec = parse.oneOf(compressionCodecs)(v, name);
      if (availableCompression().includes(codec)) return codec;
      return fail(name, v, `one of ${availableCompression().join(', ')}: this build of librdkafka has no ${codec}`);
    },
  }),
  json: option<boolean>({
    flag: 'json',
    env: 'CDC_PRODUCE_JSON',
    describe: 'Print the final summary as one JSON object on stdout',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  reservoirSize: option<number>({
    flag: 'reservoir-size',
    env: 'CDC_PRODUCE_RESERVOIR_SIZE',
    describe: 'Known ids remembered per entity kind for UPDATE/DELETE and order references (bounds memory)',
    default: generatorDefaults.reservoirSize,
    parse: parse.integer(1, 10_000_000),
  }),
  unicodeShare: option<number>({
    flag: 'unicode-share',
    env: 'CDC_PRODUCE_UNICODE_SHARE',
    describe: 'Percent of names with non-ASCII or JSON-escaped characters (emoji, <>&, U+2028...)',
    default: generatorDefaults.unicodeShare,
    parse: parse.number(0, 100),
  }),
  zones: option<number[]>({
    flag: 'zones',
    env: 'CDC_PRODUCE_ZONES',
    describe: 'UTC offsets timestamps are written in, one picked at random per event, such as Z,+05:30,-08:00',
    default: [...generatorDefaults.zoneOffsetsMinutes],
    show: (zones) => zones.map(zoneSuffix).join(','),
    parse: zonesParser,
  }),
  connectTimeoutMs: option<number>({
    flag: 'connect-timeout',
    env: 'CDC_PRODUCE_CONNECT_TIMEOUT',
    describe: 'Give up when no broker answers within this time',
    default: produceDefaults.connectTimeoutMs,
    unit: 'ms',
    parse: parse.duration,
  }),
  createTimeoutMs: option<number>({
    flag: 'create-timeout',
    env: 'CDC_PRODUCE_CREATE_TIMEOUT',
    describe: 'How long topic creation may take before it is reported as not done (and the run carries on)',
    default: produceDefaults.createTimeoutMs,
    unit: 'ms',
    parse: parse.duration,
  }),
  deliveryTimeoutMs: option<number>({
    flag: 'delivery-timeout',
    env: 'CDC_PRODUCE_DELIVERY_TIMEOUT',
    describe: 'A message not acknowledged within this time counts as failed (librdkafka message.timeout.ms)',
    default: produceDefaults.deliveryTimeoutMs,
    unit: 'ms',
    parse: (v, name) => {
      const ms = parse.duration(v, name);
      return ms >= 1 ? ms : fail(name, v, 'a duration of at least 1ms');
    },
  }),
  deliveryReports: option<DeliveryReports>({
    flag: 'delivery-reports',
    env: 'CDC_PRODUCE_DELIVERY_REPORTS',
    describe:
      'errors: librdkafka reports failed messages only, delivered = sent - failed once flushed (fast); all: a report per message (exact live counts, about 130,000 events/s at most)',
    default: 'errors',
    parse: parse.oneOf(['errors', 'all'] as const),
  }),
  warmupTimeoutMs: option<number>({
    flag: 'warmup-timeout',
    env: 'CDC_PRODUCE_WARMUP_TIMEOUT',
    describe: 'How long the first write to each topic is retried (exponential backoff) while the cluster warms up',
    default: produceDefaults.warmupTimeoutMs,
    unit: 'ms',
    parse: parse.duration,
  }),
};

export type ProduceOptions = SpecValues<typeof produceOptions>;

/** Input for the library API: any option by its key, in its typed form or as the CLI text. */
export type ProduceOptionsInput = { [K in keyof ProduceOptions]?: ProduceOptions[K] | string };

/**
 * Validates library options exactly as the CLI does. The environment is not read unless passed in:
 * a library caller says what it wants.
 */
export function resolveProduceOptions(input: ProduceOptionsInput = {}, env: Env = {}): ProduceOptions {
  return resolveOptions(produceOptions, input as Record<string, unknown>, env);
}

/** --encoding avro needs Debezium messages to encode and a registry for their schemas: refused otherwise. */
export function checkEncoding(options: Pick<ProduceOptions, 'encoding' | 'format' | 'schemaRegistry'>): void {
  if (options.encoding !== 'avro') return;
  if (options.format !== 'debezium')
    throw new InvalidOptionError('--encoding', 'invalid --encoding avro: only with --format debezium (the seed format is JSON)');
  if (options.schemaRegistry === undefined)
    throw new InvalidOptionError(
      '--schema-registry',
      '--encoding avro registers its schemas in a schema registry: give --schema-registry URL (env CDC_SCHEMA_REGISTRY_URL)',
    );
}

/** The event limit in effect: --count, else no limit under --duration, else the small default. */
export function effectiveCount(options: Pick<ProduceOptions, 'count' | 'durationMs'>): number {
  if (options.count !== undefined) return options.count === 0 ? Number.POSITIVE_INFINITY : options.count;
  return options.durationMs ? Number.POSITIVE_INFINITY : produceDefaults.count;
}
