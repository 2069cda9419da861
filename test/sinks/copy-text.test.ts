import { expect } from 'chai';
import {
  COPY_TEXT_NULL,
  columnDefinitions,
  columnNames,
  copyField,
  encodeOrderStageRow,
  encodeUserStageRow,
  ORDER_STAGE_COLUMNS,
  USER_STAGE_COLUMNS,
} from '../../lib/sinks/copy-text.js';
import type { OrderStageRow, UserStageRow } from '../../lib/sinks/types.js';

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

  describe('stage columns', () => {
    it('USER_STAGE_COLUMNS: fixed names and types, in order', () => {
      expect(USER_STAGE_COLUMNS.map((c) => `${c.name} ${c.type}`)).to.deep.equal([
        'id uuid',
        'kind text',
        'name text',
        'dob date',
        'created_at timestamptz',
        'modified_at timestamptz',
        'is_deleted boolean',
        'cascade boolean',
      ]);
    });

    it('ORDER_STAGE_COLUMNS: fixed names and types, in order', () => {
      expect(ORDER_STAGE_COLUMNS.map((c) => `${c.name} ${c.type}`)).to.deep.equal([
        'id uuid',
        'kind text',
        'status text',
        'user_id uuid',
        'quantity integer',
        'total_amount numeric',
        'placed_at timestamptz',
        'modified_at timestamptz',
        'is_deleted boolean',
      ]);
    });

    it('are frozen', () => {
      expect(Object.isFrozen(USER_STAGE_COLUMNS)).to.equal(true);
      expect(Object.isFrozen(ORDER_STAGE_COLUMNS)).to.equal(true);
      expect(Object.isFrozen(USER_STAGE_COLUMNS[0])).to.equal(true);
    });

    it('render as SQL column lists, names quoted', () => {
      expect(columnNames(USER_STAGE_COLUMNS)).to.equal('"id", "kind", "name", "dob", "created_at", "modified_at", "is_deleted", "cascade"');
      expect(columnDefinitions(ORDER_STAGE_COLUMNS)).to.equal(
        '"id" uuid, "kind" text, "status" text, "user_id" uuid, "quantity" integer, "total_amount" numeric, ' +
          '"placed_at" timestamptz, "modified_at" timestamptz, "is_deleted" boolean',
      );
    });
  });

  describe('encodeUserStageRow', () => {
    const row: UserStageRow = {
      id: '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f',
      kind: 'full',
      name: 'ann\tlee',
      dob: '1984-06-12',
      createdAt: '2025-07-01T12:34:56.123456789+05:30',
      modifiedAt: '2025-07-02T00:00:00Z',
      isDeleted: false,
      cascade: true,
    };

    it('writes one line in USER_STAGE_COLUMNS order', () => {
      expect(encodeUserStageRow(row)).to.equal(
        '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f\tfull\tann\\tlee\t1984-06-12\t2025-07-01T12:34:56.123456789+05:30\t2025-07-02T00:00:00Z\tf\tt\n',
      );
    });

    it('writes nulls of a patch row as \\N', () => {
      const patch: UserStageRow = { ...row, kind: 'patch', name: null, dob: null, createdAt: null, isDeleted: true, cascade: false };
      expect(encodeUserStageRow(patch)).to.equal(
        '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f\tpatch\t\\N\t\\N\t\\N\t2025-07-02T00:00:00Z\tt\tf\n',
      );
    });

    it('round-trips tricky names, one field per column', () => {
      for (const name of TRICKY) {
        const fields = readCopyLine(encodeUserStageRow({ ...row, name }));
        expect(fields, JSON.stringify(name)).to.have.length(USER_STAGE_COLUMNS.length);
        expect(fields[2], JSON.stringify(name)).to.equal(name);
        expect(fields[0]).to.equal(row.id);
        expect(fields[7]).to.equal('t');
      }
    });
  });

  describe('encodeOrderStageRow', () => {
    const row: OrderStageRow = {
      id: 'a3bb189e-8bf9-3888-9912-ace4e6543002',
      kind: 'full',
      status: 'PLACED',
      userId: '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f',
      quantity: 7,
      totalAmount: '1234.5678901234567890123',
      placedAt: '2025-07-01T12:34:56.123456789Z',
      modifiedAt: '2025-07-01T12:34:56.123456789Z',
      isDeleted: false,
    };

    it('writes one line in ORDER_STAGE_COLUMNS order, the decimal text unchanged', () => {
      expect(encodeOrderStageRow(row)).to.equal(
        'a3bb189e-8bf9-3888-9912-ace4e6543002\tfull\tPLACED\t6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f\t7\t1234.5678901234567890123\t' +
          '2025-07-01T12:34:56.123456789Z\t2025-07-01T12:34:56.123456789Z\tf\n',
      );
    });

    it('writes nulls of a patch row as \\N', () => {
      const patch: OrderStageRow = {
        ...row,
        kind: 'patch',
        status: 'CANCELLED',
        userId: null,
        quantity: null,
        totalAmount: null,
        placedAt: null,
        isDeleted: true,
      };
      expect(encodeOrderStageRow(patch)).to.equal(
        'a3bb189e-8bf9-3888-9912-ace4e6543002\tpatch\tCANCELLED\t\\N\t\\N\t\\N\t\\N\t2025-07-01T12:34:56.123456789Z\tt\n',
      );
    });

    it('round-trips tricky statuses, one field per column', () => {
      for (const status of TRICKY) {
        const fields = readCopyLine(encodeOrderStageRow({ ...row, status }));
        expect(fields, JSON.stringify(status)).to.have.length(ORDER_STAGE_COLUMNS.length);
        expect(fields[2], JSON.stringify(status)).to.equal(status);
        expect(fields[8]).to.equal('f');
      }
    });
  });
});
