/**
 * Resident memory of a process, sampled from /proc/<pid>/status: VmRSS now and VmHWM, the kernel's own
 * peak, so a spike between two samples is still seen.
 */
import { readFileSync } from 'node:fs';

export interface MemorySample {
  at: number;
  rssKb: number;
}

function readStatus(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (!rss || !hwm) return undefined; // a zombie has no memory lines
    return { rssKb: Number(rss[1]), hwmKb: Number(hwm[1]) };
  } catch {
    return undefined; // gone
  }
}

export class MemorySampler {
  readonly samples: MemorySample[] = [];
  #peakKb = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): void {
    const s = readStatus(this.pid);
    if (!s) return;
    this.samples.push({ at: Date.now(), rssKb: s.rssKb });
    this.#peakKb = Math.max(this.#peakKb, s.rssKb, s.hwmKb);
  }

  /** Peak resident set size seen (VmHWM included), in MiB. */
  get peakMb(): number {
    return this.#peakKb / 1024;
  }

  /** Highest and first sampled RSS within [from, to], in MiB. */
  window(from: number, to: number): { firstMb: number; maxMb: number; samples: number } {
    const inside = this.samples.filter((s) => s.at >= from && s.at <= to);
    const first = inside[0]?.rssKb ?? 0;
    const max = inside.reduce((m, s) => Math.max(m, s.rssKb), 0);
    return { firstMb: first / 1024, maxMb: max / 1024, samples: inside.length };
  }

  /** The largest increase of sampled RSS within [from, to] (a later sample minus an earlier one), in MiB. */
  maxRise(from: number, to: number): number {
    let low = Number.POSITIVE_INFINITY;
    let rise = 0;
    for (const s of this.samples) {
      if (s.at < from || s.at > to) continue;
      low = Math.min(low, s.rssKb);
      rise = Math.max(rise, s.rssKb - low);
    }
    return rise / 1024;
  }

  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}
