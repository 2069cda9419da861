/**
 * Where the demo and the bench run: the embedded dev stack by default, or an external Kafka and Postgres
 * when KAFKA_BROKERS and DATABASE_URL are both set. Also the clean-up on Ctrl-C that both need: stop
 * what was started (child processes, the dev stack) and exit, whatever step was running.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parse } from '../config/index.js';
import { startDevStack } from './index.js';
import { InvalidOptionError } from '../errors.js';
import { shippedMapping } from '../sinks/mapping.js';
import { prepareSinkTables } from '../sinks/tables.js';
import { applySchema, quoteIdent } from '../postgres/index.js';

export interface Stack {
  brokers: string;
  databaseUrl: string;
  external: boolean;
  /** The dev stack's schema registry stand-in, or SCHEMA_REGISTRY_URL with an external stack (may be unset). */
  schemaRegistryUrl: string | undefined;
  /** Started in ms (the dev stack's start-up time; 0 for an external stack). */
  startMs: number;
  /** The embedded Postgres server's process (CPU accounting); absent for an external stack. */
  postgresPid?: number;
  /** The embedded Postgres over its Unix socket; absent for an external stack. */
  socketUrl?: string;
  stop(): Promise<void>;
}

export async function openStack(env: NodeJS.ProcessEnv = process.env): Promise<Stack> {
  const brokers = env.KAFKA_BROKERS;
  const databaseUrl = env.DATABASE_URL;
  if (brokers && databaseUrl) {
    return {
      brokers: parse.brokers(brokers, 'KAFKA_BROKERS'),
      databaseUrl: parse.databaseUrl(databaseUrl, 'DATABASE_URL'),
      external: true,
      schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ? parse.schemaRegistryUrl(env.SCHEMA_REGISTRY_URL, 'SCHEMA_REGISTRY_URL') : undefined,
      startMs: 0,
      stop: async () => {},
    };
  }
  if (brokers || databaseUrl) {
    const missing = brokers ? 'DATABASE_URL' : 'KAFKA_BROKERS';
    throw new InvalidOptionError(
      missing,
      `${brokers ? 'KAFKA_BROKERS' : 'DATABASE_URL'} is set but ${missing} is not: set both to use an external stack, or neither for the embedded dev stack`,
    );
  }
  const started = performance.now();
  const stack = await startDevStack();
  return {
    brokers: stack.brokers,
    databaseUrl: stack.databaseUrl,
    external: false,
    schemaRegistryUrl: stack.schemaRegistryUrl,
    startMs: performance.now() - started,
    postgresPid: stack.postgres.pid,
    socketUrl: stack.postgres.socketUrl,
    stop: () => stack.stop(),
  };
}

/**
 * The shipped seed-debezium mapping with every sink reading Avro (encoding: avro), written into `dir`:
 * what AvroConverter's form of the generated users and orders loads with (demo, tests). Returns its path.
 */
export function avroSeedMappingFile(dir: string): string {
  const shipped = fileURLToPath(new URL('../../../lib/sinks/mappings/seed-debezium.yaml', import.meta.url));
  const doc = parseYaml(readFileSync(shipped, 'utf8')) as { sinks: Array<Record<string, unknown>> };
  for (const sink of doc.sinks) sink.encoding = 'avro';
  const path = join(dir, 'seed-debezium-avro.yaml');
  writeFileSync(path, stringifyYaml(doc));
  return path;
}

/**
 * Clean-up steps run in reverse order of registration, once, at the end or on the first SIGINT/SIGTERM
 * (then the process exits 130). A second signal exits at once.
 */
export class Cleanup {
  readonly #steps: Array<() => Promise<void> | void> = [];
  #running: Promise<void> | undefined;
  #signals = 0;
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.#signals++;
    if (this.#signals > 1) {
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(130);
    }
    process.stderr.write(`\n${signal}: stopping and cleaning up (again to quit at once)\n`);
    this.onInterrupt?.();
    void this.run().finally(() => process.exit(130));
  };
  /** Called on the first signal, before the clean-up steps (e.g. to abort a producer). */
  onInterrupt: (() => void) | undefined;

  constructor() {
    process.on('SIGINT', this.#onSignal).on('SIGTERM', this.#onSignal);
  }

  get interrupted(): boolean {
    return this.#signals > 0;
  }

  add(step: () => Promise<void> | void): void {
    this.#steps.push(step);
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      while (this.#steps.length > 0) {
        const step = this.#steps.pop() as () => Promise<void> | void;
        try {
          await step();
        } catch (err) {
          process.stderr.write(`clean-up step failed: ${(err as Error).message}\n`);
        }
      }
      process.off('SIGINT', this.#onSignal).off('SIGTERM', this.#onSignal);
    })();
    return this.#running;
  }
}

/** A name unique to this run, usable as a topic, group and schema name. */
export function runId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh schema with the project's tables (the engine's own migration, and the seed mapping's users and
 * orders, which every contender loads). Replaces one of the same name.
 */
export async function freshSchema(databaseUrl: string, schema: string): Promise<void> {
  await withClient(databaseUrl, async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await applySchema(c, schema);
    await prepareSinkTables(c, shippedMapping('seed'), schema, true);
  });
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  await withClient(databaseUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).then(() => undefined));
}
