/**
 * Every table, column and schema name that comes from configuration is quoted here; no SQL is built by
 * pasting values (values travel as bind parameters or COPY data).
 */
import { CdcError } from '../errors.js';

export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) {
    throw new CdcError('ERR_CDC_SCHEMA', `invalid SQL identifier ${JSON.stringify(name)}: must be non-empty and contain no NUL`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"` */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
