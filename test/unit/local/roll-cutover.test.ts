// The web tier's cutover after an upgrade (src/local/roll-web.ts, `cutover`), against a cluster held
// in memory that checks what users would meet: migrate has upgraded the database and left
// maintenance mode on, so every node answers Moodle's maintenance page until `finishMaintenance`;
// from then on, the load balancer must list only nodes with the new code, never none, and maintenance
// goes off only while it lists new code alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NeverReady, RollStopped, rollWebNodes, type NodeState, type RollEffects } from '../../../src/local/roll-web.ts';

interface Node {
  code: 'old' | 'new';
  ready: boolean;
}

function cluster(nodes: Record<string, Node>, listed: string[], opts: { neverReady?: string[] } = {}) {
  const state = { nodes: { ...nodes }, lb: [...listed], maintenance: true };
  const log: string[] = [];
  const name = (i: number) => `web-${i}`;
  const onlyNewListed = (names: readonly string[]) => names.every((s) => state.nodes[s]?.code === 'new');
  const fx: RollEffects = {
    name,
    async start(i) {
      const n = name(i);
      assert.ok(!state.lb.includes(n), `${n} replaced while the load balancer routes to it`);
      state.nodes[n] = { code: 'new', ready: false };
      log.push(`start ${n}`);
    },
    async waitReady(n) {
      if (opts.neverReady?.includes(n)) throw new NeverReady('it exited (code 1)');
      state.nodes[n]!.ready = true;
    },
    async serve(names) {
      assert.ok(names.length > 0, 'the load balancer lists no node: users would get "no server available"');
      for (const s of names) assert.ok(state.nodes[s]?.ready, `the load balancer lists ${s}, which is not ready`);
      if (!state.maintenance) assert.ok(onlyNewListed(names), `old code serves the upgraded database: ${names.join(',')}`);
      state.lb = [...names];
      log.push(`serve ${names.join(',')}`);
    },
    async drain(n) {
      assert.ok(state.lb.includes(n), `${n} drained but not listed`);
      log.push(`drain ${n}`);
      return 'drained in 0 ms';
    },
    async remove(n) {
      assert.ok(!state.lb.includes(n), `${n} stopped while the load balancer routes to it`);
      delete state.nodes[n];
      log.push(`remove ${n}`);
    },
    async discard(n) {
      assert.ok(!state.lb.includes(n));
      delete state.nodes[n];
      log.push(`discard ${n}`);
      return 'php: fatal\n';
    },
    async finishMaintenance(n) {
      assert.equal(state.nodes[n]?.code, 'new', 'migrate finish must run in a node with the new code');
      assert.ok(onlyNewListed(state.lb), `maintenance off while the load balancer lists old code: ${state.lb.join(',')}`);
      state.maintenance = false;
      log.push(`finish on ${n}`);
    },
    onStep: () => {},
  };
  return { state, log, fx };
}

const old = (): Node => ({ code: 'old', ready: true });
const fresh = (ready = false): Node => ({ code: 'new', ready });
const states = (...s: NodeState[]) => s;

describe('rollWebNodes, cutover after an upgrade', () => {
  test('extra node started before migrate: it alone serves, maintenance off, then each old node replaced out of the load balancer', async () => {
    const c = cluster({ 'web-1': old(), 'web-2': old(), 'web-3': fresh() }, ['web-1', 'web-2']);
    const roll = await rollWebNodes(2, states('changed', 'changed', 'current'), ['web-1', 'web-2'], c.fx, { cutover: true });
    assert.deepEqual(c.log, [
      'serve web-3',
      'finish on web-3',
      'remove web-1',
      'start web-1',
      'serve web-1,web-3',
      'remove web-2',
      'start web-2',
      'serve web-1,web-2,web-3',
      'drain web-3',
      'serve web-1,web-2',
      'remove web-3',
    ]);
    assert.deepEqual(roll.replaced, ['web-1', 'web-2']);
    assert.equal(c.state.maintenance, false);
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
  });

  test('no extra node yet: it is started first; the old nodes are never drained (they answer the maintenance page)', async () => {
    const c = cluster({ 'web-1': old() }, ['web-1']);
    await rollWebNodes(1, states('changed', 'missing'), ['web-1'], c.fx, { cutover: true });
    assert.deepEqual(c.log.slice(0, 3), ['start web-2', 'serve web-2', 'finish on web-2']);
    assert.ok(!c.log.includes('drain web-1'));
    assert.deepEqual(c.state.lb, ['web-1']);
    assert.equal(c.state.nodes['web-1']!.code, 'new');
  });

  test('the extra node never gets ready: nothing is replaced, maintenance stays on, and the error says so', async () => {
    const c = cluster({ 'web-1': old(), 'web-2': old(), 'web-3': fresh() }, ['web-1', 'web-2'], { neverReady: ['web-3'] });
    await assert.rejects(rollWebNodes(2, states('changed', 'changed', 'current'), ['web-1', 'web-2'], c.fx, { cutover: true }), (e: Error) => {
      assert.ok(e instanceof RollStopped);
      assert.match(e.message, /Maintenance mode stays on/);
      assert.match(e.message, /The old nodes keep serving, unchanged \(web-1, web-2\); web-3 was removed\./);
      return true;
    });
    assert.deepEqual(c.log, ['discard web-3']);
    assert.equal(c.state.maintenance, true);
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
  });

  test('interrupted after the cutover, before maintenance went off (the extra node alone listed): finish, then the old nodes', async () => {
    const c = cluster({ 'web-1': old(), 'web-2': old(), 'web-3': fresh(true) }, ['web-3']);
    await rollWebNodes(2, states('changed', 'changed', 'current'), ['web-3'], c.fx, { cutover: true });
    assert.deepEqual(c.log.slice(0, 2), ['serve web-3', 'finish on web-3']);
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
    assert.ok(Object.values(c.state.nodes).every((n) => n.code === 'new'));
  });

  test('a node already on the new code (an interrupted roll) stays listed beside the extra node; old ones go out', async () => {
    const c = cluster({ 'web-1': fresh(true), 'web-2': old(), 'web-3': fresh(true) }, ['web-1', 'web-2', 'web-3']);
    const roll = await rollWebNodes(2, states('current', 'changed', 'current'), ['web-1', 'web-2', 'web-3'], c.fx, { cutover: true });
    assert.deepEqual(c.log.slice(0, 2), ['serve web-1,web-3', 'finish on web-3']);
    assert.deepEqual(roll.replaced, ['web-2']);
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
  });

  test('a cutover without a way to turn maintenance off is a bug, refused before anything changes', async () => {
    const c = cluster({ 'web-1': old() }, ['web-1']);
    const { finishMaintenance: _, ...fx } = c.fx;
    await assert.rejects(rollWebNodes(1, states('changed', 'missing'), ['web-1'], fx, { cutover: true }), /finishMaintenance/);
    assert.deepEqual(c.log, []);
  });
});
