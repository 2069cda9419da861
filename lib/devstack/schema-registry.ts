/**
 * A development stand-in for a Confluent Schema Registry: the subset of its REST API that Kafka
 * Connect's AvroConverter, Confluent's serializers and this engine use, in memory, in this process.
 * There is no registry server to install from the package registries the dev stack reaches, so the dev
 * stack carries this one. It is not a registry to run anything on: no persistence (a restart forgets
 * every schema, and ids start at 1 again), no compatibility checks (every new schema is accepted as a
 * new version), no authentication, no schema references, Avro only. Point the engine at a real one
 * (Confluent, Apicurio's Confluent-compatible API, Karapace) everywhere else.
 *
 * What it answers, with Confluent's status codes, error bodies (`{"error_code", "message"}`) and media
 * type:
 *   POST /subjects/{subject}/versions       register: {"id"}; the same schema gets the same id, in any subject
 *   POST /subjects/{subject}                is this schema registered here? {subject, version, id, schema}
 *   GET  /schemas/ids/{id}                  {"schema"}; 40403 when unknown
 *   GET  /subjects                          the subjects, in registration order
 *   GET  /subjects/{subject}/versions       [1, 2, ...]; 40401 when the subject is unknown
 *   GET  /subjects/{subject}/versions/{n}   {subject, version, id, schema}; `latest` for the last; 40402
 *   GET  /config                            {"compatibilityLevel": "NONE"} (what it does)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { CdcError } from '../errors.js';
import { REGISTRY_ERROR, REGISTRY_MEDIA_TYPE } from '../avro/registry.js';
import { assertPortFree } from './ports.js';

export interface DevSchemaRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

export interface DevSchemaRegistryOptions {
  /** Port on 127.0.0.1; default: a free one. */
  port?: number | undefined;
}

/** A request body larger than this is refused: schemas are kilobytes. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface Version {
  version: number;
  id: number;
}

/** The registry's state and its answers, apart from HTTP (what the server below routes to). */
export class SchemaStore {
  /** id -> schema text, as first registered. */
  readonly #schemas: string[] = [];
  /** The schema's canonical JSON (whitespace and key order as parsed) -> id. */
  readonly #ids = new Map<string, number>();
  readonly #subjects = new Map<string, Version[]>();

  register(subject: string, body: unknown): { id: number } {
    const { text, canonical } = this.#schemaOf(body);
    let id = this.#ids.get(canonical);
    if (id === undefined) {
      this.#schemas.push(text);
      id = this.#schemas.length;
      this.#ids.set(canonical, id);
    }
    const versions = this.#subjects.get(subject) ?? [];
    if (!versions.some((v) => v.id === id)) versions.push({ version: (versions.at(-1)?.version ?? 0) + 1, id });
    this.#subjects.set(subject, versions);
    return { id };
  }

  lookup(subject: string, body: unknown): { subject: string; version: number; id: number; schema: string } {
    const versions = this.#versionsOf(subject);
    const id = this.#ids.get(this.#schemaOf(body).canonical);
    const found = versions.find((v) => v.id === id);
    if (found === undefined) throw new HttpError(404, REGISTRY_ERROR.SCHEMA_NOT_FOUND, 'Schema not found');
    return { subject, version: found.version, id: found.id, schema: this.#schemas[found.id - 1] as string };
  }

  schema(id: number): { schema: string } {
    const schema = Number.isInteger(id) && id >= 1 ? this.#schemas[id - 1] : undefined;
    if (schema === undefined) throw new HttpError(404, REGISTRY_ERROR.SCHEMA_NOT_FOUND, `Schema ${id} not found`);
    return { schema };
  }

  subjects(): string[] {
    return [...this.#subjects.keys()];
  }

  versions(subject: string): number[] {
    return this.#versionsOf(subject).map((v) => v.version);
  }

  version(subject: string, which: string): { subject: string; version: number; id: number; schema: string } {
    const versions = this.#versionsOf(subject);
    const found = which === 'latest' ? versions.at(-1) : versions.find((v) => String(v.version) === which);
    if (found === undefined) throw new HttpError(404, REGISTRY_ERROR.VERSION_NOT_FOUND, `Version ${which} not found.`);
    return { subject, version: found.version, id: found.id, schema: this.#schemas[found.id - 1] as string };
  }

  #versionsOf(subject: string): Version[] {
    const versions = this.#subjects.get(subject);
    if (versions === undefined) throw new HttpError(404, REGISTRY_ERROR.SUBJECT_NOT_FOUND, `Subject '${subject}' not found.`);
    return versions;
  }

  /** The request's schema, checked as Avro (a schema avsc cannot read is Confluent's 42201). */
  #schemaOf(body: unknown): { text: string; canonical: string } {
    const { schema, schemaType, references } = (body ?? {}) as { schema?: unknown; schemaType?: unknown; references?: unknown };
    if (typeof schema !== 'string') throw new HttpError(422, REGISTRY_ERROR.INVALID_SCHEMA, 'Invalid schema: no "schema" text');
    if (schemaType !== undefined && schemaType !== 'AVRO') {
      throw new HttpError(
        422,
        REGISTRY_ERROR.INVALID_SCHEMA,
        `Invalid schema: this development registry holds Avro only, not ${String(schemaType)}`,
      );
    }
    if (Array.isArray(references) && references.length > 0) {
      throw new HttpError(422, REGISTRY_ERROR.INVALID_SCHEMA, 'Invalid schema: this development registry takes no schema references');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(schema);
      avro.Type.forSchema(parsed as avro.Schema);
    } catch (err) {
      throw new HttpError(422, REGISTRY_ERROR.INVALID_SCHEMA, `Invalid schema: ${(err as Error).message}`);
    }
    return { text: schema, canonical: JSON.stringify(parsed) };
  }
}

const ROUTES: Array<{ method: string; path: RegExp; run: (store: SchemaStore, m: string[], body: unknown) => unknown }> = [
  { method: 'POST', path: /^\/subjects\/([^/]+)\/versions$/, run: (s, m, b) => s.register(m[0] as string, b) },
  { method: 'POST', path: /^\/subjects\/([^/]+)$/, run: (s, m, b) => s.lookup(m[0] as string, b) },
  { method: 'GET', path: /^\/schemas\/ids\/(\d+)$/, run: (s, m) => s.schema(Number(m[0])) },
  { method: 'GET', path: /^\/subjects$/, run: (s) => s.subjects() },
  { method: 'GET', path: /^\/subjects\/([^/]+)\/versions$/, run: (s, m) => s.versions(m[0] as string) },
  { method: 'GET', path: /^\/subjects\/([^/]+)\/versions\/(latest|\d+)$/, run: (s, m) => s.version(m[0] as string, m[1] as string) },
  { method: 'GET', path: /^\/config$/, run: () => ({ compatibilityLevel: 'NONE' }) },
];

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': REGISTRY_MEDIA_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new HttpError(413, 413, 'Request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(store: SchemaStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const path = new URL(req.url ?? '/', 'http://registry').pathname.replace(/\/+$/, '') || '/';
    const matching = ROUTES.filter((r) => r.path.test(path));
    const route = matching.find((r) => r.method === req.method);
    if (route === undefined) {
      throw matching.length > 0 ? new HttpError(405, 405, 'HTTP 405 Method Not Allowed') : new HttpError(404, 404, 'HTTP 404 Not Found');
    }
    const params = (route.path.exec(path) as RegExpExecArray).slice(1).map(decodeURIComponent);
    let body: unknown;
    if (req.method === 'POST') {
      const text = await readBody(req);
      try {
        body = JSON.parse(text);
      } catch {
        throw new HttpError(400, 400, 'Unrecognized request body: not JSON');
      }
    }
    send(res, 200, route.run(store, params, body));
  } catch (err) {
    if (err instanceof HttpError) send(res, err.status, { error_code: err.errorCode, message: err.message });
    else send(res, 500, { error_code: 50001, message: `Error in the backend data store: ${(err as Error).message}` });
  }
}

/** Starts the stand-in on 127.0.0.1. */
export async function startDevSchemaRegistry(options: DevSchemaRegistryOptions = {}): Promise<DevSchemaRegistry> {
  if (options.port !== undefined) await assertPortFree(options.port, '--schema-registry-port');
  const store = new SchemaStore();
  const server: Server = createServer((req, res) => void handle(store, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new CdcError('ERR_CDC_DEVSTACK', `the development schema registry did not start: ${err.message}`, { cause: err })),
    );
    server.listen({ port: options.port ?? 0, host: '127.0.0.1', exclusive: true }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
