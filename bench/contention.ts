// How busy the shared machine was while a benchmark measured: the host's 1-minute load average,
// sampled every few seconds, and the other moodle-ha clusters running meanwhile (CI, other
// engineers). On 2 cores a load average above 2 means work waited for a CPU.
import { loadavg } from 'node:os';
import { LABELS } from '../src/contract/image.ts';
import { docker } from '../src/local/engine/docker.ts';

export interface LoadAverage {
  /** Mean and highest 1-minute load average sampled in the period; NaN when none was taken. */
  readonly mean: number;
  readonly max: number;
  readonly samples: number;
}

/** Samples os.loadavg()[0] every `everyMs` until stopped; summarises any period of the run. */
export class HostLoad {
  private readonly samples: Array<{ readonly at: number; readonly value: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  start(everyMs = 5000): void {
    const take = () => this.samples.push({ at: Date.now(), value: loadavg()[0]! });
    take();
    this.timer = setInterval(take, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The samples taken from `from` to `to` (epoch ms), or the one just before when none fell in it. */
  between(from: number, to: number = Date.now()): LoadAverage {
    let values = this.samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.value);
    if (!values.length)
      values = this.samples
        .filter((s) => s.at < from)
        .slice(-1)
        .map((s) => s.value);
    const round = (x: number) => Math.round(x * 100) / 100;
    if (!values.length) return { mean: NaN, max: NaN, samples: 0 };
    return { mean: round(values.reduce((a, b) => a + b, 0) / values.length), max: round(Math.max(...values)), samples: values.length };
  }
}

/** Names of the other moodle-ha clusters with running containers now (not `own`). */
export async function otherClusters(own: string): Promise<string[]> {
  const running = await docker()
    .listContainers()
    .catch(() => []);
  return [...new Set(running.map((c) => c.Labels[LABELS.cluster]).filter((n): n is string => !!n && n !== own))].sort();
}
