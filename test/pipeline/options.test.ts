import { expect } from 'chai';
import { resolveOptions } from '../../lib/config/index.js';
import { InvalidOptionError } from '../../lib/errors.js';
import { ConsumerEngine } from '../../lib/pipeline/engine.js';
import { consumerDefaults, consumerOptions, defaultWorkers } from '../../lib/pipeline/options.js';

describe('pipeline/options', () => {
  it('has the documented defaults', () => {
    const o = resolveOptions(consumerOptions, {}, {});
    expect(o.group).to.equal('cdc-pipeline');
    expect(o.topics).to.deep.equal(['users', 'orders']);
    expect(o.idleMs).to.equal(0);
    expect(o.workers).to.equal(undefined);
    expect(o.batchMaxRows).to.equal(consumerDefaults.batchMaxRows);
    expect(o.batchMaxMs).to.equal(20);
    expect(o.from).to.equal('beginning');
    expect(o.migrate).to.equal(true);
    expect(o.orphanWaitMs).to.equal(30_000);
    expect(o.kafkaConfig).to.deep.equal({});
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
    ];
    for (const [argv, pattern] of cases) {
      expect(() => resolveOptions(consumerOptions, argv, {})).to.throw(InvalidOptionError, pattern);
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
