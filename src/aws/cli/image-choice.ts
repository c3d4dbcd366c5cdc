// The image a command deploys, from its flags: --image-tag (pushed by the pipeline to its ECR
// repository) or --image-dir (a build context with the runtime image's Dockerfile, built as a CDK
// asset). With neither, a spec with the pipeline on deploys only the pipeline, which then builds
// and deploys the rest. (The CLI declares and describes the flags: src/cli/definitions/shared.ts.)
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../util/errors.ts';
import type { Spec } from '../../spec/schema.ts';
import type { ImageChoice } from '../build-app.ts';
import { stageRuntimeContext } from '../../image/runtime-context.ts';
import { requireMoodleTree } from '../../moodle/tree.ts';
import type { LoadedSpec } from '../../spec/read.ts';

/** The values of the image flags as the command line gave them (anything else is ignored). */
interface ImageFlags {
  readonly 'image-dir'?: unknown;
  readonly 'image-tag'?: unknown;
}

export function imageChoice(values: ImageFlags, cwd: string): ImageChoice | undefined {
  const dir = values['image-dir'];
  const tag = values['image-tag'];
  if (typeof dir === 'string' && typeof tag === 'string') {
    throw new UserError('give --image-dir or --image-tag, not both');
  }
  if (typeof tag === 'string') {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag))
      throw new UserError(`--image-tag ${tag} is not a Docker tag (letters, digits, "_", "." and "-", at most 128)`);
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

/** Refuses, before anything runs, a command that would have no image to deploy. */
export function requireImage(choice: ImageChoice | undefined, spec: Spec): void {
  if (!choice && !spec.aws.pipeline.enabled) {
    throw new UserError(
      'no runtime image to deploy: pass --image-dir DIR (a build context with the runtime Dockerfile), or turn on aws.pipeline and pass --image-tag TAG',
    );
  }
}

/**
 * The image from the flags; with none and no pipeline, the runtime build context staged from the
 * cached Moodle tree and the plugin manifest into .moodle-ha/image-context (the same context a
 * local build uses), so `deploy` builds the same image as `up`.
 */
export function imageOrStagedContext(values: ImageFlags, loaded: LoadedSpec, cwd: string): ImageChoice | undefined {
  const chosen = imageChoice(values, cwd);
  if (chosen || loaded.spec.aws.pipeline.enabled) return chosen;
  const dir = stageRuntimeContext(
    { codeDir: requireMoodleTree(loaded.spec), spec: loaded.spec, baseDir: loaded.baseDir },
    join(cwd, '.moodle-ha', 'image-context'),
  );
  process.stderr.write(`runtime image build context staged in ${dir}\n`);
  return { directory: dir };
}
