// How the Moodle source cache's commands are called: moodle import, moodle download, moodle list.
import type { CommandDefinition } from '../command.ts';

export const moodleImport: CommandDefinition = {
  args: 'DIR',
  maxPositionals: 1,
  help: 'Checks version.php and the files every Moodle tree has; a partial tree is refused and nothing is copied. The tree is cached under its release number (e.g. 4.5.6).',
  flags: {
    force: { description: 'replace the cached tree of the same release' },
  },
  load: async () => (await import('../commands/moodle.ts')).moodleImportCommand,
};

export const moodleDownload: CommandDefinition = {
  args: '[VERSION]',
  maxPositionals: 1,
  help: "VERSION defaults to the spec's moodle.version. The archive is checked against the spec's moodle.sha256 when VERSION is left out and the spec pins one, else against the SHA-256 published beside the release.",
  flags: {
    force: { description: 'replace the cached tree of the same release' },
  },
  load: async () => (await import('../commands/moodle.ts')).moodleDownloadCommand,
};

export const moodleList: CommandDefinition = {
  help: 'One line per cached tree: version, release, where it came from (import:DIR or download:URL) and its folder.',
  load: async () => (await import('../commands/moodle.ts')).moodleListCommand,
};
