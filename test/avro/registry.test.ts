import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { SchemaRegistry } from '../../lib/avro/registry.js';
import { findFreePort } from '../../lib/devstack/ports.js';
import { cdcRejection, optionError } from '../support/errors.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

type Handler = (req: Seen, res: ServerResponse) => void;

/** A local HTTP server answering with `handler`, recording every request. */
async function serve(handler: Handler): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const SCHEMA = '{"type":"record","name":"Value","fields":[{"name":"id","type":"int"}]}';

describe('avro/registry', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const start = async (handler: Handler) => {
    const s = await serve(handler);
    servers.push(s);
    return s;
  };

  it('fetches a schema by id with GET /schemas/ids/{id}, once per id, from memory after that', async () => {
    const s = await start((_req, res) => reply(res, 200, { schema: SCHEMA }));
    const registry = new SchemaRegistry({ url: s.url });
    expect(await registry.schema(7)).to.deep.equal({ id: 7, schema: SCHEMA });
    expect(await registry.schema(7)).to.deep.equal({ id: 7, schema: SCHEMA });
    await registry.schema(8);
    expect(s.seen.map((r) => `${r.method} ${r.url}`)).to.deep.equal(['GET /schemas/ids/7', 'GET /schemas/ids/8']);
  });

  it('coalesces concurrent requests for one id into one fetch', async () => {
    const held: ServerResponse[] = [];
    const s = await start((_req, res) => held.push(res));
    const registry = new SchemaRegistry({ url: s.url });
    const all = Promise.all([1, 2, 3, 4, 5].map(() => registry.schema(42)));
    // Wait until the one request has arrived, then answer it.
    while (held.length === 0) await new Promise((r) => setImmediate(r));
    reply(held[0] as ServerResponse, 200, { schema: SCHEMA });
    const results = await all;
    expect(results.every((r) => r.schema === SCHEMA && r.id === 42)).to.equal(true);
    expect(s.seen).to.have.length(1);
  });

  it("keeps a path prefix of the URL and sends Confluent's media type", async () => {
    const s = await start((_req, res) => reply(res, 200, { schema: SCHEMA }));
    await new SchemaRegistry({ url: `${s.url}/apis/ccompat/v7` }).schema(3);
    expect(s.seen[0]?.url).to.equal('/apis/ccompat/v7/schemas/ids/3');
  });

  it("sends basic auth from the URL's userinfo, or from `auth`, which wins; never shows the password", async () => {
    const s = await start((req, res) =>
      req.url.endsWith('/9') ? reply(res, 401, { error_code: 40101, message: 'Unauthorized' }) : reply(res, 200, { schema: SCHEMA }),
    );
    const withUserinfo = new SchemaRegistry({ url: s.url.replace('//', '//alice:s%3Acret@') });
    await withUserinfo.schema(1);
    expect(s.seen[0]?.authorization).to.equal(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
    expect(withUserinfo.url).to.equal(`${s.url}/`);

    const withAuth = new SchemaRegistry({ url: s.url.replace('//', '//alice:s%3Acret@'), auth: 'bob:hunter2' });
    await withAuth.schema(1);
    expect(s.seen[1]?.authorization).to.equal(`Basic ${Buffer.from('bob:hunter2').toString('base64')}`);

    const err = await cdcRejection(withAuth.schema(9));
    expect(err.code).to.equal('ERR_CDC_SCHEMA_REGISTRY');
    expect(err.canRetry).to.equal(false);
    expect(err.fatal).to.include('refused the credentials');
    expect(err.message).to.include('401').and.include('Unauthorized');
    expect(JSON.stringify(err)).to.not.include('hunter2').and.not.include('cret');

    await new SchemaRegistry({ url: s.url }).schema(2);
    expect(s.seen[3]?.authorization).to.equal(undefined);
  });

  it('makes 40403 a permanent error naming the id, remembered: one request however often it is asked', async () => {
    const s = await start((_req, res) => reply(res, 404, { error_code: 40403, message: 'Schema 77 not found' }));
    const registry = new SchemaRegistry({ url: s.url });
    const err = await cdcRejection(registry.schema(77));
    expect(err).to.include({ code: 'ERR_CDC_SCHEMA_UNKNOWN_ID', canRetry: false, schemaId: 77 });
    expect(err.message).to.include('schema id 77').and.include('Schema 77 not found');
    expect((await cdcRejection(registry.schema(77))).code).to.equal('ERR_CDC_SCHEMA_UNKNOWN_ID');
    expect(s.seen).to.have.length(1);
  });

  it('makes a 5xx a transient error, not remembered: the next request asks again', async () => {
    let calls = 0;
    const s = await start((_req, res) =>
      ++calls === 1
        ? reply(res, 503, { error_code: 50003, message: 'Error while forwarding the request to the leader' })
        : reply(res, 200, { schema: SCHEMA }),
    );
    const registry = new SchemaRegistry({ url: s.url });
    const err = await cdcRejection(registry.schema(5));
    expect(err).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY', canRetry: true, schemaId: 5 });
    expect(err.message).to.include('503 (error 50003)').and.include('forwarding');
    expect((await registry.schema(5)).schema).to.equal(SCHEMA);
    expect(s.seen).to.have.length(2);
  });

  it('makes a refused connection a transient error with its system code', async () => {
    const port = await findFreePort();
    const err = await cdcRejection(new SchemaRegistry({ url: `http://127.0.0.1:${port}` }).schema(1));
    expect(err).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY', canRetry: true, systemCode: 'ECONNREFUSED', schemaId: 1 });
    expect(err.message).to.include('unreachable');
  });

  it('makes a registry that does not answer within the request timeout a transient error', async () => {
    const held: ServerResponse[] = [];
    const s = await start((_req, res) => held.push(res));
    const err = await cdcRejection(new SchemaRegistry({ url: s.url, requestTimeoutMs: 50 }).schema(1));
    expect(err).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY', canRetry: true, systemCode: 'ETIMEDOUT' });
    expect(err.message).to.include('no reply within 50 ms');
  });

  it("refuses, permanently, a reply that is not the registry's, a schema that is not Avro, and schema references", async () => {
    const s = await start((req, res) => {
      if (req.url.endsWith('/1')) reply(res, 200, '<html>proxy login</html>');
      else if (req.url.endsWith('/2')) reply(res, 200, { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' });
      else if (req.url.endsWith('/3')) reply(res, 200, { schema: SCHEMA, references: [{ name: 'x', subject: 's', version: 1 }] });
      else reply(res, 400, 'bad');
    });
    const registry = new SchemaRegistry({ url: s.url });
    const html = await cdcRejection(registry.schema(1));
    expect(html).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY', canRetry: false });
    expect(html.fatal).to.include('does not answer as a Confluent Schema Registry');
    expect((await cdcRejection(registry.schema(2))).message).to.include('PROTOBUF schema, not Avro');
    expect((await cdcRejection(registry.schema(3))).message).to.include('schema references');
    expect(await cdcRejection(registry.schema(4))).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY', canRetry: false });
  });

  it('registers a schema with POST /subjects/{subject}/versions, once per subject and schema, and knows its id after', async () => {
    const s = await start((req, res) => (req.method === 'POST' ? reply(res, 200, { id: 12 }) : reply(res, 500, {})));
    const registry = new SchemaRegistry({ url: s.url });
    expect(await registry.register('dbserver1.inventory.customers-value', SCHEMA)).to.equal(12);
    expect(await registry.register('dbserver1.inventory.customers-value', SCHEMA)).to.equal(12);
    expect(await registry.schema(12)).to.deep.equal({ id: 12, schema: SCHEMA });
    expect(s.seen).to.have.length(1);
    expect(s.seen[0]).to.include({
      method: 'POST',
      url: '/subjects/dbserver1.inventory.customers-value/versions',
      contentType: 'application/vnd.schemaregistry.v1+json',
    });
    expect(JSON.parse(s.seen[0]?.body ?? '')).to.deep.equal({ schema: SCHEMA });
  });

  it("makes an invalid schema on register (422) a permanent error with the registry's message", async () => {
    const s = await start((_req, res) => reply(res, 422, { error_code: 42201, message: 'Invalid schema' }));
    const err = await cdcRejection(new SchemaRegistry({ url: s.url }).register('t-value', '{"type":"nope"}'));
    expect(err).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY', canRetry: false });
    expect(err.message).to.include('422 (error 42201): Invalid schema');
  });

  it('validates the URL once, naming it, without echoing a password', () => {
    expect(optionError(() => new SchemaRegistry({ url: 'ftp://u:secret@h' })).message)
      .to.include('"ftp:"')
      .and.not.include('secret');
    expect(optionError(() => new SchemaRegistry({ url: 'not a url secret' })).message)
      .to.include('not a URL')
      .and.not.include('secret');
    expect(optionError(() => new SchemaRegistry({ url: 'http://h:8081?x=1' })).message).to.include('query');
  });
});
