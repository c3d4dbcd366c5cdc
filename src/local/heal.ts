// The local healer: brings the cluster back to its desired state without a person, whatever took a
// member away (a crash Docker's restart policy did not cover, `docker kill`, `docker stop`, a
// removed container, a member that keeps dying). The controller container
// (src/autoscaler-daemon/main.ts) runs a pass every HEAL_INTERVAL_MS, whether or not it autoscales.
//
// Desired state: every member `up` made, from the same definitions `up` uses (so a member it
// re-creates is one `up` keeps): the data tier, the mail catcher, the load balancer, exactly one
// cron, and web nodes 1..N where N is the remembered capacity (`scale` and the autoscalers keep it).
// This file is the healer's target (src/runtime/heal.ts): what to do is decided by
// src/ops/autoscaler/reconcile.ts (grace, back-off) and run by heal-loop.ts; here it is observed
// and done:
// - a stopped member is started (a Galera node rejoins by IST or SST: its entrypoint joins when a
//   peer answers; a Redis node is started, and Sentinel makes it a replica);
// - a removed one is created again from its definition (its named volumes are still there);
// - a web node is held out of the load balancer (MAINT) until its /readyz answers 200, then put
//   back, so no user reaches a node that cannot serve yet.
// It never fights an operator: it acts only while it holds the cluster's operation lease
// (heal-lease.ts), which `scale` and the autoscalers hold while they change the web tier; `up`
// stops the controller while it runs, `down` removes it first.
import { SERVICE_UIDS } from '../image/service-images.ts';
import type { DesiredMember, HealActionKind, HealTarget, ObservedMember } from '../runtime/heal.ts';
import type { Spec } from '../spec/schema.ts';
import { createContainer, definitionHash, inspectContainer, removeContainer, runsSteadily, startContainer, type ContainerSpec } from './containers.ts';
import { dbContainers, endpointsContainer, redisContainers } from './data-services.ts';
import { docker } from './engine/docker.ts';
import { currentLease, tryLease } from './heal-lease.ts';
import { lbCommand, reconfigureLb, webServers } from './lb-runtime.ts';
import { mailContainer } from './mail.ts';
import { waitReady } from './readiness.ts';
import { plannedWebNodes } from './scale.ts';
import { ensureSecrets, hasSecrets } from './secrets.ts';
import { lbContainer, runtimeContainer, webNodeNames, type ImageTags } from './services.ts';
import { recordedWebBundle } from './web-bundle.ts';

/** One pass a second: a pass is a few `docker inspect`s; the 2 s grace after a stop dominates detection. */
export const HEAL_INTERVAL_MS = 1000;
/** A web node brought back must answer /readyz within this; else the try is a failure (and backs off). */
export const HEAL_READY_TIMEOUT_MS = 120_000;

/** Every member the cluster should run now, by name, with its definition; in the order they are healed. */
export function desiredMembers(spec: Spec, tags: ImageTags): ContainerSpec[] {
  const secrets = ensureSecrets(spec.name);
  const bundle = recordedWebBundle(spec);
  const webNodes = plannedWebNodes(spec);
  return [
    ...dbContainers(spec, tags, secrets),
    ...redisContainers(spec, tags, secrets),
    ...(spec.profile === 'ha' ? [endpointsContainer(spec, tags, secrets)] : []),
    mailContainer(spec, tags.mail),
    lbContainer(spec, tags, webNodes, SERVICE_UIDS.haproxy),
    runtimeContainer(spec, tags, secrets, 'cron', 1, bundle),
    ...Array.from({ length: webNodes }, (_, i) => runtimeContainer(spec, tags, secrets, 'web', i + 1, bundle)),
  ];
}

/** Docker's "never" time (0001-01-01…) as undefined. */
function epoch(iso: string | undefined): number | undefined {
  const t = iso ? Date.parse(iso) : Number.NaN;
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

/**
 * ha: a Redis node (sessions or caches) is started only once Sentinel has had time to fail over
 * (down-after 3 s, then the promotion: 3.8 s measured), so a killed primary never comes back
 * before Sentinel decided and finds a new primary to follow; restarted sooner it would still be
 * the primary Sentinel knows, and no failover would happen at all.
 */
export const SENTINEL_WATCHED_GRACE_MS = 5000;

// ha: a Galera member gets the default grace. Its entrypoint recovers its position from InnoDB
// while the others evict its killed incarnation, and joins once they have (images/mariadb/galera.sh
// wait_for_eviction). Measured here, Synced after a kill: 9.5-11.3 s idle, 14.0-15.2 s under the
// node-crash drill's load; when the healer itself waited 6 s for the eviction and the recovery ran
// only after it, 12.1-12.5 s idle and 15.6-21.4 s under load.

/** The desired members with the grace the healer gives each before starting it. */
function withGrace(spec: Spec, list: readonly ContainerSpec[]): DesiredMember[] {
  const grace: Record<string, number> = spec.profile === 'ha' ? { redis: SENTINEL_WATCHED_GRACE_MS, cache: SENTINEL_WATCHED_GRACE_MS } : {};
  return list.map((c) => ({ name: c.name, service: c.service, ...(grace[c.service] !== undefined ? { graceMs: grace[c.service] } : {}) }));
}

export async function observe(c: Pick<ContainerSpec, 'name' | 'service'>): Promise<ObservedMember> {
  const info = await inspectContainer(c.name);
  if (!info) return { name: c.name, service: c.service, present: false, running: false, restarting: false };
  const finishedAt = epoch(info.State.FinishedAt);
  const startedAt = epoch(info.State.StartedAt);
  return {
    name: c.name,
    service: c.service,
    present: true,
    running: info.State.Running === true,
    restarting: info.State.Restarting === true,
    ...(finishedAt === undefined ? {} : { finishedAt }),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(runsSteadily(info.State) ? {} : { exitCode: info.State.ExitCode }),
    restartCount: info.RestartCount,
  };
}

/** The local cluster as the healer's target: its desired members, their containers, the lease, the actions. */
export function localHealTarget(spec: Spec, tags: ImageTags): HealTarget {
  let defs = new Map<string, ContainerSpec>();
  return {
    async desired() {
      if (!hasSecrets(spec.name)) return []; // the cluster was removed (`down --volumes`): nothing to heal
      const list = desiredMembers(spec, tags);
      defs = new Map(list.map((c) => [c.name, c]));
      return withGrace(spec, list);
    },
    observe,
    tryLease: (what) => tryLease(spec.name, what),
    leaseHolder: () => currentLease(spec.name)?.what,
    async bringBack(member, action) {
      const c = defs.get(member);
      if (!c) throw new Error(`${member} is not a member the cluster should run`);
      return c.service === 'web' ? bringBackWebNode(spec, c, action) : bringBack(c, action);
    },
  };
}

/** Starts a stopped member, or creates a removed one (or replaces one in a crash loop) from its definition, as `up` would. */
async function bringBack(c: ContainerSpec, action: HealActionKind): Promise<string> {
  if (action === 'start') {
    await startContainer(c.name);
    return '';
  }
  if (action === 'replace') await removeContainer(c.name, 0); // it serves nothing: it keeps dying
  const image = await docker().getImage(c.image).inspect();
  const made = await createContainer(c, definitionHash(c, image.Id));
  await made.start();
  return action === 'replace' ? 'a fresh container from its definition (its volumes kept)' : 'created from its definition';
}

/**
 * A web node: out of rotation (MAINT) while it starts, back in once /readyz answers 200. A node the
 * load balancer does not list (it was re-created with fewer) is added by reconfiguring it.
 */
async function bringBackWebNode(spec: Spec, c: ContainerSpec, action: HealActionKind): Promise<string> {
  const t0 = Date.now();
  // Into MAINT while the container starts (two `docker exec`s in the load balancer, 0.5-1 s under
  // load): the node cannot pass a health check before its warm-up ends, seconds later.
  const holding = webServers(spec)
    .then((s) => s.some((x) => x.server === c.name))
    .catch(() => undefined) // undefined: the load balancer is down; it checks the node itself when it is back
    .then(async (listed) => {
      if (listed) await lbCommand(spec, `set server web/${c.name} state maint`).catch(() => undefined);
      return listed;
    });
  const [held, started] = await Promise.allSettled([holding, bringBack(c, action)]);
  const listed = held.status === 'fulfilled' ? held.value : undefined;
  try {
    if (started.status === 'rejected') throw started.reason;
    await waitReady(c.name, HEAL_READY_TIMEOUT_MS);
  } catch (e) {
    // Never leave it in MAINT for good: HAProxy's own health check decides, as before the healer.
    if (listed) await lbCommand(spec, `set server web/${c.name} state ready`).catch(() => undefined);
    throw e;
  }
  const readyS = ((Date.now() - t0) / 1000).toFixed(1);
  if (listed) {
    await lbCommand(spec, `set server web/${c.name} state ready`);
    return `ready in ${readyS} s, back in the load balancer`;
  }
  if (listed === false) {
    await reconfigureLb(spec, webNodeNames(spec, plannedWebNodes(spec)));
    return `ready in ${readyS} s, added to the load balancer`;
  }
  return `ready in ${readyS} s (the load balancer is not running)`;
}
