// Runs the cluster's migrate container to its end, streaming its progress, and reports what it did
// ("installed", "upgraded" or "unchanged") with its whole log, which is kept in the cluster's state
// folder (migrate-log.ts). Nothing removes a migrate that is running (migrate-decision.ts): a run
// that finds one running (another `up` or `migrate` started it, or an interrupted one left it)
// attaches to it and reports its end; only an ended one is removed, by its ID, never by name.
import { PassThrough } from 'node:stream';
import { MIGRATE_REPORT_MARK, parseMigrateReport, type MigrateReport } from '../contract/migrate-report.ts';
import type { MigrateOutcome } from '../runtime/cluster.ts';
import { hint } from '../spec/hint.ts';
import { UserError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { createContainer, demuxFrames, inspectContainer, sleep, type ContainerSpec } from './containers.ts';
import { docker, isNotFound } from './engine/docker.ts';
import { migrateAction } from './migrate-decision.ts';
import { keepMigrateRun, keptRun, runKey } from './migrate-log.ts';
import { clusterNames } from './names.ts';

export interface MigrateHooks {
  /** Each progress line of its log (its own steps, errors) as it comes. */
  readonly onLine?: (line: string) => void;
  /** A migrate was running already (started at `startedAt`): this run waits for it instead of starting one. */
  readonly onAttach?: (startedAt: string) => void;
}

/** migrate.php's exit code when the database holds an install that stopped half-way (it changed nothing). */
export const EXIT_INTERRUPTED_INSTALL = 76;
/** migrate.php's exit code when `reinstall` found data in the half-installed database (it changed nothing). */
export const EXIT_HOLDS_DATA = 65;

/**
 * `up` found an install that stopped half-way: the way out (`migrate --reinstall`) needs the data
 * tier running, so `up` leaves it running instead of rolling it back.
 */
export class InterruptedInstallError extends UserError {}

/** Runs migrate for `up`: its result and its report of what changed, or a UserError quoting the end of its log when it failed. */
export async function runMigrate(spec: ContainerSpec, progress: Progress): Promise<{ readonly result: string; readonly report: MigrateReport | null }> {
  const run = await runMigrateContainer(spec, progressHooks(progress));
  if (run.exitCode === EXIT_INTERRUPTED_INSTALL)
    throw new InterruptedInstallError(migrateFailure(run, 'the web tier was not started; the database and Redis stay running for it'));
  if (run.exitCode !== 0) throw new UserError(migrateFailure(run, 'the web tier was not started or changed'));
  return { result: run.result, report: parseMigrateReport(run.log) };
}

/** What the database holds of the interrupted install, as migrate.php said it ("interrupted install: …"). Pure. */
export function interruptedDetail(log: string): string {
  return /interrupted install: (.*)/.exec(log)?.[1]?.trim() ?? 'its tables are there, but Moodle never marked the install complete';
}

/** Why a run refused to build on an install that stopped half-way, and the one command out of it. */
export function interruptedInstallMessage(detail: string): string {
  return (
    `the database holds an install that stopped half-way (${detail}). Installing over it or upgrading it would leave a broken site, so nothing was changed. ` +
    `The way out: "${hint('migrate --reinstall')}" reinstalls a site that holds no one's data (after you confirm); a site with data is never reinstalled. ` +
    `What the database holds: "${hint('migrate status')}".`
  );
}

/** The error of a failed run: exit code, what was left as it was, the last lines of its log and where the rest is. */
export function migrateFailure(run: Pick<MigrateOutcome, 'exitCode' | 'log'>, left: string): string {
  if (run.exitCode === EXIT_INTERRUPTED_INSTALL) return `${interruptedInstallMessage(interruptedDetail(run.log))} ${capital(left)}.`;
  if (run.exitCode === EXIT_HOLDS_DATA) return `${dataFoundMessage(run.log)} ${capital(left)}.`;
  return `migrate failed (exit ${run.exitCode}); ${left}. Last lines of its log (all of it: "${hint('migrate log')}"):\n${run.log.trimEnd().split('\n').slice(-20).join('\n')}`;
}

/** Why a reinstall was refused: the data migrate.php found, in its words. Pure. */
export function dataFoundMessage(log: string): string {
  const found = /the database holds data \((.*)\)/.exec(log)?.[1] ?? 'see its log';
  return `not reinstalled: the half-installed database holds data (${found}), and a site with data is never reinstalled. Nothing was changed. Restore a backup ("${hint('restore DIR')}"), or repair the site by hand; its log: "${hint('migrate log')}".`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Hooks that print a run's progress lines and its waiting for a running one. */
export function progressHooks(progress: Progress): MigrateHooks {
  return { onLine: (l) => progress.info(l), onAttach: (at) => progress.info(attachMessage(at)) };
}

/** What a run says when it finds a migrate running and waits for it. */
export function attachMessage(startedAt: string): string {
  return `a migrate started at ${startedAt.replace('T', ' ').slice(0, 19)} UTC is running; waiting for it (a running migrate is never removed)`;
}

/**
 * Runs one migrate container to its end, or waits for the one already running under the same
 * name. The cluster's own migrate container (named after it) keeps its log in the state folder;
 * other names (the concurrency tests' extra runs) do not.
 */
export async function runMigrateContainer(spec: ContainerSpec, hooks: MigrateHooks = {}): Promise<MigrateOutcome> {
  const keep = spec.name === clusterNames(spec.cluster).container('migrate') ? spec.cluster : undefined;
  for (let attempt = 0; attempt < 300; attempt++) {
    const info = await inspectContainer(spec.name);
    const action = migrateAction(info && { status: info.State.Status, createdAt: info.Created, startedAt: info.State.StartedAt }, Date.now());
    if (action.kind === 'attach') {
      hooks.onAttach?.(action.startedAt);
      return await follow(info!.Id, action.startedAt, hooks, keep);
    }
    if (action.kind === 'wait') {
      await sleep(1000);
      continue;
    }
    if (action.kind === 'replace') {
      if (keep) await keepEndedRun(keep, info!.Id); // a run no command followed to its end (its starter was interrupted)
      await removeEnded(info!.Id); // refused (409) if it runs again by now: the next look attaches
      continue;
    }
    let c: Awaited<ReturnType<typeof createContainer>>;
    try {
      c = await createContainer({ ...spec, restart: 'no' });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 409) continue; // another run made it first: attach to it
      throw e;
    }
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const collect = collector(hooks);
    docker().modem.demuxStream(stream, collect.sink, collect.sink);
    await c.start();
    const startedAt = (await c.inspect()).State.StartedAt;
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    await sleep(100); // the attach stream's last bytes
    return await ended(c.id, startedAt, StatusCode, collect.log(), false, keep);
  }
  throw new UserError(`the migrate container ${spec.name} stayed between states for 5 min; look at it with "docker inspect ${spec.name}"`);
}

/** Follows a running migrate from its first line to its end (it may be another process's). */
async function follow(id: string, startedAt: string, hooks: MigrateHooks, keep: string | undefined): Promise<MigrateOutcome> {
  const c = docker().getContainer(id);
  try {
    const stream = await c.logs({ follow: true, stdout: true, stderr: true });
    const collect = collector(hooks);
    docker().modem.demuxStream(stream, collect.sink, collect.sink);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    return await ended(id, startedAt, StatusCode, collect.log(), true, keep);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    // Its starter removed it as it ended, after keeping its record: read that.
    for (let i = 0; keep && i < 20; i++, await sleep(250)) {
      const run = keptRun(keep, runKey(startedAt, id));
      if (run) return { ...run, attached: true };
    }
    throw new UserError(`the migrate that was running ended and was removed before its end could be read; its log: "${hint('migrate log')}"`);
  }
}

async function ended(id: string, startedAt: string, exitCode: number, log: string, attached: boolean, keep: string | undefined): Promise<MigrateOutcome> {
  const finished = await docker()
    .getContainer(id)
    .inspect()
    .then((i) => i.State.FinishedAt)
    .catch(() => undefined);
  const run = {
    startedAt,
    finishedAt: finished && !finished.startsWith('0001') ? finished : new Date().toISOString(),
    result: exitCode === 0 ? migrateResult(log) : 'failed',
    exitCode,
    log,
  };
  if (keep) keepMigrateRun(keep, runKey(startedAt, id), run); // before the container goes: a run attached to it reads this
  await removeEnded(id);
  return { ...run, attached };
}

/** Removes the migrate container `name` unless it runs (rollbacks and cleanups: a running migrate finishes its work). */
export async function removeMigrateUnlessRunning(name: string): Promise<void> {
  const info = await inspectContainer(name);
  if (info) await removeEnded(info.Id);
}

/**
 * Keeps the log and record of the cluster's ended migrate container `id` unless they are kept
 * already: a run whose starter was interrupted (Ctrl-C on `up`) or that was killed is still
 * readable with `migrate log` once its container is gone. A container that runs, or was never
 * started, is left alone.
 */
export async function keepEndedRun(cluster: string, id: string): Promise<void> {
  const c = docker().getContainer(id);
  const info = await c.inspect().catch(() => undefined);
  if (!info || info.State.Running || info.State.StartedAt.startsWith('0001')) return;
  const key = runKey(info.State.StartedAt, id);
  if (keptRun(cluster, key)) return;
  const log = demuxFrames(await c.logs({ follow: false, stdout: true, stderr: true })).toString('utf8');
  const exitCode = info.State.ExitCode;
  keepMigrateRun(cluster, key, {
    startedAt: info.State.StartedAt,
    finishedAt: info.State.FinishedAt.startsWith('0001') ? new Date().toISOString() : info.State.FinishedAt,
    result: exitCode === 0 ? migrateResult(log) : 'failed',
    exitCode,
    log,
  });
}

/** Removes an ended container by its ID; one that runs (or is gone) is left alone. */
async function removeEnded(id: string): Promise<void> {
  try {
    await docker().getContainer(id).remove({ v: true });
  } catch (e) {
    const code = (e as { statusCode?: number }).statusCode;
    if (code !== 404 && code !== 409) throw e;
  }
}

/** A sink for a container's demultiplexed output: the whole log, and its progress lines to `onLine`. */
function collector(hooks: MigrateHooks): { sink: PassThrough; log: () => string } {
  let log = '';
  const lines = lineSplitter((l) => {
    if (isMigrateProgress(l)) hooks.onLine?.(l);
  });
  const sink = new PassThrough();
  sink.on('data', (b: Buffer) => {
    log += b.toString();
    lines(b.toString());
  });
  return { sink, log: () => log };
}

/** Lines of migrate's log shown as it runs: its own steps, its report of what changed, and anything that looks like an error (not the report's JSON line). */
export function isMigrateProgress(line: string): boolean {
  if (line.startsWith(MIGRATE_REPORT_MARK)) return false;
  return /^migrate\[|^MUC|^recorded|^site defaults|^moodle-ha:|^migrate-report: |error|Error|exception/i.test(line);
}

/** Feeds chunks of text; calls `onLine` with each whole line (a line cut between chunks once it is complete). */
export function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  };
}

/** What migrate did, from its MIGRATE-RESULT line ("installed", "upgraded", "unchanged"), else "unknown". */
export function migrateResult(log: string): string {
  return /MIGRATE-RESULT (\w+)/.exec(log)?.[1] ?? 'unknown';
}
