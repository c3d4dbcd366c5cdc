// CPU accounting around a measurement, because the machine is shared: CPU time of the bench
// cluster's containers (cgroup v1 cpuacct or v2 cpu.stat), of this process (the load generator)
// and of the whole host (/proc/stat). What is left is other work that competed with the run.
// Container figures are n/a when the cgroup files are not visible from here.
import { readFileSync } from 'node:fs';
import { LABELS } from '../src/contract/image.ts';
import { docker } from '../src/local/engine/docker.ts';

interface CpuSnapshot {
  readonly at: number;
  /** Container id → its service label and CPU seconds so far (containers whose cgroup could be read). */
  readonly containers: Readonly<Record<string, { readonly service: string; readonly seconds: number }>>;
  /** Containers listed but whose cgroup could not be read. */
  readonly unreadable: number;
  readonly hostBusy: number;
  readonly self: number;
}

export interface CpuUse {
  /** CPU seconds used by the bench cluster's containers during the phase (NaN if unknown). */
  readonly containersSeconds: number;
  /** The same by service label (lb, web, db, redis, bench-direct, ...). */
  readonly byService: Readonly<Record<string, number>>;
  /** CPU seconds of this process (the load generator) and its finished children (the CLI runs). */
  readonly benchSeconds: number;
  /** CPU seconds of everything else on the host (other clusters, builds, tests). */
  readonly otherSeconds: number;
  /** Share of the host's CPUs that everything else used, 0..1. */
  readonly otherShare: number;
  readonly wallSeconds: number;
}

function readNumber(file: string, re?: RegExp): number | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const v = Number(re ? re.exec(text)?.[1] : text.trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A container's CPU seconds so far, from its cgroup (v1 cgroupfs/systemd, or v2). */
function containerSeconds(id: string): number | undefined {
  const ns =
    readNumber(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`) ?? readNumber(`/sys/fs/cgroup/cpuacct/system.slice/docker-${id}.scope/cpuacct.usage`);
  if (ns !== undefined) return ns / 1e9;
  const us =
    readNumber(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, /usage_usec (\d+)/) ??
    readNumber(`/sys/fs/cgroup/docker/${id}/cpu.stat`, /usage_usec (\d+)/);
  return us !== undefined ? us / 1e6 : undefined;
}

/** Busy CPU seconds of the whole host since boot (every field of /proc/stat's cpu line but idle and iowait). */
function hostBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/** CPU seconds of this process plus its reaped children (/proc/self/stat cutime + cstime). */
function selfSeconds(): number {
  const u = process.cpuUsage();
  let children = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    // not Linux: children unknown
  }
  return (u.user + u.system) / 1e6 + children;
}

async function cpuSnapshot(cluster: string): Promise<CpuSnapshot> {
  const list = await docker().listContainers({ filters: { label: [`${LABELS.cluster}=${cluster}`] } });
  const containers: Record<string, { service: string; seconds: number }> = {};
  let unreadable = 0;
  for (const c of list) {
    const seconds = containerSeconds(c.Id);
    if (seconds === undefined) unreadable++;
    else containers[c.Id] = { service: c.Labels[LABELS.service] ?? 'other', seconds };
  }
  return { at: performance.now(), containers, unreadable, hostBusy: hostBusySeconds(), self: selfSeconds() };
}

/**
 * Runs work and accounts the CPU used meanwhile. With `everyMs`, the cluster's containers are
 * sampled periodically, so containers that come and go within the phase (migrate, install) count.
 */
export async function meterCpu<T>(cluster: string, cpus: number, work: () => Promise<T>, everyMs = 0): Promise<{ value: T; cpu: CpuUse }> {
  const first = await cpuSnapshot(cluster);
  let prev = first;
  const byService: Record<string, number> = {};
  let blind = first.unreadable > 0 && Object.keys(first.containers).length === 0;
  const take = async () => {
    const s = await cpuSnapshot(cluster);
    for (const [id, c] of Object.entries(s.containers)) byService[c.service] = (byService[c.service] ?? 0) + c.seconds - (prev.containers[id]?.seconds ?? 0);
    if (s.unreadable > 0 && Object.keys(s.containers).length === 0) blind = true;
    prev = s;
  };
  let chain = Promise.resolve();
  const timer = everyMs > 0 ? setInterval(() => (chain = chain.then(take).catch(() => {})), everyMs) : undefined;
  let value: T;
  try {
    value = await work();
  } finally {
    clearInterval(timer);
    await chain;
  }
  await take();
  const containersSeconds = blind ? NaN : Object.values(byService).reduce((a, b) => a + b, 0);
  const benchSeconds = prev.self - first.self;
  const wallSeconds = (prev.at - first.at) / 1000;
  const otherSeconds = Math.max(0, prev.hostBusy - first.hostBusy - containersSeconds - benchSeconds);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  for (const k of Object.keys(byService)) byService[k] = r3(byService[k]!);
  return {
    value,
    cpu: {
      containersSeconds: r3(containersSeconds),
      byService,
      benchSeconds: r3(benchSeconds),
      otherSeconds: r3(otherSeconds),
      otherShare: r3(otherSeconds / (wallSeconds * cpus)),
      wallSeconds: r3(wallSeconds),
    },
  };
}
