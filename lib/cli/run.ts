/**
 * Shared CLI plumbing: every bin/ entry calls `runCli`, which turns errors into one clear line on
 * stderr and an exit code (2 for a bad option, 1 for anything else) instead of a stack trace.
 */
import yargs, { type Argv } from 'yargs';
import { CdcError, InvalidOptionError } from '../errors.js';

/**
 * 3: a command that asks for confirmation (cdc-dead-letters purge without --yes) did nothing.
 * 4: a command finished, but not all of its work was done (cdc-dead-letters replay left some dead letters).
 */
export const exitCodes = { ok: 0, failure: 1, usage: 2, notConfirmed: 3, incomplete: 4 } as const;

/** A yargs parser with the settings every CLI shares: strict flags, --help (no --version), no exit inside yargs. */
export function cliParser(argv: string[], scriptName: string, usage: string): Argv {
  return yargs(argv)
    .scriptName(scriptName)
    .usage(usage)
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(120, process.stdout.columns || 100))
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new InvalidOptionError('argv', message);
    });
}

export async function runCli(name: string, main: () => Promise<number | undefined>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? exitCodes.ok;
  } catch (err) {
    const usage = err instanceof InvalidOptionError;
    // A bad mapping file is bad input too (exit 2), but --help would not tell how to fix it.
    const badInput = usage || (err instanceof CdcError && err.code === 'ERR_CDC_MAPPING');
    const text = err instanceof CdcError || usage ? err.message : err instanceof Error ? err.message : String(err);
    // The code says which kind of problem it is (ERR_CDC_SCHEMA, ERR_CDC_POSTGRES, ...), for scripts and searches.
    const code = err instanceof CdcError && !usage ? ` (${err.code})` : '';
    process.stderr.write(`${name}: ${usage ? 'invalid usage: ' : 'error: '}${text}${code}\n`);
    if (usage) process.stderr.write(`Run ${name} --help for the accepted flags.\n`);
    if (process.env.CDC_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = badInput ? exitCodes.usage : exitCodes.failure;
  }
}
