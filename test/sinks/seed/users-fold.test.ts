import { expect } from 'chai';
import { folder, usersSink } from '../seed-adapter.js';
import { seededRandom } from '../random.js';

/** The shapes the hand-written users sink had; the adapter maps the compiled sink to them. */
interface UserEvent {
  op: 'CREATE' | 'UPDATE' | 'DELETE';
  id: string;
  name?: string;
  dob?: string;
  createdAt?: string;
  modifiedAt?: string;
}
interface UserStageRow {
  id: string;
  kind: 'full' | 'patch';
  name: string | null;
  dob: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  isDeleted: boolean;
  cascade: boolean;
}
const foldUsers = folder(usersSink) as unknown as (events: readonly UserEvent[]) => UserStageRow;
const ID = '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f';

const c = (name: string, createdAt: string, dob = '1990-01-01'): UserEvent => ({ op: 'CREATE', id: ID, name, dob, createdAt });
const u = (name: string, modifiedAt: string): UserEvent => ({ op: 'UPDATE', id: ID, name, modifiedAt });
const d = (modifiedAt: string): UserEvent => ({ op: 'DELETE', id: ID, modifiedAt });

const T1 = '2025-07-01T00:00:01.000001Z';
const T2 = '2025-07-01T00:00:02.123456789+02:00';
const T3 = '2025-07-01T00:00:03Z';
const T4 = '2025-07-01T00:00:04Z';
const T5 = '2025-07-01T00:00:05Z';

const full = (over: Partial<UserStageRow>): UserStageRow => ({
  id: ID,
  kind: 'full',
  name: null,
  dob: null,
  createdAt: null,
  modifiedAt: null,
  isDeleted: false,
  cascade: false,
  ...over,
});
const patch = (over: Partial<UserStageRow>): UserStageRow => ({ ...full(over), kind: 'patch', ...over });

describe('sinks/seed mapping: users fold', () => {
  describe('full rows (the batch holds a CREATE)', () => {
    it('CREATE: the whole row, modifiedAt = createdAt, not deleted', () => {
      expect(foldUsers([c('ann', T1, '1984-06-12')])).to.deep.equal(
        full({ name: 'ann', dob: '1984-06-12', createdAt: T1, modifiedAt: T1 }),
      );
    });

    it('CREATE, UPDATE, UPDATE: the last name and modifiedAt', () => {
      expect(foldUsers([c('ann', T1), u('bob', T2), u('cid', T3)])).to.deep.equal(
        full({ name: 'cid', dob: '1990-01-01', createdAt: T1, modifiedAt: T3 }),
      );
    });

    it('CREATE, DELETE: deleted, cascading', () => {
      expect(foldUsers([c('ann', T1), d(T2)])).to.deep.equal(
        full({ name: 'ann', dob: '1990-01-01', createdAt: T1, modifiedAt: T2, isDeleted: true, cascade: true }),
      );
    });

    it('CREATE, DELETE, UPDATE: still deleted, the UPDATE name and time', () => {
      expect(foldUsers([c('ann', T1), d(T2), u('bob', T3)])).to.deep.equal(
        full({ name: 'bob', dob: '1990-01-01', createdAt: T1, modifiedAt: T3, isDeleted: true, cascade: true }),
      );
    });

    it('CREATE, DELETE, CREATE: the last CREATE wins (not deleted) but the DELETE still cascades', () => {
      expect(foldUsers([c('ann', T1), d(T2), c('bob', T3, '2001-02-03')])).to.deep.equal(
        full({ name: 'bob', dob: '2001-02-03', createdAt: T3, modifiedAt: T3, isDeleted: false, cascade: true }),
      );
    });

    it('UPDATE, CREATE, UPDATE: events before the last CREATE are overwritten', () => {
      expect(foldUsers([u('zed', T1), c('ann', T2), u('bob', T4)])).to.deep.equal(
        full({ name: 'bob', dob: '1990-01-01', createdAt: T2, modifiedAt: T4 }),
      );
    });
  });

  describe('patch rows (no CREATE in the batch)', () => {
    it('UPDATE: name and modifiedAt only', () => {
      expect(foldUsers([u('bob', T2)])).to.deep.equal(patch({ name: 'bob', modifiedAt: T2 }));
    });

    it('UPDATE, UPDATE: the last name', () => {
      expect(foldUsers([u('bob', T2), u('cid', T3)])).to.deep.equal(patch({ name: 'cid', modifiedAt: T3 }));
    });

    it('DELETE: name null (kept), deleted, cascading', () => {
      expect(foldUsers([d(T2)])).to.deep.equal(patch({ name: null, modifiedAt: T2, isDeleted: true, cascade: true }));
    });

    it('UPDATE, DELETE: the UPDATE name, the DELETE time, deleted', () => {
      expect(foldUsers([u('bob', T2), d(T3)])).to.deep.equal(patch({ name: 'bob', modifiedAt: T3, isDeleted: true, cascade: true }));
    });

    it('DELETE, UPDATE: the UPDATE name and time, still deleted', () => {
      expect(foldUsers([d(T2), u('bob', T3)])).to.deep.equal(patch({ name: 'bob', modifiedAt: T3, isDeleted: true, cascade: true }));
    });

    it('UPDATE, DELETE, DELETE: the last time', () => {
      expect(foldUsers([u('bob', T2), d(T3), d(T5)])).to.deep.equal(patch({ name: 'bob', modifiedAt: T5, isDeleted: true, cascade: true }));
    });
  });

  it('refuses an empty list', () => {
    expect(() => foldUsers([])).to.throw(RangeError, /empty/);
  });

  it('does not modify its input', () => {
    const events = [c('ann', T1), u('bob', T2), d(T3)];
    const copy = structuredClone(events);
    foldUsers(events);
    expect(events).to.deep.equal(copy);
  });

  /**
   * The contract with the apply SQL, checked against a model: applying the folded row must equal
   * applying every event in order, from any starting state. The row is applied as the SQL is meant to:
   * `full` upserts the whole row; `patch` touches an existing row only (an unknown id is a no-op),
   * name = COALESCE(stage.name, name), modified_at = stage.modified_at, is_deleted = is_deleted OR
   * stage.is_deleted; `cascade` marks the user's orders deleted.
   */
  describe('equals applying each event in order (model, random sequences)', () => {
    interface State {
      name: string;
      dob: string;
      createdAt: string;
      modifiedAt: string;
      isDeleted: boolean;
    }
    interface World {
      row: State | undefined;
      /** Orders can only reference a user that exists (foreign key): they exist iff the user did before the batch. */
      hasOrders: boolean;
      ordersDeleted: boolean;
    }

    function applyEvent(w: World, e: UserEvent): World {
      if (e.op === 'CREATE') {
        return {
          row: { name: e.name ?? '', dob: e.dob ?? '', createdAt: e.createdAt ?? '', modifiedAt: e.createdAt ?? '', isDeleted: false },
          hasOrders: w.hasOrders,
          ordersDeleted: w.ordersDeleted,
        };
      }
      if (!w.row) return w;
      if (e.op === 'UPDATE') return { ...w, row: { ...w.row, name: e.name ?? '', modifiedAt: e.modifiedAt ?? '' } };
      return { ...w, row: { ...w.row, isDeleted: true, modifiedAt: e.modifiedAt ?? '' }, ordersDeleted: w.ordersDeleted || w.hasOrders };
    }

    function applyRow(w: World, r: UserStageRow): World {
      const ordersDeleted = w.ordersDeleted || (r.cascade && w.hasOrders);
      if (r.kind === 'full') {
        return {
          row: {
            name: r.name ?? '',
            dob: r.dob ?? '',
            createdAt: r.createdAt ?? '',
            modifiedAt: r.modifiedAt ?? '',
            isDeleted: r.isDeleted,
          },
          hasOrders: w.hasOrders,
          ordersDeleted,
        };
      }
      if (!w.row) return w;
      return {
        hasOrders: w.hasOrders,
        row: { ...w.row, name: r.name ?? w.row.name, modifiedAt: r.modifiedAt ?? '', isDeleted: w.row.isDeleted || r.isDeleted },
        ordersDeleted,
      };
    }

    it('holds for 5000 random sequences of 1-7 events from 3 starting states', () => {
      const random = seededRandom(42);
      let fulls = 0;
      let patches = 0;
      for (let run = 0; run < 5000; run++) {
        const starts: World[] = [
          { row: undefined, hasOrders: false, ordersDeleted: false },
          {
            row: { name: 'old', dob: '1970-01-01', createdAt: 'T0', modifiedAt: 'T0', isDeleted: false },
            hasOrders: true,
            ordersDeleted: false,
          },
          {
            row: { name: 'old', dob: '1970-01-01', createdAt: 'T0', modifiedAt: 'T0', isDeleted: true },
            hasOrders: true,
            ordersDeleted: true,
          },
        ];
        const length = 1 + Math.floor(random() * 7);
        const events: UserEvent[] = [];
        for (let i = 0; i < length; i++) {
          const pick = random();
          const t = `T${run}.${i}`;
          if (pick < 0.3) events.push(c(`n${run}.${i}`, t, `d${i}`));
          else if (pick < 0.75) events.push(u(`n${run}.${i}`, t));
          else events.push(d(t));
        }
        const row = foldUsers(events);
        if (row.kind === 'full') fulls++;
        else patches++;
        for (const start of starts) {
          const expected = events.reduce(applyEvent, start);
          expect(applyRow(start, row), JSON.stringify({ start, events, row })).to.deep.equal(expected);
        }
      }
      expect(fulls).to.be.greaterThan(1000);
      expect(patches).to.be.greaterThan(1000);
    });
  });
});
