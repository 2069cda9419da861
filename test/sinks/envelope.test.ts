import { expect } from 'chai';
import { changeEventSpans, isNullSpan, splitEnvelope } from '../../lib/sinks/envelope.js';

const bytes = (s: string) => Buffer.from(s, 'utf8');

function parts(text: string): { schema: string; payload: string } | undefined {
  const b = bytes(text);
  const spans = splitEnvelope(b);
  if (!spans) return undefined;
  return {
    schema: b.subarray(spans.schema.start, spans.schema.end).toString(),
    payload: b.subarray(spans.payload.start, spans.payload.end).toString(),
  };
}

describe('sinks/envelope', () => {
  it('finds the schema and payload of a JsonConverter envelope without parsing them', () => {
    const schema = '{"type":"struct","fields":[{"type":"string","optional":true,"field":"a}\\"b"}],"optional":false}';
    const payload = '{"a}\\"b":"x{[\\\\","n":[1,{"z":2}]}';
    expect(parts(`{"schema":${schema},"payload":${payload}}`)).to.deep.equal({ schema, payload });
    expect(parts(` { "schema" : ${schema} , "payload" : ${payload} } \n`)).to.deep.equal({ schema, payload });
  });

  it('takes null parts (the enveloped tombstone) and says they are null', () => {
    const b = bytes('{"schema":null,"payload":null}');
    const spans = splitEnvelope(b);
    expect(spans && isNullSpan(b, spans.schema) && isNullSpan(b, spans.payload)).to.equal(true);
    const row = bytes('{"schema":{"type":"struct"},"payload":{"id":1}}');
    const s2 = splitEnvelope(row);
    expect(s2 && isNullSpan(row, s2.payload)).to.equal(false);
  });

  it('leaves anything else to a full parse: a bare payload, another order, extra keys, broken text', () => {
    for (const text of [
      '{"op":"c","after":{"id":1}}',
      '{"payload":{"id":1},"schema":{"type":"struct"}}',
      '{"schema":{"type":"struct"},"payload":{"id":1},"extra":1}',
      '{"schema":{"type":"struct"},"payload":{"id":1}',
      '{"schema":{"type":"struct","fields":[},"payload":{}}',
      '[1,2]',
      '',
    ]) {
      expect(splitEnvelope(bytes(text)), text).to.equal(undefined);
    }
  });

  describe('changeEventSpans', () => {
    function event(text: string): { op: string; before?: string; after?: string } | undefined {
      const b = bytes(text);
      const spans = changeEventSpans(b, { start: 0, end: b.length });
      if (!spans) return undefined;
      const at = (s: { start: number; end: number } | undefined) => (s ? b.subarray(s.start, s.end).toString() : undefined);
      return {
        op: String.fromCharCode(spans.op),
        ...(spans.before ? { before: at(spans.before) } : {}),
        ...(spans.after ? { after: at(spans.after) } : {}),
      };
    }

    it('finds op and the row images, walking past members it does not read (strings with brackets, quotes and escapes, nested values)', () => {
      const after = String.raw`{"id":1,"name":"a}\\\"b{","tags":[1,{"x":"]"}]}`;
      const source = '{"version":"2.7.0.Final","sequence":"[null,\\"33554432\\"]","db":"}{","nested":{"a":[1,2]},"xmin":null}';
      expect(event(`{"before":null,"after":${after},"source":${source},"transaction":null,"op":"c","ts_ms":1700000000000}`)).to.deep.equal({
        op: 'c',
        before: 'null',
        after,
      });
      expect(event(` { "op" : "d" ,\n "before" : {"id":1} } `)).to.deep.equal({ op: 'd', before: '{"id":1}' });
    });

    it('takes the last of duplicate keys, as JSON.parse does', () => {
      expect(event('{"op":"c","after":{"id":1},"op":"u","after":{"id":2}}')).to.deep.equal({ op: 'u', after: '{"id":2}' });
    });

    it('leaves anything it cannot read exactly to a full parse', () => {
      for (const text of [
        '{"after":{"id":1}}', // no op
        '{"op":"cu","after":{"id":1}}', // op not one letter
        '{"op":1,"after":{"id":1}}',
        '{"op":"\\u0063","after":{"id":1}}', // an escaped op
        '{"\\u006fp":"c","after":{"id":1}}', // an escaped key: JSON.parse reads "op"
        '{"op":"c","after":{"id":1}', // unterminated
        '{"op":"c","after":{"id":1}} x',
        '{"op":"c","after":{"id":"1}}', // an unterminated string
        '{"op":"c" "after":{}}',
        '{}',
        '[]',
        '',
      ]) {
        expect(event(text), text).to.equal(undefined);
      }
    });
  });
});
