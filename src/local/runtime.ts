// The local target's ClusterRuntime: the cluster as Docker containers on this engine. It only
// delegates to the modules that do the work (containers, scale, the load balancer, up/down), so
// operations and the CLI reach the local cluster through the interface alone.
import type { LoadedSpec } from '../spec/load.ts';
import type { ClusterEvent, ClusterRuntime, Member, ServiceName } from '../runtime/cluster.ts';
import { docker, requireDocker } from '../image/docker.ts';
import { exec } from './containers.ts';
import { down } from './down.ts';
import { logEvent, recentEvents } from './events-log.ts';
import { WEB_CHECK } from './haproxy.ts';
import { clusterNames } from './names.ts';
import { waitReady } from './readiness.ts';
import { runningWebNodes, scaleTo } from './scale.ts';
import { clusterStatus, lbStats } from './status.ts';
import { up } from './up.ts';
import { webCpuPercent } from './web-cpu.ts';

export function localRuntime(loaded: LoadedSpec): ClusterRuntime {
  const { spec } = loaded;
  const names = clusterNames(spec.name);
  return {
    loaded,
    requireEngine: async () => {
      await requireDocker();
    },
    async members(service?: ServiceName): Promise<Member[]> {
      const { services } = await clusterStatus(spec);
      return services
        .filter((s) => service === undefined || s.service === service)
        .map((s) => ({ name: s.name, service: s.service as ServiceName, running: s.state === 'running', state: s.state, health: s.health }));
    },
    memberName: (service, index) => names.container(service, index),
    webNodes: () => runningWebNodes(spec),
    lbServers: () => lbStats(spec),
    lbHealthCheck: WEB_CHECK,
    scale: (desired, onStep) => scaleTo(spec, desired, onStep),
    exec: (member, argv) => exec(member, argv),
    kill: async (member) => {
      await docker().getContainer(member).kill({ signal: 'SIGKILL' });
    },
    start: async (member) => {
      await docker()
        .getContainer(member)
        .start()
        .catch((e: { statusCode?: number }) => {
          if (e.statusCode !== 304) throw e; // 304: already running
        });
    },
    restart: async (member, graceS) => {
      await docker().getContainer(member).restart({ t: graceS });
    },
    waitReady: (member, timeoutMs) => waitReady(member, timeoutMs),
    webCpuPercent: () => webCpuPercent(spec),
    logEvent: (e: ClusterEvent) => logEvent(spec.name, e),
    recentEvents: (count) => recentEvents(spec.name, count),
    up: (progress) => up(loaded, progress),
    down: (opts, progress) => down(spec.name, opts, progress),
  };
}
