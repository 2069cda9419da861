/**
 * `npm run docs:config`: writes the option tables of docs/configuration.md from the option specs. The
 * same sections are rendered by test/config/reference.test.ts, which fails when the file differs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectionOptions, type OptionSpec } from '../config/options.js';
import { renderOptionTable, replaceGenerated, type Specs } from '../config/reference.js';
import { deadLetterOptions } from '../dead-letters/options.js';
import { produceOptions } from '../loadgen/produce/options.js';
import { consumeCliOptions } from './consume.js';
import { devstackOptions } from './devstack.js';

/** The options of `specs` that are not among `shared` (those have a table of their own). */
function without(specs: Specs, shared: Specs): Specs {
  const sharedSpecs = new Set<OptionSpec<unknown>>(Object.values(shared));
  return Object.fromEntries(Object.entries(specs).filter(([, spec]) => !sharedSpecs.has(spec)));
}

/** Every generated table of docs/configuration.md, by the name its markers carry. */
export const configurationSections: ReadonlyArray<{ name: string; specs: Specs }> = [
  { name: 'connections', specs: connectionOptions },
  { name: 'cdc-consume', specs: without(consumeCliOptions, connectionOptions) },
  { name: 'cdc-produce', specs: without(produceOptions, connectionOptions) },
  { name: 'cdc-devstack', specs: devstackOptions },
  // Its connection and session options are cdc-consume's own specs, listed there.
  { name: 'cdc-dead-letters', specs: without(deadLetterOptions, consumeCliOptions) },
];

/**
 * The checkout's root: the nearest directory above this module holding the project's package.json, so it
 * is found from lib/ (sources) as from dist/lib/ (what runs).
 */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cdc-pipeline') return dir;
    if (dirname(dir) === dir) throw new Error(`no cdc-pipeline package.json above ${from}`);
  }
}

export const configurationDoc = (root = repoRoot()) => join(root, 'docs', 'configuration.md');

/** The document with every generated section rendered afresh from the specs. */
export function renderConfigurationDoc(doc: string): string {
  return configurationSections.reduce((text, s) => replaceGenerated(text, s.name, renderOptionTable(s.specs)), doc);
}

function main(): void {
  const path = configurationDoc();
  const before = readFileSync(path, 'utf8');
  const after = renderConfigurationDoc(before);
  if (after !== before) writeFileSync(path, after);
  process.stdout.write(`${path}: ${after === before ? 'already up to date' : 'tables rewritten from the option specs'}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
