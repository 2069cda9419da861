import { expect } from 'chai';
import { isNullSpan, splitEnvelope } from '../../lib/sinks/envelope.js';

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
});
