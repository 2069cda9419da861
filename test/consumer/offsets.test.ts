import { expect } from 'chai';
import { type CommitTarget, OffsetCommitter, type StoredOffsetsReader, startOffsets } from '../../lib/consumer/offsets.js';
import type { TopicPartition } from '../../lib/worker-protocol.js';
import { FakeClock } from '../support/fake-clock.js';
import { partition, recordingLog } from '../support/partitions.js';

type Commit = Array<TopicPartition & { offset: number }>;

/** A consumer that records its commits; `fail` makes commit throw as node-rdkafka does when it cannot. */
function fakeConsumer(options: { connected?: boolean; fail?: boolean } = {}): CommitTarget & { commits: Commit[] } {
  const commits: Commit[] = [];
  return {
    commits,
    isConnected: () => options.connected ?? true,
    commit: (offsets) => {
      if (options.fail) throw new Error('Local: No offset stored');
      commits.push(offsets);
    },
  };
}

function committer(consumer: CommitTarget | undefined, readStored: StoredOffsetsReader, clock = new FakeClock()) {
  const { log, lines } = recordingLog();
  return {
    offsets: new OffsetCommitter({ consumer: () => consumer, readStored, log, clock, releaseReadMs: 2000, commitIntervalMs: 500 }),
    lines,
    clock,
  };
}

const never: StoredOffsetsReader = () => new Promise(() => {});

describe('consumer/offsets', () => {
  it('starts each partition at its stored offset, else leaves the start to Kafka, in topic and partition order', () => {
    const stored = new Map([
      ['b/0', 42],
      ['a/1', 7],
    ]);
    const assignment = [
      { topic: 'b', partition: 0 },
      { topic: 'a', partition: 1 },
      { topic: 'a', partition: 0 },
    ];
    expect(startOffsets(assignment, stored)).to.deep.equal([
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 1, offset: 7 },
      { topic: 'b', partition: 0, offset: 42 },
    ]);
  });

  it('commits the next offset of partitions that have one, in one call', () => {
    const consumer = fakeConsumer();
    const { offsets } = committer(consumer, never);
    const a = partition('t', 0);
    a.nextOffset = 10;
    const b = partition('t', 1);
    offsets.commit([a, b]);
    expect(consumer.commits).to.deep.equal([[{ topic: 't', partition: 0, offset: 10 }]]);
    offsets.commit([b]);
    expect(consumer.commits).to.have.length(1);
  });

  it('gathers applied partitions and commits them together once the interval is over, the latest offset of each', () => {
    const consumer = fakeConsumer();
    const { offsets, clock } = committer(consumer, never);
    const a = partition('t', 0);
    const b = partition('t', 1);
    a.nextOffset = 10;
    offsets.commitSoon(a);
    b.nextOffset = 4;
    offsets.commitSoon(b);
    a.nextOffset = 12;
    offsets.commitSoon(a);
    clock.advance(499);
    expect(consumer.commits).to.deep.equal([]);
    clock.advance(1);
    expect(consumer.commits).to.deep.equal([
      [
        { topic: 't', partition: 0, offset: 12 },
        { topic: 't', partition: 1, offset: 4 },
      ],
    ]);
    // Nothing gathered: no timer, no empty commit.
    clock.advance(5000);
    expect(consumer.commits).to.have.length(1);
    // A partition revoked meanwhile is left to its release (which commits what cdc_offsets holds).
    offsets.commitSoon(a);
    a.revoked = true;
    offsets.flush();
    expect(consumer.commits).to.have.length(1);
  });

  it('leaves what a released partition had gathered to the release', async () => {
    const consumer = fakeConsumer();
    const { offsets, clock } = committer(consumer, async () => [{ topic: 't', partition: 0, nextOffset: 30 }]);
    const a = partition('t', 0);
    a.nextOffset = 20;
    offsets.commitSoon(a);
    await offsets.commitStored([a]);
    expect(consumer.commits).to.deep.equal([[{ topic: 't', partition: 0, offset: 30 }]]);
    clock.advance(1000);
    expect(consumer.commits).to.have.length(1);
  });

  it('commits nothing while disconnected, and logs a failed commit instead of throwing', () => {
    const p = partition();
    p.nextOffset = 3;
    const off = fakeConsumer({ connected: false });
    committer(off, never).offsets.commit([p]);
    expect(off.commits).to.deep.equal([]);
    const { offsets, lines } = committer(fakeConsumer({ fail: true }), never);
    expect(() => offsets.commit([p])).not.to.throw();
    expect(lines).to.deep.equal([['debug', 'kafka commit failed', { error: 'Local: No offset stored' }]]);
  });

  it('at release commits what cdc_offsets holds when another owner moved it on, never an offset behind its own', async () => {
    const consumer = fakeConsumer();
    const { offsets } = committer(consumer, async () => [
      { topic: 't', partition: 0, nextOffset: 50 },
      { topic: 't', partition: 1, nextOffset: 5 },
    ]);
    const movedOn = partition('t', 0);
    movedOn.nextOffset = 20;
    const ahead = partition('t', 1);
    ahead.nextOffset = 9;
    const neverApplied = partition('t', 2);
    await offsets.commitStored([movedOn, ahead, neverApplied]);
    expect(consumer.commits).to.deep.equal([
      [
        { topic: 't', partition: 0, offset: 50 },
        { topic: 't', partition: 1, offset: 9 },
      ],
    ]);
  });

  it('at release commits its own view when Postgres does not answer in time or fails', async () => {
    const p = partition();
    p.nextOffset = 20;
    const slow = fakeConsumer();
    const { offsets, clock } = committer(slow, never);
    const done = offsets.commitStored([p]);
    clock.advance(1999);
    expect(slow.commits).to.deep.equal([]);
    clock.advance(1);
    await done;
    expect(slow.commits).to.deep.equal([[{ topic: 't', partition: 0, offset: 20 }]]);

    const failing = fakeConsumer();
    const broken = committer(failing, () => Promise.reject(new Error('connection refused')));
    await broken.offsets.commitStored([p]);
    expect(failing.commits).to.deep.equal([[{ topic: 't', partition: 0, offset: 20 }]]);
    expect(broken.lines).to.deep.equal([['debug', 'stored offsets unreadable at release', { error: 'connection refused' }]]);
    expect(broken.clock.pending()).to.deep.equal([]);
  });

  it('reads nothing at release without a connected consumer', async () => {
    let reads = 0;
    const { offsets } = committer(fakeConsumer({ connected: false }), async () => {
      reads++;
      return [];
    });
    await offsets.commitStored([partition()]);
    expect(reads).to.equal(0);
  });
});
