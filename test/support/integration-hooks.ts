/**
 * Mocha root hooks for the integration tests: the dev stack is started once per test run, unless
 * KAFKA_BROKERS and DATABASE_URL point at an external Kafka and Postgres.
 */
import { type DevStack, startDevStack } from '../../lib/devstack/index.js';
import { setStack } from './stack.js';

let stack: DevStack | undefined;

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    const brokers = process.env.KAFKA_BROKERS;
    const databaseUrl = process.env.DATABASE_URL;
    if (brokers && databaseUrl) {
      setStack({ brokers, databaseUrl, external: true });
      return;
    }
    stack = await startDevStack({ log: process.env.CDC_TEST_VERBOSE ? (l) => console.error(l) : undefined });
    setStack({ brokers: stack.brokers, databaseUrl: stack.databaseUrl, external: false, postgres: stack.postgres });
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stack?.stop();
  },
};
