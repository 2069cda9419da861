/**
 * cdc-devstack: the hermetic dev stack as a process. Prints `KAFKA_BROKERS=...`, `DATABASE_URL=...` and
 * `SCHEMA_REGISTRY_URL=...` on stdout when ready (logs go to stderr) and stays up until SIGINT/SIGTERM.
 */
import { addOptions, option, parse, resolveOptions } from '../config/index.js';
import { startDevStack } from '../devstack/index.js';
import { cliParser, runCli } from './run.js';

export const devstackOptions = {
  dataDir: option<string | undefined>({
    flag: 'data-dir',
    env: 'CDC_DEVSTACK_DATA_DIR',
    describe: 'Postgres data directory to keep between runs (created if missing); default: a fresh temporary directory deleted on exit',
    default: undefined,
    defaultText: 'temporary',
    parse: parse.optional(parse.nonEmptyString),
  }),
  pgPort: option<number | undefined>({
    flag: 'pg-port',
    env: 'CDC_DEVSTACK_PG_PORT',
    describe: 'TCP port for Postgres on 127.0.0.1; default: a free port',
    default: undefined,
    defaultText: 'a free port',
    parse: parse.optional(parse.integer(1, 65535)),
  }),
  schemaRegistryPort: option<number | undefined>({
    flag: 'schema-registry-port',
    env: 'CDC_DEVSTACK_SCHEMA_REGISTRY_PORT',
    describe: 'TCP port for the development schema registry (a stand-in, in memory) on 127.0.0.1; default: a free port',
    default: undefined,
    defaultText: 'a free port',
    parse: parse.optional(parse.integer(1, 65535)),
  }),
  verbose: option<boolean>({
    flag: 'verbose',
    env: 'CDC_DEVSTACK_VERBOSE',
    describe: "Also log Postgres' own server log to stderr",
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
};

export async function main(argv: string[]): Promise<void> {
  await runCli('cdc-devstack', async () => {
    const parser = addOptions(
      cliParser(
        argv,
        'cdc-devstack',
        '$0 [options]\n\nStart an embedded Postgres, a 3-broker Kafka mock cluster and a stand-in schema registry for development.\nPrints three shell-sourceable lines when ready; stop with Ctrl-C (SIGINT) or SIGTERM.',
      ),
      devstackOptions,
    ).epilogue(
      'Example (bash):\n  cdc-devstack > devstack.env &\n  until [ -s devstack.env ]; do sleep 0.2; done; set -a; . ./devstack.env; set +a',
    );
    const args = await parser.parseAsync();
    if (args.help) return 0;
    const opts = resolveOptions(devstackOptions, args);
    const log = (line: string) => process.stderr.write(`cdc-devstack: ${line}\n`);
    const started = Date.now();
    const stack = await startDevStack({
      dataDir: opts.dataDir,
      port: opts.pgPort,
      schemaRegistryPort: opts.schemaRegistryPort,
      log: opts.verbose ? log : (line) => (line.startsWith('postgres:') ? undefined : log(line)),
    });
    process.stdout.write(
      `KAFKA_BROKERS=${stack.brokers}\nDATABASE_URL=${stack.databaseUrl}\nSCHEMA_REGISTRY_URL=${stack.schemaRegistryUrl}\n`,
    );
    log(`ready in ${Date.now() - started} ms; Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        log(`${signal}: stopping`);
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
        resolve();
      };
      process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    });
    await stack.stop();
    log('stopped');
    return 0;
  });
}
