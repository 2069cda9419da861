/**
 * The mapping file: which topic goes to which table, with which key, columns and delete rule. It is read
 * and validated once on the main thread (a JSON Schema checked by ajv, then the cross-references ajv
 * cannot express); the result is a plain, fully resolved declaration that crosses to the worker threads
 * in their start-up data, where lib/sinks/sink.ts (compileMapping) turns it into the code that runs per event.
 *
 * Every error names the file, the path of the bad key (`sinks[1].columns.balance`) and what is accepted.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { CdcError, InvalidOptionError } from '../errors.js';
import { type ColumnType, DebeziumOnlyKinds, parseColumnType } from './column-types.js';
import { identifierProblem } from './topic-sinks.js';
import { DeadLetterCodes } from './types.js';

export const Formats = ['seed', 'debezium'] as const;
export type Format = (typeof Formats)[number];

/**
 * How a sink's message values are written: JSON text, or Avro in the Confluent wire format (magic byte
 * 0, a 4-byte schema id, the Avro body), as Kafka Connect's JsonConverter and AvroConverter write them.
 */
export const MessageEncodings = ['json', 'avro'] as const;
export type MessageEncoding = (typeof MessageEncodings)[number];

/** The seed format's operations (its `event_type`). */
export const SeedOps = ['create', 'update', 'delete'] as const;
export type SeedOp = (typeof SeedOps)[number];

/** How a column's values are encoded on the wire when Debezium's default for its type does not apply. */
export const Encodings = ['days', 'iso', 'millis', 'micros', 'nanos', 'bytes', 'string', 'double', 'base64', 'hex'] as const;
export type Encoding = (typeof Encodings)[number];

export interface Relation {
  /** The parent sink's table, qualified as the parent declares it. */
  parentTable: string;
  parentSchema: string | undefined;
  /** The parent's key column this column holds. */
  parentColumn: string;
  /** A parent's soft delete marks its children deleted, and a child written under a deleted parent is deleted. */
  cascadeDelete: boolean;
  /** create-table adds a FOREIGN KEY constraint. */
  foreignKey: boolean;
  /**
   * Dead-letter code for a child whose parent never arrived within the orphan wait: the mapping's own
   * (`orphan-code`), else DEFAULT_ORPHAN_CODE. Not one of the engine's DeadLetterCodes, which say
   * what the engine found wrong with an event.
   */
  orphanCode: string;
}

export interface ColumnDeclaration {
  name: string;
  type: ColumnType;
  /** The event's field that feeds the column (default: the column's name). */
  field: string;
  /** Seed format: the operations whose events carry this field (required on them, ignored on others). */
  ops: readonly SeedOp[];
  /** Seed format: on CREATE, the column takes this other column's value (modified_at <- created_at). */
  onCreate: string | undefined;
  /** create-table: NOT NULL. */
  nullable: boolean;
  /** create-table: the column default, as SQL built from a validated literal. */
  defaultSql: string | undefined;
  /** Debezium: the wire encoding, when it is not Debezium's default for the type. */
  encoding: Encoding | undefined;
  /** Integer and numeric columns: the smallest and largest value accepted (dead letter outside). */
  min: number | undefined;
  max: number | undefined;
  /** Text columns: fewest characters (an empty string below it is MISSING_FIELD). */
  minLength: number;
  references: Relation | undefined;
}

export interface SinkDeclaration {
  /** What `--topics` selects it by; default: the topic. */
  name: string;
  topic: string;
  /** Schema of the table; undefined: the consumer's --db-schema. */
  schema: string | undefined;
  table: string;
  format: Format;
  key: readonly string[];
  createTable: boolean;
  /** Declared columns, in file order; the soft-delete column is among them only when declared. */
  columns: readonly ColumnDeclaration[];
  delete: { soft: string; declared: boolean } | 'hard';
  /** Debezium `t` events truncate the table (else they are skipped and counted). */
  truncate: boolean;
  /** Debezium: the value a column carries when the source did not send it (TOAST); the row keeps its value. */
  unavailableValue: string;
  /** Debezium: change events, flattened records, or either (told per message). */
  envelope: Envelope;
  /**
   * Debezium: JSON, or Avro in the Confluent wire format (values; a key is read as Avro when it starts
   * with the magic byte 0, as JSON otherwise: a JSON key never starts with a zero byte).
   */
  encoding: MessageEncoding;
}

/** What a Debezium sink's values are: change events, flattened rows (ExtractNewRecordState), or either, told per message. */
export const Envelopes = ['auto', 'change-event', 'flattened'] as const;
export type Envelope = (typeof Envelopes)[number];

/** What a later event's schema may change in a table: nothing, or add its new fields as nullable columns. */
export const Evolutions = ['none', 'add-columns'] as const;
export type Evolution = (typeof Evolutions)[number];

/**
 * A sink whose topics, table or columns are known only at run time (lib/sinks/topic-sinks.ts): a
 * `topic-pattern` matching any number of topics, each its own table from the `table` template; or a
 * topic whose key and columns come from its events' schemas.
 */
export interface TopicSinkDeclaration {
  name: string;
  /** Where the file declares it (`sinks[2]`), for messages. */
  at: string;
  /** A literal topic, or undefined with a pattern. */
  topic: string | undefined;
  /** The regular expression a whole topic name matches (JavaScript syntax, anchored at both ends). */
  topicPattern: string | undefined;
  /** Templates: `${1}`..`${9}` the pattern's groups, `${topic}` the topic. */
  schemaTemplate: string | undefined;
  tableTemplate: string;
  format: Format;
  /** Declared key, or undefined: the message key's fields, in the key schema's order. */
  key: readonly string[] | undefined;
  createTable: boolean;
  /** The exact columns when declared without `columns-from: schema`; undefined: from the events' schemas. */
  columns: readonly ColumnDeclaration[] | undefined;
  /** With `columns-from: schema`: declared attributes that override the derived column of that name. */
  overrides: readonly ColumnDeclaration[];
  evolve: Evolution;
  delete: SinkDeclaration['delete'];
  truncate: boolean;
  unavailableValue: string;
  envelope: Envelope;
  encoding: MessageEncoding;
}

export interface Mapping {
  /** Where it came from, for messages: a path, or `the shipped seed mapping`. */
  source: string;
  /** Sinks declared whole: one topic, its table, key and columns. */
  sinks: readonly SinkDeclaration[];
  /** Sinks resolved per topic at run time. */
  topicSinks: readonly TopicSinkDeclaration[];
}

const DEBEZIUM_ONLY_KINDS: ReadonlySet<string> = new Set(DebeziumOnlyKinds);

/** The dead-letter code of an orphan when its reference declares no `orphan-code`. */
export const DEFAULT_ORPHAN_CODE = 'MISSING_PARENT';

/**
 * The form of a declared `orphan-code`: the form of the engine's own codes, so that
 * cdc_dead_letters.error_code reads alike whoever chose it.
 */
export const ORPHAN_CODE_PATTERN = '^[A-Z][A-Z0-9_]*$';

/** Debezium's `unavailable.value.placeholder` default. */
export const DEBEZIUM_UNAVAILABLE_VALUE = '__debezium_unavailable_value';

const identifier = { type: 'string', minLength: 1, maxLength: 63 } as const;

const columnObject = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string' },
    field: { type: 'string', minLength: 1 },
    ops: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: SeedOps } },
    'on-create': identifier,
    nullable: { type: 'boolean' },
    default: { type: ['string', 'number', 'boolean'] },
    encoding: { enum: Encodings },
    min: { type: 'number' },
    max: { type: 'number' },
    'min-length': { type: 'integer', minimum: 0 },
    references: {
      anyOf: [
        identifier,
        {
          type: 'object',
          additionalProperties: false,
          required: ['table'],
          properties: {
            table: { type: 'string', minLength: 1 },
            column: identifier,
            'cascade-delete': { type: 'boolean' },
            'foreign-key': { type: 'boolean' },
            'orphan-code': {
              type: 'string',
              maxLength: 63,
              pattern: ORPHAN_CODE_PATTERN,
              description: 'upper-case letters, digits and underscores, starting with a letter, at most 63 characters',
            },
          },
        },
      ],
    },
  },
} as const;

/** The file's JSON Schema. Names follow Debezium's and Confluent's sinks where they mean the same. */
export const mappingSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sinks'],
  properties: {
    sinks: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['table'],
        properties: {
          name: { type: 'string', minLength: 1 },
          topic: { type: 'string', minLength: 1, maxLength: 249, pattern: '^[A-Za-z0-9._-]+$' },
          'topic-pattern': { type: 'string', minLength: 1 },
          table: { type: 'string', minLength: 1 },
          schema: { type: 'string', minLength: 1 },
          format: { enum: Formats },
          key: { type: 'array', minItems: 1, uniqueItems: true, items: identifier },
          'create-table': { type: 'boolean' },
          columns: {
            type: 'object',
            minProperties: 1,
            propertyNames: identifier,
            additionalProperties: { anyOf: [{ type: 'string' }, columnObject] },
          },
          'columns-from': { enum: ['schema'] },
          evolve: { enum: Evolutions },
          delete: {
            anyOf: [
              { const: 'hard' },
              { type: 'object', additionalProperties: false, required: ['soft'], properties: { soft: identifier } },
            ],
          },
          truncate: { type: 'boolean' },
          'unavailable-value': { type: 'string', minLength: 1 },
          envelope: { enum: Envelopes },
          encoding: { enum: MessageEncodings },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const validateShape = ajv.compile(mappingSchema);

/** A key as it follows a path: `.balance`, or `["my col"]` when it is not a plain name. */
function member(key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** `/sinks/1/columns/balance` -> `sinks[1].columns.balance`. */
function dotted(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : member(part);
  }
  return out === '' ? '(top level)' : out;
}

function describeAjvError(e: ErrorObject): string {
  // A refused column name: ajv reports it at the columns object, the user looks for the column.
  if (e.propertyName !== undefined) return `${dotted(e.instancePath)}${member(e.propertyName)}: the name ${e.message ?? 'is invalid'}`;
  const at = dotted(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `${at}: unknown key ${JSON.stringify(key)}${known.length > 0 ? ` (accepted: ${known.join(', ')})` : ''}`;
    }
    case 'required':
      return `${at}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${at}: must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    case 'pattern':
    case 'maxLength': {
      // A declared form says what is accepted better than the regular expression does.
      const form = (e.parentSchema as { description?: string } | undefined)?.description;
      if (form !== undefined) return `${at}: ${JSON.stringify(e.data)} is not accepted (${form})`;
      return `${at}: ${e.message ?? 'invalid'}`;
    }
    default:
      return `${at}: ${e.message ?? 'invalid'}`;
  }
}

/**
 * The most useful ajv errors: for an `anyOf` (a column given as a type string or an object) ajv reports
 * every branch's failure; the errors deeper in the tree say more than the anyOf summary. Only errors
 * inside an anyOf's branches are weighed so: any other is a problem of its own (a sink missing its
 * topic stays reported when one of its columns is also wrong).
 */
function pickErrors(errors: ErrorObject[]): string[] {
  const inBranch = (e: ErrorObject) => e.schemaPath.includes('/anyOf/');
  const deepest = errors.filter(
    (e) =>
      e.keyword !== 'anyOf' &&
      e.keyword !== 'propertyNames' &&
      (!inBranch(e) || !errors.some((o) => o !== e && o.keyword !== 'anyOf' && o.instancePath.startsWith(`${e.instancePath}/`))),
  );
  const chosen = deepest.length > 0 ? deepest : errors;
  // A losing branch that only says the value is of another type or constant (a column object where a
  // string was also allowed) is noise when the same path has a more specific complaint.
  const mismatch = (e: ErrorObject) => inBranch(e) && (e.keyword === 'type' || e.keyword === 'const');
  const specific = chosen.filter((e) => !(mismatch(e) && chosen.some((o) => o !== e && o.instancePath === e.instancePath && !mismatch(o))));
  return [...new Set(specific.map(describeAjvError))];
}

function mappingError(source: string, problems: string[]): CdcError {
  return new CdcError('ERR_CDC_MAPPING', `${source}: invalid mapping:\n  ${problems.join('\n  ')}`);
}

/** Reads, parses (YAML, which includes JSON) and validates a mapping file. */
export function loadMappingFile(path: string, source = path): Mapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CdcError('ERR_CDC_MAPPING', `${source}: cannot read the mapping file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    throw new CdcError('ERR_CDC_MAPPING', `${source}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  return resolveMapping(doc, source);
}

const SHIPPED_DIR = new URL('../../../lib/sinks/mappings/', import.meta.url);

/** A mapping shipped in lib/sinks/mappings (`seed`: the Go pipeline's tables, as its events fill them). */
export function shippedMapping(name: 'seed' | 'seed-debezium'): Mapping {
  return loadMappingFile(new URL(`${name}.yaml`, SHIPPED_DIR).pathname, `the shipped ${name} mapping (lib/sinks/mappings/${name}.yaml)`);
}

type RawColumn = string | Record<string, unknown>;
interface RawSink {
  name?: string;
  topic?: string;
  'topic-pattern'?: string;
  table: string;
  schema?: string;
  format?: Format;
  key?: string[];
  'create-table'?: boolean;
  columns?: Record<string, RawColumn>;
  'columns-from'?: 'schema';
  evolve?: Evolution;
  delete?: 'hard' | { soft: string };
  truncate?: boolean;
  'unavailable-value'?: string;
  envelope?: Envelope;
  encoding?: MessageEncoding;
}

const TIME_DEFAULTS: Record<string, readonly string[]> = {
  timestamptz: ['CURRENT_TIMESTAMP', 'now()'],
  timestamp: ['LOCALTIMESTAMP', 'now()'],
  date: ['CURRENT_DATE'],
  time: ['LOCALTIME'],
};

const CLOCK_WORDS = new Set(Object.values(TIME_DEFAULTS).flatMap((words) => words.map((w) => w.toLowerCase())));
/** Inputs Postgres reads as a time when it parses the CREATE TABLE: every row would get that moment. */
const FROZEN_TIME_WORDS = ['now', 'today', 'tomorrow', 'yesterday'];

/** A column default as SQL: a literal of the column's type, or one of a few fixed clock expressions. */
function defaultSql(type: ColumnType, value: unknown): string | string[] {
  if (typeof value === 'boolean') return type.kind === 'boolean' ? String(value) : [`a boolean is a default only for boolean columns`];
  if (typeof value === 'number') {
    const numeric = ['smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision'].includes(type.kind);
    return numeric && Number.isFinite(value) ? String(value) : [`a number is a default only for numeric columns`];
  }
  const text = String(value);
  const word = text.trim().toLowerCase();
  const clocks = TIME_DEFAULTS[type.kind];
  const clock = clocks?.find((k) => k.toLowerCase() === word);
  if (clock) return clock;
  // Quoted, a clock word is no literal of any type: CREATE TABLE would fail on it.
  if (CLOCK_WORDS.has(word))
    return [
      clocks
        ? `${JSON.stringify(text)} is not a ${type.sql} clock (accepted: ${clocks.join(', ')})`
        : `${JSON.stringify(text)} is a default only for date and time columns`,
    ];
  if (clocks && FROZEN_TIME_WORDS.includes(word))
    return [`${JSON.stringify(text)} would be the time the table was created, for every row; use ${clocks.join(' or ')}`];
  // Any other string is a quoted literal Postgres parses as the column's type: never pasted as SQL.
  return `'${text.replaceAll("'", "''")}'::${type.sql}`;
}

/** Validates a parsed document and resolves it into declarations; throws naming every problem found. */
export function resolveMapping(doc: unknown, source: string): Mapping {
  if (!validateShape(doc)) throw mappingError(source, [...topicless(doc), ...pickErrors(validateShape.errors ?? [])]);
  const raw = (doc as { sinks: RawSink[] }).sinks;
  const problems: string[] = [];
  const sinks: SinkDeclaration[] = [];
  const topicSinks: TopicSinkDeclaration[] = [];
  const atOf = new Map<SinkDeclaration, string>();
  raw.forEach((s, i) => {
    const at = `sinks[${i}]`;
    if (isWhole(s)) {
      const sink = resolveSink(s as WholeSink, at, problems);
      sinks.push(sink);
      atOf.set(sink, at);
    } else {
      const t = resolveTopicSink(s, at, problems);
      if (t) topicSinks.push(t);
    }
  });
  checkAcrossSinks(sinks, problems, (s) => atOf.get(s) as string);
  checkTopicSinks(sinks, topicSinks, problems, (s) => atOf.get(s) as string);
  if (problems.length > 0) throw mappingError(source, problems);
  return { source, sinks, topicSinks };
}

const NO_TOPIC = 'missing required key "topic" (or "topic-pattern")';

/** Sinks with neither topic nor topic-pattern: said even when ajv found other problems inside them. */
function topicless(doc: unknown): string[] {
  const sinks = (doc as { sinks?: unknown } | null)?.sinks;
  if (!Array.isArray(sinks)) return [];
  return sinks.flatMap((s, i) =>
    s !== null && typeof s === 'object' && !('topic' in s) && !('topic-pattern' in s) ? [`sinks[${i}]: ${NO_TOPIC}`] : [],
  );
}

type WholeSink = RawSink & { topic: string; key: string[]; columns: Record<string, RawColumn> };

/** Declared whole (one topic, a literal table, its key and every column): compiled once at start-up. */
function isWhole(s: RawSink): boolean {
  return (
    s.topic !== undefined &&
    s['topic-pattern'] === undefined &&
    s.key !== undefined &&
    s.columns !== undefined &&
    s['columns-from'] === undefined &&
    s.evolve === undefined &&
    !s.table.includes('${') &&
    !(s.schema ?? '').includes('${')
  );
}

/** `${1}`..`${9}` and `${topic}`: what a table template may hold. */
const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Capture groups of a pattern that compiles; a message otherwise. */
function patternGroups(pattern: string): number | string {
  try {
    return (new RegExp(`${pattern}|`).exec('') as RegExpExecArray).length - 1;
  } catch (err) {
    return (err as Error).message;
  }
}

function checkTemplate(template: string, groups: number, path: string, problems: string[]): boolean {
  let placeholders = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    placeholders++;
    const name = m[1] as string;
    if (name === 'topic') continue;
    if (!/^[1-9]$/.test(name)) problems.push(`${path}: \${${name}} is not a placeholder (accepted: \${1}..\${9}, \${topic})`);
    else if (Number(name) > groups) problems.push(`${path}: \${${name}}: topic-pattern has ${groups} group${groups === 1 ? '' : 's'}`);
  }
  return placeholders > 0;
}

function resolveTopicSink(s: RawSink, at: string, problems: string[]): TopicSinkDeclaration | undefined {
  const format = s.format ?? 'seed';
  const pattern = s['topic-pattern'];
  if (s.topic === undefined && pattern === undefined) {
    problems.push(`${at}: ${NO_TOPIC}`);
    return undefined;
  }
  if (s.topic !== undefined && pattern !== undefined) {
    problems.push(`${at}: give topic or topic-pattern, not both`);
    return undefined;
  }
  let groups = 0;
  if (pattern !== undefined) {
    const g = patternGroups(pattern);
    if (typeof g === 'string') problems.push(`${at}.topic-pattern: not a regular expression: ${g}`);
    else groups = g;
  }
  const { schema, table } = splitTable(s);
  const tableVaries = checkTemplate(table, groups, `${at}.table`, problems);
  const schemaVaries = schema !== undefined && checkTemplate(schema, groups, `${at}.schema`, problems);
  if (pattern !== undefined && !tableVaries && !schemaVaries)
    problems.push(`${at}.table: every topic the pattern matches would load "${s.table}"; name it from the topic (\${1}, \${topic})`);
  const fromSchema = s.columns === undefined || s['columns-from'] === 'schema';
  if (format !== 'debezium') {
    if (s.key === undefined) problems.push(`${at}: missing required key "key" (only a debezium sink takes its key from the message key)`);
    if (fromSchema)
      problems.push(`${at}: missing required key "columns" (only a debezium sink takes its columns from the events' schemas)`);
  }
  if (s.evolve === 'add-columns' && !fromSchema)
    problems.push(`${at}.evolve: only with columns from the events' schemas (columns-from: schema)`);
  const soft = s.delete === undefined || s.delete === 'hard' ? undefined : s.delete.soft;
  const columns: ColumnDeclaration[] = [];
  for (const [name, value] of Object.entries(s.columns ?? {})) {
    const path = `${at}.columns${member(name)}`;
    const c = resolveColumn(name, value, path, format, problems);
    if (!c) continue;
    if (c.references) problems.push(`${path}.references: only for sinks declared whole (topic, key and every column)`);
    columns.push(c);
  }
  if (!fromSchema && s.key !== undefined) {
    for (const k of s.key) if (!columns.some((c) => c.name === k)) problems.push(`${at}.key: column "${k}" is not among ${at}.columns`);
  }
  if (s.truncate !== undefined && format !== 'debezium') problems.push(`${at}.truncate: only for format debezium`);
  if (s.envelope !== undefined && format !== 'debezium') problems.push(`${at}.envelope: only for format debezium`);
  encodingProblems(s, at, format, problems);
  return {
    name: s.name ?? s.topic ?? pattern ?? '',
    at,
    topic: s.topic,
    topicPattern: pattern,
    schemaTemplate: schema,
    tableTemplate: table,
    format,
    key: s.key,
    createTable: s['create-table'] ?? false,
    columns: fromSchema ? undefined : columns,
    overrides: fromSchema ? columns : [],
    evolve: s.evolve ?? 'none',
    delete: soft === undefined ? 'hard' : { soft, declared: columns.some((c) => c.name === soft) },
    truncate: s.truncate ?? false,
    unavailableValue: s['unavailable-value'] ?? DEBEZIUM_UNAVAILABLE_VALUE,
    envelope: s.envelope ?? 'auto',
    encoding: s.encoding ?? 'json',
  };
}

/** The sink-level `encoding`: Avro is read for Debezium sinks (the seed format is JSON by definition). */
function encodingProblems(s: RawSink, at: string, format: Format, problems: string[]): void {
  if (s.encoding !== undefined && s.encoding !== 'json' && format !== 'debezium')
    problems.push(`${at}.encoding: ${s.encoding} only for format debezium (the seed format is JSON)`);
}

/** Names, topics and patterns across both kinds of sink: what is known at start-up. */
function checkTopicSinks(
  sinks: readonly SinkDeclaration[],
  topicSinks: readonly TopicSinkDeclaration[],
  problems: string[],
  atOf: (s: SinkDeclaration) => string,
): void {
  const names = new Map<string, string>(sinks.map((s) => [s.name, atOf(s)]));
  const topics = new Map<string, string>(sinks.map((s) => [s.topic, atOf(s)]));
  for (const t of topicSinks) {
    const first = names.get(t.name);
    if (first !== undefined) problems.push(`${t.at}.name: ${JSON.stringify(t.name)} is also ${first}'s`);
    names.set(t.name, t.at);
    if (t.topic !== undefined) {
      const other = topics.get(t.topic);
      if (other !== undefined) problems.push(`${t.at}.topic: ${JSON.stringify(t.topic)} is also ${other}'s`);
      topics.set(t.topic, t.at);
    }
  }
  for (const t of topicSinks) {
    if (t.topicPattern === undefined) continue;
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${t.topicPattern})$`);
    } catch {
      continue;
    }
    for (const [topic, at] of topics) {
      if (re.test(topic)) problems.push(`${t.at}.topic-pattern: matches topic ${JSON.stringify(topic)}, which ${at} loads too`);
    }
  }
}

function splitTable(s: RawSink): { schema: string | undefined; table: string } {
  if (s.schema !== undefined) return { schema: s.schema, table: s.table };
  const dot = s.table.indexOf('.');
  return dot > 0 && dot < s.table.length - 1
    ? { schema: s.table.slice(0, dot), table: s.table.slice(dot + 1) }
    : { schema: undefined, table: s.table };
}

function resolveSink(s: WholeSink, at: string, problems: string[]): SinkDeclaration {
  const format = s.format ?? 'seed';
  const { schema, table } = splitTable(s);
  const soft = s.delete === undefined || s.delete === 'hard' ? undefined : s.delete.soft;
  const columns: ColumnDeclaration[] = [];
  for (const [name, value] of Object.entries(s.columns)) {
    const c = resolveColumn(name, value, `${at}.columns${member(name)}`, format, problems);
    if (c) columns.push(c);
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  // A declared column missing from byName had its type refused, which is reported already.
  const declared = (name: string) => Object.hasOwn(s.columns, name);
  for (const k of s.key) {
    const c = byName.get(k);
    if (!c) {
      if (!declared(k)) problems.push(`${at}.key: column "${k}" is not among ${at}.columns`);
    } else if (c.type.kind === 'json' || c.type.kind === 'jsonb')
      problems.push(`${at}.key: column "${k}" is ${c.type.sql}, which cannot be a key`);
  }
  for (const c of columns) {
    const path = `${at}.columns${member(c.name)}`;
    if (c.onCreate !== undefined) {
      const from = byName.get(c.onCreate);
      if (format !== 'seed') problems.push(`${path}.on-create: only for format seed`);
      else if (!from) {
        if (!declared(c.onCreate)) problems.push(`${path}.on-create: column "${c.onCreate}" is not among ${at}.columns`);
      }
      // The copied value was validated for its own column only: a narrower one would refuse it in Postgres.
      else if (from.type.sql !== c.type.sql)
        problems.push(`${path}.on-create: column "${c.onCreate}" is ${from.type.sql}, not ${c.type.sql}`);
      else if (c.ops.includes('create')) problems.push(`${path}.on-create: the column is already carried by create events (ops)`);
    }
    if (s.key.includes(c.name) && c.ops.length !== SeedOps.length) problems.push(`${path}.ops: a key column is carried by every event`);
  }
  if (soft !== undefined) {
    const softColumn = byName.get(soft);
    // A key column is the whole mistake: its type and "remove it from columns" would mislead.
    if (s.key.includes(soft)) problems.push(`${at}.delete.soft: "${soft}" is a key column`);
    else {
      if (softColumn && softColumn.type.kind !== 'boolean')
        problems.push(`${at}.delete.soft: column "${soft}" is ${softColumn.type.sql}, must be boolean`);
      if (softColumn && format === 'seed')
        problems.push(`${at}.delete.soft: column "${soft}" is set by the engine for format seed; remove it from ${at}.columns`);
    }
  }
  if (s.truncate !== undefined && format !== 'debezium') problems.push(`${at}.truncate: only for format debezium`);
  if (s['unavailable-value'] !== undefined && format !== 'debezium') problems.push(`${at}.unavailable-value: only for format debezium`);
  if (s.envelope !== undefined && format !== 'debezium') problems.push(`${at}.envelope: only for format debezium`);
  encodingProblems(s, at, format, problems);
  const schemaProblem = schema === undefined ? undefined : identifierProblem(schema);
  if (schemaProblem) problems.push(`${at}.schema: ${JSON.stringify(schema)} ${schemaProblem}`);
  return {
    name: s.name ?? s.topic,
    topic: s.topic,
    schema,
    table,
    format,
    key: s.key,
    createTable: s['create-table'] ?? false,
    columns,
    delete: soft === undefined ? 'hard' : { soft, declared: byName.has(soft) },
    truncate: s.truncate ?? false,
    unavailableValue: s['unavailable-value'] ?? DEBEZIUM_UNAVAILABLE_VALUE,
    envelope: s.envelope ?? 'auto',
    encoding: s.encoding ?? 'json',
  };
}

function resolveColumn(name: string, value: RawColumn, at: string, format: Format, problems: string[]): ColumnDeclaration | undefined {
  const o: Record<string, unknown> = typeof value === 'string' ? { type: value } : value;
  const type = parseColumnType(String(o.type));
  if (typeof type === 'string') {
    problems.push(`${typeof value === 'string' ? at : `${at}.type`}: ${type}`);
    return undefined;
  }
  const numeric = ['smallint', 'integer', 'bigint', 'numeric'].includes(type.kind);
  for (const bound of ['min', 'max'] as const)
    if (o[bound] !== undefined && !numeric) problems.push(`${at}.${bound}: only for integer and numeric columns`);
  if (numeric && typeof o.min === 'number' && typeof o.max === 'number' && o.min > o.max)
    problems.push(`${at}.min: ${o.min} is greater than max (${o.max}): no value would load`);
  if (o['min-length'] !== undefined && type.kind !== 'text' && type.kind !== 'varchar')
    problems.push(`${at}.min-length: only for text and varchar columns`);
  if (o.ops !== undefined && format !== 'seed') problems.push(`${at}.ops: only for format seed (a Debezium event carries the whole row)`);
  if (o.encoding !== undefined && format !== 'debezium') problems.push(`${at}.encoding: only for format debezium`);
  if (DEBEZIUM_ONLY_KINDS.has(type.kind) && format !== 'debezium')
    problems.push(`${typeof value === 'string' ? at : `${at}.type`}: ${type.kind} only for format debezium`);
  let defaultValue: string | undefined;
  if (o.default !== undefined) {
    const d = defaultSql(type, o.default);
    if (Array.isArray(d)) problems.push(`${at}.default: ${d[0]}`);
    else defaultValue = d;
  }
  let references: Relation | undefined;
  if (o.references !== undefined) {
    const r = typeof o.references === 'string' ? { table: o.references } : (o.references as Record<string, unknown>);
    const parent = splitTable({ table: String(r.table) } as RawSink);
    references = {
      parentTable: parent.table,
      parentSchema: parent.schema,
      parentColumn: (r.column as string | undefined) ?? '',
      cascadeDelete: (r['cascade-delete'] as boolean | undefined) ?? false,
      foreignKey: (r['foreign-key'] as boolean | undefined) ?? true,
      orphanCode: (r['orphan-code'] as string | undefined) ?? DEFAULT_ORPHAN_CODE,
    };
    // An engine code means something else in cdc_dead_letters (INVALID_JSON, say): an orphan under
    // it would be counted and searched for as that.
    const code = references.orphanCode;
    if (code !== DEFAULT_ORPHAN_CODE && (DeadLetterCodes as readonly string[]).includes(code))
      problems.push(`${at}.references.orphan-code: "${code}" is one of the engine's own dead-letter codes; choose another name`);
  }
  return {
    name,
    type,
    field: (o.field as string | undefined) ?? name,
    ops: (o.ops as SeedOp[] | undefined) ?? SeedOps,
    onCreate: o['on-create'] as string | undefined,
    nullable: (o.nullable as boolean | undefined) ?? true,
    defaultSql: defaultValue,
    encoding: o.encoding as Encoding | undefined,
    min: o.min as number | undefined,
    max: o.max as number | undefined,
    minLength: (o['min-length'] as number | undefined) ?? 0,
    references,
  };
}

function checkAcrossSinks(sinks: SinkDeclaration[], problems: string[], atOf: (s: SinkDeclaration) => string): void {
  const seen = new Map<string, number>();
  sinks.forEach((s, i) => {
    for (const [what, value] of [
      ['name', s.name],
      ['topic', s.topic],
      ['table', `${s.schema ?? ''}.${s.table}`],
    ] as const) {
      const k = `${what}:${value}`;
      const first = seen.get(k);
      // Two sinks named by default after one topic: the topic's complaint says it.
      const defaultNames = what === 'name' && first !== undefined && s.name === s.topic && sinks[first]?.name === sinks[first]?.topic;
      if (first === undefined) seen.set(k, i);
      else if (!defaultNames)
        problems.push(
          `${atOf(s)}.${what}: ${JSON.stringify(what === 'table' ? s.table : value)} is also ${atOf(sinks[first] as SinkDeclaration)}'s`,
        );
    }
  });
  sinks.forEach((s) => {
    for (const c of s.columns) {
      const r = c.references;
      if (!r) continue;
      const at = `${atOf(s)}.columns${member(c.name)}.references`;
      const parent = sinks.find((p) => p.table === r.parentTable && (r.parentSchema === undefined || p.schema === r.parentSchema));
      if (!parent) {
        problems.push(
          `${at}: no sink in this file loads table "${r.parentSchema === undefined ? '' : `${r.parentSchema}.`}${r.parentTable}"`,
        );
        continue;
      }
      if (parent === s) {
        problems.push(`${at}: a table cannot be its own parent`);
        continue;
      }
      r.parentSchema = parent.schema;
      if (r.parentColumn === '') {
        if (parent.key.length !== 1)
          problems.push(`${at}.column: the parent's key has ${parent.key.length} columns; name the one this column holds`);
        else r.parentColumn = parent.key[0] as string;
      }
      const pc = parent.columns.find((x) => x.name === r.parentColumn);
      // A parent key column that did not resolve is reported at the parent already.
      if (r.parentColumn !== '' && !pc && !parent.key.includes(r.parentColumn))
        problems.push(`${at}.column: "${r.parentColumn}" is not a column of ${parent.table}`);
      else if (pc && !parent.key.includes(pc.name)) problems.push(`${at}.column: "${r.parentColumn}" is not in ${parent.table}'s key`);
      else if (pc && pc.type.kind !== c.type.kind)
        problems.push(`${at}: ${c.type.sql} cannot reference ${parent.table}.${pc.name} (${pc.type.sql})`);
      if (r.cascadeDelete && (s.delete === 'hard' || parent.delete === 'hard')) {
        problems.push(`${at}.cascade-delete: needs a soft delete on both ${parent.table} and ${s.table}`);
      }
    }
  });
}

/** The mapping a consumer runs: the file given with --sinks, else the shipped seed mapping. */
export function loadMapping(path: string | undefined): Mapping {
  return path === undefined ? shippedMapping('seed') : loadMappingFile(path);
}

/** What `--topics` selects: topic -> name of the sinks declared whole, and the topic sinks by name (undefined: all). */
export interface SinkSelection {
  whole: Map<string, string>;
  topicSinks: Set<string> | undefined;
}

/**
 * `--topics`: which sinks run, by name, optionally reading another topic (`name=topic`, for a sink
 * declared whole). Undefined runs every sink.
 */
/** sink name -> its parents' tables ("users", "users and accounts"), for the orphan log line. */
export function parentTables(mapping: Mapping): Map<string, string> {
  return new Map(
    mapping.sinks.map((s) => [
      s.name,
      [...new Set(s.columns.flatMap((c) => (c.references ? [c.references.parentTable] : [])))].join(' and '),
    ]),
  );
}

export function selectSinks(mapping: Mapping, topics: readonly string[] | undefined): SinkSelection {
  const names = [...mapping.sinks, ...mapping.topicSinks].map((s) => s.name);
  const selected: SinkSelection = { whole: new Map(), topicSinks: undefined };
  if (topics === undefined) {
    for (const s of mapping.sinks) selected.whole.set(s.topic, s.name);
    return selected;
  }
  selected.topicSinks = new Set();
  for (const entry of topics) {
    const at = entry.indexOf('=');
    const name = at > 0 ? entry.slice(0, at) : entry;
    const topicSink = mapping.topicSinks.find((s) => s.name === name);
    if (topicSink) {
      if (at > 0)
        throw new InvalidOptionError(
          '--topics',
          `invalid --topics entry "${entry}": sink "${name}" names its topics itself (${topicSink.topic ?? `/${topicSink.topicPattern}/`}); give its name alone`,
        );
      selected.topicSinks.add(name);
      continue;
    }
    const sink = mapping.sinks.find((s) => s.name === name);
    const topic = at > 0 ? entry.slice(at + 1) : (sink?.topic ?? '');
    if (!sink || topic === '' || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
      throw new InvalidOptionError(
        '--topics',
        `invalid --topics entry "${entry}": expected a sink of ${mapping.source} (${names.join(', ')}) or sink=topic`,
      );
    }
    if (selected.whole.has(topic)) throw new InvalidOptionError('--topics', `invalid --topics: topic "${topic}" is given twice`);
    selected.whole.set(topic, sink.name);
  }
  return selected;
}

/**
 * A selected sink that reads Avro needs the registry its writer schemas are in: said at start-up, naming
 * the sink and the option, rather than as a dead letter per message.
 */
export function requireSchemaRegistry(mapping: Mapping, selection: SinkSelection, registryUrl: string | undefined): SinkSelection {
  if (registryUrl !== undefined) return selection;
  const whole = new Set(selection.whole.values());
  // Topic sinks all run unless --topics names some (selection.topicSinks).
  const avro =
    mapping.sinks.find((s) => s.encoding === 'avro' && whole.has(s.name)) ??
    mapping.topicSinks.find((s) => s.encoding === 'avro' && (selection.topicSinks?.has(s.name) ?? true));
  if (avro === undefined) return selection;
  throw new InvalidOptionError(
    '--schema-registry',
    `sink "${avro.name}" of ${mapping.source} has encoding: avro, whose schemas are read from a schema registry: give --schema-registry URL (env CDC_SCHEMA_REGISTRY_URL)`,
  );
}
