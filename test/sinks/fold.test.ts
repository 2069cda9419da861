import { expect } from 'chai';
import { foldKey, groupByKey, type StagedRow } from '../../lib/sinks/fold.js';
import type { RowEvent, Value } from '../../lib/sinks/types.js';
import { seededRandom } from './random.js';

interface Tagged {
  key: string;
  n: number;
}

// A three-column table: key, a, soft-delete flag.
// An unavailable column (keep) is null in the values, as the decoders write it.
const up = (a: Value, keep?: boolean): RowEvent => ({
  op: 'upsert',
  key: 'k',
  values: ['k', keep ? null : a, false],
  set: keep ? Uint8Array.from([1, 0, 1]) : undefined,
  cascades: false,
});
const patchA = (a: Value): RowEvent => ({
  op: 'patch',
  key: 'k',
  values: ['k', a, null],
  set: Uint8Array.from([1, 1, 0]),
  cascades: false,
});
const softDelete = (): RowEvent => ({ op: 'patch', key: 'k', values: ['k', null, true], set: Uint8Array.from([1, 0, 1]), cascades: true });
const hardDelete = (): RowEvent => ({ op: 'delete', key: 'k', values: ['k', null, null], set: undefined, cascades: false });

describe('sinks/fold', () => {
  it('groupByKey groups by key, keys in first-seen order, each group in input order', () => {
    const events: Tagged[] = [
      { key: 'b', n: 0 },
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
      { key: 'c', n: 3 },
      { key: 'a', n: 4 },
      { key: 'b', n: 5 },
    ];
    const groups = groupByKey(events);
    expect([...groups.keys()]).to.deep.equal(['b', 'a', 'c']);
    expect(groups.get('b')?.map((e) => e.n)).to.deep.equal([0, 2, 5]);
    expect(groups.get('a')?.map((e) => e.n)).to.deep.equal([1, 4]);
    expect(groups.get('b')?.[1]).to.equal(events[2]);
    expect(groupByKey([]).size).to.equal(0);
  });

  it('an upsert then patches is a full row; a soft delete sets the flag and cascades', () => {
    expect(foldKey([up(1), patchA(2), softDelete()])).to.deep.equal({
      kind: 'full',
      values: ['k', 2, true],
      set: undefined,
      cascade: true,
    });
  });

  it('a cascade stays when the row is re-created later in the batch (cascaded deletes are permanent)', () => {
    expect(foldKey([up(1), softDelete(), up(3)])).to.deep.equal({ kind: 'full', values: ['k', 3, false], set: undefined, cascade: true });
  });

  it('patches alone stay a patch with the union of their columns', () => {
    expect(foldKey([patchA(2), softDelete()])).to.deep.equal({
      kind: 'patch',
      values: ['k', 2, true],
      set: Uint8Array.from([1, 1, 1]),
      cascade: true,
    });
  });

  it('a hard delete discards what came before; a patch after it changes nothing; an upsert after it is a full row', () => {
    expect(foldKey([up(1), hardDelete()]).kind).to.equal('delete');
    expect(foldKey([up(1), hardDelete(), patchA(5)]).kind).to.equal('delete');
    expect(foldKey([hardDelete(), up(4)])).to.deep.equal({ kind: 'full', values: ['k', 4, false], set: undefined, cascade: false });
  });

  it('an upsert with an unavailable column takes the value an earlier event of the batch gave it', () => {
    expect(foldKey([up(1), up('ignored', true)])).to.deep.equal({ kind: 'full', values: ['k', 1, false], set: undefined, cascade: false });
  });

  it('an upsert with an unavailable column and nothing before it is a merge that keeps the stored value', () => {
    expect(foldKey([up(null, true)])).to.deep.equal({
      kind: 'merge',
      values: ['k', null, false],
      set: Uint8Array.from([1, 0, 1]),
      cascade: false,
    });
    // After a delete the row is new: the unknown column is NULL.
    expect(foldKey([hardDelete(), up(null, true)])).to.deep.equal({
      kind: 'full',
      values: ['k', null, false],
      set: undefined,
      cascade: false,
    });
    // After a patch, the kept value holds only if the row existed (2: set on a stored row, NULL on a new one).
    expect(foldKey([patchA(7), up(null, true)]).set).to.deep.equal(Uint8Array.from([1, 2, 1]));
    // A later patch of that column makes the row whole again.
    expect(foldKey([up(null, true), patchA(9)])).to.deep.equal({ kind: 'full', values: ['k', 9, false], set: undefined, cascade: false });
  });

  it('refuses an empty list and never modifies its input', () => {
    expect(() => foldKey([])).to.throw(RangeError, /empty/);
    const events = [patchA(1), up(2, true), softDelete()];
    const copy = structuredClone(events);
    foldKey(events);
    expect(events).to.deep.equal(copy);
  });

  /**
   * The contract with the apply SQL (lib/sinks/sql.ts), against a model: applying the folded row to any
   * stored state equals applying each event in turn. full: upsert the whole row; merge: update the set
   * columns of a stored row, or insert with NULL in the others; patch: update the set columns of a
   * stored row, nothing when there is none; delete: remove it.
   */
  it('equals applying each event in order (5000 random sequences, from a missing and a stored row)', () => {
    type Row = [Value, Value, Value] | undefined;
    const applyOne = (row: Row, e: RowEvent): Row => {
      if (e.op === 'delete') return undefined;
      if (e.op === 'upsert') return e.values.map((v, i) => (e.set && e.set[i] === 0 ? (row ? row[i] : null) : v)) as Row;
      if (!row) return undefined;
      return row.map((v, i) => (e.set?.[i] === 1 ? e.values[i] : v)) as Row;
    };
    const applyStaged = (row: Row, s: StagedRow): Row => {
      if (s.kind === 'delete') return undefined;
      if (s.kind === 'full') return s.values.slice() as Row;
      if (s.kind === 'merge') return s.values.map((v, i) => (row ? (s.set?.[i] !== 0 ? v : row[i]) : s.set?.[i] === 1 ? v : null)) as Row;
      if (!row) return undefined;
      return row.map((v, i) => (s.set?.[i] === 1 ? s.values[i] : v)) as Row;
    };
    const random = seededRandom(7);
    const kinds = new Set<string>();
    for (let run = 0; run < 5000; run++) {
      const events: RowEvent[] = [];
      const length = 1 + Math.floor(random() * 6);
      for (let i = 0; i < length; i++) {
        const pick = random();
        const a = `v${run}.${i}`;
        if (pick < 0.3) events.push(up(a));
        else if (pick < 0.45) events.push(up(a, true));
        else if (pick < 0.7) events.push(patchA(a));
        else if (pick < 0.85) events.push(softDelete());
        else events.push(hardDelete());
      }
      const staged = foldKey(events);
      kinds.add(staged.kind);
      for (const start of [undefined, ['k', 'stored', false]] as Row[]) {
        expect(applyStaged(start, staged), JSON.stringify({ start, events, staged })).to.deep.equal(events.reduce(applyOne, start));
      }
      // A soft delete cascades unless the row was hard-deleted before it in the batch (nothing to cascade from).
      let gone = false;
      let cascades = false;
      for (const e of events) {
        if (e.op === 'delete') gone = true;
        else if (e.op === 'upsert') gone = false;
        else if (e.cascades && !gone) cascades = true;
      }
      expect(staged.cascade, JSON.stringify(events)).to.equal(cascades);
    }
    expect([...kinds].sort()).to.deep.equal(['delete', 'full', 'merge', 'patch']);
  });
});
