/**
 * The consumer's health as GET /healthz reports it: joined to its group (holding an assignment) and
 * Postgres answering, no partition held at an offset gap (lib/consumer/offset-gaps.ts) and no schema
 * registry failing Avro batches. The answer is kept for a second, so a scraper polling often does not queue a
 * ping per request in a worker that is busy with batches. A broker the consumer lost is named, but does
 * not make it unhealthy by itself: the other brokers' partitions still flow, and if the group's
 * coordinator is the one lost, the session runs out and the group state says so.
 */
import { healthDefaults } from './defaults.js';

export interface Health {
  ok: boolean;
  kafka: GroupState;
  postgres: 'up' | 'down';
  reason?: string;
  /** Brokers the consumer was connected to and lost (host:port), when there are any. */
  brokersUnreachable?: string[];
  /** Partitions held at an offset gap (--on-offset-gap fail), one line each: unhealthy until an operator acts. */
  offsetGaps?: string[];
  /** Present when batches of Avro sinks are being retried because the schema registry fails them. */
  schemaRegistry?: 'down';
}

export type GroupState = 'joined' | 'joining' | 'stopping';

export class HealthCheck {
  readonly #groupState: () => GroupState;
  readonly #pingPostgres: () => Promise<unknown>;
  readonly #unreachable: () => string[];
  readonly #offsetGaps: () => string[];
  readonly #registryDown: () => boolean;
  #cached: { at: number; value: Health } | undefined;

  constructor(
    groupState: () => GroupState,
    pingPostgres: () => Promise<unknown>,
    unreachableBrokers: () => string[] = () => [],
    offsetGaps: () => string[] = () => [],
    registryDown: () => boolean = () => false,
  ) {
    this.#groupState = groupState;
    this.#pingPostgres = pingPostgres;
    this.#unreachable = unreachableBrokers;
    this.#offsetGaps = offsetGaps;
    this.#registryDown = registryDown;
  }

  async check(): Promise<Health> {
    const now = Date.now();
    if (this.#cached && now - this.#cached.at < healthDefaults.cacheMs) return this.#cached.value;
    const kafka = this.#groupState();
    let postgres: Health['postgres'] = 'up';
    let reason: string | undefined;
    try {
      await this.#ping();
    } catch (err) {
      postgres = 'down';
      reason = `Postgres: ${(err as Error).message}`;
    }
    if (kafka !== 'joined') reason ??= `Kafka: consumer group ${kafka}`;
    const gaps = this.#offsetGaps();
    if (gaps.length > 0) reason ??= `offset gap: ${gaps.join('; ')}`;
    // Avro batches wait on it: nothing is lost, but they are not applied.
    const registryDown = this.#registryDown();
    if (registryDown) reason ??= 'schema registry: failing; the batches that need it are retried';
    const lost = this.#unreachable();
    const value: Health = {
      ok: kafka === 'joined' && postgres === 'up' && gaps.length === 0 && !registryDown,
      kafka,
      postgres,
      ...(registryDown ? { schemaRegistry: 'down' as const } : {}),
      ...(reason ? { reason } : {}),
      ...(lost.length > 0 ? { brokersUnreachable: lost } : {}),
      ...(gaps.length > 0 ? { offsetGaps: gaps } : {}),
    };
    this.#cached = { at: now, value };
    return value;
  }

  async #ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#pingPostgres(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${healthDefaults.postgresTimeoutMs / 1000} s`)),
          healthDefaults.postgresTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }
}
