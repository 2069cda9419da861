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

  async apply(client, { stage, users, orders }) {
    // Lock this batch's existing users in id order first. Orders batches take FOR SHARE locks on users
    // in the same order, so the two never wait on each other in a cycle (a deadlock).
    await client.query(`SELECT 1 FROM ${users} WHERE id IN (SELECT id FROM ${stage}) ORDER BY id FOR NO KEY UPDATE`);
    // A repeated CREATE overwrites the whole row (upsert), so replaying a batch changes nothing.
    const full = await client.query(
      `INSERT INTO ${users} AS t (id, name, dob, created_at, modified_at, is_deleted)
       SELECT id, name, dob, created_at, modified_at, is_deleted FROM ${stage} WHERE kind = 'full' ORDER BY id
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, dob = EXCLUDED.dob, created_at = EXCLUDED.created_at,
         modified_at = EXCLUDED.modified_at, is_deleted = EXCLUDED.is_deleted`,
    );
    const patch = await client.query(
      `UPDATE ${users} AS t SET name = COALESCE(s.name, t.name), modified_at = s.modified_at, is_deleted = t.is_deleted OR s.is_deleted
       FROM ${stage} s WHERE s.kind = 'patch' AND t.id = s.id`,
    );
    // The Go pipeline used a trigger; one set-based statement per batch is cheaper than a trigger per row.
    await client.query(
      `UPDATE ${orders} AS o SET is_deleted = true
       FROM ${stage} s WHERE s.cascade AND o.user_id = s.id AND o.is_deleted IS DISTINCT FROM true`,
    );
    return { upserted: full.rowCount ?? 0, patched: patch.rowCount ?? 0 };
  },
};
