// The commands moodle-ha prints for the user to run next ("stop: moodle-ha down", "start it with
// moodle-ha up"). Each carries the spec this run was given on the command line (-f FILE and
// --profile P), so the next command, run in another folder or another shell, acts on the same
// cluster. Every such command is made here: grep for `hint(` to find them.

/** How the command line chose the spec: what a printed command must repeat. */
export interface SpecChoice {
  /** The spec file given with -f/--spec, as an absolute path. @default - none given: ./moodle-ha.yaml or the defaults */
  readonly file?: string;
  /** The profile given with --profile. @default - none given: the file's */
  readonly profile?: string;
}

/**
 * The commands that take --profile (it decides the topology they build; the others find the
 * cluster by its name alone, and refuse the flag).
 */
const PROFILE_COMMANDS: readonly string[] = ['up', 'drill'];

let current: SpecChoice = {};

/** Records the spec choice of this run (readSpec does, as it reads the spec the command line named). */
export function chooseSpec(choice: SpecChoice): void {
  current = { ...(choice.file ? { file: choice.file } : {}), ...(choice.profile ? { profile: choice.profile } : {}) };
}

/** The spec choice recorded for this run. */
export function specChoice(): SpecChoice {
  return current;
}

/**
 * "moodle-ha <command>" with the spec flags of this run (or of `choice`) after it, e.g.
 * hint('up') → "moodle-ha up -f /srv/campus.yaml --profile ha", hint('logs web') → "moodle-ha logs web -f /srv/campus.yaml".
 */
export function hint(command: string, choice: SpecChoice = current): string {
  const takesProfile = PROFILE_COMMANDS.includes(command.split(' ')[0]!);
  const flags = [...(choice.file ? ['-f', shellWord(choice.file)] : []), ...(choice.profile && takesProfile ? ['--profile', shellWord(choice.profile)] : [])];
  return ['moodle-ha', command, ...flags].join(' ');
}

/** A word a POSIX shell reads back as it is: quoted when it holds anything but safe characters. */
export function shellWord(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
