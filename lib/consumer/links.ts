/**
 * Which link failed, said once per change of state (main thread). librdkafka reports a broken broker
 * connection as an error event on every reconnect attempt (every second or so, for as long as the
 * broker is away); an operator needs the first one, the broker's address, and the moment it came back.
 * Broker states come from librdkafka's statistics (`brokers.*.state`, every statistics.interval.ms);
 * client errors are logged once per distinct text per quiet period.
 */
import { CdcError } from '../errors.js';
import type { Logger } from '../log.js';
import { linkDefaults } from './defaults.js';
import type { RdkafkaStatistics } from './stats.js';

/** librdkafka's RD_KAFKA_RESP_ERR__FATAL (node-rdkafka's CODES.ERRORS.ERR__FATAL). */
const FATAL = -150;

export class KafkaLinks {
  readonly #log: Logger;
  /** Brokers (by node id) seen UP, and since when they are not. */
  readonly #down = new Map<number, { broker: string; since: number; state: string }>();
  readonly #up = new Set<number>();
  readonly #errorsSeen = new Map<string, number>();

  constructor(log: Logger) {
    this.#log = log;
  }

  /** librdkafka's statistics JSON: logs a broker that was up and is not, and one that is back. */
  statistics(parsed: RdkafkaStatistics, now = Date.now()): void {
    for (const b of Object.values(parsed.brokers ?? {})) {
      // Bootstrap entries (-1) and the logical coordinator handle stand for brokers listed by id.
      if (typeof b.nodeid !== 'number' || b.nodeid < 0 || b.source === 'logical') continue;
      const broker = b.nodename ?? String(b.nodeid);
      const state = b.state ?? 'UNKNOWN';
      const down = this.#down.get(b.nodeid);
      if (state === 'UP') {
        this.#up.add(b.nodeid);
        if (down) {
          this.#down.delete(b.nodeid);
          this.#log('info', 'Kafka broker reachable again', { broker, id: b.nodeid, downMs: now - down.since });
        }
      } else if (this.#up.has(b.nodeid) && !down && state !== 'INIT') {
        // INIT after UP is a connection librdkafka closed because it no longer needs it, not a failure.
        this.#down.set(b.nodeid, { broker, since: now, state });
        this.#log('warn', 'Kafka broker unreachable; librdkafka keeps reconnecting', { broker, id: b.nodeid, state });
      }
    }
  }

  /** Brokers this consumer had and lost, for /healthz. */
  unreachable(): string[] {
    return [...this.#down.values()].map((d) => d.broker);
  }

  /**
   * librdkafka's error event. A fatal one ends the client for good (a static member fenced by another
   * process with its --instance-id): returned as the error to end the run with, instead of a consumer
   * that consumes nothing while it looks healthy. Others are logged as clientError says.
   */
  error(err: { code: number; message: string }): CdcError | undefined {
    if (err.code === FATAL) return new CdcError('ERR_CDC_KAFKA', `Kafka: ${err.message}`);
    this.clientError(err.message);
    return undefined;
  }

  /** A client error event: logged unless the same text was logged within the quiet period. */
  clientError(message: string, now = Date.now()): void {
    const last = this.#errorsSeen.get(message);
    this.#errorsSeen.set(message, now);
    if (last !== undefined && now - last < linkDefaults.errorQuietMs) {
      this.#log('debug', 'kafka client error', { error: message });
      return;
    }
    if (this.#errorsSeen.size > linkDefaults.maxErrorTexts) this.#errorsSeen.clear();
    this.#log('warn', 'kafka client error', { error: message });
  }
}
