/**
 * The options of `npm run bench` and `npm run demo`, declared once with the project's option specs
 * (lib/config), parsed with the same yargs settings as the CLIs in bin/.
 *
 * The bench has two modes. Their defaults live in `benchModes`; a flag given explicitly wins over the
 * mode's value.
 */

import { cliParser } from '../lib/cli/run.js';
import { addOptions, option, parse, resolveOptions, type SpecValues } from '../lib/config/index.js';
import { InvalidOptionError } from '../lib/errors.js';

export const contenderNames = [
  'engine',
  'engine-unix',
  'engine-debezium',
  'engine-debezium-baseline',
  'engine-debezium-avro',
  'engine-debezium-schemas',
  'engine-debezium-schemas-baseline',
  'engine-baseline',
  'engine-2p',
  'engine-3p',
  'per-row-insert',
  'multi-row-insert',
  'multi-row-insert-debezium',
  'copy-ceiling',
] as const;
/**
 * Run unless --contenders says otherwise. The -baseline contenders need --baseline; engine-2p and engine-3p are
 * for the scaling check (docs/benchmarks.md: Scaling); the schema-envelope contenders need a dataset
 * small enough for the mock cluster's retention (SCHEMAS_MAX_EVENTS). engine-debezium-avro runs at the
 * full size, unlimited here: 200,000 Avro events keep every partition's log from offset 0 (400,000 do
 * not, and the preload's check says so; docs/benchmarks.md). It needs a schema registry, the dev
 * stack's or SCHEMA_REGISTRY_URL's, and is left out without one.
 */
export const defaultContenders = contenderNames.filter(
  (c) => !c.endsWith('-baseline') && c !== 'engine-2p' && c !== 'engine-3p' && !c.startsWith('engine-debezium-schemas'),
);

/**
 * Most events the schema-envelope dataset may hold on the dev stack: its messages average about 3.8 KB
 * (the envelope's schema is most of it), and the mock cluster keeps about 5 MiB per partition (older
 * messages silently dropped), so 4 partitions per topic hold some 1,300 messages each. Measured sizes in
 * docs/benchmarks.md.
 */
export const SCHEMAS_MAX_EVENTS = 10_000;
export type ContenderName = (typeof contenderNames)[number];

/** What each mode runs. Quick must finish in under 3 minutes on a 2-core machine, full in about 10. */
export const benchModes = {
  quick: {
    /** Events preloaded, both topics together. */
    events: 100_000,
    /** Runs of each throughput contender; the median counts. */
    repeat: 1,
    /** per-row-insert runs on the first events it manages in this long (its rate is what counts). */
    perRowMs: 8000,
    latencyMs: 6000,
  },
  full: {
    // The mock cluster keeps about 5 MiB per partition and auto-creates 4 partitions per topic: 100,000
    // events per topic stay well under that (and the read-back check would catch any loss).
    events: 200_000,
    repeat: 3,
    perRowMs: 20_000,
    latencyMs: 15_000,
  },
} as const;

export const benchDefaults = {
  /** The latency phase's fixed production rate, events per second (the latency target of docs/benchmarks.md is at this rate). */
  latencyRate: 5000,
  /** Fixed, so every run preloads the same entities and operations. */
  seed: 1,
} as const;

export const benchOptions = {
  quick: option<boolean>({
    flag: 'quick',
    describe: `Smaller run: ${benchModes.quick.events} events, one run per contender (under 3 minutes on 2 cores)`,
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  json: option<string | undefined>({
    flag: 'json',
    describe: 'Write the results as JSON to this file, and the SVG chart next to it (same name, .svg)',
    default: undefined,
    defaultText: 'none',
    parse: parse.optional(parse.nonEmptyString),
  }),
  svg: option<string | undefined>({
    flag: 'svg',
    describe: 'Write the SVG chart here instead of next to the --json file',
    default: undefined,
    defaultText: 'the --json path with .svg',
    parse: parse.optional(parse.nonEmptyString),
  }),
  events: option<number | undefined>({
    flag: 'events',
    describe: 'Events to preload, both topics together',
    default: undefined,
    defaultText: `${benchModes.full.events} (quick: ${benchModes.quick.events})`,
    parse: parse.optional(parse.integer(1000, 10_000_000)),
  }),
  repeat: option<number | undefined>({
    flag: 'repeat',
    describe: 'Runs of each throughput contender, interleaved; the median is reported',
    default: undefined,
    defaultText: `${benchModes.full.repeat} (quick: ${benchModes.quick.repeat})`,
    parse: parse.optional(parse.integer(1, 20)),
  }),
  perRowMs: option<number | undefined>({
    flag: 'per-row-duration',
    describe: 'How long per-row-insert runs (it is measured on the events it applies in that time)',
    default: undefined,
    defaultText: `${parse.formatDuration(benchModes.full.perRowMs)} (quick: ${parse.formatDuration(benchModes.quick.perRowMs)})`,
    parse: parse.optional(parse.duration),
  }),
  latencyRate: option<number>({
    flag: 'latency-rate',
    describe: 'Events per second produced during the latency measurement',
    default: benchDefaults.latencyRate,
    parse: parse.integer(1, 1_000_000),
  }),
  latencyDurationMs: option<number | undefined>({
    flag: 'latency-duration',
    describe: 'How long events are produced at --latency-rate; 0 skips the latency measurement',
    default: undefined,
    defaultText: `${parse.formatDuration(benchModes.full.latencyMs)} (quick: ${parse.formatDuration(benchModes.quick.latencyMs)})`,
    parse: parse.optional(parse.duration),
  }),
  pgDelayMs: option<number>({
    flag: 'pg-delay',
    describe:
      'Then run every throughput contender, and the latency measurement, again through a TCP proxy in front of Postgres that holds each chunk this long in each direction (a network between consumer and database), reported as a second table; 0 = not',
    default: 0,
    unit: 'ms',
    parse: parse.duration,
  }),
  contenders: option<ContenderName[]>({
    flag: 'contenders',
    describe: `Contenders to run, comma-separated: ${contenderNames.join(', ')} (engine-baseline needs --baseline; it is added when --baseline is given; engine-debezium-avro reads the events as Debezium's AvroConverter writes them and needs a schema registry: the dev stack's, or SCHEMA_REGISTRY_URL's with an external stack; the engine-debezium-schemas contenders read the events with the schema envelope and need --events ${SCHEMAS_MAX_EVENTS} or fewer on the dev stack, engine-debezium-schemas-baseline also --baseline; engine-debezium-baseline runs the --baseline build on the Debezium-form events)`,
    default: [...defaultContenders],
    parse: (v, name) => {
      const list = parse.nameList(v, name);
      for (const c of list) {
        if (!(contenderNames as readonly string[]).includes(c)) {
          throw new InvalidOptionError(name, `invalid ${name}: unknown contender "${c}"; expected some of ${contenderNames.join(', ')}`);
        }
      }
      return [...new Set(list)] as ContenderName[];
    },
  }),
  baseline: option<string | undefined>({
    flag: 'baseline',
    describe:
      'Another checkout of cdc-pipeline, built (npm install there, or npm run build with node_modules linked): its bin/cdc-consume runs as contender engine-baseline on the same data, to compare a change side by side',
    default: undefined,
    defaultText: 'none',
    parse: parse.optional(parse.nonEmptyString),
  }),
  seed: option<number>({
    flag: 'seed',
    describe: 'Generator seed of the preloaded events',
    default: benchDefaults.seed,
    parse: parse.integer(0),
  }),
  cpuProf: option<string | undefined>({
    flag: 'cpu-prof',
    describe:
      "Run the engine contenders with node --cpu-prof, write their profiles (main thread and workers) into this directory and summarize each one-process contender's last run, and the latency round's engine",
    default: undefined,
    defaultText: 'off',
    parse: parse.optional(parse.nonEmptyString),
  }),
  engineArgs: option<string[]>({
    flag: 'engine-args',
    describe:
      'Extra cdc-consume arguments for the engine runs, space-separated, written --engine-args="--flag value" (experiments only: the report then says the engine did not run with its defaults)',
    default: [],
    parse: (v, name) => {
      if (Array.isArray(v)) return v.map(String);
      if (typeof v !== 'string') throw new InvalidOptionError(name, `invalid ${name}: expected arguments such as "--batch-max-rows 10000"`);
      return v.split(/\s+/).filter((a) => a !== '');
    },
  }),
  verbose: option<boolean>({
    flag: 'verbose',
    describe: "Show the contenders' own logs",
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
};

export type BenchOptions = SpecValues<typeof benchOptions>;

/** Everything a bench run needs, with the mode's defaults filled in. */
export interface BenchPlan {
  mode: 'quick' | 'full';
  events: number;
  repeat: number;
  perRowMs: number;
  latencyRate: number;
  latencyMs: number;
  /** One-way delay of the second, proxied round (0: none). */
  pgDelayMs: number;
  contenders: ContenderName[];
  seed: number;
  jsonPath: string | undefined;
  svgPath: string | undefined;
  cpuProfDir: string | undefined;
  /** Extra cdc-consume arguments (non-default engine settings, for experiments). */
  engineArgs: string[];
  /** A built checkout whose bin/cdc-consume runs as engine-baseline. */
  baselineDir: string | undefined;
  verbose: boolean;
}

export function benchPlan(o: BenchOptions): BenchPlan {
  const mode = o.quick ? 'quick' : 'full';
  const m = benchModes[mode];
  const svgPath = o.svg ?? (o.json === undefined ? undefined : o.json.replace(/(\.json)?$/i, '.svg'));
  return {
    mode,
    events: o.events ?? m.events,
    repeat: o.repeat ?? m.repeat,
    perRowMs: o.perRowMs ?? m.perRowMs,
    latencyRate: o.latencyRate,
    latencyMs: o.latencyDurationMs ?? m.latencyMs,
    pgDelayMs: o.pgDelayMs,
    contenders: withSchemasFitting(withBaseline(o.contenders, o.baseline), o.events ?? m.events),
    seed: o.seed,
    jsonPath: o.json,
    svgPath,
    cpuProfDir: o.cpuProf,
    engineArgs: o.engineArgs,
    baselineDir: o.baseline,
    verbose: o.verbose,
  };
}

/** The schema-envelope dataset must fit the dev stack's retention, or a run would miss its oldest events. */
function withSchemasFitting(contenders: ContenderName[], events: number): ContenderName[] {
  const schemas = contenders.filter((c) => c.startsWith('engine-debezium-schemas'));
  if (schemas.length > 0 && events > SCHEMAS_MAX_EVENTS)
    throw new InvalidOptionError(
      '--events',
      `invalid --events ${events}: ${schemas.join(' and ')} read Debezium events with the schema envelope (about 3.8 KB each), of which the dev stack's mock Kafka keeps about 5 MiB per partition; use --events ${SCHEMAS_MAX_EVENTS} or fewer`,
    );
  return contenders;
}

/** --baseline adds engine-baseline right after engine, so the two run back to back in every round. */
function withBaseline(contenders: ContenderName[], baseline: string | undefined): ContenderName[] {
  if (baseline === undefined) {
    const needing = contenders.find((c) => c.endsWith('-baseline'));
    if (needing !== undefined) throw new InvalidOptionError('--contenders', `invalid --contenders: ${needing} needs --baseline DIR`);
    return contenders;
  }
  if (contenders.includes('engine-baseline')) return contenders;
  const at = contenders.indexOf('engine');
  const out = [...contenders];
  out.splice(at < 0 ? 0 : at + 1, 0, 'engine-baseline');
  return out;
}

/** Parses `npm run bench -- ...` arguments; undefined after --help (yargs has printed it). */
export async function parseBenchArgs(argv: string[]): Promise<BenchPlan | undefined> {
  const parser = addOptions(
    cliParser(
      argv,
      'npm run bench --',
      '$0 [options]\n\nBenchmark the engine against per-row and multi-row INSERT consumers and a COPY ceiling, on the same preloaded events.\nUses the embedded dev stack unless KAFKA_BROKERS and DATABASE_URL are both set.',
    ),
    benchOptions,
  );
  const args = await parser.parseAsync();
  if (args.help) return undefined;
  // No environment: the bench's own options have no variables, and KAFKA_BROKERS/DATABASE_URL pick the stack.
  return benchPlan(resolveOptions(benchOptions, args, {}));
}

export const demoDefaults = {
  rate: 2000,
  durationMs: 5000,
  /** cdc-consume exits this long after the last event. */
  idleMs: 3000,
} as const;

export const demoOptions = {
  rate: option<number>({
    flag: 'rate',
    describe: 'Events per second to produce; 0 = as fast as possible',
    default: demoDefaults.rate,
    parse: parse.integer(0, 1_000_000),
  }),
  count: option<number | undefined>({
    flag: 'count',
    describe: 'Stop after this many events (whichever of --count and --duration comes first)',
    default: undefined,
    defaultText: 'no limit',
    parse: parse.optional(parse.integer(1, 100_000_000)),
  }),
  durationMs: option<number | undefined>({
    flag: 'duration',
    describe: 'Produce for this long',
    default: undefined,
    defaultText: `${parse.formatDuration(demoDefaults.durationMs)}, or no limit when --count is given`,
    parse: parse.optional(parse.duration),
  }),
  seed: option<number | undefined>({
    flag: 'seed',
    describe: 'Generator seed (the demo prints the one it used)',
    default: undefined,
    defaultText: 'random',
    parse: parse.optional(parse.integer(0)),
  }),
  format: option<'seed' | 'debezium'>({
    flag: 'format',
    describe:
      "seed: the Go pipeline's events; debezium: the same events as Debezium would have captured them from the Go tables, loaded with --sinks lib/sinks/mappings/seed-debezium.yaml",
    default: 'seed',
    parse: parse.oneOf(['seed', 'debezium'] as const),
  }),
  schemas: option<boolean>({
    flag: 'schemas',
    describe: 'With --format debezium: the JsonConverter schema envelope on every message',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  encoding: option<'json' | 'avro'>({
    flag: 'encoding',
    describe:
      "With --format debezium: json (JsonConverter) or avro (AvroConverter: the Confluent wire format, schemas in the dev stack's schema registry, or SCHEMA_REGISTRY_URL's with an external stack)",
    default: 'json',
    parse: parse.oneOf(['json', 'avro'] as const),
  }),
  keep: option<boolean>({
    flag: 'keep',
    describe: 'Keep the dev stack running after the summary (prints how to connect) until Ctrl-C',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  verbose: option<boolean>({
    flag: 'verbose',
    describe: "Show cdc-consume's and the producer's own log lines",
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
};

export type DemoOptions = SpecValues<typeof demoOptions>;

export interface DemoPlan {
  rate: number;
  /** Undefined: no count limit. */
  count: number | undefined;
  /** Undefined: no time limit (only with a count). */
  durationMs: number | undefined;
  seed: number | undefined;
  format: 'seed' | 'debezium';
  schemas: boolean;
  encoding: 'json' | 'avro';
  keep: boolean;
  verbose: boolean;
}

export function demoPlan(o: DemoOptions): DemoPlan {
  if (o.durationMs === 0 && o.count === undefined) {
    throw new InvalidOptionError('--duration', 'invalid --duration 0: give a duration above 0, or a --count');
  }
  if (o.encoding === 'avro' && o.format !== 'debezium')
    throw new InvalidOptionError('--encoding', 'invalid --encoding avro: only with --format debezium (the seed format is JSON)');
  return {
    rate: o.rate,
    count: o.count,
    // Count alone runs until the count; otherwise the default duration bounds the demo.
    durationMs: o.durationMs === 0 ? undefined : (o.durationMs ?? (o.count === undefined ? demoDefaults.durationMs : undefined)),
    seed: o.seed,
    format: o.format,
    schemas: o.schemas,
    encoding: o.encoding,
    keep: o.keep,
    verbose: o.verbose,
  };
}

export async function parseDemoArgs(argv: string[]): Promise<DemoPlan | undefined> {
  const parser = addOptions(
    cliParser(
      argv,
      'npm run demo --',
      '$0 [options]\n\nStart the dev stack, run cdc-consume, produce events for a few seconds, and check that the tables match what was produced.',
    ),
    demoOptions,
  );
  const args = await parser.parseAsync();
  if (args.help) return undefined;
  return demoPlan(resolveOptions(demoOptions, args, {}));
}
