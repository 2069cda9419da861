/**
 * Micro-benchmark of the seed decoders alone (no Kafka, no Postgres): the JSON.parse decoder
 * (lib/sinks/formats/seed.ts) and the byte scanner in front of it (lib/sinks/formats/seed-scan.ts), on
 * the same generated events held in one ArrayBuffer as a worker's unpacked batch holds them.
 *
 *   node dist/bench/decode-micro.js [--events 100000] [--runs 3]
 *
 * Per run: µs per event and bytes allocated per event (the median over chunks of 1,000 events of the
 * heap growth, chunks during which a collection ran left out). For collections, run it with --trace-gc.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createGenerator } from '../lib/generator/index.js';
import { compileSeedDecoder } from '../lib/sinks/formats/seed.js';
import { compileFastSeedDecoder } from '../lib/sinks/formats/seed-scan.js';
import { shippedMapping } from '../lib/sinks/mapping.js';
import { compileMapping } from '../lib/sinks/sink.js';
import type { DecodeResult, RowEvent } from '../lib/sinks/types.js';

type Decoder = (value: Uint8Array | null) => DecodeResult<RowEvent>;

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } } });
const count = Number(args.events);
const runs = Number(args.runs);
const CHUNK = 1_000;

const sinks = compileMapping(shippedMapping('seed'), 'public');
const decoders = {
  'JSON.parse': new Map(sinks.map((s) => [s.topic, compileSeedDecoder(s.declaration, s.layout) as Decoder])),
  scanner: new Map(sinks.map((s) => [s.topic, compileFastSeedDecoder(s.declaration, s.layout) as Decoder])),
};

let ms = 1_750_000_000_000;
const generator = createGenerator({ seed: 1, now: () => (ms += 0.05) });
const events = Array.from({ length: count }, () => generator.next());
const memory = new ArrayBuffer(events.reduce((n, e) => n + e.value.length, 0));
let at = 0;
const values = events.map((e) => {
  const view = new Uint8Array(memory, at, e.value.length);
  view.set(e.value);
  at += e.value.length;
  return view;
});
const topics = events.map((e) => e.topic);

/** Decodes every event once; returns µs per event and the median heap growth per event. */
function run(byTopic: Map<string, Decoder>): { usPerEvent: number; bytesPerEvent: number; kept: number } {
  const growth: number[] = [];
  // The results are kept per chunk, as a worker keeps a batch's events until it has folded them.
  let kept = 0;
  const started = performance.now();
  for (let from = 0; from < count; from += CHUNK) {
    const before = process.memoryUsage().heapUsed;
    const out = new Array<DecodeResult<RowEvent>>(CHUNK);
    const to = Math.min(count, from + CHUNK);
    for (let i = from; i < to; i++) out[i - from] = (byTopic.get(topics[i] as string) as Decoder)(values[i] as Uint8Array);
    const delta = process.memoryUsage().heapUsed - before;
    if (delta > 0) growth.push(delta / (to - from));
    for (let i = 0; i < to - from; i++) if (out[i]?.ok) kept++;
  }
  const usPerEvent = ((performance.now() - started) * 1000) / count;
  growth.sort((a, b) => a - b);
  return { usPerEvent, bytesPerEvent: growth[growth.length >> 1] ?? Number.NaN, kept };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

for (const byTopic of Object.values(decoders)) run(byTopic); // warm-up
for (let r = 1; r <= runs; r++) {
  for (const [name, byTopic] of Object.entries(decoders)) {
    await tick();
    const result = run(byTopic);
    if (result.kept !== count) throw new Error(`${name}: ${count - result.kept} events refused`);
    console.log(`run ${r} ${name.padEnd(10)} ${result.usPerEvent.toFixed(2)} µs/event  ${Math.round(result.bytesPerEvent)} B/event`);
  }
}
