// The install cache, for development and tests: a local cluster's fresh install of exactly this
// code with exactly these install settings is kept once (a database dump and moodledata, as a
// backup keeps them: no secret in either), and a later cluster with an empty database loads it
// instead of installing again (seconds instead of minutes). Off unless MOODLE_HA_INSTALL_CACHE
// names a folder; production never uses it. What differs between two clusters is made this
// cluster's own after the load: the admin password (its generated secret), the site identifier,
// the MNet host's address. Only a database without a single table and a moodledata without a
// single file is ever loaded into: nobody's data is replaced.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Progress } from '../util/progress.ts';
import type { RunningCluster } from './backup/cluster.ts';
import { dumpHelper, loadHelper, tableCountHelper } from './backup/database.ts';
import { runHelper } from './backup/helper.ts';
import { ARCHIVE_OK_CODES, archiveHelper, moodledataEmptyHelper, unpackHelper } from './backup/moodledata.ts';
import type { ContainerSpec } from './containers.ts';

export const INSTALL_CACHE_ENV = 'MOODLE_HA_INSTALL_CACHE';
/** The migrate environment that shapes what an install writes (the admin password is set after a load). */
const INSTALL_INPUTS = /^MOODLE_(ADMIN_USER|ADMIN_EMAIL|SITE_FULLNAME|SITE_SHORTNAME|DB_PREFIX)$/;

/**
 * What a loaded install must not share with the cluster that made it: the admin's password (this
 * cluster's generated secret), the site identifier, the address of the site's own MNet host, and
 * when the ad hoc tasks its install queued are due (now, as after an install, not when the kept
 * install was made: Moodle warns once one is 10 min overdue).
 */
const OWN_SITE = `define('CLI_SCRIPT', true);
require '/var/www/moodle/config.php';
require_once '/opt/moodle-ha/php/env.php';
$admin = $DB->get_record('user', ['username' => mh_env('MOODLE_ADMIN_USER', 'admin'), 'mnethostid' => $CFG->mnet_localhost_id], '*', MUST_EXIST);
update_internal_user_password($admin, mh_secret('MOODLE_ADMIN_PASSWORD'));
set_config('siteidentifier', random_string(32) . get_host_from_url($CFG->wwwroot));
$DB->set_field('mnet_host', 'wwwroot', $CFG->wwwroot, ['id' => $CFG->mnet_localhost_id]);
$DB->execute('UPDATE {task_adhoc} SET nextruntime = ? WHERE nextruntime < ?', [time(), time()]);
`;

export interface InstallCache {
  /** Loads the kept install when there is one and the site is empty; true when it did. */
  loadIfEmpty(progress: Progress): Promise<boolean>;
  /** Keeps this cluster's fresh install, unless one is kept already. */
  keep(progress: Progress): Promise<void>;
}

/** The cache for this cluster's migrate, or undefined when MOODLE_HA_INSTALL_CACHE is not set. */
export function installCache(cluster: RunningCluster, migrate: ContainerSpec, env: NodeJS.ProcessEnv = process.env): InstallCache | undefined {
  const root = env[INSTALL_CACHE_ENV];
  if (!root) return undefined;
  const dir = join(root, installKey(migrate));
  const db = join(dir, 'database.sql.gz');
  const files = join(dir, 'moodledata.tar.gz');
  return {
    async loadIfEmpty(progress) {
      if (!existsSync(join(dir, 'complete'))) return false;
      if (!(await siteIsEmpty(cluster))) return false;
      const t0 = Date.now();
      await mustRun(loadHelper(cluster), 'load the kept database', createReadStream(db));
      await mustRun(unpackHelper(cluster), 'unpack the kept moodledata', createReadStream(files));
      await mustRun(ownSiteHelper(migrate), "make the loaded site this cluster's own");
      progress.info(`install cache: loaded the kept install of this code (${dir}) in ${((Date.now() - t0) / 1000).toFixed(1)} s instead of installing`);
      return true;
    },
    async keep(progress) {
      if (existsSync(join(dir, 'complete'))) return;
      const t0 = Date.now();
      const part = `${dir}.part-${process.pid}`;
      rmSync(part, { recursive: true, force: true });
      mkdirSync(part, { recursive: true, mode: 0o700 });
      try {
        await mustRun(dumpHelper(cluster), 'dump the fresh install', undefined, [
          createGzip(),
          createWriteStream(join(part, 'database.sql.gz'), { mode: 0o600 }),
        ]);
        const tar = await runHelper(archiveHelper(cluster), { sink: [createGzip(), createWriteStream(join(part, 'moodledata.tar.gz'), { mode: 0o600 })] });
        if (!ARCHIVE_OK_CODES.includes(tar.code)) throw new Error(`archive moodledata: exit ${tar.code}: ${tar.stderr.trim().slice(-500)}`);
        writeFileSync(join(part, 'complete'), `${new Date().toISOString()}\n`);
        rmSync(dir, { recursive: true, force: true });
        renameSync(part, dir);
        progress.info(`install cache: kept this install for the next empty cluster of this code (${dir}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        rmSync(part, { recursive: true, force: true });
        // The cluster is fine: only the next one installs again.
        progress.info(`install cache: not kept (${(e as Error).message})`);
      }
    },
  };
}

/** What an install depends on: the runtime image (the code) and the install settings. Pure. */
export function installKey(migrate: ContainerSpec): string {
  const inputs = Object.entries(migrate.env ?? {})
    .filter(([k]) => INSTALL_INPUTS.test(k))
    .sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256')
    .update(JSON.stringify([migrate.image, inputs]))
    .digest('hex')
    .slice(0, 24);
}

/** The migrate container's environment and secrets, running OWN_SITE instead of migrate. */
function ownSiteHelper(migrate: ContainerSpec): ContainerSpec {
  return { ...migrate, name: `${migrate.name}-own-site`, service: 'backup', cmd: ['php', '-r', OWN_SITE], restart: 'no' };
}

async function siteIsEmpty(c: RunningCluster): Promise<boolean> {
  const tables = await mustRun(tableCountHelper(c), 'count the tables');
  if (Number(tables.trim()) !== 0) return false;
  return (await mustRun(moodledataEmptyHelper(c), 'look into moodledata')).trim() === 'empty';
}

async function mustRun(spec: ContainerSpec, what: string, input?: Readable, sink?: NodeJS.WritableStream[]): Promise<string> {
  const r = await runHelper(spec, { input, sink });
  if (r.code !== 0) throw new Error(`install cache: ${what}: exit ${r.code}: ${r.stderr.trim().slice(-800)}`);
  return r.stdout;
}
