/**
 * One source table, `shop.public.products` of Debezium's PostgreSQL connector (with
 * column.propagate.source.type for the varchar), as the same change event's value schema written by both
 * converters: JsonConverter's schema envelope, and the Avro schema AvroConverter registers for it. Written
 * by hand from Confluent's AvroData conventions (connect.name, connect.version, connect.parameters,
 * connect.type, optional fields as unions with null, Decimal as bytes with Avro's decimal logical type and
 * precision 64 when the Connect schema has none) and Debezium's documented type mapping.
 */
import type { AvroObject, AvroSchema } from '../../lib/avro/connect.js';
import type { ConnectSchema } from '../../lib/sinks/connect-schema.js';

/** One column: its JsonConverter field schema (without `field`, `optional`) and its Avro type (not yet optional). */
interface Column {
  name: string;
  optional: boolean;
  json: Omit<ConnectSchema, 'field' | 'optional'>;
  avro: AvroSchema;
  /** A non-null default: AvroData writes the union with the type first. */
  avroDefault?: unknown;
}

/** A column of a Connect primitive type. */
function plain(name: string, optional: boolean, json: string, avro: string | AvroObject, fallback?: unknown): Column {
  if (fallback === undefined) return { name, optional, json: { type: json }, avro };
  // A default: JsonConverter shows it; AvroData writes it on the field and as connect.default on the type.
  const type: AvroObject = typeof avro === 'string' ? { type: avro } : avro;
  return { name, optional, json: { type: json, default: fallback }, avro: { ...type, 'connect.default': fallback }, avroDefault: fallback };
}

/**
 * A column of a named (logical) type on a primitive: JsonConverter shows `name`, `version` and
 * `parameters`; AvroData writes them as `connect.name`, `connect.version`, `connect.parameters`, plus
 * Avro's own logical type where Connect's type has one.
 */
function logical(
  name: string,
  optional: boolean,
  json: string,
  avro: string,
  connectName: string,
  extra: { parameters?: Record<string, string>; logicalType?: string } = {},
): Column {
  const parameters = extra.parameters;
  return {
    name,
    optional,
    json: { type: json, name: connectName, version: 1, ...(parameters ? { parameters } : {}) },
    avro: {
      type: avro,
      'connect.version': 1,
      ...(parameters ? { 'connect.parameters': parameters } : {}),
      'connect.name': connectName,
      ...(extra.logicalType ? { logicalType: extra.logicalType } : {}),
    },
  };
}

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const VSD = 'io.debezium.data.VariableScaleDecimal';
const VSD_JSON: Column['json'] = {
  type: 'struct',
  fields: [
    { type: 'int32', optional: false, field: 'scale' },
    { type: 'bytes', optional: false, field: 'value' },
  ],
  name: VSD,
  version: 1,
  doc: 'Variable scaled decimal',
};
/** Debezium's VariableScaleDecimal as AvroData writes it. */
export const VSD_AVRO: AvroObject = {
  type: 'record',
  name: 'VariableScaleDecimal',
  namespace: 'io.debezium.data',
  fields: [
    { name: 'scale', type: 'int' },
    { name: 'value', type: 'bytes' },
  ],
  'connect.doc': 'Variable scaled decimal',
  'connect.version': 1,
  'connect.name': VSD,
};
const VARCHAR_120 = { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '120' };

export const PRODUCT_COLUMNS: Column[] = [
  plain('id', false, 'int64', 'long'),
  plain('sku', false, 'string', 'string'),
  {
    name: 'title',
    optional: true,
    json: { type: 'string', parameters: VARCHAR_120 },
    avro: { type: 'string', 'connect.parameters': VARCHAR_120 },
  },
  plain('stock', false, 'int16', { type: 'int', 'connect.type': 'int16' }),
  plain('tiny', true, 'int8', { type: 'int', 'connect.type': 'int8' }),
  plain('rank', true, 'int32', 'int'),
  plain('weight', true, 'float', 'float'),
  plain('ratio', true, 'double', 'double'),
  // A nullable column with a default: AvroData writes the union with the type first.
  plain('active', true, 'boolean', 'boolean', true),
  plain('photo', true, 'bytes', 'bytes'),
  {
    name: 'price',
    optional: false,
    json: { type: 'bytes', name: DECIMAL, version: 1, parameters: { scale: '2', 'connect.decimal.precision': '10' } },
    avro: {
      type: 'bytes',
      scale: 2,
      precision: 10,
      'connect.version': 1,
      'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
      'connect.name': DECIMAL,
      logicalType: 'decimal',
    },
  },
  {
    // A Decimal whose Connect schema has no precision (MySQL's BIGINT UNSIGNED in precise mode): AvroData writes 64.
    name: 'big',
    optional: true,
    json: { type: 'bytes', name: DECIMAL, version: 1, parameters: { scale: '0' } },
    avro: {
      type: 'bytes',
      scale: 0,
      precision: 64,
      'connect.version': 1,
      'connect.parameters': { scale: '0' },
      'connect.name': DECIMAL,
      logicalType: 'decimal',
    },
  },
  { name: 'amount', optional: true, json: VSD_JSON, avro: VSD_AVRO },
  // A second VariableScaleDecimal column: Avro names the record once and refers to it after.
  { name: 'discount', optional: true, json: VSD_JSON, avro: VSD },
  logical('released', true, 'int32', 'int', 'io.debezium.time.Date'),
  logical('opens', true, 'int64', 'long', 'io.debezium.time.MicroTime'),
  logical('updated', false, 'int64', 'long', 'io.debezium.time.MicroTimestamp'),
  logical('checked', true, 'int64', 'long', 'io.debezium.time.Timestamp'),
  logical('created', false, 'string', 'string', 'io.debezium.time.ZonedTimestamp'),
  logical('alarm', true, 'string', 'string', 'io.debezium.time.ZonedTime'),
  logical('attrs', true, 'string', 'string', 'io.debezium.data.Json'),
  logical('uid', true, 'string', 'string', 'io.debezium.data.Uuid'),
  logical('state', true, 'string', 'string', 'io.debezium.data.Enum', { parameters: { allowed: 'draft,live,gone' } }),
  logical('warranty', true, 'int64', 'long', 'io.debezium.time.MicroDuration'),
  logical('spec', true, 'string', 'string', 'io.debezium.data.Xml'),
  {
    name: 'tags',
    optional: true,
    json: { type: 'array', items: { type: 'int32', optional: true } },
    avro: { type: 'array', items: ['null', 'int'] },
  },
  // time.precision.mode=connect: Kafka Connect's own logical types, which AvroData also marks as Avro's.
  logical('day', true, 'int32', 'int', 'org.apache.kafka.connect.data.Date', { logicalType: 'date' }),
  logical('at', true, 'int32', 'int', 'org.apache.kafka.connect.data.Time', { logicalType: 'time-millis' }),
  logical('stamp', true, 'int64', 'long', 'org.apache.kafka.connect.data.Timestamp', { logicalType: 'timestamp-millis' }),
];

const ROW_NAME = 'shop.public.products.Value';

function jsonRow(field: string): ConnectSchema {
  return {
    type: 'struct',
    fields: PRODUCT_COLUMNS.map((c) => ({ ...c.json, optional: c.optional, field: c.name })),
    optional: true,
    name: ROW_NAME,
    field,
  };
}

/** PostgreSQL's `source` block: [field, Connect type, optional], and `snapshot`, an Enum with a default. */
const SOURCE: Array<[string, string, boolean]> = [
  ['version', 'string', false],
  ['connector', 'string', false],
  ['name', 'string', false],
  ['ts_ms', 'int64', false],
  ['db', 'string', false],
  ['schema', 'string', false],
  ['table', 'string', false],
  ['txId', 'int64', true],
  ['lsn', 'int64', true],
];
const AVRO_OF: Record<string, string> = { string: 'string', int64: 'long' };
const SNAPSHOT_ALLOWED = { allowed: 'true,last,false,incremental' };

const JSON_SOURCE: ConnectSchema = {
  type: 'struct',
  fields: [
    ...SOURCE.slice(0, 4).map(([field, type, optional]) => ({ type, optional, field })),
    {
      type: 'string',
      optional: true,
      name: 'io.debezium.data.Enum',
      version: 1,
      parameters: SNAPSHOT_ALLOWED,
      default: 'false',
      field: 'snapshot',
    },
    ...SOURCE.slice(4).map(([field, type, optional]) => ({ type, optional, field })),
  ],
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
  field: 'source',
};

const avroSourceField = ([name, type, optional]: [string, string, boolean]) =>
  optional ? { name, type: ['null', AVRO_OF[type] as string], default: null } : { name, type: AVRO_OF[type] as string };

const AVRO_SOURCE: AvroObject = {
  type: 'record',
  name: 'Source',
  namespace: 'io.debezium.connector.postgresql',
  fields: [
    ...SOURCE.slice(0, 4).map(avroSourceField),
    {
      name: 'snapshot',
      type: [
        {
          type: 'string',
          'connect.version': 1,
          'connect.parameters': SNAPSHOT_ALLOWED,
          'connect.default': 'false',
          'connect.name': 'io.debezium.data.Enum',
        },
        'null',
      ],
      default: 'false',
    },
    ...SOURCE.slice(4).map(avroSourceField),
  ],
  'connect.name': 'io.debezium.connector.postgresql.Source',
};

/** The change event's value schema as JsonConverter writes it (schemas.enable=true). */
export const PRODUCTS_JSON_SCHEMA: ConnectSchema = {
  type: 'struct',
  fields: [
    jsonRow('before'),
    jsonRow('after'),
    JSON_SOURCE,
    { type: 'string', optional: false, field: 'op' },
    { type: 'int64', optional: true, field: 'ts_ms' },
  ],
  optional: false,
  name: 'shop.public.products.Envelope',
  version: 1,
};

function avroField(c: Column): { name: string; type: AvroSchema; default?: unknown } {
  if (!c.optional) return { name: c.name, type: c.avro };
  if (c.avroDefault !== undefined) return { name: c.name, type: [c.avro, 'null'], default: c.avroDefault };
  return { name: c.name, type: ['null', c.avro], default: null };
}

/** The same value schema as AvroConverter registers it. */
export const PRODUCTS_AVRO_SCHEMA: AvroObject = {
  type: 'record',
  name: 'Envelope',
  namespace: 'shop.public.products',
  fields: [
    {
      name: 'before',
      type: ['null', { type: 'record', name: 'Value', fields: PRODUCT_COLUMNS.map(avroField), 'connect.name': ROW_NAME }],
      default: null,
    },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'source', type: AVRO_SOURCE },
    { name: 'op', type: 'string' },
    { name: 'ts_ms', type: ['null', 'long'], default: null },
  ],
  'connect.version': 1,
  'connect.name': 'shop.public.products.Envelope',
};

/** The message key's schema, both ways. */
export const PRODUCTS_KEY_JSON_SCHEMA: ConnectSchema = {
  type: 'struct',
  fields: [{ type: 'int64', optional: false, field: 'id' }],
  optional: false,
  name: 'shop.public.products.Key',
};

export const PRODUCTS_KEY_AVRO_SCHEMA: AvroObject = {
  type: 'record',
  name: 'Key',
  namespace: 'shop.public.products',
  fields: [{ name: 'id', type: 'long' }],
  'connect.name': 'shop.public.products.Key',
};

/** The PostgreSQL connector's source block of the products events. */
export const PRODUCTS_SOURCE = {
  version: '2.7.0.Final',
  connector: 'postgresql',
  name: 'shop',
  ts_ms: 1_700_000_000_000,
  snapshot: 'false',
  db: 'shop',
  schema: 'public',
  table: 'products',
  txId: 591,
  lsn: 24_023_128,
};

/** A products change event's payload (either converter's values, as given). */
export function productsEvent(op: string, before: unknown, after: unknown): Record<string, unknown> {
  return { before, after, source: PRODUCTS_SOURCE, op, ts_ms: 1_700_000_000_100 };
}
