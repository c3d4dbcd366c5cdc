// The unit tier's processes. Node runs each test file in a process of its own; the AWS files each
// load the CDK and warm it with a first synth (8-9 s of CPU; a later synth in the same process
// takes 1.3 s), so they run in one process, through an entry that imports them in order, and pay
// that once. Their subprocess synths (cli.test.ts) stay a file of their own, beside them. The
// group goes first: it is the longest, and the other files fill the second core around it.
import { writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const GROUPED = join('test', 'unit', 'aws') + sep;
/** Files of the AWS folder that stay apart: they spend their time in subprocesses, not in the CDK. */
const APART = [join('test', 'unit', 'aws', 'cli.test.ts')];

/** The files to hand node's runner: the AWS group's entry (written in `dir`) first, then the rest as they were. */
export function unitProcesses(files: readonly string[], dir: string): string[] {
  const grouped = files.filter((f) => f.startsWith(GROUPED) && !APART.includes(f));
  if (grouped.length < 2) return [...files];
  const entry = join(dir, 'aws-unit-files.test.mjs');
  writeFileSync(entry, grouped.map((f) => `import ${JSON.stringify(pathToFileURL(resolve(f)).href)};\n`).join(''));
  return [entry, ...files.filter((f) => !grouped.includes(f))];
}
