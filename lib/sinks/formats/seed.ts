/**
 * The seed format (the Go pipeline's events): a JSON object with `event_type` CREATE, UPDATE or DELETE,
 * the key's fields, and the fields of that operation only. Compiled once per sink into a list of field
 * readers per operation, in declared column order: the decoder checks them in that order and reports the
 * first problem, the way the Go structs' field order reads. A field another operation would carry (dob
 * on an UPDATE, say) is ignored, not validated, since it has no effect on the row.
 */
import type { ColumnType } from '../column-types.js';
import { keyOf, type Layout } from '../layout.js';
import type { SinkDeclaration } from '../mapping.js';
import { BIGINT_MAX, BIGINT_MIN, INTEGER_MAX, INTEGER_MIN, SMALLINT_MAX, SMALLINT_MIN } from '../pg-limits.js';
import type { DecodeResult, RowEvent, Value } from '../types.js';
import {
  isRejection,
  jsonText,
  missing,
  numberTextOf,
  numericValidator,
  parseJsonObject,
  preview,
  type Rejection,
  reject,
  validateDate,
  validateFloat,
  validateInteger,
  validateString,
  validateTime,
  validateTimestamp,
  validateUuid,
  wrongType,
} from '../validate.js';
import { hexFromBase64 } from './debezium-values.js';

/** The seed format's operations, as its `event_type` spells them. */
export type SeedEventType = 'CREATE' | 'UPDATE' | 'DELETE';

export function validateEventType(value: unknown): SeedEventType | Rejection {
  if (value === 'CREATE' || value === 'UPDATE' || value === 'DELETE') return value;
  if (value === undefined || value === null) return missing('event_type');
  if (typeof value !== 'string') return wrongType('event_type', 'a string', value);
  return reject('UNKNOWN_EVENT_TYPE', `event_type: ${preview(value)} is not CREATE, UPDATE or DELETE`);
}

/** Reads one field of a parsed event: the COPY-ready value, or why it is refused. */
export type FieldReader = (value: unknown, json: string) => Value | Rejection;

/** bigint as a JSON number: beyond 2^53 its digits are read from the text (bigintFromText). */
const INTEGER_RANGE: Record<string, [number, number]> = {
  smallint: [SMALLINT_MIN, SMALLINT_MAX],
  integer: [INTEGER_MIN, INTEGER_MAX],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** `YYYY-MM-DD HH:MM:SS[.f]` or with `T`, no zone: a zone would be silently dropped by a timestamp column. */
function validateLocalTimestamp(field: string, value: unknown): string | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'string') return wrongType(field, 'a timestamp string without zone', value);
  if (value.length < 19 || (value.charCodeAt(10) !== 84 && value.charCodeAt(10) !== 32)) {
    return reject(
      'INVALID_TIMESTAMP',
      `${field}: ${JSON.stringify(value.slice(0, 40))} is not a timestamp (YYYY-MM-DD HH:MM:SS[.fraction], no zone)`,
    );
  }
  const checked = validateTimestamp(field, `${value.slice(0, 10)}T${value.slice(11)}Z`);
  if (typeof checked !== 'string') {
    return reject(
      'INVALID_TIMESTAMP',
      `${field}: ${JSON.stringify(value.slice(0, 40))} is not a timestamp (YYYY-MM-DD HH:MM:SS[.fraction], no zone)`,
    );
  }
  return value;
}

/** The reader of one seed field by its column type. `null` and absent are MISSING_FIELD: seed fields are required. */
export function seedFieldReader(
  field: string,
  type: ColumnType,
  min: number | undefined,
  max: number | undefined,
  minLength: number,
): FieldReader {
  switch (type.kind) {
    case 'uuid':
      return (v) => validateUuid(field, v);
    case 'text':
    case 'varchar': {
      const most = type.length ?? Number.POSITIVE_INFINITY;
      return (v) => validateString(field, v, most, minLength);
    }
    case 'date':
      return (v) => validateDate(field, v);
    case 'timestamptz':
      return (v) => validateTimestamp(field, v);
    case 'timestamp':
      return (v) => validateLocalTimestamp(field, v);
    case 'time':
      return (v) => validateTime(field, v);
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const [lo, hi] = INTEGER_RANGE[type.kind] as [number, number];
      const least = Math.max(lo, min ?? lo);
      const most = Math.min(hi, max ?? hi);
      if (type.kind !== 'bigint') return (v) => validateInteger(field, v, least, most);
      return (v, json) => {
        if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return bigintFromText(field, json, min, max);
        return validateInteger(field, v, least, most);
      };
    }
    case 'numeric':
      return numericValidator(field, type.precision, type.scale, min, max);
    case 'real':
    case 'double precision':
      return (v) => validateFloat(field, v, type.kind === 'real');
    case 'boolean':
      return (v) => {
        if (v === undefined || v === null) return missing(field);
        return typeof v === 'boolean' ? v : wrongType(field, 'a boolean', v);
      };
    case 'json':
    case 'jsonb':
      return (v) => (v === null ? missing(field) : jsonText(field, v, type.kind as 'json' | 'jsonb'));
    case 'bytea':
      return (v) => {
        if (v === undefined || v === null) return missing(field);
        return typeof v === 'string' ? hexFromBase64(field, v) : wrongType(field, 'a base64 string', v);
      };
    case 'interval':
    case 'timetz':
    case 'xml':
    case 'char':
    case 'inet':
    case 'cidr':
    case 'macaddr':
    case 'bit':
    case 'varbit':
    case 'array':
      // The mapping refuses these in format seed: the Go events have none.
      return () => wrongType(field, 'a value of a type format seed has', type.kind);
  }
}

/** A bigint beyond 2^53 from the number's own digits (JSON.parse has rounded it). */
function bigintFromText(field: string, json: string, min: number | undefined, max: number | undefined): string | Rejection {
  const text = numberTextOf(json, field);
  if (text === undefined || !/^-?\d+$/.test(text)) return reject('WRONG_TYPE', `${field}: ${text ?? 'the number'} is not an integer`);
  const n = BigInt(text);
  const least = min === undefined ? BIGINT_MIN : BigInt(Math.ceil(min));
  const most = max === undefined ? BIGINT_MAX : BigInt(Math.floor(max));
  if (n < least || n > most || n < BIGINT_MIN || n > BIGINT_MAX) return reject('OUT_OF_RANGE', `${field}: ${text} out of range for bigint`);
  return text;
}

interface Step {
  index: number;
  field: string;
  read: FieldReader;
}

export function compileSeedDecoder(sink: SinkDeclaration, layout: Layout): (value: Uint8Array | null) => DecodeResult<RowEvent> {
  const n = layout.columns.length;
  const stepFor = (index: number): Step => {
    const c = layout.columns[index] as (typeof layout.columns)[number];
    const d = c.declaration as NonNullable<typeof c.declaration>;
    return { index, field: d.field, read: seedFieldReader(d.field, c.type, d.min, d.max, d.minLength) };
  };
  const keySteps = layout.keyIndexes.map(stepFor);
  const opSteps = (op: 'create' | 'update' | 'delete'): Step[] =>
    layout.columns.flatMap((c, i) => (c.declaration && !c.isKey && c.declaration.ops.includes(op) ? [stepFor(i)] : []));
  const create = opSteps('create');
  const update = opSteps('update');
  const del = opSteps('delete');
  // on-create copies, as [to, from] indexes.
  const copies = layout.columns.flatMap((c, i) =>
    c.declaration?.onCreate === undefined ? [] : [[i, layout.columns.findIndex((x) => x.name === c.declaration?.onCreate)] as const],
  );
  const soft = layout.softIndex;
  const hard = sink.delete === 'hard';
  const maskOf = (steps: Step[], withSoft: boolean): Uint8Array => {
    const set = new Uint8Array(n);
    for (const i of layout.keyIndexes) set[i] = 1;
    for (const s of steps) set[s.index] = 1;
    if (withSoft && soft >= 0) set[soft] = 1;
    return set;
  };
  // Masks are shared by every event of an operation: the fold copies before it writes.
  const updateMask = maskOf(update, false);
  const deleteMask = maskOf(del, true);

  return (value) => {
    const parsed = parseJsonObject(value);
    if (isRejection(parsed)) return parsed;
    const o = parsed.object;
    const op = validateEventType(o.event_type);
    if (typeof op !== 'string') return op;
    const values: Value[] = new Array(n).fill(null);
    for (const s of keySteps) {
      const v = s.read(o[s.field], parsed.json);
      if (isRejection(v)) return v;
      values[s.index] = v;
    }
    const steps = op === 'CREATE' ? create : op === 'UPDATE' ? update : del;
    for (const s of steps) {
      const v = s.read(o[s.field], parsed.json);
      if (isRejection(v)) return v;
      values[s.index] = v;
    }
    const key = keyOf(values, layout.keyIndexes);
    if (op === 'CREATE') {
      for (const [to, from] of copies) values[to] = values[from] as Value;
      if (soft >= 0) values[soft] = false;
      return { ok: true, event: { op: 'upsert', key, values, set: undefined, cascades: false } };
    }
    if (op === 'UPDATE') return { ok: true, event: { op: 'patch', key, values, set: updateMask, cascades: false } };
    if (hard) return { ok: true, event: { op: 'delete', key, values, set: undefined, cascades: false } };
    values[soft] = true;
    return { ok: true, event: { op: 'patch', key, values, set: deleteMask, cascades: true } };
  };
}
