/**
 * The engine with default settings in its own process, reporting every committed batch on stdout as one
 * JSON line (the onBatch hook: commit time, dispatch time and every event's Kafka timestamp), for the
 * latency measurement. Not a user-facing command: bench/latency.ts starts it with one JSON argument.
 *
 * stdout lines: {"type":"assigned"} | {"type":"batch",topic,committedAt,dispatchedAt,timestamps} | {"type":"done",reason}
 */
import { cliParser } from '../lib/cli/run.js';
import { addOptions, resolveOptions } from '../lib/config/index.js';
import { ConsumerEngine } from '../lib/consumer/engine.js';
import { consumerOptions } from '../lib/consumer/options.js';

export interface LatencyChildConfig {
  brokers: string;
  databaseUrl: string;
  schema: string;
  group: string;
  users: string;
  orders: string;
  /** cdc-consume arguments beyond the defaults (bench --engine-args). */
  extraArgs: string[];
  verbose: boolean;
}

const out = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as LatencyChildConfig;
  const extra = await addOptions(cliParser(config.extraArgs, 'latency-child', '$0'), consumerOptions).parseAsync();
  // An empty environment: the engine's defaults, plus where to connect.
  const options = resolveOptions(
    consumerOptions,
    {
      ...extra,
      brokers: config.brokers,
      databaseUrl: config.databaseUrl,
      dbSchema: config.schema,
      group: config.group,
      // One comma-separated value: an array would read as a repeated flag (the last one wins).
      topics: `users=${config.users},orders=${config.orders}`,
    },
    {},
  );
  const engine = new ConsumerEngine(options, {
    log: (level, message, fields) => {
      if (message === 'partitions assigned') out({ type: 'assigned' });
      if (config.verbose && level !== 'debug') process.stderr.write(`${level} ${message} ${JSON.stringify(fields ?? {})}\n`);
    },
    onBatch: (tp, stats, batch) =>
      out({
        type: 'batch',
        topic: tp.topic,
        committedAt: stats.committedAt,
        dispatchedAt: batch.dispatchedAt,
        timestamps: Array.from(batch.timestamps),
      }),
  });
  const stop = () => engine.stop('signal');
  process.on('SIGTERM', stop).on('SIGINT', stop);
  const { reason } = await engine.run();
  out({ type: 'done', reason });
}

main().catch((err: Error) => {
  process.stderr.write(`latency child: ${err.message}\n`);
  process.exitCode = 1;
});
