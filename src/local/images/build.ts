// Builds the project's images from images/<name>/Dockerfile: the runtime image (with Moodle and
// the manifest's plugins) and the service images (MariaDB, Redis, HAProxy). An image whose inputs
// (the build context and the base image) are unchanged is found by its tag and not rebuilt.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS } from '../../contract/image.ts';
import { docker, followStream, imageExists } from '../engine/docker.ts';
import { UserError } from '../../util/errors.ts';
import type { Progress } from '../../util/progress.ts';
import { baseImageId } from './base.ts';
import { contextKey, contextStream, type ContextLayer } from '../../image/context.ts';
import { IMAGES_DIR, runtimeBuildArgs, runtimeLayers, type RuntimeBuild } from '../../image/runtime-context.ts';
import { SERVICE_UIDS, type ServiceImage } from '../../image/service-images.ts';

export { IMAGES_DIR, type RuntimeBuild };

/** Repository of the runtime images `up` and `build` make (tagged <repository>:<Moodle version>-<key>). */
export const RUNTIME_REPOSITORY = 'moodle-ha/runtime';

/**
 * The key that names an image: its build context, what else decides it (`extra`: build
 * arguments, a target), and the base image's ID, so a new base rebuilds every image.
 */
export async function imageKey(layers: readonly ContextLayer[], extra: string, progress: Progress): Promise<string> {
  return contextKey(layers, `${await baseImageId(progress)}\n${extra}`).slice(0, 16);
}

/** Builds (or finds) the runtime image; returns its tag. */
export async function buildRuntimeImage(b: RuntimeBuild, progress: Progress): Promise<string> {
  const layers = runtimeLayers(b);
  const args = runtimeBuildArgs(b.spec);
  const tag = `${b.repository ?? RUNTIME_REPOSITORY}:${b.spec.moodle.version}-${await imageKey(layers, JSON.stringify(args), progress)}`;
  if (await imageExists(tag)) {
    progress.info(`runtime image ${tag} is up to date`);
    return tag;
  }
  await progress.step(`build runtime image ${tag}`, () => build(tag, layers, args, 'runtime', progress, ['plugins/']));
  return tag;
}

/** Builds (or finds) a service image; returns its tag. */
export async function buildServiceImage(name: ServiceImage, progress: Progress): Promise<string> {
  const dir = join(IMAGES_DIR, name);
  if (!existsSync(join(dir, 'Dockerfile'))) throw new Error(`no Dockerfile in ${dir}`);
  const layers = [{ from: dir, to: '' }];
  const args = { SERVICE_UID: String(SERVICE_UIDS[name]) };
  const tag = `moodle-ha/${name}:${await imageKey(layers, JSON.stringify(args), progress)}`;
  if (await imageExists(tag)) return tag;
  await progress.step(`build ${name} image ${tag}`, () => build(tag, layers, args, undefined, progress));
  return tag;
}

/** Builds `tag` from a context of layers; a failure quotes the build's last output. */
export async function build(
  tag: string,
  layers: ContextLayer[],
  buildargs: Record<string, string>,
  target: string | undefined,
  progress: Progress,
  emptyDirs: readonly string[] = [],
): Promise<void> {
  const lines: string[] = [];
  const stream = await docker().buildImage(contextStream(layers, emptyDirs) as unknown as NodeJS.ReadableStream, {
    t: tag,
    buildargs,
    ...(target ? { target } : {}),
    labels: { [LABELS.project]: 'moodle-ha' },
    rm: true,
    forcerm: true,
  });
  try {
    await followStream(stream, (line) => {
      lines.push(line);
      if (/^Step \d+\/\d+ :/.test(line)) progress.info(line.slice(0, 120));
      else progress.detail(line);
    });
  } catch (e) {
    throw new UserError(`building ${tag} failed: ${(e as Error).message}\nlast build output:\n${lines.slice(-25).join('\n')}`);
  }
}
