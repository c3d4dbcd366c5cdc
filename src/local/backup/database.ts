// The database half of a backup: a dump through the writer endpoint (the single MariaDB in dev,
// the current Galera writer in ha) and its load back through the same endpoint (on Galera, the
// load replicates to the other nodes). Both run the client of the cluster's own MariaDB image in
// a helper container; the password reaches it as an option file (0400), never on a command line.
import { SERVICE_UIDS } from '../../image/service-images.ts';
import type { ArchiveFile } from '../archive.ts';
import type { ContainerSpec } from '../containers.ts';
import { DB_NAME, DB_USER } from '../services.ts';
import type { RunningCluster } from './cluster.ts';

const CLIENT_OPTIONS = '/run/mysqld/secrets/moodle-ha-client.cnf';
/** The stderr line the dump helper prints, with the time, right before the snapshot is taken. */
export const SNAPSHOT_MARK = '@@MOODLE-HA-SNAPSHOT@@';

/** A quoted option-file value: backslash and double quote escaped. */
function optionValue(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function clientOptions(c: RunningCluster): ArchiveFile {
  return {
    name: CLIENT_OPTIONS,
    content: `[client]\nhost=${c.names.dbWriter}\nport=3306\nuser=${DB_USER}\npassword=${optionValue(c.secrets['db-password'])}\ndefault-character-set=utf8mb4\n`,
    mode: 0o400,
    uid: SERVICE_UIDS.mariadb,
    gid: SERVICE_UIDS.mariadb,
  };
}

function mariadbHelper(c: RunningCluster, task: string, script: string): ContainerSpec {
  return {
    name: `${c.spec.name}-backup-${task}`,
    cluster: c.spec.name,
    service: 'backup',
    image: c.images.mariadb,
    // Not the image's entrypoint, which would initialise a server.
    entrypoint: ['/usr/bin/tini', '--'],
    cmd: ['bash', '-c', `set -euo pipefail\n${script}`],
    network: c.names.network,
    files: [clientOptions(c)],
  };
}

/**
 * mariadb-dump --single-transaction: one REPEATABLE READ transaction, started WITH CONSISTENT
 * SNAPSHOT, reads every table as of that instant (T) while the site keeps writing. Moodle's tables
 * are InnoDB, for which this is exact; no table locks are taken (--skip-add-locks also keeps
 * LOCK TABLES out of the dump: Galera does not replicate them). The time printed just before is T.
 */
export function dumpHelper(c: RunningCluster): ContainerSpec {
  return mariadbHelper(
    c,
    'dump',
    [
      `echo "${SNAPSHOT_MARK} $(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" >&2`,
      `exec mariadb-dump --defaults-extra-file=${CLIENT_OPTIONS} --single-transaction --quick --hex-blob --triggers --skip-add-locks --max-allowed-packet=256M ${DB_NAME}`,
    ].join('\n'),
  );
}

/** Reads T from the dump helper's stderr. */
export function snapshotTime(stderr: string): string | undefined {
  return new RegExp(`${SNAPSHOT_MARK} (\\S+)`).exec(stderr)?.[1];
}

/**
 * Replaces the database with the dump on stdin (gzip): drop and create it empty (the moodle user
 * holds every privilege on it, so no admin account is needed), then load. Tables a later plugin
 * added are gone with the drop, as they should be.
 */
export function loadHelper(c: RunningCluster): ContainerSpec {
  const q = (s: string) => `\\\`${s}\\\``;
  return mariadbHelper(
    c,
    'load',
    [
      `mariadb --defaults-extra-file=${CLIENT_OPTIONS} -e "DROP DATABASE IF EXISTS ${q(DB_NAME)}; CREATE DATABASE ${q(DB_NAME)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"`,
      `gzip -dc | mariadb --defaults-extra-file=${CLIENT_OPTIONS} --max-allowed-packet=256M ${DB_NAME}`,
    ].join('\n'),
  );
}

/** Prints how many tables the site's database holds (the install cache loads only into none). */
export function tableCountHelper(c: RunningCluster): ContainerSpec {
  return mariadbHelper(
    c,
    'tables',
    `mariadb --defaults-extra-file=${CLIENT_OPTIONS} -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '${DB_NAME}'"`,
  );
}
