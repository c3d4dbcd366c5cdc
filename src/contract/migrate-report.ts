// What a migrate changed, as the runtime image's migrate-report.php prints it in migrate's log:
// one line "MIGRATE-REPORT {json}" (after lines for people, "migrate-report: …"). Both targets run
// the same migrate.php; the local target reads this from the run's log (kept in the state folder),
// the AWS migrate task's log group holds the same lines.

/** The start of the machine-readable line, and of the lines for people (a unit test checks migrate-report.php prints these). */
export const MIGRATE_REPORT_MARK = 'MIGRATE-REPORT';
export const MIGRATE_REPORT_PREFIX = 'migrate-report: ';
export const MIGRATE_REPORT_SCHEMA = 'moodle-ha.migrate-report/1';

export interface MoodleRelease {
  readonly release: string;
  readonly version: string;
}

export interface PluginVersion {
  /** Frankenstyle name, e.g. "local_mytool". */
  readonly component: string;
  readonly version: string;
  /** One of Moodle's standard plugins (lib/plugins.json). */
  readonly standard: boolean;
}

export interface PluginUpgrade {
  readonly component: string;
  readonly from: string;
  readonly to: string;
  readonly standard: boolean;
}

/** Installed in the database, absent from the code: Moodle's "Missing from disk". Its data stays. */
export interface MissingPlugin {
  readonly component: string;
  /** Its version in the database. */
  readonly version: string;
  /** The image left it out on purpose (moodle.excludePlugins). */
  readonly excluded: boolean;
}

export interface MigrateReport {
  readonly schema: typeof MIGRATE_REPORT_SCHEMA;
  readonly action: 'installed' | 'upgraded' | 'unchanged';
  /** Moodle's version before (null: the database was empty) and after. */
  readonly moodle: { readonly from: MoodleRelease | null; readonly to: MoodleRelease };
  readonly upgraded: readonly PluginUpgrade[];
  /** Plugins installed; on a fresh install only the add-ons (the standard ones are counted in standardInstalled). */
  readonly installed: readonly PluginVersion[];
  readonly standardInstalled: number;
  /** Plugins Moodle uninstalled (standard plugins it dropped from core). */
  readonly uninstalled: readonly PluginVersion[];
  readonly missing: readonly MissingPlugin[];
}

/** The report in a migrate log (its last one); null when there is none (a failed run, an image older than the report). Pure. */
export function parseMigrateReport(log: string): MigrateReport | null {
  const start = `${MIGRATE_REPORT_MARK} `;
  const line = log
    .split('\n')
    .filter((l) => l.startsWith(start))
    .pop();
  if (!line) return null;
  try {
    const r = JSON.parse(line.slice(start.length)) as Partial<MigrateReport>;
    const lists = [r.upgraded, r.installed, r.uninstalled, r.missing];
    return r.schema === MIGRATE_REPORT_SCHEMA && r.moodle?.to && lists.every(Array.isArray) ? (r as MigrateReport) : null;
  } catch {
    return null; // cut short (the container killed mid-line): as if there were none
  }
}
