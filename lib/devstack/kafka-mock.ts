/**
 * A 3-broker Kafka for the dev stack: librdkafka's built-in mock cluster. A client created with
 * `test.mock.num.brokers` starts the cluster inside this process; it listens on real loopback ports,
 * so other processes connect to it like to any broker. It lives exactly as long as that client.
 */
import Kafka from 'node-rdkafka';
import { CdcError } from '../errors.js';

export const mockKafkaDefaults = {
  numBrokers: 3,
  startTimeoutMs: 10_000,
} as const;

export interface MockKafka {
  /** Comma-separated bootstrap list of the mock brokers. */
  brokers: string;
  stop(): Promise<void>;
}

export interface MockKafkaOptions {
  /**
   * Round-trip time every broker adds to each request (librdkafka's `test.mock.broker.rtt`), to stand
   * in for a network between clients and brokers; fixed, no jitter. Default 0.
   */
  rttMs?: number;
}

export async function startMockKafka(options: MockKafkaOptions = {}): Promise<MockKafka> {
  // `test.mock.*` properties are not in node-rdkafka's config typings.
  const client = new Kafka.Producer({
    'client.id': 'cdc-devstack-mock-cluster',
    'test.mock.num.brokers': mockKafkaDefaults.numBrokers,
    ...(options.rttMs ? { 'test.mock.broker.rtt': options.rttMs } : {}),
  } as Kafka.ProducerGlobalConfig);
  await new Promise<void>((resolve, reject) => {
    client.connect({ timeout: mockKafkaDefaults.startTimeoutMs }, (err) =>
      err ? reject(new CdcError('ERR_CDC_DEVSTACK', `the Kafka mock cluster did not start: ${err.message}`, { cause: err })) : resolve(),
    );
  });
  let brokers: string;
  try {
    // The metadata's broker list is the cluster's advertised bootstrap list.
    const metadata = await new Promise<Kafka.Metadata>((resolve, reject) => {
      client.getMetadata({ timeout: mockKafkaDefaults.startTimeoutMs }, (err, data) => (err ? reject(err) : resolve(data)));
    });
    const list = [...metadata.brokers].sort((a, b) => a.id - b.id).map((b) => `${b.host}:${b.port}`);
    if (list.length !== mockKafkaDefaults.numBrokers) {
      throw new CdcError(
        'ERR_CDC_DEVSTACK',
        `the Kafka mock cluster reported ${list.length} brokers, expected ${mockKafkaDefaults.numBrokers}`,
      );
    }
    brokers = list.join(',');
  } catch (err) {
    await disconnect(client);
    throw err instanceof CdcError
      ? err
      : new CdcError('ERR_CDC_DEVSTACK', `the Kafka mock cluster gave no metadata: ${(err as Error).message}`, { cause: err });
  }
  let stopping: Promise<void> | undefined;
  return { brokers, stop: () => (stopping ??= disconnect(client)) };
}

function disconnect(client: Kafka.Producer): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isConnected()) return resolve();
    client.disconnect(() => resolve());
  });
}
