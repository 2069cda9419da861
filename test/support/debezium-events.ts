/**
 * Change events of a whole source database as Debezium's MySQL connector writes them with
 * JsonConverter's schema envelope (schemas.enable=true), keys included, and a model of the tables they
 * should leave: what the database-scale tests produce and compare with.
 */
import type { TestMessage } from './kafka.js';

/** A column of a source table: its Kafka Connect field schema. */
export interface SourceField {
  name: string;
  type: string;
  logical?: string;
  parameters?: Record<string, string>;
  optional?: boolean;
  /** An array's element type (PostgreSQL's connector: optional elements). */
  items?: string;
  /** A struct's fields (a geometry's wkb, srid, x, y). */
  fields?: SourceField[];
}

export interface SourceTable {
  name: string;
  fields: SourceField[];
  /** Key fields, in the key schema's order. */
  key: string[];
}

export type Row = Record<string, unknown>;

function fieldSchema(f: SourceField): Record<string, unknown> {
  return {
    type: f.type,
    optional: f.optional ?? false,
    ...(f.logical ? { name: f.logical, version: 1 } : {}),
    ...(f.parameters ? { parameters: f.parameters } : {}),
    ...(f.items ? { items: { type: f.items, optional: true } } : {}),
    ...(f.fields ? { fields: f.fields.map(fieldSchema) } : {}),
    field: f.name,
  };
}

/** JSON text in which a BigInt (an int64 beyond 2^53) is written as its digits, as Debezium writes a long. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}` : v)).replace(/"\\u0000(-?\d+)"/g, '$1');
}

/** Debezium's Decimal: the unscaled value as big-endian two's complement, base64. */
export function decimalBase64(unscaled: bigint): string {
  const bytes: number[] = [];
  let v = unscaled;
  do {
    bytes.unshift(Number(BigInt.asUintN(8, v)));
    v >>= 8n;
  } while (!((v === 0n && (bytes[0] as number) < 0x80) || (v === -1n && (bytes[0] as number) >= 0x80)));
  return Buffer.from(bytes).toString('base64');
}

const SOURCE_FIELDS = [
  { type: 'string', optional: false, field: 'version' },
  { type: 'string', optional: false, field: 'connector' },
  { type: 'string', optional: false, field: 'name' },
  { type: 'int64', optional: false, field: 'ts_ms' },
  {
    type: 'string',
    optional: true,
    name: 'io.debezium.data.Enum',
    version: 1,
    parameters: { allowed: 'true,last,false,incremental' },
    field: 'snapshot',
  },
  { type: 'string', optional: false, field: 'db' },
  { type: 'string', optional: true, field: 'table' },
  { type: 'int64', optional: false, field: 'server_id' },
  { type: 'string', optional: false, field: 'file' },
  { type: 'int64', optional: false, field: 'pos' },
  { type: 'int32', optional: false, field: 'row' },
];

const MYSQL_SOURCE = { type: 'struct', fields: SOURCE_FIELDS, optional: false, name: 'io.debezium.connector.mysql.Source' };

/**
 * The value schema of a change event on topic `prefix`: the row's fields (as `before` and `after`), the
 * connector's `source` block (its struct schema), `op` and `ts_ms`.
 */
export function envelopeSchema(prefix: string, rowFields: readonly object[], source: object): Record<string, unknown> {
  const row = (field: string) => ({ type: 'struct', fields: rowFields, optional: true, name: `${prefix}.Value`, field });
  return {
    type: 'struct',
    fields: [
      row('before'),
      row('after'),
      { ...source, field: 'source' },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
    optional: false,
    name: `${prefix}.Envelope`,
    version: 2,
  };
}

/** A source database's topics (`<server>.<db>.<table>`), its events, and the tables they leave. */
export class SourceDatabase {
  readonly messages: TestMessage[] = [];
  /** table -> key text -> row, as the events leave it. */
  readonly model = new Map<string, Map<string, Row>>();
  #pos = 4;

  constructor(
    readonly server: string,
    readonly db: string,
  ) {}

  topic(table: SourceTable): string {
    return `${this.server}.${this.db}.${table.name}`;
  }

  #envelope(t: SourceTable): Record<string, unknown> {
    return envelopeSchema(`${this.server}.${this.db}.${t.name}`, t.fields.map(fieldSchema), MYSQL_SOURCE);
  }

  #key(t: SourceTable, row: Row): string {
    const fields = t.key.map((k) => fieldSchema(t.fields.find((f) => f.name === k) as SourceField));
    const payload = Object.fromEntries(t.key.map((k) => [k, row[k]]));
    return toJson({
      schema: { type: 'struct', fields, optional: false, name: `${this.server}.${this.db}.${t.name}.Key` },
      payload,
    });
  }

  #keyText(t: SourceTable, row: Row): string {
    return t.key.map((k) => String(row[k])).join('\u0001');
  }

  #emit(t: SourceTable, op: string, before: Row | null, after: Row | null): void {
    const payload = {
      before,
      after,
      source: {
        version: '2.7.3.Final',
        connector: 'mysql',
        name: this.server,
        ts_ms: 1_700_000_000_000,
        snapshot: op === 'r' ? 'true' : 'false',
        db: this.db,
        table: t.name,
        server_id: 223344,
        file: 'mysql-bin.000003',
        pos: (this.#pos += 100),
        row: 0,
      },
      op,
      ts_ms: 1_700_000_000_100,
    };
    this.messages.push({
      topic: this.topic(t),
      key: this.#key(t, (after ?? before) as Row),
      value: Buffer.from(toJson({ schema: this.#envelope(t), payload })),
    });
  }

  #table(t: SourceTable): Map<string, Row> {
    let m = this.model.get(t.name);
    if (!m) {
      m = new Map();
      this.model.set(t.name, m);
    }
    return m;
  }

  /** A snapshot read (op r) or an insert (op c). */
  insert(t: SourceTable, row: Row, op: 'r' | 'c' = 'c'): void {
    this.#emit(t, op, null, row);
    this.#table(t).set(this.#keyText(t, row), row);
  }

  update(t: SourceTable, before: Row, after: Row): void {
    this.#emit(t, 'u', before, after);
    this.#table(t).set(this.#keyText(t, after), after);
  }

  /** A delete and the tombstone Debezium writes after it. */
  delete(t: SourceTable, before: Row): void {
    this.#emit(t, 'd', before, null);
    this.messages.push({ topic: this.topic(t), key: this.#key(t, before), value: null });
    this.#table(t).delete(this.#keyText(t, before));
  }
}
