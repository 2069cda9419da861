import { expect } from 'chai';
import { COPY_TEXT_NULL, copyField } from '../../lib/sinks/copy-text.js';
import type { StagedRow } from '../../lib/sinks/fold.js';
import { ordersSink, usersSink } from './seed-adapter.js';

/**
 * A reader of one COPY text-format line as Postgres' CopyReadAttributesText reads it: fields split on
 * raw tabs; a field that is exactly `\N` is NULL; backslash escapes \b \f \n \r \t \v, octal \ooo,
 * hex \xhh, and any other escaped character stands for itself.
 */
function readCopyLine(line: string): (string | null)[] {
  expect(line.endsWith('\n'), 'line ends in a newline').to.equal(true);
  const body = line.slice(0, -1);
  expect(body, 'no raw newline or CR inside a line').to.not.match(/[\n\r]/);
  return body.split('\t').map((field) => {
    if (field === '\\N') return null;
    let out = '';
    for (let i = 0; i < field.length; i++) {
      const ch = field[i];
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = field[++i];
      expect(next, `dangling backslash in ${JSON.stringify(field)}`).to.not.equal(undefined);
      const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
      if (next in simple) out += simple[next];
      else if (/[0-7]/.test(next)) {
        let digits = next;
        while (digits.length < 3 && /[0-7]/.test(field[i + 1] ?? '')) digits += field[++i];
        out += String.fromCharCode(Number.parseInt(digits, 8));
      } else if (next === 'x' && /[0-9a-fA-F]/.test(field[i + 1] ?? '')) {
        let digits = field[++i];
        if (/[0-9a-fA-F]/.test(field[i + 1] ?? '')) digits += field[++i];
        out += String.fromCharCode(Number.parseInt(digits, 16));
      } else out += next;
    }
    return out;
  });
}

const TRICKY = [
  '',
  'plain',
  'tab\there',
  'new\nline',
  'carriage\rreturn',
  'crlf\r\n',
  'back\\slash',
  '\\',
  '\\\\',
  '\\N',
  'N',
  '\\.',
  '.',
  '\\t', // a backslash then a t: must not become a tab
  '\\n',
  '\\x41',
  '\\101',
  'trailing backslash\\',
  '\t\n\r\\',
  '\u{1F600} emoji, Zoë, 山田',
  '\u0001\u0008\u000b\u000c\u007f', // other control characters go through raw
  '\u2028\u2029',
];

describe('sinks/copy-text', () => {
  describe('copyField', () => {
    it('writes null as \\N, booleans as t/f, numbers as digits', () => {
      expect(copyField(null)).to.equal('\\N');
      expect(COPY_TEXT_NULL).to.equal('\\N');
      expect(copyField(true)).to.equal('t');
      expect(copyField(false)).to.equal('f');
      expect(copyField(42)).to.equal('42');
      expect(copyField(2147483647)).to.equal('2147483647');
      expect(copyField(0)).to.equal('0');
    });

    it('escapes backslash, tab, newline and carriage return', () => {
      expect(copyField('a\tb')).to.equal('a\\tb');
      expect(copyField('a\nb')).to.equal('a\\nb');
      expect(copyField('a\rb')).to.equal('a\\rb');
      expect(copyField('a\\b')).to.equal('a\\\\b');
      expect(copyField('\t\n\r\\')).to.equal('\\t\\n\\r\\\\');
      expect(copyField('x\t\ty')).to.equal('x\\t\\ty');
    });

    it('keeps a string \\N or \\. from reading as NULL or end of data', () => {
      expect(copyField('\\N')).to.equal('\\\\N');
      expect(copyField('\\.')).to.equal('\\\\.');
      expect(copyField('\\N')).to.not.equal(copyField(null));
    });

    it('writes the empty string as nothing, distinct from NULL', () => {
      expect(copyField('')).to.equal('');
    });

    it('passes every other character through raw, including non-BMP and other control characters', () => {
      for (const s of ['plain', '\u{1F600}', 'Zoë', '\u0001\u0008\u000b\u000c\u007f', '\u2028', 'N', '.']) {
        expect(copyField(s)).to.equal(s);
      }
    });

    it('round-trips tricky strings through a COPY text reader', () => {
      for (const s of TRICKY) {
        expect(readCopyLine(`${copyField(s)}\n`), JSON.stringify(s)).to.deep.equal([s]);
      }
      expect(readCopyLine(`${copyField(null)}\t${copyField('\\N')}\n`)).to.deep.equal([null, '\\N']);
    });

    it('never produces the end-of-data marker line', () => {
      for (const s of TRICKY) expect(`${copyField(s)}\n`).to.not.equal('\\.\n');
    });
  });

  describe('staging rows of the seed mapping (cdc_row, cdc_kind, cdc_mask, cdc_cascade, then the columns)', () => {
    it('the staging tables: the engine columns, then the columns in file order, soft-delete flag last', () => {
      expect(usersSink.sql.createStage).to.equal(
        'CREATE TEMP TABLE IF NOT EXISTS pg_temp."cdc_stage_0" (cdc_row int, cdc_kind text, cdc_mask text, cdc_cascade boolean, ' +
          '"id" uuid, "name" varchar(50), "dob" date, "created_at" timestamptz, "modified_at" timestamptz, "is_deleted" boolean); ANALYZE pg_temp."cdc_stage_0"',
      );
      expect(ordersSink.sql.copy).to.equal(
        'COPY pg_temp."cdc_stage_1" (cdc_row, cdc_kind, cdc_mask, cdc_cascade, "id", "status", "user_id", "quantity", "total_amount", "placed_at", "modified_at", "is_deleted") FROM STDIN',
      );
    });

    const user: StagedRow = {
      kind: 'full',
      values: [
        '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f',
        'ann\tlee',
        '1984-06-12',
        '2025-07-01T12:34:56.123456789+05:30',
        '2025-07-02T00:00:00Z',
        false,
      ],
      set: undefined,
      cascade: true,
    };

    it('writes one line per row, the row number first', () => {
      expect(usersSink.encodeRow(user, 7)).to.equal(
        '7\tfull\t\\N\tt\t6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f\tann\\tlee\t1984-06-12\t2025-07-01T12:34:56.123456789+05:30\t2025-07-02T00:00:00Z\tf\n',
      );
    });

    it('writes a patch row with its set mask and nulls as \\N', () => {
      const patch: StagedRow = {
        kind: 'patch',
        values: ['a3bb189e-8bf9-3888-9912-ace4e6543002', 'CANCELLED', null, null, null, null, '2025-07-01T12:34:56.123456789Z', true],
        set: Uint8Array.from([1, 1, 0, 0, 0, 0, 1, 1]),
        cascade: false,
      };
      expect(ordersSink.encodeRow(patch, 0)).to.equal(
        '0\tpatch\t11000011\tf\ta3bb189e-8bf9-3888-9912-ace4e6543002\tCANCELLED\t\\N\t\\N\t\\N\t\\N\t2025-07-01T12:34:56.123456789Z\tt\n',
      );
    });

    it('writes numbers and decimal text unchanged', () => {
      const order: StagedRow = {
        kind: 'full',
        values: [
          'a3bb189e-8bf9-3888-9912-ace4e6543002',
          'PLACED',
          '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f',
          7,
          '1234.5678901234567890123',
          'x',
          'x',
          false,
        ],
        set: undefined,
        cascade: false,
      };
      expect(readCopyLine(ordersSink.encodeRow(order, 3)).slice(7, 9)).to.deep.equal(['7', '1234.5678901234567890123']);
    });

    it('round-trips tricky names and statuses, one field per column', () => {
      for (const name of TRICKY) {
        const fields = readCopyLine(usersSink.encodeRow({ ...user, values: [user.values[0] as string, name, ...user.values.slice(2)] }, 1));
        expect(fields, JSON.stringify(name)).to.have.length(4 + usersSink.layout.columns.length);
        expect(fields[5], JSON.stringify(name)).to.equal(name);
        expect(fields[3]).to.equal('t');
        const order: StagedRow = { kind: 'full', values: ['o', name, 'u', 1, '1', 't', 't', false], set: undefined, cascade: false };
        expect(readCopyLine(ordersSink.encodeRow(order, 2))[5], JSON.stringify(name)).to.equal(name);
      }
    });
  });
});
