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
    name: 'offsets, dead letters',
    sql: `
      -- Only the engine's own tables: the tables events are loaded into come from the mapping file
      -- (lib/sinks/tables.ts). Schemas migrated before the mapping existed also got the seed mapping's
      -- tables here; that mapping finds and checks them.

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
