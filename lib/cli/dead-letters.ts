/**
 * cdc-dead-letters: list, show, replay and purge the dead letters cdc-consume recorded in
 * cdc_dead_letters. Results go to stdout; a listing cut by --limit says so (on stderr with --json, so
 * that stdout holds only JSON lines). Exit status: 0 done, 1 an error (Postgres, Kafka, no such dead
 * letter), 2 invalid usage, 3 purge without --yes (nothing deleted), 4 replay left some dead letters.
 */
import { addOptions, parse, resolveOptions } from '../config/index.js';
import {
  checkSelection,
  countDeadLetters,
  type DeadLetter,
  deadLetterConnectionOptions,
  describeSelection,
  formatList,
  formatShow,
  formatSummary,
  isEverything,
  jsonRecord,
  listOptions,
  purgeDeadLetters,
  purgeOptions,
  readDeadLetter,
  replayDeadLetters,
  replayOptions,
  type ReplaySummary,
  readDeadLetters,
  type Selection,
  selectionOptions,
  showOptions,
  summarizeDeadLetters,
  withDeadLetters,
} from '../dead-letters/index.js';
import { InvalidOptionError } from '../errors.js';
import { cliParser, exitCodes, runCli } from './run.js';

const usage = `$0 <command> [options]

List, inspect, replay and purge the dead letters cdc-consume recorded in the table cdc_dead_letters of --db-schema (its columns: docs/operations.md). The connection options are cdc-consume's, read from the same flags and environment variables; a session limit that fires fails the command (exit 1).`;

const exitStatus =
  'Exit status: 0 done; 1 an error (Postgres, Kafka, no dead letter with that id); 2 invalid usage; 3 purge without --yes (nothing deleted); 4 replay left some dead letters (they failed again, or were left alone: it says why).';

type Args = Record<string, unknown>;

const print = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`cdc-dead-letters: ${text}\n`);

/** The selection options' values alone, checked as a whole. */
function selectionOf(values: Selection): Selection {
  return checkSelection(Object.fromEntries(Object.keys(selectionOptions).map((k) => [k, values[k as keyof Selection]])));
}

async function list(args: Args): Promise<number> {
  const opts = resolveOptions({ ...deadLetterConnectionOptions, ...listOptions }, args);
  const selection = selectionOf(opts);
  const none = `no dead letters match (${describeSelection(selection)})`;
  return withDeadLetters(opts, async (client) => {
    if (opts.summary) {
      const rows = await summarizeDeadLetters(client, opts.dbSchema, selection);
      if (opts.json) rows.forEach((r) => print(JSON.stringify(r)));
      else print(rows.length === 0 ? none : formatSummary(rows));
      return exitCodes.ok;
    }
    // JSON lines stream a page at a time; the table needs every row for its column widths.
    const rows: DeadLetter[] = [];
    let read = 0;
    for await (const row of readDeadLetters(client, opts.dbSchema, selection, { limit: opts.limit, payload: opts.json })) {
      read++;
      if (opts.json) print(JSON.stringify(jsonRecord(row)));
      else rows.push(row);
    }
    if (!opts.json) print(read === 0 ? none : formatList(rows));
    // Never cut silently: when the limit was reached, count what matched.
    const total = opts.limit > 0 && read === opts.limit ? await countDeadLetters(client, opts.dbSchema, selection) : read;
    if (total > read) {
      const cut = `showing the first ${read} of ${total} matching dead letters (the oldest); --limit 0 shows all`;
      if (opts.json) note(cut);
      else print(cut);
    }
    return exitCodes.ok;
  });
}

async function show(args: Args): Promise<number> {
  const opts = resolveOptions({ ...deadLetterConnectionOptions, ...showOptions }, args);
  const id = parse.integer(1)(args.id, 'id');
  return withDeadLetters(opts, async (client) => {
    const row = await readDeadLetter(client, opts.dbSchema, id);
    if (row === undefined) {
      note(`error: no dead letter with id ${id} in schema ${JSON.stringify(opts.dbSchema)}`);
      return exitCodes.failure;
    }
    print(opts.json ? JSON.stringify(jsonRecord(row)) : formatShow(row));
    return exitCodes.ok;
  });
}

/** The selection of a command that changes things: every dead letter at once only when asked for in so many words. */
function wholeSelection(command: string, opts: Selection & { all: boolean }): Selection {
  const selection = selectionOf(opts);
  if (isEverything(selection) && !opts.all) {
    throw new InvalidOptionError(
      '--all',
      `${command} needs a selection (--id, --group, --topic, --partition, --code, --since, --until) or --all`,
    );
  }
  if (!isEverything(selection) && opts.all) {
    throw new InvalidOptionError('--all', `--all selects every dead letter: drop it or the filters (${describeSelection(selection)})`);
  }
  return selection;
}

async function purge(args: Args): Promise<number> {
  const opts = resolveOptions({ ...deadLetterConnectionOptions, ...purgeOptions }, args);
  const selection = wholeSelection('purge', opts);
  const what = `${describeSelection(selection)} in schema ${JSON.stringify(opts.dbSchema)}`;
  return withDeadLetters(opts, async (client) => {
    if (!opts.yes) {
      const n = await countDeadLetters(client, opts.dbSchema, selection);
      print(`would delete ${n} dead letter${n === 1 ? '' : 's'} (${what}); nothing deleted: add --yes to delete them`);
      return exitCodes.notConfirmed;
    }
    const n = await purgeDeadLetters(client, opts.dbSchema, selection);
    print(`deleted ${n} dead letter${n === 1 ? '' : 's'} (${what})`);
    return exitCodes.ok;
  });
}

async function replay(args: Args): Promise<number> {
  const opts = resolveOptions({ ...deadLetterConnectionOptions, ...replayOptions }, args);
  const selection = wholeSelection('replay', opts);
  return withDeadLetters(opts, async (client) => {
    const summary = await replayDeadLetters(client, opts, selection, { line: print, progress: note });
    print(replaySummaryLine(summary, opts.dryRun));
    const left = summary.skipped + Object.values(summary.failedAgain).reduce((a, b) => a + b, 0);
    return left > 0 && !opts.dryRun ? exitCodes.incomplete : exitCodes.ok;
  });
}

function replaySummaryLine(s: ReplaySummary, dryRun: boolean): string {
  if (s.selected === 0) return 'no dead letters match: nothing to replay';
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  const again = Object.entries(s.failedAgain);
  const would = dryRun ? 'would be ' : '';
  const parts = [
    `${dryRun ? 'dry run (nothing changed): ' : ''}${n(s.selected, 'dead letter')} selected`,
    `${s.replayed} ${would}replayed and removed`,
    `${n(s.laterEvents, 'later event')} ${would}applied again after them`,
  ];
  if (s.superseded > 0) parts.push(`${s.superseded} ${would}removed without applying (a later truncate)`);
  if (again.length > 0)
    parts.push(
      `${again.reduce((a, [, c]) => a + c, 0)} failed again (${again.map(([code, c]) => `${code} ${c}`).join(', ')})${dryRun ? '' : ', kept'}`,
    );
  if (s.skipped > 0) parts.push(`${s.skipped} left alone (see above)`);
  if (s.laterFailed > 0) parts.push(`${n(s.laterFailed, 'later event')} failed when applied again (now dead letters)`);
  if (s.undecodable > 0)
    parts.push(
      `${n(s.undecodable, 'later event')} no longer decode${s.undecodable === 1 ? 's' : ''} and ${s.undecodable === 1 ? 'was' : 'were'} not applied again`,
    );
  return parts.join('; ');
}

const commands: Record<string, (args: Args) => Promise<number>> = { list, show, replay, purge };

export async function main(argv: string[]): Promise<void> {
  await runCli('cdc-dead-letters', async () => {
    const parser = addOptions(cliParser(argv, 'cdc-dead-letters', usage), deadLetterConnectionOptions)
      .command(
        'list',
        'List the selected dead letters as a table, as JSON lines (--json), or counted per code and topic (--summary)',
        (y) =>
          addOptions(y, listOptions).epilogue(
            `Examples:\n  cdc-dead-letters list --topic orders --code INVALID_JSON,MISSING_FIELD --since 2h\n  cdc-dead-letters list --summary\n  cdc-dead-letters list --json --limit 0 > dead-letters.jsonl\n\n${exitStatus}`,
          ),
      )
      .command(
        'show <id>',
        'Print one dead letter whole: every column, the key and value pretty-printed when JSON, else as a hex dump',
        (y) =>
          addOptions(
            y.positional('id', { type: 'string', describe: 'The dead letter id (the first column of list)' }),
            showOptions,
          ).epilogue(exitStatus),
      )
      .command(
        'replay',
        "Apply the selected dead letters again through the current mapping (--sinks), each key's later events re-read from Kafka and applied after them; those applied are removed in the same transaction",
        (y) =>
          addOptions(y, replayOptions).epilogue(
            `Examples:\n  cdc-dead-letters replay --code MISSING_PARENT --dry-run     # says per key what would happen\n  cdc-dead-letters replay --code MISSING_PARENT --brokers kafka:9092\n  cdc-dead-letters replay --topic orders --sinks mapping.yaml --since 2024-05-01\n\nGive it the consumer's --sinks, --brokers and --kafka-config (and --schema-registry for Avro): the dead letters go through what the consumer runs now. It may run beside the consumer: each transaction holds the partition's offset row. See docs/operations.md.\n\n${exitStatus}`,
          ),
      )
      .command('purge', 'Delete the selected dead letters; without --yes only say how many it would delete (and exit 3)', (y) =>
        addOptions(y, purgeOptions).epilogue(
          `Examples:\n  cdc-dead-letters purge --code MISSING_PARENT --until 2024-05-01        # says how many; deletes nothing\n  cdc-dead-letters purge --code MISSING_PARENT --until 2024-05-01 --yes\n  cdc-dead-letters purge --id 17,18 --yes\n\n${exitStatus}`,
        ),
      )
      .demandCommand(1, 'name a command: list, show, replay or purge')
      .epilogue(`Run cdc-dead-letters <command> --help for a command's options.\n\n${exitStatus}`);
    const args = (await parser.parseAsync()) as Args & { _: unknown[] };
    if (args.help) return exitCodes.ok;
    const command = commands[String(args._[0])];
    if (command === undefined)
      throw new InvalidOptionError('command', `unknown command ${JSON.stringify(args._[0])}: expected list, show, replay or purge`);
    return command(args);
  });
}
