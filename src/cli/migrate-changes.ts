// What a migrate changed, as `migrate`, `migrate status` and `up` print it: one line of what
// changed, and what "missing from disk" means for the operator when plugins are. Pure: the report is
// parsed from the run's log (src/contract/migrate-report.ts); the details are in the log itself.
import type { MigrateReport, MoodleRelease, PluginVersion } from '../contract/migrate-report.ts';
import { hint } from '../spec/hint.ts';

function release(m: MoodleRelease): string {
  return `${m.release} (${m.version})`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** "2 upgraded (local_a 1 → 2, …)": add-ons named with their versions, standard plugins counted. */
function named<T extends Pick<PluginVersion, 'component' | 'standard'>>(
  list: readonly T[],
  noun: string,
  verb: string,
  show: (p: T) => string,
): string | undefined {
  if (!list.length) return undefined;
  const addons = list.filter((p) => !p.standard);
  const standard = list.length - addons.length;
  const parts = [...addons.map(show), ...(standard ? [`${plural(standard, 'standard plugin')}`] : [])];
  return `${plural(list.length, noun)} ${verb} (${parts.join(', ')})`;
}

/** One line: Moodle from → to and the plugins upgraded, installed, uninstalled, missing from disk. */
export function migrateChangesLine(r: MigrateReport): string {
  const { from, to } = r.moodle;
  const moodle =
    from === null
      ? `Moodle ${release(to)} installed${r.standardInstalled ? ` with its ${r.standardInstalled} standard plugins` : ''}`
      : Number(from.version) === Number(to.version) && from.release === to.release
        ? `Moodle ${release(to)} unchanged`
        : `Moodle ${release(from)} → ${release(to)}`;
  const plugins = [
    named(r.upgraded, 'plugin', 'upgraded', (p) => `${p.component} ${p.from} → ${p.to}`),
    named(r.installed, from === null ? 'add-on' : 'plugin', 'installed', (p) => `${p.component} ${p.version}`),
    named(r.uninstalled, 'plugin', 'uninstalled', (p) => p.component),
    r.missing.length ? `${r.missing.length} missing from disk (${r.missing.map((p) => p.component).join(', ')})` : undefined,
  ].filter((s) => s !== undefined);
  return [moodle, ...plugins].join('; ');
}

/**
 * What the plugins missing from disk mean and the two ways out; "" when none is. `webNode`: where
 * Moodle's CLI runs (a web node's name), for the uninstall command.
 */
export function missingFromDiskAdvice(r: MigrateReport, webNode?: string): string {
  if (!r.missing.length) return '';
  const names = r.missing.map((p) => `${p.component} (version ${p.version}${p.excluded ? ', left out by moodle.excludePlugins' : ''})`);
  const list = r.missing.map((p) => p.component).join(',');
  const cli = `php admin/cli/uninstall_plugins.php --plugins=${list} --run`;
  return (
    `${plural(r.missing.length, 'plugin')} ${r.missing.length === 1 ? 'is' : 'are'} missing from disk (installed in the database, not in the code): ${names.join(', ')}.\n` +
    `  Moodle lists ${r.missing.length === 1 ? 'it' : 'them'} on Site administration > Plugins > Plugins overview (admin/plugins.php) as "Missing from disk"; ` +
    'their settings and data stay in the database, unused, and the site works without them.\n' +
    `  Either put ${r.missing.length === 1 ? 'it' : 'each'} back (in the Moodle tree, the plugin manifest, or out of moodle.excludePlugins) and run "${hint('up')}", ` +
    `or uninstall ${r.missing.length === 1 ? 'it' : 'them'} (their data is deleted): "Uninstall" on admin/plugins.php, or ` +
    `${webNode ? `docker exec ${webNode} ${cli}` : cli}.\n`
  );
}

/** What `migrate` and `up` print after a run: the line of changes, and the advice when plugins are missing; "" without a report. */
export function migrateChangesText(r: MigrateReport | null, webNode?: string): string {
  if (!r) return '';
  return `changes: ${migrateChangesLine(r)}\n${missingFromDiskAdvice(r, webNode)}`;
}
