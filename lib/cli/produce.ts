/**
 * cdc-produce: generates User and Order events (seed format, or --format debezium for the changes they
 * make, as Debezium change events) and sends them to Kafka at a given rate.
 * Notices and the live progress line go to stderr (the progress line only on a terminal); the summary
 * goes to stdout, as text or, with --json, as one JSON object. Exit status: 0 when every event was
 * delivered, 1 when any failed (or on an error), 2 for a bad option.
 */
import { addOptions, resolveOptions } from '../config/index.js';
import { formatProgress, formatSummary, produce, produceOptions, summaryExitCode } from '../loadgen/produce/index.js';
import { cliParser, runCli } from './run.js';

const usage = `$0 [options]

Generate User and Order change events in the seed wire format and send them to Kafka; with
--format debezium, send instead the changes they make to the Go pipeline's tables as Debezium's
PostgreSQL connector captures them (Kafka Connect JsonConverter JSON; --schemas adds the schema;
--encoding avro writes AvroConverter's wire format, registering the schemas in --schema-registry).
Users go to the first --topics topic, orders to the second; each message is keyed by its entity id.
Stops after --count events or --duration, whichever comes first (1000 events when neither is given).
Ctrl-C stops generating, waits for the delivery reports of what was sent, and prints the summary.`;

const epilogue = `Examples:
  cdc-produce --count 100000 --rate 5000
  cdc-produce --duration 30s --rate 0 --json > summary.json
  cdc-produce --seed 42 --mix 70,20,10 --user-share 30 --topics users_test,orders_test
  cdc-produce --format debezium --schemas --count 10000 --topics dbz_users,dbz_orders
  cdc-produce --format debezium --encoding avro --schema-registry http://localhost:8081 --count 10000

Exit status: 0 all events delivered; 1 some event failed delivery, or an error; 2 invalid usage.`;

export async function main(argv: string[]): Promise<void> {
  await runCli('cdc-produce', async () => {
    const parser = addOptions(cliParser(argv, 'cdc-produce', usage), produceOptions).epilogue(epilogue);
    const args = await parser.parseAsync();
    if (args.help) return 0;
    const options = resolveOptions(produceOptions, args);

    const log = (line: string) => {
      clearProgress();
      process.stderr.write(`cdc-produce: ${line}\n`);
    };
    const tty = process.stderr.isTTY === true;
    let progressShown = false;
    const clearProgress = () => {
      if (progressShown) process.stderr.write('\r\x1b[2K');
      progressShown = false;
    };

    // First Ctrl-C: stop generating and finish cleanly. Second: leave at once.
    const abort = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (abort.signal.aborted) {
        clearProgress();
        process.stderr.write(`cdc-produce: ${signal} again: exiting without waiting for delivery reports\n`);
        process.exit(130);
      }
      log(`${signal}: stopping; waiting for the delivery reports of what was sent (Ctrl-C again to quit now)`);
      abort.abort();
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    try {
      const summary = await produce(options, {
        signal: abort.signal,
        log,
        onProgress: tty
          ? (p) => {
              process.stderr.write(`\r\x1b[2K${formatProgress(p)}`);
              progressShown = true;
            }
          : undefined,
      });
      clearProgress();
      process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
      return summaryExitCode(summary);
    } finally {
      clearProgress();
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
  });
}
