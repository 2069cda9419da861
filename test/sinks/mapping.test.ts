import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdcError, InvalidOptionError } from '../../lib/errors.js';
import { ACCEPTED_TYPES } from '../../lib/sinks/column-types.js';
import {
  type ColumnDeclaration,
  DEBEZIUM_UNAVAILABLE_VALUE,
  loadMapping,
  loadMappingFile,
  type Mapping,
  requireSchemaRegistry,
  resolveMapping,
  selectSinks,
  shippedMapping,
  type SinkDeclaration,
} from '../../lib/sinks/mapping.js';
import { DeadLetterCodes } from '../../lib/sinks/types.js';

const SINK_KEYS =
  'name, topic, topic-pattern, table, schema, format, key, create-table, columns, columns-from, evolve, delete, truncate, unavailable-value, envelope, encoding';
const COLUMN_KEYS = 'type, field, ops, on-create, nullable, default, encoding, min, max, min-length, references';
const REFERENCE_KEYS = 'table, column, cascade-delete, foreign-key, orphan-code';

type Doc = Record<string, unknown>;

/** A valid seed sink; each test breaks one thing in it. */
function accounts(overrides: Doc = {}): Doc {
  return {
    topic: 'accounts',
    table: 'accounts',
    key: ['id'],
    columns: { id: 'uuid', owner: 'uuid', name: 'varchar(50)', balance: 'numeric(12,2)' },
    ...overrides,
  };
}

/** A child of accounts(): each transfer holds the account it debits. */
function transfers(accountId: unknown = { type: 'uuid', references: 'accounts' }, overrides: Doc = {}): Doc {
  return {
    topic: 'transfers',
    table: 'transfers',
    key: ['id'],
    columns: { id: 'uuid', account_id: accountId, amount: 'numeric(12,2)' },
    ...overrides,
  };
}

function withColumns(columns: Doc, overrides: Doc = {}): Doc {
  return { sinks: [accounts({ columns: { id: 'uuid', ...columns }, ...overrides })] };
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function mappingErrorOf(run: () => unknown): CdcError {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(CdcError);
    expect((err as CdcError).code).to.equal('ERR_CDC_MAPPING');
    return err as CdcError;
  }
  return expect.fail('expected ERR_CDC_MAPPING');
}

/** Every problem the error lists for the document, one line each, without the file's header. */
function problemsOf(doc: unknown): string[] {
  const { message } = mappingErrorOf(() => resolveMapping(doc, 'test.yaml'));
  const [header, ...problems] = message.split('\n  ');
  expect(header).to.equal('test.yaml: invalid mapping:');
  return problems;
}

/** The document's only problem: another one alongside would be noise the user has to read past. */
function onlyProblem(doc: unknown): string {
  const problems = problemsOf(doc);
  expect(problems, problems.join('\n')).to.have.lengthOf(1);
  return problems[0] as string;
}

function resolved(doc: unknown): Mapping {
  return resolveMapping(doc, 'test.yaml');
}

function column(sink: SinkDeclaration, name: string): ColumnDeclaration {
  const c = sink.columns.find((x) => x.name === name);
  if (!c) return expect.fail(`no column ${name} in ${sink.name}`);
  return c;
}

function defaultOf(type: string, value: unknown): string | undefined {
  const m = resolved(withColumns({ c: { type, default: value } }));
  return column(m.sinks[0] as SinkDeclaration, 'c').defaultSql;
}

describe('sinks/mapping', () => {
  describe('the document shape', () => {
    it('refuses unknown keys at the top level, listing the accepted ones', () => {
      expect(onlyProblem({ sinks: [accounts()], sink: [] })).to.equal('(top level): unknown key "sink" (accepted: sinks)');
      expect(problemsOf({ sinks: [accounts({ format: 'avro' })], sink: [] })).to.deep.equal([
        '(top level): unknown key "sink" (accepted: sinks)',
        'sinks[0].format: must be one of "seed", "debezium"',
      ]);
    });

    it('refuses unknown keys in a sink, listing the accepted ones', () => {
      expect(onlyProblem({ sinks: [accounts(), accounts({ topic: 'b', table: 'b', tabel: 'b' })] })).to.equal(
        `sinks[1]: unknown key "tabel" (accepted: ${SINK_KEYS})`,
      );
    });

    it('refuses unknown keys in a column object, without the string form\'s "must be string"', () => {
      expect(onlyProblem(withColumns({ balance: { type: 'numeric(12,2)', nulable: false } }))).to.equal(
        `sinks[0].columns.balance: unknown key "nulable" (accepted: ${COLUMN_KEYS})`,
      );
    });

    it('refuses unknown keys in references, listing the accepted ones', () => {
      const doc = { sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', 'on-delete': 'cascade' } })] };
      expect(onlyProblem(doc)).to.equal(`sinks[1].columns.account_id.references: unknown key "on-delete" (accepted: ${REFERENCE_KEYS})`);
    });

    it('refuses unknown keys in delete without complaining that it is not "hard"', () => {
      expect(onlyProblem({ sinks: [accounts({ delete: { soft: 'is_deleted', cascade: true } })] })).to.equal(
        'sinks[0].delete: unknown key "cascade" (accepted: soft)',
      );
    });

    it('says what delete accepts', () => {
      expect(problemsOf({ sinks: [accounts({ delete: 'soft' })] })).to.deep.equal([
        'sinks[0].delete: must be "hard"',
        'sinks[0].delete: must be object',
      ]);
    });

    const required: Record<string, string> = {
      topic: 'missing required key "topic" (or "topic-pattern")',
      table: 'missing required key "table"',
      key: 'missing required key "key" (only a debezium sink takes its key from the message key)',
      columns: 'missing required key "columns" (only a debezium sink takes its columns from the events\' schemas)',
    };
    for (const [key, problem] of Object.entries(required)) {
      it(`requires a sink's ${key}`, () => {
        const sink = accounts();
        delete sink[key];
        expect(onlyProblem({ sinks: [sink] })).to.equal(`sinks[0]: ${problem}`);
      });
    }

    it('requires sinks, and at least one', () => {
      expect(onlyProblem({})).to.equal('(top level): missing required key "sinks"');
      expect(onlyProblem({ sinks: [] })).to.equal('sinks: must NOT have fewer than 1 items');
    });

    it('refuses a document that is not a mapping (an empty file parses to null)', () => {
      expect(onlyProblem(null)).to.equal('(top level): must be object');
      expect(onlyProblem([accounts()])).to.equal('(top level): must be object');
    });

    it('refuses an unknown format, listing the formats', () => {
      expect(onlyProblem({ sinks: [accounts({ format: 'avro' })] })).to.equal('sinks[0].format: must be one of "seed", "debezium"');
    });

    it('refuses a topic Kafka would not take', () => {
      expect(onlyProblem({ sinks: [accounts({ topic: 'my topic' })] })).to.equal('sinks[0].topic: must match pattern "^[A-Za-z0-9._-]+$"');
    });

    it('refuses a column that is neither a type nor an object, naming both forms', () => {
      expect(problemsOf(withColumns({ balance: 12 }))).to.deep.equal([
        'sinks[0].columns.balance: must be string',
        'sinks[0].columns.balance: must be object',
      ]);
    });

    it('requires the type of a column object', () => {
      expect(onlyProblem(withColumns({ balance: { nullable: false } }))).to.equal('sinks[0].columns.balance: missing required key "type"');
      expect(onlyProblem(withColumns({ balance: { type: 12 } }))).to.equal('sinks[0].columns.balance.type: must be string');
    });

    it('names the element of a bad list value', () => {
      expect(onlyProblem(withColumns({ balance: { type: 'integer', ops: ['create', 'insert'] } }))).to.equal(
        'sinks[0].columns.balance.ops[1]: must be one of "create", "update", "delete"',
      );
    });

    it('names a column whose name Postgres would truncate', () => {
      const long = 'c'.repeat(64);
      expect(onlyProblem(withColumns({ [long]: 'text' }))).to.equal(
        `sinks[0].columns.${long}: the name must NOT have more than 63 characters`,
      );
    });

    it('quotes a column name that is not a plain word, in shape and in cross-checks alike', () => {
      expect(onlyProblem(withColumns({ 'unit price': { type: 'numeric', nulable: true } }))).to.equal(
        `sinks[0].columns["unit price"]: unknown key "nulable" (accepted: ${COLUMN_KEYS})`,
      );
      expect(onlyProblem(withColumns({ 'unit price': 'money' }))).to.match(/^sinks\[0\]\.columns\["unit price"\]: "money" is not/);
    });
  });

  describe('column types', () => {
    const cases: [string, string][] = [
      ['numeric(1001)', '"numeric(1001)": precision must be 1..1000'],
      ['varchar(0)', '"varchar(0)": length must be 1..10485760'],
      ['int(4)', '"int(4)": integer takes no modifier'],
      ['money', `"money" is not a supported type (accepted: ${ACCEPTED_TYPES})`],
      ['numeric(5,6)', '"numeric(5,6)": scale must be 0..precision'],
    ];
    for (const [type, problem] of cases) {
      it(`refuses ${type}, at the column for the string form and at .type for the object form`, () => {
        expect(onlyProblem(withColumns({ balance: type }))).to.equal(`sinks[0].columns.balance: ${problem}`);
        expect(onlyProblem(withColumns({ balance: { type, nullable: false } }))).to.equal(`sinks[0].columns.balance.type: ${problem}`);
      });
    }

    it('resolves aliases to the canonical type', () => {
      const m = resolved(withColumns({ a: 'int4', b: { type: 'DECIMAL(12, 2)' }, c: 'character varying(20)' }));
      const sink = m.sinks[0] as SinkDeclaration;
      expect(['a', 'b', 'c'].map((n) => column(sink, n).type.sql)).to.deep.equal(['integer', 'numeric(12,2)', 'varchar(20)']);
    });

    it('reports a refused key column once, not again as missing from the columns', () => {
      expect(onlyProblem({ sinks: [accounts({ columns: { id: 'uuuid', name: 'text' } })] })).to.match(
        /^sinks\[0\]\.columns\.id: "uuuid" is not a supported type/,
      );
    });
  });

  describe('keys', () => {
    it('refuses a key column that is not among the columns', () => {
      expect(onlyProblem({ sinks: [accounts({ key: ['account_id'] })] })).to.equal(
        'sinks[0].key: column "account_id" is not among sinks[0].columns',
      );
    });

    it('refuses a json key', () => {
      expect(onlyProblem({ sinks: [accounts({ key: ['doc'], columns: { doc: 'jsonb' } })] })).to.equal(
        'sinks[0].key: column "doc" is jsonb, which cannot be a key',
      );
    });

    it('refuses a key column that only some seed events carry', () => {
      expect(onlyProblem(withColumns({ id: { type: 'uuid', ops: ['create'] } }))).to.equal(
        'sinks[0].columns.id.ops: a key column is carried by every event',
      );
    });

    it('refuses an empty or repeated key', () => {
      expect(onlyProblem({ sinks: [accounts({ key: [] })] })).to.equal('sinks[0].key: must NOT have fewer than 1 items');
      expect(onlyProblem({ sinks: [accounts({ key: ['id', 'id'] })] })).to.equal(
        'sinks[0].key: must NOT have duplicate items (items ## 1 and 0 are identical)',
      );
    });
  });

  describe('across sinks', () => {
    it('refuses a topic loaded twice, once (the default names are the topics)', () => {
      expect(problemsOf({ sinks: [accounts(), accounts({ table: 'accounts_copy' })] })).to.deep.equal([
        `sinks[1].topic: "accounts" is also sinks[0]'s`,
      ]);
    });

    it('refuses a name given twice', () => {
      const doc = { sinks: [accounts({ name: 'ledger' }), transfers(undefined, { name: 'ledger' })] };
      expect(onlyProblem(doc)).to.equal(`sinks[1].name: "ledger" is also sinks[0]'s`);
    });

    it('refuses a default name that another sink took explicitly', () => {
      const doc = { sinks: [accounts({ name: 'transfers' }), transfers()] };
      expect(onlyProblem(doc)).to.equal(`sinks[1].name: "transfers" is also sinks[0]'s`);
    });

    it('refuses a table loaded twice, however its schema is written', () => {
      expect(onlyProblem({ sinks: [accounts(), accounts({ topic: 'accounts2' })] })).to.equal(
        `sinks[1].table: "accounts" is also sinks[0]'s`,
      );
      const doc = { sinks: [accounts({ table: 'ledger.accounts' }), accounts({ topic: 'accounts2', schema: 'ledger' })] };
      expect(onlyProblem(doc)).to.equal(`sinks[1].table: "accounts" is also sinks[0]'s`);
    });

    it('loads the same table name in two schemas', () => {
      const m = resolved({ sinks: [accounts({ table: 'a.accounts' }), accounts({ topic: 'accounts2', table: 'b.accounts' })] });
      expect(m.sinks.map((s) => [s.schema, s.table])).to.deep.equal([
        ['a', 'accounts'],
        ['b', 'accounts'],
      ]);
    });
  });

  describe('on-create', () => {
    const seed = (columns: Doc, overrides: Doc = {}) =>
      withColumns({ created_at: { type: 'timestamptz', ops: ['create'] }, ...columns }, overrides);

    it('copies another column of the same type on create', () => {
      const m = resolved(seed({ modified_at: { type: 'timestamptz', ops: ['update', 'delete'], 'on-create': 'created_at' } }));
      const c = column(m.sinks[0] as SinkDeclaration, 'modified_at');
      expect(c.onCreate).to.equal('created_at');
      expect(c.ops).to.deep.equal(['update', 'delete']);
    });

    it('refuses an unknown column', () => {
      expect(onlyProblem(seed({ modified_at: { type: 'timestamptz', ops: ['update'], 'on-create': 'created' } }))).to.equal(
        'sinks[0].columns.modified_at.on-create: column "created" is not among sinks[0].columns',
      );
    });

    it('refuses a column of another type', () => {
      expect(onlyProblem(seed({ modified_at: { type: 'date', ops: ['update'], 'on-create': 'created_at' } }))).to.equal(
        'sinks[0].columns.modified_at.on-create: column "created_at" is timestamptz, not date',
      );
    });

    it('refuses a column of the same kind with another length: the copy is not validated again', () => {
      const doc = withColumns({
        label: { type: 'varchar(50)', ops: ['create'] },
        short: { type: 'varchar(10)', ops: ['update'], 'on-create': 'label' },
      });
      expect(onlyProblem(doc)).to.equal('sinks[0].columns.short.on-create: column "label" is varchar(50), not varchar(10)');
    });

    it('is only for format seed', () => {
      const doc = seed({ modified_at: { type: 'timestamptz', 'on-create': 'created_at' } }, { format: 'debezium' });
      // The debezium sink also refuses created_at's ops: both problems at once.
      expect(problemsOf(doc)).to.deep.equal([
        'sinks[0].columns.created_at.ops: only for format seed (a Debezium event carries the whole row)',
        'sinks[0].columns.modified_at.on-create: only for format seed',
      ]);
    });

    it('refuses a column already carried by create events', () => {
      const problem = 'sinks[0].columns.modified_at.on-create: the column is already carried by create events (ops)';
      expect(onlyProblem(seed({ modified_at: { type: 'timestamptz', 'on-create': 'created_at' } }))).to.equal(problem);
      expect(onlyProblem(seed({ modified_at: { type: 'timestamptz', ops: ['create', 'update'], 'on-create': 'created_at' } }))).to.equal(
        problem,
      );
    });

    it('reports a refused source column once', () => {
      const doc = withColumns({
        created_at: 'timestampz',
        modified_at: { type: 'timestamptz', ops: ['update'], 'on-create': 'created_at' },
      });
      expect(onlyProblem(doc)).to.match(/^sinks\[0\]\.columns\.created_at: "timestampz" is not a supported type/);
    });
  });

  describe('format-specific keys', () => {
    it('refuses ops on a debezium sink', () => {
      expect(onlyProblem(withColumns({ balance: { type: 'numeric', ops: ['create'] } }, { format: 'debezium' }))).to.equal(
        'sinks[0].columns.balance.ops: only for format seed (a Debezium event carries the whole row)',
      );
    });

    it('refuses encoding on a seed sink, and an unknown encoding anywhere', () => {
      expect(onlyProblem(withColumns({ at: { type: 'timestamptz', encoding: 'millis' } }))).to.equal(
        'sinks[0].columns.at.encoding: only for format debezium',
      );
      expect(onlyProblem(withColumns({ at: { type: 'timestamptz', encoding: 'seconds' } }, { format: 'debezium' }))).to.match(
        /^sinks\[0\]\.columns\.at\.encoding: must be one of "days", "iso", "millis"/,
      );
    });

    it('takes encoding, truncate and unavailable-value on a debezium sink', () => {
      const m = resolved(
        withColumns({ at: { type: 'timestamptz', encoding: 'millis' } }, { format: 'debezium', truncate: true, 'unavailable-value': '??' }),
      );
      const sink = m.sinks[0] as SinkDeclaration;
      expect(column(sink, 'at').encoding).to.equal('millis');
      expect([sink.truncate, sink.unavailableValue]).to.deep.equal([true, '??']);
    });

    it('reads JSON unless a debezium sink says encoding: avro', () => {
      expect((resolved(withColumns({}, { format: 'debezium' })).sinks[0] as SinkDeclaration).encoding).to.equal('json');
      expect((resolved(withColumns({}, { format: 'debezium', encoding: 'avro' })).sinks[0] as SinkDeclaration).encoding).to.equal('avro');
      expect((resolved(withColumns({}, { encoding: 'json' })).sinks[0] as SinkDeclaration).encoding).to.equal('json');
    });

    it('refuses encoding: avro on a seed sink and an unknown encoding, naming the path', () => {
      expect(onlyProblem(withColumns({}, { encoding: 'avro' }))).to.equal(
        'sinks[0].encoding: avro only for format debezium (the seed format is JSON)',
      );
      expect(onlyProblem(withColumns({}, { format: 'debezium', encoding: 'protobuf' }))).to.equal(
        'sinks[0].encoding: must be one of "json", "avro"',
      );
    });

    it('takes encoding: avro on a sink whose columns come from the schemas', () => {
      const m = resolved({ sinks: [{ 'topic-pattern': 'db[.](.*)', table: '${1}', format: 'debezium', encoding: 'avro' }] });
      expect(m.topicSinks[0]?.encoding).to.equal('avro');
      expect(
        onlyProblem({ sinks: [{ 'topic-pattern': 'db[.](.*)', table: '${1}', key: ['id'], columns: { id: 'int' }, encoding: 'avro' }] }),
      ).to.equal('sinks[0].encoding: avro only for format debezium (the seed format is JSON)');
    });

    it('refuses truncate and unavailable-value on a seed sink', () => {
      expect(problemsOf({ sinks: [accounts({ truncate: true, 'unavailable-value': '??' })] })).to.deep.equal([
        'sinks[0].truncate: only for format debezium',
        'sinks[0].unavailable-value: only for format debezium',
      ]);
    });

    it('refuses min and max on a text column, each at its key', () => {
      expect(onlyProblem(withColumns({ name: { type: 'text', min: 1 } }))).to.equal(
        'sinks[0].columns.name.min: only for integer and numeric columns',
      );
      expect(problemsOf(withColumns({ name: { type: 'varchar(5)', min: 1, max: 3 } }))).to.deep.equal([
        'sinks[0].columns.name.min: only for integer and numeric columns',
        'sinks[0].columns.name.max: only for integer and numeric columns',
      ]);
    });

    it('refuses min above max', () => {
      expect(onlyProblem(withColumns({ qty: { type: 'integer', min: 10, max: 1 } }))).to.equal(
        'sinks[0].columns.qty.min: 10 is greater than max (1): no value would load',
      );
    });

    it('takes min and max on integer and numeric columns', () => {
      const m = resolved(withColumns({ qty: { type: 'integer', min: 1, max: 1 }, total: { type: 'numeric(10,2)', min: 0 } }));
      const sink = m.sinks[0] as SinkDeclaration;
      expect([column(sink, 'qty').min, column(sink, 'qty').max]).to.deep.equal([1, 1]);
      expect([column(sink, 'total').min, column(sink, 'total').max]).to.deep.equal([0, undefined]);
    });

    it('refuses min-length on a column that is not text', () => {
      expect(onlyProblem(withColumns({ qty: { type: 'integer', 'min-length': 1 } }))).to.equal(
        'sinks[0].columns.qty.min-length: only for text and varchar columns',
      );
      expect(onlyProblem(withColumns({ name: { type: 'text', 'min-length': -1 } }))).to.equal(
        'sinks[0].columns.name.min-length: must be >= 0',
      );
    });

    it('resolves a column object with its defaults', () => {
      const m = resolved(withColumns({ name: { type: 'varchar(20)', field: 'full_name', nullable: false, 'min-length': 1 } }));
      expect(column(m.sinks[0] as SinkDeclaration, 'name')).to.deep.include({
        field: 'full_name',
        ops: ['create', 'update', 'delete'],
        onCreate: undefined,
        nullable: false,
        defaultSql: undefined,
        encoding: undefined,
        minLength: 1,
        references: undefined,
      });
      expect(column(m.sinks[0] as SinkDeclaration, 'id')).to.deep.include({ field: 'id', nullable: true, minLength: 0 });
    });
  });

  describe('soft deletes', () => {
    it('adds an undeclared soft-delete column to a seed sink', () => {
      const sink = resolved({ sinks: [accounts({ delete: { soft: 'is_deleted' } })] }).sinks[0] as SinkDeclaration;
      expect(sink.delete).to.deep.equal({ soft: 'is_deleted', declared: false });
      expect(sink.columns.map((c) => c.name)).to.not.include('is_deleted');
    });

    it('refuses the soft-delete column declared in a seed sink', () => {
      expect(onlyProblem(withColumns({ is_deleted: 'boolean' }, { delete: { soft: 'is_deleted' } }))).to.equal(
        'sinks[0].delete.soft: column "is_deleted" is set by the engine for format seed; remove it from sinks[0].columns',
      );
    });

    it('takes a declared boolean soft-delete column in a debezium sink', () => {
      const m = resolved(withColumns({ is_deleted: 'bool' }, { format: 'debezium', delete: { soft: 'is_deleted' } }));
      expect((m.sinks[0] as SinkDeclaration).delete).to.deep.equal({ soft: 'is_deleted', declared: true });
    });

    it('requires a declared soft-delete column of a debezium sink to be boolean', () => {
      expect(onlyProblem(withColumns({ is_deleted: 'smallint' }, { format: 'debezium', delete: { soft: 'is_deleted' } }))).to.equal(
        'sinks[0].delete.soft: column "is_deleted" is smallint, must be boolean',
      );
    });

    it('refuses a key column as the soft-delete column', () => {
      expect(onlyProblem({ sinks: [accounts({ delete: { soft: 'id' } })] })).to.equal('sinks[0].delete.soft: "id" is a key column');
    });

    it('deletes hard by default', () => {
      expect((resolved({ sinks: [accounts()] }).sinks[0] as SinkDeclaration).delete).to.equal('hard');
    });
  });

  describe('references', () => {
    const soft = { delete: { soft: 'is_deleted' } };

    it('resolves a reference to the parent key with its defaults', () => {
      const m = resolved({ sinks: [accounts(), transfers()] });
      expect(column(m.sinks[1] as SinkDeclaration, 'account_id').references).to.deep.equal({
        parentTable: 'accounts',
        parentSchema: undefined,
        parentColumn: 'id',
        cascadeDelete: false,
        foreignKey: true,
        orphanCode: 'MISSING_PARENT',
      });
    });

    it("takes the mapping's own orphan code, which the engine's list of codes does not hold", () => {
      expect(DeadLetterCodes).not.to.include('UNPAID_TRANSFER');
      const m = resolved({
        sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', 'orphan-code': 'UNPAID_TRANSFER' } })],
      });
      expect(column(m.sinks[1] as SinkDeclaration, 'account_id').references?.orphanCode).to.equal('UNPAID_TRANSFER');
      const declared = resolved({
        sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', 'orphan-code': 'MISSING_PARENT' } })],
      });
      expect(column(declared.sinks[1] as SinkDeclaration, 'account_id').references?.orphanCode).to.equal('MISSING_PARENT');
    });

    it('refuses an orphan code of another form, naming its path and value', () => {
      const at = 'sinks[1].columns.account_id.references.orphan-code';
      const form = 'upper-case letters, digits and underscores, starting with a letter, at most 63 characters';
      for (const code of ['unpaid_transfer', 'UNPAID-TRANSFER', '1_UNPAID', '', 'A'.repeat(64)]) {
        const doc = { sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', 'orphan-code': code } })] };
        expect(onlyProblem(doc), code).to.equal(`${at}: ${JSON.stringify(code)} is not accepted (${form})`);
      }
      const numeric = { sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', 'orphan-code': 7 } })] };
      expect(onlyProblem(numeric)).to.equal(`${at}: must be string`);
    });

    it("refuses an orphan code that is one of the engine's other codes", () => {
      const doc = { sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', 'orphan-code': 'INVALID_JSON' } })] };
      expect(onlyProblem(doc)).to.equal(
        `sinks[1].columns.account_id.references.orphan-code: "INVALID_JSON" is one of the engine's own dead-letter codes; choose another name`,
      );
    });

    it('refuses a table no sink loads', () => {
      expect(onlyProblem({ sinks: [accounts(), transfers({ type: 'uuid', references: 'acounts' })] })).to.equal(
        'sinks[1].columns.account_id.references: no sink in this file loads table "acounts"',
      );
    });

    it('refuses a reference to its own table', () => {
      expect(onlyProblem({ sinks: [accounts(), transfers({ type: 'uuid', references: 'transfers' })] })).to.equal(
        'sinks[1].columns.account_id.references: a table cannot be its own parent',
      );
    });

    it('refuses a parent column that is not in its key, or not a column at all', () => {
      expect(
        onlyProblem({ sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', column: 'owner' } })] }),
      ).to.equal(`sinks[1].columns.account_id.references.column: "owner" is not in accounts's key`);
      expect(onlyProblem({ sinks: [accounts(), transfers({ type: 'uuid', references: { table: 'accounts', column: 'nope' } })] })).to.equal(
        'sinks[1].columns.account_id.references.column: "nope" is not a column of accounts',
      );
    });

    it('refuses a column of another type than the parent key', () => {
      expect(onlyProblem({ sinks: [accounts(), transfers({ type: 'bigint', references: 'accounts' })] })).to.equal(
        'sinks[1].columns.account_id.references: bigint cannot reference accounts.id (uuid)',
      );
    });

    it('needs the column of a composite parent key', () => {
      const parent = accounts({ key: ['region', 'id'], columns: { region: 'text', id: 'uuid' } });
      expect(onlyProblem({ sinks: [parent, transfers()] })).to.equal(
        `sinks[1].columns.account_id.references.column: the parent's key has 2 columns; name the one this column holds`,
      );
      const m = resolved({ sinks: [parent, transfers({ type: 'uuid', references: { table: 'accounts', column: 'id' } })] });
      expect(column(m.sinks[1] as SinkDeclaration, 'account_id').references?.parentColumn).to.equal('id');
    });

    it('refuses cascade-delete unless both tables delete softly', () => {
      const cascade = { type: 'uuid', references: { table: 'accounts', 'cascade-delete': true } };
      const problem = 'sinks[1].columns.account_id.references.cascade-delete: needs a soft delete on both accounts and transfers';
      expect(onlyProblem({ sinks: [accounts(), transfers(cascade, soft)] })).to.equal(problem);
      expect(onlyProblem({ sinks: [accounts(soft), transfers(cascade)] })).to.equal(problem);
      expect(onlyProblem({ sinks: [accounts(), transfers(cascade)] })).to.equal(problem);
      const m = resolved({ sinks: [accounts(soft), transfers(cascade, soft)] });
      expect(column(m.sinks[1] as SinkDeclaration, 'account_id').references?.cascadeDelete).to.equal(true);
    });

    it("finds a parent in another schema, and takes the parent's schema", () => {
      const parent = accounts({ table: 'ledger.accounts' });
      for (const table of ['ledger.accounts', 'accounts']) {
        const m = resolved({ sinks: [parent, transfers({ type: 'uuid', references: table })] });
        expect(column(m.sinks[1] as SinkDeclaration, 'account_id').references).to.deep.include({
          parentTable: 'accounts',
          parentSchema: 'ledger',
          parentColumn: 'id',
        });
      }
      expect(onlyProblem({ sinks: [parent, transfers({ type: 'uuid', references: 'audit.accounts' })] })).to.equal(
        'sinks[1].columns.account_id.references: no sink in this file loads table "audit.accounts"',
      );
    });

    it('reports a refused parent key column once, at the parent', () => {
      const parent = accounts({ columns: { id: 'uuid4' } });
      expect(onlyProblem({ sinks: [parent, transfers()] })).to.match(/^sinks\[0\]\.columns\.id: "uuid4" is not a supported type/);
    });
  });

  describe('defaults', () => {
    it('renders booleans and numbers as SQL literals, on columns of their type only', () => {
      expect(defaultOf('boolean', false)).to.equal('false');
      expect(defaultOf('integer', 0)).to.equal('0');
      expect(defaultOf('numeric(10,2)', -1.5)).to.equal('-1.5');
      expect(defaultOf('double precision', 0.25)).to.equal('0.25');
      expect(onlyProblem(withColumns({ c: { type: 'integer', default: true } }))).to.equal(
        'sinks[0].columns.c.default: a boolean is a default only for boolean columns',
      );
      expect(onlyProblem(withColumns({ c: { type: 'text', default: 0 } }))).to.equal(
        'sinks[0].columns.c.default: a number is a default only for numeric columns',
      );
    });

    it("quotes strings as a literal of the column's type, never as SQL", () => {
      expect(defaultOf('text', "it's")).to.equal(`'it''s'::text`);
      expect(defaultOf('varchar(20)', 'new')).to.equal(`'new'::varchar(20)`);
      expect(defaultOf('date', '2020-01-01')).to.equal(`'2020-01-01'::date`);
      expect(defaultOf('integer', '5')).to.equal(`'5'::integer`);
      expect(defaultOf('text', `'); DROP TABLE accounts; --`)).to.equal(`'''); DROP TABLE accounts; --'::text`);
    });

    it('takes the clock words of date and time columns, whatever their case', () => {
      expect(defaultOf('timestamptz', 'CURRENT_TIMESTAMP')).to.equal('CURRENT_TIMESTAMP');
      expect(defaultOf('timestamptz', 'current_timestamp')).to.equal('CURRENT_TIMESTAMP');
      expect(defaultOf('timestamptz', 'NOW()')).to.equal('now()');
      expect(defaultOf('timestamp', 'localtimestamp')).to.equal('LOCALTIMESTAMP');
      expect(defaultOf('date', 'current_date')).to.equal('CURRENT_DATE');
      expect(defaultOf('time', 'LocalTime')).to.equal('LOCALTIME');
    });

    it('refuses a clock word on a column it is not a clock of', () => {
      expect(onlyProblem(withColumns({ c: { type: 'integer', default: 'CURRENT_TIMESTAMP' } }))).to.equal(
        'sinks[0].columns.c.default: "CURRENT_TIMESTAMP" is a default only for date and time columns',
      );
      expect(onlyProblem(withColumns({ c: { type: 'timestamptz', default: 'CURRENT_DATE' } }))).to.equal(
        'sinks[0].columns.c.default: "CURRENT_DATE" is not a timestamptz clock (accepted: CURRENT_TIMESTAMP, now())',
      );
    });

    it("refuses 'now' and its kin on a time column: Postgres would fix the table's creation time as the default", () => {
      expect(onlyProblem(withColumns({ c: { type: 'timestamptz', default: 'now' } }))).to.equal(
        'sinks[0].columns.c.default: "now" would be the time the table was created, for every row; use CURRENT_TIMESTAMP or now()',
      );
      expect(onlyProblem(withColumns({ c: { type: 'date', default: 'Today' } }))).to.equal(
        'sinks[0].columns.c.default: "Today" would be the time the table was created, for every row; use CURRENT_DATE',
      );
      expect(defaultOf('text', 'now')).to.equal(`'now'::text`);
    });
  });

  describe('tables', () => {
    it('splits schema.table, and takes a separate schema', () => {
      const m = resolved({
        sinks: [
          accounts({ table: 'ledger.accounts' }),
          transfers(undefined, { table: 'transfers', schema: 'ledger' }),
          accounts({ topic: 'c', table: 'c' }),
        ],
      });
      expect(m.sinks.map((s) => [s.schema, s.table])).to.deep.equal([
        ['ledger', 'accounts'],
        ['ledger', 'transfers'],
        [undefined, 'c'],
      ]);
    });

    it('resolves a sink with its defaults', () => {
      expect(resolved({ sinks: [accounts()] }).sinks[0]).to.deep.include({
        name: 'accounts',
        topic: 'accounts',
        format: 'seed',
        createTable: false,
        delete: 'hard',
        truncate: false,
        unavailableValue: DEBEZIUM_UNAVAILABLE_VALUE,
      });
    });
  });

  describe('reporting', () => {
    it('reports every problem of the file at once', () => {
      const shape = { sinks: [accounts({ format: 'avro' }), transfers('uuid', { 'create-table': 'yes' })] };
      expect(problemsOf(shape)).to.deep.equal([
        'sinks[0].format: must be one of "seed", "debezium"',
        'sinks[1].create-table: must be boolean',
      ]);
      const semantic = { sinks: [accounts({ key: ['uid'] }), transfers({ type: 'uuid', references: 'nowhere' })] };
      expect(problemsOf(semantic)).to.deep.equal([
        'sinks[0].key: column "uid" is not among sinks[0].columns',
        'sinks[1].columns.account_id.references: no sink in this file loads table "nowhere"',
      ]);
    });

    it("keeps a sink's own problem when one of its columns is also wrong", () => {
      const sink = accounts({ columns: { id: 'uuid', balance: { type: 'numeric', nulable: true } } });
      delete sink.topic;
      expect(problemsOf({ sinks: [sink] })).to.deep.equal([
        'sinks[0]: missing required key "topic" (or "topic-pattern")',
        `sinks[0].columns.balance: unknown key "nulable" (accepted: ${COLUMN_KEYS})`,
      ]);
    });
  });

  describe('the shipped mappings', () => {
    it('loads seed.yaml with its users and orders', () => {
      const m = shippedMapping('seed');
      expect(m.source).to.equal('the shipped seed mapping (lib/sinks/mappings/seed.yaml)');
      const [users, orders] = m.sinks as [SinkDeclaration, SinkDeclaration];
      expect([users.name, users.table, users.format, users.createTable]).to.deep.equal(['users', 'users', 'seed', true]);
      expect(users.delete).to.deep.equal({ soft: 'is_deleted', declared: false });
      expect(column(users, 'id').field).to.equal('user_id');
      expect(column(users, 'modified_at')).to.deep.include({ onCreate: 'created_at', defaultSql: 'CURRENT_TIMESTAMP' });
      expect(column(users, 'name').type.sql).to.equal('varchar(50)');
      expect(column(orders, 'user_id').references).to.deep.equal({
        parentTable: 'users',
        parentSchema: undefined,
        parentColumn: 'id',
        cascadeDelete: true,
        foreignKey: true,
        orphanCode: 'ORPHAN_ORDER',
      });
      expect(column(orders, 'total_amount')).to.deep.include({ field: 'order_total', min: 0 });
      expect(column(orders, 'total_amount').type).to.deep.equal({ kind: 'numeric', precision: 10, scale: 2, sql: 'numeric(10,2)' });
      expect(column(orders, 'status').minLength).to.equal(1);
    });

    it('loads seed-debezium.yaml', () => {
      const [users, orders] = shippedMapping('seed-debezium').sinks as [SinkDeclaration, SinkDeclaration];
      expect([users.format, orders.format]).to.deep.equal(['debezium', 'debezium']);
      expect(users.delete).to.deep.equal({ soft: 'is_deleted', declared: true });
      expect(column(orders, 'user_id').references).to.deep.include({ parentTable: 'users', parentColumn: 'id', cascadeDelete: true });
    });

    it('is what a consumer runs without --sinks', () => {
      expect(loadMapping(undefined)).to.deep.equal(shippedMapping('seed'));
    });
  });

  describe('loadMappingFile', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cdc-mapping-test-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('names the file it cannot read', () => {
      const path = join(dir, 'missing.yaml');
      expect(mappingErrorOf(() => loadMappingFile(path)).message).to.match(
        new RegExp(`^${escaped(path)}: cannot read the mapping file: ENOENT`),
      );
      expect(mappingErrorOf(() => loadMappingFile(path, 'sinks.yaml')).message).to.match(/^sinks\.yaml: cannot read/);
      expect(mappingErrorOf(() => loadMappingFile(dir)).message).to.match(/: cannot read the mapping file: EISDIR/);
    });

    it('refuses a file that is not YAML', () => {
      const path = file('bad.yaml', 'sinks:\n  - topic: [users\n');
      expect(mappingErrorOf(() => loadMappingFile(path)).message).to.match(new RegExp(`^${escaped(path)}: not valid YAML or JSON: `));
    });

    it('refuses duplicate keys, which YAML would otherwise resolve silently', () => {
      const path = file(
        'dup.yaml',
        'sinks:\n  - topic: users\n    table: users\n    table: people\n    key: [id]\n    columns: { id: uuid }\n',
      );
      expect(mappingErrorOf(() => loadMappingFile(path)).message).to.match(
        new RegExp(`^${escaped(path)}: not valid YAML or JSON: .*unique`, 's'),
      );
    });

    it('accepts JSON', () => {
      const path = file('sinks.json', JSON.stringify({ sinks: [accounts()] }));
      const m = loadMappingFile(path);
      expect(m.source).to.equal(path);
      expect(m.sinks.map((s) => s.table)).to.deep.equal(['accounts']);
    });

    it('reads YAML with flow-style columns, and names the file in its problems', () => {
      const yaml = [
        'sinks:',
        '  - topic: accounts',
        '    table: accounts',
        '    key: [id]',
        '    columns:',
        '      id: { type: uuid }',
        "      balance: { type: 'numeric(12,2)', min: 0 }",
        '      owner: money',
        '',
      ].join('\n');
      const path = file('sinks.yaml', yaml);
      expect(mappingErrorOf(() => loadMappingFile(path)).message).to.equal(
        `${path}: invalid mapping:\n  sinks[0].columns.owner: "money" is not a supported type (accepted: ${ACCEPTED_TYPES})`,
      );
      writeFileSync(path, yaml.replace('money', 'uuid'));
      expect(column(loadMappingFile(path).sinks[0] as SinkDeclaration, 'balance').min).to.equal(0);
    });

    it('refuses an empty file', () => {
      const path = file('empty.yaml', '');
      expect(mappingErrorOf(() => loadMappingFile(path)).message).to.equal(`${path}: invalid mapping:\n  (top level): must be object`);
    });
  });

  describe('selectSinks', () => {
    const mapping = resolved({ sinks: [accounts({ name: 'acc' }), transfers()] });

    const invalidOption = (topics: string[]): InvalidOptionError => {
      try {
        selectSinks(mapping, topics);
      } catch (err) {
        expect(err).to.be.instanceOf(InvalidOptionError);
        expect((err as InvalidOptionError).option).to.equal('--topics');
        return err as InvalidOptionError;
      }
      return expect.fail('expected InvalidOptionError');
    };

    it('runs every sink on its own topic by default', () => {
      expect([...selectSinks(mapping, undefined).whole]).to.deep.equal([
        ['accounts', 'acc'],
        ['transfers', 'transfers'],
      ]);
    });

    it('selects sinks by name', () => {
      expect([...selectSinks(mapping, ['transfers']).whole]).to.deep.equal([['transfers', 'transfers']]);
      expect([...selectSinks(mapping, ['acc']).whole]).to.deep.equal([['accounts', 'acc']]);
    });

    it('reads another topic with name=topic', () => {
      expect([...selectSinks(mapping, ['acc=accounts.v2', 'transfers']).whole]).to.deep.equal([
        ['accounts.v2', 'acc'],
        ['transfers', 'transfers'],
      ]);
    });

    it('refuses an unknown name, listing the sinks', () => {
      expect(invalidOption(['accounts']).message).to.equal(
        'invalid --topics entry "accounts": expected a sink of test.yaml (acc, transfers) or sink=topic',
      );
      expect(invalidOption(['acc=']).message).to.match(/^invalid --topics entry "acc=":/);
      expect(invalidOption(['acc=bad topic']).message).to.match(/^invalid --topics entry "acc=bad topic":/);
    });

    it('refuses the same topic twice', () => {
      expect(invalidOption(['acc', 'transfers=accounts']).message).to.equal('invalid --topics: topic "accounts" is given twice');
      expect(invalidOption(['acc', 'acc']).message).to.equal('invalid --topics: topic "accounts" is given twice');
    });
  });
  describe('requireSchemaRegistry', () => {
    const mapping = resolved({
      sinks: [accounts({ format: 'debezium', encoding: 'avro' }), transfers(undefined, { format: 'debezium' })],
    });
    const invalidOption = (topics: string[] | undefined, url: string | undefined): unknown => {
      try {
        requireSchemaRegistry(mapping, selectSinks(mapping, topics), url);
        return undefined;
      } catch (err) {
        return err;
      }
    };

    it('refuses a selected Avro sink without a registry, naming the sink and the option', () => {
      const err = invalidOption(undefined, undefined) as InvalidOptionError;
      expect(err).to.be.instanceOf(InvalidOptionError);
      expect(err.option).to.equal('--schema-registry');
      expect(err.message).to.equal(
        'sink "accounts" of test.yaml has encoding: avro, whose schemas are read from a schema registry: give --schema-registry URL (env CDC_SCHEMA_REGISTRY_URL)',
      );
    });

    it('takes a registry, or no Avro sink selected', () => {
      expect(invalidOption(undefined, 'http://localhost:8081')).to.equal(undefined);
      expect(invalidOption(['transfers'], undefined)).to.equal(undefined);
    });
  });
});
