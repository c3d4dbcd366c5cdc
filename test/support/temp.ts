// Temporary folders for tests, removed when the test process exits (passed or failed), so a run
// leaves nothing in the machine's temp folder. (Not a fresh TMPDIR for the whole run: tsx keeps
// its compile cache in the temp folder, and would compile every file again in each run.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder in the temp folder, named `<prefix>XXXXXX`; removed when the process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
