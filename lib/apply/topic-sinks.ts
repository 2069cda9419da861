/**
 * Sinks resolved per topic at run time (worker threads): a `topic-pattern`'s topics, each its own table,
 * and tables whose key and columns come from the events' schemas.
 *
 * A topic's table is made or extended before the batch that needs it, in a transaction of its own under
 * an advisory lock on the table, so worker threads and processes that see a new schema at once serialize
 * there: one creates or alters, the others find the columns there. Each distinct schema (its bytes) is
 * compiled once into a decoder bound to the table's columns; a message then costs the parse of its
 * payload only. Columns are never dropped or narrowed: a field whose type the column cannot hold makes
 * its events SCHEMA_CHANGE dead letters.
 */
import type pg from 'pg';
import { AvroDecoders, fieldSchemasOf } from '../avro/decoder.js';
import { schemaIdOf } from '../avro/wire.js';
import { CdcError } from '../errors.js';
import { isDataError } from '../postgres/errors.js';
import { qualified, quoteIdent } from '../postgres/identifiers.js';
import { type ColumnType, incompatibility, parseCatalogType } from '../sinks/column-types.js';
import { type ConnectSchema, deriveColumns, rowSchemaOf, unsupportedTypesMessage } from '../sinks/connect-schema.js';
import { isNullSpan, splitEnvelope } from '../sinks/envelope.js';
import { compileDebeziumDecoder, type FieldSchema, structSchemas } from '../sinks/formats/debezium.js';
import type { ColumnDeclaration, SinkDeclaration, TopicSinkDeclaration } from '../sinks/mapping.js';
import { SchemaCache } from '../sinks/schema-cache.js';
import { avroOf, compileTopicSink, type Sink } from '../sinks/sink.js';
import { TABLES_LOCK_NAMESPACE } from '../sinks/tables.js';
import { type Route, SinkRouter } from '../sinks/topic-sinks.js';
import type { DeadLetterCode, DecodeResult, RowEvent } from '../sinks/types.js';
import type { Notice, PackedMessage, WorkerConfig } from '../worker-protocol.js';

type Decode = (key: Uint8Array | null, value: Uint8Array | null) => DecodeResult<RowEvent>;

/** A schema compiled against the table's current columns: its decoder, or why its events are dead letters. */
interface SchemaEntry {
  /** The compiled sink it was bound to: a new one (columns changed) needs a new binding. */
  boundTo: Sink | undefined;
  decode: Decode | undefined;
  rejection: { code: DeadLetterCode; message: string } | undefined;
  /** Fields of the schema no column takes (evolve: none). */
  ignored: readonly string[];
  row: ConnectSchema | undefined;
}

/** A column as the table has it. */
interface StoredColumn {
  name: string;
  type: ColumnType;
  sql: string;
  notNull: boolean;
}

/** What a batch of a topic sink runs with. */
export interface PreparedTopicSink {
  sink: Sink;
  decoder: { decode: Decode };
  notices: Notice[];
  ignoredFields: Record<string, number>;
}

function reject(code: DeadLetterCode, message: string): { ok: false; code: DeadLetterCode; message: string } {
  return { ok: false, code, message };
}

const utf8 = new TextDecoder();

function declaredColumn(name: string, type: ColumnType, nullable: boolean, override: ColumnDeclaration | undefined): ColumnDeclaration {
  return {
    name,
    type,
    field: override?.field ?? name,
    ops: ['create', 'update', 'delete'],
    onCreate: undefined,
    nullable: override?.nullable ?? nullable,
    defaultSql: override?.defaultSql,
    encoding: override?.encoding,
    min: override?.min,
    max: override?.max,
    minLength: override?.minLength ?? 0,
    references: undefined,
  };
}

class TopicSink {
  readonly #decl: TopicSinkDeclaration;
  readonly #route: Route;
  readonly #topic: string;
  readonly #config: WorkerConfig;
  readonly #pool: pg.Pool;
  readonly #nextId: () => string;
  /** The worker thread's Avro readers, for encoding: avro. */
  readonly #avro: AvroDecoders | undefined;
  /** Avro: a schema id's Connect schema as JSON text, the key of its entry (ids with equal schemas share one). */
  readonly #textById = new Map<number, string | undefined>();
  readonly #schema: string;
  readonly #table: string;
  /** The table's columns as last read, in their order; undefined until the table is known to exist. */
  #stored: StoredColumn[] | undefined;
  #key: string[] | undefined;
  #compiled: Sink | undefined;
  /** The columns and key #compiled was made for. */
  #compiledShape = '';
  readonly #schemas = new SchemaCache<SchemaEntry>();
  readonly #noticed = new Set<string>();
  #notices: Notice[] = [];
  #ignoredCounts: Record<string, number> = {};

  constructor(
    decl: TopicSinkDeclaration,
    route: Route,
    topic: string,
    config: WorkerConfig,
    pool: pg.Pool,
    nextId: () => string,
    avro: AvroDecoders | undefined,
  ) {
    this.#decl = decl;
    this.#avro = avroOf(decl, avro);
    this.#route = route;
    this.#topic = topic;
    this.#config = config;
    this.#pool = pool;
    this.#nextId = nextId;
    this.#schema = route.schema ?? config.dbSchema;
    this.#table = qualified(this.#schema, route.table);
  }

  /** Makes or extends the table for the schemas this batch brings, then returns what decodes and applies it. */
  async prepare(messages: readonly PackedMessage[]): Promise<PreparedTopicSink> {
    const fresh = new Map<string, { keySchema: string | undefined; key: Uint8Array | null }>();
    const current = (entry: SchemaEntry | undefined) => entry?.boundTo !== undefined && entry.boundTo === this.#compiled;
    if (this.#avro !== undefined) await this.#freshAvro(this.#avro, messages, fresh, current);
    else this.#freshJson(messages, fresh, current);
    if (this.#compiled === undefined || fresh.size > 0) await this.#sync(fresh);
    const notices = this.#notices;
    const ignoredFields = this.#ignoredCounts;
    this.#notices = [];
    this.#ignoredCounts = {};
    const prepared: PreparedTopicSink = {
      sink: this.#compiled as Sink,
      decoder: { decode: (k, v) => (this.#avro === undefined ? this.#decode(k, v) : this.#decodeAvro(k, v)) },
      notices,
      ignoredFields,
    };
    return prepared;
  }

  /** The JSON schemas of the batch that have no entry bound to the current columns. */
  #freshJson(
    messages: readonly PackedMessage[],
    fresh: Map<string, { keySchema: string | undefined; key: Uint8Array | null }>,
    current: (entry: SchemaEntry | undefined) => boolean,
  ): void {
    for (const m of messages) {
      if (m.value === null) continue;
      // The previous message's schema again (nearly always): a memcmp, no scan and no string.
      if (current(this.#schemas.matchLast(m.value)?.entry)) continue;
      const spans = splitEnvelope(m.value);
      if (!spans || isNullSpan(m.value, spans.schema) || isNullSpan(m.value, spans.payload)) continue;
      if (current(this.#schemas.get(m.value, spans.schema))) continue;
      const schemaText = SchemaCache.text(m.value, spans.schema);
      if (!fresh.has(schemaText)) fresh.set(schemaText, { keySchema: this.#keySchemaText(m.key), key: m.key });
    }
  }

  /**
   * Avro: the batch's schema ids fetched and compiled (a registry that cannot answer rejects: the batch
   * is retried), then the Connect schemas of its value ids that have no entry bound to the current
   * columns, in the JSON envelope's form, so columns derive and evolve exactly as from JSON. A key in
   * the wire format gives its Connect schema as the key schema.
   */
  async #freshAvro(
    avro: AvroDecoders,
    messages: readonly PackedMessage[],
    fresh: Map<string, { keySchema: string | undefined; key: Uint8Array | null }>,
    current: (entry: SchemaEntry | undefined) => boolean,
  ): Promise<void> {
    await avro.prepareBatch(messages);
    for (const m of messages) {
      const text = this.#avroText(m.value);
      if (text === undefined || current(this.#schemas.byText(text)) || fresh.has(text)) continue;
      const keySchema = m.key !== null && m.key.length >= 5 && m.key[0] === 0 ? this.#avroText(m.key) : undefined;
      fresh.set(text, { keySchema, key: m.key });
    }
  }

  /** The Connect schema (JSON text) of a prepared message in the wire format; undefined for any other. */
  #avroText(message: Uint8Array | null): string | undefined {
    if (message === null || message.length < 5 || message[0] !== 0) return undefined;
    const id = schemaIdOf(message);
    if (!this.#textById.has(id)) {
      const connect = this.#avro?.get(id)?.connect;
      this.#textById.set(id, connect === undefined ? undefined : JSON.stringify(connect));
    }
    return this.#textById.get(id);
  }

  /** Avro: the entry of the value's schema id; what is not readable, the compiled sink names (INVALID_AVRO, ...). */
  #decodeAvro(key: Uint8Array | null, value: Uint8Array | null): DecodeResult<RowEvent> {
    const text = this.#avroText(value);
    const entry = text === undefined ? undefined : this.#schemas.byText(text);
    if (entry === undefined) return (this.#compiled as Sink).decode(key, value);
    return this.#decodeWith(entry, key, value as Uint8Array);
  }

  #keySchemaText(key: Uint8Array | null): string | undefined {
    if (key === null) return undefined;
    const spans = splitEnvelope(key);
    return spans && !isNullSpan(key, spans.schema) ? SchemaCache.text(key, spans.schema) : undefined;
  }

  #notice(level: Notice['level'], key: string, message: string, fields: Record<string, string | number>): void {
    if (this.#noticed.has(key)) return;
    this.#noticed.add(key);
    this.#notices.push({
      level,
      key: `${this.#table}\u0000${key}`,
      message,
      fields: { topic: this.#topic, table: this.#route.tableName, ...fields },
    });
  }

  #decode(key: Uint8Array | null, value: Uint8Array | null): DecodeResult<RowEvent> {
    const compiled = this.#compiled as Sink;
    if (value === null) return compiled.decode(key, value);
    const same = this.#schemas.matchLast(value);
    if (same !== undefined) return this.#decodeWith(same.entry, key, value.subarray(same.payload.start, same.payload.end));
    const spans = splitEnvelope(value);
    if (spans === undefined) {
      if (this.#decl.columns !== undefined) return compiled.decode(key, value);
      return reject(
        'MISSING_SCHEMA',
        `${this.#decl.at}: the value has no schema envelope ({"schema": ..., "payload": ...}), which its columns come from`,
      );
    }
    if (isNullSpan(value, spans.payload)) return compiled.decode(key, null);
    if (isNullSpan(value, spans.schema)) {
      if (this.#decl.columns !== undefined) return compiled.decode(key, value.subarray(spans.payload.start, spans.payload.end));
      return reject('MISSING_SCHEMA', `${this.#decl.at}: the value's schema is null, and its columns come from the schema`);
    }
    const entry = this.#schemas.get(value, spans.schema);
    // prepare() made an entry for every schema of the batch: a miss is a bug (DECODER_FAILED).
    if (entry === undefined) throw new Error(`schema not prepared for ${this.#topic}`);
    return this.#decodeWith(entry, key, value.subarray(spans.payload.start, spans.payload.end));
  }

  #decodeWith(entry: SchemaEntry, key: Uint8Array | null, payload: Uint8Array): DecodeResult<RowEvent> {
    if (entry.rejection) return reject(entry.rejection.code, entry.rejection.message);
    for (const f of entry.ignored) this.#ignoredCounts[f] = (this.#ignoredCounts[f] ?? 0) + 1;
    return (entry.decode as Decode)(key, payload);
  }

  /** The key columns: declared, the table's primary key, or the message key's fields in its schema's order. */
  #keyFrom(keySchema: string | undefined, key: Uint8Array | null): string[] | undefined {
    if (this.#decl.key !== undefined) return [...this.#decl.key];
    if (keySchema !== undefined) {
      try {
        const fields = (JSON.parse(keySchema) as ConnectSchema).fields;
        if (Array.isArray(fields) && fields.length > 0) return fields.map((f) => f.field as string);
      } catch {
        return undefined;
      }
    }
    if (key === null) return undefined;
    try {
      const o = JSON.parse(utf8.decode(key)) as unknown;
      if (o !== null && typeof o === 'object' && !Array.isArray(o) && Object.keys(o).length > 0) return Object.keys(o);
    } catch {
      return undefined;
    }
    return undefined;
  }

  async #sync(fresh: Map<string, { keySchema: string | undefined; key: Uint8Array | null }>): Promise<void> {
    // Schemas parsed once each; their columns, or why they have none.
    const parsed = new Map<string, { row: ConnectSchema | undefined; problem: string | undefined }>();
    for (const [schemaText] of fresh) {
      let row: ConnectSchema | undefined;
      try {
        row = rowSchemaOf(JSON.parse(schemaText) as ConnectSchema);
      } catch {
        row = undefined;
      }
      parsed.set(schemaText, { row, problem: row === undefined ? 'the schema is not a struct' : undefined });
    }
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [TABLES_LOCK_NAMESPACE, this.#table]);
      await this.#readTable(client);
      if (this.#stored === undefined) await this.#create(client, fresh, parsed);
      if (this.#stored !== undefined && this.#decl.columns === undefined && this.#decl.evolve === 'add-columns')
        await this.#addColumns(client, parsed);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if (err instanceof CdcError) throw err;
      const e = err as Error & { code?: string };
      throw new CdcError('ERR_CDC_SCHEMA', `${this.#table} (topic ${this.#topic}): ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}`, {
        cause: err,
        // A lock wait or a lost connection passes; a statement Postgres refuses does not.
        canRetry: !isDataError(err) && e.code !== '42601' && e.code !== '42501',
      });
    } finally {
      client.release();
    }
    if (this.#stored === undefined) {
      // No table could be made (no key): every schema's events say why.
      for (const [schemaText] of fresh) {
        this.#schemas.set(schemaText, {
          boundTo: undefined,
          decode: undefined,
          rejection: {
            code: 'MISSING_KEY',
            message: `topic ${this.#topic}: its messages have no key, and ${this.#decl.at} declares none; declare key`,
          },
          ignored: [],
          row: undefined,
        });
      }
      this.#compiled ??= this.#compileStored([]);
      return;
    }
    // Compiled again only when the columns changed: a new compiled sink is a new staging table and new
    // prepared statements on every connection.
    const shape = JSON.stringify([this.#key, this.#stored.map((c) => [c.name, c.sql, c.notNull])]);
    if (this.#compiled === undefined || shape !== this.#compiledShape) {
      this.#compiled = this.#compileStored(this.#stored);
      this.#compiledShape = shape;
    }
    for (const [schemaText, p] of parsed) this.#schemas.set(schemaText, this.#bind(p.row, p.problem));
    // Schemas bound to the previous columns: bound again on their next use.
    for (const [schemaText, entry] of [...this.#schemas.entries()]) {
      if (entry.boundTo !== undefined && entry.boundTo !== this.#compiled) this.#schemas.set(schemaText, this.#bind(entry.row, undefined));
    }
  }

  async #readTable(client: pg.ClientBase): Promise<void> {
    const { rows: exists } = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [this.#table]);
    if (exists[0]?.oid == null) {
      this.#stored = undefined;
      return;
    }
    const { rows } = await client.query<{ name: string; type: string; not_null: boolean }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS not_null FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [this.#table],
    );
    // Columns of types the engine does not write stay as they are: they are not part of its rows.
    this.#stored = rows.flatMap((r) => {
      const type = parseCatalogType(r.type);
      return typeof type === 'string' ? [] : [{ name: r.name, type, sql: r.type, notNull: r.not_null }];
    });
    if (this.#key === undefined) {
      const { rows: pk } = await client.query<{ name: string }>(
        `SELECT a.attname AS name FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attnum = k.attnum
          WHERE i.indrelid = $1::regclass AND i.indisprimary AND a.attrelid = i.indrelid ORDER BY k.n`,
        [this.#table],
      );
      this.#key = this.#decl.key !== undefined ? [...this.#decl.key] : pk.length > 0 ? pk.map((r) => r.name) : undefined;
      if (this.#key === undefined)
        throw new CdcError(
          'ERR_CDC_SCHEMA',
          `${this.#table} (topic ${this.#topic}) has no primary key, and ${this.#decl.at} declares no key: declare key, or give the table a primary key`,
        );
    }
  }

  async #create(
    client: pg.ClientBase,
    fresh: Map<string, { keySchema: string | undefined; key: Uint8Array | null }>,
    parsed: Map<string, { row: ConnectSchema | undefined; problem: string | undefined }>,
  ): Promise<void> {
    if (!this.#decl.createTable)
      throw new CdcError(
        'ERR_CDC_SCHEMA',
        `${this.#table} (${this.#decl.at}, topic ${this.#topic}) does not exist: create it, or set create-table: true`,
      );
    let key: string[] | undefined;
    for (const [, f] of fresh) {
      key = this.#keyFrom(f.keySchema, f.key);
      if (key !== undefined) break;
    }
    if (key === undefined && this.#decl.columns !== undefined) key = this.#decl.key ? [...this.#decl.key] : undefined;
    if (key === undefined) {
      this.#notice(
        'warn',
        'missing-key',
        `topic ${this.#topic}: its messages have no key and ${this.#decl.at} declares none; its events are dead letters (MISSING_KEY)`,
        {},
      );
      return;
    }
    // The columns: declared, or the first schema's fields, then those only later schemas have (nullable).
    const columns: Array<{ name: string; type: ColumnType; nullable: boolean }> = [];
    if (this.#decl.columns !== undefined) {
      for (const c of this.#decl.columns) columns.push({ name: c.name, type: c.type, nullable: c.nullable });
    } else {
      let first = true;
      for (const [, p] of parsed) {
        if (!p.row) continue;
        for (const c of deriveColumns(p.row).columns) {
          if (columns.some((x) => x.name === c.name)) continue;
          const override = this.#decl.overrides.find((o) => o.name === c.name);
          columns.push({ name: c.name, type: override?.type ?? c.type, nullable: !first || (override?.nullable ?? c.nullable) });
        }
        first = false;
      }
    }
    if (columns.length === 0) return;
    const soft = this.#decl.delete === 'hard' ? undefined : this.#decl.delete.soft;
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.type.sql}${!c.nullable || key.includes(c.name) ? ' NOT NULL' : ''}`);
    if (soft !== undefined && !columns.some((c) => c.name === soft)) defs.push(`${quoteIdent(soft)} boolean NOT NULL DEFAULT false`);
    const missing = key.filter((k) => !columns.some((c) => c.name === k));
    if (missing.length > 0)
      throw new CdcError(
        'ERR_CDC_SCHEMA',
        `${this.#table} (topic ${this.#topic}): key column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not among the row's fields`,
      );
    defs.push(`PRIMARY KEY (${key.map(quoteIdent).join(', ')})`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.#schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (${defs.join(', ')})`);
    this.#key = key;
    this.#notice('info', 'created', 'table created from the events', { columns: columns.length, key: key.join(', ') });
    await this.#readTable(client);
  }

  async #addColumns(
    client: pg.ClientBase,
    parsed: Map<string, { row: ConnectSchema | undefined; problem: string | undefined }>,
  ): Promise<void> {
    const stored = this.#stored as StoredColumn[];
    const added: string[] = [];
    for (const [, p] of parsed) {
      if (!p.row) continue;
      for (const c of deriveColumns(p.row).columns) {
        if (stored.some((s) => s.name === c.name) || added.includes(c.name)) continue;
        const type = this.#decl.overrides.find((o) => o.name === c.name)?.type ?? c.type;
        // IF NOT EXISTS: another thread or process may have added it since we read the table.
        await client.query(`ALTER TABLE ${this.#table} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${type.sql}`);
        added.push(c.name);
        this.#notice('info', `added:${c.name}`, 'column added from a new field of the events', { column: c.name, type: type.sql });
      }
    }
    if (added.length > 0) await this.#readTable(client);
  }

  /** A declaration of the stored columns the engine writes, compiled under a new id. */
  #compileStored(stored: readonly StoredColumn[]): Sink {
    const declared = this.#decl.columns;
    const soft = this.#decl.delete === 'hard' ? undefined : this.#decl.delete.soft;
    const columns = declared
      ? [...declared]
      : stored
          .filter((c) => c.name !== soft || this.#decl.delete === 'hard' || this.#decl.delete.declared)
          .map((c) =>
            declaredColumn(
              c.name,
              c.type,
              !c.notNull,
              this.#decl.overrides.find((o) => o.name === c.name),
            ),
          );
    const decl: SinkDeclaration = {
      name: this.#decl.name,
      topic: this.#topic,
      schema: this.#route.schema,
      table: this.#route.table,
      format: 'debezium',
      key: this.#key ?? [],
      createTable: this.#decl.createTable,
      columns,
      delete: this.#decl.delete,
      truncate: this.#decl.truncate,
      unavailableValue: this.#decl.unavailableValue,
      envelope: this.#decl.envelope,
      encoding: this.#decl.encoding,
    };
    return compileTopicSink(decl, this.#config.dbSchema, this.#nextId(), this.#avro);
  }

  /** A schema's decoder over the compiled columns, or the dead letter its events become. */
  #bind(row: ConnectSchema | undefined, problem: string | undefined): SchemaEntry {
    const sink = this.#compiled as Sink;
    const entry = (rejection: SchemaEntry['rejection'], ignored: string[] = []): SchemaEntry => ({
      boundTo: sink,
      decode: undefined,
      rejection,
      ignored,
      row,
    });
    if (this.#decl.columns !== undefined) return { boundTo: sink, decode: sink.decode, rejection: undefined, ignored: [], row };
    if (row === undefined) return entry({ code: 'MISSING_SCHEMA', message: `topic ${this.#topic}: ${problem ?? 'no row schema'}` });
    const { columns, problems } = deriveColumns(row);
    if (problems.length > 0) {
      for (const p of problems)
        this.#notice(
          'warn',
          `unsupported:${p}`,
          'a field of a type cdc-pipeline does not load; its events are dead letters (UNSUPPORTED_TYPE)',
          { field: p },
        );
      return entry({ code: 'UNSUPPORTED_TYPE', message: unsupportedTypesMessage(this.#topic, problems) });
    }
    const layout = sink.layout;
    const byName = new Map(columns.map((c) => [c.name, c]));
    for (const c of columns) {
      const at = layout.columns.find((l) => l.name === c.name);
      if (!at) continue;
      const problem = incompatibility(this.#decl.overrides.find((o) => o.name === c.name)?.type ?? c.type, at.type.sql);
      if (problem) {
        const message = `${this.#route.tableName}.${c.name}: the event's schema says ${c.schemaType} (${c.type.sql}); the column ${problem}`;
        this.#notice(
          'warn',
          `change:${c.name}:${c.schemaType}`,
          'a field changed type incompatibly; its events are dead letters (SCHEMA_CHANGE)',
          {
            column: c.name,
            stored: at.type.sql,
            new: c.type.sql,
          },
        );
        return entry({ code: 'SCHEMA_CHANGE', message });
      }
    }
    const ignored = columns.filter((c) => !layout.columns.some((l) => l.name === c.name)).map((c) => c.name);
    for (const f of ignored)
      this.#notice('warn', `ignored:${f}`, 'a field no column takes is ignored (evolve: none); see the ignored-fields metric', {
        field: f,
      });
    const absent = new Set<number>();
    layout.columns.forEach((l, i) => {
      if (l.declaration !== undefined && !byName.has(l.name)) absent.add(i);
    });
    // Avro's decoded values carry decimals as text already: their schema view says so (fieldSchemasOf).
    const schemas: Map<string, FieldSchema> | undefined = this.#avro === undefined ? structSchemas(row) : fieldSchemasOf(row);
    return {
      boundTo: sink,
      decode: compileDebeziumDecoder(sink.declaration, layout, { before: schemas, after: schemas, absent }, undefined, this.#avro),
      rejection: undefined,
      ignored,
      row,
    };
  }
}

/** Every topic sink of this worker's mapping, one instance per topic, made on a topic's first batch. */
export class TopicSinks {
  readonly #config: WorkerConfig;
  readonly #pool: pg.Pool;
  readonly #router: SinkRouter;
  readonly #decls: Map<string, TopicSinkDeclaration>;
  readonly #instances = new Map<string, TopicSink>();
  #ids = 0;

  readonly #avro: AvroDecoders | undefined;

  constructor(config: WorkerConfig, pool: pg.Pool, avro?: AvroDecoders) {
    this.#config = config;
    this.#pool = pool;
    this.#avro = avro;
    this.#router = new SinkRouter(config.mapping, { whole: new Map(), topicSinks: undefined });
    this.#decls = new Map(config.mapping.topicSinks.map((t) => [t.name, t]));
  }

  has(sink: string): boolean {
    return this.#decls.has(sink);
  }

  async prepare(sink: string, topic: string, messages: readonly PackedMessage[]): Promise<PreparedTopicSink> {
    let instance = this.#instances.get(topic);
    if (!instance) {
      const decl = this.#decls.get(sink) as TopicSinkDeclaration;
      const route = this.#router.route(topic);
      instance = new TopicSink(decl, route, topic, this.#config, this.#pool, () => `t${++this.#ids}`, this.#avro);
      this.#instances.set(topic, instance);
    }
    return instance.prepare(messages);
  }
}
