/** cdc-dead-letters' defaults and fixed tunables, each with why. */
export const deadLetterDefaults = {
  /** list prints this many at most unless --limit says otherwise: a screenful or two, and the output says when more match. */
  listLimit: 100,
  /**
   * Dead letters read per query (keyset pages by id), so a listing or a replay of any size holds one page
   * in memory. With key and value each row may carry megabytes (a VALUE_TOO_LARGE value is stored whole):
   * 100 of them stay within a few hundred MiB even then.
   */
  pageRowsWithPayload: 100,
  /** Without key and value a row is a few hundred bytes. */
  pageRows: 1000,
  /** The short message of list's table: enough to tell the errors apart in a terminal line. */
  shortMessageChars: 60,
  /** replay: bound on connecting to Kafka, a watermark query, and a read of later events that stops moving. */
  kafkaTimeoutMs: 30_000,
  /** replay: a progress line on stderr at most this often, so a long replay shows it is moving. */
  progressEveryMs: 5_000,
  /** Bound on opening the connection. */
  connectTimeoutMs: 10_000,
} as const;
