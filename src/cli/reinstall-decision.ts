// What `migrate --reinstall` does with the database as `migrate status` found it. Only an install
// that stopped half-way and holds no one's data is reinstalled, and only after a confirmation (a
// person at a terminal types the cluster's name, or --yes); everything else is refused with what
// was found and what to do instead. migrate.php checks the same again under its lock. Pure.
import type { MigrateStatus } from '../runtime/cluster.ts';
import { hint } from '../spec/hint.ts';
import { utc } from './migrate-report.ts';

export type ReinstallDecision =
  | { readonly kind: 'refuse'; readonly why: string }
  | { readonly kind: 'confirm'; readonly what: string }
  | { readonly kind: 'go'; readonly what: string };

export function reinstallDecision(s: MigrateStatus, opts: { readonly yes: boolean; readonly tty: boolean }): ReinstallDecision {
  const nothing = 'Nothing was changed.';
  if (s.running || s.lockHeld) {
    const since = s.running ? ` (started at ${utc(s.running.startedAt)})` : '';
    return {
      kind: 'refuse',
      why: `a migrate is running now${since}: an install in progress is not interrupted. Follow it with "${hint('logs migrate --follow')}", then look again with "${hint('migrate status')}". ${nothing}`,
    };
  }
  if (!s.install)
    return {
      kind: 'refuse',
      why: `the cluster's runtime image cannot tell whether its install is complete (it was built before install-state.php): run "${hint('up')}" to build and run the current one first. ${nothing}`,
    };
  if (s.install.state === 'empty')
    return {
      kind: 'refuse',
      why: `the database is empty, so there is nothing to reinstall: "${hint('migrate')}" (or "${hint('up')}") installs it. ${nothing}`,
    };
  if (s.install.state === 'complete')
    return { kind: 'refuse', why: `the install is complete (${s.install.detail}): a complete site is never reinstalled. ${nothing}` };
  if (s.install.found.length)
    return {
      kind: 'refuse',
      why: `the half-installed database holds data (${s.install.found.join('; ')}): a site with data is never reinstalled. Restore a backup ("${hint('restore DIR')}"), or repair the site by hand. ${nothing}`,
    };
  const what = `the database holds an install that stopped half-way (${s.install.detail}) and no one's data (no user besides admin and guest, no course, no stored file). Reinstalling drops its tables and installs Moodle ${s.code.release} again.`;
  if (opts.yes) return { kind: 'go', what };
  if (!opts.tty)
    return { kind: 'refuse', why: `${what} It asks first; there is no terminal to ask in: run "${hint('migrate --reinstall --yes')}" to confirm. ${nothing}` };
  return { kind: 'confirm', what };
}
