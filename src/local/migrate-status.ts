// `migrate status` of a local cluster: what the database has (its Moodle release, version and
// code hash, and whether an install is complete, empty or stopped half-way: the image's
// install-state.php decides, the same code migrate.php acts on) against the code of the cluster's
// runtime image, whether migrate holds its database lock right now, the run under way and the last one kept. The facts come from PHP run with the
// cluster's environment (in a running web or cron container, else a one-off container of its
// image), which reads the config table and asks IS_USED_LOCK of the lock migrate.php takes,
// through the same writer endpoint migrate uses (GET_LOCK is per server in a Galera cluster).
import { parseMigrateReport } from '../contract/migrate-report.ts';
import type { InstallState, MigrateStatus, MoodleVersion } from '../runtime/cluster.ts';
import type { LoadedSpec } from '../spec/read.ts';
import { UserError } from '../util/errors.ts';
import { runHelper } from './backup/helper.ts';
import { exec, inspectContainer } from './containers.ts';
import { lastMigrateRun } from './migrate-log.ts';
import { migrateTarget } from './migrate-target.ts';
import { clusterNames } from './names.ts';
import { runtimeContainer } from './services.ts';

const MARK = '@@MOODLE-HA-MIGRATE-STATUS@@';

/** The lock's name as migrate.php builds it (a unit test checks the two match). */
export const LOCK_NAME_PHP = "'moodle-ha:migrate:' . $mh['dbname'] . ':' . $mh['prefix']";

/** Where the image keeps the install-state decision (images/runtime/rootfs/...). */
export const INSTALL_STATE_PHP = '/opt/moodle-ha/php/install-state.php';

/**
 * PHP that prints the database's version, the code's, the install's state and whether the migrate
 * lock is held, as JSON after MARK. `adminUser` is the spec's (the web and cron environments do not carry it).
 */
export function statusPhp(adminUser: string): string {
  return STATUS_PHP.replace('@@ADMIN_USER@@', () => phpString(adminUser));
}

/** A PHP single-quoted string literal holding `s` as it is. Pure. */
export function phpString(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

const STATUS_PHP = `require '/opt/moodle-ha/php/env.php';
$mh = mh_settings();
mysqli_report(MYSQLI_REPORT_OFF);
$db = mysqli_init();
$db->options(MYSQLI_OPT_CONNECT_TIMEOUT, 5);
if (!@$db->real_connect($mh['dbhost'], $mh['dbuser'], $mh['dbpass'], $mh['dbname'], $mh['dbport'], null, mh_db_flags($mh))) {
  fwrite(STDERR, "database {$mh['dbhost']} unreachable: " . mysqli_connect_error() . "\\n");
  exit(3);
}
$table = $db->real_escape_string($mh['prefix'] . 'config');
$rows = [];
$res = @$db->query("SELECT name, value FROM \`$table\` WHERE name IN ('version', 'release', 'moodleha_codehash')");
while ($res && ($row = $res->fetch_assoc())) $rows[$row['name']] = $row['value'];
$lock = $db->real_escape_string(${LOCK_NAME_PHP});
$held = $db->query("SELECT IS_USED_LOCK('$lock') AS l")->fetch_assoc()['l'];
$code = json_decode((string) file_get_contents('/opt/moodle-ha/code-version.json'), true) ?: [];
$install = null;
if (is_file('${INSTALL_STATE_PHP}')) {
  require_once '${INSTALL_STATE_PHP}';
  $install = mh_install_state(mh_install_facts($db, $mh['prefix'], @@ADMIN_USER@@));
}
echo '${MARK}', json_encode([
  'database' => isset($rows['version']) ? ['release' => $rows['release'] ?? '?', 'version' => $rows['version'], 'codehash' => $rows['moodleha_codehash'] ?? null] : null,
  'code' => ['release' => $code['release'] ?? '?', 'version' => $code['version'] ?? '?', 'codehash' => $code['codehash'] ?? null],
  'lockHeld' => $held !== null,
  'install' => $install,
]), "\\n";
`;

/**
 * What a migrate would do: reinstall an install that stopped half-way (only `migrate --reinstall`
 * does), install an empty database, upgrade one whose version or code hash differs from the
 * code's, or nothing. Pure.
 */
export function pendingMigrate(database: MoodleVersion | null, code: MoodleVersion, install: InstallState | null = null): MigrateStatus['pending'] {
  if (install?.state === 'interrupted') return 'reinstall';
  if (!database) return 'install';
  return Number(database.version) !== Number(code.version) || database.codehash !== code.codehash ? 'upgrade' : 'none';
}

/** The facts STATUS_PHP printed; a UserError quoting its output (the database unreachable, say) when there are none. */
export function parseStatusOutput(output: string): Pick<MigrateStatus, 'database' | 'code' | 'lockHeld' | 'install'> {
  const line = output.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new UserError(`migrate status: PHP printed no result; its output: ${output.trim().slice(-1500)}`);
  const facts = JSON.parse(line.slice(MARK.length)) as Pick<MigrateStatus, 'database' | 'code' | 'lockHeld'> & { install?: InstallState | null };
  return { ...facts, install: facts.install ?? null };
}

export async function migrateStatus(loaded: LoadedSpec): Promise<MigrateStatus> {
  const { spec } = loaded;
  const n = clusterNames(spec.name);
  const target = await migrateTarget(loaded);
  let output: string;
  if (target.phpContainer) {
    output = (await exec(target.phpContainer, ['php', '-r', statusPhp(spec.site.adminUser)])).output;
  } else {
    const base = runtimeContainer(spec, { runtime: target.image, mariadb: '', redis: '', haproxy: '', mail: '' }, target.secrets, 'cron', 1, target.bundle);
    const r = await runHelper({ ...base, name: `${n.container('migrate')}-status`, cmd: ['php', '-r', statusPhp(spec.site.adminUser)] });
    output = r.stdout + r.stderr;
  }
  const facts = parseStatusOutput(output);
  const migrate = await inspectContainer(n.container('migrate'));
  const last = lastMigrateRun(spec.name);
  return {
    ...facts,
    pending: pendingMigrate(facts.database, facts.code, facts.install),
    running: migrate?.State.Running ? { startedAt: migrate.State.StartedAt } : null,
    lastRun: last
      ? { startedAt: last.startedAt, finishedAt: last.finishedAt, result: last.result, exitCode: last.exitCode, report: parseMigrateReport(last.log) }
      : null,
  };
}
