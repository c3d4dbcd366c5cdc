// Changing the number of web nodes of a running cluster: out (start, wait until ready, add to the
// load balancer) or in (drain in the load balancer, wait for in-flight requests, stop). The
// capacity chosen is remembered, so a later `up` keeps it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RUNTIME_IMAGE } from '../contract/image.ts';
import type { LbServer, ScaleStep } from '../runtime/cluster.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import { clusterStateDir } from '../util/paths.ts';
import { ensureContainer, inspectContainer, removeContainer } from './containers.ts';
import { withLease } from './heal-lease.ts';
import { drainServer, lbCommand, reconfigureLb, webServers } from './lb-runtime.ts';
import { clusterNames } from './names.ts';
import { waitReady } from './readiness.ts';
import { ensureSecrets } from './secrets.ts';
import { runtimeContainer } from './services.ts';
import { recordedWebBundle } from './web-bundle.ts';
import { hint } from '../spec/hint.ts';

export const MAX_WEB_NODES = 50;

function capacityFile(cluster: string): string {
  return join(clusterStateDir(cluster), 'capacity.json');
}

/** Web nodes `up` should run: the remembered capacity (from scale or the autoscaler), else the spec's. */
export function plannedWebNodes(spec: Spec): number {
  const file = capacityFile(spec.name);
  if (!existsSync(file)) return spec.web.nodes;
  let saved: number;
  try {
    saved = Number((JSON.parse(readFileSync(file, 'utf8')) as { webNodes?: number } | null)?.webNodes);
  } catch {
    return spec.web.nodes; // torn by a crash while it was written: as if nothing was remembered
  }
  return Number.isInteger(saved) && saved >= 1 ? Math.min(Math.max(saved, spec.scaling.min), spec.scaling.max) : spec.web.nodes;
}

export function rememberCapacity(cluster: string, webNodes: number): void {
  const file = capacityFile(cluster);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify({ webNodes, at: new Date().toISOString() }));
}

/** The running web nodes, in index order. */
export async function runningWebNodes(spec: Spec): Promise<string[]> {
  const n = clusterNames(spec.name);
  const found: string[] = [];
  for (let i = 1; i <= MAX_WEB_NODES; i++) {
    const info = await inspectContainer(n.container('web', i));
    if (info?.State.Running) found.push(n.container('web', i));
  }
  return found;
}

/**
 * Scales the web tier to `target` nodes; returns what was done, node by node. Holds the cluster's
 * operation lease meanwhile, so the healer neither re-creates a node this removes nor races it.
 */
export async function scaleTo(spec: Spec, target: number, onStep: (s: ScaleStep) => void = () => {}): Promise<ScaleStep[]> {
  return withLease(spec.name, `scale to ${target} web nodes`, () => scaleHeld(spec, target, onStep));
}

async function scaleHeld(spec: Spec, target: number, onStep: (s: ScaleStep) => void): Promise<ScaleStep[]> {
  if (!Number.isInteger(target) || target < 1 || target > MAX_WEB_NODES)
    throw new UserError(`capacity must be a whole number from 1 to ${MAX_WEB_NODES}, got ${target}`);
  const n = clusterNames(spec.name);
  const lb = await inspectContainer(n.container('lb'));
  if (!lb?.State.Running) throw new UserError(`cluster "${spec.name}" is not running: start it with "${hint('up')}"`);
  const runtime = lb && (await inspectContainer(n.container('web', 1)))?.Config.Image;
  if (!runtime) throw new UserError(`cluster "${spec.name}" has no web node 1 to copy the image from: run "${hint('up')}"`);
  const steps: ScaleStep[] = [];
  const record = (s: ScaleStep) => {
    steps.push(s);
    onStep(s);
  };
  let nodes = await runningWebNodes(spec);
  await repairInterrupted(spec, nodes, record);
  const secrets = ensureSecrets(spec.name);
  const bundle = recordedWebBundle(spec);
  while (nodes.length < target) {
    const t0 = Date.now();
    const index = nodes.length + 1;
    const c = runtimeContainer(spec, { runtime, mariadb: '', redis: '', haproxy: '', mail: '' }, secrets, 'web', index, bundle);
    await ensureContainer(c);
    await waitReady(c.name, 180_000);
    nodes = [...nodes, c.name];
    await reconfigureLb(spec, nodes);
    record({ node: c.name, action: 'added', ms: Date.now() - t0, detail: 'ready and in the load balancer' });
  }
  await scaleIn(spec, nodes, target, record);
  rememberCapacity(spec.name, target);
  return steps;
}

/**
 * What an interrupted `scale` (or autoscaler step) left in the load balancer, given the running
 * web nodes and the servers it lists: nodes that run but are not in it (interrupted between the
 * start and the reload, or between the reload and the stop of a scale-in), and nodes it keeps in
 * drain or maintenance (interrupted while draining). Pure.
 */
export function lbRepairs(running: readonly string[], lb: readonly Pick<LbServer, 'server' | 'status'>[]): { missing: string[]; draining: string[] } {
  const listed = new Set(lb.map((s) => s.server));
  return {
    missing: running.filter((n) => !listed.has(n)),
    draining: lb.filter((s) => running.includes(s.server) && /^(DRAIN|MAINT)/.test(s.status)).map((s) => s.server),
  };
}

/** Brings the load balancer back to the running nodes before a scale counts them: each ready node in it, none left draining. */
async function repairInterrupted(spec: Spec, nodes: readonly string[], record: (s: ScaleStep) => void): Promise<void> {
  const { missing, draining } = lbRepairs(nodes, await webServers(spec));
  const t0 = Date.now();
  for (const node of missing) await waitReady(node, 180_000);
  if (missing.length) await reconfigureLb(spec, nodes);
  for (const node of draining) await lbCommand(spec, `set server web/${node} state ready`);
  for (const node of missing)
    record({ node, action: 'added', ms: Date.now() - t0, detail: 'was running outside the load balancer (an interrupted scale): ready and added' });
  for (const node of draining) record({ node, action: 'added', ms: Date.now() - t0, detail: 'was left draining (an interrupted scale-in): back in rotation' });
}

/**
 * Scale-in: takes the last of `nodes` out, one at a time, until `target` remain: drain it in the
 * load balancer (which must be running), wait for its in-flight requests, reconfigure the load
 * balancer without it, stop it.
 */
export async function scaleIn(spec: Spec, nodes: readonly string[], target: number, onStep: (s: ScaleStep) => void): Promise<void> {
  let left = [...nodes];
  while (left.length > target) {
    const t0 = Date.now();
    const victim = left.at(-1)!;
    const drained = await drainServer(spec, victim);
    try {
      await reconfigureLb(spec, left.slice(0, -1));
    } catch (e) {
      // The node stays: put it back in rotation rather than leave it draining for good.
      await lbCommand(spec, `set server web/${victim} state ready`).catch(() => {});
      throw e;
    }
    left = left.slice(0, -1);
    await removeContainer(victim, RUNTIME_IMAGE.drainSeconds + 5);
    onStep({
      node: victim,
      action: 'removed',
      ms: Date.now() - t0,
      detail: `drained in ${drained.waitedMs} ms${drained.leftOpen ? ` (${drained.leftOpen} still open at the limit)` : ''}`,
    });
  }
}
