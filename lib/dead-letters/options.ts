/**
 * cdc-dead-letters' options, declared once: the connection and session options are cdc-consume's own
 * specs (the same flags, variables, defaults and validation), the rest select and print dead letters.
 * The selection options are the library API's `Selection` too, so whatever selects dead letters
 * (list, purge, and later replay) reads them alike.
 */
import { connectionOptions, option, type OptionSpec, parse, schemaRegistryOptions, type SpecValues } from '../config/index.js';
import { consumerOptions } from '../consumer/options.js';
import { deadLetterDefaults } from './defaults.js';

/** cdc-consume's spec, with help that says what the limit does to this command (it retries no batch). */
function forThisCommand<T>(spec: OptionSpec<T>, describe: string): OptionSpec<T> {
  return { ...spec, describe };
}

const fails = 'its transaction rolls back (what it was replaying or purging stays) and the command fails';

/** Where the dead letters are and how each session is limited: cdc-consume's specs (flags, variables, defaults, validation). */
export const deadLetterConnectionOptions = {
  databaseUrl: connectionOptions.databaseUrl,
  dbSchema: connectionOptions.dbSchema,
  pgIdleInTransactionTimeoutMs: forThisCommand(
    consumerOptions.pgIdleInTransactionTimeoutMs,
    `Postgres ends a session of this command's left idle inside a transaction this long (a frozen or cut-off run), releasing its locks; ${fails} (idle_in_transaction_session_timeout; 0 leaves the server's setting)`,
  ),
  pgLockTimeoutMs: forThisCommand(
    consumerOptions.pgLockTimeoutMs,
    `Longest wait for a lock; then ${fails} (lock_timeout; 0 leaves the server's setting)`,
  ),
  pgStatementTimeoutMs: forThisCommand(
    consumerOptions.pgStatementTimeoutMs,
    `Longest run of one statement before Postgres cancels it; then ${fails} (statement_timeout; 0 leaves the server's setting)`,
  ),
  pgQueryTimeoutMs: forThisCommand(
    consumerOptions.pgQueryTimeoutMs,
    `Client-side bound on one query: with no answer by then the connection is dropped and ${fails}; keep it above --pg-statement-timeout (0 = none)`,
  ),
  pgKeepaliveMs: consumerOptions.pgKeepaliveMs,
};

/**
 * Which dead letters: every option given narrows the selection (AND); a list matches any of its items.
 * No environment variables: a filter read from the consumer's environment (CDC_GROUP, say) would hide
 * dead letters from a listing, and change what a purge deletes, without the command line showing it.
 */
export const selectionOptions = {
  ids: option<number[] | undefined>({
    flag: 'id',
    describe: 'Only these dead letters, by id (the first column of list), comma-separated',
    default: undefined,
    defaultText: 'any',
    parse: parse.optional(parse.integerList(1)),
  }),
  group: option<string | undefined>({
    flag: 'group',
    describe: 'Only those recorded by this consumer group (--group of cdc-consume)',
    default: undefined,
    defaultText: 'any',
    parse: parse.optional(parse.nonEmptyString),
  }),
  // Not `topics`: an option's key is also read from the command line, where --topics is cdc-consume's (replay takes it).
  topicNames: option<string[] | undefined>({
    flag: 'topic',
    describe: 'Only those of these topics, comma-separated',
    default: undefined,
    defaultText: 'any',
    parse: parse.optional(parse.nameList),
  }),
  partitions: option<number[] | undefined>({
    flag: 'partition',
    describe: 'Only those of these partitions, comma-separated (of every selected topic)',
    default: undefined,
    defaultText: 'any',
    parse: parse.optional(parse.integerList(0, 2 ** 31 - 1)),
  }),
  codes: option<string[] | undefined>({
    flag: 'code',
    describe: 'Only those with these error codes, comma-separated, such as INVALID_JSON,MISSING_PARENT',
    default: undefined,
    defaultText: 'any',
    parse: parse.optional(parse.nameList),
  }),
  since: option<string | undefined>({
    flag: 'since',
    describe:
      'Only those that failed at or after this time: an ISO 8601 date (midnight UTC) or date and time with its zone (2024-05-01T12:00:00Z), or a duration ago (30m, 2h)',
    default: undefined,
    defaultText: 'any time',
    parse: parse.optional(parse.instant()),
  }),
  until: option<string | undefined>({
    flag: 'until',
    describe: 'Only those that failed before this time (exclusive); the same forms as --since',
    default: undefined,
    defaultText: 'any time',
    parse: parse.optional(parse.instant()),
  }),
};

/** A selection: the values of the selection options, any of them absent. */
export type Selection = Partial<SpecValues<typeof selectionOptions>>;

const json = option<boolean>({
  flag: 'json',
  describe:
    'Print JSON lines, one object per dead letter (or per summary row) with the table\'s column names; key and value as UTF-8 text when they are valid UTF-8, else base64 ("key_encoding"/"value_encoding" say which)',
  default: false,
  kind: 'boolean',
  parse: parse.boolean,
});

export const listOptions = {
  ...selectionOptions,
  json,
  summary: option<boolean>({
    flag: 'summary',
    describe: 'Print counts per group, topic and code (with the first and last failure time) instead of the dead letters',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  limit: option<number>({
    flag: 'limit',
    describe: 'Most dead letters printed, the oldest first (by id); when more match, the output says so; 0 = all',
    default: deadLetterDefaults.listLimit,
    parse: parse.integer(0),
  }),
};

export const showOptions = { json };

const all = option<boolean>({
  flag: 'all',
  describe: 'Select every dead letter of the schema (purge and replay refuse an empty selection without it)',
  default: false,
  kind: 'boolean',
  parse: parse.boolean,
});

export const purgeOptions = {
  ...selectionOptions,
  all,
  yes: option<boolean>({
    flag: 'yes',
    describe: 'Really delete; without it purge only says how many it would delete, and exits 3',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
};

/**
 * replay's: where the later events are read (cdc-consume's Kafka options) and how they are decoded (its
 * mapping and limits): give it the consumer's own values, so the dead letters go through what the
 * consumer runs now.
 */
export const replayOptions = {
  ...selectionOptions,
  all,
  sinks: consumerOptions.sinks,
  sinkTopics: consumerOptions.topics,
  brokers: connectionOptions.brokers,
  kafkaConfig: consumerOptions.kafkaConfig,
  maxValueBytes: consumerOptions.maxValueBytes,
  ...schemaRegistryOptions,
  dryRun: option<boolean>({
    flag: 'dry-run',
    describe:
      'Say per key what would happen (applied, failed again with which error, left alone and why): everything is done in a transaction that is then rolled back',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  force: option<boolean>({
    flag: 'force',
    describe:
      "Replay keys even when Kafka no longer holds all the events that followed their dead letters (retention deleted them): those events cannot be applied again, so such a key's row may end older than it should",
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
};

/** Every option of the command once, in the order --help and docs/configuration.md show them. */
export const deadLetterOptions = { ...deadLetterConnectionOptions, ...listOptions, ...purgeOptions, ...replayOptions };
