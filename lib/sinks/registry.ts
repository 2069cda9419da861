/** The sinks this engine knows. A topic is routed to the sink of the same name unless mapped otherwise. */
import { ordersSink } from './orders/index.js';
import type { Sink } from './sink.js';
import { usersSink } from './users/index.js';

export const sinks: Readonly<Record<string, Sink>> = {
  users: usersSink as unknown as Sink,
  orders: ordersSink as unknown as Sink,
};

export function sinkFor(name: string): Sink | undefined {
  return Object.hasOwn(sinks, name) ? sinks[name] : undefined;
}
