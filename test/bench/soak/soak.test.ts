import { expect } from 'chai';
import { killSignal, nextChange } from '../../../bench/soak/churn.js';
import { parseSoakArgs, soakDefaults } from '../../../bench/soak/options.js';
import { findStalls } from '../../../bench/soak/stalls.js';
import { clock, fitLine, formatSeries, type RssSample, rssVerdict } from '../../../bench/soak/trend.js';
import { createPrng } from '../../../lib/loadgen/generator/index.js';
import { optionRejection } from '../../support/errors.js';

/** A 20-minute series every 10 s: `mbAt(minutes)` plus deterministic noise of +-`noise` MB. */
function series(mbAt: (min: number) => number, noise = 0, minutes = 20): RssSample[] {
  const prng = createPrng(7);
  const out: RssSample[] = [];
  for (let t = 10; t <= minutes * 60; t += 10) out.push({ tSec: t, mb: mbAt(t / 60) + (prng.float53() * 2 - 1) * noise });
  return out;
}

const bounds = { warmUpSec: 120, endSec: 1200, minSpanSec: 600, maxSlopeMbPerMin: 0.2 };

describe('bench/soak', () => {
  describe('options', () => {
    it('defaults: 20 minutes at 2,000 events/s, a change a minute, 3 consumers, samples every 10 s, 2 minutes of warm-up', async () => {
      expect(await parseSoakArgs([])).to.deep.equal({
        durationMs: 1_200_000,
        rate: 2000,
        changeEveryMs: 60_000,
        maxConsumers: 3,
        sampleEveryMs: 10_000,
        warmUpMs: 120_000,
        maxSlopeMbPerMin: soakDefaults.maxSlopeMbPerMin,
        seed: undefined,
        jsonPath: undefined,
        verbose: false,
      });
    });

    it('takes every flag; a short run gets a quarter of its duration as warm-up unless --warm-up says otherwise', async () => {
      const plan = await parseSoakArgs(
        [
          '--duration',
          '2m',
          '--rate',
          '500',
          '--change-every',
          '20s',
          '--max-consumers',
          '4',
          '--seed',
          '9',
          '--json',
          '/tmp/s.json',
        ].concat(['--sample-every', '5s', '--max-slope', '0.5', '--verbose']),
      );
      expect(plan).to.deep.include({
        durationMs: 120_000,
        rate: 500,
        changeEveryMs: 20_000,
        maxConsumers: 4,
        seed: 9,
        jsonPath: '/tmp/s.json',
        sampleEveryMs: 5000,
        maxSlopeMbPerMin: 0.5,
        verbose: true,
        warmUpMs: 30_000,
      });
      expect((await parseSoakArgs(['--duration', '2m', '--warm-up', '10s']))?.warmUpMs).to.equal(10_000);
    });

    it('rejects values that leave nothing to run or judge, naming the flag', async () => {
      expect((await optionRejection(parseSoakArgs(['--duration', '0']))).option).to.equal('--duration');
      expect((await optionRejection(parseSoakArgs(['--change-every', '0']))).option).to.equal('--change-every');
      expect((await optionRejection(parseSoakArgs(['--duration', '5m', '--warm-up', '5m']))).option).to.equal('--warm-up');
      expect((await optionRejection(parseSoakArgs(['--max-consumers', '1']))).message).to.include('--max-consumers');
      expect((await optionRejection(parseSoakArgs(['--rate', 'fast']))).message).to.include('--rate');
      await optionRejection(parseSoakArgs(['--no-such-flag']));
    });

    it('--help explains every flag', async () => {
      const written: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => written.push(args.join(' '));
      try {
        expect(await parseSoakArgs(['--help'])).to.equal(undefined);
      } finally {
        console.log = log;
      }
      const help = written.join('\n');
      for (const flag of [
        'duration',
        'rate',
        'change-every',
        'max-consumers',
        'sample-every',
        'warm-up',
        'max-slope',
        'seed',
        'json',
        'verbose',
      ]) {
        expect(help).to.include(`--${flag}`);
      }
      expect(help).to.include('[default: 20m]');
    });
  });

  describe('the trend fit', () => {
    it('recovers a line exactly, and refuses fewer than two distinct x values', () => {
      const fit = fitLine([0, 1, 2, 3].map((x) => ({ x, y: 3 - 0.5 * x })));
      expect(fit?.slope).to.be.closeTo(-0.5, 1e-12);
      expect(fit?.intercept).to.be.closeTo(3, 1e-12);
      expect(fitLine([{ x: 1, y: 2 }])).to.equal(undefined);
      expect(fitLine([1, 1, 1].map((y) => ({ x: 5, y })))).to.equal(undefined);
    });

    it('keeps its precision on large x values', () => {
      const t0 = 1.7e9;
      const fit = fitLine([0, 10, 20, 30].map((dx) => ({ x: t0 + dx, y: 100 + 0.01 * dx })));
      expect(fit?.slope).to.be.closeTo(0.01, 1e-9);
    });
  });

  describe('the RSS verdict', () => {
    it('a flat series with noise passes, and its summary covers the samples after the warm-up', () => {
      const v = rssVerdict(
        series(() => 200, 3),
        bounds,
      );
      expect(v.ok, v.failures.join()).to.equal(true);
      expect(v.samples).to.equal(109); // 2:00 to 20:00 every 10 s
      expect(v.minMb).to.be.within(197, 200);
      expect(v.maxMb).to.be.within(200, 203);
      expect(Math.abs(v.slopeMbPerMin)).to.be.below(0.1);
      expect(v.quarterRiseBoundMb).to.be.closeTo(2, 1e-9);
    });

    it('ignores growth during the warm-up', () => {
      const v = rssVerdict(
        series((m) => (m < 2 ? 100 + 50 * m : 200)),
        bounds,
      );
      expect(v.ok, v.failures.join()).to.equal(true);
      expect(v.startMb).to.equal(200);
    });

    it('a steady leak above the bound fails on the slope and on the quarters', () => {
      const v = rssVerdict(
        series((m) => 200 + 0.3 * m, 1),
        bounds,
      );
      expect(v.ok).to.equal(false);
      expect(v.slopeMbPerMin).to.be.closeTo(0.3, 0.05);
      expect(v.failures.join('\n')).to.match(/grows 0\.\d+ MB\/min after the warm-up, above the bound of 0\.2/);
      expect(v.failures.join('\n')).to.match(/last quarter's mean RSS is \d\.\d MB above the second quarter's/);
    });

    it('a leak just under the bound passes', () => {
      expect(
        rssVerdict(
          series((m) => 200 + 0.15 * m),
          bounds,
        ).ok,
      ).to.equal(true);
    });

    it('growth that starts in the last quarter fails on the quarters even when the overall slope is small', () => {
      const v = rssVerdict(
        series((m) => (m < 17 ? 200 : 200 + 2.5 * (m - 17))),
        bounds,
      );
      expect(v.slopeMbPerMin).to.be.below(0.2);
      expect(v.ok).to.equal(false);
      expect(v.failures).to.have.length(1);
      expect(v.failures[0]).to.include("last quarter's mean");
    });

    it('a shrinking series passes', () => {
      expect(
        rssVerdict(
          series((m) => 250 - 2 * m),
          bounds,
        ).ok,
      ).to.equal(true);
    });

    it('too few samples over a long enough run is a failure, not a pass', () => {
      const v = rssVerdict(
        series(() => 200).filter((s) => s.tSec % 300 === 0),
        bounds,
      );
      expect(v.ok).to.equal(false);
      expect(v.failures[0]).to.match(/^too few samples to judge: 4 after the warm-up/);
      expect(rssVerdict([], bounds).failures[0]).to.include('too few samples');
    });

    it('gives no verdict on a run too short to tell a trend from noise, whatever the samples say', () => {
      const short = { warmUpSec: 30, endSec: 120, minSpanSec: 600, maxSlopeMbPerMin: 0.2 };
      for (const v of [
        rssVerdict(
          series((m) => 200 + 10 * m, 0, 2),
          short,
        ),
        rssVerdict(
          series(() => 200, 0, 2),
          short,
        ),
      ]) {
        expect(v).to.deep.include({ ok: true, judged: false, failures: [] });
        expect(v.notJudged).to.equal('1.5 minutes after the warm-up, at least 10 needed for a verdict');
        expect(v.samples).to.equal(10);
      }
      expect(
        rssVerdict(
          series(() => 200),
          bounds,
        ).judged,
      ).to.equal(true);
    });

    it('judges only samples taken up to the end of the period', () => {
      const s = [...series(() => 200), { tSec: 1300, mb: 900 }];
      expect(rssVerdict(s, bounds).maxMb).to.equal(200);
    });
  });

  describe('stalled partitions', () => {
    const snapshots = [
      { tSec: 60, offsets: { 'o/0': 100, 'o/1': 100, 'u/0': 50 } },
      { tSec: 120, offsets: { 'o/0': 200, 'o/1': 150, 'u/0': 50 } },
      { tSec: 180, offsets: { 'o/0': 300, 'o/1': 150, 'u/0': 50 } },
      { tSec: 240, offsets: { 'o/0': 400, 'o/1': 150, 'u/0': 90 } },
      { tSec: 300, offsets: { 'o/0': 400, 'o/1': 500, 'u/0': 90 } },
    ];
    const end = new Map([
      ['o/0', 400],
      ['o/1', 600],
      ['u/0', 200],
      ['u/1', 10],
    ]);

    it("reports the longest run of an unchanged offset below the partition's end, when it lasts long enough", () => {
      expect(findStalls(snapshots, end, 120)).to.deep.equal([
        { partition: 'o/1', offset: 150, fromSec: 120, toSec: 240 },
        { partition: 'u/0', offset: 50, fromSec: 60, toSec: 180 },
        { partition: 'u/1', offset: 0, fromSec: 60, toSec: 300 },
      ]);
    });

    it('a partition that reached its end is done, not stalled; short pauses are not stalls', () => {
      expect(findStalls(snapshots, end, 121).map((s) => s.partition)).to.deep.equal(['u/1']);
      expect(findStalls(snapshots.slice(3), new Map([['o/0', 400]]), 0)).to.deep.equal([]);
    });
  });

  describe('the churn schedule', () => {
    it('alternates kills and additions, a kill first', () => {
      expect(nextChange(undefined, 2, 2)).to.equal('kill');
      expect(nextChange('kill', 1, 2)).to.equal('add');
      expect(nextChange('add', 2, 2)).to.equal('kill');
    });

    it('does the other change when the alternation cannot be followed, and nothing when neither can', () => {
      expect(nextChange('add', 0, 2)).to.equal('add');
      expect(nextChange('kill', 2, 2)).to.equal('kill');
      expect(nextChange(undefined, 0, 0)).to.equal(undefined);
    });

    it('alternates SIGKILL and SIGTERM, SIGKILL first', () => {
      expect([0, 1, 2, 3].map(killSignal)).to.deep.equal(['SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGTERM']);
    });
  });

  describe('output', () => {
    it('prints the clock as m:ss and the series six samples to a line', () => {
      expect([0, 9.6, 70, 1200].map(clock)).to.deep.equal(['0:00', '0:10', '1:10', '20:00']);
      const lines = formatSeries(series(() => 212.34, 0, 2));
      expect(lines).to.have.length(2);
      expect(lines[0]).to.equal(['0:10', '0:20', '0:30', '0:40', '0:50', '1:00'].map((t) => ` ${t}  212.3`).join('   '));
    });
  });
});
