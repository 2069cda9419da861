/**
 * Every mapping the docs show parses: each ```yaml block of README.md and docs/*.md holding `sinks:` goes
 * through resolveMapping as cdc-consume --sinks would read it. A documented key the code does not accept
 * (or a value it refuses) fails here, naming the file and the block's line.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../lib/cli/config-docs.js';
import { resolveMapping } from '../../lib/sinks/mapping.js';

interface Block {
  file: string;
  /** 1-based line of the block's opening fence. */
  line: number;
  text: string;
}

/** The ```yaml blocks of a markdown file. */
function yamlBlocks(file: string, text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```yaml') continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`${file}:${i + 1}: a yaml block without its closing fence`);
    out.push({ file, line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

const root = repoRoot();
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const mappings = files.flatMap((file) => yamlBlocks(file, readFileSync(join(root, file), 'utf8'))).filter((b) => /^sinks:/m.test(b.text));

describe('sinks/mapping: the mappings shown in the docs', () => {
  it('finds them (README.md, docs/sinks.md, docs/producer.md)', () => {
    const where = new Set(mappings.map((b) => b.file));
    for (const file of ['README.md', join('docs', 'sinks.md'), join('docs', 'producer.md')]) expect(where).to.include(file);
    // The Avro example for Debezium's tutorial database (a topic-pattern sink reading Avro) among them.
    expect(mappings.some((b) => /topic-pattern: 'dbserver1/.test(b.text) && /encoding: avro/.test(b.text))).to.equal(true);
  });

  for (const b of mappings) {
    it(`${b.file}:${b.line} parses`, () => {
      expect(() => resolveMapping(parseYaml(b.text, { uniqueKeys: true }), `${b.file}:${b.line}`)).to.not.throw();
    });
  }
});
