import { expect } from 'chai';
import { alignColumns, type ContenderSummary, checkTargets, FAIRNESS, formatReport, ratioToEngine } from '../../bench/report.js';
import { sampleReport } from './fixtures.js';

describe('bench/report', () => {
  it('computes the engine rate over each contender', () => {
    const r = sampleReport();
    expect(ratioToEngine(r, 'per-row-insert')).to.equal(50);
    expect(ratioToEngine(r, 'multi-row-insert')).to.equal(2.5);
    expect(ratioToEngine(r, 'copy-ceiling')).to.equal(0.25);
    expect(ratioToEngine(r, 'engine')).to.equal(1);
    expect(ratioToEngine(r, 'nobody')).to.equal(undefined);
  });

  it("checks the issue's targets, including misses and what was not measured", () => {
    const r = sampleReport();
    const checks = checkTargets(r);
    // per-row-insert has no target: its ratio is in the table only.
    expect(checks.map((c) => [c.target, c.actual, c.met])).to.deep.equal([
      ['engine >= 1x multi-row-insert', '2.50x', true],
      ['engine >= 0.5x copy-ceiling', '0.25x', false],
      ["engine CPU per event <= 1x multi-row-insert's", 'n/a', null],
      ['p99 latency <= 60 ms at 5000 events/s', '241 ms', false],
      ['engine peak RSS <= 200 MB', '310 MB', false],
    ]);
    r.contenders[0] = { ...(r.contenders[0] as ContenderSummary), cpuSeconds: { children: 4, postgres: 2, runner: 0 } };
    r.contenders[2] = { ...(r.contenders[2] as ContenderSummary), cpuSeconds: { children: 0, postgres: 3, runner: 7 } };
    // engine 30 µs per event, multi-row-insert 50 µs: 0.6x, met.
    expect(checkTargets(r).find((c) => c.target.startsWith('engine CPU'))).to.deep.include({ actual: '0.60x', met: true });
    // A Debezium form is checked against the engine's seed-format CPU only when it ran: 34 µs is 1.13x 30 µs, met.
    const dbz: ContenderSummary = {
      name: 'engine-debezium',
      events: 200_000,
      seconds: 5,
      eventsPerSec: 40_000,
      cpuSeconds: { children: 4.8, postgres: 2, runner: 0 },
    };
    expect(checkTargets({ ...r, contenders: [...r.contenders, dbz] }).find((c) => c.target.startsWith('engine-debezium'))).to.deep.include({
      target: "engine-debezium CPU per event <= 1.15x engine's",
      actual: '1.13x',
      met: true,
    });
    const slower = { ...dbz, cpuSeconds: { children: 5, postgres: 2, runner: 0 } };
    expect(checkTargets({ ...r, contenders: [...r.contenders, slower] }).find((c) => c.target.startsWith('engine-debezium'))?.met).to.equal(
      false,
    );
    // Avro's CPU per event at most the seed JSON form's: 30 µs against the engine's 30 µs is 1x, met; 31 is not.
    const avro: ContenderSummary = { ...dbz, name: 'engine-debezium-avro', cpuSeconds: { children: 4, postgres: 2, runner: 0 } };
    const withAvro = checkTargets({ ...r, contenders: [...r.contenders, dbz, avro] });
    expect(withAvro.find((c) => c.target.startsWith('engine-debezium-avro'))).to.deep.equal({
      target: "engine-debezium-avro CPU per event <= 1x engine's",
      actual: '1.00x',
      met: true,
    });
    // Each Debezium form has its own line: the JSON form's bound is not Avro's.
    expect(withAvro.filter((c) => c.target.startsWith('engine-debezium')).map((c) => c.target)).to.deep.equal([
      "engine-debezium CPU per event <= 1.15x engine's",
      "engine-debezium-avro CPU per event <= 1x engine's",
    ]);
    const slowerAvro = { ...avro, cpuSeconds: { children: 4.2, postgres: 2, runner: 0 } };
    expect(
      checkTargets({ ...r, contenders: [...r.contenders, slowerAvro] }).find((c) => c.target.startsWith('engine-debezium-avro')),
    ).to.deep.include({ actual: '1.03x', met: false });
    const unmeasured = { ...avro, cpuSeconds: undefined };
    expect(
      checkTargets({ ...r, contenders: [...r.contenders, unmeasured] }).find((c) => c.target.startsWith('engine-debezium-avro')),
    ).to.deep.include({ actual: 'n/a', met: null });
    expect(checkTargets(r).some((c) => c.target.startsWith('engine-debezium-avro'))).to.equal(false);
    const none = checkTargets({ ...r, latency: null, engineRssMaxMB: null, contenders: r.contenders.slice(1) });
    expect(none.every((c) => c.met === null && c.actual === 'n/a')).to.equal(true);
  });

  it('aligns columns: first left, the rest right, counting characters not UTF-16 units', () => {
    expect(
      alignColumns([
        ['a', '1'],
        ['bbb', '22'],
        ['😀', '3'],
      ]),
    ).to.deep.equal(['a     1', 'bbb  22', '😀     3']);
  });

  it('prints one row per contender with rates, ratios and runs, then latency, RSS and targets', () => {
    const text = formatReport(sampleReport());
    const lines = text.split('\n');
    expect(lines[0]).to.match(/^contender\s+events\s+seconds\s+events\/s\s+engine is/);
    expect(lines.find((l) => l.startsWith('engine '))).to.match(/200,000\s+4\.00\s+50,000\s+-\s+n\/a\s+48,000 \/ 50,000 \/ 51,000\s+yes$/);
    expect(lines.find((l) => l.startsWith('per-row-insert *'))).to.match(/1,000\s+50\.0x this/);
    expect(lines.find((l) => l.startsWith('copy-ceiling'))).to.match(/0\.25x this/);
    expect(text).to.include('* ran on the first events only');
    expect(text).to.include('latency at 5,000 events/s');
    expect(text).to.include('p50 80 ms, p99 241 ms, max 300 ms');
    expect(text).to.include('engine peak RSS while draining the backlog: 310 MB');
    expect(text).to.match(/engine >= 0\.5x copy-ceiling\s+0\.25x\s+MISSED/);
    expect(text).to.not.match(/>= 30x per-row-insert/);
    expect(text).to.include('machine: 2 CPUs (Test CPU), Node v20.20.2, PostgreSQL 18.4, dev stack');
  });

  it('splits latency at dispatch, and shows CPU µs per event by process for contenders that have it', () => {
    const r = sampleReport();
    r.contenders[0] = {
      ...(r.contenders[0] as ContenderSummary),
      cpuSeconds: { children: 6, postgres: 3.5, runner: 0.5 },
      cpuSecondsWholeRun: { children: 8, postgres: 3.6, runner: 0.6 },
    };
    r.contenders[3] = { ...(r.contenders[3] as ContenderSummary), cpuSeconds: { children: 0, postgres: 1, runner: 0.1 } };
    const text = formatReport(r);
    expect(text).to.include(
      'of which Kafka timestamp -> batch dispatched: p50 30 ms, p99 150 ms; dispatched -> committed: p50 50 ms, p99 90 ms',
    );
    const lines = text.split('\n');
    // From the first consumed message to the last commit, then the whole run beside it.
    expect(lines.find((l) => l.startsWith('  engine '))).to.match(/30 µs\s+18 µs\s+3 µs\s+50 µs\s+61 µs$/);
    expect(lines.find((l) => l.startsWith('  copy-ceiling '))).to.match(/0 µs\s+5 µs\s+1 µs\s+6 µs\s+n\/a$/);
    expect(lines.some((l) => l.startsWith('  multi-row-insert '))).to.equal(false);
    // And in the main table, as a column of its own.
    expect(lines.find((l) => l.startsWith('engine '))).to.match(/\s50\s+48,000/);
    expect(formatReport(sampleReport())).to.not.include('CPU µs per event');
  });

  it('marks a contender whose tables did not match the model', () => {
    const r = sampleReport();
    (r.contenders[2] as { verified?: boolean }).verified = false;
    expect(
      formatReport(r)
        .split('\n')
        .find((l) => l.startsWith('multi-row-insert')),
    ).to.match(/NO$/);
  });

  it('states the load average, since other work on the machine skews the figures', () => {
    const r = sampleReport();
    r.machine.loadAverage = { start: 0.5, end: 2.25 };
    expect(formatReport(r)).to.include('load average (1 min) at start 0.50, at end 2.25, on 2 CPUs');
    // What is not the engine's design is said with every report.
    for (const line of FAIRNESS) expect(formatReport(r)).to.include(line);
  });

  it('prints the --pg-delay round as a second table with its own ratios and latency', () => {
    const r = sampleReport();
    r.delayed = {
      oneWayMs: 1,
      contenders: [
        { name: 'engine', events: 100_000, seconds: 4, eventsPerSec: 25_000, verified: true },
        { name: 'multi-row-insert', events: 100_000, seconds: 20, eventsPerSec: 5_000, verified: true },
      ],
      latency: { rate: 5000, p50Ms: 30, p99Ms: 90, maxMs: 120 },
    };
    const lines = formatReport(r).split('\n');
    const at = lines.findIndex((l) => l.startsWith('with Postgres 1 ms away each way'));
    expect(at).to.be.greaterThan(0);
    const after = lines.slice(at);
    expect(after.find((l) => l.startsWith('multi-row-insert'))).to.match(/5,000\s+5\.00x this/);
    expect(after.find((l) => l.startsWith('latency at'))).to.contain('p99 90 ms');
    // The targets stay those of the direct round.
    expect(lines.find((l) => l.includes('engine >= 1x multi-row-insert'))).to.contain('2.50x');
  });
});
