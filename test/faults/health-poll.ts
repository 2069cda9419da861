/**
 * Polls a consumer's /healthz (started with `--metrics-port 0`) in the background through a fault, so a
 * scenario can say when it turned 503, why, and when it was 200 again.
 */
import { waitForEntry } from './group-log.js';
import { sleep, type WatchedRun } from './harness.js';

export interface HealthSample {
  at: number;
  status: number | 'no answer';
  body: { ok?: boolean; kafka?: string; postgres?: string; reason?: string; brokersUnreachable?: string[] } | undefined;
}

export class HealthPoll {
  readonly samples: HealthSample[] = [];
  #running = true;
  #loop: Promise<void> = Promise.resolve();

  private constructor(readonly url: string) {}

  /** Waits for the run's "serving metrics" line and polls its /healthz every `everyMs`. */
  static async start(run: WatchedRun, everyMs = 250): Promise<HealthPoll> {
    const entry = await waitForEntry(run, (e) => e.msg === 'serving metrics', 0, 60_000, 'its metrics address');
    const poll = new HealthPoll(String((entry as { health?: unknown }).health));
    poll.#loop = (async () => {
      while (poll.#running) {
        const at = Date.now();
        try {
          const res = await fetch(poll.url, { signal: AbortSignal.timeout(5000) });
          poll.samples.push({ at, status: res.status, body: (await res.json()) as HealthSample['body'] });
        } catch {
          poll.samples.push({ at, status: 'no answer', body: undefined });
        }
        await sleep(everyMs);
      }
    })();
    return poll;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** The first sample at or after `from` (and before `to`) that matches. */
  first(match: (s: HealthSample) => boolean, from: number, to = Infinity): HealthSample | undefined {
    return this.samples.find((s) => s.at >= from && s.at < to && match(s));
  }

  /** Samples in [from, to) that match. */
  count(match: (s: HealthSample) => boolean, from: number, to = Infinity): number {
    return this.samples.filter((s) => s.at >= from && s.at < to && match(s)).length;
  }
}
