/**
 * Every error the engine raises carries a fixed string `code` and a `canRetry` flag.
 * Errors cross the worker-thread boundary as plain objects (`toPlainError`) because class identity and
 * custom properties do not survive `postMessage`; `fromPlainError` rebuilds them on the other side.
 */

export const ErrorCodes = [
  'ERR_CDC_INVALID_OPTION',
  'ERR_CDC_DEVSTACK',
  'ERR_CDC_SCHEMA',
  'ERR_CDC_MAPPING',
  'ERR_CDC_KAFKA',
  'ERR_CDC_POSTGRES',
  /** A worker thread itself failed (ran out of memory, crashed): the batch is retried on a new one. */
  'ERR_CDC_WORKER',
  /** A message in the Confluent wire format whose first byte is not the magic byte 0 (lib/avro/wire.ts). */
  'ERR_CDC_AVRO_MAGIC',
  /** A message too short for the wire format's 5-byte header, or an Avro body shorter than its schema says. */
  'ERR_CDC_AVRO_TRUNCATED',
  /** An Avro body its writer schema cannot read: bytes left over, an invalid union branch or length. */
  'ERR_CDC_AVRO_BODY',
  /** The schema registry does not know the message's schema id (Confluent error 40403): permanent. */
  'ERR_CDC_SCHEMA_UNKNOWN_ID',
  /** The schema registry failed: unreachable, timed out or 5xx (`canRetry`), or refused the request. */
  'ERR_CDC_SCHEMA_REGISTRY',
  /** A partition's stored offset outside the log Kafka holds, left for an operator (--on-offset-gap fail). */
  'ERR_CDC_OFFSET_GAP',
  /** cdc-dead-letters replay could not finish a partition (the consumer kept moving it on meanwhile). */
  'ERR_CDC_REPLAY',
  'ERR_CDC_INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** What an error may say of its cause beside its code: the fields that cross threads with it. */
export interface ErrorDetails {
  /** Postgres SQLSTATE of the underlying error, kept for the logs and the caller's checks. */
  sqlState?: string;
  /** Why an operator must act (lib/postgres/errors.ts fatalReason), when nothing else will help. */
  fatal?: string;
  /** A system error's code (ECONNREFUSED, ETIMEDOUT), when that was the cause. */
  systemCode?: string;
  /** The Confluent schema id the error is about (the message's, or the one asked of the registry). */
  schemaId?: number;
}

const DETAILS = ['sqlState', 'fatal', 'systemCode'] as const satisfies ReadonlyArray<keyof ErrorDetails>;

export interface PlainError extends ErrorDetails {
  code: ErrorCode;
  message: string;
  canRetry: boolean;
}

export interface CdcErrorOptions extends ErrorDetails {
  canRetry?: boolean;
  cause?: unknown;
}

/** A Postgres SQLSTATE: five digits or capital letters (node-postgres puts it in an error's `code`). */
export const SQLSTATE = /^[0-9A-Z]{5}$/;

export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ErrorCodes as readonly string[]).includes(code);
}

export class CdcError extends Error {
  declare readonly code: ErrorCode;
  declare readonly canRetry: boolean;
  declare readonly sqlState?: string;
  declare readonly fatal?: string;
  declare readonly systemCode?: string;
  declare readonly schemaId?: number;

  constructor(code: ErrorCode, message: string, options: CdcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CdcError';
    // Enumerable so the error survives JSON.stringify and structured logging.
    Object.defineProperty(this, 'code', { value: code, enumerable: true });
    Object.defineProperty(this, 'canRetry', { value: options.canRetry ?? false, enumerable: true });
    Object.defineProperty(this, 'message', { value: message, enumerable: true, writable: true });
    // Only those given: an absent detail stays absent in JSON and in the plain form.
    for (const field of DETAILS) {
      const value = options[field];
      if (typeof value === 'string') Object.defineProperty(this, field, { value, enumerable: true });
    }
    if (Number.isInteger(options.schemaId)) Object.defineProperty(this, 'schemaId', { value: options.schemaId, enumerable: true });
  }
}

/** A configuration value that failed validation; the message names the option and the accepted form. */
export class InvalidOptionError extends CdcError {
  readonly option: string;

  constructor(option: string, message: string) {
    super('ERR_CDC_INVALID_OPTION', message);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/**
 * An error as a plain object for postMessage. Our own errors keep their code; anything else (a
 * node-postgres error, a socket error) gets `foreignCode`, with its SQLSTATE or system code beside it.
 */
export function toPlainError(err: unknown, foreignCode: ErrorCode = 'ERR_CDC_INTERNAL'): PlainError {
  if (err instanceof CdcError) {
    const plain: PlainError = { code: err.code, message: err.message, canRetry: err.canRetry };
    for (const field of DETAILS) {
      const value = err[field];
      if (value !== undefined) plain[field] = value;
    }
    if (err.schemaId !== undefined) plain.schemaId = err.schemaId;
    return plain;
  }
  if (err instanceof Error) {
    const plain: PlainError = { code: foreignCode, message: err.message, canRetry: false };
    const state = sqlStateOf(err);
    if (state) plain.sqlState = state;
    else {
      const code = (err as Error & { code?: unknown }).code;
      if (typeof code === 'string') plain.systemCode = code;
    }
    return plain;
  }
  return { code: foreignCode, message: String(err), canRetry: false };
}

/** The other side of toPlainError: a CdcError with the same code, retry flag and fields. */
export function fromPlainError(plain: PlainError): CdcError {
  const { sqlState, fatal, systemCode, schemaId } = plain;
  return new CdcError(isErrorCode(plain.code) ? plain.code : 'ERR_CDC_INTERNAL', plain.message, {
    canRetry: plain.canRetry === true,
    sqlState,
    fatal,
    systemCode,
    schemaId,
  });
}
