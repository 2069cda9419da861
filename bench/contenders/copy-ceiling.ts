/**
 * copy-ceiling: the floor of what Postgres needs, not a consumer. The final rows (the model of all
 * events) are encoded in COPY text format before the clock starts, then COPYed into the empty tables
 * (same schema, keys, foreign key and index as every contender) on one connection, in one transaction.
 * No Kafka, no JSON, no folding, no updates: the rate is all events divided by the time Postgres took
 * to store their end result.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { OrderRow, UserRow } from '../../lib/loadgen/generator/index.js';
import { qualified } from '../../lib/postgres/index.js';
import { copyField } from '../../lib/sinks/copy-text.js';
import type { Contender, ContenderContext, ContenderRun } from './types.js';

export function encodeUsers(rows: readonly UserRow[]): Buffer {
  let text = '';
  for (const r of rows) {
    text += `${r.id}\t${copyField(r.name)}\t${r.dob}\t${r.created_at}\t${r.modified_at}\t${r.is_deleted ? 't' : 'f'}\n`;
  }
  return Buffer.from(text);
}

export function encodeOrders(rows: readonly OrderRow[]): Buffer {
  let text = '';
  for (const r of rows) {
    text += `${r.id}\t${copyField(r.status)}\t${r.user_id}\t${r.quantity}\t${r.total_amount}\t${r.placed_at}\t${r.modified_at}\t${r.is_deleted ? 't' : 'f'}\n`;
  }
  return Buffer.from(text);
}

/** Hands the pre-encoded data to COPY in 256 KiB pieces, as a stream from a file or socket would. */
function chunks(data: Buffer): Readable {
  const size = 256 * 1024;
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) pieces.push(data.subarray(at, at + size));
  return Readable.from(pieces);
}

export const copyCeiling: Contender = {
  name: 'copy-ceiling',
  describe: 'the final rows pre-encoded, COPYed into the empty tables on one connection in one transaction: no Kafka, no JSON',

  async run(ctx: ContenderContext): Promise<ContenderRun> {
    const model = ctx.dataset.expected();
    const users = encodeUsers(model.users);
    const orders = encodeOrders(model.orders);
    const client = new pg.Client({ connectionString: ctx.databaseUrl });
    await client.connect();
    try {
      const started = performance.now();
      const from = Date.now();
      await client.query('BEGIN');
      await pipeline(
        chunks(users),
        client.query(copyFrom(`COPY ${qualified(ctx.schema, 'users')} (id, name, dob, created_at, modified_at, is_deleted) FROM STDIN`)),
      );
      await pipeline(
        chunks(orders),
        client.query(
          copyFrom(
            `COPY ${qualified(ctx.schema, 'orders')} (id, status, user_id, quantity, total_amount, placed_at, modified_at, is_deleted) FROM STDIN`,
          ),
        ),
      );
      await client.query('COMMIT');
      const seconds = (performance.now() - started) / 1000;
      return { events: ctx.dataset.total, seconds, span: { from, to: Date.now() } };
    } finally {
      await client.end();
    }
  },
};
