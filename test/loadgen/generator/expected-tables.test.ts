import { expect } from 'chai';
import { createGenerator, expectedTables, roundDecimal, TableModel, type WireEvent } from '../../../lib/loadgen/generator/index.js';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const O1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const O2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const O3 = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

const userCreate = (id: string, at: string, name = 'abc defg'): WireEvent => ({
  event_type: 'CREATE',
  user_id: id,
  name,
  dob: '1990-02-03',
  created_at: at,
});
const orderCreate = (id: string, user: string, at: string, total = 12.345): WireEvent => ({
  event_type: 'CREATE',
  order_id: id,
  order_status: 'PLACED',
  user_id: user,
  quantity: 3,
  order_total: total,
  placed_at: at,
});

describe('generator/expected-tables', () => {
  it('user CREATE sets the row with modified_at = created_at; UPDATE sets name and modified_at', () => {
    const m = new TableModel()
      .apply(userCreate(U1, '2025-07-01T12:00:00.1234564+02:00'))
      .apply({ event_type: 'UPDATE', user_id: U1, name: 'new name', modified_at: '2025-07-01T10:00:01Z' });
    expect(m.users()).to.deep.equal([
      {
        id: U1,
        name: 'new name',
        dob: '1990-02-03',
        created_at: '2025-07-01T10:00:00.123456Z',
        modified_at: '2025-07-01T10:00:01.000000Z',
        is_deleted: false,
      },
    ]);
    expect(new TableModel().apply(userCreate(U2, '2025-07-01T12:00:00Z')).users()[0]?.modified_at).to.equal('2025-07-01T12:00:00.000000Z');
  });

  it('user DELETE soft-deletes the user and all its orders, including orders created after the delete', () => {
    const tables = expectedTables([
      userCreate(U1, '2025-07-01T00:00:00Z'),
      userCreate(U2, '2025-07-01T00:00:00Z'),
      orderCreate(O1, U1, '2025-07-01T00:00:01Z'),
      orderCreate(O2, U2, '2025-07-01T00:00:01Z'),
      { event_type: 'DELETE', user_id: U1, modified_at: '2025-07-01T00:00:02Z' },
      orderCreate(O3, U1, '2025-07-01T00:00:03Z'),
    ]);
    const u1 = tables.users.find((u) => u.id === U1);
    expect(u1?.is_deleted).to.equal(true);
    expect(u1?.modified_at).to.equal('2025-07-01T00:00:02.000000Z');
    expect(tables.orders.map((o) => [o.id, o.is_deleted, o.status, o.modified_at])).to.deep.equal([
      [O1, true, 'PLACED', '2025-07-01T00:00:01.000000Z'],
      [O2, false, 'PLACED', '2025-07-01T00:00:01.000000Z'],
      [O3, true, 'PLACED', '2025-07-01T00:00:03.000000Z'],
    ]);
  });

  it('a cascaded delete is permanent: a user created again is live, the orders its delete marked stay deleted', () => {
    const tables = expectedTables([
      userCreate(U1, '2025-07-01T00:00:00Z'),
      orderCreate(O1, U1, '2025-07-01T00:00:01Z'),
      { event_type: 'DELETE', user_id: U1, modified_at: '2025-07-01T00:00:02Z' },
      orderCreate(O2, U1, '2025-07-01T00:00:03Z'),
      userCreate(U1, '2025-07-01T00:00:04Z', 'again'),
      orderCreate(O3, U1, '2025-07-01T00:00:05Z'),
    ]);
    expect(tables.users.map((u) => [u.name, u.is_deleted])).to.deep.equal([['again', false]]);
    // O1 was marked by the delete, O2 created under the deleted user; O3 came after the re-creation.
    expect(tables.orders.map((o) => [o.id, o.is_deleted])).to.deep.equal([
      [O1, true],
      [O2, true],
      [O3, false],
    ]);
    // An order created again under the live user is live again: its own row is overwritten.
    const recreated = expectedTables([
      userCreate(U1, '2025-07-01T00:00:00Z'),
      orderCreate(O1, U1, '2025-07-01T00:00:01Z'),
      { event_type: 'DELETE', user_id: U1, modified_at: '2025-07-01T00:00:02Z' },
      userCreate(U1, '2025-07-01T00:00:04Z'),
      orderCreate(O1, U1, '2025-07-01T00:00:05Z'),
    ]);
    expect(recreated.orders.map((o) => o.is_deleted)).to.deep.equal([false]);
  });

  it('order CREATE sets the row with modified_at = placed_at; UPDATE sets status; DELETE also soft-deletes', () => {
    const m = new TableModel().applyAll([
      userCreate(U1, '2025-07-01T00:00:00Z'),
      orderCreate(O1, U1, '2025-07-01T00:00:01.5Z', 1234.5678901234567),
      orderCreate(O2, U1, '2025-07-01T00:00:01Z', 10.005),
      { event_type: 'UPDATE', order_id: O1, order_status: 'SHIPPED', modified_at: '2025-07-01T00:00:02Z' },
      { event_type: 'UPDATE', order_id: O2, order_status: 'SHIPPED', modified_at: '2025-07-01T00:00:02Z' },
      { event_type: 'DELETE', order_id: O2, order_status: 'CANCELLED', modified_at: '2025-07-01T00:00:03Z' },
    ]);
    expect(m.orders()).to.deep.equal([
      {
        id: O1,
        status: 'SHIPPED',
        user_id: U1,
        quantity: 3,
        total_amount: '1234.57',
        placed_at: '2025-07-01T00:00:01.500000Z',
        modified_at: '2025-07-01T00:00:02.000000Z',
        is_deleted: false,
      },
      {
        id: O2,
        status: 'CANCELLED',
        user_id: U1,
        quantity: 3,
        total_amount: '10.01',
        placed_at: '2025-07-01T00:00:01.000000Z',
        modified_at: '2025-07-01T00:00:03.000000Z',
        is_deleted: true,
      },
    ]);
  });

  it('ignores UPDATE and DELETE of unknown ids and counts them; a repeated CREATE overwrites (upsert)', () => {
    const m = new TableModel().applyAll([
      { event_type: 'UPDATE', user_id: U1, name: 'x', modified_at: '2025-07-01T00:00:00Z' },
      { event_type: 'DELETE', order_id: O1, order_status: 'CANCELLED', modified_at: '2025-07-01T00:00:00Z' },
      userCreate(U1, '2025-07-01T00:00:01Z', 'first'),
      userCreate(U1, '2025-07-01T00:00:02Z', 'replayed'),
    ]);
    expect(m.users().map((u) => u.name)).to.deep.equal(['replayed']);
    expect(m.users()[0]?.created_at).to.equal('2025-07-01T00:00:02.000000Z');
    expect(m.orders()).to.deep.equal([]);
    expect(m.counts).to.deep.equal({ applied: 4, ignored: 2 });
  });

  it('takes message bodies as Buffers and strings, and folds a generated stream', () => {
    const g = createGenerator({ seed: 9 });
    const events = Array.from({ length: 5000 }, () => g.next());
    const fromBuffers = expectedTables(events.map((e) => e.value));
    const fromStrings = expectedTables(events.map((e) => e.value.toString('utf8')));
    expect(fromBuffers).to.deep.equal(fromStrings);
    const creates = events.filter((e) => e.type === 'CREATE');
    expect(fromBuffers.users.length + fromBuffers.orders.length).to.equal(creates.length);
    const deletedUsers = new Set(events.filter((e) => e.entity === 'user' && e.type === 'DELETE').map((e) => e.id));
    for (const u of fromBuffers.users) expect(u.is_deleted).to.equal(deletedUsers.has(u.id));
    for (const o of fromBuffers.orders) {
      expect(o.total_amount).to.match(/^\d+\.\d{2}$/);
      if (deletedUsers.has(o.user_id)) expect(o.is_deleted).to.equal(true);
    }
  });

  describe('roundDecimal', () => {
    it('rounds half away from zero on the decimal digits, as Postgres numeric does', () => {
      expect(roundDecimal('1234.565')).to.equal('1234.57');
      expect(roundDecimal('1234.5650000000001')).to.equal('1234.57');
      expect(roundDecimal('1234.5649999999999')).to.equal('1234.56');
      expect(roundDecimal('-1.005')).to.equal('-1.01');
      expect(roundDecimal('-0.001')).to.equal('0.00');
      expect(roundDecimal('99.995')).to.equal('100.00');
      expect(roundDecimal('7')).to.equal('7.00');
      expect(roundDecimal('0.5', 0)).to.equal('1');
    });

    it('handles exponent notation without going through a float', () => {
      expect(roundDecimal('1.2345e3')).to.equal('1234.50');
      expect(roundDecimal('5e-3')).to.equal('0.01');
      expect(roundDecimal('4.9e-3')).to.equal('0.00');
      expect(roundDecimal('1e21')).to.equal('1000000000000000000000.00');
    });

    it('rejects text that is not a number', () => {
      expect(() => roundDecimal('12,5')).to.throw(RangeError);
    });
  });
});
