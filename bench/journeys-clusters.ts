// The two clusters of the journeys benchmark, each with its own name, ports and spec file (in a
// temp folder), so no other cluster on the machine is touched:
//  - mhbenchdev, profile dev: one web node, single MariaDB, single Redis (the reference);
//  - mhbenchha, profile ha: 3-node Galera behind the writer endpoint, Redis primary + replica +
//    3 Sentinels behind the primary endpoint; its web tier is scaled to 1, 2 and 3 nodes.
// Same FPM workers and web memory on both. Brought up and torn down (`down --volumes`) with the
// CLI, as a user does; between the measurements the replies a run posted are deleted again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from '../src/local/engine/docker.ts';
import { inspectContainer } from '../src/local/containers.ts';
import { clusterNames } from '../src/local/names.ts';
import { localRuntime } from '../src/local/runtime.ts';
import { moodlePhp, webNode } from '../src/ops/load/fixture.ts';
import type { ClusterRuntime } from '../src/runtime/cluster.ts';
import { readSpec } from '../src/spec/read.ts';
import type { Spec } from '../src/spec/schema.ts';
import { UserError } from '../src/util/errors.ts';
import { BENCH, cli } from './cluster.ts';

export type Profile = 'dev' | 'ha';

export const JOURNEY_CLUSTERS = {
  dev: { name: 'mhbenchdev', http: 28180, stats: 28504, mail: 28505 },
  ha: { name: 'mhbenchha', http: 28280, stats: 28604, mail: 28605 },
} as const satisfies Record<Profile, { name: string; http: number; stats: number; mail: number }>;

export interface BenchCluster {
  readonly profile: Profile;
  readonly dir: string;
  readonly file: string;
  readonly spec: Spec;
  readonly runtime: ClusterRuntime;
}

export function writeClusterSpec(profile: Profile): BenchCluster {
  const c = JOURNEY_CLUSTERS[profile];
  const dir = mkdtempSync(join(tmpdir(), `moodle-ha-bench-${profile}-`));
  const file = join(dir, 'moodle-ha.yaml');
  // ha starts with its minimum of 2 web nodes; the benchmark scales it to 1, 2 and 3.
  writeFileSync(
    file,
    `name: ${c.name}\nprofile: ${profile}\nweb:\n  nodes: ${profile === 'ha' ? 2 : 1}\n  fpmWorkers: ${BENCH.fpmWorkers}\nports:\n  http: ${c.http}\n  stats: ${c.stats}\n  mail: ${c.mail}\n`,
  );
  const loaded = readSpec({ file });
  return { profile, dir, file, spec: loaded.spec, runtime: localRuntime(loaded) };
}

// The `up` child process running now, if any. A signal sent to the bench alone (not to its
// process group, as Ctrl-C does) leaves the child running: `down` waits for it, or the child
// would go on creating containers after the teardown.
let upRunning: Promise<unknown> | undefined;

/** `moodle-ha up`; throws a message naming the cluster when it does not come up. */
export async function bringUp(c: BenchCluster): Promise<number> {
  const run = cli(['up', '--spec', c.file], { timeoutMs: 1_800_000 });
  const settled = (upRunning = run.catch(() => {}).finally(() => (upRunning = undefined)));
  const r = await run;
  await settled;
  if (r.code !== 0) throw new UserError(`cluster ${c.spec.name} (profile ${c.profile}) did not come up: "moodle-ha up" exited ${r.code}; its output is above`);
  return r.seconds;
}

export async function setCronPaused(c: BenchCluster, paused: boolean): Promise<void> {
  const name = clusterNames(c.spec.name).container('cron');
  const info = await inspectContainer(name);
  if (!info?.State.Running || info.State.Paused === paused) return;
  const cron = docker().getContainer(name);
  await (paused ? cron.pause() : cron.unpause());
}

/** Unpauses cron, then `down --volumes`; says how to clean up by hand when that fails. */
export async function downVolumes(c: BenchCluster, log: (s: string) => void): Promise<void> {
  if (upRunning) {
    log('waiting for the running "moodle-ha up" to end before tearing down');
    await upRunning;
  }
  await setCronPaused(c, false).catch(() => {});
  const d = await cli(['down', '--volumes', '--spec', c.file]).catch(() => ({ code: -1 }));
  if (d.code !== 0)
    log(
      `down --volumes of ${c.spec.name} failed (exit ${d.code}); remove what is left with: npx moodle-ha down --volumes --spec <a spec with name: ${c.spec.name}>`,
    );
}

/** `down --volumes`, then the spec's temp folder goes too. */
export async function tearDown(c: BenchCluster, log: (s: string) => void): Promise<void> {
  await downVolumes(c, log);
  rmSync(c.dir, { recursive: true, force: true });
}

// The journey's replies carry "mhload-<run>-vu<n>" in their message; they are deleted with the
// forum's own API (discussion's last post, read tracking, events), so every run meets the same
// discussions as the generator made them, whichever cluster and however many runs came before.
const DELETE_REPLIES = `require_once($CFG->dirroot . '/mod/forum/lib.php');
$forum = $DB->get_record('forum', ['id' => $in['forumId']], '*', MUST_EXIST);
$course = $DB->get_record('course', ['id' => $forum->course], '*', MUST_EXIST);
$cm = get_coursemodule_from_instance('forum', $forum->id, $course->id, false, MUST_EXIST);
$posts = $DB->get_records_sql("SELECT p.* FROM {forum_posts} p JOIN {forum_discussions} d ON d.id = p.discussion
  WHERE d.forum = ? AND p.parent <> 0 AND " . $DB->sql_like('p.message', '?'), [$forum->id, '%' . $DB->sql_like_escape('mhload-') . '%']);
$n = 0;
foreach ($posts as $p) if (forum_delete_post($p, 'ignore', $course, $cm, $forum, true)) $n++;
echo '@@JSON@@', json_encode($n), '@@END@@';`;

/** Deletes the replies load runs posted in the test forum; returns how many. */
export async function deleteReplies(c: BenchCluster, forumId: number): Promise<number> {
  return moodlePhp<number>(c.runtime, await webNode(c.runtime), DELETE_REPLIES, { forumId });
}

export interface LbCounters {
  /** Web server → requests sent to it and times its health check took it DOWN. */
  readonly [server: string]: { readonly requests: number; readonly downs: number; readonly status: string };
}

/** Per web server counters from HAProxy's stats page (reset when the LB reloads, e.g. on scaling). */
export async function lbCounters(c: BenchCluster): Promise<LbCounters> {
  const r = await fetch(`http://127.0.0.1:${c.spec.ports.stats}/stats;csv`, { signal: AbortSignal.timeout(5000) });
  const [header, ...rows] = (await r.text()).trim().split('\n');
  const cols = header!.replace(/^# /, '').split(',');
  const out: Record<string, { requests: number; downs: number; status: string }> = {};
  for (const row of rows.map((x) => x.split(','))) {
    const at = (k: string) => row[cols.indexOf(k)] ?? '';
    if (at('pxname') !== 'web' || at('svname') === 'FRONTEND' || at('svname') === 'BACKEND') continue;
    out[at('svname')] = { requests: Number(at('stot') || 0), downs: Number(at('chkdown') || 0), status: at('status') };
  }
  return out;
}

/** What happened per web server between two readings of the counters. */
export function lbDelta(before: LbCounters, after: LbCounters): LbCounters {
  const out: Record<string, { requests: number; downs: number; status: string }> = {};
  for (const [server, a] of Object.entries(after)) {
    const b = before[server];
    // A counter smaller than before means the LB reloaded in between: count from zero.
    const d = (x: number, y: number | undefined) => (y === undefined || x < y ? x : x - y);
    out[server] = { requests: d(a.requests, b?.requests), downs: d(a.downs, b?.downs), status: a.status };
  }
  return out;
}
