/**
 * The configuration reference, rendered from the option specs themselves: one markdown table per command
 * (option | flag | env | default | meaning), written into the docs between marker comments. The docs
 * cannot drift from the code: test/config/reference.test.ts renders the tables and compares.
 */
import { defaultDisplay, type OptionSpec } from './options.js';

export type Specs = Record<string, OptionSpec<unknown>>;

/** A table cell: pipes escaped, so any text stays in its column. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function code(text: string): string {
  return `\`${text}\``;
}

/**
 * The markdown table of a command's options, in declaration order. A default derived from the value is
 * shown as code (the text the flag accepts), a `defaultText` as prose. Cells are not padded into
 * aligned columns: the rows are wider than any screen either way, and markdown is outside Prettier's
 * reach here (.prettierignore), so nothing re-pads them.
 */
export function renderOptionTable(specs: Specs): string {
  const lines = ['| option | flag | env | default | meaning |', '| --- | --- | --- | --- | --- |'];
  for (const [key, spec] of Object.entries(specs)) {
    const def = defaultDisplay(spec);
    const shown = def === undefined ? '' : def.derived ? code(def.text) : cell(def.text);
    const env = spec.env ? code(spec.env) : '';
    lines.push(`| ${key} | ${code(`--${spec.flag}`)} | ${env} | ${shown} | ${cell(spec.describe)} |`);
  }
  return lines.join('\n');
}

export function startMarker(name: string): string {
  return `<!-- generated from the option specs: ${name} (npm run docs:config) -->`;
}

export function endMarker(name: string): string {
  return `<!-- end of generated: ${name} -->`;
}

/** The text between a generated section's markers, without the blank lines around it; undefined when missing. */
export function generatedSection(doc: string, name: string): string | undefined {
  const start = doc.indexOf(startMarker(name));
  const end = doc.indexOf(endMarker(name));
  if (start < 0 || end < start) return undefined;
  return doc.slice(start + startMarker(name).length, end).trim();
}

/** Replaces a generated section's content; throws when its markers are missing, naming them. */
export function replaceGenerated(doc: string, name: string, content: string): string {
  const start = doc.indexOf(startMarker(name));
  const end = doc.indexOf(endMarker(name));
  if (start < 0 || end < start) throw new Error(`no section "${name}": expected the lines ${startMarker(name)} and ${endMarker(name)}`);
  return `${doc.slice(0, start + startMarker(name).length)}\n\n${content}\n\n${doc.slice(end)}`;
}
