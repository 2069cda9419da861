import { expect } from 'chai';
import { splitEnvelope } from '../../lib/sinks/envelope.js';
import { SchemaCache } from '../../lib/sinks/schema-cache.js';

const schemaV1 = { type: 'struct', fields: [{ type: 'int32', optional: false, field: 'id' }], optional: false };
const schemaV2 = { ...schemaV1, fields: [...schemaV1.fields, { type: 'string', optional: true, field: 'email' }] };
const message = (schema: object, payload: object) => Buffer.from(JSON.stringify({ schema, payload }));

/** What a topic sink does per message: the entry of its schema, compiled on a miss only. */
function decoderFor(cache: SchemaCache<string>, value: Buffer, compiled: string[]): string {
  const spans = splitEnvelope(value);
  if (!spans) throw new Error('not an envelope');
  const hit = cache.get(value, spans.schema);
  if (hit !== undefined) return hit;
  const text = SchemaCache.text(value, spans.schema);
  const entry = `decoder ${compiled.length + 1}`;
  compiled.push(text);
  cache.set(text, entry);
  return entry;
}

describe('sinks/schema-cache', () => {
  it('compiles a schema once however many messages carry it, and again only for a new schema', () => {
    const cache = new SchemaCache<string>();
    const compiled: string[] = [];
    for (let i = 0; i < 1000; i++) expect(decoderFor(cache, message(schemaV1, { id: i }), compiled)).to.equal('decoder 1');
    expect(compiled).to.deep.equal([JSON.stringify(schemaV1)]);
    // The source gained a column: its schema is new and compiled once; the old one is still known.
    expect(decoderFor(cache, message(schemaV2, { id: 1, email: 'a' }), compiled)).to.equal('decoder 2');
    expect(decoderFor(cache, message(schemaV1, { id: 2 }), compiled)).to.equal('decoder 1');
    expect(decoderFor(cache, message(schemaV2, { id: 3, email: 'b' }), compiled)).to.equal('decoder 2');
    expect(compiled).to.have.length(2);
    expect(cache.size).to.equal(2);
  });

  it('keys on the bytes: the same schema at another place in another message is the same entry', () => {
    const cache = new SchemaCache<string>();
    const a = Buffer.from(`{"schema":${JSON.stringify(schemaV1)},"payload":{"id":1}}`);
    const b = Buffer.from(`  {"schema": ${JSON.stringify(schemaV1)} , "payload":{"id":22222}}`);
    const spans = splitEnvelope(a);
    cache.set(SchemaCache.text(a, spans?.schema as { start: number; end: number }), 'x');
    const sb = splitEnvelope(b);
    expect(cache.get(b, sb?.schema as { start: number; end: number })).to.equal('x');
    // A schema differing in one byte is another schema.
    const c = Buffer.from(JSON.stringify({ schema: { ...schemaV1, optional: true }, payload: { id: 1 } }));
    expect(cache.get(c, splitEnvelope(c)?.schema as { start: number; end: number })).to.equal(undefined);
  });

  it("matches the previous message's schema by its bytes alone, and finds the payload without a scan", () => {
    const cache = new SchemaCache<string>();
    const first = message(schemaV1, { id: 1 });
    const spans = splitEnvelope(first);
    cache.set(SchemaCache.text(first, spans?.schema as { start: number; end: number }), 'v1');
    // Not before a lookup has hit once: the previous schema is the one a message was decoded with.
    expect(cache.matchLast(first)).to.equal(undefined);
    cache.get(first, spans?.schema as { start: number; end: number });
    const next = message(schemaV1, { id: 2, name: 'x' });
    const match = cache.matchLast(next);
    expect(match?.entry).to.equal('v1');
    expect(next.subarray(match?.payload.start, match?.payload.end).toString()).to.equal('{"id":2,"name":"x"}');
    // Another schema, or the same one written with spaces: a scan decides.
    expect(cache.matchLast(message(schemaV2, { id: 3 }))).to.equal(undefined);
    expect(cache.matchLast(Buffer.from(`{"schema": ${JSON.stringify(schemaV1)},"payload":{"id":4}}`))).to.equal(undefined);
    expect(cache.matchLast(Buffer.from(`{"schema":${JSON.stringify(schemaV1)},"payload":null}`))).to.equal(undefined);
  });
});
