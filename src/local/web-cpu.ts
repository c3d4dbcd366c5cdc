// Mean CPU of the running web containers, from one `docker stats` sample each (the engine keeps
// the previous reading, so one call gives a rate).
import { docker } from './engine/docker.ts';
import type { Spec } from '../spec/schema.ts';
import { runningWebNodes } from './scale.ts';

interface CpuStats {
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number };
}

/** Percent of one container's CPU allowance (all host cores), averaged over the web nodes. */
export async function webCpuPercent(spec: Spec): Promise<number | undefined> {
  const names = await runningWebNodes(spec);
  const samples = await Promise.all(
    names.map(async (name) => {
      try {
        const s = (await docker().getContainer(name).stats({ stream: false })) as unknown as CpuStats;
        const cpu = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
        const sys = s.cpu_stats.system_cpu_usage - s.precpu_stats.system_cpu_usage;
        return sys > 0 ? (cpu / sys) * 100 : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  const ok = samples.filter((x): x is number => x !== undefined);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : undefined;
}
