// `moodle-ha drill` against a real ha cluster brought up with the CLI (its own name and ports):
// web-loss interrupted with Ctrl-C after its fault (the killed node must be back), then web-loss,
// db-writer-loss, cache-primary-loss, caches-primary-loss, lb-restart, scale-in, config-change, cache-stall, node-crash and full-restart under load, each held
// to the bars. A bar the product misses fails here with the measured figure; it is never loosened.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { localRuntime } from '../../src/local/runtime.ts';
import { DB_WRITER_LOSS_MAX_FAILED } from '../../src/ops/drills/catalog/db-writer-loss.ts';
import type { DrillResult } from '../../src/ops/drills/result.ts';
import { readSpec } from '../../src/spec/read.ts';
import { cli, type CliRun } from '../support/cli.ts';
import { TEST_CLUSTERS } from '../support/test-clusters.ts';

const NAME = TEST_CLUSTERS.drills;
const HTTP = 29180;
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-drill-'));
const specFile = join(dir, 'moodle-ha.yaml');
writeFileSync(specFile, `name: ${NAME}\nprofile: ha\nports:\n  http: ${HTTP}\n  stats: 29504\n  mail: 29505\n`);
const out = join(dir, 'results');
// 10 s of load before the fault (the users ramp over 2.5 s of it) and 20 s after it, past the
// longest recovery bar (15 s); a long fault (config-change, node-crash, full-restart) keeps the load
// for as long as it takes, then 20 s. 40 s with the fault at 15 s cost CI 82 s more (72 s outside CI).
const DURATION = process.env.MOODLE_HA_DRILL_DURATION ?? '30s';
const FAULT_AT = process.env.MOODLE_HA_DRILL_FAULT_AT ?? '10s';
// The load is sized to what this machine's cluster carries with one member gone, so the bars
// measure the failover, not the machine. With the default 6 users on a 2-core CI machine (all
// of the ha cluster, and the load, on two cores), the one web node left after web-loss queued
// requests past the 5 s bar (p99 5.4 s in the fault window; 2 requests retried off the killed
// node took 5.2 and 5.4 s), while the same drill with a node to spare had p95 1.2-1.5 s.
const USERS = process.env.MOODLE_HA_DRILL_USERS ?? '4';

/** Runs one drill through the CLI; returns the run and the JSON it wrote. */
async function drill(name: string): Promise<{ run: CliRun; result: DrillResult }> {
  const known = new Set(existsSync(out) ? readdirSync(out) : []);
  const run = await cli(['drill', name, '--users', USERS, '--duration', DURATION, '--fault-at', FAULT_AT, '--out', out, '--spec', specFile], {
    echo: true,
    timeoutMs: 1_200_000,
  });
  const file = (existsSync(out) ? readdirSync(out) : []).find((f) => !known.has(f) && f.startsWith(`drill-${name}-`) && f.endsWith('.json'));
  assert.ok(file, `drill ${name} wrote no JSON (exit ${run.code}):\n${run.stderr.slice(-4000)}`);
  const result = JSON.parse(readFileSync(join(out, file), 'utf8')) as DrillResult;
  // Printed before any assertion, so a failure in CI (whose log keeps little) is explained by it.
  process.stderr.write(`[figures] ${name}: ${figures(result)}\n[timeline] ${name}: ${timeline(result)}\n`);
  assert.ok(existsSync(join(out, file.replace(/\.json$/, '.html'))), 'the HTML report is written next to the JSON');
  // Every drill reports the p99 latency of its fault window, in the JSON, the HTML and the summary.
  assert.equal(result.faultWindow.fromSeconds, result.fault.atSeconds, 'the fault window starts at the injection');
  assert.ok(
    result.faultWindow.toSeconds > result.faultWindow.fromSeconds && result.faultWindow.steps > 0,
    `${name}: fault window ${JSON.stringify(result.faultWindow)}; seconds (ok/failed): ${timeline(result)}`,
  );
  assert.equal(typeof result.faultWindow.p99Ms, 'number', JSON.stringify(result.faultWindow));
  assert.match(readFileSync(join(out, file.replace(/\.json$/, '.html')), 'utf8'), /p99 latency in the fault window/);
  assert.match(run.stdout, /p99 fault window/);
  assert.equal(run.code, result.passed ? 0 : 1, 'exit 0 when every bar was met, 1 otherwise');
  return { run, result };
}

const figures = (r: DrillResult) =>
  `ok ${r.totals.ok}, failed ${r.totals.failed} (GET ${r.totals.failedIdempotent}, POST ${r.totals.failedNonIdempotent}; slow ${r.totals.slow}), fault window ${r.faultWindow.fromSeconds}-${r.faultWindow.toSeconds} s: ${r.faultWindow.steps} steps, p99 ${r.faultWindow.p99Ms} ms, lost sessions ${r.sessions.lost}, posts missing ${r.posts.missing.length}/${r.posts.acknowledged}, error-free after ${r.recovery.seconds} s, writes after ${r.recovery.writesResumedSeconds} s; first failures: ${JSON.stringify(r.failures.slice(0, 4))}`;

/** Steps ok/failed per second of the load, from 3 s before the fault: "s7 5/0 s8 4/0 ...". */
const timeline = (r: DrillResult) =>
  r.timeline
    .filter((p) => p.second >= Math.floor(r.fault.atSeconds) - 3)
    .map((p) => `s${p.second} ${p.ok}/${p.failed}`)
    .join(' ');

async function waitFor(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond().catch(() => false))) {
    if (Date.now() - t0 > ms) assert.fail(`not within ${ms / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('drills on a real ha cluster', { timeout: 5_400_000 }, () => {
  before(async () => {
    await cli(['down', '--volumes', '--spec', specFile]);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 1_500_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
  });

  describe('web-loss interrupted with Ctrl-C after the fault', () => {
    const runtime = localRuntime(readSpec({ file: specFile }));
    let nodesBefore: string[];
    let run: CliRun;
    let victim: string;
    before(async () => {
      nodesBefore = await runtime.webNodes();
      run = await cli(['drill', 'web-loss', '--users', USERS, '--duration', DURATION, '--fault-at', FAULT_AT, '--out', out, '--spec', specFile], {
        timeoutMs: 900_000,
        echo: true,
        interrupt: { when: /\] fault: kill -9 web node \S+/ },
      });
      victim = /\] fault: kill -9 web node (\S+)/.exec(run.stderr)?.[1] ?? '';
    });
    test('it stops the load, restores, says what it restored and exits 130', () => {
      assert.ok(run.interrupted, `the fault was never injected:\n${run.stderr.slice(-3000)}`);
      assert.match(victim, new RegExp(`^${NAME}-web-\\d$`));
      assert.equal(run.code, 130, run.stderr.slice(-3000));
      assert.match(run.stderr, new RegExp(`drill web-loss was interrupted; restored after an interruption: start ${victim} \\(started; /readyz 200`));
    });
    test('the killed web node runs and is ready again, and the tier has as many nodes as before', async () => {
      const member = (await runtime.members('web')).find((m) => m.name === victim);
      assert.ok(member?.running, `${victim}: ${JSON.stringify(member)}`);
      assert.equal(member.health, 'ready');
      assert.deepEqual(await runtime.webNodes(), nodesBefore);
      await waitFor(
        async () => {
          const lb = await runtime.lbServers();
          return Array.isArray(lb) && lb.length === nodesBefore.length && lb.every((s) => s.status === 'UP');
        },
        30_000,
        'every web node UP in the load balancer',
      );
    });
  });

  describe('web-loss', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('web-loss')));
    test('the run had load, a fault and a steady state on both sides', () => {
      assert.ok(r.totals.ok > 50, figures(r));
      assert.match(r.fault.target, new RegExp(`^${NAME}-web-\\d$`));
      assert.ok(r.steadyState.before.ok);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
      assert.ok(r.posts.acknowledged > 0, 'replies were made');
    });
    test('0 lost sessions', () => assert.equal(r.sessions.lost, 0, figures(r)));
    test('0 acknowledged posts lost', () => assert.deepEqual(r.posts.missing, [], figures(r)));
    test('0 failed idempotent requests', () => assert.equal(r.totals.failedIdempotent, 0, figures(r)));
    test('error-free again within 5 s', () => assert.ok(r.recovery.seconds !== null && r.recovery.seconds <= 5, figures(r)));
  });

  describe('db-writer-loss', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('db-writer-loss')));
    test('the writer was killed and rejoined', () => {
      assert.match(r.fault.target, new RegExp(`^${NAME}-db-[123]$`));
      assert.match(r.restore.detail, /rejoined \(Synced\)/);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('0 acknowledged posts lost', () => assert.deepEqual(r.posts.missing, [], figures(r)));
    test('writes resume within 15 s', () => assert.ok(r.recovery.writesResumedSeconds !== null && r.recovery.writesResumedSeconds <= 15, figures(r)));
    test(`at most ${DB_WRITER_LOSS_MAX_FAILED} failed requests, slow ones included`, () => assert.ok(r.totals.failed <= DB_WRITER_LOSS_MAX_FAILED, figures(r)));
  });

  describe('cache-primary-loss', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('cache-primary-loss')));
    test('the primary was killed, a new one promoted, the old one is a replica again', () => {
      assert.match(r.fault.target, new RegExp(`^${NAME}-redis-[12]$`));
      assert.equal(typeof r.figures.sentinelPromotedSeconds, 'number', JSON.stringify(r.figures));
      assert.match(r.restore.detail, /replica again/);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('sessions survive, except those written in the last second before the fault', () =>
      assert.ok(r.sessions.lost <= r.sessions.writtenInLastSecondBeforeFault, figures(r)));
    test('no page fails to start its session: session starts wait out the failover (moodleha_redis_failover_wait)', () => {
      const refused = r.failures.filter((f) => /Failed to connect .* to Redis/.test(f.detail));
      assert.deepEqual(refused, [], figures(r));
    });
    test('error-free again within 15 s', () => assert.ok(r.recovery.seconds !== null && r.recovery.seconds <= 15, figures(r)));
  });

  describe('caches-primary-loss', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('caches-primary-loss')));
    test("the caches' primary was killed, a new one promoted, the old one is a replica again", () => {
      assert.match(r.fault.target, new RegExp(`^${NAME}-cache-[12]$`));
      assert.equal(typeof r.figures.cachesSentinelPromotedSeconds, 'number', JSON.stringify(r.figures));
      assert.match(r.restore.detail, /replica again/);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('no session lost: none lives on the caches', () => assert.equal(r.sessions.lost, 0, figures(r)));
    test('error-free again within 15 s', () => assert.ok(r.recovery.seconds !== null && r.recovery.seconds <= 15, figures(r)));
    test('0 acknowledged posts lost', () => assert.deepEqual(r.posts.missing, [], figures(r)));
  });

  describe('scale-in', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('scale-in')));
    test('one node drained and stopped, then the tier scaled back', () => {
      assert.match(r.fault.action, /from 2 to 1 nodes/);
      assert.match(r.restore.action, /scale back to 2 nodes/);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('0 failed requests', () => assert.equal(r.totals.failed, 0, figures(r)));
  });

  describe('lb-restart', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('lb-restart')));
    test('HAProxy restarted and the cluster is steady again', () => {
      assert.match(r.fault.target, new RegExp(`^${NAME}-lb$`));
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('0 lost sessions, 0 acknowledged posts lost', () => {
      assert.equal(r.sessions.lost, 0, figures(r));
      assert.deepEqual(r.posts.missing, [], figures(r));
    });
    test('error-free again within 10 s', () => assert.ok(r.recovery.seconds !== null && r.recovery.seconds <= 10, figures(r)));
  });

  describe('config-change', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('config-change')));
    test("up replaced each web node one at a time, and the restore's up rolled them back", () => {
      assert.match(r.fault.detail, new RegExp(`replaced ${NAME}-web-1, ${NAME}-web-2 one at a time`), r.fault.detail);
      assert.match(r.restore.detail, new RegExp(`replaced ${NAME}-web-1, ${NAME}-web-2 one at a time`), r.restore.detail);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('0 failed requests', () => assert.equal(r.totals.failed, 0, figures(r)));
    test('0 lost sessions, 0 acknowledged posts lost', () => {
      assert.equal(r.sessions.lost, 0, figures(r));
      assert.deepEqual(r.posts.missing, [], figures(r));
    });
  });

  describe('cache-stall', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('cache-stall')));
    const stall = () => `${figures(r)}; stall figures ${JSON.stringify(r.figures)}`;
    test('the Redis primary was paused for 5 s and runs again; the cluster is steady', () => {
      assert.match(r.fault.target, new RegExp(`^${NAME}-redis-[12]$`));
      assert.ok(typeof r.figures.stalledSeconds === 'number' && r.figures.stalledSeconds >= 5 && r.figures.stalledSeconds < 7, stall());
      assert.match(r.restore.action, /^unpause /);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('never "no server available": some web node UP all the time', () => assert.equal(r.figures.noServerSeconds, 0, stall()));
    test('every web node stays UP in the load balancer throughout', () => assert.equal(r.figures.webNodesMarkedDown, 'none', stall()));
    test('error-free again within 5 s of the resume', () => {
      const stalled = r.figures.stalledSeconds as number;
      assert.ok(r.recovery.seconds !== null && r.recovery.seconds - stalled <= 5, stall());
    });
    test('0 acknowledged posts lost', () => assert.deepEqual(r.posts.missing, [], figures(r)));
  });

  describe('node-crash (the drill restarts nothing: the controller heals)', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('node-crash')));
    const back = (key: 'webNodeBackSeconds' | 'galeraMemberBackSeconds' | 'redisPrimaryBackSeconds') => {
      const v = r.figures[key];
      return typeof v === 'number' ? v : null;
    };
    test('a web node, a Galera member and the Redis primary were killed, and all came back without the drill', () => {
      assert.match(r.fault.detail, new RegExp(`SIGKILL each in turn \\(${NAME}-web-\\d, ${NAME}-db-3, ${NAME}-redis-[12]\\)`));
      assert.equal(r.restore.action, 'nothing', r.restore.detail);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('the web node back to full capacity (ready, UP) within 20 s', () => assert.ok((back('webNodeBackSeconds') ?? 99) <= 20, JSON.stringify(r.figures)));
    test('the Galera member Synced again within 20 s', () => assert.ok((back('galeraMemberBackSeconds') ?? 99) <= 20, JSON.stringify(r.figures)));
    test('the Redis primary running again, the pair whole (one primary, replica linked), within 20 s', () =>
      assert.ok((back('redisPrimaryBackSeconds') ?? 99) <= 20, JSON.stringify(r.figures)));
    test('0 acknowledged posts lost', () => assert.deepEqual(r.posts.missing, [], figures(r)));
  });

  describe('full-restart', () => {
    let r: DrillResult;
    before(async () => ({ result: r } = await drill('full-restart')));
    // The steady state after it asks each Galera member for the cluster's size: a bootstrap from
    // the wrong member leaves three Synced one-member clusters, which Docker's health check passes.
    test('down and up ran, migrate found nothing to do, and every Galera member counts all 3', () => {
      assert.match(r.fault.detail, /migrate: unchanged/);
      assert.ok(r.steadyState.after.ok, r.steadyState.after.problems.join('; '));
    });
    test('every user, course, post and file is still there (rows and file contents)', () => {
      assert.ok(r.inventory, 'an inventory was taken before and after');
      const c = r.inventory.before.counts;
      assert.ok(c.users > 0 && c.courses > 0 && c.posts > 0 && c.files > 0 && r.inventory.before.fileContents > 0, JSON.stringify(r.inventory.before));
      assert.deepEqual(r.inventory.lost, { users: 0, courses: 0, posts: 0, files: 0, fileContents: 0 }, JSON.stringify(r.inventory));
    });
    test('0 lost sessions, 0 acknowledged posts lost', () => {
      assert.equal(r.sessions.lost, 0, figures(r));
      assert.deepEqual(r.posts.missing, [], figures(r));
    });
  });
});
