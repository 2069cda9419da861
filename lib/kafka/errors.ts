/** node-rdkafka's errors as this project shows and classes them. */
import { CdcError } from '../errors.js';

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A node-rdkafka error's text as librdkafka writes it: "Local: Message timed out". */
export function errorText(err: unknown): string {
  const e = err as { origin?: string; message?: string };
  if (typeof e?.message !== 'string') return String(err);
  // node-rdkafka turns "Local: Message timed out" into origin "local" and message "message timed out".
  if (e.origin && e.origin !== 'unknown' && !e.message.toLowerCase().startsWith(e.origin))
    return `${capitalise(e.origin)}: ${capitalise(e.message)}`;
  return e.message;
}

/** Delivery errors worth another try while a cluster warms up (librdkafka's own retriable set). */
const RETRIABLE_DELIVERY = new RegExp(
  [
    'timed out',
    'transport',
    'all broker connections are down',
    'unknown topic or partition',
    'leader not available',
    'not leader',
    'not enough in-sync replicas',
    'not enough replicas',
    'network exception',
    'coordinator',
    'unknown leader epoch',
    'fenced leader epoch',
    'storage error',
    'broker not available',
    'unknown partition',
    'unknown topic',
  ].join('|'),
  'i',
);

export function isRetriableDeliveryError(err: unknown): boolean {
  if (err instanceof CdcError) return err.canRetry;
  const e = err as { isRetriable?: boolean; message?: string } | undefined;
  return e?.isRetriable === true || RETRIABLE_DELIVERY.test(e?.message ?? '');
}
