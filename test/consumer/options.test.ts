import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOptions } from '../../lib/config/index.js';
import { ConsumerEngine } from '../../lib/consumer/engine.js';
import { consumerDefaults } from '../../lib/consumer/defaults.js';
import { consumerOptions, defaultWorkers } from '../../lib/consumer/options.js';
import { InvalidOptionError } from '../../lib/errors.js';

describe('consumer/options', () => {
  it('has the documented defaults', () => {
    const o = resolveOptions(consumerOptions, {}, {});
    expect(o.group).to.equal('cdc-pipeline');
    // Every sink of the mapping (the shipped seed mapping: users and orders).
    expect(o.topics).to.equal(undefined);
    expect(o.sinks).to.equal(undefined);
    expect(o.idleMs).to.equal(0);
    expect(o.workers).to.equal(undefined);
    expect(o.batchMaxRows).to.equal(consumerDefaults.batchMaxRows);
    expect(o.batchMaxMs).to.equal(20);
    expect(o.from).to.equal('beginning');
    expect(o.migrate).to.equal(true);
    expect(o.orphanWaitMs).to.equal(30_000);
    expect(o.kafkaConfig).to.deep.equal({});
    expect(o.onOffsetGap).to.equal('fail');
    expect(o.instanceId).to.equal(undefined);
  });

  it('reads --on-offset-gap and --instance-id, and refuses an id Kafka would refuse at the join, naming the flag', () => {
    const o = resolveOptions(consumerOptions, { onOffsetGap: 'earliest' }, { CDC_INSTANCE_ID: 'cdc-consumer-0.eu_1' });
    expect(o.onOffsetGap).to.equal('earliest');
    expect(o.instanceId).to.equal('cdc-consumer-0.eu_1');
    expect(resolveOptions(consumerOptions, {}, { CDC_ON_OFFSET_GAP: 'latest' }).onOffsetGap).to.equal('latest');
    expect(() => resolveOptions(consumerOptions, { onOffsetGap: 'skip' }, {})).to.throw(
      InvalidOptionError,
      /--on-offset-gap.*fail, earliest, latest/,
    );
    expect(() => resolveOptions(consumerOptions, { instanceId: 'host 1' }, {})).to.throw(InvalidOptionError, /--instance-id "host 1"/);
    expect(() => resolveOptions(consumerOptions, {}, { CDC_INSTANCE_ID: 'x'.repeat(250) })).to.throw(InvalidOptionError, /CDC_INSTANCE_ID/);
  });

  it("defaults to one worker per core less the main thread's: at least 1, at most 8", () => {
    expect(defaultWorkers(1)).to.equal(1);
    expect(defaultWorkers(2)).to.equal(1);
    expect(defaultWorkers(4)).to.equal(3);
    expect(defaultWorkers(9)).to.equal(8);
    expect(defaultWorkers(64)).to.equal(8);
  });

  it('reads flags, then environment', () => {
    const o = resolveOptions(
      consumerOptions,
      { idle: '10s', workers: '3', migrate: false, kafkaConfig: 'session.timeout.ms=6000,security.protocol=ssl' },
      { CDC_GROUP: 'g1', CDC_FROM: 'end', CDC_IDLE: '1m' },
    );
    expect(o.idleMs).to.equal(10_000);
    expect(o.workers).to.equal(3);
    expect(o.group).to.equal('g1');
    expect(o.from).to.equal('end');
    expect(o.migrate).to.equal(false);
    expect(o.kafkaConfig).to.deep.equal({ 'session.timeout.ms': '6000', 'security.protocol': 'ssl' });
  });

  it('names the option in every validation error', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ idle: 'ten' }, /--idle/],
      [{ workers: '0' }, /--workers.*from 1 to 64/],
      [{ batchMaxRows: '-5' }, /--batch-max-rows/],
      [{ from: 'middle' }, /--from.*one of beginning, end/],
      [{ kafkaConfig: '=x' }, /--kafka-config/],
      [{ topics: 'users,,orders' }, /--topics/],
      [{ schemaRegistry: 'localhost:8081' }, /--schema-registry: scheme "localhost:" is not http:/],
      [{ schemaRegistry: 'http://r:8081/?x=1' }, /--schema-registry: a query or fragment has no meaning here/],
      [{ schemaRegistryAuth: 'nocolon' }, /--schema-registry-auth: expected user:password/],
    ];
    for (const [argv, pattern] of cases) {
      expect(() => resolveOptions(consumerOptions, argv, {})).to.throw(InvalidOptionError, pattern);
    }
  });

  it('bounds every Postgres session by default: lock < statement < client query timeout, idle in transaction below lock', () => {
    const o = resolveOptions(consumerOptions, {}, {});
    expect(o.pgIdleInTransactionTimeoutMs).to.equal(10_000);
    expect(o.pgLockTimeoutMs).to.equal(30_000);
    expect(o.pgStatementTimeoutMs).to.equal(60_000);
    expect(o.pgQueryTimeoutMs).to.equal(90_000);
    expect(o.pgKeepaliveMs).to.equal(10_000);
    // The orderings the defaults' reasons rest on (see consumerDefaults).
    expect(o.pgIdleInTransactionTimeoutMs).to.be.below(o.pgLockTimeoutMs);
    expect(o.pgLockTimeoutMs).to.be.below(o.pgStatementTimeoutMs);
    expect(o.pgStatementTimeoutMs).to.be.below(o.pgQueryTimeoutMs);
  });

  it('reads the Postgres session limits from flags and environment, 0 meaning not set', () => {
    const o = resolveOptions(
      consumerOptions,
      { pgStatementTimeout: '2m', pgLockTimeout: '0', pgKeepalive: '0' },
      {
        CDC_PG_IDLE_IN_TRANSACTION_TIMEOUT: '1.5s',
        CDC_PG_QUERY_TIMEOUT: '500ms',
        CDC_PG_STATEMENT_TIMEOUT: '1s',
        CDC_PG_KEEPALIVE: '30s',
      },
    );
    expect(o.pgStatementTimeoutMs).to.equal(120_000);
    expect(o.pgLockTimeoutMs).to.equal(0);
    expect(o.pgKeepaliveMs).to.equal(0);
    expect(o.pgIdleInTransactionTimeoutMs).to.equal(1500);
    expect(o.pgQueryTimeoutMs).to.equal(500);
    expect(resolveOptions(consumerOptions, {}, { CDC_PG_KEEPALIVE: '1m' }).pgKeepaliveMs).to.equal(60_000);
  });

  it('names the flag or variable of a bad Postgres session limit, with the accepted range', () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>, RegExp]> = [
      [{ pgStatementTimeout: 'forever' }, {}, /--pg-statement-timeout "forever".*500ms, 10s/],
      [{ pgStatementTimeout: '25h' }, {}, /--pg-statement-timeout "25h": expected 0 \(not set\) or a duration from 1ms to 24h/],
      [{ pgLockTimeout: '-1s' }, {}, /--pg-lock-timeout/],
      [{ pgIdleInTransactionTimeout: '10' }, {}, /--pg-idle-in-transaction-timeout/],
      [{ pgQueryTimeout: '2d' }, {}, /--pg-query-timeout/],
      // Keepalive is whole seconds on both ends: below 1 s it would mean "off" or fail at connect.
      [{ pgKeepalive: '500ms' }, {}, /--pg-keepalive "500ms": expected 0 \(not set\) or a duration from 1s to 1h/],
      [{ pgKeepalive: '2h' }, {}, /--pg-keepalive/],
      [{}, { CDC_PG_LOCK_TIMEOUT: 'soon' }, /CDC_PG_LOCK_TIMEOUT "soon"/],
      [{}, { CDC_PG_KEEPALIVE: '100ms' }, /CDC_PG_KEEPALIVE/],
    ];
    for (const [argv, env, pattern] of cases) {
      expect(() => resolveOptions(consumerOptions, argv, env)).to.throw(InvalidOptionError, pattern);
    }
  });

  it('reads the schema registry and its auth from flags or environment, never echoing the password', () => {
    expect(resolveOptions(consumerOptions, {}, {}).schemaRegistry).to.equal(undefined);
    const o = resolveOptions(
      consumerOptions,
      {},
      { CDC_SCHEMA_REGISTRY_URL: 'https://sr.example:8081/api', CDC_SCHEMA_REGISTRY_AUTH: 'u:p:w' },
    );
    expect([o.schemaRegistry, o.schemaRegistryAuth]).to.deep.equal(['https://sr.example:8081/api', 'u:p:w']);
    expect(
      resolveOptions(consumerOptions, { schemaRegistry: 'http://r:1' }, { CDC_SCHEMA_REGISTRY_URL: 'http://s:2' }).schemaRegistry,
    ).to.equal('http://r:1');
    expect(() => resolveOptions(consumerOptions, { schemaRegistryAuth: 'secret-without-user' }, {})).to.throw(
      InvalidOptionError,
      /^(?!.*secret-without-user)/,
    );
    expect(() => resolveOptions(consumerOptions, { schemaRegistry: 'ftp://u:hunter22@r' }, {})).to.throw(
      InvalidOptionError,
      /^(?!.*hunter22)/,
    );
  });

  it('refuses an Avro sink without --schema-registry at start-up, naming the sink', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-avro-'));
    try {
      const sinks = join(dir, 'avro.yaml');
      writeFileSync(sinks, 'sinks:\n  - { topic: t, table: t, format: debezium, encoding: avro, key: [id], columns: { id: bigint } }\n');
      const base = resolveOptions(consumerOptions, { sinks }, {});
      expect(() => new ConsumerEngine(base)).to.throw(InvalidOptionError, /sink "t" of .* has encoding: avro.*--schema-registry URL/);
      expect(() => new ConsumerEngine({ ...base, schemaRegistry: 'http://localhost:8081' })).to.not.throw();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses librdkafka settings that would break exactly-once commits, and unknown sinks', () => {
    const base = resolveOptions(consumerOptions, {}, {});
    expect(() => new ConsumerEngine({ ...base, kafkaConfig: { 'enable.auto.commit': 'true' } })).to.throw(
      InvalidOptionError,
      /enable\.auto\.commit is set by the engine/,
    );
    expect(() => new ConsumerEngine({ ...base, topics: ['payments'] })).to.throw(InvalidOptionError, /--topics entry "payments"/);
    expect(() => new ConsumerEngine({ ...base, topics: ['users=prod.users', 'orders=prod.orders'] })).to.not.throw();
  });
});
