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
  /** Bound on opening the connection. */
  connectTimeoutMs: 10_000,
} as const;
