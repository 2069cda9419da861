import { expect } from 'chai';
import { linkDefaults } from '../../lib/consumer/defaults.js';
import { KafkaLinks } from '../../lib/consumer/links.js';
import type { LogLevel } from '../../lib/log.js';
import type { RdkafkaStatistics } from '../../lib/consumer/stats.js';

type Line = [LogLevel, string, Record<string, unknown> | undefined];

function links(): { links: KafkaLinks; lines: Line[] } {
  const lines: Line[] = [];
  return { links: new KafkaLinks((level, message, fields) => lines.push([level, message, fields])), lines };
}

function stats(states: Record<number, string>): RdkafkaStatistics {
  const brokers: RdkafkaStatistics['brokers'] = {
    // Entries that stand for no broker of their own: a bootstrap address and the coordinator handle.
    '127.0.0.1:9092/bootstrap': { nodeid: -1, nodename: '127.0.0.1:9092', source: 'configured', state: 'DOWN' },
    GroupCoordinator: { nodeid: 1, nodename: '127.0.0.1:9093', source: 'logical', state: 'DOWN' },
  };
  for (const [id, state] of Object.entries(states)) {
    brokers[`127.0.0.1:${9092 + Number(id)}/${id}`] = {
      nodeid: Number(id),
      nodename: `127.0.0.1:${9092 + Number(id)}`,
      source: 'learned',
      state,
    };
  }
  return { brokers };
}

describe('consumer/links', () => {
  it('logs a broker that was up and is not once, names it, and logs its return once', () => {
    const { links: l, lines } = links();
    l.statistics(stats({ 1: 'UP', 2: 'UP', 3: 'INIT' }), 0);
    expect(lines).to.deep.equal([]);
    l.statistics(stats({ 1: 'UP', 2: 'DOWN', 3: 'INIT' }), 1000);
    l.statistics(stats({ 1: 'UP', 2: 'CONNECT', 3: 'INIT' }), 2000);
    l.statistics(stats({ 1: 'UP', 2: 'DOWN', 3: 'INIT' }), 3000);
    expect(l.unreachable()).to.deep.equal(['127.0.0.1:9094']);
    l.statistics(stats({ 1: 'UP', 2: 'UP', 3: 'INIT' }), 8000);
    expect(lines).to.deep.equal([
      ['warn', 'Kafka broker unreachable; librdkafka keeps reconnecting', { broker: '127.0.0.1:9094', id: 2, state: 'DOWN' }],
      ['info', 'Kafka broker reachable again', { broker: '127.0.0.1:9094', id: 2, downMs: 7000 }],
    ]);
    expect(l.unreachable()).to.deep.equal([]);
  });

  it('does not call a broker it never reached, or one whose connection librdkafka closed (INIT), unreachable', () => {
    const { links: l, lines } = links();
    l.statistics(stats({ 1: 'DOWN', 2: 'UP' }), 0);
    l.statistics(stats({ 1: 'CONNECT', 2: 'INIT' }), 1000);
    expect(lines).to.deep.equal([]);
    expect(l.unreachable()).to.deep.equal([]);
  });

  it('logs a client error once per quiet period, repeats at debug level', () => {
    const { links: l, lines } = links();
    l.clientError('127.0.0.1:9094/2: Connect failed', 0);
    l.clientError('127.0.0.1:9094/2: Connect failed', 1000);
    l.clientError('1/1 brokers are down', 1500);
    l.clientError('127.0.0.1:9094/2: Connect failed', 1000 + linkDefaults.errorQuietMs - 1);
    l.clientError('127.0.0.1:9094/2: Connect failed', 1000 + 2 * linkDefaults.errorQuietMs);
    expect(lines.map(([level, , f]) => [level, f?.error])).to.deep.equal([
      ['warn', '127.0.0.1:9094/2: Connect failed'],
      ['debug', '127.0.0.1:9094/2: Connect failed'],
      ['warn', '1/1 brokers are down'],
      ['debug', '127.0.0.1:9094/2: Connect failed'],
      ['warn', '127.0.0.1:9094/2: Connect failed'],
    ]);
  });

  it("returns librdkafka's fatal error (a fenced static member) as the run's error, and logs the others", () => {
    const { links: l, lines } = links();
    const fenced = l.error({
      code: -150,
      message: 'Fatal error: Broker: Static consumer fenced by other consumer with same group.instance.id',
    });
    expect(fenced).to.include({ code: 'ERR_CDC_KAFKA' });
    expect(fenced?.message).to.match(/^Kafka: Fatal error: .*fenced/);
    expect(lines).to.deep.equal([]);
    expect(l.error({ code: -195, message: '1/1 brokers are down' })).to.equal(undefined);
    expect(lines.map(([level, , f]) => [level, f?.error])).to.deep.equal([['warn', '1/1 brokers are down']]);
  });
});
