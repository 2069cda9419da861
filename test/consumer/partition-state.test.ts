import { expect } from 'chai';
import { engineDefaults } from '../../lib/consumer/defaults.js';
import { batchMaxBytes, byPartition, cutBatch, messageBytes } from '../../lib/consumer/partition-state.js';
import { FakeClock } from '../support/fake-clock.js';
import { fakeSlot, message, partition } from '../support/partitions.js';

const limits = { maxRows: 3, maxBytes: 1_000_000, lingerMs: 20 };

describe('consumer/partition-state', () => {
  it('accepts messages in offset order once each, from acceptFrom on, and counts their bytes', () => {
    const p = partition();
    p.acceptFrom = 5;
    expect(p.accept(message(4), 100)).to.equal(false);
    expect(p.accept(message(5), 100)).to.equal(true);
    expect(p.accept(message(5), 101)).to.equal(false);
    // A gap (compaction, transaction markers) is fine.
    expect(p.accept(message(9, 30), 102)).to.equal(true);
    expect(p.pending.map((m) => m.offset)).to.deep.equal([5, 9]);
    expect(p.pendingBytes).to.equal(messageBytes(Buffer.alloc(10)) + messageBytes(Buffer.alloc(30)));
    expect(p.firstPendingAt).to.equal(100);
    expect(p.acceptFrom).to.equal(10);
  });

  it('accepts nothing once released, and drops what was pending', () => {
    const p = partition();
    p.accept(message(0), 0);
    p.paused = true;
    p.release(new FakeClock());
    expect(p.revoked).to.equal(true);
    expect(p.paused).to.equal(false);
    expect(p.pending).to.deep.equal([]);
    expect(p.pendingBytes).to.equal(0);
    expect(p.accept(message(1), 1)).to.equal(false);
  });

  it('cancels a batch waiting for its retry when released, and keeps a running one', () => {
    const clock = new FakeClock();
    const waiting = partition('t', 0);
    let reran = false;
    waiting.inflight = { packed: new ArrayBuffer(0), timestamps: undefined, dispatchedAt: 0, bytes: 1, attempt: 1, running: false };
    waiting.inflight.retryTimer = clock.setTimeout(() => (reran = true), 100);
    const running = partition('t', 1);
    running.inflight = { packed: new ArrayBuffer(0), timestamps: undefined, dispatchedAt: 0, bytes: 1, attempt: 0, running: true };
    waiting.release(clock);
    running.release(clock);
    clock.advance(1000);
    expect(reran).to.equal(false);
    expect(waiting.inflight).to.equal(undefined);
    expect(running.inflight?.running).to.equal(true);
  });

  it('is due for dispatch when full or lingered, never with a batch in flight', () => {
    const p = partition();
    expect(p.dueForDispatch(0, limits)).to.equal(false);
    p.accept(message(0), 100);
    expect(p.dueForDispatch(119, limits)).to.equal(false);
    expect(p.dueForDispatch(120, limits)).to.equal(true);
    p.accept(message(1), 101);
    p.accept(message(2), 102);
    expect(p.dueForDispatch(100, limits)).to.equal(true);
    p.inflight = { packed: new ArrayBuffer(0), timestamps: undefined, dispatchedAt: 0, bytes: 0, attempt: 0, running: true };
    expect(p.dueForDispatch(1000, limits)).to.equal(false);
  });

  it('is due at once, without its linger, when its worker thread is idle', () => {
    let idle = true;
    const p = partition(
      't',
      0,
      fakeSlot(undefined, () => idle),
    );
    expect(p.dueForDispatch(0, limits)).to.equal(false);
    p.accept(message(0), 100);
    expect(p.dueForDispatch(100, limits)).to.equal(true);
    idle = false;
    expect(p.dueForDispatch(100, limits)).to.equal(false);
    expect(p.dueForDispatch(120, limits)).to.equal(true);
    idle = true;
    p.inflight = { packed: new ArrayBuffer(0), timestamps: undefined, dispatchedAt: 0, bytes: 0, attempt: 0, running: true };
    expect(p.dueForDispatch(100, limits)).to.equal(false);
  });

  it('cuts a batch at maxRows and restarts the linger for what stays', () => {
    const p = partition();
    for (let i = 0; i < 5; i++) p.accept(message(i), 100);
    const before = p.pendingBytes;
    const { messages, bytes } = p.takeBatch(limits, 150);
    expect(messages.map((m) => m.offset)).to.deep.equal([0, 1, 2]);
    expect(p.pending.map((m) => m.offset)).to.deep.equal([3, 4]);
    expect(p.pendingBytes).to.equal(before - bytes);
    expect(p.firstPendingAt).to.equal(150);
    p.takeBatch(limits, 160);
    expect(p.firstPendingAt).to.equal(0);
  });

  it('cuts a batch once it reaches maxBytes, but always takes the first message', () => {
    const one = messageBytes(Buffer.alloc(100));
    const pending = [message(0, 100), message(1, 100), message(2, 100)];
    expect(cutBatch(pending, { maxRows: 10, maxBytes: one + 1 })).to.deep.equal({ count: 2, bytes: 2 * one });
    expect(cutBatch(pending, { maxRows: 10, maxBytes: one })).to.deep.equal({ count: 1, bytes: one });
    expect(cutBatch([message(0, 10_000)], { maxRows: 10, maxBytes: 1 })).to.deep.equal({
      count: 1,
      bytes: messageBytes(Buffer.alloc(10_000)),
    });
    expect(cutBatch([], { maxRows: 10, maxBytes: 1 })).to.deep.equal({ count: 0, bytes: 0 });
  });

  it("shares the in-flight budget between the batches the worker threads can have under way, capped at one batch's maximum", () => {
    // Two worker threads: one batch running and one forming behind each.
    expect(batchMaxBytes(16 * 1024 * 1024, 2)).to.equal(4 * 1024 * 1024);
    expect(batchMaxBytes(1024 * 1024 * 1024, 1)).to.equal(engineDefaults.maxBatchBytes);
    expect(batchMaxBytes(1000, 0)).to.equal(500);
  });

  it('counts a message as its value and the fixed overhead, a null value as the overhead alone', () => {
    expect(messageBytes(null)).to.equal(engineDefaults.messageOverheadBytes);
    expect(messageBytes(Buffer.alloc(7))).to.equal(7 + engineDefaults.messageOverheadBytes);
  });

  it('keys a stored-offsets answer as partitions are keyed', () => {
    const map = byPartition([
      { topic: 'a', partition: 0, nextOffset: 5 },
      { topic: 'a', partition: 1, nextOffset: 7 },
    ]);
    expect(map.get(partition('a', 1).key)).to.equal(7);
    expect(map.size).to.equal(2);
  });
});
