import { expect } from 'chai';
import { columns, commitOffsets } from '../../bench/contenders/multi-row-insert.js';
import { decodeEvent, foldOrders, foldUsers, type OrderOp, type UserOp } from '../../bench/contenders/wire.js';
import { createGenerator, TableModel } from '../../lib/loadgen/generator/index.js';

const U = '11111111-1111-4111-8111-111111111111';
const O = '22222222-2222-4222-8222-222222222222';

describe('bench/contenders/wire (the INSERT baselines)', () => {
  it('decodes both event kinds from the wire format, keeping timestamps and totals as text', () => {
    const u = decodeEvent(
      Buffer.from(
        `{"event_type":"CREATE","user_id":"${U}","name":"a \\u003cb\\u003e","dob":"1990-01-02","created_at":"2025-07-01T12:34:56.123456789+05:30"}`,
      ),
    );
    expect(u).to.deep.equal({
      entity: 'user',
      op: 'CREATE',
      id: U,
      name: 'a <b>',
      dob: '1990-01-02',
      createdAt: '2025-07-01T12:34:56.123456789+05:30',
      modifiedAt: undefined,
    });
    const o = decodeEvent(
      `{"event_type":"CREATE","order_id":"${O}","order_status":"PLACED","user_id":"${U}","quantity":7,"order_total":1234.5678901234567,"placed_at":"2025-07-01T00:00:00Z"}`,
    ) as OrderOp;
    expect(o).to.deep.include({
      entity: 'order',
      op: 'CREATE',
      id: O,
      status: 'PLACED',
      userId: U,
      quantity: 7,
      total: '1234.5678901234567',
    });
    expect(() => decodeEvent('{"event_type":"UPSERT","user_id":"x"}')).to.throw(/unknown event_type/);
  });

  it('folds a user created, renamed and deleted in one batch into one full row that cascades', () => {
    const events: UserOp[] = [
      { entity: 'user', op: 'CREATE', id: U, name: 'a', dob: '1990-01-02', createdAt: 't1' },
      { entity: 'user', op: 'UPDATE', id: U, name: 'b', modifiedAt: 't2' },
      { entity: 'user', op: 'DELETE', id: U, modifiedAt: 't3' },
    ];
    expect([...foldUsers(events).values()]).to.deep.equal([
      { id: U, full: true, name: 'b', dob: '1990-01-02', createdAt: 't1', modifiedAt: 't3', deleted: true, cascade: true },
    ]);
    expect([...foldUsers(events.slice(0, 1)).values()][0]).to.deep.include({ modifiedAt: 't1', deleted: false, cascade: false });
  });

  it('folds changes without a CREATE into a patch', () => {
    expect([...foldUsers([{ entity: 'user', op: 'UPDATE', id: U, name: 'z', modifiedAt: 't9' }]).values()]).to.deep.equal([
      { id: U, full: false, name: 'z', dob: null, createdAt: null, modifiedAt: 't9', deleted: false, cascade: false },
    ]);
    expect([
      ...foldOrders([
        { entity: 'order', op: 'UPDATE', id: O, status: 'SHIPPED', modifiedAt: 't2' },
        { entity: 'order', op: 'DELETE', id: O, status: 'CANCELLED', modifiedAt: 't3' },
      ]).values(),
    ]).to.deep.equal([
      {
        id: O,
        full: false,
        status: 'CANCELLED',
        userId: null,
        quantity: null,
        total: null,
        placedAt: null,
        modifiedAt: 't3',
        deleted: true,
      },
    ]);
  });

  it('agrees with the model on generated events: full rows fold to the model row', () => {
    const gen = createGenerator({ seed: 11, topics: { users: 'u', orders: 'o' } });
    const model = new TableModel();
    const users: UserOp[] = [];
    const orders: OrderOp[] = [];
    for (let i = 0; i < 3000; i++) {
      const e = gen.next();
      model.apply(e.value);
      const d = decodeEvent(e.value);
      if (d.entity === 'user') users.push(d);
      else orders.push(d);
    }
    const foldedUsers = foldUsers(users);
    for (const row of model.users()) {
      const f = foldedUsers.get(row.id);
      expect(f?.full).to.equal(true);
      expect([f?.name, f?.dob, f?.deleted]).to.deep.equal([row.name, row.dob, row.is_deleted]);
    }
    const foldedOrders = foldOrders(orders);
    for (const row of model.orders()) {
      const f = foldedOrders.get(row.id);
      expect([f?.full, f?.status, f?.userId, f?.quantity]).to.deep.equal([true, row.status, row.user_id, row.quantity]);
    }
  });

  it('passes rows as one array per column', () => {
    expect(
      columns(
        [
          { a: 1, b: 'x' },
          { a: 2, b: 'y' },
        ],
        (r) => r.a,
        (r) => r.b,
      ),
    ).to.deep.equal([
      [1, 2],
      ['x', 'y'],
    ]);
  });

  it('commits past each partition’s last message, but not past an order held back for its user', () => {
    const item = (partition: number, offset: number) => ({ topic: 't', partition, offset, event: {} as OrderOp });
    const batch = [item(0, 10), item(0, 11), item(1, 5), item(0, 12), item(1, 6)];
    expect(commitOffsets(batch, [])).to.deep.equal([
      { topic: 't', partition: 0, offset: 13 },
      { topic: 't', partition: 1, offset: 7 },
    ]);
    expect(commitOffsets(batch, [item(0, 11), item(0, 12)])).to.deep.equal([
      { topic: 't', partition: 0, offset: 11 },
      { topic: 't', partition: 1, offset: 7 },
    ]);
  });
});
