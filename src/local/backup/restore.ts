// `restore`: replaces the running local cluster's data with a backup. Nothing changes until the
// backup is verified (manifest, sizes, SHA-256), its Moodle version is one this cluster's code can
// run, and the operator confirmed. Then: the autoscaler, web nodes and cron stop (nobody writes
// during the restore) → the database is replaced through the writer endpoint (on Galera this
// replicates) → moodledata is replaced → Redis is flushed (sessions and caches of the old data:
// everyone logs in again) → migrate (an older backup is upgraded to the code) → content back from
// trashdir, a check that every file has its content, caches purged → web nodes and cron start,
// each web node ready, the load balancer serving. A failure says what state the cluster is in.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { LABELS } from '../../contract/image.ts';
import { docker } from '../engine/docker.ts';
import type { Spec } from '../../spec/schema.ts';
import { UserError } from '../../util/errors.ts';
import type { Progress } from '../../util/progress.ts';
import { foregroundPid } from '../autoscaler-guard.ts';
import { stopAutoscalerContainer } from '../autoscaler-container.ts';
import { exec } from '../containers.ts';
import { migrateFailure, progressHooks, removeMigrateUnlessRunning, runMigrateContainer } from '../migrate.ts';
import { waitHttp, waitReady } from '../readiness.ts';
import { runtimeContainer } from '../services.ts';
import { hostFor } from '../up.ts';
import { recordedWebBundle } from '../web-bundle.ts';
import { runningCluster, type RunningCluster } from './cluster.ts';
import { loadHelper } from './database.ts';
import { compareMoodleVersions, readManifest, type BackupManifest } from './format.ts';
import { runHelper } from './helper.ts';
import { verifyParts } from './integrity.ts';
import { afterRestoreHelper, codeVersionHelper, parseMarked, type AfterRestore, type CodeVersion } from './moodle-php.ts';
import { unpackHelper } from './moodledata.ts';
import { byteCounter, ByteCount, mb } from './progress-bytes.ts';
import { cacheEndpoint, REDIS_PORT } from '../endpoints.ts';
import { hint, shellWord } from '../../spec/hint.ts';

export interface RestoreOptions {
  readonly dir: string;
  readonly progress: Progress;
  /** Asked once everything is checked, before anything changes; false cancels. */
  readonly confirm: (summary: string) => Promise<boolean>;
  readonly signal?: AbortSignal;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  /** From stopping the site to the load balancer serving it again. */
  readonly seconds: number;
  readonly migrate: string;
  readonly after: AfterRestore;
  readonly webNodes: readonly string[];
}

/** How far a restore got: what a failure leaves behind. */
type Phase = 'untouched' | 'stopped' | 'database' | 'files' | 'settled';

export async function restore(spec: Spec, opts: RestoreOptions): Promise<RestoreResult> {
  const { progress, signal } = opts;
  const manifest = readManifest(opts.dir);
  const cluster = await runningCluster(spec, { needWeb: true });
  const pid = foregroundPid(spec.name);
  if (pid !== undefined) {
    throw new UserError(
      `a foreground autoscaler (pid ${pid}) runs for cluster "${spec.name}" and would start web nodes while the restore has them stopped: stop it first (Ctrl-C in its terminal, or "kill ${pid}"). Nothing was changed.`,
    );
  }
  const total = manifest.parts.database.bytes + manifest.parts.moodledata.bytes;
  let checked = 0;
  await progress.step(`verify the backup (${mb(total)}: sizes and SHA-256)`, () =>
    byteCounter(
      progress,
      'verified',
      {
        get bytes() {
          return checked;
        },
      },
      () => verifyParts(opts.dir, manifest, (n) => (checked += n)),
      total,
    ),
  );
  const code = await codeVersion(cluster);
  if (compareMoodleVersions(manifest.moodle.version, code.version) > 0) {
    throw new UserError(
      `the backup is of Moodle ${manifest.moodle.release} (version ${manifest.moodle.version}), newer than this cluster's code, Moodle ${code.release} (version ${code.version}); ` +
        `Moodle cannot run a database newer than its code. Set moodle.version in moodle-ha.yaml to the backup's release (or newer), run "${hint('up')}", then restore. Nothing was changed.`,
    );
  }
  const summary =
    `This replaces ALL data of cluster "${spec.name}" (its database and moodledata) with the backup of "${manifest.cluster}" taken at ${manifest.pointInTime} ` +
    `(Moodle ${manifest.moodle.release}: ${manifest.site.users} users, ${manifest.site.courses} courses, ${manifest.site.forumPosts} forum posts, ${manifest.site.files} files). ` +
    'What the site holds now is lost unless you backed it up. Everyone is logged out.';
  if (!(await opts.confirm(summary))) throw new UserError('restore cancelled; nothing was changed');
  if (signal?.aborted) throw new UserError('restore interrupted before it changed anything; nothing was changed');

  const t0 = Date.now();
  const n = cluster.names;
  let phase: Phase = 'untouched';
  let current = '';
  const step = <T>(title: string, work: () => Promise<T>) => {
    current = title;
    if (signal?.aborted) throw new UserError('interrupted');
    return progress.step(title, work);
  };
  const stoppedAutoscaler = await stopAutoscalerContainer(spec.name);
  if (stoppedAutoscaler) progress.info(`${n.container('autoscaler')}: stopped for the restore`);
  const stopped = [...cluster.runningWebNodes, ...(cluster.cronRunning ? [n.container('cron')] : [])];
  // At the end every web node and cron run, also those an earlier failed restore left stopped.
  const started = [...cluster.webNodes, ...(cluster.cron ? [cluster.cron] : [])];
  try {
    await step(`stop the web nodes and cron (${stopped.length} running; the site is down from here)`, async () => {
      await Promise.all(stopped.map((c) => docker().getContainer(c).stop({ t: 35 }).catch(ignoreNotRunning)));
    });
    phase = 'stopped';

    const db = manifest.parts.database;
    await step(`database: replace it with the dump (${mb(db.bytes)} compressed) through ${n.dbWriter}`, async () => {
      phase = 'database';
      const fed = new ByteCount();
      const r = await byteCounter(
        progress,
        'database: read from the backup and sent',
        fed,
        () => runHelper(loadHelper(cluster), { signal, input: createReadStream(join(opts.dir, db.file)).pipe(fed) }),
        db.bytes,
      );
      if (r.code !== 0) throw new UserError(`loading the dump failed (exit ${r.code}): ${r.stderr.trim().slice(-1500)}`);
    });

    const files = manifest.parts.moodledata;
    await step(`moodledata: replace it with the archive (${mb(files.bytes)} compressed)`, async () => {
      phase = 'files';
      const fed = new ByteCount();
      const r = await byteCounter(
        progress,
        'moodledata: read from the backup and sent',
        fed,
        () => runHelper(unpackHelper(cluster), { signal, input: createReadStream(join(opts.dir, files.file)).pipe(fed) }),
        files.bytes,
      );
      if (r.code !== 0) throw new UserError(`unpacking moodledata failed (exit ${r.code}): ${r.stderr.trim().slice(-1500)}`);
    });

    await step('Redis: flush sessions and caches (they belong to the replaced data)', () => flushRedis(cluster));
    const bundle = recordedWebBundle(spec);
    const migrate = await step('migrate (upgrades the restored database if the code is newer)', async () => {
      const run = await runMigrateContainer(runtimeContainer(spec, cluster.images, cluster.secrets, 'migrate', 1, bundle), progressHooks(progress));
      if (run.exitCode !== 0) throw new UserError(migrateFailure(run, 'the web nodes and cron stay stopped'));
      return run.result;
    });
    const after = await step('files: content back from trashdir, every file checked; caches purged', async () => {
      const r = await runHelper(afterRestoreHelper(cluster), { signal });
      if (r.code !== 0) throw new UserError(`the check after the restore failed (exit ${r.code}): ${(r.stdout + r.stderr).trim().slice(-1500)}`);
      return parseMarked<AfterRestore>(r.stdout, 'the check after the restore', r.stderr);
    });
    phase = 'settled';

    await step(`start the web nodes and cron, wait until ready`, async () => {
      for (const c of started) await docker().getContainer(c).start().catch(ignoreRunning);
      for (const w of cluster.webNodes) await waitReady(w, 180_000);
      await waitHttp(`http://${hostFor(spec.ports.bind)}:${spec.ports.http}/login/index.php`, 120_000, new URL(spec.site.url).host);
    });
    const seconds = (Date.now() - t0) / 1000;
    if (stoppedAutoscaler) await docker().getContainer(n.container('autoscaler')).start().catch(ignoreRunning);
    return { manifest, seconds, migrate, after, webNodes: cluster.webNodes };
  } catch (e) {
    const why = signal?.aborted ? 'interrupted' : (e as Error).message;
    if (phase === 'untouched' || phase === 'stopped') {
      for (const c of stopped)
        await docker()
          .getContainer(c)
          .start()
          .catch(() => undefined);
      if (stoppedAutoscaler)
        await docker()
          .getContainer(n.container('autoscaler'))
          .start()
          .catch(() => undefined);
      throw new UserError(`restore failed before it changed any data (${current}): ${why}. The web nodes and cron were started again; the site is as it was.`);
    }
    await removeMigrateUnlessRunning(n.container('migrate')).catch(() => undefined);
    throw new UserError(`restore failed at "${current}": ${why}`, stateAfterFailure(phase, opts.dir, stoppedAutoscaler));
  }
}

/** What a restore that failed after changing data leaves, and what to do. */
export function stateAfterFailure(phase: Exclude<Phase, 'untouched' | 'stopped'>, dir: string, autoscaler: boolean): string[] {
  const data = {
    database: 'the database is partly loaded or empty; moodledata is still the old one',
    files: "the database is the backup's; moodledata is partly replaced",
    settled: "the database and moodledata are the backup's, and migrate ran",
  }[phase];
  return [
    `state: ${data}.`,
    `the web nodes and cron are stopped${autoscaler ? ', and so is the autoscaler' : ''}, so nobody uses a half-restored site (the load balancer answers 503).`,
    `to finish: fix the cause and run "${hint(`restore ${shellWord(dir)}`)}" again (it starts over from the backup), or restore another backup.`,
    phase === 'settled'
      ? `"${hint('up')}" starts the web nodes and cron on the restored data as it is.`
      : `"${hint('up')}" alone would start the site on half-restored data: restore first.`,
  ];
}

async function codeVersion(c: RunningCluster): Promise<CodeVersion> {
  const r = await runHelper(codeVersionHelper(c));
  if (r.code !== 0) throw new Error(`cannot read the code version from ${c.images.runtime} (exit ${r.code}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as CodeVersion;
}

/** FLUSHALL on the sessions' and the caches' Redis primaries (through their endpoints, from any Redis container). */
async function flushRedis(c: RunningCluster): Promise<void> {
  const redis = (
    await docker().listContainers({ filters: { label: [`${LABELS.cluster}=${c.spec.name}`, `${LABELS.service}=redis`], status: ['running'] } })
  )[0];
  if (!redis) throw new UserError('no Redis container runs');
  const cache = cacheEndpoint(c.spec);
  for (const [host, port] of [
    [c.names.redisPrimary, REDIS_PORT],
    [cache.host, cache.port],
  ] as const) {
    const r = await exec(redis.Names[0]!.replace(/^\//, ''), [
      'sh',
      '-c',
      `REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli -h ${host} -p ${port} FLUSHALL`,
    ]);
    if (r.code !== 0 || !/OK/.test(r.output)) throw new UserError(`FLUSHALL on ${host}:${port} failed (exit ${r.code}): ${r.output.trim()}`);
  }
}

function ignoreNotRunning(e: unknown): void {
  if ((e as { statusCode?: number }).statusCode !== 304) throw e;
}
const ignoreRunning = ignoreNotRunning;
