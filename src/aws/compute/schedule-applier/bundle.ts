// Bundles the schedule applier's entry (./index.ts) and what it imports (the window evaluation of
// src/spec/windows.ts, shared with the local autoscaler) into one ES module for the Lambda Node.js
// runtime, with esbuild, at synth time. The AWS SDK stays out: the runtime has it. Done once per
// process into a temporary folder that CDK stages as the asset (hashed by content).
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..', '..', '..');
export const APPLIER_ENTRY = join(HERE, 'index.ts');
/** The handler name for the Lambda function. */
export const APPLIER_HANDLER = 'index.handler';

let folder: string | undefined;

/** The folder holding index.mjs, the bundled applier. */
export function applierBundle(): string {
  if (folder) return folder;
  const out = mkdtempSync(join(tmpdir(), 'moodle-ha-schedule-applier-'));
  buildSync({
    entryPoints: [APPLIER_ENTRY],
    // Paths in the bundle's comments are relative to this: the same bundle (and asset hash) anywhere.
    absWorkingDir: REPO,
    outfile: join(out, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    external: ['@aws-sdk/*'],
    legalComments: 'none',
    logLevel: 'silent',
  });
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  return (folder = out);
}
