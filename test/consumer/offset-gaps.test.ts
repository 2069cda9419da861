import { expect } from 'chai';
import {
  describeGap,
  findOffsetGap,
  gapStart,
  type LogRange,
  type OffsetGap,
  OffsetGapGuard,
  type OffsetGapPolicy,
} from '../../lib/consumer/offset-gaps.js';
import type { StartOffset } from '../../lib/consumer/offsets.js';
import type { LogLevel } from '../../lib/log.js';
import type { TopicPartition } from '../../lib/worker-protocol.js';

const tp = { topic: 'users', partition: 2 };

describe('consumer/offset-gaps', () => {
  describe('findOffsetGap', () => {
    it('finds none from the log start to the log end, both included', () => {
      for (const stored of [100, 150, 200])
        expect(findOffsetGap(tp, stored, 'cdc_offsets', { low: 100, high: 200 }), String(stored)).to.equal(undefined);
      expect(findOffsetGap(tp, 0, 'cdc_offsets', { low: 0, high: 0 })).to.equal(undefined);
    });

    it('finds a stored offset below the log start, with the deleted offsets', () => {
      const gap = findOffsetGap(tp, 40, 'cdc_offsets', { low: 100, high: 200 });
      expect(gap).to.deep.include({ kind: 'below-start', stored: 40, missing: { from: 40, to: 100 } });
      expect(describeGap(gap as OffsetGap)).to.equal(
        'users/2: stored offset 40 (cdc_offsets) is below the log start 100: offsets 40-99 (60 events) were deleted before they were applied',
      );
    });

    it('finds a stored offset above the log end (a recreated topic), with the offsets the log lacks', () => {
      const gap = findOffsetGap(tp, 5000, 'kafka', { low: 0, high: 120 });
      expect(gap).to.deep.include({ kind: 'above-end', source: 'kafka', missing: { from: 120, to: 5000 } });
      expect(describeGap(gap as OffsetGap)).to.match(
        /^users\/2: stored offset 5000 \(kafka\) is above the log end 120: offsets 120-4999 are not in the log/,
      );
    });
  });

  it('holds the partition under fail, and restarts it at the log start or end under earliest and latest', () => {
    const gap = findOffsetGap(tp, 40, 'cdc_offsets', { low: 100, high: 200 }) as OffsetGap;
    expect(gapStart(gap, 'fail')).to.equal('hold');
    expect(gapStart(gap, 'earliest')).to.equal(100);
    expect(gapStart(gap, 'latest')).to.equal(200);
  });

  describe('OffsetGapGuard', () => {
    function guard(policy: OffsetGapPolicy, logs: Record<string, LogRange>, committed: Record<string, number> = {}) {
      const lines: Array<{ level: LogLevel; message: string; fields?: Record<string, unknown> }> = [];
      const moved: Array<TopicPartition & { from: number; to: number }> = [];
      const counted: OffsetGap[] = [];
      const asked: TopicPartition[][] = [];
      const g = new OffsetGapGuard({
        policy,
        log: (level, message, fields) => lines.push({ level, message, ...(fields ? { fields } : {}) }),
        watermarks: async (p) => {
          const range = logs[`${p.topic}/${p.partition}`];
          if (!range) throw new Error('Broker: Unknown topic or partition');
          return range;
        },
        committed: async (ps) => {
          asked.push(ps);
          return new Map(Object.entries(committed));
        },
        moveStored: async (moves) => moved.push(...moves),
        countGap: (gap) => counted.push(gap),
      });
      return { g, lines, moved, counted, asked };
    }
    const starts: StartOffset[] = [
      { topic: 'users', partition: 0, offset: 10 }, // in the log
      { topic: 'users', partition: 1, offset: 3 }, // below its start
      { topic: 'users', partition: 2, offset: 900 }, // above its end
      { topic: 'users', partition: 3 }, // no cdc_offsets row: Kafka's committed offset decides
    ];
    const logs = {
      'users/0': { low: 0, high: 50 },
      'users/1': { low: 8, high: 50 },
      'users/2': { low: 0, high: 30 },
      'users/3': { low: 20, high: 60 },
    };

    it('fail: leaves the gapped partitions out, logs an error naming each, counts it, and reports them held until revoked', async () => {
      const s = guard('fail', logs, { 'users/3': 5 });
      const out = await s.g.check(starts);
      expect(out).to.deep.equal([{ topic: 'users', partition: 0, offset: 10 }]);
      expect(s.asked).to.deep.equal([[{ topic: 'users', partition: 3 }]]);
      expect(s.counted.map((c) => [c.partition, c.kind, c.source])).to.deep.equal([
        [1, 'below-start', 'cdc_offsets'],
        [2, 'above-end', 'cdc_offsets'],
        [3, 'below-start', 'kafka'],
      ]);
      expect(s.lines.map((l) => l.level)).to.deep.equal(['error', 'error', 'error']);
      expect(s.lines[0]?.message).to.match(
        /offset gap: users\/1: .* offsets 3-7 \(5 events\) were deleted .* not consumed until restarted with --on-offset-gap/,
      );
      expect(s.lines[0]?.fields).to.deep.include({
        partition: 'users/1',
        kind: 'below-start',
        missing: '3-7',
        logStart: 8,
        logEnd: 50,
        policy: 'fail',
      });
      expect(s.g.held()).to.have.length(3);
      expect(s.g.held()[1]).to.match(/^users\/2: stored offset 900/);
      expect(s.moved).to.deep.equal([]);
      expect(() => s.g.throwIfHeld())
        .to.throw(/partitions stopped at an offset gap/)
        .with.property('code', 'ERR_CDC_OFFSET_GAP');
      s.g.release([
        { topic: 'users', partition: 1 },
        { topic: 'users', partition: 2 },
        { topic: 'users', partition: 3 },
      ]);
      expect(s.g.held()).to.deep.equal([]);
      expect(() => s.g.throwIfHeld()).not.to.throw();
    });

    it('earliest: restarts each at its log start, and moves a cdc_offsets row above the end back so no batch skips the new log', async () => {
      const s = guard('earliest', logs, { 'users/3': 5 });
      expect(await s.g.check(starts)).to.deep.equal([
        { topic: 'users', partition: 0, offset: 10 },
        { topic: 'users', partition: 1, offset: 8 },
        { topic: 'users', partition: 2, offset: 0 },
        { topic: 'users', partition: 3, offset: 20 },
      ]);
      expect(s.moved).to.deep.equal([{ topic: 'users', partition: 2, from: 900, to: 0 }]);
      expect(s.lines[1]?.message).to.match(/continuing from the log start at 0$/);
      expect(s.g.held()).to.deep.equal([]);
    });

    it('latest: restarts each at its log end', async () => {
      const s = guard('latest', logs);
      expect(await s.g.check(starts)).to.deep.equal([
        { topic: 'users', partition: 0, offset: 10 },
        { topic: 'users', partition: 1, offset: 50 },
        { topic: 'users', partition: 2, offset: 30 },
        { topic: 'users', partition: 3 },
      ]);
      expect(s.moved).to.deep.equal([{ topic: 'users', partition: 2, from: 900, to: 30 }]);
      expect(s.lines.filter((l) => l.level === 'error')).to.have.length(2);
    });

    it('leaves a partition unchecked, with a warning, when its log range or the committed offsets cannot be read', async () => {
      const s = guard('fail', { 'users/0': { low: 0, high: 50 } });
      const failing = new OffsetGapGuard({
        policy: 'fail',
        log: () => {},
        watermarks: async () => ({ low: 0, high: 0 }),
        committed: async () => {
          throw new Error('coordinator unavailable');
        },
        moveStored: async () => {},
      });
      expect(await failing.check([{ topic: 'users', partition: 3 }])).to.deep.equal([{ topic: 'users', partition: 3 }]);
      expect(await s.g.check(starts.slice(0, 2))).to.deep.equal(starts.slice(0, 2));
      expect(s.lines).to.have.length(1);
      expect(s.lines[0]).to.deep.include({ level: 'warn', message: 'cannot read the log range to check for an offset gap' });
      expect(s.g.held()).to.deep.equal([]);
    });
  });
});
