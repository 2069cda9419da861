import { expect } from 'chai';
import {
  type DeadLetter,
  describePayload,
  encodePayload,
  formatList,
  formatShow,
  formatSummary,
  hexDump,
  jsonRecord,
  prettyJson,
  printable,
  shortMessage,
} from '../../lib/dead-letters/index.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

function deadLetter(fields: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id: 7,
    group_id: 'cdc-pipeline',
    topic: 'orders',
    partition: 2,
    offset: 1234,
    error_code: 'INVALID_JSON',
    error_message: 'Unexpected end of JSON input',
    failed_at: '2024-05-01T12:00:00.123456Z',
    ...fields,
  };
}

describe('dead-letters/format', () => {
  describe('encodePayload', () => {
    it('gives valid UTF-8 as text, a byte-order mark included, anything else as base64, null as null', () => {
      expect(encodePayload(bytes('{"id":1} é ✓'))).to.deep.equal({ text: '{"id":1} é ✓', encoding: 'utf8' });
      expect(encodePayload(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).to.deep.equal({ text: '\ufeffA', encoding: 'utf8' });
      expect(encodePayload(Buffer.from([0x7b, 0xff, 0xfe]))).to.deep.equal({ text: 'e//+', encoding: 'base64' });
      expect(encodePayload(Buffer.alloc(0))).to.deep.equal({ text: '', encoding: 'utf8' });
      expect(encodePayload(null)).to.deep.equal({ text: null, encoding: null });
    });
  });

  describe('jsonRecord', () => {
    it('names every column as the table does; key and value say their encoding; headers parsed', () => {
      const row = deadLetter({ key: bytes('42'), value: Buffer.from([0xc3, 0x28]), headers: '{"trace": "abc"}' });
      expect(jsonRecord(row)).to.deep.equal({
        id: 7,
        group_id: 'cdc-pipeline',
        topic: 'orders',
        partition: 2,
        offset: 1234,
        key: '42',
        key_encoding: 'utf8',
        value: 'wyg=',
        value_encoding: 'base64',
        headers: { trace: 'abc' },
        error_code: 'INVALID_JSON',
        error_message: 'Unexpected end of JSON input',
        failed_at: '2024-05-01T12:00:00.123456Z',
      });
      expect(jsonRecord(deadLetter({ key: null, value: null, headers: null }))).to.include({
        key: null,
        key_encoding: null,
        headers: null,
      });
    });
  });

  describe('prettyJson', () => {
    it('indents by two spaces, keeping empty containers on one line', () => {
      expect(prettyJson('{"a":1,"b":[1, 2,{}],"c":{ },"d":[]}')).to.equal(
        '{\n  "a": 1,\n  "b": [\n    1,\n    2,\n    {}\n  ],\n  "c": {},\n  "d": []\n}',
      );
      expect(prettyJson(' 12 ')).to.equal('12');
    });

    it('keeps numbers, strings and repeated keys exactly as written', () => {
      const text = '{"n":12345678901234567890,"f":1.0,"e":1E+2,"s":"a,b:{[\\"\\\\\\u00e9 ]}","n":-0}';
      expect(prettyJson(text)).to.equal(
        '{\n  "n": 12345678901234567890,\n  "f": 1.0,\n  "e": 1E+2,\n  "s": "a,b:{[\\"\\\\\\u00e9 ]}",\n  "n": -0\n}',
      );
      for (const sample of ['{"a":[{"b":null},true,false]}', '[]', '"x"', '{"k":"v","l":[1,[2,[3]]]}']) {
        expect(JSON.parse(prettyJson(sample)), sample).to.deep.equal(JSON.parse(sample));
      }
    });
  });

  describe('hexDump', () => {
    it('writes offset, 8 + 8 bytes in hex and the printable ASCII, as hexdump -C does', () => {
      const dump = hexDump(Buffer.from('{"a":"\u0000b"}\n0123456789', 'latin1'));
      expect(dump.split('\n')).to.deep.equal([
        '00000000  7b 22 61 22 3a 22 00 62  22 7d 0a 30 31 32 33 34  |{"a":".b"}.01234|',
        '00000010  35 36 37 38 39                                    |56789|',
      ]);
      expect(hexDump(Buffer.alloc(0))).to.equal('');
    });
  });

  describe('describePayload', () => {
    it('pretty-prints JSON and hex-dumps anything else, saying which and the size', () => {
      expect(describePayload('value', bytes('{"id":1}'))).to.equal('value: 8 bytes, JSON\n  {\n    "id": 1\n  }');
      expect(describePayload('key', bytes('user-1'))).to.equal(
        'key: 6 bytes, UTF-8 text, not JSON; hex dump:\n  00000000  75 73 65 72 2d 31                                 |user-1|',
      );
      expect(describePayload('value', Buffer.from([0xff]))).to.match(/^value: 1 byte, not UTF-8; hex dump:\n {2}00000000 {2}ff /);
      expect(describePayload('value', bytes('{"truncated":'))).to.contain('UTF-8 text, not JSON; hex dump');
      expect(describePayload('value', null)).to.equal('value: null');
      expect(describePayload('value', Buffer.alloc(0))).to.equal('value: empty (0 bytes)');
    });
  });

  describe('printable and shortMessage', () => {
    it('escapes control characters (a hostile name cannot drive the terminal), keeping tab and newline', () => {
      expect(printable('a\u001b[31mb\u009bc\td\ne\u007f')).to.equal('a\\u001b[31mb\\u009bc\td\ne\\u007f');
    });

    it('makes one line of at most the given characters, counting code points, with an ellipsis when cut', () => {
      expect(shortMessage('  two\n lines\t')).to.equal('two lines');
      expect(shortMessage('abcdefghij', 5)).to.equal('abcd…');
      expect(shortMessage('😀😀😀😀😀😀', 5)).to.equal('😀😀😀😀…');
      expect(shortMessage('abcde', 5)).to.equal('abcde');
    });
  });

  describe('formatList', () => {
    it('is a table with a line per dead letter, numbers right-aligned, the message shortened', () => {
      const rows = [
        deadLetter(),
        deadLetter({
          id: 1234,
          group_id: 'g',
          topic: 'users',
          partition: 10,
          offset: 5,
          error_code: 'MISSING_FIELD',
          error_message: `line one\nline two ${'x'.repeat(80)}`,
        }),
      ];
      const lines = formatList(rows).split('\n');
      expect(lines).to.deep.equal([
        '  id  group         topic   partition  offset  code           failed_at                    message',
        '   7  cdc-pipeline  orders          2    1234  INVALID_JSON   2024-05-01T12:00:00.123456Z  Unexpected end of JSON input',
        `1234  g             users          10       5  MISSING_FIELD  2024-05-01T12:00:00.123456Z  line one line two ${'x'.repeat(41)}…`,
      ]);
      expect([...(lines[2]?.split('  ').at(-1) ?? '')]).to.have.length(60);
    });
  });

  describe('formatSummary', () => {
    it('counts per group, topic and code, then the total', () => {
      const text = formatSummary([
        { group_id: 'g', topic: 'orders', error_code: 'INVALID_JSON', count: 12, first_failed_at: 'a', last_failed_at: 'b' },
        { group_id: 'g', topic: 'users', error_code: 'MISSING_FIELD', count: 3, first_failed_at: 'c', last_failed_at: 'd' },
      ]);
      expect(text.split('\n')).to.deep.equal([
        'group  topic   code           count  first failed_at  last failed_at',
        'g      orders  INVALID_JSON      12  a                b',
        'g      users   MISSING_FIELD      3  c                d',
        'total: 15 dead letters',
      ]);
    });
  });

  describe('formatShow', () => {
    it('prints every column, the message on lines of its own, then headers, key and value', () => {
      const text = formatShow(
        deadLetter({ error_message: 'Postgres refused\nDETAIL: x', key: bytes('42'), value: bytes('[1,2]'), headers: null }),
      );
      expect(text.split('\n')).to.deep.equal([
        'id             7',
        'group_id       cdc-pipeline',
        'topic          orders',
        'partition      2',
        'offset         1234',
        'error_code     INVALID_JSON',
        'failed_at      2024-05-01T12:00:00.123456Z',
        'error_message  Postgres refused',
        '               DETAIL: x',
        'headers: null',
        'key: 2 bytes, JSON',
        '  42',
        'value: 5 bytes, JSON',
        '  [',
        '    1,',
        '    2',
        '  ]',
      ]);
    });
  });
});
