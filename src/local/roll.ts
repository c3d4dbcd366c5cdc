// `up`'s web step when web nodes that serve now would change (image, config bundle, environment,
// resources: anything in their definition hash): they are replaced one at a time (roll-web.ts
// has the order) through the running load balancer, so capacity never drops below the planned
// count and no request in flight fails. Without a running load balancer (first start, after
// `down`) nothing serves, and `up` starts the nodes as before.
//
// An upgrade (migrate left maintenance mode on: maintenance.ts) is a cutover, not a plain roll:
// the extra node with the new code is started before migrate (startExtraNodeBeforeMigrate: its
// entrypoint writes nothing to the database, and it stays out of the load balancer until the
// database matches its code), and once migrate has ended the load balancer lists it alone,
// maintenance goes off, and the old nodes are replaced (roll-web.ts). Users see Moodle's
// maintenance page for migrate's run and a few seconds, then only new code.
// Not rolled: a run whose migrate installed (nothing served before).
//
// Cron is not rolled either, by decision: a cron node is stopped (SIGTERM: it finishes the running
// task, at most the container's stop timeout) before the new one starts, never two at once.
// Moodle's task locks would make a short overlap harmless only if both cron processes took them
// on the same database server: the lock factory is MySQL's GET_LOCK (config.php), which Galera
// does not replicate, so during a writer failover two crons could run the same task. A gap of a
// few seconds costs nothing: scheduled tasks run when due, on the next pass. A cron whose definition
// changes is stopped before migrate (stopChangedCronBeforeMigrate), so it never runs old code
// against an upgraded schema.
import { LABELS, RUNTIME_IMAGE } from '../contract/image.ts';
import type { WebRoll } from '../runtime/cluster.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { containerLogs, definitionHash, ensureContainer, inspectContainer, removeContainer, runsSteadily, sleep, type ContainerSpec } from './containers.ts';
import { docker } from './engine/docker.ts';
import { drainServer, reconfigureLb, webServers } from './lb-runtime.ts';
import { finishMaintenance } from './maintenance.ts';
import { clusterNames } from './names.ts';
import { readyz } from './readiness.ts';
import { NeverReady, needsRoll, RollStopped, rollWebNodes, type NodeState } from './roll-web.ts';

/** How long a new node may take to answer ready before the roll stops. */
const READY_TIMEOUT_MS = 180_000;

/** Node `index`'s state against the definition `define(index)` gives it now. */
async function nodeState(def: ContainerSpec, imageId: string): Promise<NodeState> {
  const c = await inspectContainer(def.name);
  if (!c) return 'missing';
  if (!runsSteadily(c.State)) return 'stopped'; // restarting counts too: its process died; it serves nothing
  return c.Config.Labels?.[LABELS.definition] === definitionHash(def, imageId) ? 'current' : 'changed';
}

/** Each web node's state (1 … planned, then the extra node's slot), and whether the load balancer runs. */
async function webTier(spec: Spec, planned: number, define: (index: number) => ContainerSpec): Promise<{ states: NodeState[]; lbRunning: boolean }> {
  const imageId = (await docker().getImage(define(1).image).inspect()).Id;
  const states: NodeState[] = [];
  for (let i = 1; i <= planned + 1; i++) states.push(await nodeState(define(i), imageId));
  const lbRunning = (await inspectContainer(clusterNames(spec.name).container('lb')))?.State.Running === true;
  return { states, lbRunning };
}

/**
 * Before migrate: when the web tier will roll, starts its extra node (web-(N+1)) with the new
 * definition, outside the load balancer, so that after an upgrade it is ready as soon as migrate
 * ends (a container's start is not added to the maintenance window). Its entrypoint only renders
 * its own configuration and releases session locks of an earlier container of its name; its
 * /readyz fails until the database matches its code. Returns whether it started one.
 */
export async function startExtraNodeBeforeMigrate(spec: Spec, planned: number, define: (index: number) => ContainerSpec, progress: Progress): Promise<boolean> {
  const { states, lbRunning } = await webTier(spec, planned, define);
  const extra = states[planned];
  if (!needsRoll(states.slice(0, planned), lbRunning) || (extra !== 'missing' && extra !== 'stopped')) return false;
  await ensureContainer(define(planned + 1));
  progress.info(`${define(planned + 1).name}: started with the new definition before migrate, outside the load balancer until it is ready`);
  return true;
}

/**
 * Before migrate: a cron container whose definition changes (it is replaced in this run anyway) is
 * stopped now, not after the web step: its keep-alive loop checks for maintenance and a pending
 * upgrade only when it starts, so after an upgrade it would run old code against the new schema
 * until replaced. The cost is a longer gap without cron (migrate and the web step); due tasks run
 * on the next pass. Returns whether it stopped one.
 */
export async function stopChangedCronBeforeMigrate(def: ContainerSpec, progress: Progress): Promise<boolean> {
  if ((await nodeState(def, (await docker().getImage(def.image).inspect()).Id)) !== 'changed') return false;
  await removeContainer(def.name, 30);
  progress.info(`${def.name}: stopped before migrate (its replacement starts after the web nodes; old code must not run against a new schema)`);
  return true;
}

/**
 * Rolls the web tier to the definitions `define` gives when that is called for (see the file's
 * head); null when it is not, and the caller starts the nodes as before. `maintenance`: a migrate
 * left maintenance mode on (this run's upgrade, or an interrupted one's): the roll is a cutover.
 */
export async function rollWebTierIfChanged(
  spec: Spec,
  migrate: string,
  planned: number,
  define: (index: number) => ContainerSpec,
  progress: Progress,
  maintenance = false,
): Promise<WebRoll | null> {
  if (migrate === 'installed') return null; // nothing served before: see the file's head
  const n = clusterNames(spec.name);
  const { states, lbRunning } = await webTier(spec, planned, define);
  if (!needsRoll(states.slice(0, planned), lbRunning)) return null;
  progress.info(
    maintenance
      ? `upgraded: the new code takes over from the old nodes as one step, then the old nodes are replaced one at a time`
      : `web nodes with a new definition: replacing them one at a time (${planned} stay in the load balancer throughout)`,
  );
  const listed = (await webServers(spec)).map((s) => s.server);
  try {
    return await rollWebNodes(
      planned,
      states,
      listed,
      {
        name: (i) => n.container('web', i),
        start: async (i) => {
          await ensureContainer(define(i));
        },
        waitReady: waitNewNodeReady,
        serve: (names) => reconfigureLb(spec, names),
        drain: async (name) => {
          const d = await drainServer(spec, name);
          return `drained in ${d.waitedMs} ms${d.leftOpen ? `, ${d.leftOpen} still open at the limit` : ''}`;
        },
        remove: (name) => removeContainer(name, RUNTIME_IMAGE.drainSeconds + 5),
        discard: async (name) => {
          const tail = await lastLogLines(name, 20).catch((e: Error) => `(its log could not be read: ${e.message})`);
          await removeContainer(name, 5);
          return tail;
        },
        finishMaintenance: (name) => finishMaintenance(name, progress),
        onStep: (line) => progress.info(line),
      },
      { cutover: maintenance },
    );
  } catch (e) {
    if (e instanceof RollStopped) throw new UserError(e.message);
    throw e;
  }
}

/** Ready (its /readyz answers 200), or a NeverReady saying why not: it exited or restarts, or it stayed unready. */
async function waitNewNodeReady(name: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const c = await inspectContainer(name);
    if (!c) throw new NeverReady('its container disappeared');
    // Restart policy unless-stopped: a node whose server exits comes back, and exits again.
    if (!runsSteadily(c.State) || c.RestartCount > 0)
      throw new NeverReady(`it exited (code ${c.State.ExitCode}${c.RestartCount > 0 ? `, restarted ${c.RestartCount} time(s)` : ''})`);
    try {
      const r = await readyz(name);
      if (r.ready) return;
      last = r.answer.split('\n').slice(0, 2).join(' ');
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(1000);
  }
  throw new NeverReady(`not ready after ${READY_TIMEOUT_MS / 1000} s; last /readyz answer: ${last}`);
}

async function lastLogLines(name: string, lines: number): Promise<string> {
  const stream = await containerLogs(name, { tail: lines, follow: false });
  const chunks: Buffer[] = [];
  for await (const b of stream) chunks.push(b as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
