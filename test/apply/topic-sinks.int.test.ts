/**
 * A whole Debezium database from one sink declaration (bin/cdc-consume on the dev stack): tables made
 * from the events' schemas, a column added mid-stream by two worker threads at once, a topic created
 * while the consumer runs, a field whose type changes incompatibly, and values without a schema. Each
 * test has its own server name (so its own topics), group and schema, and compares the final tables
 * with the model the produced events make.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { qualified, quoteIdent } from '../../lib/postgres/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { decimalBase64, type Row, SourceDatabase, type SourceTable } from '../support/debezium-events.js';
import { deleteTestTopics, produceAll } from '../support/kafka.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';

async function query<R>(sql: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    await c.query("SET TimeZone = 'UTC'");
    return (await c.query(sql, values)).rows as R[];
  } finally {
    await c.end();
  }
}

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const price = { scale: '2', 'connect.decimal.precision': '10' };

/** Debezium's tutorial database, widened: mixed types, composite keys, names with capitals. */
const TABLES: Record<string, SourceTable> = {
  customers: {
    name: 'customers',
    key: ['id'],
    fields: [
      { name: 'id', type: 'int32' },
      { name: 'first_name', type: 'string' },
      { name: 'last_name', type: 'string' },
      { name: 'email', type: 'string', optional: true },
    ],
  },
  products: {
    name: 'products',
    key: ['id'],
    fields: [
      { name: 'id', type: 'int32' },
      { name: 'name', type: 'string' },
      { name: 'description', type: 'string', optional: true },
      { name: 'weight', type: 'double', optional: true },
    ],
  },
  products_on_hand: {
    name: 'products_on_hand',
    key: ['product_id'],
    fields: [
      { name: 'product_id', type: 'int32' },
      { name: 'quantity', type: 'int32' },
    ],
  },
  orders: {
    name: 'orders',
    key: ['order_number'],
    fields: [
      { name: 'order_number', type: 'int32' },
      { name: 'order_date', type: 'int32', logical: 'io.debezium.time.Date' },
      { name: 'purchaser', type: 'int32' },
      { name: 'quantity', type: 'int16' },
      { name: 'total', type: 'bytes', logical: DECIMAL, parameters: price },
    ],
  },
  addresses: {
    name: 'addresses',
    key: ['id'],
    fields: [
      { name: 'id', type: 'int32' },
      { name: 'customer_id', type: 'int32' },
      { name: 'street', type: 'string' },
      { name: 'type', type: 'string', logical: 'io.debezium.data.Enum', parameters: { allowed: 'SHIPPING,BILLING,LIVING' } },
    ],
  },
  GiftCards: {
    name: 'GiftCards',
    key: ['cardId'],
    fields: [
      { name: 'cardId', type: 'int64' },
      { name: 'issuedBy', type: 'string' },
      { name: 'balance', type: 'bytes', logical: DECIMAL, parameters: price },
      { name: 'issuedAt', type: 'int64', logical: 'io.debezium.time.MicroTimestamp' },
      { name: 'active', type: 'boolean' },
    ],
  },
  order_lines: {
    name: 'order_lines',
    key: ['order_number', 'line'],
    fields: [
      { name: 'order_number', type: 'int32' },
      { name: 'line', type: 'int16' },
      { name: 'sku', type: 'string' },
      { name: 'unit_price', type: 'bytes', logical: DECIMAL, parameters: { scale: '3' }, optional: true },
    ],
  },
  audit: {
    name: 'audit',
    key: ['region', 'seq'],
    fields: [
      { name: 'region', type: 'string' },
      { name: 'seq', type: 'int64' },
      { name: 'detail', type: 'string', logical: 'io.debezium.data.Json', optional: true },
      { name: 'at', type: 'string', logical: 'io.debezium.time.ZonedTimestamp' },
      { name: 'ref', type: 'string', logical: 'io.debezium.data.Uuid', optional: true },
      { name: 'level', type: 'int8' },
      { name: 'took', type: 'int64', logical: 'io.debezium.time.MicroDuration' },
    ],
  },
  // Types PostgreSQL's connector sends as strings, told apart by column.propagate.source.type.
  hosts: {
    name: 'hosts',
    key: ['id'],
    fields: [
      { name: 'id', type: 'int32' },
      { name: 'ip', type: 'string', parameters: { '__debezium.source.column.type': 'INET' } },
      { name: 'net', type: 'string', parameters: { '__debezium.source.column.type': 'CIDR' } },
      { name: 'mac', type: 'string', parameters: { '__debezium.source.column.type': 'MACADDR' } },
      { name: 'code', type: 'string', parameters: { '__debezium.source.column.type': 'BPCHAR', '__debezium.source.column.length': '4' } },
      { name: 'opens', type: 'string', logical: 'io.debezium.time.ZonedTime' },
      { name: 'doc', type: 'string', logical: 'io.debezium.data.Xml', optional: true },
      { name: 'ports', type: 'array', items: 'int32' },
      { name: 'tags', type: 'array', items: 'string', optional: true },
      { name: 'flags', type: 'bytes', logical: 'io.debezium.data.Bits', parameters: { length: '10' } },
      {
        name: 'loc',
        type: 'struct',
        logical: 'io.debezium.data.geometry.Point',
        optional: true,
        fields: [
          { name: 'wkb', type: 'bytes' },
          { name: 'srid', type: 'int32', optional: true },
          { name: 'x', type: 'double' },
          { name: 'y', type: 'double' },
        ],
      },
      { name: 'counters', type: 'array', items: 'int64', optional: true },
    ],
  },
};

/** POINT(x y) in WKB, little-endian, as MySQL's connector sends a Point's `wkb`. */
function pointWkb(x: number, y: number): string {
  const b = Buffer.alloc(21);
  b[0] = 1;
  b.writeUInt32LE(1, 1);
  b.writeDoubleLE(x, 5);
  b.writeDoubleLE(y, 13);
  return b.toString('base64');
}

const sourceType = (f: { parameters?: Record<string, string> }) => f.parameters?.['__debezium.source.column.type'];

/** A source value as Postgres prints the column it loads (`::text`, TimeZone UTC). */
function pgText(t: SourceTable, field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const f = t.fields.find((x) => x.name === field);
  if (f?.logical === DECIMAL) {
    const bytes = Buffer.from(value as string, 'base64');
    let n = 0n;
    for (const b of bytes) n = (n << 8n) | BigInt(b);
    if ((bytes[0] as number) >= 0x80) n -= 1n << BigInt(bytes.length * 8);
    const scale = Number(f.parameters?.scale ?? 0);
    const neg = n < 0n;
    const digits = (neg ? -n : n).toString().padStart(scale + 1, '0');
    return `${neg ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale > 0 ? `.${digits.slice(-scale)}` : ''}`;
  }
  if (f?.logical === 'io.debezium.time.Date') return new Date((value as number) * 86_400_000).toISOString().slice(0, 10);
  if (f?.logical === 'io.debezium.time.MicroTimestamp') {
    const us = BigInt(value as number);
    const iso = new Date(Number(us / 1000n)).toISOString();
    // Postgres prints the fraction without its trailing zeros.
    const fraction = (us % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}`;
  }
  if (f?.logical === 'io.debezium.time.ZonedTimestamp') return (value as string).replace('T', ' ').replace('Z', '+00');
  // timetz prints its offset as +00; bpchar's text drops the padding.
  if (f?.type === 'array') return `{${(value as unknown[]).map((e) => (e === null ? 'NULL' : String(e))).join(',')}}`;
  if (f?.logical === 'io.debezium.time.ZonedTime') return (value as string).replace('Z', '+00');
  // inet's text cast keeps the netmask, a host's /32 included.
  if (f && sourceType(f) === 'INET') return (value as string).includes('/') ? (value as string) : `${value as string}/32`;
  if (f?.logical === 'io.debezium.time.MicroDuration') {
    // Postgres prints an interval of microseconds alone as hours (never carried into days), minutes, seconds.
    const us = BigInt(value as number);
    const two = (n: bigint) => n.toString().padStart(2, '0');
    const fraction = (us % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
    return `${two(us / 3_600_000_000n)}:${two((us / 60_000_000n) % 60n)}:${two((us / 1_000_000n) % 60n)}${fraction ? `.${fraction}` : ''}`;
  }
  if (f?.logical === 'io.debezium.data.Bits') {
    // Little-endian bytes: the first holds the lowest eight bits.
    let n = 0n;
    for (const [i, b] of [...Buffer.from(value as string, 'base64')].entries()) n |= BigInt(b) << BigInt(8 * i);
    return n.toString(2).padStart(Number(f.parameters?.length), '0');
  }
  if (f?.logical === 'io.debezium.data.geometry.Point')
    return `\\x${Buffer.from((value as { wkb: string }).wkb, 'base64').toString('hex')}`;
  if (f?.logical === 'io.debezium.data.Json')
    return JSON.stringify(JSON.parse(value as string))
      .replace(/":/g, '": ')
      .replace(/,/g, ', ');
  return String(value);
}

async function tableRows(schema: string, t: SourceTable, fields = t.fields.map((f) => f.name)): Promise<Array<Array<string | null>>> {
  const rows = await query<Record<string, string | null>>(
    `SELECT ${fields.map((f) => `${quoteIdent(f)}::text AS ${quoteIdent(f)}`).join(', ')} FROM ${qualified(schema, t.name)}`,
  );
  return rows.map((r) => fields.map((f) => r[f] ?? null)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function modelRows(db: SourceDatabase, t: SourceTable, fields = t.fields.map((f) => f.name)): Array<Array<string | null>> {
  return [...(db.model.get(t.name)?.values() ?? [])]
    .map((row) => fields.map((f) => pgText(t, f, row[f])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** A few rows of every table, with updates, deletes (and their tombstones) and a re-insert. */
function fill(db: SourceDatabase, t: SourceTable, rows: number): void {
  const made: Row[] = [];
  for (let i = 1; i <= rows; i++) {
    const row: Row = {};
    for (const f of t.fields) {
      if (f.logical === DECIMAL) row[f.name] = decimalBase64(BigInt(i * 1234 - 5000));
      else if (f.logical === 'io.debezium.time.Date') row[f.name] = 18_000 + i;
      else if (f.logical === 'io.debezium.time.MicroTimestamp') row[f.name] = 1_709_251_199_000_000 + i * 1_000_123;
      else if (f.logical === 'io.debezium.time.ZonedTimestamp') row[f.name] = `2024-02-29T23:59:${String(10 + i).padStart(2, '0')}.123456Z`;
      else if (f.logical === 'io.debezium.data.Json') row[f.name] = i % 3 === 0 ? null : `{"n":${i},"tags":["a","b"]}`;
      else if (f.logical === 'io.debezium.time.MicroDuration') row[f.name] = i * 90_061_000_001;
      else if (f.logical === 'io.debezium.time.ZonedTime') row[f.name] = `12:05:${String(10 + i).padStart(2, '0')}.789012Z`;
      else if (f.logical === 'io.debezium.data.Xml') row[f.name] = i % 3 === 0 ? null : `<a n="${i}">é &amp; \\</a>`;
      else if (f.type === 'array' && f.items === 'int32') row[f.name] = [i, null, i * 1000];
      // bigint's ends and beyond 2^53, where a JSON number read as a double loses digits.
      else if (f.type === 'array' && f.items === 'int64')
        row[f.name] = i % 4 === 0 ? null : [2n ** 63n - BigInt(i), null, -(2n ** 63n) + BigInt(i), 2n ** 53n + BigInt(i)];
      else if (f.logical === 'io.debezium.data.Bits') row[f.name] = Buffer.from([(i * 37) & 0xff, (i * 37) >> 8]).toString('base64');
      else if (f.logical === 'io.debezium.data.geometry.Point')
        row[f.name] = i % 3 === 0 ? null : { wkb: pointWkb(i + 0.5, -i), srid: 4326, x: i + 0.5, y: -i };
      else if (f.type === 'array') row[f.name] = i % 4 === 0 ? null : [`t${i}`, null, 'x'];
      else if (sourceType(f) === 'INET') row[f.name] = `10.0.0.${i}`;
      else if (sourceType(f) === 'CIDR') row[f.name] = `10.${i}.0.0/16`;
      else if (sourceType(f) === 'MACADDR') row[f.name] = `08:00:2b:01:02:${i.toString(16).padStart(2, '0')}`;
      else if (sourceType(f) === 'BPCHAR') row[f.name] = `c${i}`;
      else if (f.logical === 'io.debezium.data.Uuid') row[f.name] = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      else if (f.logical === 'io.debezium.data.Enum') row[f.name] = ['SHIPPING', 'BILLING', 'LIVING'][i % 3];
      else if (f.type === 'string') row[f.name] = f.optional && i % 4 === 0 ? null : `${f.name} ${i} é`;
      else if (f.type === 'double') row[f.name] = i + 0.25;
      else if (f.type === 'boolean') row[f.name] = i % 2 === 0;
      else if (f.type === 'int64') row[f.name] = 10_000_000_000 + i;
      else row[f.name] = i;
    }
    made.push(row);
    db.insert(t, row, i <= rows / 2 ? 'r' : 'c');
  }
  const nonKey = t.fields.find((f) => !t.key.includes(f.name) && f.type === 'string' && !f.logical && !sourceType(f));
  if (nonKey) db.update(t, made[0] as Row, { ...(made[0] as Row), [nonKey.name]: 'updated' });
  db.delete(t, made[1] as Row);
  db.insert(t, { ...(made[1] as Row) }, 'c');
  db.delete(t, made[2] as Row);
}

describe('apply/topic-sinks: a whole Debezium database from one declaration (integration)', function () {
  this.timeout(180_000);
  let schema: string;
  let drop: () => Promise<void>;
  let dir: string;
  let group: string;
  let server: string;
  const runs: ConsumerRun[] = [];
  const topics: string[] = [];

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('dbscale'));
    dir = mkdtempSync(join(tmpdir(), 'cdc-dbscale-'));
    group = uniqueName('group');
    server = uniqueName('srv');
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map(ensureStopped));
    rmSync(dir, { recursive: true, force: true });
    await drop();
    await deleteTestTopics(topics.splice(0));
  });

  function mapping(extra = 'evolve: add-columns'): string {
    const path = join(dir, 'sinks.yaml');
    // The docs' database-scale declaration, with this test's server name.
    writeFileSync(
      path,
      `sinks:
  - name: inventory
    topic-pattern: '${server}\\.inventory\\.(.+)'
    table: '\${1}'
    format: debezium
    create-table: true
    ${extra}
    delete: hard
`,
    );
    return path;
  }

  function consume(extra: string[]): ConsumerRun {
    const run = startConsumer(['--sinks', mapping(), '--group', group, '--db-schema', schema, ...extra]);
    runs.push(run);
    return run;
  }

  async function produce(db: SourceDatabase): Promise<void> {
    for (const m of db.messages) if (!topics.includes(m.topic)) topics.push(m.topic);
    await produceAll(testStack().brokers, db.messages.splice(0));
  }

  it('loads 9 tables of one database through one pattern, each table made from its events: types, NOT NULL, key order, names as the source has them', async () => {
    const db = new SourceDatabase(server, 'inventory');
    for (const t of Object.values(TABLES)) fill(db, t, 12);
    const produced = db.messages.length;
    await produce(db);
    const run = consume(['--idle', '3s', '--json']);
    expect(await run.exited, run.stderr()).to.equal(0);
    const summary = JSON.parse(run.stdout());
    expect(summary.events).to.equal(produced);
    const dead = await query<{ error_code: string; error_message: string }>(
      `SELECT error_code, error_message FROM ${qualified(schema, 'cdc_dead_letters')} WHERE group_id = $1`,
      [group],
    );
    expect(dead).to.deep.equal([]);
    expect(summary.deadLetters).to.equal(0);
    for (const t of Object.values(TABLES)) expect(await tableRows(schema, t), t.name).to.deep.equal(modelRows(db, t));
    // The derived tables, exactly: one column per field, in field order, typed by the mapping table.
    const columns = await query<{ table: string; column: string; type: string; not_null: boolean }>(
      `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname IN ('GiftCards', 'audit', 'order_lines', 'hosts')
        ORDER BY c.relname, a.attnum`,
      [schema],
    );
    expect(columns.map((c) => `${c.table}.${c.column} ${c.type}${c.not_null ? ' NOT NULL' : ''}`)).to.deep.equal([
      'GiftCards.cardId bigint NOT NULL',
      'GiftCards.issuedBy text NOT NULL',
      'GiftCards.balance numeric(10,2) NOT NULL',
      'GiftCards.issuedAt timestamp without time zone NOT NULL',
      'GiftCards.active boolean NOT NULL',
      'audit.region text NOT NULL',
      'audit.seq bigint NOT NULL',
      'audit.detail jsonb',
      'audit.at timestamp with time zone NOT NULL',
      'audit.ref uuid',
      'audit.level smallint NOT NULL',
      'audit.took interval NOT NULL',
      'hosts.id integer NOT NULL',
      'hosts.ip inet NOT NULL',
      'hosts.net cidr NOT NULL',
      'hosts.mac macaddr NOT NULL',
      'hosts.code character(4) NOT NULL',
      'hosts.opens time with time zone NOT NULL',
      'hosts.doc xml',
      'hosts.ports integer[] NOT NULL',
      'hosts.tags text[]',
      'hosts.flags bit varying(10) NOT NULL',
      'hosts.loc bytea',
      'hosts.counters bigint[]',
      'order_lines.order_number integer NOT NULL',
      'order_lines.line smallint NOT NULL',
      'order_lines.sku text NOT NULL',
      'order_lines.unit_price numeric',
    ]);
    const keys = await query<{ table: string; key: string }>(
      `SELECT c.relname AS table, pg_get_indexdef(i.indexrelid) AS key FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND i.indisprimary AND c.relname IN ('order_lines', 'audit')
        ORDER BY 1`,
      [schema],
    );
    expect(keys.map((k) => `${k.table}: ${k.key.replace(/.* USING btree /, '')}`)).to.deep.equal([
      'audit: (region, seq)',
      'order_lines: (order_number, line)',
    ]);
    expect(run.stderr()).to.match(/table created from the events/);
  });

  it('adds a column a later schema brings, under load on two partitions and two worker threads at once, once', async () => {
    const db = new SourceDatabase(server, 'inventory');
    const v1 = TABLES.customers as SourceTable;
    const v2: SourceTable = { ...v1, fields: [...v1.fields, { name: 'loyalty_points', type: 'int64', optional: true }] };
    // Keys spread over the topic's partitions; the new field appears on all of them at once.
    for (let i = 1; i <= 400; i++) db.insert(v1, { id: i, first_name: `f${i}`, last_name: `l${i}`, email: null });
    for (let i = 1; i <= 400; i++)
      db.update(
        v2,
        { id: i, first_name: `f${i}`, last_name: `l${i}`, email: null },
        { id: i, first_name: `f${i}`, last_name: `l${i}`, email: null, loyalty_points: i * 10 },
      );
    for (let i = 401; i <= 600; i++)
      db.insert(v2, { id: i, first_name: `f${i}`, last_name: `l${i}`, email: `e${i}`, loyalty_points: null });
    await produce(db);
    const run = consume(['--idle', '3s', '--json', '--workers', '2', '--batch-max-rows', '50']);
    expect(await run.exited, run.stderr()).to.equal(0);
    expect(JSON.parse(run.stdout()).deadLetters).to.equal(0);
    expect(await tableRows(schema, v2), 'customers').to.deep.equal(modelRows(db, v2));
    const added = run.stderr().match(/column added from a new field/g) ?? [];
    expect(added.length, run.stderr()).to.equal(1);
  });

  it('picks up a topic created while the consumer runs', async () => {
    const db = new SourceDatabase(server, 'inventory');
    fill(db, TABLES.customers as SourceTable, 6);
    await produce(db);
    const run = consume(['--idle', '40s']);
    await run.waitFor(/partitions assigned/);
    // A table the source database gained later: its topic appears now.
    fill(db, TABLES.products as SourceTable, 6);
    await produce(db);
    const deadline = Date.now() + 40_000;
    let loaded: Array<Array<string | null>> = [];
    while (Date.now() < deadline) {
      loaded = await tableRows(schema, TABLES.products as SourceTable).catch(() => []);
      if (loaded.length === db.model.get('products')?.size) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(loaded).to.deep.equal(modelRows(db, TABLES.products as SourceTable));
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).to.equal(0);
  });

  it('dead-letters events whose field changed type incompatibly (SCHEMA_CHANGE), and values without a schema (MISSING_SCHEMA); the partition goes on', async () => {
    const db = new SourceDatabase(server, 'inventory');
    const v1 = TABLES.products_on_hand as SourceTable;
    const changed: SourceTable = { ...v1, fields: [v1.fields[0] as (typeof v1.fields)[0], { name: 'quantity', type: 'string' }] };
    db.insert(v1, { product_id: 1, quantity: 5 });
    db.insert(v1, { product_id: 2, quantity: 7 });
    // The table exists, made from the first schema, before the change arrives (on any partition).
    await produce(db);
    const first = consume(['--idle', '2s']);
    expect(await first.exited, first.stderr()).to.equal(0);
    const before = db.messages.length;
    db.insert(changed, { product_id: 3, quantity: 'many' });
    db.model.get('products_on_hand')?.delete('3');
    db.messages.push({
      topic: db.topic(v1),
      key: JSON.stringify({ product_id: 4 }),
      value: Buffer.from(JSON.stringify({ op: 'c', before: null, after: { product_id: 4, quantity: 1 }, source: {}, ts_ms: 1 })),
    });
    db.insert(v1, { product_id: 5, quantity: 9 });
    expect(db.messages.length).to.equal(before + 3);
    await produce(db);
    const run = consume(['--idle', '3s', '--json']);
    expect(await run.exited, run.stderr()).to.equal(0);
    expect(await tableRows(schema, v1)).to.deep.equal(modelRows(db, v1));
    const dead = await query<{ error_code: string; error_message: string }>(
      `SELECT error_code, error_message FROM ${qualified(schema, 'cdc_dead_letters')} WHERE group_id = $1 ORDER BY "offset"`,
      [group],
    );
    // Two topics: their offsets do not order them, so the codes are compared sorted.
    expect(dead.map((d) => d.error_code).sort()).to.deep.equal(['MISSING_SCHEMA', 'SCHEMA_CHANGE']);
    expect(dead.find((d) => d.error_code === 'SCHEMA_CHANGE')?.error_message).to.equal(
      "products_on_hand.quantity: the event's schema says string (text); the column has type integer, declared text",
    );
    expect(run.stderr().match(/changed type incompatibly/g)?.length).to.equal(1);
  });

  it('takes flattened records with schemas (ExtractNewRecordState, rewrite deletes), declared key and a column attribute over the derived one', async () => {
    const topic = `${server}.inventory.customers`;
    topics.push(topic);
    const rowSchema = {
      type: 'struct',
      fields: [
        { type: 'int32', optional: false, field: 'id' },
        { type: 'string', optional: false, field: 'email' },
        { type: 'bytes', optional: true, name: DECIMAL, version: 1, parameters: { scale: '2' }, field: 'balance' },
        { type: 'string', optional: true, field: '__op' },
        { type: 'string', optional: true, field: '__deleted' },
      ],
      optional: false,
      name: `${server}.inventory.customers.Value`,
    };
    const row = (id: number, balance: bigint, op: string, deleted = false) => ({
      topic,
      key: JSON.stringify({ id }),
      value: Buffer.from(
        JSON.stringify({
          schema: rowSchema,
          payload: { id, email: `c${id}@example.com`, balance: decimalBase64(balance), __op: op, __deleted: String(deleted) },
        }),
      ),
    });
    await produceAll(testStack().brokers, [
      row(1, 1050n, 'r'),
      row(2, -5n, 'c'),
      row(1, 99999n, 'u'),
      row(2, -5n, 'd', true),
      row(3, 1n, 'c'),
    ]);
    const path = join(dir, 'flattened.yaml');
    writeFileSync(
      path,
      `sinks:
  - name: flattened
    topic-pattern: '${server}\\.inventory\\.(.+)'
    table: 'flat_\${1}'
    format: debezium
    create-table: true
    key: [id]
    columns-from: schema
    columns: { balance: { type: 'numeric(12,2)' } }
    delete: hard
`,
    );
    const run = startConsumer(['--sinks', path, '--group', group, '--db-schema', schema, '--idle', '2s', '--json']);
    runs.push(run);
    expect(await run.exited, run.stderr()).to.equal(0);
    expect(JSON.parse(run.stdout()).deadLetters).to.equal(0);
    const rows = await query<{ id: number; email: string; balance: string }>(
      `SELECT id, email, balance::text AS balance FROM ${qualified(schema, 'flat_customers')} ORDER BY id`,
    );
    expect(rows).to.deep.equal([
      { id: 1, email: 'c1@example.com', balance: '999.99' },
      { id: 3, email: 'c3@example.com', balance: '0.01' },
    ]);
    // The transform's fields are no columns; the declared attribute wins over the derived numeric.
    const columns = await query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [qualified(schema, 'flat_customers')],
    );
    expect(columns).to.deep.equal([
      { name: 'id', type: 'integer' },
      { name: 'email', type: 'text' },
      { name: 'balance', type: 'numeric(12,2)' },
    ]);
  });

  it('with evolve: none, ignores a field that appears later, but counts it and logs it once', async () => {
    const db = new SourceDatabase(server, 'inventory');
    const v1 = TABLES.products_on_hand as SourceTable;
    const v2: SourceTable = { ...v1, fields: [...v1.fields, { name: 'warehouse', type: 'string', optional: true }] };
    const path = mapping('evolve: none');
    const run = (args: string[]) => {
      const r = startConsumer(['--sinks', path, '--group', group, '--db-schema', schema, ...args]);
      runs.push(r);
      return r;
    };
    // The table is made from the first schema; the field comes with later events.
    db.insert(v1, { product_id: 1, quantity: 5 });
    await produce(db);
    const first = run(['--idle', '2s']);
    expect(await first.exited, first.stderr()).to.equal(0);
    for (let i = 2; i <= 30; i++) db.insert(v2, { product_id: i, quantity: i, warehouse: `w${i}` });
    await produce(db);
    const second = run(['--idle', '3s']);
    expect(await second.exited, second.stderr()).to.equal(0);
    expect(await tableRows(schema, v1)).to.deep.equal(modelRows(db, v1));
    const columns = await query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [qualified(schema, 'products_on_hand')],
    );
    expect(columns[0]?.n).to.equal('2');
    expect(second.stderr().match(/a field no column takes is ignored/g)?.length, second.stderr()).to.equal(1);
    expect(second.stderr()).to.match(/"field":"warehouse"/);
  });
});
