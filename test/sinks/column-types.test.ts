import { expect } from 'chai';
import { ACCEPTED_TYPES, type ColumnType, incompatibility, parseColumnType } from '../../lib/sinks/column-types.js';

function parsed(text: string): ColumnType {
  const t = parseColumnType(text);
  if (typeof t === 'string') return expect.fail(`${text}: ${t}`);
  return t;
}

function refusal(text: string): string {
  const t = parseColumnType(text);
  if (typeof t !== 'string') return expect.fail(`${text} parsed as ${JSON.stringify(t)}`);
  return t;
}

describe('sinks/column-types', () => {
  describe('parseColumnType', () => {
    const aliases: [string, string][] = [
      ['smallint', 'smallint'],
      ['int2', 'smallint'],
      ['integer', 'integer'],
      ['int', 'integer'],
      ['int4', 'integer'],
      ['bigint', 'bigint'],
      ['int8', 'bigint'],
      ['numeric', 'numeric'],
      ['decimal', 'numeric'],
      ['real', 'real'],
      ['float4', 'real'],
      ['double precision', 'double precision'],
      ['float8', 'double precision'],
      ['boolean', 'boolean'],
      ['bool', 'boolean'],
      ['text', 'text'],
      ['varchar', 'varchar'],
      ['character varying', 'varchar'],
      ['uuid', 'uuid'],
      ['date', 'date'],
      ['timestamp', 'timestamp'],
      ['timestamp without time zone', 'timestamp'],
      ['timestamptz', 'timestamptz'],
      ['timestamp with time zone', 'timestamptz'],
      ['time', 'time'],
      ['time without time zone', 'time'],
      ['jsonb', 'jsonb'],
      ['json', 'json'],
      ['bytea', 'bytea'],
    ];
    for (const [alias, sql] of aliases) {
      it(`reads ${alias} as ${sql}`, () => {
        expect(parsed(alias)).to.deep.equal({ kind: sql, sql });
      });
    }

    it('reads the modifiers of varchar and numeric into the canonical spelling', () => {
      expect(parsed('varchar(255)')).to.deep.equal({ kind: 'varchar', length: 255, sql: 'varchar(255)' });
      expect(parsed('character varying(20)')).to.deep.equal({ kind: 'varchar', length: 20, sql: 'varchar(20)' });
      expect(parsed('numeric(12,2)')).to.deep.equal({ kind: 'numeric', precision: 12, scale: 2, sql: 'numeric(12,2)' });
      expect(parsed('decimal(12,2)')).to.deep.equal({ kind: 'numeric', precision: 12, scale: 2, sql: 'numeric(12,2)' });
      // Postgres' own reading: numeric(p) is numeric(p,0).
      expect(parsed('numeric(10)')).to.deep.equal({ kind: 'numeric', precision: 10, scale: 0, sql: 'numeric(10,0)' });
      expect(parsed('numeric(1000,1000)').sql).to.equal('numeric(1000,1000)');
      expect(parsed('varchar(10485760)').sql).to.equal('varchar(10485760)');
    });

    it('takes one-dimensional arrays of the scalar types, and no arrays of arrays', () => {
      expect(parsed('integer[]')).to.deep.equal({ kind: 'array', element: { kind: 'integer', sql: 'integer' }, sql: 'integer[]' });
      expect(parsed('varchar(10)[]').sql).to.equal('varchar(10)[]');
      expect(refusal('integer[][]')).to.equal('"integer[][]": arrays of arrays are not supported');
    });

    it('ignores case and spacing', () => {
      expect(parsed('  INT4 ').sql).to.equal('integer');
      expect(parsed('Double   Precision').sql).to.equal('double precision');
      expect(parsed('TIMESTAMP WITH TIME ZONE').sql).to.equal('timestamptz');
      expect(parsed('timestamp\twith\ntime zone').sql).to.equal('timestamptz');
      expect(parsed('Character Varying (20)').sql).to.equal('varchar(20)');
      expect(parsed('NUMERIC( 12 , 2 )').sql).to.equal('numeric(12,2)');
    });

    it('refuses an unknown type, listing the accepted ones', () => {
      for (const text of ['money', 'float', 'serial', 'point[]', 'geometry', 'point', '', 'varchar(', 'numeric(,2)', 'int4 primary key']) {
        expect(refusal(text)).to.equal(`${JSON.stringify(text)} is not a supported type (accepted: ${ACCEPTED_TYPES})`);
      }
    });

    it('takes bit(n) (bare bit is bit(1)) and bit varying(n) or varbit (bare: no limit), as Postgres does', () => {
      expect(parsed('bit(8)')).to.deep.equal({ kind: 'bit', length: 8, sql: 'bit(8)' });
      expect(parsed('bit')).to.deep.equal({ kind: 'bit', length: 1, sql: 'bit(1)' });
      expect(parsed('BIT VARYING(12)')).to.deep.equal({ kind: 'varbit', length: 12, sql: 'bit varying(12)' });
      expect(parsed('varbit(3)').sql).to.equal('bit varying(3)');
      expect(parsed('varbit')).to.deep.equal({ kind: 'varbit', sql: 'bit varying' });
      expect(parsed('bit varying(5)[]').sql).to.equal('bit varying(5)[]');
      expect(refusal('bit(0)')).to.equal('"bit(0)": length must be 1..83886080');
      expect(refusal('varbit(83886081)')).to.equal('"varbit(83886081)": length must be 1..83886080');
      expect(refusal('bit(3,1)')).to.equal('"bit(3,1)": bit takes one length');
    });

    it('refuses modifiers out of Postgres range', () => {
      expect(refusal('numeric(0)')).to.equal('"numeric(0)": precision must be 1..1000');
      expect(refusal('numeric(1001)')).to.equal('"numeric(1001)": precision must be 1..1000');
      expect(refusal('numeric(5,6)')).to.equal('"numeric(5,6)": scale must be 0..precision');
      expect(refusal('numeric(5,-1)')).to.equal('"numeric(5,-1)": scale must be 0..precision');
      expect(refusal('varchar(0)')).to.equal('"varchar(0)": length must be 1..10485760');
      expect(refusal('varchar(10485761)')).to.equal('"varchar(10485761)": length must be 1..10485760');
      expect(refusal('varchar(10,2)')).to.equal('"varchar(10,2)": varchar takes one length, varchar(n)');
    });

    it('refuses modifiers on types that take none', () => {
      expect(refusal('int(4)')).to.equal('"int(4)": integer takes no modifier');
      expect(refusal('uuid(3)')).to.equal('"uuid(3)": uuid takes no modifier');
      expect(refusal('timestamptz(3,1)')).to.equal('"timestamptz(3,1)": timestamptz takes one precision, timestamptz(p)');
      expect(refusal('text(10)')).to.equal('"text(10)": text takes no modifier');
    });
  });

  describe('incompatibility', () => {
    const check = (declared: string, existing: string) => incompatibility(parsed(declared), existing);

    it('accepts the same type, however the catalog spells it', () => {
      const same: [string, string][] = [
        ['varchar(50)', 'character varying(50)'],
        ['varchar', 'character varying'],
        ['timestamptz', 'timestamp with time zone'],
        ['timestamp', 'timestamp without time zone'],
        ['time', 'time without time zone'],
        ['numeric(10,2)', 'numeric(10,2)'],
        ['numeric', 'numeric'],
        ['double precision', 'double precision'],
        ['float8', 'double precision'],
        ['integer', 'integer'],
        ['uuid', 'uuid'],
        ['boolean', 'boolean'],
        ['jsonb', 'jsonb'],
        ['bytea', 'bytea'],
        ['bit(8)', 'bit(8)'],
        ['varbit(8)', 'bit varying(8)'],
        ['varbit', 'bit varying'],
      ];
      for (const [declared, existing] of same) expect(check(declared, existing), `${declared} in ${existing}`).to.equal(undefined);
    });

    it('accepts a wider existing column', () => {
      const wider: [string, string][] = [
        ['smallint', 'integer'],
        ['integer', 'bigint'],
        ['integer', 'numeric'],
        ['bigint', 'numeric'],
        ['varchar(50)', 'character varying(100)'],
        ['varchar(50)', 'character varying'],
        ['varchar(50)', 'text'],
        ['varchar', 'text'],
        ['numeric(10,2)', 'numeric'],
        ['numeric(10,2)', 'numeric(12,2)'],
        ['real', 'double precision'],
        ['json', 'jsonb'],
        ['bit(8)', 'bit varying(8)'],
        ['bit(8)', 'bit varying'],
        ['varbit(8)', 'bit varying(10)'],
        ['char(4)', 'character varying(4)'],
      ];
      for (const [declared, existing] of wider) expect(check(declared, existing), `${declared} in ${existing}`).to.equal(undefined);
    });

    it('refuses a narrower existing column', () => {
      expect(check('varchar(100)', 'character varying(50)')).to.equal(
        'has type character varying(50), narrower than the declared varchar(100)',
      );
      expect(check('varchar', 'character varying(50)')).to.equal('has type character varying(50), narrower than the declared varchar');
      expect(check('text', 'character varying(50)')).to.equal('has type character varying(50), declared text');
      expect(check('bigint', 'integer')).to.equal('has type integer, declared bigint');
      expect(check('integer', 'smallint')).to.equal('has type smallint, declared integer');
      expect(check('double precision', 'real')).to.equal('has type real, declared double precision');
      expect(check('numeric', 'numeric(10,2)')).to.equal('has type numeric(10,2), narrower than the declared numeric');
      expect(check('integer', 'numeric(5,0)')).to.equal('has type numeric(5,0), narrower than the declared integer');
      expect(check('varbit(10)', 'bit varying(8)')).to.equal('has type bit varying(8), narrower than the declared bit varying(10)');
      expect(check('varbit', 'bit varying(8)')).to.equal('has type bit varying(8), narrower than the declared bit varying');
      expect(check('bit(10)', 'bit varying(8)')).to.equal('has type bit varying(8), narrower than the declared bit(10)');
      expect(check('char(4)', 'character varying(2)')).to.equal('has type character varying(2), narrower than the declared char(4)');
      // bit(n) takes n bits exactly, so neither a longer nor a shorter bit(m) holds bit(n)'s values.
      expect(check('bit(8)', 'bit(10)')).to.equal('has type bit(10), declared bit(8)');
      expect(check('bit(10)', 'bit(8)')).to.equal('has type bit(8), declared bit(10)');
      expect(check('varbit(8)', 'bit(8)')).to.equal('has type bit(8), declared bit varying(8)');
    });

    it('refuses a numeric that would round or overflow the declared values', () => {
      expect(check('numeric(12,2)', 'numeric(10,2)')).to.equal(
        'has type numeric(10,2), which would round or refuse values of the declared numeric(12,2)',
      );
      expect(check('numeric(10,2)', 'numeric(10,3)')).to.equal(
        'has type numeric(10,3), which would round or refuse values of the declared numeric(10,2)',
      );
      expect(check('numeric(10,2)', 'numeric(10,1)')).to.equal(
        'has type numeric(10,1), which would round or refuse values of the declared numeric(10,2)',
      );
    });

    it('refuses another kind', () => {
      expect(check('text', 'uuid')).to.equal('has type uuid, declared text');
      expect(check('uuid', 'text')).to.equal('has type text, declared uuid');
      expect(check('timestamptz', 'timestamp without time zone')).to.equal('has type timestamp without time zone, declared timestamptz');
      expect(check('timestamp', 'timestamp with time zone')).to.equal('has type timestamp with time zone, declared timestamp');
      expect(check('jsonb', 'json')).to.equal('has type json, declared jsonb');
      expect(check('date', 'timestamp with time zone')).to.equal('has type timestamp with time zone, declared date');
      expect(check('boolean', 'smallint')).to.equal('has type smallint, declared boolean');
    });

    it('refuses a catalog type it does not load', () => {
      expect(check('text', 'geometry')).to.equal('has type geometry, which cdc-pipeline does not load (declared text)');
      // A text column's values do not fit a fixed-length char column: it would pad or refuse them.
      expect(check('text', 'character(10)')).to.equal('has type character(10), declared text');
      expect(check('integer', 'point[]')).to.equal('has type point[], which cdc-pipeline does not load (declared integer)');
      // An array holds the element type's values, wider elements too; a scalar column does not.
      expect(check('integer', 'integer[]')).to.equal('has type integer[], declared integer');
      expect(check('integer[]', 'bigint[]')).to.equal(undefined);
      expect(check('bigint[]', 'integer[]')).to.equal('has type integer[], declared bigint[]');
    });
  });
});
