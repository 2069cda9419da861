import { expect } from 'chai';
import {
  compareTables,
  describeComparison,
  diffRows,
  type OrderRow,
  type Tables,
  type UserRow,
} from '../../../lib/loadgen/generator/index.js';

const user = (id: string, name = 'ann'): UserRow => ({
  id,
  name,
  dob: '1990-01-02',
  created_at: '2025-07-01T07:04:56.123457Z',
  modified_at: '2025-07-01T07:04:56.123457Z',
  is_deleted: false,
});
const order = (id: string, userId: string): OrderRow => ({
  id,
  status: 'PLACED',
  user_id: userId,
  quantity: 3,
  total_amount: '12.35',
  placed_at: '2025-07-01T07:04:57.000001Z',
  modified_at: '2025-07-01T07:04:57.000001Z',
  is_deleted: false,
});

describe('generator/compare-tables', () => {
  const expected: Tables = { users: [user('b'), user('a')], orders: [order('x', 'a')] };

  it('finds equal tables equal, whatever the row order', () => {
    const c = compareTables(expected, { users: [user('a'), user('b')], orders: [order('x', 'a')] });
    expect(c.equal).to.equal(true);
    expect(describeComparison(c)).to.equal('users: 2 rows, expected 2, all equal; orders: 1 rows, expected 1, all equal');
  });

  it('counts missing, unexpected and differing rows, and names the first difference', () => {
    const c = compareTables(expected, {
      users: [user('a', 'bob'), user('c')],
      orders: [{ ...order('x', 'a'), is_deleted: true }],
    });
    expect(c.equal).to.equal(false);
    expect(c.tables[0]).to.deep.equal({
      table: 'users',
      expectedRows: 2,
      actualRows: 2,
      differences: 3,
      first: 'users a: name is "bob", expected "ann"',
    });
    expect(c.tables[1]?.first).to.equal('orders x: is_deleted is true, expected false');
  });

  it('compares with === so a number read as text differs', () => {
    const c = compareTables(expected, { users: expected.users, orders: [{ ...order('x', 'a'), quantity: '3' as unknown as number }] });
    expect(c.equal).to.equal(false);
  });

  it('lists every difference in id order, duplicates included', () => {
    const d = diffRows([user('b'), user('a')], [user('c'), user('a', 'bob'), user('c')]);
    expect(d.map((x) => [x.kind, x.id])).to.deep.equal([
      ['differs', 'a'],
      ['missing', 'b'],
      ['unexpected', 'c'],
      ['duplicate', 'c'],
    ]);
    expect(d[0]).to.include({ field: 'name' });
  });
});
