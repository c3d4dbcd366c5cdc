// How the local cluster's backup commands are called: backup and restore.
import type { CommandDefinition } from '../command.ts';

export const backup: CommandDefinition = {
  help:
    'Makes a new folder DIR/<name>-<time>/ (default DIR: ./backups) holding database.sql.gz (mariadb-dump --single-transaction through the writer: ' +
    "a consistent snapshot at a time T), moodledata.tar.gz (the files, copied right after T, with Moodle's trash cleanup held so a file deleted meanwhile is still in it; " +
    'caches, temporary files and the MUC configuration are left out: they are rebuilt) and manifest.json (T, the Moodle version, size and SHA-256 of each part).\n\n' +
    "The site stays up. The folder is 0700 and its files 0600: the dump holds every user's personal data and password hash, so keep it as carefully as the database. " +
    'No secret of the cluster (database, Redis or admin password files) is in it. Until it is complete the folder has a hidden .partial name, so an interrupted ' +
    'backup never looks like a usable one.\n\nRestore with "moodle-ha restore DIR/<name>-<time>".',
  flags: {
    out: { short: 'o', value: 'DIR', description: "folder to make the backup's folder in (default ./backups)" },
  },
  load: async () => (await import('../commands/backup.ts')).backupCommand,
};

export const restore: CommandDefinition = {
  args: 'DIR',
  maxPositionals: 1,
  help:
    "Checks the backup in DIR first (its manifest, the size and SHA-256 of each part, a Moodle version the cluster's code can run) and refuses a damaged one " +
    'without changing anything.\n\nThen, after you confirm (or with --yes): stops the web nodes and cron, replaces the database (through the writer) and moodledata, ' +
    'flushes Redis (sessions and caches: everyone logs in again), runs migrate (an older backup is upgraded to the code), starts the web nodes and cron, waits ' +
    'until the site answers, and prints the restore time and what it restored. The cluster must be running ("moodle-ha up" first).\n\nPasswords are those of the ' +
    "backup's users, the admin's included. If a restore fails, it says what state the cluster is in and what to do.",
  flags: {
    yes: { short: 'y', description: 'replace the data without asking for the cluster name (needed where there is no terminal to ask in)' },
  },
  load: async () => (await import('../commands/restore.ts')).restoreCommand,
};
