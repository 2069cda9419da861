import { encodeUserStageRow, USER_STAGE_COLUMNS } from '../copy-text.js';
import type { Sink } from '../sink.js';
import type { UserEvent, UserStageRow } from '../types.js';
import { decodeUser } from './decode.js';
import { foldUsers } from './fold.js';

export const usersSink: Sink<UserEvent, UserStageRow> = {
  name: 'users',
  table: 'users',
  decode: decodeUser,
  fold: foldUsers,
  stageColumns: USER_STAGE_COLUMNS,
  encodeRow: encodeUserStageRow,

  async apply(client, { stage, users, orders }, staged) {
    // Named statements: parsed and planned once per connection, not once per batch.
    // A repeated CREATE overwrites the whole row (upsert), so replaying a batch changes nothing.
    const full = await client.query({
      name: 'users-upsert',
      text: `INSERT INTO ${users} AS t (id, name, dob, created_at, modified_at, is_deleted)
       SELECT id, name, dob, created_at, modified_at, is_deleted FROM ${stage} WHERE kind = 'full' ORDER BY id
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, dob = EXCLUDED.dob, created_at = EXCLUDED.created_at,
         modified_at = EXCLUDED.modified_at, is_deleted = EXCLUDED.is_deleted`,
    });
    const patch =
      staged.patch === 0
        ? { rowCount: 0 }
        : await client.query({
            name: 'users-patch',
            text: `UPDATE ${users} AS t SET name = COALESCE(s.name, t.name), modified_at = s.modified_at, is_deleted = t.is_deleted OR s.is_deleted
       FROM ${stage} s WHERE s.kind = 'patch' AND t.id = s.id`,
          });
    // The Go pipeline used a trigger; one set-based statement per batch is cheaper than a trigger per row.
    if (staged.cascade > 0) {
      // A user deleted here must not race an orders batch inserting an order for them (it would read
      // is_deleted = false while our cascade cannot see its uncommitted order). FOR UPDATE conflicts with
      // the FOR KEY SHARE lock orders batches take on their users first, so we wait for such a batch to
      // commit, and the cascade below (a new statement, a new snapshot) then sees its orders; an orders
      // batch that comes later waits for our commit and sees is_deleted. Only deleted users are locked,
      // in id order (orders batches lock in the same order: no deadlock), and only now, just before the
      // cascade: held from here to COMMIT, the lock keeps orders batches waiting as briefly as possible.
      await client.query({
        name: 'users-lock-deleted',
        text: `SELECT 1 FROM ${users} WHERE id IN (SELECT id FROM ${stage} WHERE cascade) ORDER BY id FOR UPDATE`,
      });
      await client.query({
        name: 'users-cascade',
        text: `UPDATE ${orders} AS o SET is_deleted = true
       FROM ${stage} s WHERE s.cascade AND o.user_id = s.id AND o.is_deleted IS DISTINCT FROM true`,
      });
    }
    return { upserted: full.rowCount ?? 0, patched: patch.rowCount ?? 0 };
  },
};
