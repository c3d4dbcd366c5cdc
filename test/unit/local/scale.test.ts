// Scaling's pure parts (src/local/scale.ts): the capacity `up` plans from what was remembered, and
// the capacities `scale` refuses before it touches anything.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { lbRepairs, MAX_WEB_NODES, plannedWebNodes, rememberCapacity, scaleTo } from '../../../src/local/scale.ts';
import { UserError } from '../../../src/util/errors.ts';
import { clusterStateDir } from '../../../src/util/paths.ts';
import { devSpec, freshStateRoot } from './fixtures.ts';

const spec = devSpec({ web: { nodes: 2 }, scaling: { min: 2, max: 6 } });
const capacityFile = () => join(clusterStateDir('campus'), 'capacity.json');
const remembered = (text: string) => {
  mkdirSync(clusterStateDir('campus'), { recursive: true });
  writeFileSync(capacityFile(), text);
};

describe('the capacity up plans', () => {
  test("nothing remembered: the spec's web.nodes", () => {
    freshStateRoot('scale');
    assert.equal(plannedWebNodes(spec), 2);
  });
  test('what scale or the autoscaler remembered, within the scaling bounds in force', () => {
    freshStateRoot('scale');
    rememberCapacity('campus', 5);
    assert.equal(plannedWebNodes(spec), 5);
    rememberCapacity('campus', 9);
    assert.equal(plannedWebNodes(spec), 6, 'above scaling.max: max');
    rememberCapacity('campus', 1);
    assert.equal(plannedWebNodes(spec), 2, 'below scaling.min: min');
  });
  test('rememberCapacity writes the count and when', () => {
    freshStateRoot('scale');
    rememberCapacity('campus', 3);
    const saved = JSON.parse(readFileSync(capacityFile(), 'utf8')) as { webNodes: number; at: string };
    assert.equal(saved.webNodes, 3);
    assert.ok(Math.abs(Date.parse(saved.at) - Date.now()) < 60_000, saved.at);
  });
  test("a remembered value that is not a whole number of nodes is ignored: the spec's", () => {
    freshStateRoot('scale');
    for (const text of ['{"webNodes":0}', '{"webNodes":2.5}', '{"webNodes":"x"}', '{}', '[]', 'null']) {
      remembered(text);
      assert.equal(plannedWebNodes(spec), 2, text);
    }
  });
  test('a torn or empty file (a crash while it was written) is ignored too: up still starts', () => {
    freshStateRoot('scale');
    for (const text of ['', '{"webNodes":', 'not json']) {
      remembered(text);
      assert.equal(plannedWebNodes(spec), 2, JSON.stringify(text));
    }
  });
});

describe('scale refuses a capacity it cannot run, before it touches the cluster', () => {
  for (const target of [0, -1, 1.5, MAX_WEB_NODES + 1, Number.NaN]) {
    test(String(target), async () => {
      await assert.rejects(
        scaleTo(spec, target),
        (e: unknown) => e instanceof UserError && e.message === `capacity must be a whole number from 1 to ${MAX_WEB_NODES}, got ${target}`,
      );
    });
  }
  test('the spec allows no more nodes than scale does', () => {
    assert.equal(devSpec({ scaling: { max: MAX_WEB_NODES } }).scaling.max, MAX_WEB_NODES);
    assert.throws(() => devSpec({ scaling: { max: MAX_WEB_NODES + 1 } }), UserError);
    assert.throws(() => devSpec({ web: { nodes: MAX_WEB_NODES + 1 } }), UserError);
  });
});

describe('what an interrupted scale left in the load balancer', () => {
  const lb = (server: string, status = 'UP') => ({ server, status });
  test('a node that runs but is not listed (interrupted between its start and the reload): to add', () => {
    assert.deepEqual(lbRepairs(['c-web-1', 'c-web-2', 'c-web-3'], [lb('c-web-1'), lb('c-web-2')]), { missing: ['c-web-3'], draining: [] });
  });
  test('a node left draining or in maintenance (interrupted while it drained): back to ready', () => {
    assert.deepEqual(lbRepairs(['c-web-1', 'c-web-2'], [lb('c-web-1'), lb('c-web-2', 'DRAIN')]), { missing: [], draining: ['c-web-2'] });
    assert.deepEqual(lbRepairs(['c-web-1'], [lb('c-web-1', 'MAINT (resolution)')]).draining, ['c-web-1']);
  });
  test('a listed node that no longer runs is not brought back here; a converged cluster needs nothing', () => {
    assert.deepEqual(lbRepairs(['c-web-1'], [lb('c-web-1'), lb('c-web-2', 'DOWN')]), { missing: [], draining: [] });
    assert.deepEqual(lbRepairs(['c-web-1', 'c-web-2'], [lb('c-web-1'), lb('c-web-2', 'UP 2/3')]), { missing: [], draining: [] });
  });
});
