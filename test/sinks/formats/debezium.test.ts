/**
 * The Debezium decoder as the engine builds it (mapping document -> compiled sink -> decode), fed change
 * events shaped like the PostgreSQL connector's documented examples as Kafka Connect's JsonConverter
 * writes them: the `customers` table (id, first_name, last_name, email), with the schema envelope
 * (schemas.enable=true) and as the payload alone.
 */
import { expect } from 'chai';
import { resolveMapping } from '../../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../../lib/sinks/sink.js';
import type { DeadLetterCode, DecodeResult, RowEvent } from '../../../lib/sinks/types.js';
import { decimalBase64 } from '../../support/debezium-events.js';

// ---------------------------------------------------------------------------------------------------
// Building sinks and messages

function sinkOf(declaration: Record<string, unknown>): Sink {
  const doc = { sinks: [{ topic: 'PostgreSQL_server.public.customers', table: 'customers', format: 'debezium', ...declaration }] };
  return compileMapping(resolveMapping(doc, 'test.yaml'), 'public')[0] as Sink;
}

const CUSTOMERS = {
  key: ['id'],
  columns: { id: 'integer', first_name: 'varchar(255)', last_name: 'varchar(255)', email: 'varchar(255)' },
};

/** A message's bytes: JSON text as given, or an object serialised. */
function bytes(message: unknown): Uint8Array {
  return Buffer.from(typeof message === 'string' ? message : JSON.stringify(message), 'utf8');
}

/**
 * JSON text of `message` with some values written as raw number text (digits a double cannot hold):
 * a value `raw('...')` in the object is replaced by those characters, unquoted.
 */
const RAW = '\u0001raw:';
const raw = (text: string): string => `${RAW}${text}`;
function jsonWithRaw(message: unknown): string {
  return JSON.stringify(message).replace(/"\\u0001raw:([^"]*)"/g, '$1');
}

interface ConnectField {
  field?: string;
  type: string;
  optional: boolean;
  name?: string;
  version?: number;
  parameters?: Record<string, string>;
  fields?: ConnectField[];
  default?: unknown;
}

const f = (field: string, type: string, more: Partial<ConnectField> = {}): ConnectField => ({ type, optional: false, field, ...more });

const CUSTOMER_FIELDS: ConnectField[] = [f('id', 'int32'), f('first_name', 'string'), f('last_name', 'string'), f('email', 'string')];

const SOURCE_SCHEMA: ConnectField = {
  type: 'struct',
  fields: [
    f('version', 'string'),
    f('connector', 'string'),
    f('name', 'string'),
    f('ts_ms', 'int64'),
    f('ts_us', 'int64'),
    f('ts_ns', 'int64'),
    f('snapshot', 'boolean', { optional: true, default: false }),
    f('db', 'string'),
    f('schema', 'string'),
    f('table', 'string'),
    f('txId', 'int64', { optional: true }),
    f('lsn', 'int64', { optional: true }),
    f('xmin', 'int64', { optional: true }),
  ],
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
  field: 'source',
};

/** The value schema of a table's change events: the envelope around before/after row structs. */
function envelopeSchema(table: string, row: ConnectField[]): object {
  const image = (field: 'before' | 'after'): ConnectField => ({
    type: 'struct',
    fields: row,
    optional: true,
    name: `PostgreSQL_server.inventory.${table}.Value`,
    field,
  });
  return {
    type: 'struct',
    fields: [
      image('before'),
      image('after'),
      SOURCE_SCHEMA,
      f('op', 'string'),
      f('ts_ms', 'int64', { optional: true }),
      f('ts_us', 'int64', { optional: true }),
      f('ts_ns', 'int64', { optional: true }),
    ],
    optional: false,
    name: `PostgreSQL_server.inventory.${table}.Envelope`,
  };
}

const CUSTOMERS_SCHEMA = envelopeSchema('customers', CUSTOMER_FIELDS);

function source(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '2.7.3.Final',
    connector: 'postgresql',
    name: 'PostgreSQL_server',
    ts_ms: 1559033904863,
    ts_us: 1559033904863123,
    ts_ns: raw('1559033904863123000'),
    snapshot: false,
    db: 'postgres',
    schema: 'public',
    table: 'customers',
    txId: 556,
    lsn: 24023128,
    xmin: null,
    ...over,
  };
}

const ANNE = { id: 1, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' };
const ANNE_MARIE = { ...ANNE, first_name: 'Anne Marie' };

/** The documented payloads (the examples' `ts_ns` beyond 2^53 kept as the text the connector writes). */
const createPayload = (after: unknown = ANNE) => ({
  before: null,
  after,
  source: source({ snapshot: true, sequence: '["24023119","24023128"]', txId: 555 }),
  op: 'c',
  ts_ms: 1559033904863,
  ts_us: 1559033904863841,
  ts_ns: raw('1559033904863841257'),
});
const updatePayload = (after: unknown = ANNE_MARIE, before: unknown = { id: 1 }) => ({
  before,
  after,
  source: source({ ts_us: 1559033904863769, ts_ns: raw('1559033904863769000') }),
  op: 'u',
  ts_ms: 1465584025523,
  ts_us: 1465584025523514,
  ts_ns: raw('1465584025523514964'),
});
const deletePayload = (before: unknown = { id: 1 }) => ({
  before,
  after: null,
  source: source({ ts_us: 1559033904863852, ts_ns: raw('1559033904863852000'), lsn: 46523128 }),
  op: 'd',
  ts_ms: 1465581902461,
  ts_us: 1465581902461496,
  ts_ns: raw('1465581902461496187'),
});
const truncatePayload = () => ({
  source: source({ ts_us: 1559033904863112, ts_ns: raw('1559033904863112000'), lsn: 46523128 }),
  op: 't',
  ts_ms: 1559033904961,
  ts_us: 1559033904961654,
  ts_ns: raw('1559033904961654789'),
});
const messagePayload = () => ({
  source: source({ schema: '', table: '', ts_us: 1559033904863879, ts_ns: raw('1559033904863879000'), lsn: 46523128 }),
  op: 'm',
  ts_ms: 1559033904961,
  ts_us: 1559033904961621,
  ts_ns: raw('1559033904961621379'),
  message: { prefix: 'foo', content: 'Ymfy' },
});

/** A value with the schema envelope (schemas.enable=true). */
function enveloped(payload: unknown, schema: object = CUSTOMERS_SCHEMA): Uint8Array {
  return bytes(jsonWithRaw({ schema, payload }));
}
/** A value as the payload alone (schemas.enable=false). */
function plain(payload: unknown): Uint8Array {
  return bytes(jsonWithRaw(payload));
}

/** The message key as JsonConverter writes the primary key struct, with or without its schema. */
const CUSTOMERS_KEY_SCHEMA = {
  type: 'struct',
  fields: [f('id', 'int32')],
  optional: false,
  name: 'PostgreSQL_server.public.customers.Key',
};
const plainKey = (key: Record<string, unknown>): Uint8Array => bytes(jsonWithRaw(key));
const envelopedKey = (key: Record<string, unknown>, schema: object = CUSTOMERS_KEY_SCHEMA): Uint8Array =>
  bytes(jsonWithRaw({ schema, payload: key }));

// ---------------------------------------------------------------------------------------------------
// Assertions

function expectEvent(result: DecodeResult<RowEvent>): RowEvent {
  if (!result.ok) expect.fail(`expected an event, got ${result.code}: ${result.message}`);
  return result.event;
}

function expectRejected(result: DecodeResult<RowEvent>, code: DeadLetterCode, message: string | RegExp): void {
  expect(result.ok, JSON.stringify(result)).to.equal(false);
  if (result.ok) return;
  expect(result.code, result.message).to.equal(code);
  if (typeof message === 'string') expect(result.message).to.equal(message);
  else expect(result.message).to.match(message);
}

const upsert = (key: string, values: RowEvent['values'], set?: number[], cascades = false): RowEvent => ({
  op: 'upsert',
  key,
  values,
  set: set === undefined ? undefined : Uint8Array.from(set),
  cascades,
});

const skipped = (what: NonNullable<RowEvent['skipped']>): RowEvent => ({
  op: 'skip',
  key: '',
  values: [],
  set: undefined,
  cascades: false,
  skipped: what,
});

// ---------------------------------------------------------------------------------------------------

describe('sinks/formats/debezium decoder', () => {
  const customers = sinkOf(CUSTOMERS);
  const KEY = plainKey({ id: 1 });

  describe("the connector's documented examples", () => {
    for (const [form, wrap] of [
      ['with the schema envelope', (p: unknown) => enveloped(p)],
      ['as the payload alone', plain],
    ] as const) {
      describe(form, () => {
        it('a create upserts the after image', () => {
          expect(expectEvent(customers.decode(KEY, wrap(createPayload())))).to.deep.equal(
            upsert('1', [1, 'Anne', 'Kretchmar', 'annek@noanswer.org']),
          );
        });

        it('an update (REPLICA IDENTITY DEFAULT: before holds only the key) upserts the after image', () => {
          expect(expectEvent(customers.decode(KEY, wrap(updatePayload())))).to.deep.equal(
            upsert('1', [1, 'Anne Marie', 'Kretchmar', 'annek@noanswer.org']),
          );
        });

        it('a delete (before holds only the key) deletes by that key', () => {
          expect(expectEvent(customers.decode(KEY, wrap(deletePayload())))).to.deep.equal({
            op: 'delete',
            key: '1',
            values: [1, null, null, null],
            set: undefined,
            cascades: false,
          });
        });

        it('a snapshot read (op r) upserts like a create', () => {
          const read = { ...createPayload(), op: 'r', source: source({ snapshot: 'first' }) };
          expect(expectEvent(customers.decode(KEY, wrap(read)))).to.deep.equal(upsert('1', [1, 'Anne', 'Kretchmar', 'annek@noanswer.org']));
        });

        it('an update whose before is null (REPLICA IDENTITY NOTHING) still upserts the after image', () => {
          expect(expectEvent(customers.decode(KEY, wrap(updatePayload(ANNE_MARIE, null))))).to.deep.equal(
            upsert('1', [1, 'Anne Marie', 'Kretchmar', 'annek@noanswer.org']),
          );
        });

        it('a truncate is skipped and counted when the sink does not say truncate: true', () => {
          expect(expectEvent(customers.decode(null, wrap(truncatePayload())))).to.deep.equal(skipped('truncate'));
        });

        it('a logical decoding message (op m) is skipped and counted', () => {
          const schema = {
            type: 'struct',
            fields: [
              SOURCE_SCHEMA,
              f('op', 'string'),
              f('ts_ms', 'int64', { optional: true }),
              { type: 'struct', fields: [f('prefix', 'string'), f('content', 'bytes')], optional: false, field: 'message' },
            ],
            optional: false,
            name: 'io.debezium.connector.postgresql.MessageValue',
          };
          const value = form === 'as the payload alone' ? plain(messagePayload()) : enveloped(messagePayload(), schema);
          expect(expectEvent(customers.decode(plainKey({ prefix: 'foo' }), value))).to.deep.equal(skipped('message'));
        });
      });
    }

    it('with truncate: true, a truncate empties the table', () => {
      const sink = sinkOf({ ...CUSTOMERS, truncate: true });
      const truncate = { op: 'truncate', key: '', values: [], set: undefined, cascades: false };
      expect(expectEvent(sink.decode(null, enveloped(truncatePayload())))).to.deep.equal(truncate);
      expect(expectEvent(sink.decode(null, plain(truncatePayload())))).to.deep.equal(truncate);
    });

    it('reads the envelope per message: one sink takes both forms', () => {
      expect(customers.decode(KEY, enveloped(createPayload()))).to.deep.equal(customers.decode(KEY, plain(createPayload())));
    });
  });

  describe('tombstones', () => {
    it('a null value (the tombstone after a delete) is skipped', () => {
      expect(expectEvent(customers.decode(KEY, null))).to.deep.equal(skipped('tombstone'));
    });

    it('a schema envelope with a null payload is skipped', () => {
      expect(expectEvent(customers.decode(KEY, bytes('{"schema":null,"payload":null}')))).to.deep.equal(skipped('tombstone'));
    });

    it('the JSON text null is skipped', () => {
      expect(expectEvent(customers.decode(KEY, bytes('null')))).to.deep.equal(skipped('tombstone'));
    });

    it('an empty (0-byte) value is a dead letter, not a tombstone', () => {
      expectRejected(customers.decode(KEY, new Uint8Array(0)), 'EMPTY_VALUE', 'empty value (0 bytes)');
    });
  });

  describe('deletes', () => {
    it('with REPLICA IDENTITY FULL (before holds every column), deletes by the key alone', () => {
      expect(expectEvent(customers.decode(KEY, enveloped(deletePayload(ANNE))))).to.deep.equal({
        op: 'delete',
        key: '1',
        values: [1, null, null, null],
        set: undefined,
        cascades: false,
      });
    });

    it('with before null, takes the key from the plain message key', () => {
      const event = expectEvent(customers.decode(plainKey({ id: 7 }), plain(deletePayload(null))));
      expect(event).to.deep.equal({ op: 'delete', key: '7', values: [7, null, null, null], set: undefined, cascades: false });
    });

    it('with before null, takes the key from the enveloped message key', () => {
      const event = expectEvent(customers.decode(envelopedKey({ id: 7 }), enveloped(deletePayload(null))));
      expect(event).to.deep.equal({ op: 'delete', key: '7', values: [7, null, null, null], set: undefined, cascades: false });
    });

    it('with before lacking the key column, takes the key from the message key', () => {
      const event = expectEvent(customers.decode(plainKey({ id: 8 }), plain(deletePayload({ email: 'x@y.z' }))));
      expect(event).to.deep.equal({ op: 'delete', key: '8', values: [8, null, null, null], set: undefined, cascades: false });
    });

    it('prefers the key in before over the message key', () => {
      const event = expectEvent(customers.decode(plainKey({ id: 99 }), plain(deletePayload({ id: 1 }))));
      expect(event.key).to.equal('1');
    });

    it('with no key in before and no message key, is a dead letter naming the key field', () => {
      expectRejected(
        customers.decode(null, plain(deletePayload(null))),
        'MISSING_FIELD',
        'id: missing in before, and the message has no key',
      );
    });

    it('with no key in before nor in the message key, is a dead letter naming the key field', () => {
      expectRejected(
        customers.decode(plainKey({ other: 1 }), plain(deletePayload(null))),
        'MISSING_FIELD',
        'id: missing in before and in the message key',
      );
      expectRejected(
        customers.decode(envelopedKey({ id: null }), enveloped(deletePayload(null))),
        'MISSING_FIELD',
        'id: missing in before and in the message key',
      );
    });

    it('a message key that is not JSON, or whose payload is not an object, is a dead letter', () => {
      expectRejected(customers.decode(bytes('{"id":'), plain(deletePayload(null))), 'INVALID_JSON', /^message key: invalid JSON: /);
      expectRejected(
        customers.decode(bytes('{"schema":{},"payload":"1"}'), plain(deletePayload(null))),
        'NOT_AN_OBJECT',
        'message key: payload is string, expected an object',
      );
    });

    it('validates the key it deletes by', () => {
      expectRejected(customers.decode(KEY, plain(deletePayload({ id: 'one' }))), 'WRONG_TYPE', 'id: expected an integer, got string');
      expectRejected(
        customers.decode(plainKey({ id: 2147483648 }), plain(deletePayload(null))),
        'OUT_OF_RANGE',
        'id: 2147483648 out of range -2147483648..2147483647',
      );
    });

    describe('soft deletes', () => {
      it('an engine-managed soft-delete column: a delete patches it true and cascades; an upsert sets it false', () => {
        const sink = sinkOf({ ...CUSTOMERS, delete: { soft: 'is_deleted' } });
        expect(sink.layout.columns.map((c) => c.name)).to.deep.equal(['id', 'first_name', 'last_name', 'email', 'is_deleted']);
        expect(expectEvent(sink.decode(KEY, enveloped(deletePayload())))).to.deep.equal({
          op: 'patch',
          key: '1',
          values: [1, null, null, null, true],
          set: Uint8Array.from([1, 0, 0, 0, 1]),
          cascades: true,
        });
        expect(expectEvent(sink.decode(KEY, enveloped(createPayload())))).to.deep.equal(
          upsert('1', [1, 'Anne', 'Kretchmar', 'annek@noanswer.org', false]),
        );
      });

      it('a declared soft-delete column: read from the after image, cascading when true', () => {
        const sink = sinkOf({
          key: ['id'],
          columns: { ...CUSTOMERS.columns, is_deleted: 'boolean' },
          delete: { soft: 'is_deleted' },
        });
        expect(expectEvent(sink.decode(KEY, plain(createPayload({ ...ANNE, is_deleted: false }))))).to.deep.equal(
          upsert('1', [1, 'Anne', 'Kretchmar', 'annek@noanswer.org', false]),
        );
        expect(expectEvent(sink.decode(KEY, plain(updatePayload({ ...ANNE, is_deleted: true }))))).to.deep.equal(
          upsert('1', [1, 'Anne', 'Kretchmar', 'annek@noanswer.org', true], undefined, true),
        );
        expect(expectEvent(sink.decode(KEY, plain(deletePayload(null))))).to.deep.equal({
          op: 'patch',
          key: '1',
          values: [1, null, null, null, true],
          set: Uint8Array.from([1, 0, 0, 0, 1]),
          cascades: true,
        });
      });
    });
  });

  describe('malformed envelopes', () => {
    it('an unknown op', () => {
      expectRejected(
        customers.decode(KEY, plain({ ...createPayload(), op: 'x' })),
        'UNKNOWN_EVENT_TYPE',
        'op: "x" is not c, r, u, d, t or m',
      );
      expectRejected(
        customers.decode(KEY, plain({ ...createPayload(), op: 'C' })),
        'UNKNOWN_EVENT_TYPE',
        'op: "C" is not c, r, u, d, t or m',
      );
    });

    it('a missing or null op', () => {
      const { op: _op, ...withoutOp } = createPayload();
      expectRejected(customers.decode(KEY, plain(withoutOp)), 'MISSING_FIELD', 'op: missing (absent or null)');
      expectRejected(customers.decode(KEY, enveloped({ ...createPayload(), op: null })), 'MISSING_FIELD', 'op: missing (absent or null)');
    });

    it('an op that is not a string', () => {
      expectRejected(customers.decode(KEY, plain({ ...createPayload(), op: 1 })), 'WRONG_TYPE', 'op: expected a string, got number');
    });

    it('a payload that is not an object', () => {
      expectRejected(
        customers.decode(KEY, bytes({ schema: CUSTOMERS_SCHEMA, payload: [] })),
        'NOT_AN_OBJECT',
        'payload: expected a JSON object, got array',
      );
      expectRejected(
        customers.decode(KEY, bytes({ schema: CUSTOMERS_SCHEMA, payload: 'c' })),
        'NOT_AN_OBJECT',
        'payload: expected a JSON object, got string',
      );
      expectRejected(customers.decode(KEY, bytes('[1]')), 'NOT_AN_OBJECT', 'expected a JSON object, got array');
      expectRejected(customers.decode(KEY, bytes('{"op":')), 'INVALID_JSON', /^invalid JSON: /);
    });

    it('after missing or null on c, r and u', () => {
      const { after: _after, ...withoutAfter } = createPayload();
      expectRejected(customers.decode(KEY, plain(withoutAfter)), 'MISSING_FIELD', 'after: missing (absent or null) on op "c"');
      expectRejected(
        customers.decode(KEY, plain({ ...createPayload(), op: 'r', after: null })),
        'MISSING_FIELD',
        'after: missing (absent or null) on op "r"',
      );
      expectRejected(customers.decode(KEY, enveloped(updatePayload(null))), 'MISSING_FIELD', 'after: missing (absent or null) on op "u"');
    });

    it('an after that is not an object', () => {
      expectRejected(customers.decode(KEY, plain(createPayload('Anne'))), 'WRONG_TYPE', 'after: expected an object, got string');
      expectRejected(customers.decode(KEY, plain(createPayload([ANNE]))), 'WRONG_TYPE', 'after: expected an object, got array');
    });
  });

  describe('reading only the row image the op needs', () => {
    // The member the engine reads is decoded and parsed; source, transaction and the timestamps are only
    // walked past (their strings and brackets balanced), so bytes there no column reads do not cost a row.
    const withSource = (sourceText: string) => {
      const text = new TextDecoder().decode(plain(createPayload()));
      const at = text.indexOf('"source":');
      const end = text.indexOf('}', at) + 1;
      return Buffer.concat([Buffer.from(`${text.slice(0, at)}"source":`), Buffer.from(sourceText, 'latin1'), Buffer.from(text.slice(end))]);
    };

    it('loads the row whatever the members it does not read hold: a byte that is not UTF-8, a number JSON would refuse', () => {
      const expected = upsert('1', [1, 'Anne', 'Kretchmar', 'annek@noanswer.org']);
      expect(expectEvent(customers.decode(KEY, withSource('{"db":"caf\xe9","lsn":12abc}')))).to.deep.equal(expected);
      expect(expectEvent(customers.decode(KEY, enveloped(createPayload())))).to.deep.equal(expected);
    });

    it('reads a delete from before alone, and parses the whole event when it cannot read it so (an escaped key)', () => {
      const del = { op: 'delete', key: '1', values: [1, null, null, null], set: undefined, cascades: false };
      expect(expectEvent(customers.decode(KEY, plain(deletePayload())))).to.deep.equal(del);
      const escaped = new TextDecoder().decode(plain(deletePayload())).replace('"op"', '"\\u006fp"');
      expect(expectEvent(customers.decode(KEY, bytes(escaped)))).to.deep.equal(del);
    });

    it('a row image that is not valid JSON or UTF-8 is still a dead letter, named as the whole parse names it', () => {
      const text = new TextDecoder().decode(plain(createPayload()));
      expectRejected(customers.decode(KEY, bytes(text.replace('"Anne"', '"Anne"x'))), 'INVALID_JSON', /^invalid JSON: /);
      const badUtf8 = Buffer.from(text.replace('"Anne"', '"Ann~"'));
      badUtf8[badUtf8.indexOf('~')] = 0xe9; // a lone Latin-1 é
      expectRejected(customers.decode(KEY, badUtf8), 'INVALID_JSON', 'value is not valid UTF-8');
    });
  });

  describe('columns of the after image', () => {
    it('a declared column absent from the after image is a dead letter', () => {
      const { email: _email, ...withoutEmail } = ANNE;
      expectRejected(customers.decode(KEY, plain(createPayload(withoutEmail))), 'MISSING_FIELD', 'email: absent from the after image');
    });

    it('fields the sink does not declare are ignored; `field` maps a column to another field', () => {
      const sink = sinkOf({ key: ['id'], columns: { id: 'integer', mail: { type: 'text', field: 'email' } } });
      expect(expectEvent(sink.decode(KEY, enveloped(createPayload())))).to.deep.equal(upsert('1', [1, 'annek@noanswer.org']));
    });

    it('null in a nullable column is a NULL value', () => {
      expect(expectEvent(customers.decode(KEY, plain(createPayload({ ...ANNE, email: null }))))).to.deep.equal(
        upsert('1', [1, 'Anne', 'Kretchmar', null]),
      );
    });

    it('null in a column declared nullable: false is a dead letter', () => {
      const sink = sinkOf({ key: ['id'], columns: { ...CUSTOMERS.columns, email: { type: 'varchar(255)', nullable: false } } });
      expectRejected(
        sink.decode(KEY, plain(createPayload({ ...ANNE, email: null }))),
        'MISSING_FIELD',
        'email: null, but the column is declared not nullable',
      );
    });

    it('a null key column is a dead letter', () => {
      expectRejected(customers.decode(KEY, plain(createPayload({ ...ANNE, id: null }))), 'MISSING_FIELD', 'id: a key column is null');
    });

    it('validates values against the declared types', () => {
      expectRejected(
        customers.decode(KEY, plain(createPayload({ ...ANNE, first_name: 'x'.repeat(256) }))),
        'STRING_TOO_LONG',
        'first_name: 256 characters, at most 255',
      );
      expectRejected(customers.decode(KEY, plain(createPayload({ ...ANNE, id: 1.5 }))), 'WRONG_TYPE', 'id: 1.5 is not an integer');
      expectRejected(
        customers.decode(KEY, plain(createPayload({ ...ANNE, email: 5 }))),
        'WRONG_TYPE',
        'email: expected a string, got number',
      );
    });
  });

  describe('the unavailable-value placeholder (a TOASTed column Debezium did not receive)', () => {
    it('the default placeholder leaves the column unset, so the stored value is kept', () => {
      const after = { ...ANNE_MARIE, email: '__debezium_unavailable_value' };
      for (const value of [plain(updatePayload(after)), enveloped(updatePayload(after))]) {
        expect(expectEvent(customers.decode(KEY, value))).to.deep.equal(upsert('1', [1, 'Anne Marie', 'Kretchmar', null], [1, 1, 1, 0]));
      }
    });

    it('several placeholders: each column is unset', () => {
      const after = { ...ANNE_MARIE, first_name: '__debezium_unavailable_value', email: '__debezium_unavailable_value' };
      expect(expectEvent(customers.decode(KEY, plain(updatePayload(after))))).to.deep.equal(
        upsert('1', [1, null, 'Kretchmar', null], [1, 0, 1, 0]),
      );
    });

    it('a custom unavailable-value replaces the default, which is then an ordinary string', () => {
      const sink = sinkOf({ ...CUSTOMERS, 'unavailable-value': '<toasted>' });
      expect(expectEvent(sink.decode(KEY, plain(updatePayload({ ...ANNE_MARIE, email: '<toasted>' }))))).to.deep.equal(
        upsert('1', [1, 'Anne Marie', 'Kretchmar', null], [1, 1, 1, 0]),
      );
      expect(expectEvent(sink.decode(KEY, plain(updatePayload({ ...ANNE_MARIE, email: '__debezium_unavailable_value' }))))).to.deep.equal(
        upsert('1', [1, 'Anne Marie', 'Kretchmar', '__debezium_unavailable_value']),
      );
    });

    it('on a bytea column: the base64 of the placeholder bytes, as Debezium puts it in a bytes field', () => {
      const sink = sinkOf({ key: ['id'], columns: { id: 'integer', note: 'text', photo: 'bytea' } });
      const base64 = Buffer.from('__debezium_unavailable_value').toString('base64');
      expect(base64).to.equal('X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==');
      expect(expectEvent(sink.decode(KEY, plain(updatePayload({ id: 1, note: 'n', photo: base64 }))))).to.deep.equal(
        upsert('1', [1, 'n', null], [1, 1, 0]),
      );
      // Only a bytea column reads the base64 form as the placeholder: in a text column it is text.
      expect(expectEvent(sink.decode(KEY, plain(updatePayload({ id: 1, note: base64, photo: 'AQI=' }))))).to.deep.equal(
        upsert('1', [1, base64, '\\x0102']),
      );
    });

    it('on a bytea column with encoding: hex (binary.handling.mode=hex): the hex of the placeholder bytes', () => {
      const sink = sinkOf({ key: ['id'], columns: { id: 'integer', photo: { type: 'bytea', encoding: 'hex' } } });
      const hex = Buffer.from('__debezium_unavailable_value').toString('hex');
      expect(expectEvent(sink.decode(KEY, plain(updatePayload({ id: 1, photo: hex }))))).to.deep.equal(upsert('1', [1, null], [1, 0]));
      expect(expectEvent(sink.decode(KEY, plain(updatePayload({ id: 1, photo: hex.toUpperCase() }))))).to.deep.equal(
        upsert('1', [1, null], [1, 0]),
      );
    });

    it('a placeholder in a key column is refused', () => {
      expectRejected(
        customers.decode(KEY, plain(updatePayload({ ...ANNE_MARIE, id: '__debezium_unavailable_value' }))),
        'MISSING_FIELD',
        'id: a key column holds the unavailable-value placeholder',
      );
      const sink = sinkOf({ key: ['code'], columns: { code: 'text', name: 'text' } });
      expectRejected(
        sink.decode(null, plain(updatePayload({ code: '__debezium_unavailable_value', name: 'n' }))),
        'MISSING_FIELD',
        'code: a key column holds the unavailable-value placeholder',
      );
    });
  });

  describe('values with a schema: logical type names decide the encoding', () => {
    const sink = sinkOf({
      table: 'samples',
      key: ['id'],
      columns: {
        id: 'bigint',
        d: 'date',
        ts_ms: 'timestamp',
        ts_us: 'timestamp',
        ts_ns: 'timestamp',
        tstz: 'timestamptz',
        t_ms: 'time',
        t_us: 'time',
        t_ns: 'time',
        amount: 'numeric(10,2)',
        big: 'numeric(30,2)',
        vsd: 'numeric',
        doc: 'jsonb',
        uid: 'uuid',
        blob: 'bytea',
      },
    });
    const decimal = (field: string, scale: number, precision: number) =>
      f(field, 'bytes', {
        optional: true,
        name: 'org.apache.kafka.connect.data.Decimal',
        version: 1,
        parameters: { scale: String(scale), 'connect.decimal.precision': String(precision) },
      });
    const FIELDS: ConnectField[] = [
      f('id', 'int64'),
      f('d', 'int32', { optional: true, name: 'io.debezium.time.Date', version: 1 }),
      f('ts_ms', 'int64', { optional: true, name: 'io.debezium.time.Timestamp', version: 1 }),
      f('ts_us', 'int64', { optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1 }),
      f('ts_ns', 'int64', { optional: true, name: 'io.debezium.time.NanoTimestamp', version: 1 }),
      f('tstz', 'string', { optional: true, name: 'io.debezium.time.ZonedTimestamp', version: 1 }),
      f('t_ms', 'int32', { optional: true, name: 'io.debezium.time.Time', version: 1 }),
      f('t_us', 'int64', { optional: true, name: 'io.debezium.time.MicroTime', version: 1 }),
      f('t_ns', 'int64', { optional: true, name: 'io.debezium.time.NanoTime', version: 1 }),
      decimal('amount', 2, 10),
      decimal('big', 2, 30),
      {
        type: 'struct',
        fields: [f('scale', 'int32'), f('value', 'bytes')],
        optional: true,
        name: 'io.debezium.data.VariableScaleDecimal',
        version: 1,
        field: 'vsd',
      },
      f('doc', 'string', { optional: true, name: 'io.debezium.data.Json', version: 1 }),
      f('uid', 'string', { optional: true, name: 'io.debezium.data.Uuid', version: 1 }),
      f('blob', 'bytes', { optional: true }),
    ];
    const SCHEMA = envelopeSchema('samples', FIELDS);
    // 2018-06-20 15:13:16.945104 UTC, the connector documentation's TIMESTAMP example (1529507596945104 µs).
    const ROW = {
      id: 1,
      d: 17702,
      ts_ms: 1529507596945,
      ts_us: 1529507596945104,
      ts_ns: raw('1529507596945104123'),
      tstz: '2018-06-20T15:13:16.945104Z',
      t_ms: 54796945,
      t_us: 54796945104,
      t_ns: 54796945104123,
      amount: 'EtaH', // 1234567 unscaled: 12345.67
      big: 'Qu0SOwvYIDoU', // 1234567890123456789012 unscaled: 12345678901234567890.12
      vsd: { scale: 3, value: 'AeJA' }, // 123456 unscaled: 123.456
      doc: '{"tags": ["a", "b"], "n": 1.50}',
      uid: '8E3C0B8A-6B1E-4C4B-9D0F-3A2B1C0D9E8F',
      blob: 'AQID/w==',
    };
    const EXPECTED = [
      1,
      '2018-06-20',
      '2018-06-20 15:13:16.945',
      '2018-06-20 15:13:16.945104',
      '2018-06-20 15:13:16.945104123',
      '2018-06-20T15:13:16.945104Z',
      '15:13:16.945',
      '15:13:16.945104',
      '15:13:16.945104123',
      '12345.67',
      '12345678901234567890.12',
      '123.456',
      '{"tags": ["a", "b"], "n": 1.50}',
      '8e3c0b8a-6b1e-4c4b-9d0f-3a2b1c0d9e8f',
      '\\x010203ff',
    ];
    const decodeRow = (over: Record<string, unknown>) => sink.decode(null, enveloped(createPayload({ ...ROW, ...over }), SCHEMA));
    const decodeValue = (column: string, value: unknown) => {
      const event = expectEvent(decodeRow({ [column]: value }));
      return event.values[sink.layout.columns.findIndex((c) => c.name === column)];
    };

    it('decodes every type of the row to its COPY text', () => {
      const event = expectEvent(decodeRow({}));
      expect(event).to.deep.equal(upsert('1', EXPECTED));
      const line = sink.encodeRow({ kind: 'full', values: event.values, set: undefined, cascade: false }, 0);
      expect(line).to.equal(`0\tfull\t\\N\tf\t${['1', ...EXPECTED.slice(1).map((v) => String(v).replace(/\\/g, '\\\\'))].join('\t')}\n`);
    });

    it('the same count means ms, µs or ns by the logical type, whatever the declared column', () => {
      expect(decodeValue('ts_us', 1529507596945)).to.equal('1970-01-18 16:51:47.596945');
      expect(decodeValue('ts_ns', 1529507596945)).to.equal('1970-01-01 00:25:29.507596945');
      expect(decodeValue('t_ms', 1000)).to.equal('00:00:01');
      expect(decodeValue('t_us', 1000)).to.equal('00:00:00.001000');
      expect(decodeValue('t_ns', 1000)).to.equal('00:00:00.000001000');
    });

    it('timestamps before 1970 and dates before the epoch', () => {
      expect(decodeValue('ts_us', -1)).to.equal('1969-12-31 23:59:59.999999');
      expect(decodeValue('ts_ms', -62135596800000)).to.equal('0001-01-01 00:00:00');
      expect(decodeValue('d', -1)).to.equal('1969-12-31');
      expect(decodeValue('d', 2932896)).to.equal('9999-12-31');
    });

    it("PostgreSQL's infinity timestamps (as Debezium encodes them) are dead letters that say so", () => {
      expectRejected(
        decodeRow({ ts_us: raw('9223372036825200000') }),
        'INVALID_TIMESTAMP',
        `ts_us: "9223372036825200000" microseconds since 1970-01-01 is outside years 0001-9999 (Debezium's encoding of PostgreSQL 'infinity')`,
      );
      expectRejected(
        decodeRow({ ts_us: raw('-9223372036832400000') }),
        'INVALID_TIMESTAMP',
        `ts_us: "-9223372036832400000" microseconds since 1970-01-01 is outside years 0001-9999 (Debezium's encoding of PostgreSQL '-infinity')`,
      );
    });

    it("time.precision.mode=connect: Kafka Connect's Date, Time and Timestamp (milliseconds)", () => {
      const connect: ConnectField[] = FIELDS.map((x) => {
        if (x.field === 'd') return { ...x, name: 'org.apache.kafka.connect.data.Date' };
        if (x.field === 'ts_us') return { ...x, name: 'org.apache.kafka.connect.data.Timestamp' };
        if (x.field === 't_us') return { ...x, name: 'org.apache.kafka.connect.data.Time' };
        return x;
      });
      const event = expectEvent(
        sink.decode(
          null,
          enveloped(createPayload({ ...ROW, d: 17702, ts_us: 1529507596945, t_us: 54796945 }), envelopeSchema('samples', connect)),
        ),
      );
      expect(event.values.slice(0, 4)).to.deep.equal([1, '2018-06-20', '2018-06-20 15:13:16.945', '2018-06-20 15:13:16.945']);
      expect(event.values[7]).to.equal('15:13:16.945');
    });

    it('Decimal: negative values, zero and the scale from the schema', () => {
      expect(decodeValue('amount', '7Sl5')).to.equal('-12345.67');
      expect(decodeValue('amount', '+w==')).to.equal('-0.05');
      expect(decodeValue('amount', 'AA==')).to.equal('0.00');
      // The digits-only base64 of -2658824 (-26588.24): base64, as the schema says, not decimal text.
      expect(decodeValue('amount', '1234')).to.equal('-26588.24');
    });

    it('Decimal: large values keep every digit; beyond the declared precision is a dead letter', () => {
      expect(decodeValue('big', 'vRLtxPQn38Xs')).to.equal('-12345678901234567890.12');
      expect(decodeValue('big', decimalBase64(10n ** 30n - 1n))).to.equal('9999999999999999999999999999.99');
      expectRejected(
        decodeRow({ big: decimalBase64(10n ** 30n) }),
        'OUT_OF_RANGE',
        'big: "10000000000000000000000000000.00" out of range for numeric(30,2) (must be below 10000000000000000000000000000 after rounding to 2 decimals)',
      );
      expectRejected(
        decodeRow({ amount: decimalBase64(10n ** 10n) }),
        'OUT_OF_RANGE',
        'amount: "100000000.00" out of range for numeric(10,2) (must be below 100000000 after rounding to 2 decimals)',
      );
    });

    it('Decimal: bad base64 is a dead letter', () => {
      expectRejected(decodeRow({ amount: 'E$aH' }), 'WRONG_TYPE', 'amount: "E$aH" is not base64');
    });

    it('VariableScaleDecimal: scale and unscaled bytes per value', () => {
      expect(decodeValue('vsd', { scale: 0, value: 'Qu0SOwvYIDoU' })).to.equal('1234567890123456789012');
      expect(decodeValue('vsd', { scale: 22, value: 'vRLtxPQn38Xs' })).to.equal('-0.1234567890123456789012');
      expect(decodeValue('vsd', { scale: 2, value: '+w==' })).to.equal('-0.05');
      expectRejected(decodeRow({ vsd: { value: 'AeJA' } }), 'MISSING_FIELD', 'vsd: VariableScaleDecimal "scale" missing (absent or null)');
      expectRejected(
        decodeRow({ vsd: 'AeJA' }),
        'WRONG_TYPE',
        'vsd: expected a VariableScaleDecimal object {"scale", "value"}, got string',
      );
    });

    it('Json: the document text is stored as sent; text that is not JSON is a dead letter', () => {
      expect(decodeValue('doc', '[1,2,3]')).to.equal('[1,2,3]');
      expect(decodeValue('doc', '"a string"')).to.equal('"a string"');
      expectRejected(decodeRow({ doc: '{"tags": [' }), 'INVALID_JSON', 'doc: "{\\"tags\\": [" is not a JSON document');
      expectRejected(
        decodeRow({ doc: '{"a":"\\u0000"}' }),
        'NUL_CHARACTER',
        'doc: contains a NUL character (U+0000), which jsonb cannot store',
      );
    });

    it('Uuid: lower-cased; not a UUID is a dead letter', () => {
      expect(decodeValue('uid', 'ABCDEF01-2345-6789-ABCD-EF0123456789')).to.equal('abcdef01-2345-6789-abcd-ef0123456789');
      expectRejected(decodeRow({ uid: 'not-a-uuid' }), 'INVALID_ID', 'uid: "not-a-uuid" is not a UUID (8-4-4-4-12 hex digits)');
    });

    it('bytes: base64 to the bytea hex form', () => {
      expect(decodeValue('blob', '')).to.equal('\\x');
      expect(decodeValue('blob', '3q2+7w==')).to.equal('\\xdeadbeef');
      expectRejected(decodeRow({ blob: 'AQID/w=' }), 'WRONG_TYPE', 'blob: "AQID/w=" is not base64');
    });

    it('a bigint beyond 2^53 keeps the digits of the JSON text', () => {
      const event = expectEvent(decodeRow({ id: raw('9223372036854775807') }));
      expect(event.key).to.equal('9223372036854775807');
      expect(event.values[0]).to.equal('9223372036854775807');
      expectRejected(
        decodeRow({ id: raw('9223372036854775808') }),
        'OUT_OF_RANGE',
        'id: 9223372036854775808 out of range -9223372036854775808..9223372036854775807',
      );
    });

    it('a delete reads the key in before with the schema of before', () => {
      const event = expectEvent(sink.decode(null, enveloped(deletePayload({ id: raw('9007199254740993') }), SCHEMA)));
      expect(event).to.include({ op: 'delete', key: '9007199254740993' });
    });
  });

  describe('values without a schema: the declared type, or its encoding, decides', () => {
    const sink = sinkOf({
      table: 'samples',
      key: ['id'],
      columns: {
        id: 'bigint',
        d: 'date',
        d_iso: { type: 'date', encoding: 'iso' },
        ts: 'timestamp',
        ts_ms: { type: 'timestamp', encoding: 'millis' },
        ts_ns: { type: 'timestamp', encoding: 'nanos' },
        tstz: 'timestamptz',
        tstz_us: 'timestamptz',
        t: 'time',
        amount: 'numeric(10,2)',
        amount_s: { type: 'numeric(10,2)', encoding: 'string' },
        big: 'numeric(30,2)',
        blob: { type: 'bytea', encoding: 'hex' },
        doc: 'jsonb',
      },
    });
    const ROW = {
      id: 1,
      d: 17702,
      d_iso: '2018-06-20',
      ts: 1529507596945104,
      ts_ms: 1529507596945,
      ts_ns: raw('1529507596945104123'),
      tstz: '2018-06-20T15:13:16.945104Z',
      tstz_us: 1529507596945104,
      t: 54796945104,
      amount: 'EtaH',
      amount_s: '12345.67',
      big: raw('12345678901234567890.12'),
      blob: '010203FF',
      doc: '{"a": 1}',
    };
    const decodeRow = (over: Record<string, unknown>) => sink.decode(null, plain(createPayload({ ...ROW, ...over })));
    const decodeValue = (column: string, value: unknown) => {
      const event = expectEvent(decodeRow({ [column]: value }));
      return event.values[sink.layout.columns.findIndex((c) => c.name === column)];
    };

    it("decodes every column with the PostgreSQL connector's defaults or the declared encoding", () => {
      expect(expectEvent(decodeRow({}))).to.deep.equal(
        upsert('1', [
          1,
          '2018-06-20',
          '2018-06-20',
          '2018-06-20 15:13:16.945104',
          '2018-06-20 15:13:16.945',
          '2018-06-20 15:13:16.945104123',
          '2018-06-20T15:13:16.945104Z',
          '2018-06-20 15:13:16.945104+00',
          '15:13:16.945104',
          '12345.67',
          '12345.67',
          '12345678901234567890.12',
          '\\x010203ff',
          '{"a": 1}',
        ]),
      );
    });

    it('date: days since the epoch or an ISO date string', () => {
      expect(decodeValue('d', '2018-06-20')).to.equal('2018-06-20');
      expect(decodeValue('d_iso', 0)).to.equal('1970-01-01');
      expectRejected(decodeRow({ d_iso: '2018-02-30' }), 'INVALID_DATE', 'd_iso: "2018-02-30": day 30 does not exist in 2018-02');
      expectRejected(decodeRow({ d: 1.5 }), 'WRONG_TYPE', 'd: 1.5 is not an integer count of days since 1970-01-01');
    });

    it('timestamp: µs by default, ms and ns when declared; a nanosecond count beyond 2^53 from its JSON text', () => {
      expect(decodeValue('ts', 0)).to.equal('1970-01-01 00:00:00');
      expect(decodeValue('ts_ms', 1)).to.equal('1970-01-01 00:00:00.001');
      expect(decodeValue('ts_ns', raw('-1'))).to.equal('1969-12-31 23:59:59.999999999');
      expect(decodeValue('ts_ns', raw('253402300799999999999'))).to.equal('9999-12-31 23:59:59.999999999');
      expect(decodeValue('ts', '2018-06-20 15:13:16.945104')).to.equal('2018-06-20 15:13:16.945104');
      expect(decodeValue('ts', '2018-06-20T15:13:16')).to.equal('2018-06-20T15:13:16');
      // Any other separator would be read by Postgres as something else (an X gives midnight).
      for (const bad of ['2018-06-20X15:13:16', '2018-06-20_15:13:16', '2018-06-20015:13:16'])
        expectRejected(decodeRow({ ts: bad }), 'INVALID_TIMESTAMP', `ts: ${JSON.stringify(bad)} is not a timestamp without zone`);
    });

    it('timestamptz: ISO text as sent; a number is µs since the epoch in UTC', () => {
      expect(decodeValue('tstz', '2018-06-20t15:13:16z')).to.equal('2018-06-20T15:13:16Z');
      expectRejected(
        decodeRow({ tstz: '2018-06-20 15:13:16' }),
        'INVALID_TIMESTAMP',
        'tstz: "2018-06-20 15:13:16" is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.fraction] and Z or ±hh:mm)',
      );
    });

    it('numeric: base64 at the declared scale, negative too', () => {
      expect(decodeValue('amount', '7Sl5')).to.equal('-12345.67');
      expect(decodeValue('amount', '+w==')).to.equal('-0.05');
      // Digits, '+', 'e' and 'E' are base64 characters: "1234" is Debezium's base64 of -26588.24.
      expect(decodeValue('amount', '1234')).to.equal('-26588.24');
      expect(decodeValue('amount', '1e+2')).to.equal('-27566.82');
    });

    it('numeric: decimal text that cannot be base64, and JSON numbers (decimal.handling.mode=double)', () => {
      expect(decodeValue('amount', '-26588.24')).to.equal('-26588.24');
      expect(decodeValue('amount', '12')).to.equal('12');
      expect(decodeValue('amount', 12345.5)).to.equal('12345.5');
      expect(decodeValue('amount', raw('1.5e3'))).to.equal('1500');
      expect(decodeValue('big', raw('-12345678901234567890.12'))).to.equal('-12345678901234567890.12');
      expectRejected(
        decodeRow({ big: raw('1e28') }),
        'OUT_OF_RANGE',
        'big: "10000000000000000000000000000" out of range for numeric(30,2) (must be below 10000000000000000000000000000 after rounding to 2 decimals)',
      );
    });

    it('numeric with encoding: string (decimal.handling.mode=string): the text, never base64', () => {
      expect(decodeValue('amount_s', '1234')).to.equal('1234');
      expect(decodeValue('amount_s', '-0.50')).to.equal('-0.50');
      expectRejected(
        decodeRow({ amount_s: 'NAN' }),
        'WRONG_TYPE',
        'amount_s: "NAN" is not a finite number (NaN and infinities are refused for numeric columns)',
      );
      expectRejected(decodeRow({ amount_s: 'EtaH' }), 'WRONG_TYPE', 'amount_s: "EtaH" is not a decimal number');
    });

    it("numeric: the connector's NaN (the string NAN in string mode) is a dead letter, not base64", () => {
      expectRejected(
        decodeRow({ amount: 'NAN' }),
        'WRONG_TYPE',
        'amount: "NAN" is not a finite number (NaN and infinities are refused for numeric columns)',
      );
    });

    it('real and double precision: numbers and the special words; beyond what the column holds is OUT_OF_RANGE', () => {
      const floats = sinkOf({ table: 'floats', key: ['id'], columns: { id: 'bigint', r: 'real', dp: 'double precision' } });
      const decode = (r: unknown, dp: unknown) => floats.decode(null, plain(createPayload({ id: 1, r, dp })));
      expect(expectEvent(decode(1.5, -2.25e-300)).values).to.deep.equal([1, 1.5, -2.25e-300]);
      expect(expectEvent(decode('NaN', '-Infinity')).values).to.deep.equal([1, 'NaN', '-Infinity']);
      expectRejected(decode(1e39, 1), 'OUT_OF_RANGE', 'r: 1e+39 out of range for real');
      expectRejected(decode(1e-46, 1), 'OUT_OF_RANGE', 'r: 1e-46 out of range for real');
      expectRejected(decode(1, raw('1e999')), 'OUT_OF_RANGE', 'dp: Infinity out of range for double precision');
      expectRejected(decode(1, 'one'), 'WRONG_TYPE', 'dp: expected a number, got string');
    });

    it('bigint beyond 2^53 from the JSON text exactly', () => {
      const event = expectEvent(decodeRow({ id: raw('9007199254740993') }));
      expect(event.key).to.equal('9007199254740993');
      expect(event.values[0]).to.equal('9007199254740993');
      expect(decodeValue('id', raw('-9223372036854775808'))).to.equal('-9223372036854775808');
    });

    it('bytea with encoding: hex, with or without the \\x prefix, to lower case', () => {
      expect(decodeValue('blob', 'DEADbeef')).to.equal('\\xdeadbeef');
      expect(decodeValue('blob', '\\xDEADBEEF')).to.equal('\\xdeadbeef');
      expectRejected(decodeRow({ blob: 'abc' }), 'WRONG_TYPE', 'blob: "abc" is not hex');
    });

    it('jsonb: Json text as sent, or a JSON value serialised', () => {
      expect(decodeValue('doc', { a: [1, 2] })).to.equal('{"a":[1,2]}');
      expectRejected(decodeRow({ doc: 'nope' }), 'INVALID_JSON', 'doc: "nope" is not a JSON document');
    });
  });

  describe('composite keys', () => {
    const sink = sinkOf({
      table: 'order_lines',
      key: ['order_id', 'line_no'],
      columns: { order_id: 'uuid', line_no: 'bigint', sku: 'text' },
    });
    const ORDER = '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f';
    const JOINED = `${ORDER}\u0001${'9007199254740993'}`;

    it('the key string joins both columns', () => {
      const event = expectEvent(sink.decode(null, plain(createPayload({ order_id: ORDER.toUpperCase(), line_no: 2, sku: 'X-1' }))));
      expect(event).to.deep.equal(upsert(`${ORDER}\u00012`, [ORDER, 2, 'X-1']));
    });

    it('a delete finds both in before', () => {
      const event = expectEvent(sink.decode(null, plain(deletePayload({ order_id: ORDER, line_no: raw('9007199254740993') }))));
      expect(event).to.deep.equal({
        op: 'delete',
        key: JOINED,
        values: [ORDER, '9007199254740993', null],
        set: undefined,
        cascades: false,
      });
    });

    it('a delete finds both in the message key, plain or enveloped, beyond 2^53 too', () => {
      const key = { order_id: ORDER, line_no: raw('9007199254740993') };
      const keySchema = {
        type: 'struct',
        fields: [f('order_id', 'string', { name: 'io.debezium.data.Uuid', version: 1 }), f('line_no', 'int64')],
        optional: false,
        name: 'PostgreSQL_server.public.order_lines.Key',
      };
      const expected = { op: 'delete', key: JOINED, values: [ORDER, '9007199254740993', null], set: undefined, cascades: false };
      expect(expectEvent(sink.decode(plainKey(key), plain(deletePayload(null))))).to.deep.equal(expected);
      expect(expectEvent(sink.decode(envelopedKey(key, keySchema), plain(deletePayload(null))))).to.deep.equal(expected);
    });

    it('before with one key column only: both come from the message key', () => {
      const event = expectEvent(sink.decode(plainKey({ order_id: ORDER, line_no: 3 }), plain(deletePayload({ order_id: ORDER }))));
      expect(event.key).to.equal(`${ORDER}\u00013`);
    });

    it('a message key lacking one of them is a dead letter naming it', () => {
      expectRejected(
        sink.decode(plainKey({ order_id: ORDER }), plain(deletePayload(null))),
        'MISSING_FIELD',
        'line_no: missing in before and in the message key',
      );
    });
  });

  it('a key column read with a Kafka Connect Timestamp in the enveloped message key uses its unit', () => {
    const sink = sinkOf({ table: 'readings', key: ['at'], columns: { at: 'timestamp', v: 'integer' } });
    const keySchema = {
      type: 'struct',
      fields: [f('at', 'int64', { name: 'io.debezium.time.Timestamp', version: 1 })],
      optional: false,
      name: 'PostgreSQL_server.public.readings.Key',
    };
    const event = expectEvent(sink.decode(envelopedKey({ at: 1529507596945 }, keySchema), plain(deletePayload(null))));
    expect(event.key).to.equal('2018-06-20 15:13:16.945');
  });
});
