/**
 * `npm run bench:decode`: a worker thread's decoding alone, per message, on the same generated events in
 * three forms: the seed format, Debezium's change events without the schema envelope, and with it
 * (schemas.enable=true). Each form runs through the sink the shipped mapping compiles to, in this
 * process, rounds interleaved, CPU time per message measured around each round. With --baseline DIR the
 * same decoding runs through that build's compiled sinks too, side by side: what a change to the
 * decoders saved. No Kafka and no Postgres: this isolates what the engine's own figure cannot (its CPU
 * per event includes start-up, fetching and the COPY).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliParser, runCli } from '../lib/cli/run.js';
import { addOptions, option, parse, resolveOptions } from '../lib/config/index.js';
import { createGenerator, DebeziumEncoder } from '../lib/loadgen/generator/index.js';
import type { Mapping } from '../lib/sinks/mapping.js';
import type { Sink } from '../lib/sinks/sink.js';

export const decodeOptions = {
  events: option<number>({
    flag: 'events',
    describe: 'Generated events, decoded in each form',
    default: 100_000,
    parse: parse.integer(1, 1_000_000),
  }),
  rounds: option<number>({
    flag: 'rounds',
    describe: 'Rounds per form and build, interleaved; min, median and max reported',
    default: 5,
    parse: parse.integer(1, 50),
  }),
  baseline: option<string | undefined>({
    flag: 'baseline',
    describe: 'Another built checkout of cdc-pipeline whose compiled sinks decode the same messages, side by side',
    default: undefined,
    defaultText: 'none',
    parse: parse.optional(parse.nonEmptyString),
  }),
  seed: option<number>({ flag: 'seed', describe: 'Generator seed', default: 1, parse: parse.integer(0, 2 ** 31) }),
};

interface Build {
  name: string;
  compile: (mapping: 'seed' | 'seed-debezium') => Sink[];
}

/** A build's compiled sinks, loaded from its dist/ (this one's, or the baseline's). */
async function loadBuild(name: string, root: string): Promise<Build> {
  const at = (path: string) => pathToFileURL(join(root, 'dist', path)).href;
  const mappingModule = (await import(at('lib/sinks/mapping.js'))) as { shippedMapping: (name: string) => Mapping };
  const sinkModule = (await import(at('lib/sinks/sink.js'))) as { compileMapping: (m: Mapping, schema: string) => Sink[] };
  return { name, compile: (mapping) => sinkModule.compileMapping(mappingModule.shippedMapping(mapping), 'public') };
}

interface Message {
  topic: string;
  key: Buffer | null;
  value: Buffer;
}

/** The same events in the three forms, topics named after the seed mapping's sinks. */
function messages(events: number, seed: number): Record<'seed' | 'debezium' | 'debezium-schemas', Message[]> {
  const out = { seed: [] as Message[], debezium: [] as Message[], 'debezium-schemas': [] as Message[] };
  const topics = { users: 'users', orders: 'orders' };
  const gen = createGenerator({ seed, topics });
  const plain = new DebeziumEncoder({ schemas: false, topics, now: () => 1_700_000_000_000 });
  const enveloped = new DebeziumEncoder({ schemas: true, topics, now: () => 1_700_000_000_000 });
  for (let i = 0; i < events; i++) {
    const e = gen.next();
    out.seed.push({ topic: e.topic, key: e.key, value: e.value });
    const p = plain.encode(e);
    const s = enveloped.encode(e);
    if (p) out.debezium.push({ topic: p.topic, key: p.key, value: p.value });
    if (s) out['debezium-schemas'].push({ topic: s.topic, key: s.key, value: s.value });
  }
  return out;
}

/** CPU µs per message to decode them all with sinks fresh from `compile` (their caches empty). */
function round(sinks: Sink[], batch: readonly Message[]): number {
  const byTopic = new Map(sinks.map((s) => [s.topic, s]));
  const start = process.cpuUsage();
  let bad = 0;
  for (const m of batch) {
    const r = (byTopic.get(m.topic) as Sink).decode(m.key, m.value);
    if (!r.ok) bad++;
  }
  const used = process.cpuUsage(start);
  if (bad > 0) throw new Error(`${bad} of ${batch.length} messages did not decode`);
  return (used.user + used.system) / batch.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const parser = addOptions(
    cliParser(
      process.argv.slice(2),
      'npm run bench:decode --',
      "$0 [options]\n\nA worker thread's decoding alone, CPU per message, on the same events in the seed form and in Debezium form without and with the schema envelope; --baseline runs another build's decoders side by side.",
    ),
    decodeOptions,
  );
  const argv = await parser.parseAsync();
  if (argv.help) return;
  const o = resolveOptions(decodeOptions, argv as Record<string, unknown>, {});
  const builds = [await loadBuild('this build', join(import.meta.dirname, '..', '..'))];
  if (o.baseline !== undefined) builds.push(await loadBuild('baseline', o.baseline));
  const forms = messages(o.events, o.seed);
  const plan: Array<{ form: keyof typeof forms; mapping: 'seed' | 'seed-debezium' }> = [
    { form: 'seed', mapping: 'seed' },
    { form: 'debezium', mapping: 'seed-debezium' },
    { form: 'debezium-schemas', mapping: 'seed-debezium' },
  ];
  const bytes = (form: keyof typeof forms) => Math.round(forms[form].reduce((n, m) => n + m.value.length, 0) / forms[form].length);
  const results = new Map<string, number[]>();
  for (let r = 0; r < o.rounds; r++) {
    for (const { form, mapping } of plan) {
      for (const b of builds) {
        const key = `${b.name}\u0000${form}`;
        const list = results.get(key) ?? [];
        list.push(round(b.compile(mapping), forms[form]));
        results.set(key, list);
      }
    }
  }
  const seedMedian = median(results.get(`this build\u0000seed`) as number[]);
  process.stdout.write(
    `decoding ${o.events} generated events per form, ${o.rounds} interleaved rounds (CPU µs per message: min / median / max)\n\n`,
  );
  process.stdout.write('| build | form | messages | bytes each | µs per message | vs seed (this build) |\n|---|---|---|---|---|---|\n');
  for (const { form } of plan) {
    for (const b of builds) {
      const xs = results.get(`${b.name}\u0000${form}`) as number[];
      const sorted = [...xs].sort((a, c) => a - c);
      process.stdout.write(
        `| ${b.name} | ${form} | ${forms[form].length} | ${bytes(form)} | ${(sorted[0] as number).toFixed(2)} / ${median(xs).toFixed(2)} / ${(sorted.at(-1) as number).toFixed(2)} | ${(median(xs) / seedMedian).toFixed(2)}x |\n`,
      );
    }
  }
}

await runCli('bench:decode', async () => {
  await main();
  return 0;
});
