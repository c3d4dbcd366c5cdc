// The drill registry: one list of drill modules, which the CLI, the reports and the failover
// benchmark read; figures are read by key (the type system rejects an unknown key), shown by label.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detection, renderFailover, type DrillLine, type FailoverResults } from '../../../bench/failover-report.ts';
import { cleanMeasured } from './measured.ts';
import { DRILL_NAMES, DRILLS, drillNamed, figureRows, isDrillName, type DrillName, type FigureValues } from '../../../src/ops/drills/registry.ts';

describe('drill registry', () => {
  test('one module per drill, in the order "drill all" runs them, full-restart then upgrade last', () => {
    assert.deepEqual(DRILL_NAMES, [
      'web-loss',
      'db-writer-loss',
      'cache-primary-loss',
      'caches-primary-loss',
      'lb-restart',
      'scale-in',
      'config-change',
      'cache-stall',
      'node-crash',
      'full-restart',
      'upgrade',
    ]);
    assert.equal(new Set(DRILL_NAMES).size, DRILLS.length);
    for (const d of DRILLS) assert.equal(drillNamed(d.name), d);
    assert.ok(isDrillName('scale-in'));
    assert.ok(!isDrillName('scale-out'));
  });

  test('figure keys are unique across drills, and every figure has a label', () => {
    const keys = DRILLS.flatMap((d) => Object.keys(d.figures));
    assert.equal(new Set(keys).size, keys.length, `a key is declared twice: ${keys.join(', ')}`);
    for (const d of DRILLS) {
      assert.ok(Object.keys(d.figures).length > 0, `${d.name} measures no figure`);
      for (const [key, label] of Object.entries(d.figures)) assert.ok(/^[a-z][A-Za-z]+$/.test(key) && label.length > 5, `${d.name}: ${key} "${label}"`);
    }
  });

  test('figures are shown by label, in the order the module declares them; a missing one is undefined', () => {
    assert.deepEqual(figureRows('full-restart', { upSeconds: 19.6, downSeconds: 4.1 }), [
      { key: 'downSeconds', label: 'seconds down took', value: 4.1 },
      { key: 'upSeconds', label: 'seconds up took', value: 19.6 },
      { key: 'migrateOnUp', label: 'migrate on up', value: undefined },
    ]);
  });

  test('an unknown figure key does not type-check', () => {
    const f: FigureValues = { lbMarkedDownSeconds: 1.1 };
    // @ts-expect-error a label is not a key: reading figures by sentence is what this design removed
    assert.equal(f['seconds until HAProxy marked the node down'], undefined);
    assert.equal(f.lbMarkedDownSeconds, 1.1);
  });

  test('every bar list ends with the steady state after the restore', () => {
    for (const d of DRILLS) assert.equal(d.bars({ ...cleanMeasured, steadyAfter: false }).at(-1)?.name, 'steady state after the restore', d.name);
  });
});

describe("the failover benchmark reads each drill's detection figure by key", () => {
  const line = (drill: DrillName, figures: FigureValues, target = 'x'): DrillLine => ({
    drill,
    status: 'met',
    wallSeconds: 1,
    loadAverage: { mean: 1, max: 1, samples: 1 },
    otherClusters: [],
    figures,
    fault: { action: 'a', target, atSeconds: 15, tookSeconds: 0, detail: '' },
  });
  test('one cell per drill', () => {
    assert.equal(detection(line('web-loss', { lbMarkedDownSeconds: 1.1 })), 'HAProxy marked it down: 1.1 s');
    assert.equal(detection(line('db-writer-loss', { writerAfter: 'm-db-2' }, 'm-db-1')), 'writer moved to m-db-2');
    assert.equal(detection(line('db-writer-loss', { writerAfter: 'm-db-1' }, 'm-db-1')), 'writer still m-db-1');
    assert.equal(detection(line('cache-primary-loss', { sentinelPromotedSeconds: 3.8 })), 'Sentinel promoted: 3.8 s');
    assert.equal(detection(line('lb-restart', { restartSeconds: 0.8 })), 'restart took 0.8 s');
    assert.equal(detection(line('scale-in', { scaleInSeconds: 2.3 })), 'scale-in took 2.3 s');
    assert.equal(detection(line('full-restart', { downSeconds: 4.1, upSeconds: 19.6 })), 'down 4.1 s, up 19.6 s');
  });
  test('a figure not measured reads "never", not a wrong number', () => {
    assert.equal(detection(line('web-loss', { lbMarkedDownSeconds: null })), 'HAProxy marked it down: never');
    assert.equal(detection(line('web-loss', {})), 'HAProxy marked it down: never');
  });
});

describe('the failover benchmark table is generic over the registry', () => {
  const results = (drills: readonly DrillLine[]): FailoverResults => ({
    schema: 'moodle-ha.bench-failover/1',
    at: '2026-11-30T19:00:00.000Z',
    host: { cpus: 2, memoryGiB: 23, docker: '27', node: 'v20' },
    cluster: { name: 'mhbenchfo', profile: 'ha', http: 28380, stats: 28704, webNodes: 2, upSeconds: 90 },
    drillOptions: { users: 6, durationSeconds: 40, faultAtSeconds: 15, thinkSeconds: 0.5 },
    drills,
    autoscaler: { problems: ['not run'] },
    timings: { drillsSeconds: 1, autoscalerSeconds: 0, totalSeconds: 1 },
    resultsDir: '/tmp/x',
    problems: [],
  });
  const line = (drill: DrillName, i: number): DrillLine => ({
    drill,
    status: 'met',
    wallSeconds: 60,
    loadAverage: { mean: 3, max: 4, samples: 10 },
    otherClusters: [],
    figures: {},
    fault: { action: 'a', target: `target-${i}`, atSeconds: 15, tookSeconds: 0, detail: '' },
    errorFreeAfterSeconds: 1,
    writesResumedSeconds: 2,
    steps: { ok: 300, failedGet: i, failedPost: 1, slow: 10 + i },
    faultWindowP99Ms: 1000 + i * 111.4,
    sessions: { lost: 0, writtenInLastSecondBeforeFault: 0, lostBeyondThose: 0 },
    posts: { missing: 0, acknowledged: 40 },
    missedBars: [],
  });
  test('a row for every drill in the registry, with its slow steps and the p99 of its fault window', () => {
    const out = renderFailover(results(DRILL_NAMES.map(line)));
    const lines = out.split('\n');
    const head = lines.find((l) => l.startsWith('drill '))!;
    assert.match(head, /failed GET\/POST +slow +p99 fault window +lost sessions/);
    DRILL_NAMES.forEach((name, i) => {
      const row = lines.find((l) => l.startsWith(`${name} `));
      assert.ok(row, `no row for ${name}`);
      assert.match(row, new RegExp(`target-${i} .* ${i}/1 +${10 + i} +${Math.round(1000 + i * 111.4)} ms +0 +0/40 `));
    });
  });
  test('a drill that did not run has dashes, not numbers', () => {
    const out = renderFailover(
      results([
        {
          drill: DRILL_NAMES[0]!,
          status: 'did not run',
          reason: 'no steady state',
          wallSeconds: 1,
          loadAverage: { mean: 0, max: 0, samples: 0 },
          otherClusters: [],
        },
      ]),
    );
    assert.match(out, new RegExp(`^${DRILL_NAMES[0]} +- +did not run +- +- +- +- +- +- +- +- +NOT RUN$`, 'm'));
  });
});
