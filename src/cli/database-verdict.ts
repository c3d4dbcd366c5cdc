// One line on the database for `status`: is the install complete, under way, or stopped half-way
// (and then the one command out of it)? Pure: the command gathers `migrate status`'s facts.
import type { MigrateStatus } from '../runtime/cluster.ts';
import { hint } from '../spec/hint.ts';
import { utc } from './migrate-report.ts';

export interface DatabaseVerdict {
  /**
   * ok: installed (an upgrade may be pending; `up` runs it); installing: a migrate runs now;
   * empty: nothing installed yet; interrupted: an install stopped half-way (status exits 1);
   * unknown: the facts could not be read (the data tier is not running, or an older image).
   */
  readonly kind: 'ok' | 'installing' | 'empty' | 'interrupted' | 'unknown';
  readonly line: string;
}

/** `m` is what `migrate status` found, or why it could not be read. */
export function databaseVerdict(m: MigrateStatus | string): DatabaseVerdict {
  if (typeof m === 'string') return { kind: 'unknown', line: `could not be read: ${m}` };
  const running = m.running ? `a migrate started at ${utc(m.running.startedAt)} is running` : m.lockHeld ? 'a migrate holds its lock' : '';
  if (!m.install)
    return {
      kind: 'unknown',
      line: `${m.database ? `Moodle ${m.database.release}` : 'no version stored'} (this image cannot tell whether the install is complete)`,
    };
  if (m.install.state === 'interrupted') {
    if (running) return { kind: 'installing', line: `install under way (${running}; follow it: "${hint('logs migrate --follow')}")` };
    const out = m.install.found.length
      ? `it holds data (${m.install.found.join('; ')}), so it is never reinstalled: restore a backup ("${hint('restore DIR')}") or repair it by hand`
      : `the way out: "${hint('migrate --reinstall')}" (drops it and installs again, after you confirm)`;
    return { kind: 'interrupted', line: `INTERRUPTED INSTALL: the install stopped half-way (${m.install.detail}); the site does not work; ${out}` };
  }
  if (m.install.state === 'empty')
    return {
      kind: running ? 'installing' : 'empty',
      line: running ? `install starting (${running})` : `empty: nothing installed ("${hint('up')}" installs it)`,
    };
  const pending = m.pending === 'upgrade' ? `; an upgrade is pending ("${hint('up')}" or "${hint('migrate')}" runs it)` : '';
  return { kind: 'ok', line: `${m.install.detail}${running ? `; ${running}` : ''}${pending}` };
}
