// Every CLI command, in the order `moodle-ha --help` lists them. One file per command.
import type { Command } from '../command.ts';

export const COMMANDS: readonly Command[] = [];
