import { expect } from 'chai';
import { retryDefaults } from '../../lib/consumer/defaults.js';
import { Dispatcher, type DispatcherDeps } from '../../lib/consumer/dispatcher.js';
import { type CommitTarget, OffsetCommitter } from '../../lib/consumer/offsets.js';
import type { PartitionState } from '../../lib/consumer/partition-state.js';
import { RetryScheduler } from '../../lib/consumer/retry-scheduler.js';
import { createEngineStats } from '../../lib/consumer/stats.js';
import type { WorkerSlot } from '../../lib/consumer/worker-pool.js';
import { CdcError } from '../../lib/errors.js';
import { type ApplyResult, type ApplyStats, type ApplyTask, type Notice, unpackBatch } from '../../lib/worker-protocol.js';
import { FakeClock } from '../support/fake-clock.js';
import { fakeSlot, message, partition, recordingLog } from '../support/partitions.js';

function applied(nextOffset: number, events: number): ApplyResult {
  const stats: ApplyStats = {
    events,
    skipped: 0,
    upserted: events,
    patched: 0,
    noops: 0,
    ignored: 0,
    deadLetters: 0,
    durationMs: 5,
    committedAt: 0,
  };
  return { ok: true, status: 'applied', nextOffset, stats };
}

/**
 * A dispatcher over a fake worker slot that answers each apply task with the next queued outcome (a
 * result, or an error to throw), and a fake consumer that records commits.
 */
function setup(outcomes: Array<ApplyResult | Error>, hooks: DispatcherDeps['hooks'] = {}, trackIdle = false) {
  const clock = new FakeClock();
  const { log, lines } = recordingLog();
  const tasks: Array<{ task: ApplyTask; transfer: ArrayBuffer[] }> = [];
  const commits: unknown[] = [];
  const fatal: Error[] = [];
  const notices: Notice[] = [];
  let settled = 0;
  let running = 0;
  const run = (async (task: ApplyTask, transfer: ArrayBuffer[] = []) => {
    tasks.push({ task, transfer });
    running++;
    try {
      await Promise.resolve();
      const next = outcomes.shift();
      if (next === undefined) throw new Error('no outcome queued');
      if (next instanceof Error) throw next;
      return next;
    } finally {
      running--;
    }
  }) as unknown as WorkerSlot['run'];
  // Two partitions on one worker thread; unless tracked, the thread says it is busy (linger applies).
  const slot = fakeSlot(run, () => trackIdle && running === 0);
  const states: PartitionState[] = [];
  const consumer: CommitTarget = { isConnected: () => true, commit: (offsets) => commits.push(offsets) };
  const stats = createEngineStats(['t']);
  const offsets = new OffsetCommitter({
    consumer: () => consumer,
    readStored: async () => [],
    log,
    clock,
    releaseReadMs: 1000,
    commitIntervalMs: 100,
  });
  const retries = new RetryScheduler({
    log,
    clock,
    postgres: 'db',
    // Shorter than the second orphan retry's delay, so the third run is past the wait.
    orphanWaitMs: 60,
    orphanLogIntervalMs: 10_000,
    parentsOf: () => 'parents',
    stopping: () => false,
    random: () => 1,
  });
  const dispatcher = new Dispatcher({
    options: { batchMaxRows: 2, batchMaxMs: 20, maxBytesInFlight: 16 * 1024 * 1024 },
    partitions: () => new Map(states.map((p) => [p.key, p])),
    stats,
    hooks,
    log,
    clock,
    offsets,
    retries,
    stopping: () => false,
    fatal: (err) => fatal.push(err),
    settled: () => settled++,
    notice: (n) => notices.push(n),
  });
  const p = partition('t', 0, slot);
  const q = partition('t', 1, slot);
  states.push(p, q);
  return {
    q,
    dispatcher,
    p,
    clock,
    tasks,
    commits,
    fatal,
    stats,
    lines,
    notices,
    settledCount: () => settled,
  };
}

/** Lets the fake worker's promise chains run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('consumer/dispatcher', () => {
  it('sends a due batch as a transferred packed copy, commits its offset once applied (to Kafka with the next ones), and sends what accumulated meanwhile at once', async () => {
    const s = setup([applied(2, 2), applied(3, 1)]);
    for (let i = 0; i < 3; i++) s.p.accept(message(i), s.clock.now());
    s.dispatcher.dispatchReady([s.p], s.clock.now());
    expect(s.tasks).to.have.length(1);
    const first = s.tasks[0] as { task: ApplyTask; transfer: ArrayBuffer[] };
    expect(first.transfer).to.deep.equal([first.task.batch]);
    expect(unpackBatch(first.task.batch).map((m) => m.offset)).to.deep.equal([0, 1]);
    expect(first.task).to.include({ topic: 't', partition: 0, sink: 't', deadLetterOrphans: false });
    await settle();
    // The third message went out as soon as the first batch applied, without waiting for its linger.
    expect(s.tasks).to.have.length(2);
    await settle();
    expect(s.p.nextOffset).to.equal(3);
    expect(s.p.inflight).to.equal(undefined);
    // Both batches' offsets go to Kafka in one commit once the commit interval is over: the latest.
    expect(s.commits).to.deep.equal([]);
    s.clock.advance(100);
    expect(s.commits).to.deep.equal([[{ topic: 't', partition: 0, offset: 3 }]]);
    expect(s.stats.totals.t?.events).to.equal(3);
    expect(s.stats.inflightBatches).to.equal(0);
    expect(s.settledCount()).to.equal(2);
  });

  it('holds a batch that is neither full nor lingered while its worker thread is busy', () => {
    const s = setup([]);
    s.p.accept(message(0), s.clock.now());
    s.dispatcher.dispatchReady([s.p], s.clock.now() + 19);
    expect(s.tasks).to.deep.equal([]);
  });

  it('sends a batch at once to an idle worker thread, and when the thread falls idle, the batch of another partition that waited for it', async () => {
    const s = setup([applied(1, 1), applied(1, 1)], {}, true);
    s.p.accept(message(0), s.clock.now());
    s.dispatcher.dispatchReady([s.p, s.q], s.clock.now());
    expect(s.tasks.map((t) => t.task.partition)).to.deep.equal([0]);
    // The thread is busy with partition 0's batch: partition 1's single message waits (no linger passed).
    s.q.accept(message(0), s.clock.now());
    s.dispatcher.dispatchReady([s.p, s.q], s.clock.now());
    expect(s.tasks.map((t) => t.task.partition)).to.deep.equal([0]);
    await settle();
    // Partition 0's batch applied and the thread fell idle: partition 1's went out without a consume call.
    expect(s.tasks.map((t) => t.task.partition)).to.deep.equal([0, 1]);
    await settle();
    s.clock.advance(100);
    expect(s.commits).to.deep.equal([
      [
        { topic: 't', partition: 0, offset: 1 },
        { topic: 't', partition: 1, offset: 1 },
      ],
    ]);
  });

  it('retries a batch whose rows wait for their parents with the same packed messages, then dead-letters them once the wait is over', async () => {
    const s = setup([{ ok: true, status: 'orphans', orphans: 2 }, { ok: true, status: 'orphans', orphans: 2 }, applied(2, 2)]);
    s.p.accept(message(0), s.clock.now());
    s.p.accept(message(1), s.clock.now());
    s.dispatcher.dispatchReady([s.p], s.clock.now());
    await settle();
    expect(s.commits).to.deep.equal([]);
    s.clock.advance(retryDefaults.orphans.initialDelayMs);
    await settle();
    expect(s.tasks.map((t) => t.task.deadLetterOrphans)).to.deep.equal([false, false]);
    s.clock.advance(2 * retryDefaults.orphans.initialDelayMs);
    await settle();
    expect(s.tasks.map((t) => t.task.deadLetterOrphans)).to.deep.equal([false, false, true]);
    expect(s.tasks.map((t) => unpackBatch(t.task.batch).map((m) => m.offset))).to.deep.equal([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(s.p.nextOffset).to.equal(2);
  });

  it('retries a transient failure and ends the run on any other', async () => {
    const s = setup([new CdcError('ERR_CDC_POSTGRES', 'connection reset', { canRetry: true }), applied(1, 1)]);
    s.p.accept(message(0), s.clock.now());
    s.dispatcher.dispatch(s.p);
    await settle();
    expect(s.fatal).to.deep.equal([]);
    s.clock.advance(retryDefaults.postgres.initialDelayMs);
    await settle();
    expect(s.p.nextOffset).to.equal(1);

    const f = setup([new CdcError('ERR_CDC_SCHEMA', 'relation "items" does not exist')]);
    f.p.accept(message(0), f.clock.now());
    f.dispatcher.dispatch(f.p);
    await settle();
    expect(f.fatal.map((e) => e.message)).to.deep.equal(['relation "items" does not exist']);
    expect(f.clock.pending()).to.deep.equal([]);
  });

  it("passes a batch's notices on, and counts the fields no column took per sink and field", async () => {
    const counted: Array<[string, string, number]> = [];
    const metrics = {
      messagesConsumed: () => {},
      batchApplied: () => {},
      fieldsIgnored: (sink: string, field: string, n: number) => counted.push([sink, field, n]),
      offsetGap: () => {},
    };
    const result = applied(1, 1);
    const notice: Notice = { level: 'warn', key: 'k', message: 'a field no column takes is ignored', fields: { field: 'warehouse' } };
    if (result.status === 'applied') Object.assign(result.stats, { notices: [notice], ignoredFields: { warehouse: 7, bin: 1 } });
    const s = setup([result], { metrics });
    s.p.accept(message(0), s.clock.now());
    s.dispatcher.dispatch(s.p);
    await settle();
    expect(s.notices).to.deep.equal([notice]);
    expect(counted).to.deep.equal([
      ['t', 'warehouse', 7],
      ['t', 'bin', 1],
    ]);
  });
});
