// In-process synthesis for the CLI: no cdk CLI, no credentials, no network. Writes the cloud
// assembly and returns each stack with its template path.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../../spec/schema.ts';
import { UserError } from '../../util/errors.ts';
import { buildMoodleApp, type ImageChoice } from '../build-app.ts';

export interface SynthesizedStack {
  readonly name: string;
  readonly region: string;
  readonly templateFile: string;
  readonly template: { Resources?: Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }> };
}

export interface SynthOptions {
  readonly spec: Spec;
  readonly baseDir: string;
  readonly image?: ImageChoice;
  readonly outdir: string;
  readonly deleteData?: boolean;
  /** @default true */
  readonly nag?: boolean;
}

export function synthesize(opts: SynthOptions): SynthesizedStack[] {
  mkdirSync(opts.outdir, { recursive: true });
  const built = buildMoodleApp({ spec: opts.spec, baseDir: opts.baseDir, image: opts.image, outdir: opts.outdir, deleteData: opts.deleteData, nag: opts.nag });
  let assembly: ReturnType<typeof built.app.synth>;
  try {
    assembly = built.app.synth();
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/validation/i.test(msg)) {
      throw new UserError(
        `the templates break a policy check (cdk-nag AwsSolutions); see ${join(opts.outdir, 'validation-report.json')}:`,
        msg.split('\n').filter(Boolean).slice(0, 40),
      );
    }
    throw e;
  }
  return assembly.stacks.map((s) => ({
    name: s.stackName,
    region: s.environment.region,
    templateFile: join(opts.outdir, s.templateFile),
    template: s.template,
  }));
}

/** A tiny build context standing in for the runtime image when only the templates matter. */
export function placeholderImage(): ImageChoice {
  const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-placeholder-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  return { directory: dir };
}
