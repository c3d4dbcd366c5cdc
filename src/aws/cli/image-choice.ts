// The image a command deploys, from its flags: --image-tag (pushed by the pipeline to its ECR
// repository) or --image-dir (a build context with the runtime image's Dockerfile, built as a CDK
// asset). With neither, a spec with the pipeline on deploys only the pipeline, which then builds
// and deploys the rest.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Options, Values } from '../../cli/command.ts';
import { UserError } from '../../util/errors.ts';
import type { ImageChoice } from '../build-app.ts';

export const IMAGE_OPTIONS: Options = {
  'image-dir': { type: 'string' },
  'image-tag': { type: 'string' },
};

export const IMAGE_HELP = `The runtime image: --image-dir DIR is its build context (images/runtime with the Moodle tree and
plugins under moodle/), built as a CDK asset and pushed to the CDK bootstrap repository;
--image-tag TAG is an image the pipeline pushed to its ECR repository (aws.pipeline.enabled).
With neither and the pipeline on, only the pipeline stack is deployed: it builds the image and
deploys the rest.`;

export function imageChoice(values: Values, cwd: string): ImageChoice | undefined {
  const dir = values['image-dir'];
  const tag = values['image-tag'];
  if (typeof dir === 'string' && typeof tag === 'string') {
    throw new UserError('give --image-dir or --image-tag, not both');
  }
  if (typeof tag === 'string') {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new UserError(`--image-tag ${tag} is not a Docker tag (letters, digits, "_", "." and "-", at most 128)`);
    return { tag };
  }
  if (typeof dir === 'string') {
    const abs = resolve(cwd, dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new UserError(`--image-dir ${abs} is not a folder: give the runtime image's build context`);
    if (!existsSync(join(abs, 'Dockerfile'))) throw new UserError(`--image-dir ${abs} has no Dockerfile: give the runtime image's build context`);
    return { directory: abs };
  }
  return undefined;
}
