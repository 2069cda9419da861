import { encodeOrderStageRow, ORDER_STAGE_COLUMNS } from '../copy-text.js';
import type { Sink } from '../sink.js';
import type { OrderEvent, OrderStageRow } from '../types.js';
import { decodeOrder } from './decode.js';
import { foldOrders } from './fold.js';

export const ordersSink: Sink<OrderEvent, OrderStageRow> = {
  name: 'orders',
  table: 'orders',
  decode: decodeOrder,
  fold: foldOrders,
  stageColumns: ORDER_STAGE_COLUMNS,
  encodeRow: encodeOrderStageRow,

  async findOrphans(client, { stage, users }, staged) {
    if (staged.full === 0) return [];
    // FOR KEY SHARE on the users these orders reference, before reading them: a concurrent batch that
    // soft-deletes one of them (it takes FOR UPDATE) either commits first, and we then see is_deleted,
    // or waits for us, and its cascade then sees our orders. Without it both could commit and leave a
    // live order of a deleted user. The foreign key check takes this same lock anyway, and it does not
    // conflict with plain user updates (FOR NO KEY UPDATE).
    // The orphans are the orders whose user this statement did not lock. Asking again in a later
    // statement would be racy: a user committed in between would count as present without being
    // locked, and a concurrent delete of it could then slip past our insert.
    const locked = await client.query<{ id: string }>({
      name: 'orders-lock-users',
      text: `SELECT u.id FROM ${users} u WHERE u.id IN (SELECT user_id FROM ${stage} WHERE kind = 'full') ORDER BY u.id FOR KEY SHARE`,
    });
    const { rows } = await client.query<{ id: string }>({
      name: 'orders-orphans',
      text: `SELECT s.id FROM ${stage} s WHERE s.kind = 'full' AND s.user_id <> ALL ($1::uuid[])`,
      values: [locked.rows.map((r) => r.id)],
    });
    return rows.map((r) => r.id);
  },

  async apply(client, { stage, users, orders }, staged) {
    const full =
      staged.full === 0
        ? { rowCount: 0 }
        : await client.query({
            name: 'orders-upsert',
            text: `INSERT INTO ${orders} AS t (id, status, user_id, quantity, total_amount, placed_at, modified_at, is_deleted)
       SELECT s.id, s.status, s.user_id, s.quantity, s.total_amount, s.placed_at, s.modified_at, s.is_deleted OR COALESCE(u.is_deleted, false)
       FROM ${stage} s JOIN ${users} u ON u.id = s.user_id WHERE s.kind = 'full' ORDER BY s.id
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, user_id = EXCLUDED.user_id, quantity = EXCLUDED.quantity,
         total_amount = EXCLUDED.total_amount, placed_at = EXCLUDED.placed_at, modified_at = EXCLUDED.modified_at,
         is_deleted = EXCLUDED.is_deleted`,
          });
    const patch =
      staged.patch === 0
        ? { rowCount: 0 }
        : await client.query({
            name: 'orders-patch',
            text: `UPDATE ${orders} AS t SET status = s.status, modified_at = s.modified_at, is_deleted = t.is_deleted OR s.is_deleted
       FROM ${stage} s WHERE s.kind = 'patch' AND t.id = s.id`,
          });
    return { upserted: full.rowCount ?? 0, patched: patch.rowCount ?? 0 };
  },
};
