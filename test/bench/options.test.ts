import { expect } from 'chai';
import {
  benchModes,
  benchOptions,
  defaultContenders,
  demoOptions,
  parseBenchArgs,
  parseDemoArgs,
  SCHEMAS_MAX_EVENTS,
} from '../../bench/options.js';
import { soakOptions } from '../../bench/soak/options.js';
import { optionRejection } from '../support/errors.js';
import { expectUnitsDeclared } from '../support/option-units.js';

describe('bench/options', () => {
  describe('npm run bench', () => {
    it('runs the full mode with every contender by default', async () => {
      const plan = await parseBenchArgs([]);
      expect(plan).to.deep.include({
        mode: 'full',
        events: benchModes.full.events,
        repeat: benchModes.full.repeat,
        perRowMs: benchModes.full.perRowMs,
        latencyMs: benchModes.full.latencyMs,
        latencyRate: 5000,
        seed: 1,
        jsonPath: undefined,
        svgPath: undefined,
        cpuProfDir: undefined,
        pgDelayMs: 0,
      });
      expect(plan?.contenders).to.deep.equal([
        'engine',
        'engine-unix',
        'engine-debezium',
        'engine-debezium-avro',
        'per-row-insert',
        'multi-row-insert',
        'multi-row-insert-debezium',
        'copy-ceiling',
      ]);
      expect(plan?.contenders).to.deep.equal(defaultContenders);
    });

    it('--baseline adds engine-baseline right after engine; engine-baseline without it is refused', async () => {
      const plan = await parseBenchArgs(['--baseline', '/tmp/old', '--contenders', 'engine,multi-row-insert']);
      expect(plan?.contenders).to.deep.equal(['engine', 'engine-baseline', 'multi-row-insert']);
      expect(plan?.baselineDir).to.equal('/tmp/old');
      let error: Error | undefined;
      try {
        await parseBenchArgs(['--contenders', 'engine-baseline']);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).to.equal('invalid --contenders: engine-baseline needs --baseline DIR');
    });

    it('runs the schema-envelope contenders only on a dataset the mock cluster keeps whole, and their baseline only with --baseline', async () => {
      const plan = await parseBenchArgs(['--events', String(SCHEMAS_MAX_EVENTS), '--contenders', 'engine,engine-debezium-schemas']);
      expect(plan?.contenders).to.deep.equal(['engine', 'engine-debezium-schemas']);
      const tooMany = await optionRejection(parseBenchArgs(['--contenders', 'engine-debezium-schemas']));
      expect(tooMany.option).to.equal('--events');
      expect(tooMany.message).to.match(/^invalid --events 200000: engine-debezium-schemas read Debezium events with the schema envelope/);
      const noBaseline = await optionRejection(
        parseBenchArgs(['--events', '1000', '--contenders', 'engine-debezium-schemas,engine-debezium-schemas-baseline']),
      );
      expect(noBaseline.message).to.equal('invalid --contenders: engine-debezium-schemas-baseline needs --baseline DIR');
      const debeziumNoBaseline = await optionRejection(parseBenchArgs(['--contenders', 'engine-debezium,engine-debezium-baseline']));
      expect(debeziumNoBaseline.message).to.equal('invalid --contenders: engine-debezium-baseline needs --baseline DIR');
      expect(defaultContenders.some((c) => c.endsWith('-baseline'))).to.equal(false);
      expect(defaultContenders.some((c) => c.startsWith('engine-debezium-schemas'))).to.equal(false);
    });

    it('runs the Avro contender at the full dataset: the schema-envelope limit is not its', async () => {
      const plan = await parseBenchArgs(['--contenders', 'engine,engine-debezium-avro']);
      expect(plan?.events).to.equal(benchModes.full.events).and.to.be.above(SCHEMAS_MAX_EVENTS);
      expect(plan?.contenders).to.deep.equal(['engine', 'engine-debezium-avro']);
      // A dataset beyond what the mock cluster keeps is not refused here: the preload's checkWhole says so.
      const quick = await parseBenchArgs(['--quick', '--contenders', 'engine-debezium-avro']);
      expect(quick?.contenders).to.deep.equal(['engine-debezium-avro']);
    });

    it('--quick takes the quick defaults; explicit flags still win', async () => {
      const quick = await parseBenchArgs(['--quick']);
      expect(quick).to.deep.include({ mode: 'quick', events: benchModes.quick.events, repeat: 1, perRowMs: benchModes.quick.perRowMs });
      const tuned = await parseBenchArgs([
        '--quick',
        '--events',
        '50000',
        '--repeat',
        '2',
        '--per-row-duration',
        '3s',
        '--latency-duration',
        '0',
      ]);
      expect(tuned).to.deep.include({ mode: 'quick', events: 50_000, repeat: 2, perRowMs: 3000, latencyMs: 0 });
    });

    it('--pg-delay takes a duration (the one-way delay of the second round) and refuses anything else, naming it', async () => {
      expect((await parseBenchArgs(['--pg-delay', '1ms']))?.pgDelayMs).to.equal(1);
      expect((await parseBenchArgs(['--pg-delay', '0']))?.pgDelayMs).to.equal(0);
      expect((await optionRejection(parseBenchArgs(['--pg-delay', 'far']))).option).to.equal('--pg-delay');
    });

    it('writes the chart next to the JSON unless --svg says otherwise', async () => {
      expect((await parseBenchArgs(['--json', 'bench/results/latest.json']))?.svgPath).to.equal('bench/results/latest.svg');
      expect((await parseBenchArgs(['--json', 'out/run']))?.svgPath).to.equal('out/run.svg');
      expect((await parseBenchArgs(['--json', 'a.json', '--svg', 'b.svg']))?.svgPath).to.equal('b.svg');
    });

    it('selects contenders by name and rejects unknown ones, naming the flag', async () => {
      expect((await parseBenchArgs(['--contenders', 'engine,copy-ceiling,engine']))?.contenders).to.deep.equal(['engine', 'copy-ceiling']);
      const err = await optionRejection(parseBenchArgs(['--contenders', 'engine,kafka-connect']));
      expect(err.option).to.equal('--contenders');
      expect(err.message).to.include('unknown contender "kafka-connect"');
    });

    it('passes extra engine arguments through, split on spaces', async () => {
      expect((await parseBenchArgs([]))?.engineArgs).to.deep.equal([]);
      expect((await parseBenchArgs(['--engine-args= --kafka-config  fetch.queue.backoff.ms=10 ']))?.engineArgs).to.deep.equal([
        '--kafka-config',
        'fetch.queue.backoff.ms=10',
      ]);
    });

    it('rejects bad values and unknown flags', async () => {
      expect((await optionRejection(parseBenchArgs(['--events', '12']))).option).to.equal('--events');
      expect((await optionRejection(parseBenchArgs(['--per-row-duration', '10']))).option).to.equal('--per-row-duration');
      expect((await optionRejection(parseBenchArgs(['--latency-rate', '0']))).option).to.equal('--latency-rate');
      await optionRejection(parseBenchArgs(['--fast']));
    });
  });

  describe('npm run demo', () => {
    it('--format debezium --schemas runs the Debezium path; another format is refused naming the flag', async () => {
      expect(await parseDemoArgs(['--format', 'debezium', '--schemas'])).to.deep.include({ format: 'debezium', schemas: true });
      let error: Error | undefined;
      try {
        await parseDemoArgs(['--format', 'avro']);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).to.match(/^invalid --format "avro": expected one of seed, debezium/);
    });

    it('--encoding avro goes with --format debezium only', async () => {
      expect(await parseDemoArgs(['--format', 'debezium', '--encoding', 'avro'])).to.deep.include({ format: 'debezium', encoding: 'avro' });
      expect((await optionRejection(parseDemoArgs(['--encoding', 'avro']))).message).to.equal(
        'invalid --encoding avro: only with --format debezium (the seed format is JSON)',
      );
    });

    it('produces 2,000 events/s for 5 s by default', async () => {
      expect(await parseDemoArgs([])).to.deep.equal({
        rate: 2000,
        count: undefined,
        durationMs: 5000,
        seed: undefined,
        format: 'seed',
        schemas: false,
        encoding: 'json',
        keep: false,
        verbose: false,
      });
    });

    it('passes --rate, --count and --duration through; a count alone is not cut short by the default duration', async () => {
      expect(await parseDemoArgs(['--rate', '500', '--duration', '2s'])).to.deep.include({ rate: 500, durationMs: 2000, count: undefined });
      expect(await parseDemoArgs(['--count', '1000'])).to.deep.include({ count: 1000, durationMs: undefined });
      expect(await parseDemoArgs(['--count', '1000', '--duration', '3s'])).to.deep.include({ count: 1000, durationMs: 3000 });
      expect(await parseDemoArgs(['--rate', '0', '--count', '50000', '--seed', '7'])).to.deep.include({ rate: 0, count: 50_000, seed: 7 });
    });

    it('rejects a demo with no end and bad values', async () => {
      expect((await optionRejection(parseDemoArgs(['--duration', '0']))).option).to.equal('--duration');
      expect((await optionRejection(parseDemoArgs(['--rate', 'fast']))).option).to.equal('--rate');
      expect((await optionRejection(parseDemoArgs(['--count', '0']))).option).to.equal('--count');
    });
  });

  for (const [set, specs] of Object.entries({ bench: benchOptions, demo: demoOptions, soak: soakOptions })) {
    it(`${set}: every duration and size option with a number default declares its unit`, () => expectUnitsDeclared(set, specs));
  }
});
