// `up`: brings a local cluster to the spec, step by step, and converges when run again.
// Order: checks (Docker, Moodle tree, ports) → images → secrets → network and volumes → database
// and Redis → migrate (install/upgrade under a lock) → web nodes (until ready) → cron → HAProxy
// → the controller (heals always, autoscales when autoscaler.enabled; stopped while the run changes the cluster).
// Web nodes that serve and would change are replaced one at a time through the running load
// balancer (roll.ts); after an upgrade, users see Moodle's maintenance page for migrate's run, then
// only new code serves (roll.ts, maintenance.ts); ha data members that would change restart one at a
// time (roll-data-docker.ts); cron is stopped before its replacement starts (never two at once).
// A failure removes what this run created, so nothing is left half-started; data volumes that
// existed before are never touched.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RUNTIME_IMAGE } from '../contract/image.ts';
import { SERVICE_UIDS } from '../image/service-images.ts';
import { buildClusterImages } from './images/cluster-images.ts';
import type { UpResult } from '../runtime/cluster.ts';
import type { LoadedSpec } from '../spec/read.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import type { ArchiveFile } from './archive.ts';
import { assertStaysUp, ensureContainer, ensureNetwork, ensureVolume, inspectContainer, removeContainer } from './containers.ts';
import { waitHealthy } from './health.ts';
import { docker, requireDocker } from './engine/docker.ts';
import { InterruptedInstallError, removeMigrateUnlessRunning, runMigrate } from './migrate.ts';
import { MAX_WEB_NODES, plannedWebNodes, scaleIn } from './scale.ts';
import { requireMoodleTree } from '../moodle/tree.ts';
import { clusterNames } from './names.ts';
import { portsInUse } from './ports.ts';
import { waitReady, waitHttp } from './readiness.ts';
import { ensureSecrets, hasSecrets, secretFile } from './secrets.ts';
import { removeStateKeepingMigrateLogs } from './migrate-log.ts';
import { dbContainers, endpointsContainer, redisContainers } from './data-services.ts';
import { mailContainer, mailUrl } from './mail.ts';
import { autoscalerHost, controllerUnavailable, ensureAutoscalerContainer, stopAutoscalerContainer } from './autoscaler-container.ts';
import { assertAutoscalerMayStart } from './autoscaler-guard.ts';
import { lbContainer, runtimeContainer, webNodeNames, type ImageTags } from './services.ts';
import { syncLbConfig } from './lb-runtime.ts';
import { recordWebBundle } from './web-bundle.ts';
import { recordRuntimeImage } from './runtime-images.ts';
import { rollWebTierIfChanged, startExtraNodeBeforeMigrate, stopChangedCronBeforeMigrate } from './roll.ts';
import { finishMaintenance, keepingMaintenance, maintenanceByMigrate } from './maintenance.ts';
import { rollDataTierIfChanged } from './roll-data-docker.ts';
import { installCache } from './install-cache.ts';
import type { RunningCluster } from './backup/cluster.ts';
import type { Secrets } from './secrets.ts';

/** What the runtime's `up` reports, and the image tags this run used. */
export interface LocalUpResult extends UpResult {
  readonly tags: ImageTags;
}

export async function up(loaded: LoadedSpec, progress: Progress): Promise<LocalUpResult> {
  const { spec } = loaded;
  const n = clusterNames(spec.name);
  await requireDocker();
  await checkPorts(spec);
  if (spec.autoscaler.enabled) {
    autoscalerHost(spec); // a Docker socket it can mount, or a clear refusal
    await assertAutoscalerMayStart(spec, 'detached');
  }
  requireMoodleTree(spec);

  const { autoscaler: autoscalerImage, ...tags } = await buildClusterImages(loaded, progress);

  const created: { containers: string[]; volumes: string[]; network?: string; secrets: boolean } = {
    containers: [],
    volumes: [],
    secrets: !hasSecrets(spec.name),
  };
  const track = async (name: string, p: Promise<'kept' | 'started' | 'created'>) => {
    const r = await p;
    if (r !== 'kept') created.containers.push(name);
    progress.info(`${name}: ${r}`);
    return r;
  };
  try {
    // The detached autoscaler must not scale while this run changes the cluster: it is stopped
    // here and started again (or replaced, or removed) at the end.
    if (await stopAutoscalerContainer(spec.name)) progress.info(`${n.container('autoscaler')}: paused while the cluster changes`);
    const secrets = ensureSecrets(spec.name);
    await recordRuntimeImage(spec.name, tags.runtime); // before any container changes: pruning keeps it and the one before it
    const data = [...dbContainers(spec, tags, secrets), ...redisContainers(spec, tags, secrets)];
    await progress.step('network and volumes', async () => {
      if ((await ensureNetwork(n.network, spec.name)) === 'created') created.network = n.network;
      const volumes = [[n.volumes.moodledata, 'web'], ...data.flatMap((c) => Object.keys(c.volumes ?? {}).map((v) => [v, c.service]))];
      for (const [vol, service] of volumes) {
        if ((await ensureVolume(vol!, spec.name, service!)) === 'created') created.volumes.push(vol!);
      }
    });
    await progress.step(`mail catcher (every message Moodle sends: ${mailUrl(spec)})`, async () => {
      await track(n.container('mail'), ensureContainer(mailContainer(spec, tags.mail)));
      await waitHealthy(n.container('mail'), 60_000);
    });
    await progress.step(spec.profile === 'ha' ? 'database (3-node Galera) and Redis (primary, replica, 3 Sentinels)' : 'database and Redis', async () => {
      // ha: running members that would change restart one at a time first (roll-data.ts); dev says its restart is an outage.
      await rollDataTierIfChanged(spec, tags, secrets, progress);
      // All Galera nodes start together: whichever may bootstrap does, the others join it.
      for (const c of data) await track(c.name, ensureContainer(c));
      await Promise.all(data.map((c) => waitHealthy(c.name, 240_000)));
      if (spec.profile === 'ha') {
        await track(n.container('endpoints'), ensureContainer(endpointsContainer(spec, tags, secrets)));
        await assertStaysUp(n.container('endpoints'));
      }
    });
    const bundle = bundleFiles(spec, loaded.baseDir);
    const webNodes = plannedWebNodes(spec);
    const webNode = (i: number) => runtimeContainer(spec, tags, secrets, 'web', i, bundle);
    // A roll's extra node starts before migrate, so an upgrade's maintenance window does not wait for it (roll.ts).
    // Not among what a rollback removes: once the cutover began, it may be the node that serves.
    const early = await startExtraNodeBeforeMigrate(spec, webNodes, webNode, progress);
    await stopChangedCronBeforeMigrate(runtimeContainer(spec, tags, secrets, 'cron', 1, bundle), progress);
    // An upgrade leaves maintenance mode on (maintenance.ts): turned off once only new code serves.
    const migrateSpec = keepingMaintenance(runtimeContainer(spec, tags, secrets, 'migrate', 1, bundle));
    const cache = installCache(dataTierOnly(spec, tags, secrets), migrateSpec);
    const { result: migrate, report: migrateReport } = await progress
      .step('migrate (install or upgrade under a database lock)', async () => {
        const fromCache = (await cache?.loadIfEmpty(progress)) ?? false;
        const run = await runMigrate(migrateSpec, progress);
        if (fromCache) return { ...run, result: 'installed' };
        if (cache && run.result === 'installed') await cache.keep(progress);
        return run;
      })
      .catch(async (e: unknown) => {
        if (early) await removeContainer(n.container('web', webNodes + 1), 5).catch(() => {}); // it never served
        throw e;
      });
    const webRoll = await progress.step(`web nodes (${webNodes})`, async () => {
      // Nodes serving now that would change are replaced one at a time (roll.ts), after an upgrade
      // as a cutover to the new code; else they start as before.
      const maintenance = await maintenanceByMigrate(webNodeNames(spec, webNodes + 1));
      const roll = await rollWebTierIfChanged(spec, migrate, webNodes, webNode, progress, maintenance);
      if (!roll) {
        for (let i = 1; i <= webNodes; i++) await track(n.container('web', i), ensureContainer(webNode(i)));
        for (let i = 1; i <= webNodes; i++) await waitReady(n.container('web', i), 180_000);
      }
      // For nodes `scale` and the autoscalers add later: recorded once the nodes run these files
      // (a roll that stopped leaves the record of the bundle the serving nodes have).
      recordWebBundle(spec.name, bundle);
      // Only once the planned nodes are ready do the extra ones go: they may still carry traffic.
      await removeExtraWebNodes(spec, webNodes, progress);
      // Maintenance a migrate left on (no roll ran, or an interrupted run left it): every node serving now runs the new code.
      if (await maintenanceByMigrate([n.container('web', 1)])) await finishMaintenance(n.container('web', 1), progress);
      return roll;
    });
    await progress.step('cron (exactly one)', () => track(n.container('cron'), ensureContainer(runtimeContainer(spec, tags, secrets, 'cron', 1, bundle))));
    await progress.step('load balancer', async () => {
      const lb = lbContainer(spec, tags, webNodes, SERVICE_UIDS.haproxy);
      const done = await track(n.container('lb'), ensureContainer(lb));
      await assertStaysUp(n.container('lb'));
      // A kept LB may still list other nodes (after `scale`) or an older template: reload it in place.
      if (done !== 'created' && (await syncLbConfig(spec, webNodeNames(spec, webNodes))))
        progress.info(`${n.container('lb')}: configuration reloaded in place (${webNodes} web nodes)`);
      await waitHttp(`http://${hostFor(spec.ports.bind)}:${spec.ports.http}/login/index.php`, 120_000, new URL(spec.site.url).host);
    });
    // The controller runs whenever the cluster does: it heals (src/local/heal.ts); it also
    // autoscales when autoscaler.enabled. Only an engine whose socket it cannot mount goes without.
    const noController = controllerUnavailable(spec);
    if (noController) progress.info(`${n.container('autoscaler')}: not started, so nothing heals this cluster: ${noController}`);
    else
      await progress.step(`controller (heals${spec.autoscaler.enabled ? ' and autoscales' : ''})`, () =>
        track(n.container('autoscaler'), ensureAutoscalerContainer(spec, autoscalerImage, tags)),
      );
    return {
      url: spec.site.url,
      mailUrl: mailUrl(spec),
      adminUser: spec.site.adminUser,
      adminPasswordFile: secretFile(spec.name, 'admin-password'),
      webNodes,
      tags,
      migrate,
      migrateReport,
      webRoll,
    };
  } catch (e) {
    // An install that stopped half-way: its way out (migrate --reinstall) needs the data tier, so it stays.
    if (!(e instanceof InterruptedInstallError)) await rollback(created, spec, progress);
    throw e;
  }
}

export function hostFor(bind: string): string {
  return bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '[::1]' : bind.includes(':') ? `[${bind}]` : bind;
}

async function checkPorts(spec: Spec): Promise<void> {
  const n = clusterNames(spec.name);
  const ours = new Set<number>();
  for (const name of [n.container('lb'), n.container('mail')]) {
    const c = await inspectContainer(name);
    if (!c?.State.Running) continue;
    for (const b of Object.values(c.HostConfig.PortBindings ?? {}).flat()) ours.add(Number((b as { HostPort: string }).HostPort));
  }
  const busy = await portsInUse(spec, ours);
  if (busy.length) throw new UserError('cannot start the cluster; nothing was created:', busy);
}

/**
 * Removes the web nodes above the planned count. With the load balancer running (the cluster is
 * up) they may be serving, so they leave the way `scale` takes nodes out: drained, so no request
 * in flight fails. Without it (first start, or after `down`) nothing routes to them and there is
 * nothing to drain through: a plain removal is right, and the load balancer this run starts lists
 * only the planned nodes.
 */
async function removeExtraWebNodes(spec: Spec, keep: number, progress: Progress): Promise<void> {
  const n = clusterNames(spec.name);
  const extra: string[] = [];
  for (let i = keep + 1; i <= MAX_WEB_NODES && (await inspectContainer(n.container('web', i))); i++) extra.push(n.container('web', i));
  if (!extra.length) return;
  if ((await inspectContainer(n.container('lb')))?.State.Running) {
    // The planned nodes (ready by now) into the load balancer first: after an interrupted roll it
    // may list only the extra node, and draining that one alone would leave no node to serve.
    await syncLbConfig(spec, [...webNodeNames(spec, keep), ...extra]);
    await scaleIn(spec, [...webNodeNames(spec, keep), ...extra], keep, (s) => progress.info(`${s.node}: removed, ${s.detail}`));
  } else {
    for (const name of extra) await removeContainer(name, RUNTIME_IMAGE.drainSeconds + 5);
  }
}

/** Files of the config bundle folder, put into each runtime container. */
export function bundleFiles(spec: Spec, baseDir: string): ArchiveFile[] {
  if (!spec.configBundle) return [];
  const dir = resolve(baseDir, spec.configBundle);
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
  } catch {
    throw new UserError(`configBundle: ${dir} is not a readable folder; fix the path in moodle-ha.yaml`);
  }
  const known = ['php.ini', 'nginx.conf', 'config.php'];
  const unknown = names.filter((f) => !known.includes(f));
  if (unknown.length) throw new UserError(`configBundle: ${dir} has files the image does not load: ${unknown.join(', ')} (it loads ${known.join(', ')})`);
  return names.map((f) => ({
    name: `${RUNTIME_IMAGE.configBundleDir}/${f}`,
    content: readFileSync(join(dir, f), 'utf8'),
    mode: 0o440,
    uid: 0,
    gid: RUNTIME_IMAGE.gid,
  }));
}

async function rollback(
  created: { containers: string[]; volumes: string[]; network?: string; secrets: boolean },
  spec: Spec,
  progress: Progress,
): Promise<void> {
  if (!created.containers.length && !created.volumes.length && !created.network) return;
  progress.info(`rolling back what this run created: ${[...created.containers, ...created.volumes, created.network].filter(Boolean).join(', ')}`);
  for (const c of created.containers.reverse()) await removeContainer(c, 5).catch(() => {});
  // A migrate that still runs (this run was interrupted) is left to finish: killing it would leave
  // the database half-installed; the next run waits for it.
  await removeMigrateUnlessRunning(clusterNames(spec.name).container('migrate')).catch(() => {});
  for (const v of created.volumes)
    await docker()
      .getVolume(v)
      .remove()
      .catch(() => {});
  if (created.network)
    await docker()
      .getNetwork(created.network)
      .remove()
      .catch(() => {});
  // The secrets of a cluster that never started go; its kept migrate logs stay ("migrate log" shows the failure).
  if (created.secrets && created.volumes.includes(clusterNames(spec.name).volumes.moodledata)) removeStateKeepingMigrateLogs(spec.name);
}

/** The cluster as its helpers see it while only the data tier runs (the install cache's load runs then). */
function dataTierOnly(spec: Spec, tags: ImageTags, secrets: Secrets): RunningCluster {
  return {
    spec,
    names: clusterNames(spec.name),
    profile: spec.profile,
    images: tags,
    webNodes: [],
    runningWebNodes: [],
    cronRunning: false,
    cron: undefined,
    secrets,
  };
}
