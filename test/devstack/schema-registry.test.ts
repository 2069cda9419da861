import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { SchemaRegistry } from '../../lib/avro/registry.js';
import { type DevSchemaRegistry, startDevSchemaRegistry } from '../../lib/devstack/schema-registry.js';
import { CdcError } from '../../lib/errors.js';
import { cdcRejection } from '../support/errors.js';

const V1 = JSON.stringify({ type: 'record', name: 'Value', namespace: 't.db.users', fields: [{ name: 'id', type: 'int' }] });
const V2 = JSON.stringify({
  type: 'record',
  name: 'Value',
  namespace: 't.db.users',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'email', type: ['null', 'string'], default: null },
  ],
});
const KEY = JSON.stringify({ type: 'record', name: 'Key', namespace: 't.db.users', fields: [{ name: 'id', type: 'int' }] });

async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; type: string | null; json: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), json: await res.json() };
}

describe('devstack/schema-registry', () => {
  let registry: DevSchemaRegistry;
  beforeEach(async () => {
    registry = await startDevSchemaRegistry();
  });
  afterEach(async () => {
    await registry.stop();
  });

  it("serves the engine's client: a registered schema is read back by its id", async () => {
    const producer = new SchemaRegistry({ url: registry.url });
    const id = await producer.register('t.db.users-value', V1);
    const consumer = new SchemaRegistry({ url: registry.url });
    expect(await consumer.schema(id)).to.deep.equal({ id, schema: V1 });
    const err = await cdcRejection(consumer.schema(id + 100));
    expect(err).to.include({ code: 'ERR_CDC_SCHEMA_UNKNOWN_ID', schemaId: id + 100, canRetry: false });
  });

  it('gives the same schema the same id, in any subject and however it is spaced; a new schema a new id and version', async () => {
    const a = await call(registry.url, 'POST', '/subjects/t.db.users-value/versions', { schema: V1 });
    expect(a).to.deep.include({ status: 200, json: { id: 1 } });
    expect(a.type).to.equal('application/vnd.schemaregistry.v1+json');
    const spaced = JSON.stringify(JSON.parse(V1), null, 2);
    expect((await call(registry.url, 'POST', '/subjects/t.db.users-value/versions', { schema: spaced })).json).to.deep.equal({ id: 1 });
    expect((await call(registry.url, 'POST', '/subjects/other-value/versions', { schema: V1 })).json).to.deep.equal({ id: 1 });
    expect((await call(registry.url, 'POST', '/subjects/t.db.users-key/versions', { schema: KEY })).json).to.deep.equal({ id: 2 });
    expect((await call(registry.url, 'POST', '/subjects/t.db.users-value/versions', { schema: V2 })).json).to.deep.equal({ id: 3 });

    expect((await call(registry.url, 'GET', '/subjects')).json).to.deep.equal(['t.db.users-value', 'other-value', 't.db.users-key']);
    expect((await call(registry.url, 'GET', '/subjects/t.db.users-value/versions')).json).to.deep.equal([1, 2]);
    expect((await call(registry.url, 'GET', '/subjects/t.db.users-value/versions/latest')).json).to.deep.equal({
      subject: 't.db.users-value',
      version: 2,
      id: 3,
      schema: V2,
    });
    expect((await call(registry.url, 'GET', '/subjects/t.db.users-value/versions/1')).json).to.deep.include({ version: 1, id: 1 });
    expect((await call(registry.url, 'GET', '/schemas/ids/2')).json).to.deep.equal({ schema: KEY });
    expect((await call(registry.url, 'POST', '/subjects/t.db.users-value', { schema: V2 })).json).to.deep.include({ version: 2, id: 3 });
  });

  it("answers Confluent's status codes and error bodies", async () => {
    await call(registry.url, 'POST', '/subjects/s/versions', { schema: V1 });
    const cases: Array<[string, string, unknown, number, number]> = [
      ['GET', '/schemas/ids/99', undefined, 404, 40403],
      ['GET', '/subjects/nope/versions', undefined, 404, 40401],
      ['GET', '/subjects/nope/versions/latest', undefined, 404, 40401],
      ['GET', '/subjects/s/versions/7', undefined, 404, 40402],
      ['POST', '/subjects/s', { schema: KEY }, 404, 40403],
      ['POST', '/subjects/s/versions', { schema: '{"type":"nope"}' }, 422, 42201],
      ['POST', '/subjects/s/versions', { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' }, 422, 42201],
      ['POST', '/subjects/s/versions', 'not json', 400, 400],
      ['GET', '/nowhere', undefined, 404, 404],
      ['DELETE', '/subjects', undefined, 405, 405],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await call(registry.url, method, path, body);
      expect(r.status, `${method} ${path}`).to.equal(status);
      expect((r.json as { error_code: number }).error_code, `${method} ${path}`).to.equal(code);
      expect((r.json as { message: unknown }).message).to.be.a('string');
    }
  });

  it('reads subject names that need escaping in a path', async () => {
    const client = new SchemaRegistry({ url: registry.url });
    const id = await client.register('weird/subject name-value', V1);
    expect((await call(registry.url, 'GET', '/subjects')).json).to.deep.equal(['weird/subject name-value']);
    expect(
      (await call(registry.url, 'GET', `/subjects/${encodeURIComponent('weird/subject name-value')}/versions/latest`)).json,
    ).to.deep.include({
      id,
    });
  });

  it('refuses a port in use with an error naming the flag', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const err = await startDevSchemaRegistry({ port }).then(
        (r) => r.stop().then(() => undefined),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(CdcError);
      expect((err as CdcError).message).to.include(`port ${port} (--schema-registry-port) is already in use`);
    } finally {
      blocker.close();
    }
  });
});
