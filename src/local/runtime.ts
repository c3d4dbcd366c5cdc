// The local target's ClusterRuntime: the cluster as Docker containers on this machine's engine.
// Operations (the autoscaler's loop, load fixtures, drills) and the target-neutral CLI commands
// reach the local cluster through this alone; everything Docker stays under src/local/.
import type { ClusterRuntime } from '../runtime/cluster.ts';
import type { LoadedSpec } from '../spec/read.ts';
import { withBundleAddition } from './bundle-edit.ts';
import { withPluginBump } from './plugin-bump.ts';
import { requireDocker } from './engine/docker.ts';
import { containerLogs, exec, killContainer, pauseContainer, restartContainer, startContainer, unpauseContainer } from './containers.ts';
import { down } from './down.ts';
import { logEvent, recentEvents } from './events-log.ts';
import { WEB_CHECK } from './haproxy.ts';
import { lbServers } from './lb-runtime.ts';
import { mailUrl } from './mail.ts';
import { lastMigrateRun } from './migrate-log.ts';
import { migrateNow } from './migrate-run.ts';
import { migrateStatus } from './migrate-status.ts';
import { clusterNames } from './names.ts';
import { waitReady } from './readiness.ts';
import { runningCode } from './running-code.ts';
import { runningWebNodes, scaleTo } from './scale.ts';
import { clusterMembers } from './status.ts';
import { up } from './up.ts';
import { webCpuPercent } from './web-cpu.ts';

/** The runtime of the local cluster `loaded` describes (members are containers named after it). */
export function localRuntime(loaded: LoadedSpec): ClusterRuntime {
  const { spec } = loaded;
  const names = clusterNames(spec.name);
  return {
    loaded,
    mailUrl: mailUrl(spec),
    requireEngine: async () => {
      await requireDocker();
    },
    members: (service) => clusterMembers(spec, service),
    memberName: (service, index) => names.container(service, index),
    webNodes: () => runningWebNodes(spec),
    runningCode: () => runningCode(spec.name),
    lbServers: () => lbServers(spec),
    lbHealthCheck: WEB_CHECK,
    scale: (desired, onStep) => scaleTo(spec, desired, onStep),
    exec: (member, argv) => exec(member, argv),
    logs: (member, opts) => containerLogs(member, opts),
    kill: (member) => killContainer(member),
    start: (member) => startContainer(member),
    pause: (member) => pauseContainer(member),
    unpause: (member) => unpauseContainer(member),
    restart: (member, graceS) => restartContainer(member, graceS),
    waitReady: (member, timeoutMs) => waitReady(member, timeoutMs),
    webCpuPercent: () => webCpuPercent(spec),
    logEvent: async (e) => logEvent(spec.name, e),
    recentEvents: async (count) => recentEvents(spec.name, count),
    migrate: (progress, opts) => migrateNow(loaded, progress, opts),
    migrateStatus: () => migrateStatus(loaded),
    migrateLog: async () => lastMigrateRun(spec.name),
    up: async (progress, opts) => {
      const cleanups: Array<() => void> = [];
      let run = loaded;
      try {
        if (opts?.bundleAddition) {
          const edited = withBundleAddition(run, opts.bundleAddition);
          cleanups.push(edited.cleanup);
          run = edited.loaded;
        }
        if (opts?.pluginBump) {
          const bumped = withPluginBump(run, opts.pluginBump.component);
          cleanups.push(bumped.cleanup);
          progress.info(`${opts.pluginBump.component}: version ${bumped.from} -> ${bumped.to} for this up`);
          run = bumped.loaded;
        }
        return await up(run, progress);
      } finally {
        for (const c of cleanups) c();
      }
    },
    down: (opts, progress) => down(spec.name, opts, progress),
  };
}
