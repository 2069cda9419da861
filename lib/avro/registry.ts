/**
 * A Confluent Schema Registry client: the REST subset a consumer needs (a schema by id) and a producer
 * needs (register a schema under a subject), over Node's own fetch. Confluent, Apicurio (its
 * Confluent-compatible API) and Karapace answer the same.
 *
 * Not `@confluentinc/schemaregistry`: that package pulls 26 dependencies (AWS, Azure, Google Cloud KMS
 * and Vault clients for client-side field encryption, axios, jsonata, ...) into an engine that needs two
 * GET/POST requests, basic auth and a cache; and its errors would have to be translated into this
 * engine's codes anyway.
 *
 * - One fetch per id per client: ids are immutable in a registry, so a schema, once read, is kept for
 *   the client's life, and concurrent requests for one id share one fetch. An id the registry does not
 *   know (40403) is remembered too, so a topic full of such messages costs one request, not one each.
 * - Errors: ERR_CDC_SCHEMA_UNKNOWN_ID (permanent, names the id); ERR_CDC_SCHEMA_REGISTRY with
 *   `canRetry` for an outage (connection refused or reset, a timeout, 5xx, 408, 429), without it for a
 *   refusal (401/403, with `fatal`: an operator must act; other 4xx; a reply that is not the registry's).
 * - The password (the URL's userinfo or `auth`) goes into the Authorization header only: messages show
 *   the URL without userinfo.
 */
import { CdcError } from '../errors.js';
import { schemaRegistryUrl } from '../config/parsers.js';

export const registryDefaults = {
  /** A request's whole time, connecting included: a registry that does not answer is an outage (retried). */
  requestTimeoutMs: 10_000,
} as const;

export interface RegistryOptions {
  /** `http(s)://[user:password@]host[:port][/path]`; the userinfo, when present, is the basic auth. */
  url: string;
  /** `user:password` (Confluent's `basic.auth.user.info`); wins over the URL's userinfo. */
  auth?: string | undefined;
  requestTimeoutMs?: number | undefined;
}

/** A schema as the registry holds it. Only Avro is read here. */
export interface RegisteredSchema {
  id: number;
  /** The schema's canonical text, as registered. */
  schema: string;
}

/** The media type Confluent's API speaks (it also answers plain JSON). */
export const REGISTRY_MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPT = `${REGISTRY_MEDIA_TYPE}, application/vnd.schemaregistry+json, application/json`;

/** Confluent's error codes this client tells apart (the HTTP status is their first three digits). */
export const REGISTRY_ERROR = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  INVALID_SCHEMA: 42201,
} as const;

/** Statuses that say the registry is (for now) unable, not unwilling: retried. */
function transientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export class SchemaRegistry {
  readonly #base: URL;
  /** The URL as messages show it: no userinfo. */
  readonly url: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;
  readonly #byId = new Map<number, Promise<RegisteredSchema>>();
  readonly #registered = new Map<string, Promise<number>>();

  constructor(options: RegistryOptions) {
    const base = new URL(schemaRegistryUrl(options.url, 'schema registry URL'));
    let user = decodeURIComponent(base.username);
    let password = decodeURIComponent(base.password);
    base.username = '';
    base.password = '';
    if (options.auth !== undefined) {
      const colon = options.auth.indexOf(':');
      user = colon < 0 ? options.auth : options.auth.slice(0, colon);
      password = colon < 0 ? '' : options.auth.slice(colon + 1);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#base = base;
    this.url = base.toString();
    this.#authorization = user === '' && password === '' ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    this.#timeoutMs = options.requestTimeoutMs ?? registryDefaults.requestTimeoutMs;
  }

  /** The schema registered under `id`: fetched once, then from memory. */
  schema(id: number): Promise<RegisteredSchema> {
    let pending = this.#byId.get(id);
    if (pending === undefined) {
      pending = this.#fetchSchema(id);
      this.#byId.set(id, pending);
      // An outage is not remembered: the next request for the id asks again.
      pending.catch((err: unknown) => {
        if (!(err instanceof CdcError && err.code === 'ERR_CDC_SCHEMA_UNKNOWN_ID')) this.#byId.delete(id);
      });
    }
    return pending;
  }

  /**
   * Registers an Avro schema under `subject` (or finds it there: the registry answers the existing id
   * for a schema it already holds) and returns its id; once per subject and schema text per client.
   */
  register(subject: string, schema: string): Promise<number> {
    const key = `${subject}\u0000${schema}`;
    let pending = this.#registered.get(key);
    if (pending === undefined) {
      pending = this.#register(subject, schema);
      this.#registered.set(key, pending);
      pending.then(
        (id) => {
          if (!this.#byId.has(id)) this.#byId.set(id, Promise.resolve({ id, schema }));
        },
        () => this.#registered.delete(key),
      );
    }
    return pending;
  }

  async #fetchSchema(id: number): Promise<RegisteredSchema> {
    if (!Number.isInteger(id) || id < 0) throw new CdcError('ERR_CDC_INTERNAL', `schema id ${id} is not a registry id`);
    const body = await this.#request('GET', `schemas/ids/${id}`, undefined, id);
    const { schema, schemaType, references } = body as { schema?: unknown; schemaType?: unknown; references?: unknown };
    if (typeof schema !== 'string') throw this.#notRegistry('GET', `schemas/ids/${id}`, 'no "schema" text in the reply', id);
    if (schemaType !== undefined && schemaType !== 'AVRO') {
      throw new CdcError('ERR_CDC_SCHEMA_REGISTRY', `schema id ${id} is a ${String(schemaType)} schema, not Avro`, { schemaId: id });
    }
    if (Array.isArray(references) && references.length > 0) {
      throw new CdcError(
        'ERR_CDC_SCHEMA_REGISTRY',
        `schema id ${id} refers to other schemas (schema references), which cdc-pipeline does not read yet`,
        { schemaId: id },
      );
    }
    return { id, schema };
  }

  async #register(subject: string, schema: string): Promise<number> {
    const path = `subjects/${encodeURIComponent(subject)}/versions`;
    const body = await this.#request('POST', path, JSON.stringify({ schema }), undefined);
    const id = (body as { id?: unknown }).id;
    if (typeof id !== 'number' || !Number.isInteger(id)) throw this.#notRegistry('POST', path, 'no integer "id" in the reply', undefined);
    return id;
  }

  /** One request; the parsed JSON reply of a 2xx, else the error its status and body say. */
  async #request(method: 'GET' | 'POST', path: string, body: string | undefined, schemaId: number | undefined): Promise<unknown> {
    const url = new URL(path, this.#base);
    const what = `${method} ${url.toString()}`;
    const headers: Record<string, string> = { accept: ACCEPT };
    if (body !== undefined) headers['content-type'] = REGISTRY_MEDIA_TYPE;
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
      text = await response.text();
    } catch (err) {
      throw this.#unreachable(what, err, schemaId);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok) {
      if (parsed === null || typeof parsed !== 'object')
        throw this.#notRegistry(method, path, 'a reply that is not a JSON object', schemaId);
      return parsed;
    }
    const { error_code: code, message } = (parsed ?? {}) as { error_code?: unknown; message?: unknown };
    const said = typeof message === 'string' ? `: ${message}` : '';
    const status = `${response.status}${typeof code === 'number' ? ` (error ${code})` : ''}`;
    if (code === REGISTRY_ERROR.SCHEMA_NOT_FOUND && schemaId !== undefined) {
      throw new CdcError('ERR_CDC_SCHEMA_UNKNOWN_ID', `schema id ${schemaId} is not in the schema registry at ${this.url}${said}`, {
        schemaId,
      });
    }
    if (response.status === 401 || response.status === 403) {
      throw new CdcError('ERR_CDC_SCHEMA_REGISTRY', `${what} was refused: ${status}${said}`, {
        fatal: `the schema registry refused the credentials (${response.status}): check --schema-registry-auth or the URL's user`,
        ...(schemaId === undefined ? {} : { schemaId }),
      });
    }
    throw new CdcError('ERR_CDC_SCHEMA_REGISTRY', `${what} failed: ${status}${said}`, {
      canRetry: transientStatus(response.status),
      ...(schemaId === undefined ? {} : { schemaId }),
    });
  }

  /** No reply at all: refused, reset, timed out. The engine retries. */
  #unreachable(what: string, err: unknown, schemaId: number | undefined): CdcError {
    const e = err as Error & { cause?: { code?: unknown; message?: unknown } };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const systemCode = timedOut ? 'ETIMEDOUT' : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
    const reason = timedOut
      ? `no reply within ${this.#timeoutMs} ms`
      : typeof e.cause?.message === 'string' && e.cause.message !== ''
        ? e.cause.message
        : e.message;
    return new CdcError('ERR_CDC_SCHEMA_REGISTRY', `${what}: the schema registry is unreachable (${reason})`, {
      canRetry: true,
      ...(systemCode === undefined ? {} : { systemCode }),
      ...(schemaId === undefined ? {} : { schemaId }),
    });
  }

  /** A 2xx whose body is not what the registry sends: the URL points at something else. */
  #notRegistry(method: string, path: string, what: string, schemaId: number | undefined): CdcError {
    return new CdcError('ERR_CDC_SCHEMA_REGISTRY', `${method} ${new URL(path, this.#base).toString()}: ${what}`, {
      fatal: `${this.url} does not answer as a Confluent Schema Registry`,
      ...(schemaId === undefined ? {} : { schemaId }),
    });
  }
}
