/**
 * A compiled sink: one mapping-file declaration turned, once per worker thread, into the functions and
 * SQL the batch transaction runs (decode, fold, COPY encoding, set-based apply). Nothing here is
 * interpreted per event: the declaration is walked at compile time only.
 */
import { AvroDecoders } from '../avro/decoder.js';
import { CdcError } from '../errors.js';
import { qualified, quoteIdent } from '../postgres/identifiers.js';
import { binaryRowEncoder, encodeBinaryStage } from './copy-binary.js';
import { stageRowEncoder } from './copy-text.js';
import type { StagedRow } from './fold.js';
import { compileDebeziumDecoder, type FieldObserver } from './formats/debezium.js';
import { compileSeedDecoder } from './formats/seed.js';
import { type Layout, layoutOf } from './layout.js';
import type { Mapping, SinkDeclaration } from './mapping.js';
import { type ChildLink, type ParentLink, type SinkSql, sinkSql } from './sql.js';
import type { Notice } from '../worker-protocol.js';
import type { DecodeResult, RowEvent } from './types.js';

export interface ParentRelation {
  /** The parent's table as the mapping names it, for messages. */
  parentName: string;
  childColumns: readonly string[];
  parentColumns: readonly string[];
  /** Indexes of childColumns in the child's layout. */
  childIndexes: readonly number[];
  /** The mapping's dead-letter code for these orphans (lib/sinks/mapping.ts Relation). */
  orphanCode: string;
  orphans: string;
}

export interface Sink {
  readonly name: string;
  readonly topic: string;
  /** The table as the mapping names it (`customers`, `inventory.customers`), for messages and metrics. */
  readonly tableName: string;
  /** Quoted and schema-qualified. */
  readonly table: string;
  readonly declaration: SinkDeclaration;
  readonly layout: Layout;
  decode(key: Uint8Array | null, value: Uint8Array | null): DecodeResult<RowEvent>;
  /**
   * The Avro readers `decode` takes values (and wire-format keys) to, for a sink with encoding: avro:
   * a batch's schema ids must be prepared in them before it is decoded (lib/apply/batch.ts).
   */
  readonly avro: AvroDecoders | undefined;
  /** One COPY text line (ending in `\n`) of the staging table; `index` becomes its cdc_row. */
  encodeRow(row: StagedRow, index: number): string;
  /** A batch's staged rows (cdc_row = index) as one COPY: binary, or text when a value needs Postgres' parser. */
  encodeStage(rows: readonly StagedRow[]): StageCopy;
  readonly sql: SinkSql;
  readonly parents: readonly ParentRelation[];
  /** Prepared-statement names start with it: short (Postgres truncates names at 63 bytes) and unique. */
  readonly statementPrefix: string;
  /** What decoding saw since the last call: fields no column takes, first met and per event. */
  drainObservations(): Observations;
}

export interface Observations {
  notices: Notice[];
  ignoredFields: Record<string, number>;
}

/**
 * Collects the fields of event schemas that no declared column takes: a notice the first time each is
 * met (the main thread logs it once), and a count per event (the cdc_fields_ignored_total metric).
 */
function fieldObserver(sink: SinkDeclaration): FieldObserver & { drain(): Observations } {
  let notices: Notice[] = [];
  let ignoredFields: Record<string, number> = {};
  const table = displayName(sink);
  return {
    unknownFields(fields) {
      for (const field of fields)
        notices.push({
          level: 'warn',
          key: `${sink.name}\u0000ignored:${field}`,
          message: 'a field no column takes is ignored (evolve: none); see the ignored-fields metric',
          fields: { topic: sink.topic, table, field },
        });
    },
    ignored(field) {
      ignoredFields[field] = (ignoredFields[field] ?? 0) + 1;
    },
    drain() {
      const out = { notices, ignoredFields };
      notices = [];
      ignoredFields = {};
      return out;
    },
  };
}

export interface StageCopy {
  /** The COPY statement for `data`. */
  sql: string;
  data: Buffer;
  binary: boolean;
}

/**
 * The stage encoder: COPY binary (lib/sinks/copy-binary.ts), or the whole batch as COPY text when the
 * binary encoder leaves a value to Postgres' own text input (so that value is stored or refused exactly
 * as before). The buffer is sized from the previous batch's data.
 */
function stageEncoder(layout: Layout, sql: SinkSql): (rows: readonly StagedRow[]) => StageCopy {
  const binaryRow = binaryRowEncoder(layout);
  const textRow = stageRowEncoder(layout);
  let lastBytes = 64 * 1024;
  return (rows) => {
    // An eighth more than last time: a batch a little larger than the last fits without a copy.
    const data = encodeBinaryStage(binaryRow, rows, lastBytes + (lastBytes >> 3));
    if (data !== undefined) {
      lastBytes = data.length;
      return { sql: sql.copyBinary, data, binary: true };
    }
    let text = '';
    for (let i = 0; i < rows.length; i++) text += textRow(rows[i] as StagedRow, i);
    return { sql: sql.copy, data: Buffer.from(text), binary: false };
  };
}

/** Where a sink's table lives: its own schema, else the consumer's --db-schema. */
export function tableSchema(sink: SinkDeclaration, dbSchema: string): string {
  return sink.schema ?? dbSchema;
}

function displayName(sink: SinkDeclaration): string {
  return sink.schema === undefined ? sink.table : `${sink.schema}.${sink.table}`;
}

/**
 * The worker thread's Avro readers for a sink that reads Avro; undefined for JSON. Without a registry
 * (the engine refuses a selected Avro sink then: requireSchemaRegistry), a sink the mapping declares but
 * --topics leaves out is still compiled, with readers that fail any batch it were given.
 */
export function avroOf(d: Pick<SinkDeclaration, 'name' | 'encoding'>, avro: AvroDecoders | undefined): AvroDecoders | undefined {
  if (d.encoding !== 'avro') return undefined;
  if (avro !== undefined) return avro;
  const refusal = new CdcError('ERR_CDC_SCHEMA_REGISTRY', `sink "${d.name}" reads Avro, and no schema registry was given`, {
    fatal: 'give --schema-registry URL (env CDC_SCHEMA_REGISTRY_URL)',
  });
  return new AvroDecoders({ schema: () => Promise.reject(refusal) });
}

/**
 * Compiles every sink of a mapping. Staging tables are numbered by the sink's place in the file.
 * `avro`: the worker thread's readers of the schema registry's schemas, for sinks with encoding: avro.
 */
export function compileMapping(mapping: Mapping, dbSchema: string, avro?: AvroDecoders): Sink[] {
  const decls = mapping.sinks;
  const tableOf = (d: SinkDeclaration) => qualified(tableSchema(d, dbSchema), d.table);
  const findParent = (schema: string | undefined, table: string) =>
    decls.find((p) => p.table === table && p.schema === schema) as SinkDeclaration;
  return decls.map((d, index) => {
    const layout = layoutOf(d);
    // A child's references, grouped by parent table (a composite key is referenced by several columns).
    const groups = new Map<SinkDeclaration, { child: string[]; parent: string[]; cascade: boolean; code: string }>();
    for (const c of d.columns) {
      const r = c.references;
      if (!r) continue;
      const parent = findParent(r.parentSchema, r.parentTable);
      const g = groups.get(parent) ?? { child: [], parent: [], cascade: false, code: r.orphanCode };
      g.child.push(c.name);
      g.parent.push(r.parentColumn);
      g.cascade ||= r.cascadeDelete;
      groups.set(parent, g);
    }
    const parents: ParentLink[] = [...groups].map(([p, g]) => ({
      parentTable: tableOf(p),
      childColumns: g.child,
      parentColumns: g.parent,
      parentSoft: g.cascade && p.delete !== 'hard' ? p.delete.soft : undefined,
    }));
    const children: ChildLink[] = [];
    for (const child of decls) {
      if (child === d || child.delete === 'hard') continue;
      const cols = child.columns.filter(
        (c) => c.references?.cascadeDelete && findParent(c.references.parentSchema, c.references.parentTable) === d,
      );
      if (cols.length === 0) continue;
      children.push({
        childTable: tableOf(child),
        childColumns: cols.map((c) => c.name),
        parentColumns: cols.map((c) => c.references?.parentColumn as string),
        childSoft: child.delete.soft,
      });
    }
    const stage = `pg_temp.${quoteIdent(`cdc_stage_${index}`)}`;
    const sql = sinkSql(tableOf(d), stage, layout, parents, children, d.format === 'seed');
    const observer = fieldObserver(d);
    const sinkAvro = avroOf(d, avro);
    const decode =
      d.format === 'seed'
        ? (() => {
            const seed = compileSeedDecoder(d, layout);
            return (_key: Uint8Array | null, value: Uint8Array | null) => seed(value);
          })()
        : compileDebeziumDecoder(d, layout, undefined, observer, sinkAvro);
    return {
      name: d.name,
      topic: d.topic,
      tableName: displayName(d),
      table: tableOf(d),
      declaration: d,
      layout,
      decode,
      avro: sinkAvro,
      encodeRow: stageRowEncoder(layout),
      encodeStage: stageEncoder(layout, sql),
      sql,
      statementPrefix: `cdc${index}`,
      drainObservations: () => observer.drain(),
      parents: [...groups].map(([p, g], i) => ({
        parentName: displayName(p),
        childColumns: g.child,
        parentColumns: g.parent,
        childIndexes: g.child.map((name) => layout.columns.findIndex((c) => c.name === name)),
        orphanCode: g.code,
        orphans: (sql.relations[i] as { orphans: string }).orphans,
      })),
    };
  });
}

/**
 * Compiles one sink resolved at run time (lib/apply/topic-sinks.ts): no relations, its staging table and
 * statement names from `id`, which changes whenever its columns do (a connection's prepared statements
 * and staging table of the old columns are then never reused).
 */
export function compileTopicSink(d: SinkDeclaration, dbSchema: string, id: string, avro?: AvroDecoders): Sink {
  const layout = layoutOf(d);
  const sinkAvro = avroOf(d, avro);
  const table = qualified(tableSchema(d, dbSchema), d.table);
  const stage = `pg_temp.${quoteIdent(`cdc_stage_${id}`)}`;
  const sql = sinkSql(table, stage, layout, [], [], false);
  return {
    name: `${d.name}\u0000${id}`,
    topic: d.topic,
    tableName: displayName(d),
    table,
    declaration: d,
    layout,
    decode: compileDebeziumDecoder(d, layout, undefined, undefined, sinkAvro),
    avro: sinkAvro,
    encodeRow: stageRowEncoder(layout),
    encodeStage: stageEncoder(layout, sql),
    sql,
    statementPrefix: `cdc${id}`,
    parents: [],
    // A topic sink's schemas are bound to its table by lib/apply/topic-sinks.ts, which reports on them.
    drainObservations: () => ({ notices: [], ignoredFields: {} }),
  };
}
