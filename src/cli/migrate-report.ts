// What `migrate` prints: a run's result or failure, `migrate status` as lines, a kept run's header.
// Pure: the command gathers the facts through the runtime (src/runtime/cluster.ts).
import type { MigrateOutcome, MigrateRunRecord, MigrateStatus, MoodleVersion } from '../runtime/cluster.ts';
import { EXIT_HOLDS_DATA, EXIT_INTERRUPTED_INSTALL, migrateFailure } from '../local/migrate.ts';
import { hint } from '../spec/hint.ts';
import { migrateChangesLine } from './migrate-changes.ts';

/** "2026-11-30 17:02:01 UTC" from an ISO time. */
export function utc(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 19)} UTC`;
}

function seconds(r: Pick<MigrateRunRecord, 'startedAt' | 'finishedAt'>): string {
  const s = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  return Number.isFinite(s) && s >= 0 ? `${s.toFixed(1)} s` : '? s';
}

/** The line a successful run ends with. */
export function migrateDone(r: MigrateOutcome): string {
  const whose = r.attached ? 'the migrate that was running ended' : 'migrate';
  return `${whose}: ${r.result} (exit ${r.exitCode}, ${seconds(r)}); its log: "${hint('migrate log')}"\n`;
}

/** The error of a failed run: its exit code, the last lines of its log and where the rest is. */
export function migrateFailed(r: MigrateOutcome): string {
  if (r.exitCode === EXIT_INTERRUPTED_INSTALL || r.exitCode === EXIT_HOLDS_DATA) return migrateFailure(r, 'the web nodes were not changed');
  const whose = r.attached ? 'the migrate that was running failed' : 'migrate failed';
  return `${whose} (exit ${r.exitCode}); the web nodes were not changed. Last lines of its log (all of it: "${hint('migrate log')}"):\n${r.log.trimEnd().split('\n').slice(-20).join('\n')}`;
}

function version(v: MoodleVersion): string {
  return `Moodle ${v.release}, version ${v.version}${v.codehash ? `, code hash ${v.codehash.slice(0, 12)}` : ''}`;
}

/** `migrate status` as lines for people. */
export function migrateStatusLines(s: MigrateStatus): string {
  const pending = {
    none: 'nothing: the database matches the code',
    upgrade: `an upgrade: the database differs from the code; "${hint('migrate')}" (or "${hint('up')}") runs it`,
    install: `an install: the database is empty; "${hint('up')}" installs it`,
    reinstall: `a reinstall: ${reinstallAdvice(s)}`,
  }[s.pending];
  const last = s.lastRun
    ? `${utc(s.lastRun.startedAt)}, ${s.lastRun.result}, exit ${s.lastRun.exitCode} (${seconds(s.lastRun)}); its log: "${hint('migrate log')}"`
    : 'none kept';
  return [
    `database:  ${s.database ? version(s.database) : 'empty (nothing installed)'}`,
    `code:      ${version(s.code)}`,
    ...(s.install ? [`install:   ${s.install.state}: ${s.install.detail}${s.install.found.length ? `; data: ${s.install.found.join('; ')}` : ''}`] : []),
    `pending:   ${pending}`,
    `lock:      ${s.lockHeld ? 'held: a migrate is running against this database' : 'free'}`,
    `running:   ${s.running ? `a migrate started at ${utc(s.running.startedAt)}` : 'no migrate container runs'}`,
    `last run:  ${last}`,
    ...(s.lastRun?.report ? [`changes:   ${migrateChangesLine(s.lastRun.report)}`] : []),
    '',
  ].join('\n');
}

/** What to do about an install that stopped half-way, given what it holds. */
function reinstallAdvice(s: MigrateStatus): string {
  if (s.running || s.lockHeld) return 'unless the migrate running now finishes it (an install is under way)';
  if (s.install?.found.length)
    return 'the install stopped half-way, but the database holds data, so it is never reinstalled: restore a backup or repair it by hand';
  return `the install stopped half-way; "${hint('migrate --reinstall')}" drops it and installs again (it asks first)`;
}

/** The line printed before a kept run's log. */
export function keptRunHeader(r: MigrateRunRecord): string {
  return `# migrate run of ${utc(r.startedAt)} to ${utc(r.finishedAt)}: ${r.result}, exit ${r.exitCode}\n`;
}
