// The main stack of a spec, synthesized as `moodle-ha deploy` would (no AWS account, cdk-nag off:
// the unit tier checks it), and what the twin reads from it: the task definitions of the three
// modes, the data services, the entry (CloudFront, ALB, target group) and the bundle upload.
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMoodleApp } from '../../../src/aws/build-app.ts';
import type { ImageMode } from '../../../src/contract/image.ts';
import type { Spec } from '../../../src/spec/schema.ts';
import type { Template, TemplateResource } from './intrinsics.ts';

export interface SynthesizedStack {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly template: Template;
}

/** Synthesizes the main stack with a stand-in build context (the twin runs the locally built image). */
export function synthesizeMainStack(spec: Spec, baseDir: string): SynthesizedStack {
  const context = mkdtempSync(join(tmpdir(), 'moodle-ha-twin-context-'));
  mkdirSync(context, { recursive: true });
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');
  const account = '123456789012';
  const built = buildMoodleApp({
    spec,
    baseDir,
    image: { directory: context },
    nag: false,
    account,
    outdir: mkdtempSync(join(tmpdir(), 'moodle-ha-twin-cdk-')),
  });
  const main = built.main!;
  return { stackName: main.stackName, region: spec.aws.region, account, template: Assertions.fromStack(main).toJSON() as Template };
}

/** Resources of one type, by logical id. */
export function resourcesOf(t: Template, type: string): Array<[string, TemplateResource]> {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

export function onlyResource(t: Template, type: string, filter: (id: string, r: TemplateResource) => boolean = () => true): [string, TemplateResource] {
  const found = resourcesOf(t, type).filter(([id, r]) => filter(id, r));
  if (found.length !== 1)
    throw new Error(`the template has ${found.length} ${type} resources where the twin expects one: ${found.map(([id]) => id).join(', ')}`);
  return found[0]!;
}

/** The task definition of a mode (family "<name>-<mode>"). */
export function taskDefinition(t: Template, mode: ImageMode): [string, TemplateResource] {
  return onlyResource(t, 'AWS::ECS::TaskDefinition', (_, r) => String(r.Properties?.Family ?? '').endsWith(`-${mode}`));
}
