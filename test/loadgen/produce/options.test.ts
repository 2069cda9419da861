import { expect } from 'chai';
import { optionError } from '../../support/errors.js';
import { availableCompression } from '../../../lib/loadgen/kafka/producer.js';
import { checkEncoding, effectiveCount, resolveProduceOptions } from '../../../lib/loadgen/produce/options.js';

describe('produce/options', () => {
  it('has the documented defaults', () => {
    const o = resolveProduceOptions();
    expect(o).to.deep.include({
      brokers: 'localhost:9092,localhost:9093,localhost:9094',
      count: undefined,
      durationMs: undefined,
      rate: 0,
      topics: { users: 'users', orders: 'orders' },
      format: 'seed',
      schemas: false,
      mix: { create: 60, update: 30, delete: 10 },
      userShare: 50,
      seed: undefined,
      partitions: { users: 3, orders: 5 },
      replicationFactor: 3,
      compression: 'lz4',
      json: false,
      deliveryReports: 'errors',
    });
    expect(effectiveCount(o)).to.equal(1000);
  });

  it('reads the CLI text forms', () => {
    const o = resolveProduceOptions({
      count: '500',
      durationMs: '30s',
      rate: '2500.5',
      topics: 'u_test,o_test',
      mix: '70,20,10',
      userShare: '25',
      seed: '42',
      partitions: 'users=2,orders=7',
      replicationFactor: '1',
      compression: 'gzip',
      zones: 'Z,+05:30,-08:00',
      format: 'debezium',
      schemas: 'true',
    });
    expect(o).to.deep.include({
      count: 500,
      durationMs: 30_000,
      rate: 2500.5,
      topics: { users: 'u_test', orders: 'o_test' },
      mix: { create: 70, update: 20, delete: 10 },
      userShare: 25,
      seed: 42,
      partitions: { users: 2, orders: 7 },
      replicationFactor: 1,
      compression: 'gzip',
      format: 'debezium',
      schemas: true,
    });
    expect(o.zones).to.deep.equal([0, 330, -480]);
    expect(resolveProduceOptions({ partitions: '4' }).partitions).to.deep.equal({ users: 4, orders: 4 });
    expect(resolveProduceOptions({ partitions: 'orders=9' }).partitions).to.deep.equal({ users: 3, orders: 9 });
  });

  it('stops at whichever of count and duration comes first, with 0 meaning no limit', () => {
    expect(effectiveCount({ count: 10, durationMs: 5000 })).to.equal(10);
    expect(effectiveCount({ count: undefined, durationMs: 5000 })).to.equal(Number.POSITIVE_INFINITY);
    expect(effectiveCount({ count: 0, durationMs: undefined })).to.equal(Number.POSITIVE_INFINITY);
    expect(effectiveCount({ count: undefined, durationMs: 0 })).to.equal(1000);
  });

  it('accepts only the compression codecs this librdkafka build has', () => {
    for (const codec of ['none', 'lz4', 'gzip', 'snappy', 'zstd'] as const) {
      if (availableCompression().includes(codec)) expect(resolveProduceOptions({ compression: codec }).compression).to.equal(codec);
      else expect(optionError(() => resolveProduceOptions({ compression: codec })).message).to.match(new RegExp(`has no ${codec}`));
    }
    expect(availableCompression()).to.include.members(['none', 'lz4']);
  });

  it('takes the environment when no value is given, and the given value over it', () => {
    const env = { KAFKA_BROKERS: 'k1:9092', CDC_PRODUCE_RATE: '10', CDC_PRODUCE_FORMAT: 'debezium', CDC_PRODUCE_SCHEMAS: '1' };
    expect(resolveProduceOptions({}, env)).to.deep.include({ brokers: 'k1:9092', rate: 10, format: 'debezium', schemas: true });
    expect(resolveProduceOptions({ format: 'seed', schemas: false }, env)).to.deep.include({ format: 'seed', schemas: false });
    expect(resolveProduceOptions({ rate: 20 }, env).rate).to.equal(20);
  });

  it('takes --encoding avro with --format debezium and a registry only', () => {
    const avro = resolveProduceOptions({ format: 'debezium', encoding: 'avro', schemaRegistry: 'http://localhost:8081' });
    expect([avro.encoding, avro.schemaRegistry]).to.deep.equal(['avro', 'http://localhost:8081']);
    expect(() => checkEncoding(avro)).to.not.throw();
    expect(resolveProduceOptions({}).encoding).to.equal('json');
    expect(optionError(() => checkEncoding({ ...avro, format: 'seed' })).message).to.equal(
      'invalid --encoding avro: only with --format debezium (the seed format is JSON)',
    );
    expect(optionError(() => checkEncoding({ ...avro, schemaRegistry: undefined })).message).to.match(/give --schema-registry URL/);
  });

  it('rejects bad values, naming the option', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ mix: '60,30' }, /--mix/],
      [{ mix: '60,30,20' }, /sum to 100/],
      [{ topics: 'users' }, /--topics/],
      [{ topics: 'same,same' }, /two different topic names/],
      [{ topics: 'bad topic,orders' }, /--topics/],
      [{ partitions: 'users=0' }, /--partitions/],
      [{ partitions: 'customers=3' }, /--partitions/],
      [{ userShare: '0' }, /--user-share/],
      [{ userShare: '101' }, /--user-share/],
      [{ rate: '-1' }, /--rate/],
      [{ count: '1.5' }, /--count/],
      [{ compression: 'brotli' }, /--compression.*none, lz4, zstd, gzip, snappy/],
      [{ zones: '+25:00' }, /--zones/],
      [{ deliveryTimeout: '0' }, /--delivery-timeout/],
      [{ deliveryReports: 'some' }, /--delivery-reports/],
      [{ format: 'avro' }, /^invalid --format "avro": expected one of seed, debezium$/],
      [{ format: 'Debezium' }, /--format/],
      [{ schemas: 'maybe' }, /^invalid --schemas "maybe": expected true or false$/],
      [{ encoding: 'protobuf' }, /^invalid --encoding "protobuf": expected one of json, avro$/],
      [{ schemaRegistry: 'localhost:8081' }, /--schema-registry/],
      [{ schemaRegistryAuth: 'no-colon-secret' }, /^invalid --schema-registry-auth: expected user:password/],
    ];
    for (const [input, message] of cases) {
      expect(optionError(() => resolveProduceOptions(input as never)).message).to.match(message);
    }
  });
});
