/**
 * The options of `npm run soak`, declared with the project's option specs (lib/config) and parsed with
 * the CLIs' yargs settings, as bench/options.ts does for the bench and the demo.
 */
import { cliParser } from '../../lib/cli/run.js';
import { addOptions, option, parse, resolveOptions, type SpecValues } from '../../lib/config/index.js';
import { InvalidOptionError } from '../../lib/errors.js';

export const soakDefaults = {
  durationMs: 20 * 60_000,
  /** Events per second, both topics together: steady load, far below what one consumer can apply. */
  rate: 2000,
  changeEveryMs: 60_000,
  /** The long-lived consumer included; the run starts with this many. */
  maxConsumers: 3,
  /** The cadence for the RSS series. */
  sampleEveryMs: 10_000,
  /**
   * Start-up (heap growth, first rebalances, JIT) is not a leak: samples before this are left out of the
   * verdict. Capped at a quarter of --duration so a short shake-out run still has samples to judge.
   */
  warmUpMs: 2 * 60_000,
  /**
   * Judged span (warm-up to end) below which there is no verdict: a catch-up after a kill moves RSS by
   * 10-30 MB for a minute or two, which a short run cannot tell from a trend.
   */
  minJudgedSpanMs: 10 * 60_000,
  /** 1 MB per 5 minutes: a leak of a few hundred bytes per event at 2,000 events/s would exceed it. */
  maxSlopeMbPerMin: 0.2,
  /** The producer's linger on the dev stack (see bench/soak/run.ts: the mock cluster's fetch cost). */
  devStackLingerMs: 100,
  /** How long the survivors may take to apply everything once production stops. */
  drainTimeoutMs: 180_000,
} as const;

export const soakOptions = {
  durationMs: option<number>({
    flag: 'duration',
    describe: 'How long to produce (and churn consumers), such as 2m or 20m',
    default: soakDefaults.durationMs,
    unit: 'ms',
    parse: parse.duration,
  }),
  rate: option<number>({
    flag: 'rate',
    describe: 'Events per second produced, users and orders together',
    default: soakDefaults.rate,
    parse: parse.integer(1, 1_000_000),
  }),
  changeEveryMs: option<number>({
    flag: 'change-every',
    describe:
      'Every this long, alternately kill a random extra consumer (SIGKILL and SIGTERM in turn) and start a new one; the long-lived consumer is never touched',
    default: soakDefaults.changeEveryMs,
    unit: 'ms',
    parse: parse.duration,
  }),
  maxConsumers: option<number>({
    flag: 'max-consumers',
    describe: 'Consumer processes at most, the long-lived one included; the run starts with this many',
    default: soakDefaults.maxConsumers,
    parse: parse.integer(2, 16),
  }),
  sampleEveryMs: option<number>({
    flag: 'sample-every',
    describe: "How often every consumer's RSS (VmRSS from /proc) is sampled",
    default: soakDefaults.sampleEveryMs,
    unit: 'ms',
    parse: parse.duration,
  }),
  warmUpMs: option<number | undefined>({
    flag: 'warm-up',
    describe: "Leading part of the run left out of the long-lived consumer's RSS trend",
    default: undefined,
    defaultText: `${parse.formatDuration(soakDefaults.warmUpMs)}, or a quarter of --duration when that is shorter`,
    parse: parse.optional(parse.duration),
  }),
  maxSlopeMbPerMin: option<number>({
    flag: 'max-slope',
    describe:
      "Largest accepted RSS growth of the long-lived consumer, MB per minute: bounds both the least-squares slope after the warm-up and the rise from the second quarter's mean to the last quarter's",
    default: soakDefaults.maxSlopeMbPerMin,
    parse: parse.number(0),
  }),
  seed: option<number | undefined>({
    flag: 'seed',
    describe: 'Seed of the generated events and of the kill choices (the run prints the one it used)',
    default: undefined,
    defaultText: 'random',
    parse: parse.optional(parse.integer(0)),
  }),
  json: option<string | undefined>({
    flag: 'json',
    describe: "Write the run as JSON to this file: every consumer's RSS series, the churn log, the checks and the verdict",
    default: undefined,
    defaultText: 'none',
    parse: parse.optional(parse.nonEmptyString),
  }),
  verbose: option<boolean>({
    flag: 'verbose',
    describe: 'Show every log line of the consumers (without it, each distinct warning once)',
    default: false,
    kind: 'boolean',
    parse: parse.boolean,
  }),
};

export type SoakOptions = SpecValues<typeof soakOptions>;

export interface SoakPlan {
  durationMs: number;
  rate: number;
  changeEveryMs: number;
  maxConsumers: number;
  sampleEveryMs: number;
  warmUpMs: number;
  maxSlopeMbPerMin: number;
  /** Undefined: drawn at random and printed. */
  seed: number | undefined;
  jsonPath: string | undefined;
  verbose: boolean;
}

export function soakPlan(o: SoakOptions): SoakPlan {
  if (o.durationMs === 0) throw new InvalidOptionError('--duration', 'invalid --duration 0: a soak needs a duration above 0');
  if (o.changeEveryMs === 0) throw new InvalidOptionError('--change-every', 'invalid --change-every 0: give a duration above 0');
  if (o.sampleEveryMs === 0) throw new InvalidOptionError('--sample-every', 'invalid --sample-every 0: give a duration above 0');
  if (o.warmUpMs !== undefined && o.warmUpMs >= o.durationMs) {
    throw new InvalidOptionError('--warm-up', `invalid --warm-up: it must be shorter than --duration, or nothing is left to judge`);
  }
  return {
    durationMs: o.durationMs,
    rate: o.rate,
    changeEveryMs: o.changeEveryMs,
    maxConsumers: o.maxConsumers,
    sampleEveryMs: o.sampleEveryMs,
    warmUpMs: o.warmUpMs ?? Math.min(soakDefaults.warmUpMs, Math.floor(o.durationMs / 4)),
    maxSlopeMbPerMin: o.maxSlopeMbPerMin,
    seed: o.seed,
    jsonPath: o.json,
    verbose: o.verbose,
  };
}

/** Parses `npm run soak -- ...` arguments; undefined after --help (yargs has printed it). */
export async function parseSoakArgs(argv: string[]): Promise<SoakPlan | undefined> {
  const parser = addOptions(
    cliParser(
      argv,
      'npm run soak --',
      "$0 [options]\n\nProduce at a steady rate while consumers are killed and added, then check that the tables equal the model and that the long-lived consumer's RSS stayed flat.\nUses the embedded dev stack unless KAFKA_BROKERS and DATABASE_URL are both set. Exit status 1 on any failure.",
    ),
    soakOptions,
  );
  const args = await parser.parseAsync();
  if (args.help) return undefined;
  // No environment: the soak's own options have no variables, and KAFKA_BROKERS/DATABASE_URL pick the stack.
  return soakPlan(resolveOptions(soakOptions, args, {}));
}
