/**
 * Prometheus metrics of the consumer (prom-client). Counters are bumped once per consume call or per
 * batch, never per message, so collection stays off the hot path; gauges read the engine's own state
 * when scraped.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineStats } from '../consumer/stats.js';

export interface EngineMetrics {
  messagesConsumed(topic: string, count: number): void;
  batchApplied(topic: string, table: string, rows: number, deadLetters: number, durationSeconds: number): void;
  /** Events whose field no column takes (a sink with evolve: none), per sink and field. */
  fieldsIgnored(sink: string, field: string, events: number): void;
  /** A partition found at assignment with its stored offset outside the log (lib/consumer/offset-gaps.ts). */
  offsetGap(topic: string, partition: number, kind: 'below-start' | 'above-end'): void;
}

export class PipelineMetrics implements EngineMetrics {
  readonly registry = new Registry();
  readonly #consumed: Counter<'topic'>;
  readonly #rows: Counter<'table'>;
  readonly #dead: Counter<'topic'>;
  readonly #batchSeconds: Histogram;
  readonly #ignored: Counter<'sink' | 'field'>;
  readonly #gaps: Counter<'topic' | 'partition' | 'kind'>;

  constructor(stats: () => Pick<EngineStats, 'lag' | 'inflightBatches'>) {
    collectDefaultMetrics({ register: this.registry });
    this.#consumed = new Counter({
      name: 'cdc_messages_consumed_total',
      help: 'Messages received from Kafka',
      labelNames: ['topic'],
      registers: [this.registry],
    });
    this.#rows = new Counter({
      name: 'cdc_rows_applied_total',
      help: 'Target table rows inserted or updated (events of one key in a batch fold into one row)',
      labelNames: ['table'],
      registers: [this.registry],
    });
    this.#dead = new Counter({
      name: 'cdc_dead_letters_total',
      help: 'Events recorded in cdc_dead_letters',
      labelNames: ['topic'],
      registers: [this.registry],
    });
    this.#ignored = new Counter({
      name: 'cdc_fields_ignored_total',
      help: 'Events carrying a field no column takes (evolve: none), per sink and field',
      labelNames: ['sink', 'field'],
      registers: [this.registry],
    });
    this.#gaps = new Counter({
      name: 'cdc_offset_gaps_total',
      help: "Partitions found at assignment with their stored offset below the log's start (below-start) or above its end (above-end)",
      labelNames: ['topic', 'partition', 'kind'],
      registers: [this.registry],
    });
    this.#batchSeconds = new Histogram({
      name: 'cdc_batch_duration_seconds',
      help: "A worker's decode + COPY + apply + commit time per batch",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    new Gauge({
      name: 'cdc_consumer_lag',
      help: "Partition high watermark minus the consumer's next offset",
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [key, lag] of Object.entries(stats().lag)) {
          const at = key.lastIndexOf('/');
          this.set({ topic: key.slice(0, at), partition: key.slice(at + 1) }, lag);
        }
      },
    });
    new Gauge({
      name: 'cdc_inflight_batches',
      help: 'Batches being applied by worker threads right now',
      registers: [this.registry],
      collect() {
        this.set(stats().inflightBatches);
      },
    });
  }

  messagesConsumed(topic: string, count: number): void {
    this.#consumed.inc({ topic }, count);
  }

  batchApplied(topic: string, table: string, rows: number, deadLetters: number, durationSeconds: number): void {
    if (rows > 0) this.#rows.inc({ table }, rows);
    if (deadLetters > 0) this.#dead.inc({ topic }, deadLetters);
    this.#batchSeconds.observe(durationSeconds);
  }

  fieldsIgnored(sink: string, field: string, events: number): void {
    this.#ignored.inc({ sink, field }, events);
  }

  offsetGap(topic: string, partition: number, kind: 'below-start' | 'above-end'): void {
    this.#gaps.inc({ topic, partition: String(partition), kind });
  }

  /** Makes every labelled series visible from the start (at 0), so dashboards need no special cases. */
  declareTopics(topics: Array<{ topic: string; table: string }>): void {
    for (const { topic, table } of topics) {
      this.#consumed.inc({ topic }, 0);
      this.#dead.inc({ topic }, 0);
      this.#rows.inc({ table }, 0);
    }
  }
}
