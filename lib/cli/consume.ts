/**
 * cdc-consume: Kafka -> Postgres with per-partition worker threads, COPY, exactly-once offsets.
 */
import { addOptions, option, parse, resolveOptions } from '../config/index.js';
import { ConsumerEngine } from '../consumer/engine.js';
import { consumerOptions } from '../consumer/options.js';
import type { EngineStats } from '../consumer/stats.js';
import { createLogger, type LogLevel, logLevels } from '../log.js';
import { PipelineMetrics } from '../metrics/metrics.js';
import { type MetricsServer, startMetricsServer } from '../metrics/server.js';
import { cliParser, exitCodes, runCli } from './run.js';

export const consumeCliOptions = {
  ...consumerOptions,
  json: option<boolean>({
    flag: 'json',
    describe: 'Print the final summary as JSON on stdout (for scripts)',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  logLevel: option<LogLevel>({
    flag: 'log-level',
    env: 'CDC_LOG_LEVEL',
    describe: 'Least severe log level printed on stderr (JSON lines when stderr is not a terminal)',
    default: 'info',
    parse: parse.oneOf(logLevels),
  }),
  metricsPort: option<number | undefined>({
    flag: 'metrics-port',
    env: 'CDC_METRICS_PORT',
    describe: 'Serve Prometheus /metrics and /healthz on this port (0 picks a free one); off when unset',
    default: undefined,
    defaultText: 'off',
    parse: parse.optional(parse.integer(0, 65535)),
  }),
  metricsHost: option<string>({
    flag: 'metrics-host',
    env: 'CDC_METRICS_HOST',
    describe: 'Address the metrics server listens on',
    default: '127.0.0.1',
    parse: parse.nonEmptyString,
  }),
};

function summarize(stats: EngineStats, reason: string) {
  const elapsedSec = (Date.now() - stats.startedAt) / 1000;
  const topics = Object.entries(stats.totals).map(([topic, t]) => ({
    topic,
    events: t.events,
    rowsApplied: t.upserted + t.patched,
    noops: t.noops,
    deadLetters: t.deadLetters,
    skippedAlreadyApplied: t.skipped,
    ignored: t.ignored,
  }));
  const events = topics.reduce((n, t) => n + t.events, 0);
  // Throughput over the span from the first message to the last commit: start-up, the group join and
  // the --idle wait are not the engine's speed.
  const activeSec = stats.firstMessageAt && stats.lastCommitAt ? Math.max(0.001, (stats.lastCommitAt - stats.firstMessageAt) / 1000) : 0;
  return {
    reason,
    elapsedSec: Number(elapsedSec.toFixed(3)),
    activeSec: Number(activeSec.toFixed(3)),
    // The span's ends as epoch ms, so that several consumers' spans can be joined (the bench's engine-2p).
    ...(stats.firstMessageAt && stats.lastCommitAt ? { firstMessageAt: stats.firstMessageAt, lastCommitAt: stats.lastCommitAt } : {}),
    events,
    eventsPerSec: activeSec > 0 ? Math.round(events / activeSec) : 0,
    rowsApplied: topics.reduce((n, t) => n + t.rowsApplied, 0),
    deadLetters: topics.reduce((n, t) => n + t.deadLetters, 0),
    batches: stats.batches,
    topics,
  };
}

function progressLine(stats: EngineStats, previous: { at: number; events: number }): string {
  const totals = Object.values(stats.totals);
  const events = totals.reduce((n, t) => n + t.events, 0);
  const now = Date.now();
  const rate = ((events - previous.events) * 1000) / Math.max(1, now - previous.at);
  previous.at = now;
  previous.events = events;
  const rows = totals.reduce((n, t) => n + t.upserted + t.patched, 0);
  const dead = totals.reduce((n, t) => n + t.deadLetters, 0);
  const lags = Object.values(stats.lag);
  const lag = lags.length > 0 ? String(lags.reduce((a, b) => a + b, 0)) : '?';
  return `${Math.round(rate)} events/s | ${events} events | ${rows} rows applied | ${dead} dead letters | lag ${lag} | ${stats.inflightBatches} in flight`;
}

export async function main(argv: string[]): Promise<void> {
  await runCli('cdc-consume', async () => {
    const parser = addOptions(
      cliParser(
        argv,
        'cdc-consume',
        '$0 [options]\n\nConsume change events (the seed format or Debezium) from Kafka and load them into Postgres tables declared in a mapping file (--sinks; default: the users and orders of the Go pipeline), exactly once.\nStops on SIGINT/SIGTERM (a second signal forces exit) or after --idle.',
      ),
      consumeCliOptions,
    ).epilogue('Example: cdc-consume --brokers localhost:9092 --database-url postgres://cdc:cdc@localhost:5432/cdc --idle 10s');
    const args = await parser.parseAsync();
    if (args.help) return exitCodes.ok;
    const opts = resolveOptions(consumeCliOptions, args);
    const log = createLogger('cdc-consume', { level: opts.logLevel });
    let metrics: PipelineMetrics | undefined;
    const engine: ConsumerEngine = new ConsumerEngine(opts, {
      log,
      metrics: opts.metricsPort === undefined ? undefined : (metrics = new PipelineMetrics(() => engine.stats)),
    });
    let server: MetricsServer | undefined;
    if (metrics && opts.metricsPort !== undefined) {
      metrics.declareTopics(engine.tables());
      server = await startMetricsServer(metrics, () => engine.health(), { host: opts.metricsHost, port: opts.metricsPort });
      log('info', 'serving metrics', {
        url: `http://${opts.metricsHost}:${server.port}/metrics`,
        health: `http://${opts.metricsHost}:${server.port}/healthz`,
      });
    }

    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log('warn', `${signal} again: exiting now; uncommitted batches are re-read by the next run`);
        process.exit(130);
      }
      log('info', `${signal}: finishing in-flight batches, then exiting (again to force)`);
      engine.stop(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);

    const tty = process.stderr.isTTY === true;
    const previous = { at: Date.now(), events: 0 };
    const ticker = tty ? setInterval(() => process.stderr.write(`\r\x1b[K${progressLine(engine.stats, previous)}`), 1000) : undefined;
    try {
      const { reason } = await engine.run();
      const summary = summarize(engine.stats, reason);
      if (tty) process.stderr.write('\r\x1b[K');
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        const lines = [
          `cdc-consume: stopped (${summary.reason}) after ${summary.elapsedSec}s: ${summary.events} events, ${summary.rowsApplied} rows applied, ${summary.deadLetters} dead letters, ${summary.eventsPerSec} events/s over ${summary.activeSec}s of work`,
          ...summary.topics.map(
            (t) =>
              `  ${t.topic}: ${t.events} events, ${t.rowsApplied} rows applied, ${t.noops} no-ops, ${t.deadLetters} dead letters${t.ignored > 0 ? `, ${t.ignored} ignored (tombstones, messages, skipped truncates)` : ''}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      return exitCodes.ok;
    } finally {
      if (ticker) clearInterval(ticker);
      await server?.close();
      // The signal handlers stay until the process exits: a second signal while it winds down (worker
      // threads, librdkafka) still forces exit 130, as documented, instead of killing it by the signal.
    }
  });
}
