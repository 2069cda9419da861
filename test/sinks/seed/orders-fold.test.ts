import { expect } from 'chai';
import { folder, ordersSink } from '../seed-adapter.js';
import { seededRandom } from '../random.js';

/** The shapes the hand-written orders sink had; the adapter maps the compiled sink to them. */
interface OrderEvent {
  op: 'CREATE' | 'UPDATE' | 'DELETE';
  id: string;
  status: string;
  userId?: string;
  quantity?: number;
  totalAmount?: string;
  placedAt?: string;
  modifiedAt?: string;
}
interface OrderStageRow {
  id: string;
  kind: 'full' | 'patch';
  status: string;
  userId: string | null;
  quantity: number | null;
  totalAmount: string | null;
  placedAt: string | null;
  modifiedAt: string | null;
  isDeleted: boolean;
}
const foldOrders = folder(ordersSink) as unknown as (events: readonly OrderEvent[]) => OrderStageRow;
const ID = 'a3bb189e-8bf9-3888-9912-ace4e6543002';
const USER_A = '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f';
const USER_B = '0f8fad5b-d9cb-469f-a165-70867728950e';

const c = (placedAt: string, userId = USER_A, quantity = 3, totalAmount = '12.50', status = 'PLACED'): OrderEvent => ({
  op: 'CREATE',
  id: ID,
  status,
  userId,
  quantity,
  totalAmount,
  placedAt,
});
const u = (modifiedAt: string, status = 'SHIPPED'): OrderEvent => ({ op: 'UPDATE', id: ID, status, modifiedAt });
const d = (modifiedAt: string, status = 'CANCELLED'): OrderEvent => ({ op: 'DELETE', id: ID, status, modifiedAt });

const T1 = '2025-07-01T00:00:01.000001Z';
const T2 = '2025-07-01T00:00:02.123456789+02:00';
const T3 = '2025-07-01T00:00:03Z';
const T4 = '2025-07-01T00:00:04Z';

const full = (over: Partial<OrderStageRow>): OrderStageRow => ({
  id: ID,
  kind: 'full',
  status: 'PLACED',
  userId: USER_A,
  quantity: 3,
  totalAmount: '12.50',
  placedAt: T1,
  modifiedAt: T1,
  isDeleted: false,
  ...over,
});
const patch = (over: Partial<OrderStageRow>): OrderStageRow => ({
  id: ID,
  kind: 'patch',
  status: '',
  userId: null,
  quantity: null,
  totalAmount: null,
  placedAt: null,
  modifiedAt: null,
  isDeleted: false,
  ...over,
});

describe('sinks/seed mapping: orders fold', () => {
  describe('full rows (the batch holds a CREATE)', () => {
    it('CREATE: the whole row, modifiedAt = placedAt, not deleted', () => {
      expect(foldOrders([c(T1)])).to.deep.equal(full({}));
    });

    it('CREATE, UPDATE: the UPDATE status and time', () => {
      expect(foldOrders([c(T1), u(T2)])).to.deep.equal(full({ status: 'SHIPPED', modifiedAt: T2 }));
    });

    it('CREATE, UPDATE, DELETE: deleted, the DELETE status and time', () => {
      expect(foldOrders([c(T1), u(T2), d(T3)])).to.deep.equal(full({ status: 'CANCELLED', modifiedAt: T3, isDeleted: true }));
    });

    it('CREATE, DELETE, UPDATE: still deleted, the UPDATE status and time', () => {
      expect(foldOrders([c(T1), d(T2), u(T3, 'RETURNED')])).to.deep.equal(full({ status: 'RETURNED', modifiedAt: T3, isDeleted: true }));
    });

    it('CREATE, DELETE, CREATE: the last CREATE, not deleted', () => {
      expect(foldOrders([c(T1), d(T2), c(T3, USER_B, 9, '99.99')])).to.deep.equal(
        full({ userId: USER_B, quantity: 9, totalAmount: '99.99', placedAt: T3, modifiedAt: T3 }),
      );
    });

    it('UPDATE, CREATE: events before the last CREATE are overwritten', () => {
      expect(foldOrders([u(T1), c(T2)])).to.deep.equal(full({ placedAt: T2, modifiedAt: T2 }));
    });
  });

  describe('patch rows (no CREATE in the batch)', () => {
    it('UPDATE: status and modifiedAt only', () => {
      expect(foldOrders([u(T2)])).to.deep.equal(patch({ status: 'SHIPPED', modifiedAt: T2 }));
    });

    it('DELETE: status, modifiedAt, deleted', () => {
      expect(foldOrders([d(T2)])).to.deep.equal(patch({ status: 'CANCELLED', modifiedAt: T2, isDeleted: true }));
    });

    it('UPDATE, DELETE, UPDATE: the last status and time, still deleted', () => {
      expect(foldOrders([u(T1), d(T2), u(T4, 'LOST')])).to.deep.equal(patch({ status: 'LOST', modifiedAt: T4, isDeleted: true }));
    });

    it('UPDATE, UPDATE: the last status', () => {
      expect(foldOrders([u(T1, 'PACKED'), u(T3)])).to.deep.equal(patch({ status: 'SHIPPED', modifiedAt: T3 }));
    });
  });

  it('refuses an empty list', () => {
    expect(() => foldOrders([])).to.throw(RangeError, /empty/);
  });

  /**
   * The contract with the apply SQL, checked against a model: `full` upserts the whole row (the SQL
   * then ORs in "user already deleted", which is outside the fold); `patch` touches an existing row
   * only: status and modified_at from the row, is_deleted = is_deleted OR stage.is_deleted.
   */
  describe('equals applying each event in order (model, random sequences)', () => {
    type State = Omit<OrderStageRow, 'id' | 'kind'>;

    function applyEvent(row: State | undefined, e: OrderEvent): State | undefined {
      if (e.op === 'CREATE') {
        return {
          status: e.status,
          userId: e.userId ?? null,
          quantity: e.quantity ?? null,
          totalAmount: e.totalAmount ?? null,
          placedAt: e.placedAt ?? null,
          modifiedAt: e.placedAt ?? null,
          isDeleted: false,
        };
      }
      if (!row) return row;
      return { ...row, status: e.status, modifiedAt: e.modifiedAt ?? null, isDeleted: row.isDeleted || e.op === 'DELETE' };
    }

    function applyRow(row: State | undefined, r: OrderStageRow): State | undefined {
      const { id: _id, kind: _kind, ...state } = r;
      if (r.kind === 'full') return state;
      if (!row) return row;
      return { ...row, status: r.status, modifiedAt: r.modifiedAt, isDeleted: row.isDeleted || r.isDeleted };
    }

    it('holds for 5000 random sequences of 1-7 events from 3 starting states', () => {
      const random = seededRandom(7);
      const base: State = {
        status: 'OLD',
        userId: USER_B,
        quantity: 1,
        totalAmount: '1',
        placedAt: 'T0',
        modifiedAt: 'T0',
        isDeleted: false,
      };
      let fulls = 0;
      let patches = 0;
      for (let run = 0; run < 5000; run++) {
        const length = 1 + Math.floor(random() * 7);
        const events: OrderEvent[] = [];
        for (let i = 0; i < length; i++) {
          const pick = random();
          const t = `T${run}.${i}`;
          if (pick < 0.3) events.push(c(t, i % 2 ? USER_A : USER_B, i + 1, `${run}.${i}`, `P${i}`));
          else if (pick < 0.75) events.push(u(t, `S${i}`));
          else events.push(d(t, `C${i}`));
        }
        const row = foldOrders(events);
        if (row.kind === 'full') fulls++;
        else patches++;
        for (const start of [undefined, base, { ...base, isDeleted: true }]) {
          const expected = events.reduce(applyEvent, start);
          expect(applyRow(start, row), JSON.stringify({ start, events, row })).to.deep.equal(expected);
        }
      }
      expect(fulls).to.be.greaterThan(1000);
      expect(patches).to.be.greaterThan(1000);
    });
  });
});
