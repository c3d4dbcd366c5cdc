// Rolling replacement of the web tier: the order of steps, over effects the caller supplies
// (roll.ts gives Docker and HAProxy ones; the unit tests give a cluster held in memory).
//
// Container names are fixed (web-1 … web-N: the load balancer, `scale` and the autoscaler count
// on them), so a new node cannot start beside the old one under the same name. One extra node,
// web-(N+1), is started first with the new definition; then each old node in turn is drained,
// taken out of the load balancer, stopped, and started again with the new definition; last, the
// extra node is drained and stopped. The load balancer lists at least N ready nodes at every
// moment; the cost is one more start than there are nodes.
//
// A new node that never gets ready stops the roll: it is removed (its log's last lines go into the
// error) and the nodes in the load balancer keep serving. The first new node is the extra one, so
// a change that cannot work (a broken bundle, a bad image) fails before any old node is touched.
//
// Interrupted (Ctrl-C) at any step, the next `up` converges: a node it finds with the new
// definition is kept, one with the old definition is rolled, a missing one is started, and the
// extra node (at worst one more than planned) is drained and removed at the end of the roll, or
// by `up`'s removal of extra nodes when nothing is left to roll.
//
// After an upgrade (migrate left Moodle's maintenance mode on: every node answers its 503 page,
// old code and new alike, since Moodle checks climaintenance.html before it reads the database),
// the roll is a cutover instead: once the extra node (new code, started before migrate) is ready,
// the load balancer lists it alone (and any node already on the new definition), `finish` turns
// maintenance off, and only then are the old nodes replaced, out of the load balancer, with no
// drain. No request is served by old code against the new schema, and the maintenance window is
// migrate's run and a few seconds; the price is that fewer nodes than planned serve while the old
// ones are replaced.
import type { WebRoll } from '../runtime/cluster.ts';

/**
 * A web node as `up` finds it: running with the definition this run gives it (current), running
 * with another (changed: the one to replace), stopped (any definition), or missing.
 */
export type NodeState = 'current' | 'changed' | 'stopped' | 'missing';

/** What the roll does to the cluster, one node at a time. */
export interface RollEffects {
  /** The container name of web node `index`. */
  name(index: number): string;
  /** Creates (replacing a stopped or changed container) and starts web node `index` with the new definition. */
  start(index: number): Promise<void>;
  /** Resolves when the node answers ready; rejects with a NeverReady when it exits or stays unready. */
  waitReady(name: string): Promise<void>;
  /** Makes the load balancer route to exactly these nodes (a graceful reload). */
  serve(names: readonly string[]): Promise<void>;
  /** Stops new requests to a node the load balancer lists and waits for its open ones (bounded). */
  drain(name: string): Promise<string>;
  /** Stops and removes a node (it gets no traffic by now). */
  remove(name: string): Promise<void>;
  /** Removes a new node that never got ready; returns its last log lines. */
  discard(name: string): Promise<string>;
  /** Turns off the maintenance mode migrate left on, run on `name` (a ready node with the new code). Cutover only. */
  finishMaintenance?(name: string): Promise<void>;
  /** One line per step, for the operator. */
  onStep(line: string): void;
}

export interface RollOptions {
  /**
   * Maintenance mode that a migrate turned on is still on (an upgrade ran, now or in an
   * interrupted `up`): cut over to the new code as one step before the old nodes are replaced
   * (see the file's head). `fx.finishMaintenance` is then required.
   */
  readonly cutover?: boolean;
}

/** Why a new node is not ready: it exited, or it stayed unready until the wait's end. */
export class NeverReady extends Error {}

/** A roll stopped by a new node that never got ready; the message says what serves now. */
export class RollStopped extends Error {
  constructor(
    readonly node: string,
    readonly why: string,
    readonly serving: readonly string[],
    readonly logTail: string,
    readonly oldUntouched: boolean,
    readonly maintenanceOn = false,
  ) {
    super(
      `the web nodes' rolling replacement stopped: ${node} (the new definition) never got ready: ${why}. ` +
        (maintenanceOn
          ? "Maintenance mode stays on (users see Moodle's maintenance page): the database was upgraded, and the old code must not serve it. "
          : '') +
        (oldUntouched
          ? `The old nodes keep serving, unchanged (${serving.join(', ')}); ${node} was removed. `
          : `The load balancer keeps serving with ${serving.join(', ')} (old and new nodes, as many as planned); ${node} was removed. `) +
        `Fix the change (config bundle, image or spec) and run up again. Last lines of ${node}'s log:\n${logTail.trimEnd()}`,
    );
  }
}

/** Whether `up` replaces the web nodes one at a time: the load balancer runs, and a node serving now has another definition. */
export function needsRoll(states: readonly NodeState[], lbRunning: boolean): boolean {
  return lbRunning && states.includes('changed');
}

/**
 * Replaces web nodes 1…planned one at a time. `states[i]` is node i+1's state, for i from 0 to
 * planned (the last is the extra node's slot); `listed` the nodes the load balancer routes to now.
 */
export async function rollWebNodes(
  planned: number,
  states: readonly NodeState[],
  listed: readonly string[],
  fx: RollEffects,
  opts: RollOptions = {},
): Promise<WebRoll> {
  const t0 = Date.now();
  const extra = planned + 1;
  const byIndex = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  let serving = [...listed].sort(byIndex);
  const replaced: string[] = [];
  const stateOf = (i: number): NodeState => states[i - 1] ?? 'missing';

  /** Takes a node out of the load balancer without failing a request, and removes it. */
  const retire = async (name: string) => {
    if (serving.includes(name)) {
      const drained = await fx.drain(name);
      serving = serving.filter((s) => s !== name);
      await fx.serve(serving);
      fx.onStep(`${name}: out of the load balancer (${drained})`);
    }
    await fx.remove(name);
  };
  /** Waits until a new node is ready; one that never gets ready is removed, and the roll stops. */
  const ready = async (name: string, untouched: boolean) => {
    try {
      await fx.waitReady(name);
    } catch (e) {
      if (!(e instanceof NeverReady)) throw e;
      if (serving.includes(name)) {
        serving = serving.filter((s) => s !== name);
        await fx.serve(serving);
      }
      const tail = await fx.discard(name);
      throw new RollStopped(name, e.message, serving, tail, untouched, opts.cutover === true);
    }
  };
  /** Starts node `index` with the new definition, waits until ready, adds it to the load balancer. */
  const bringIn = async (index: number, untouched: boolean) => {
    const name = fx.name(index);
    await fx.start(index);
    await ready(name, untouched);
    serving = [...serving.filter((s) => s !== name), name].sort(byIndex);
    await fx.serve(serving);
  };

  // The extra node: kept when an interrupted roll left it running with the new definition.
  const extraName = fx.name(extra);
  if (opts.cutover) {
    if (!fx.finishMaintenance) throw new Error('a cutover needs finishMaintenance');
    const t = Date.now();
    const current = (i: number) => stateOf(i) === 'current';
    if (!current(extra)) {
      if (stateOf(extra) !== 'missing') await retire(extraName);
      await fx.start(extra);
    }
    // Ready once the database matches its code (migrate has ended); until then it serves nothing.
    // The nodes listed now answer the maintenance page: out of the load balancer at once, no drain.
    await ready(extraName, true);
    const newCode = new Set([
      extraName,
      ...Array.from({ length: planned }, (_, k) => k + 1)
        .filter(current)
        .map((i) => fx.name(i)),
    ]);
    serving = [...serving.filter((s) => newCode.has(s)), extraName].filter((s, i, a) => a.indexOf(s) === i).sort(byIndex);
    await fx.serve(serving);
    await fx.finishMaintenance(extraName);
    fx.onStep(
      `${serving.join(', ')}: the new code serves alone, maintenance mode off ${((Date.now() - t) / 1000).toFixed(1)} s after migrate; now replacing the old nodes`,
    );
  } else if (stateOf(extra) !== 'current') {
    if (stateOf(extra) !== 'missing') await retire(extraName);
    await bringIn(extra, true);
    fx.onStep(`${extraName}: started with the new definition, ready and in the load balancer (the roll's extra node)`);
  } else if (!serving.includes(extraName)) {
    await bringIn(extra, true);
  }

  // Nodes that serve nothing now (missing, stopped, not yet listed) first: they add capacity when
  // `up` also scales out; then the changed ones, each replaced while the others serve.
  const order = Array.from({ length: planned }, (_, k) => k + 1);
  for (const i of [...order.filter((k) => stateOf(k) !== 'changed'), ...order.filter((k) => stateOf(k) === 'changed')]) {
    const name = fx.name(i);
    const state = stateOf(i);
    if (state === 'current') {
      if (!serving.includes(name)) await bringIn(i, false); // ready, but an interrupted run did not add it yet
      continue;
    }
    const t = Date.now();
    if (state !== 'missing') await retire(name);
    await bringIn(i, false);
    if (state !== 'missing') replaced.push(name);
    const took = `${((Date.now() - t) / 1000).toFixed(1)} s`;
    fx.onStep(`${name}: ${state === 'missing' ? 'started' : 'replaced'} (new definition, ready and in the load balancer) in ${took}`);
  }

  // The extra node, and any node above the planned count (an interrupted `scale` left it): out, drained.
  const plannedNames = new Set(Array.from({ length: planned }, (_, k) => fx.name(k + 1)));
  for (const name of [...new Set([...serving, extraName])]
    .filter((s) => !plannedNames.has(s))
    .sort(byIndex)
    .reverse()) {
    await retire(name);
    fx.onStep(`${name}: removed (${name === extraName ? "the roll's extra node" : 'above the planned count'})`);
  }
  return { replaced, ms: Date.now() - t0 };
}
