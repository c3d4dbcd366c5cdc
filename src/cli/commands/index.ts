// Every CLI command, in the order `moodle-ha --help` lists them. One file per command.
import type { Command } from '../command.ts';
import { backupCommand } from './backup.ts';
import { baseImageCommand } from './base-image.ts';
import { buildCommand } from './build.ts';
import { deployCommand } from './deploy.ts';
import { destroyCommand } from './destroy.ts';
import { diffCommand } from './diff.ts';
import { downCommand } from './down.ts';
import { drillCommand } from './drill.ts';
import { loadCommand } from './load.ts';
import { logsCommand } from './logs.ts';
import { moodleDownloadCommand, moodleImportCommand, moodleListCommand } from './moodle.ts';
import { autoscaleCommand } from './autoscale.ts';
import { awsRestoreCommand } from './aws-restore.ts';
import { restoreCommand } from './restore.ts';
import { scaleCommand } from './scale.ts';
import { statusCommand } from './status.ts';
import { synthCommand } from './synth.ts';
import { upCommand } from './up.ts';

export const COMMANDS: readonly Command[] = [
  upCommand,
  downCommand,
  statusCommand,
  scaleCommand,
  autoscaleCommand,
  logsCommand,
  loadCommand,
  drillCommand,
  backupCommand,
  restoreCommand,
  buildCommand,
  baseImageCommand,
  moodleImportCommand,
  moodleDownloadCommand,
  moodleListCommand,
  synthCommand,
  diffCommand,
  deployCommand,
  destroyCommand,
  awsRestoreCommand,
];
