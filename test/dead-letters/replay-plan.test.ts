import { expect } from 'chai';
import type { DecodedKey } from '../../lib/apply/batch.js';
import { type PlanInput, planReplay } from '../../lib/dead-letters/replay-plan.js';
import type { PackedMessage } from '../../lib/worker-protocol.js';

const message = (offset: number): PackedMessage => ({ offset, timestamp: 0, key: null, value: Buffer.from(`m${offset}`) });
const row = (key: string): DecodedKey => ({ kind: 'row', key });

/** Dead letters as [id, offset, decoded]; later events as [offset, decoded]. */
function input(
  dead: Array<[number, number, DecodedKey]>,
  later: Array<[number, DecodedKey]>,
  more: Partial<Omit<PlanInput, 'deadLetters'>> & { low?: number; high?: number } = {},
): PlanInput {
  const nextOffset = more.nextOffset ?? 100;
  return {
    deadLetters: dead.map(([id, offset, decoded]) => ({ id, message: message(offset), decoded })),
    nextOffset,
    later: {
      low: more.low ?? 0,
      high: more.high ?? nextOffset,
      messages: later.map(([offset, decoded]) => ({ message: message(offset), decoded })),
    },
    otherDead: more.otherDead ?? new Set(),
    force: more.force ?? false,
  };
}

const offsets = (messages: PackedMessage[]) => messages.map((m) => m.offset);

describe('dead-letters/replay-plan', () => {
  it("puts each dead letter first and its key's later events after it, in offset order", () => {
    const plan = planReplay(
      input(
        [
          [1, 5, row('a')],
          [2, 7, row('b')],
        ],
        [
          [6, row('a')],
          [8, row('c')],
          [9, row('b')],
          [10, row('a')],
        ],
        { nextOffset: 11 },
      ),
    );
    expect(offsets(plan.messages)).to.deep.equal([5, 6, 7, 9, 10]);
    expect([...plan.deadLetters]).to.deep.equal([
      [5, 1],
      [7, 2],
    ]);
    expect(plan.keys).to.deep.equal([
      { key: 'a', deadLetters: [{ id: 1, offset: 5 }], later: [6, 10], action: 'replay' },
      { key: 'b', deadLetters: [{ id: 2, offset: 7 }], later: [9], action: 'replay' },
    ]);
  });

  it("takes a key's events only after its first dead letter, and never the partition's other dead letters", () => {
    const plan = planReplay(
      input(
        [
          [1, 10, row('a')],
          [2, 12, row('a')],
        ],
        [
          [11, row('a')],
          [13, row('a')],
          [14, row('a')],
        ],
        { nextOffset: 15, otherDead: new Set([13]) },
      ),
    );
    expect(offsets(plan.messages)).to.deep.equal([10, 11, 12, 14]);
    expect(plan.keys).to.deep.equal([
      {
        key: 'a',
        deadLetters: [
          { id: 1, offset: 10 },
          { id: 2, offset: 12 },
        ],
        later: [11, 14],
        action: 'replay',
      },
    ]);
  });

  it('leaves a key alone when Kafka no longer holds events that followed its dead letter, unless forced', () => {
    const dead: Array<[number, number, DecodedKey]> = [[1, 5, row('a')]];
    const later: Array<[number, DecodedKey]> = [[9, row('a')]];
    const plan = planReplay(input(dead, later, { nextOffset: 10, low: 8 }));
    expect(plan.messages).to.deep.equal([]);
    expect(plan.deadLetters.size).to.equal(0);
    expect(plan.keys[0]).to.deep.include({ key: 'a', action: 'skip', later: [], forceable: true });
    expect(plan.keys[0]?.reason).to.equal(
      'Kafka no longer holds offsets 6..7 (the log starts at 8): later events of this key may have been among them',
    );
    const forced = planReplay(input(dead, later, { nextOffset: 10, low: 8, force: true }));
    expect(offsets(forced.messages)).to.deep.equal([5, 9]);
    expect(forced.keys[0]).to.deep.include({ action: 'replay', later: [9] });
    expect(forced.keys[0]?.reason).to.match(/^forced: Kafka no longer holds offsets 6\.\.7/);
  });

  it('leaves a key alone when the log ends below the stored offset (a recreated topic)', () => {
    const plan = planReplay(input([[1, 5, row('a')]], [[6, row('a')]], { nextOffset: 20, high: 7 }));
    expect(plan.keys[0]).to.deep.include({ action: 'skip', forceable: true });
    expect(plan.keys[0]?.reason).to.match(/the log ends at 7, below the consumer's stored offset 20/);
  });

  it('replays a dead letter with nothing after it even when the log has moved past it', () => {
    const plan = planReplay(input([[1, 9, row('a')]], [], { nextOffset: 10, low: 10, high: 10 }));
    expect(plan.keys[0]).to.deep.include({ action: 'replay', later: [] });
    expect(offsets(plan.messages)).to.deep.equal([9]);
  });

  it('removes without applying a dead letter a later truncate emptied the table after', () => {
    const plan = planReplay(
      input(
        [
          [1, 5, row('a')],
          [2, 9, row('a')],
        ],
        [
          [6, row('a')],
          [7, { kind: 'truncate' }],
          [8, row('a')],
          [10, row('a')],
        ],
        { nextOffset: 11 },
      ),
    );
    expect(plan.keys[0]).to.deep.include({ key: 'a', deadLetters: [{ id: 1, offset: 5 }], action: 'remove' });
    expect(plan.keys[0]?.reason).to.equal('a truncate at offset 7 emptied the table after it');
    expect(plan.keys[1]).to.deep.include({ key: 'a', deadLetters: [{ id: 2, offset: 9 }], later: [10], action: 'replay' });
    // Removed (in the transaction's dead letters) but not applied (not among its messages).
    expect([...plan.deadLetters.keys()].sort((a, b) => a - b)).to.deep.equal([5, 9]);
    expect(offsets(plan.messages)).to.deep.equal([9, 10]);
  });

  it('never replays a truncate; replays alone one that does not decode or changes no row', () => {
    const plan = planReplay(
      input(
        [
          [1, 3, { kind: 'truncate' }],
          [2, 4, { kind: 'invalid', code: 'INVALID_JSON', message: 'bad' }],
          [3, 5, { kind: 'skip' }],
        ],
        [[6, row('x')]],
        { nextOffset: 7 },
      ),
    );
    expect(plan.keys.map((k) => [k.deadLetters[0]?.id, k.action, k.later])).to.deep.equal([
      [1, 'skip', []],
      [2, 'replay', []],
      [3, 'replay', []],
    ]);
    expect(plan.keys[0]?.reason).to.match(/^a truncate is not replayed/);
    expect(plan.keys[0]?.forceable).to.equal(undefined);
    expect(offsets(plan.messages)).to.deep.equal([4, 5]);
  });

  it('counts later events that no longer decode, whose keys are unknown', () => {
    const plan = planReplay(
      input(
        [[1, 5, row('a')]],
        [
          [6, { kind: 'invalid', code: 'INVALID_JSON', message: 'bad' }],
          [7, row('a')],
        ],
        { nextOffset: 8 },
      ),
    );
    expect(plan.undecodable).to.equal(1);
    expect(offsets(plan.messages)).to.deep.equal([5, 7]);
  });
});
