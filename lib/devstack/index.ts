/**
 * The hermetic dev stack: an embedded Postgres, a 3-broker Kafka mock cluster and a development stand-in
 * for a Schema Registry, started together and stopped together. Tests, the demo and the benchmarks use
 * it when no external Kafka/Postgres is given.
 */

import { type MockKafka, startMockKafka } from './kafka-mock.js';
import { type EmbeddedPostgres, type EmbeddedPostgresOptions, startEmbeddedPostgres } from './postgres.js';
import { type DevSchemaRegistry, startDevSchemaRegistry } from './schema-registry.js';

export interface DevStackOptions extends EmbeddedPostgresOptions {
  /** Port of the schema registry stand-in on 127.0.0.1; default: a free one. */
  schemaRegistryPort?: number | undefined;
}

export interface DevStack {
  brokers: string;
  databaseUrl: string;
  /** The schema registry stand-in (lib/devstack/schema-registry.ts): in memory, no compatibility checks. */
  schemaRegistryUrl: string;
  /** The Postgres server, for tests that restart or pause it. */
  postgres: EmbeddedPostgres;
  stop(): Promise<void>;
}

export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  // Start all at once: Postgres and Kafka take a few seconds each and none needs another.
  const results = await Promise.allSettled([
    startEmbeddedPostgres(options),
    startMockKafka(),
    startDevSchemaRegistry({ port: options.schemaRegistryPort }),
  ]);
  const [pgResult, kafkaResult, registryResult] = results;
  if (pgResult.status === 'rejected' || kafkaResult.status === 'rejected' || registryResult.status === 'rejected') {
    // Never leave part of a stack running behind an error.
    await Promise.allSettled(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const postgres = pgResult.value;
  const kafka: MockKafka = kafkaResult.value;
  const registry: DevSchemaRegistry = registryResult.value;
  let stopping: Promise<void> | undefined;
  return {
    brokers: kafka.brokers,
    databaseUrl: postgres.url,
    schemaRegistryUrl: registry.url,
    postgres,
    stop: () => {
      stopping ??= Promise.allSettled([kafka.stop(), postgres.stop(), registry.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

export type { EmbeddedPostgres } from './postgres.js';
