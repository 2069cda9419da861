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
  'ERR_CDC_DECODE',
  'ERR_CDC_INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export interface PlainError {
  code: string;
  message: string;
  canRetry: boolean;
  /** Postgres SQLSTATE, kept so the other side can classify the failure. */
  sqlState?: string;
  [field: string]: unknown;
}

export class CdcError extends Error {
  declare readonly code: ErrorCode;
  declare readonly canRetry: boolean;

  constructor(code: ErrorCode, message: string, options: { canRetry?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CdcError';
    // Enumerable so the error survives JSON.stringify and structured logging.
    Object.defineProperty(this, 'code', { value: code, enumerable: true });
    Object.defineProperty(this, 'canRetry', { value: options.canRetry ?? false, enumerable: true });
    Object.defineProperty(this, 'message', { value: message, enumerable: true, writable: true });
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

export function toPlainError(err: unknown): PlainError {
  if (err instanceof CdcError) {
    return { ...err, code: err.code, message: err.message, canRetry: err.canRetry };
  }
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown };
    const plain: PlainError = {
      code: typeof e.code === 'string' ? e.code : 'ERR_CDC_INTERNAL',
      message: err.message,
      canRetry: false,
    };
    // node-postgres puts the SQLSTATE in `code` (five characters).
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) plain.sqlState = e.code;
    return plain;
  }
  return { code: 'ERR_CDC_INTERNAL', message: String(err), canRetry: false };
}

export function fromPlainError(plain: PlainError): Error & PlainError {
  const err = new Error(plain.message) as Error & PlainError;
  Object.assign(err, plain);
  return err;
}
