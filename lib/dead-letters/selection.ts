/**
 * A selection of dead letters (the filters of list and purge, and of replay to come) as a SQL condition
 * with bind parameters: values never enter the SQL text.
 */
import { InvalidOptionError } from '../errors.js';
import { type Selection, selectionOptions } from './options.js';

/** True when no filter is given: the selection is every dead letter. */
export function isEverything(selection: Selection): boolean {
  return Object.values(selection).every((v) => v === undefined);
}

/**
 * Refuses a selection that can match nothing for a reason the user should hear about (a time range that
 * ends before it begins), naming both options.
 */
export function checkSelection(selection: Selection): Selection {
  const { since, until } = selection;
  if (since !== undefined && until !== undefined && epochMicros(since) >= epochMicros(until)) {
    throw new InvalidOptionError('--until', `invalid --until ${JSON.stringify(until)}: it is not after --since ${JSON.stringify(since)}`);
  }
  return selection;
}

/** A time from the instant parser, in µs since 1970, as exact as Postgres compares it (Date keeps ms). */
function epochMicros(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return Date.parse(iso.replace(/(\.\d{3})\d+/, '$1')) * 1000 + Number(fraction.slice(3, 6).padEnd(3, '0'));
}

/**
 * The selection as a condition on cdc_dead_letters' columns; its values are appended to `params` and
 * referred to by position, so the condition can follow other parameters. `TRUE` when nothing is given.
 */
export function selectionWhere(selection: Selection, params: unknown[]): string {
  const bind = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const conditions: string[] = [];
  if (selection.ids) conditions.push(`id = ANY(${bind(selection.ids, 'bigint[]')})`);
  if (selection.group !== undefined) conditions.push(`group_id = ${bind(selection.group, 'text')}`);
  if (selection.topicNames) conditions.push(`topic = ANY(${bind(selection.topicNames, 'text[]')})`);
  if (selection.partitions) conditions.push(`partition = ANY(${bind(selection.partitions, 'int[]')})`);
  if (selection.codes) conditions.push(`error_code = ANY(${bind(selection.codes, 'text[]')})`);
  if (selection.since !== undefined) conditions.push(`failed_at >= ${bind(selection.since, 'timestamptz')}`);
  if (selection.until !== undefined) conditions.push(`failed_at < ${bind(selection.until, 'timestamptz')}`);
  return conditions.length === 0 ? 'TRUE' : conditions.join(' AND ');
}

/** The selection as the user would write it, for messages: `--topic orders --code INVALID_JSON`. */
export function describeSelection(selection: Selection): string {
  const parts = Object.entries(selectionOptions).flatMap(([key, spec]) => {
    const value = selection[key as keyof Selection];
    return value === undefined ? [] : [`--${spec.flag} ${Array.isArray(value) ? value.join(',') : String(value)}`];
  });
  return parts.length === 0 ? 'every dead letter' : parts.join(' ');
}
