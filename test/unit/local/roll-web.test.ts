// The web tier's rolling replacement (src/local/roll-web.ts) against a cluster held in memory that
// checks, at every step, what users would feel: the load balancer never lists fewer ready nodes
// than planned, never lists a node that is not ready, and no node is stopped or replaced while the
// load balancer routes to it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NeverReady, needsRoll, RollStopped, rollWebNodes, type NodeState, type RollEffects } from '../../../src/local/roll-web.ts';

interface Node {
  def: 'old' | 'new';
  ready: boolean;
}

/** A fake cluster: nodes by name, the load balancer's list, a log of the effects, and the invariants. */
function cluster(planned: number, nodes: Record<string, Node>, listed: string[], opts: { neverReady?: string[] } = {}) {
  const state = { nodes: { ...nodes }, lb: [...listed], fewestListed: Number.POSITIVE_INFINITY };
  const log: string[] = [];
  const name = (i: number) => `web-${i}`;
  const fx: RollEffects = {
    name,
    async start(i) {
      const n = name(i);
      assert.ok(!state.lb.includes(n) || !state.nodes[n], `${n} replaced while the load balancer routes to it`);
      state.nodes[n] = { def: 'new', ready: false };
      log.push(`start ${n}`);
    },
    async waitReady(n) {
      if (opts.neverReady?.includes(n)) throw new NeverReady('it exited (code 1)');
      state.nodes[n]!.ready = true;
    },
    async serve(names) {
      for (const s of names) assert.ok(state.nodes[s]?.ready, `the load balancer lists ${s}, which is not ready`);
      const floor = Math.min(planned, listed.length); // an up that also scales out starts from fewer
      assert.ok(names.length >= floor, `the load balancer lists ${names.length} nodes, fewer than ${floor}`);
      state.lb = [...names];
      state.fewestListed = Math.min(state.fewestListed, names.length);
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
      return 'nginx: [emerg] unknown directive\n';
    },
    onStep: () => {},
  };
  return { state, log, fx };
}

const old = (): Node => ({ def: 'old', ready: true });
const states = (...s: NodeState[]) => s;

describe('needsRoll', () => {
  test('only when the load balancer runs and a serving node would change', () => {
    assert.equal(needsRoll(states('changed', 'current'), true), true);
    assert.equal(needsRoll(states('changed', 'changed'), false), false, 'nothing serves without a load balancer: start them as before');
    assert.equal(needsRoll(states('current', 'missing', 'stopped'), true), false, 'missing and stopped nodes serve nothing: started as before');
  });
});

describe('rollWebNodes', () => {
  test('two changed nodes: an extra new node first, then each old one drained, out, replaced; the extra one removed last', async () => {
    const c = cluster(2, { 'web-1': old(), 'web-2': old() }, ['web-1', 'web-2']);
    const roll = await rollWebNodes(2, states('changed', 'changed', 'missing'), ['web-1', 'web-2'], c.fx);
    assert.deepEqual(roll.replaced, ['web-1', 'web-2']);
    assert.deepEqual(c.log, [
      'start web-3',
      'serve web-1,web-2,web-3',
      'drain web-1',
      'serve web-2,web-3',
      'remove web-1',
      'start web-1',
      'serve web-1,web-2,web-3',
      'drain web-2',
      'serve web-1,web-3',
      'remove web-2',
      'start web-2',
      'serve web-1,web-2,web-3',
      'drain web-3',
      'serve web-1,web-2',
      'remove web-3',
    ]);
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
    assert.deepEqual(Object.keys(c.state.nodes).sort(), ['web-1', 'web-2']);
    assert.ok(Object.values(c.state.nodes).every((n) => n.def === 'new'));
    assert.equal(c.state.fewestListed, 2);
  });

  test('one node: the extra node carries the traffic while it is replaced', async () => {
    const c = cluster(1, { 'web-1': old() }, ['web-1']);
    const roll = await rollWebNodes(1, states('changed', 'missing'), ['web-1'], c.fx);
    assert.deepEqual(roll.replaced, ['web-1']);
    assert.equal(c.state.fewestListed, 1);
    assert.deepEqual(c.state.lb, ['web-1']);
    assert.equal(c.state.nodes['web-1']!.def, 'new');
  });

  test('the extra node never gets ready: the roll stops before any old node is touched, and says so', async () => {
    const c = cluster(2, { 'web-1': old(), 'web-2': old() }, ['web-1', 'web-2'], { neverReady: ['web-3'] });
    await assert.rejects(rollWebNodes(2, states('changed', 'changed', 'missing'), ['web-1', 'web-2'], c.fx), (e: Error) => {
      assert.ok(e instanceof RollStopped);
      assert.match(
        e.message,
        /web-3 \(the new definition\) never got ready: it exited \(code 1\)\. The old nodes keep serving, unchanged \(web-1, web-2\); web-3 was removed\./,
      );
      assert.match(e.message, /Last lines of web-3's log:\nnginx: \[emerg\] unknown directive$/);
      return true;
    });
    assert.deepEqual(c.log, ['start web-3', 'discard web-3']);
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
    assert.ok(Object.values(c.state.nodes).every((n) => n.def === 'old'));
  });

  test('a replacement that never gets ready later: the load balancer still lists as many nodes as planned', async () => {
    const c = cluster(2, { 'web-1': old(), 'web-2': old() }, ['web-1', 'web-2'], { neverReady: ['web-2'] });
    await assert.rejects(rollWebNodes(2, states('changed', 'changed', 'missing'), ['web-1', 'web-2'], c.fx), (e: Error) => {
      assert.ok(e instanceof RollStopped);
      assert.match(e.message, /The load balancer keeps serving with web-1, web-3 \(old and new nodes, as many as planned\); web-2 was removed\./);
      return true;
    });
    assert.deepEqual(c.state.lb, ['web-1', 'web-3']);
  });

  test('after an interruption (extra node up and listed, web-1 already new, web-2 old): only web-2 is replaced, the extra one is kept, then removed', async () => {
    const nodes = { 'web-1': { def: 'new', ready: true }, 'web-2': old(), 'web-3': { def: 'new', ready: true } } as const;
    const c = cluster(2, { ...nodes }, ['web-1', 'web-2', 'web-3']);
    const roll = await rollWebNodes(2, states('current', 'changed', 'current'), ['web-1', 'web-2', 'web-3'], c.fx);
    assert.deepEqual(roll.replaced, ['web-2']);
    assert.ok(!c.log.includes('start web-3'), 'the extra node that was ready was started again');
    assert.ok(!c.log.includes('start web-1'));
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
  });

  test('after an interruption between removing an old node and adding its replacement (web-1 missing): it is started, never fewer listed than planned', async () => {
    const c = cluster(2, { 'web-2': old(), 'web-3': { def: 'new', ready: true } }, ['web-2', 'web-3']);
    const roll = await rollWebNodes(2, states('missing', 'changed', 'current'), ['web-2', 'web-3'], c.fx);
    assert.deepEqual(roll.replaced, ['web-2'], 'web-1 was started, not replaced');
    assert.ok(c.log.indexOf('start web-1') < c.log.indexOf('drain web-2'), 'the missing node is started before the old one goes');
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
    assert.equal(c.state.fewestListed, 2);
  });

  test('a node above the planned count that the load balancer lists (an interrupted scale) is drained and removed at the end', async () => {
    const c = cluster(1, { 'web-1': old(), 'web-3': old() }, ['web-1', 'web-3']);
    await rollWebNodes(1, states('changed', 'missing'), ['web-1', 'web-3'], c.fx);
    assert.deepEqual(c.state.lb, ['web-1']);
    assert.deepEqual(Object.keys(c.state.nodes), ['web-1']);
    assert.ok(c.log.indexOf('drain web-3') < c.log.indexOf('remove web-3'));
  });

  test('an up that also scales out (1 running, 2 planned): the new node is added before the old one is replaced', async () => {
    const c = cluster(2, { 'web-1': old() }, ['web-1']);
    const roll = await rollWebNodes(2, states('changed', 'missing', 'missing'), ['web-1'], c.fx);
    assert.deepEqual(roll.replaced, ['web-1'], 'web-2 was started, not replaced');
    assert.ok(c.log.indexOf('start web-2') < c.log.indexOf('drain web-1'));
    assert.equal(c.state.fewestListed, 2);
    assert.deepEqual(c.state.lb, ['web-1', 'web-2']);
  });
});
