/**
 * What the integration tests run against, and helpers that give each test its own topics, consumer
 * group and Postgres schema (so tests never lean on one another's state) and remove them afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { EmbeddedPostgres } from '../../lib/devstack/index.js';

export interface TestStack {
  brokers: string;
  databaseUrl: string;
  /** True when KAFKA_BROKERS/DATABASE_URL point at an external stack. */
  external: boolean;
  /** The schema registry: the dev stack's, SCHEMA_REGISTRY_URL's, or a development one of the run's own (not in fault stacks). */
  schemaRegistryUrl?: string;
  /** The embedded server, when the dev stack is in use (tests that stop or pause Postgres need it). */
  postgres?: EmbeddedPostgres;
}

let current: TestStack | undefined;

export function setStack(stack: TestStack): void {
  current = stack;
}

export function testStack(): TestStack {
  if (!current) throw new Error('integration stack not started: run integration tests through .mocharc.integration.json');
  return current;
}

/** A name unique to this test run, safe as a topic, group or schema name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Creates a fresh Postgres schema for one test and returns a function that drops it. */
export async function withTestSchema(prefix = 'test'): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = uniqueName(prefix);
  const client = new pg.Client({ connectionString: testStack().databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${client.escapeIdentifier(schema)}`);
  } finally {
    await client.end();
  }
  return {
    schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: testStack().databaseUrl });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(schema)} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Runs one statement as the stack's admin user (roles, grants) on a short-lived connection. */
export async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * A login role that may use one schema (and create schemas), for tests that run the consumer as a
 * non-superuser with a password of their own. Returns its DATABASE_URL and a function that drops it.
 */
export async function createLoginRole(role: string, password: string, schema: string): Promise<{ url: string; drop: () => Promise<void> }> {
  await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await adminQuery(`GRANT CREATE ON DATABASE cdc TO ${role}`);
  await adminQuery(`GRANT ALL ON SCHEMA "${schema}" TO ${role}`);
  const url = new URL(testStack().databaseUrl);
  url.username = role;
  url.password = password;
  return {
    url: url.toString(),
    drop: async () => {
      await adminQuery(`DROP OWNED BY ${role}`);
      await adminQuery(`DROP ROLE ${role}`);
    },
  };
}
