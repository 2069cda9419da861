import { expect } from 'chai';
import { axisScale, escapeXml, renderChart } from '../../bench/svg.js';
import { sampleReport } from './fixtures.js';

function bars(svg: string): Array<{ width: number; fill: string }> {
  return [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="\d+" fill="(#[0-9a-f]+)"/g)].map((m) => ({
    width: Number(m[1]),
    fill: m[2] as string,
  }));
}

describe('bench/svg', () => {
  it('escapes text for XML', () => {
    expect(escapeXml(`a<b>&"c"'`)).to.equal('a&lt;b&gt;&amp;&quot;c&quot;&apos;');
  });

  it('chooses round ticks of about a quarter of the range, and the first tick at or above the maximum', () => {
    expect(axisScale(239_762)).to.deep.equal({ max: 300_000, step: 100_000 });
    expect(axisScale(200_000)).to.deep.equal({ max: 200_000, step: 50_000 });
    expect(axisScale(183_000)).to.deep.equal({ max: 200_000, step: 50_000 });
    expect(axisScale(300)).to.deep.equal({ max: 300, step: 100 });
    expect(axisScale(41_000)).to.deep.equal({ max: 60_000, step: 20_000 });
    expect(axisScale(0)).to.deep.equal({ max: 1, step: 0.25 });
  });

  it('is one standalone SVG document with a bar per contender, widths proportional to events/s', () => {
    const svg = renderChart(sampleReport());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
    expect(svg).to.match(/viewBox="0 0 760 \d+"/);
    for (const name of ['engine', 'per-row-insert *', 'multi-row-insert', 'copy-ceiling']) expect(svg).to.include(`>${name}</text>`);
    const b = bars(svg);
    // 4 contenders, then p50, p99, max.
    expect(b).to.have.length(7);
    const [engine, perRow, multiRow, copy] = b.map((x) => x.width) as [number, number, number, number];
    expect(copy / engine).to.be.closeTo(4, 0.01);
    expect(engine / multiRow).to.be.closeTo(2.5, 0.01);
    expect(perRow).to.be.closeTo(1000 * (430 / 200_000), 0.2); // axis 0..200,000
    expect(svg).to.include('50,000 /s');
    expect(svg).to.include('(engine 0.25x)');
    expect(svg).to.include('p99 target 60 ms');
    expect(svg).to.include('Engine peak RSS while draining the backlog: 310 MB');
    // Every opened text element is closed, and no raw ampersand slips through.
    expect(svg.match(/<text /g)?.length).to.equal(svg.match(/<\/text>/g)?.length);
    expect(svg).not.to.match(/&(?!lt;|gt;|amp;|quot;|apos;)/);
  });

  it('leaves out the latency panel and RSS line when they were not measured, and escapes names', () => {
    const r = sampleReport();
    r.latency = null;
    r.engineRssMaxMB = null;
    r.machine.cpuModel = 'Fast & <Cheap>';
    const svg = renderChart(r);
    expect(bars(svg)).to.have.length(4);
    expect(svg).not.to.include('p99 target');
    expect(svg).not.to.include('peak RSS');
    expect(svg).to.include('Fast &amp; &lt;Cheap&gt;');
    expect(svg).not.to.include('non-default');
  });

  it('draws CPU µs per event as bars stacked by process, for the contenders that have it', () => {
    const r = sampleReport();
    r.contenders[0] = { ...r.contenders[0], cpuSeconds: { children: 6, postgres: 3.5, runner: 0.5 } } as (typeof r.contenders)[number];
    const svg = renderChart(r);
    expect(svg).to.include('CPU µs per event, by process');
    // 200,000 events: 30 + 17.5 + 2.5 = 50 µs per event.
    expect(svg).to.include('50 µs (30 / 18 / 3)');
    expect(bars(svg)).to.have.length(7 + 3);
  });

  it('says when the engine did not run with its defaults', () => {
    const r = sampleReport();
    (r.contenders[0] as { extraArgs?: string }).extraArgs = '--batch-max-rows 100';
    expect(renderChart(r)).to.include('engine ran with non-default arguments: --batch-max-rows 100');
  });
});
