import { expect } from 'chai';
import type { EngineStats } from '../../lib/consumer/stats.js';
import { PipelineMetrics } from '../../lib/metrics/metrics.js';

function stats(partial: Partial<EngineStats>): EngineStats {
  return { startedAt: 0, consumed: {}, totals: {}, batches: 0, inflightBatches: 0, lag: {}, ...partial };
}

describe('metrics/metrics', () => {
  it('exposes every cdc_ series with the values it was given', async () => {
    let current = stats({ lag: { 'users/0': 5, 'a/b/1': 2 }, inflightBatches: 3 });
    const m = new PipelineMetrics(() => current);
    m.declareTopics([{ topic: 'users', table: 'users' }]);
    m.messagesConsumed('users', 10);
    m.messagesConsumed('users', 5);
    m.batchApplied('users', 'users', 12, 3, 0.02);
    m.offsetGap('users', 2, 'below-start');
    const text = await m.registry.metrics();
    expect(text).to.contain('cdc_messages_consumed_total{topic="users"} 15');
    expect(text).to.contain('cdc_rows_applied_total{table="users"} 12');
    expect(text).to.contain('cdc_dead_letters_total{topic="users"} 3');
    expect(text).to.contain('cdc_batch_duration_seconds_count 1');
    expect(text).to.contain('cdc_batch_duration_seconds_bucket{le="0.025"} 1');
    expect(text).to.contain('cdc_consumer_lag{topic="users",partition="0"} 5');
    // A topic name with a slash keeps it: only the last segment is the partition.
    expect(text).to.contain('cdc_consumer_lag{topic="a/b",partition="1"} 2');
    expect(text).to.contain('cdc_inflight_batches 3');
    expect(text).to.contain('cdc_offset_gaps_total{topic="users",partition="2",kind="below-start"} 1');
    expect(text).to.match(/process_resident_memory_bytes \d+/);
    expect(text).to.match(/nodejs_eventloop_lag_seconds /);
    current = stats({ lag: {}, inflightBatches: 0 });
    const later = await m.registry.metrics();
    expect(later).to.not.contain('cdc_consumer_lag{');
    expect(later).to.contain('cdc_inflight_batches 0');
  });
});
