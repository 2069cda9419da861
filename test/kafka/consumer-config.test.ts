import { expect } from 'chai';
import { InvalidOptionError } from '../../lib/errors.js';
import { consumerConfig, ENGINE_OWNED_SETTINGS } from '../../lib/kafka/consumer-config.js';

describe('kafka/consumer-config', () => {
  const base = { brokers: 'b1:9092,b2:9092', group: 'g', kafkaConfig: {}, rebalance: () => {} };

  it('sets the brokers, the group and manual commits, with the tuned defaults', () => {
    const c = consumerConfig(base);
    expect(c['metadata.broker.list']).to.equal('b1:9092,b2:9092');
    expect(c['group.id']).to.equal('g');
    expect(c['enable.auto.commit']).to.equal(false);
    expect(c['enable.auto.offset.store']).to.equal(false);
    expect(c['fetch.wait.max.ms']).to.equal(10);
    expect(c['enable.partition.eof']).to.equal(true);
    expect(c['queued.max.messages.kbytes']).to.equal(1024);
    expect(c.rebalance_cb).to.equal(base.rebalance);
    expect(c.debug).to.equal(undefined);
  });

  it('lets --kafka-config change a tuned default and add settings (it used to be overridden silently)', () => {
    const c = consumerConfig({
      ...base,
      kafkaConfig: { 'fetch.wait.max.ms': '100', 'statistics.interval.ms': '5000', 'security.protocol': 'ssl' },
    });
    expect(c['fetch.wait.max.ms']).to.equal('100');
    expect(c['statistics.interval.ms']).to.equal('5000');
    expect(c['security.protocol']).to.equal('ssl');
  });

  it('refuses every engine-owned setting, naming it and the flag', () => {
    for (const key of ENGINE_OWNED_SETTINGS) {
      expect(() => consumerConfig({ ...base, kafkaConfig: { [key]: 'x' } }), key)
        .to.throw(InvalidOptionError, /--kafka-config/)
        .with.property('message')
        .that.includes(key);
    }
  });

  it('sets group.instance.id from --instance-id only, and sends --kafka-config users to that flag', () => {
    expect(consumerConfig(base)['group.instance.id']).to.equal(undefined);
    expect(consumerConfig({ ...base, instanceId: 'cdc-0' })['group.instance.id']).to.equal('cdc-0');
    expect(() => consumerConfig({ ...base, kafkaConfig: { 'group.instance.id': 'x' } })).to.throw(InvalidOptionError, /--instance-id/);
  });

  it('turns on librdkafka debug contexts only when asked', () => {
    const c = consumerConfig({ ...base, debug: 'consumer,fetch' });
    expect(c.debug).to.equal('consumer,fetch');
    expect(c.event_cb).to.equal(true);
  });
});
