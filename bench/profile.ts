/**
 * Reads the V8 CPU profiles `node --cpu-prof` writes (one per thread: the main thread and each worker)
 * and says where each thread's time went: busy versus idle, and the functions with the most self time.
 * `npm run bench -- --cpu-prof DIR` profiles the engine and prints this after the run.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  wallMs: number;
  /** Sampled time outside (idle): JavaScript, GC, compiling, native calls. */
  busyMs: number;
  idleMs: number;
  /** Functions by self time, most first. */
  top: Array<{ name: string; ms: number }>;
}

function frameName(f: CallFrame): string {
  const file = f.url.split('/').slice(-2).join('/');
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

export function summarizeProfile(profile: CpuProfile, topN = 10): ProfileSummary {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = frames.get(id);
    if (!frame) return;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      return;
    }
    busyUs += us;
    const name = frameName(frame);
    self.set(name, (self.get(name) ?? 0) + us);
  });
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([name, us]) => ({ name, ms: us / 1000 })),
  };
}

export function formatProfile(label: string, s: ProfileSummary): string {
  const lines = [
    `${label}: ${Math.round(s.wallMs)} ms profiled, ${Math.round(s.busyMs)} ms busy (${Math.round((100 * s.busyMs) / Math.max(1, s.wallMs))}%), ${Math.round(s.idleMs)} ms idle`,
  ];
  for (const t of s.top) lines.push(`  ${String(Math.round(t.ms)).padStart(6)} ms  ${t.name}`);
  return lines.join('\n');
}

/** Every profile in a directory, the main thread's first (node names them CPU.<date>.<pid>.<thread>.<seq>). */
export async function readProfiles(dir: string): Promise<Array<{ file: string; summary: ProfileSummary }>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const out: Array<{ file: string; summary: ProfileSummary }> = [];
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    out.push({ file, summary: summarizeProfile(profile) });
  }
  return out;
}
