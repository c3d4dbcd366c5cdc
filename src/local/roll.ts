// `up`'s web step when web nodes that serve now would change (image, config bundle, environment,
// resources: anything in their definition hash): they are replaced one at a time (roll-web.ts
// has the order) through the running load balancer, so capacity never drops below the planned
// count and no request in flight fails. Without a running load balancer (first start, after
// `down`) nothing serves, and `up` starts the nodes as before.
//
// Not rolled: a run whose migrate installed or upgraded (new Moodle code or schema). Old-code
// nodes must not serve a newer schema (their /readyz fails as soon as migrate ends anyway), and
// mixed-version serving is what an upgrade must avoid: that needs maintenance mode for the
// migrate window, which is issue 9's upgrade part, not this. Such a run keeps the behaviour it
// had: every changed node replaced at once after migrate.
//
// Cron is not rolled either, by decision: a cron node is stopped (SIGTERM: it finishes the running
// task, at most the container's stop timeout) before the new one starts, never two at once.
// Moodle's task locks would make a short overlap harmless only if both cron processes took them
// on the same database server: the lock factory is MySQL's GET_LOCK (config.php), which Galera
// does not replicate, so during a writer failover two crons could run the same task. A gap of a
// few seconds costs nothing: scheduled tasks run when due, on the next pass.
import { LABELS, RUNTIME_IMAGE } from '../contract/image.ts';
import type { WebRoll } from '../runtime/cluster.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { containerLogs, definitionHash, ensureContainer, inspectContainer, removeContainer, sleep, type ContainerSpec } from './containers.ts';
import { docker } from './engine/docker.ts';
import { drainServer, reconfigureLb, webServers } from './lb-runtime.ts';
import { clusterNames } from './names.ts';
import { readyz } from './readiness.ts';
import { NeverReady, needsRoll, RollStopped, rollWebNodes, type NodeState } from './roll-web.ts';

/** How long a new node may take to answer ready before the roll stops. */
const READY_TIMEOUT_MS = 180_000;

/** Node `index`'s state against the definition `define(index)` gives it now. */
async function nodeState(def: ContainerSpec, imageId: string): Promise<NodeState> {
  const c = await inspectContainer(def.name);
  if (!c) return 'missing';
  if (!c.State.Running) return 'stopped';
  return c.Config.Labels?.[LABELS.definition] === definitionHash(def, imageId) ? 'current' : 'changed';
}

/**
 * Rolls the web tier to the definitions `define` gives when that is called for (see the file's
 * head); null when it is not, and the caller starts the nodes as before.
 */
export async function rollWebTierIfChanged(
  spec: Spec,
  migrate: string,
  planned: number,
  define: (index: number) => ContainerSpec,
  progress: Progress,
): Promise<WebRoll | null> {
  if (migrate !== 'unchanged') return null; // installed or upgraded: see the file's head
  const n = clusterNames(spec.name);
  const imageId = (await docker().getImage(define(1).image).inspect()).Id;
  const states: NodeState[] = [];
  for (let i = 1; i <= planned + 1; i++) states.push(await nodeState(define(i), imageId));
  const lbRunning = (await inspectContainer(n.container('lb')))?.State.Running === true;
  if (!needsRoll(states.slice(0, planned), lbRunning)) return null;
  progress.info(`web nodes with a new definition: replacing them one at a time (${planned} stay in the load balancer throughout)`);
  const listed = (await webServers(spec)).map((s) => s.server);
  try {
    return await rollWebNodes(planned, states, listed, {
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
      onStep: (line) => progress.info(line),
    });
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
    if (!c.State.Running || c.State.Restarting || c.RestartCount > 0)
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
