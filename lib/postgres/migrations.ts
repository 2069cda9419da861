/**
 * The schema, as an ordered list of migrations. A change to the schema is a new entry at the end, never
 * an edit of an applied one: `applySchema` records each applied version in `cdc_schema_version`.
 * Statements are unqualified; they run with search_path set to the target schema.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users, orders, offsets, dead letters',
    sql: `
      -- users and orders exactly as the Go pipeline had them (shared/seed/DATA-MODEL.md).
      CREATE TABLE users (
        id UUID PRIMARY KEY,
        name VARCHAR(50) NOT NULL,
        dob DATE NOT NULL,
        created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
        modified_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
        is_deleted BOOLEAN DEFAULT FALSE
      );
      CREATE TABLE orders (
        id UUID PRIMARY KEY,
        status VARCHAR(10) NOT NULL,
        user_id UUID NOT NULL REFERENCES users(id),
        quantity INTEGER NOT NULL,
        total_amount DECIMAL(10,2) NOT NULL,
        placed_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
        modified_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
        is_deleted BOOLEAN DEFAULT FALSE
      );
      -- A user's soft delete marks their orders deleted (set-based, in the apply SQL rather than a
      -- per-row trigger); this index keeps that update from scanning all orders.
      CREATE INDEX orders_user_id_idx ON orders (user_id);

      -- Source of truth for exactly-once delivery: the next offset to read per (group, topic, partition),
      -- written in the same transaction as the rows it covers.
      CREATE TABLE cdc_offsets (
        group_id text,
        topic text,
        partition int,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      );

      CREATE TABLE cdc_dead_letters (
        id bigserial PRIMARY KEY,
        group_id text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        "offset" bigint NOT NULL,
        key bytea,
        value bytea,
        headers jsonb,
        error_code text NOT NULL,
        error_message text NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (group_id, topic, partition, "offset")
      );
    `,
  },
];
