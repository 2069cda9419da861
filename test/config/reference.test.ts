import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configurationDoc, configurationSections, renderConfigurationDoc, repoRoot } from '../../lib/cli/config-docs.js';
import { option, parse } from '../../lib/config/index.js';
import { expectUnitsDeclared } from '../support/option-units.js';
import { endMarker, generatedSection, renderOptionTable, replaceGenerated, startMarker, type Specs } from '../../lib/config/reference.js';

const root = repoRoot();
const doc = readFileSync(configurationDoc(root), 'utf8');

/** Every .ts file under dir, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The variables named in the first column of the table under "Environment variables outside the options". */
function documentedVariables(text: string): Set<string> {
  const start = text.indexOf('## Environment variables outside the options');
  expect(start, 'docs/configuration.md has the section "Environment variables outside the options"').to.be.at.least(0);
  const next = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, next < 0 ? undefined : next);
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1] as string);
  }
  return names;
}

const everySpecSet: Record<string, Specs> = Object.fromEntries(configurationSections.map((s) => [s.name, s.specs]));

describe('config/reference', () => {
  describe('docs/configuration.md', () => {
    for (const { name, specs } of configurationSections) {
      it(`its ${name} table is the one rendered from the option specs (else: npm run docs:config)`, () => {
        const found = generatedSection(doc, name);
        expect(found, `markers of ${name} in docs/configuration.md`).to.be.a('string');
        expect(found).to.equal(renderOptionTable(specs));
      });
    }

    it('is unchanged by rendering it again', () => {
      expect(renderConfigurationDoc(doc)).to.equal(doc);
    });

    it('lists every environment variable lib/ reads that is not an option', () => {
      const fromSpecs = new Set(
        Object.values(everySpecSet)
          .flatMap((specs) => Object.values(specs))
          .map((s) => s.env),
      );
      const documented = documentedVariables(doc);
      expect([...documented]).to.include.members(['CDC_RDKAFKA_DEBUG', 'CDC_DEBUG']);
      const reads: string[] = [];
      for (const file of sources(join(root, 'lib'))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"`]([^'"`]+)['"`]\s*\])/g)) {
          const name = (m[1] ?? m[2]) as string;
          if (!fromSpecs.has(name) && !documented.has(name)) reads.push(`${relative(root, file)}: ${name}`);
        }
      }
      expect(reads, 'process.env reads neither in an option spec nor in docs/configuration.md').to.deep.equal([]);
    });
  });

  describe('renderOptionTable', () => {
    const specs = {
      waitMs: option<number>({ flag: 'wait', env: 'CDC_WAIT', describe: 'a | b', default: 90_000, unit: 'ms', parse: parse.duration }),
      size: option<number>({ flag: 'size', describe: 'bytes', default: 16 * 1024 * 1024, unit: 'bytes', parse: parse.bytes(1) }),
      url: option<string>({
        flag: 'url',
        describe: 'secret',
        default: () => 'x',
        defaultText: 'from the env',
        parse: parse.nonEmptyString,
      }),
      extra: option<Record<string, string>>({ flag: 'extra', describe: 'pairs', default: {}, parse: parse.keyValues }),
    };

    it('writes one row per option: key, flag, env, default derived from the value, meaning with pipes escaped', () => {
      expect(renderOptionTable(specs).split('\n')).to.deep.equal([
        '| option | flag | env | default | meaning |',
        '| --- | --- | --- | --- | --- |',
        '| waitMs | `--wait` | `CDC_WAIT` | `90s` | a \\| b |',
        '| size | `--size` |  | `16MiB` | bytes |',
        '| url | `--url` |  | from the env | secret |',
        '| extra | `--extra` |  | none | pairs |',
      ]);
    });

    it('catches a drift: a changed default no longer matches the rendered table', () => {
      const page = replaceGenerated(`${startMarker('t')}\n${endMarker('t')}\n`, 't', renderOptionTable(specs));
      const changed = { ...specs, waitMs: { ...specs.waitMs, default: 60_000 } };
      expect(generatedSection(page, 't')).to.equal(renderOptionTable(specs));
      expect(generatedSection(page, 't')).to.not.equal(renderOptionTable(changed));
    });

    it('refuses a document without the markers, naming them', () => {
      expect(() => replaceGenerated('no markers', 'x', '')).to.throw(/no section "x"/);
    });
  });

  describe('displayed defaults', () => {
    it('formats durations and sizes as the parsers read them back', () => {
      for (const ms of [0, 1, 20, 999, 1000, 1500, 30_000, 60_000, 90_000, 3_600_000, 5_400_000]) {
        expect(parse.duration(parse.formatDuration(ms), 'x'), String(ms)).to.equal(ms);
      }
      expect([20, 30_000, 60_000, 90_000, 1_200_000].map(parse.formatDuration)).to.deep.equal(['20ms', '30s', '1m', '90s', '20m']);
      for (const n of [1, 1000, 1024, 65_536, 1024 * 1024, 16 * 1024 * 1024, 3 * 1024 ** 3]) {
        expect(parse.bytes(1)(parse.formatBytes(n), 'x'), String(n)).to.equal(n);
      }
      expect([1000, 65_536, 1024 * 1024].map(parse.formatBytes)).to.deep.equal(['1000', '64KiB', '1MiB']);
    });

    for (const [set, specs] of Object.entries(everySpecSet)) {
      it(`${set}: every duration and size option with a number default declares its unit`, () => expectUnitsDeclared(set, specs));
    }
  });
});
