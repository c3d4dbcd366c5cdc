// Runs the installed aws-cdk CLI against this project's app entry, with the spec and image passed
// through the environment (see src/aws/app.ts). Output is shown as it comes; a failure caused by
// missing or expired credentials becomes a UserError that says what to set.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../util/errors.ts';
import { ENV } from '../app.ts';
import type { ImageChoice } from '../build-app.ts';
import { CREDENTIALS_HELP, looksLikeCredentialFailure } from './credentials.ts';

export const APP_ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', 'app.ts');

export function cdkBin(): string {
  return createRequire(import.meta.url).resolve('aws-cdk/bin/cdk');
}

/** The --app command: this Node, the tsx loader (by absolute URL) and the app entry. */
export function appCommand(): string {
  // The cdk CLI runs this through a shell: quote only what needs it (it strips surrounding quotes).
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [process.execPath, '--import', import.meta.resolve('tsx'), APP_ENTRY].map(q).join(' ');
}

export interface CdkRun {
  /** Spec file (--spec). */
  readonly specFile?: string;
  readonly cwd: string;
  readonly image?: ImageChoice;
  readonly deleteData?: boolean;
  /** Values merged over the spec file, as flags are. @default - none */
  readonly overrides?: Record<string, unknown>;
  /** Cloud assembly folder. @default "<cwd>/cdk.out" */
  readonly outdir?: string;
}

/** Environment for the app entry. */
export function appEnvironment(run: CdkRun, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, [ENV.cwd]: run.cwd };
  for (const k of Object.values(ENV)) if (k !== ENV.cwd) delete env[k];
  if (run.specFile) env[ENV.spec] = resolve(run.cwd, run.specFile);
  if (run.image && 'tag' in run.image) env[ENV.imageTag] = run.image.tag;
  if (run.image && 'directory' in run.image) env[ENV.imageDir] = resolve(run.cwd, run.image.directory);
  if (run.deleteData) env[ENV.deleteData] = '1';
  if (run.overrides) env[ENV.overrides] = JSON.stringify(run.overrides);
  return env;
}

/** Runs `cdk <args> --app <entry>`; resolves on success, throws a UserError otherwise. */
export async function runCdk(args: readonly string[], run: CdkRun): Promise<void> {
  const full = [cdkBin(), ...args, '--app', appCommand(), '--output', run.outdir ?? join(run.cwd, 'cdk.out')];
  const child = spawn(process.execPath, full, { cwd: run.cwd, env: appEnvironment(run), stdio: ['inherit', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
    to.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout.on('data', (c: Buffer) => keep(c, process.stdout));
  child.stderr.on('data', (c: Buffer) => keep(c, process.stderr));
  const code = await new Promise<number>((ok, fail) => {
    child.on('error', fail);
    child.on('close', (c) => ok(c ?? 1));
  });
  if (code === 0) return;
  if (looksLikeCredentialFailure(tail)) {
    throw new UserError(`cdk ${args[0]} could not use your AWS credentials (missing, expired or for another account): ${CREDENTIALS_HELP}`);
  }
  throw new UserError(`cdk ${args.join(' ')} failed (exit ${code}); the cdk output above says why`);
}
