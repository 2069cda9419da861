import { expect } from 'chai';
import { groupByKey, lastCreateIndex } from '../../lib/sinks/fold.js';
import type { BaseEvent } from '../../lib/sinks/types.js';

interface Tagged extends BaseEvent {
  n: number;
}

describe('sinks/fold', () => {
  it('groupByKey groups by id, keys in first-seen order, each group in input order', () => {
    const events: Tagged[] = [
      { op: 'CREATE', id: 'b', n: 0 },
      { op: 'CREATE', id: 'a', n: 1 },
      { op: 'UPDATE', id: 'b', n: 2 },
      { op: 'DELETE', id: 'c', n: 3 },
      { op: 'UPDATE', id: 'a', n: 4 },
      { op: 'DELETE', id: 'b', n: 5 },
    ];
    const groups = groupByKey(events);
    expect([...groups.keys()]).to.deep.equal(['b', 'a', 'c']);
    expect(groups.get('b')?.map((e) => e.n)).to.deep.equal([0, 2, 5]);
    expect(groups.get('a')?.map((e) => e.n)).to.deep.equal([1, 4]);
    expect(groups.get('c')?.map((e) => e.n)).to.deep.equal([3]);
    expect(groups.get('b')?.[1]).to.equal(events[2]);
  });

  it('groupByKey of nothing is empty and accepts any iterable', () => {
    expect(groupByKey([]).size).to.equal(0);
    const fromSet = groupByKey(new Set<BaseEvent>([{ op: 'CREATE', id: 'x' }]));
    expect([...fromSet.keys()]).to.deep.equal(['x']);
  });

  it('lastCreateIndex finds the last CREATE or -1', () => {
    const ops = (...list: BaseEvent['op'][]) => list.map((op) => ({ op, id: 'k' }));
    expect(lastCreateIndex(ops('CREATE', 'UPDATE', 'CREATE', 'DELETE'))).to.equal(2);
    expect(lastCreateIndex(ops('UPDATE', 'DELETE'))).to.equal(-1);
    expect(lastCreateIndex(ops('CREATE'))).to.equal(0);
  });
});
