import { expect } from 'chai';
import { formatProgress, formatSummary, type ProduceSummary, summaryExitCode } from '../../../lib/loadgen/produce/index.js';

function summary(overrides: Partial<ProduceSummary> = {}): ProduceSummary {
  return {
    brokers: 'localhost:9092',
    seed: 42,
    format: 'seed',
    schemas: false,
    encoding: 'json',
    topics: {
      users: { topic: 'users', CREATE: 600, UPDATE: 300, DELETE: 100, skipped: 0, sent: 1000, delivered: 1000, failed: 0 },
      orders: { topic: 'orders', CREATE: 1200, UPDATE: 600, DELETE: 200, skipped: 0, sent: 2000, delivered: 1990, failed: 10 },
    },
    sent: 3000,
    delivered: 2990,
    failed: 10,
    unreported: 0,
    elapsedMs: 1500,
    sendRate: 2100,
    deliveredRate: 1993,
    stoppedBy: 'count',
    deliveryErrors: [{ message: 'Local: Message timed out', count: 10 }],
    topicOutcomes: [],
    ...overrides,
  };
}

describe('produce/summary', () => {
  it('shows counts by event type per topic, totals, elapsed time, rates and delivery errors', () => {
    const text = formatSummary(summary());
    const lines = text.split('\n');
    expect(lines[0]).to.match(/^topic\s+CREATE\s+UPDATE\s+DELETE\s+sent\s+delivered\s+failed$/);
    expect(lines[1]).to.match(/^users\s+600\s+300\s+100\s+1,000\s+1,000\s+0$/);
    expect(lines[2]).to.match(/^orders\s+1,200\s+600\s+200\s+2,000\s+1,990\s+10$/);
    expect(lines[3]).to.match(/^total\s+1,800\s+900\s+300\s+3,000\s+2,990\s+10$/);
    expect(text).to.include('elapsed 1.50 s; sent 2,100 events/s, delivered 1,993 events/s; stopped by count; seed 42');
    expect(text).to.include('delivery error (10x): Local: Message timed out');
  });

  it('says the Debezium format and how many events had nothing to send', () => {
    const users = { topic: 'users', CREATE: 600, UPDATE: 300, DELETE: 100, skipped: 3, sent: 997, delivered: 997, failed: 0 };
    const text = formatSummary(summary({ format: 'debezium', schemas: true, topics: { users, orders: summary().topics.orders } }));
    expect(text.split('\n')[1]).to.match(/^users\s+600\s+300\s+100\s+997\s+997\s+0$/);
    expect(text).to.include(
      'format debezium (JsonConverter, with schemas); 3 UPDATE/DELETE events had no row to change, so nothing was sent for them',
    );
    expect(formatSummary(summary())).not.to.include('format');
    expect(formatSummary(summary({ format: 'debezium', schemas: true, encoding: 'avro' }))).to.include(
      'format debezium (AvroConverter, schemas in the registry); 0 UPDATE/DELETE',
    );
  });

  it('exits non-zero when any event failed or was left without a report', () => {
    expect(summaryExitCode(summary())).to.equal(1);
    const clean = summary({ failed: 0, delivered: 3000, deliveryErrors: [] });
    expect(summaryExitCode(clean)).to.equal(0);
    expect(summaryExitCode({ ...clean, unreported: 1 })).to.equal(1);
    expect(summaryExitCode({ ...clean, error: 'fatal' })).to.equal(1);
  });

  it('formats the live progress line', () => {
    expect(
      formatProgress({ sent: 120_000, delivered: 118_000, failed: 0, inFlight: 2000, elapsedMs: 1234, currentRate: 99_870.4 }),
    ).to.equal('sent 120,000  delivered 118,000  failed 0  rate 99,870/s  elapsed 1.2s');
  });
});
