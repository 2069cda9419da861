/**
 * Mocha root hooks for the integration tests: the dev stack is started once per test run, unless
 * KAFKA_BROKERS and DATABASE_URL point at an external Kafka and Postgres.
 */
import { type DevStack, startDevStack } from '../../lib/devstack/index.js';
import { type DevSchemaRegistry, startDevSchemaRegistry } from '../../lib/devstack/schema-registry.js';
import { setStack } from './stack.js';

let stack: DevStack | undefined;
let registry: DevSchemaRegistry | undefined;

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    const brokers = process.env.KAFKA_BROKERS;
    const databaseUrl = process.env.DATABASE_URL;
    if (brokers && databaseUrl) {
      // A Schema Registry of the external stack's, else a development one for this run.
      const schemaRegistryUrl = process.env.SCHEMA_REGISTRY_URL ?? (registry = await startDevSchemaRegistry()).url;
      setStack({ brokers, databaseUrl, schemaRegistryUrl, external: true });
      return;
    }
    stack = await startDevStack({ log: process.env.CDC_TEST_VERBOSE ? (l) => console.error(l) : undefined });
    setStack({
      brokers: stack.brokers,
      databaseUrl: stack.databaseUrl,
      schemaRegistryUrl: stack.schemaRegistryUrl,
      external: false,
      postgres: stack.postgres,
    });
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await Promise.all([stack?.stop(), registry?.stop()]);
  },
};
