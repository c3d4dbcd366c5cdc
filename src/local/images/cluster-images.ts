// Every image a local cluster runs, built (or found by its tag) in one place for `up` and `build`:
// the runtime image first (it decides whether Moodle's tree is usable), then the service images
// and the mail catcher's side by side, then the controller's (it heals; it autoscales when enabled).
import { requireMoodleTree } from '../../moodle/tree.ts';
import type { LoadedSpec } from '../../spec/read.ts';
import type { Progress } from '../../util/progress.ts';
import { requireDocker } from '../engine/docker.ts';
import type { ImageTags } from '../services.ts';
import { buildAutoscalerImage } from './autoscaler-image.ts';
import { buildRuntimeImage, buildServiceImage } from './build.ts';
import { buildMailImage } from './mail-image.ts';

export interface ClusterImages extends ImageTags {
  /** The controller's image (the healer, and the detached autoscaler). */
  readonly autoscaler: string;
}

export async function buildClusterImages(loaded: LoadedSpec, progress: Progress): Promise<ClusterImages> {
  const { spec } = loaded;
  await requireDocker();
  const codeDir = requireMoodleTree(spec);
  const tags = await progress.step('images', async () => {
    const runtime = await buildRuntimeImage({ codeDir, spec, baseDir: loaded.baseDir }, progress);
    const [mariadb, redis, haproxy, mail] = await Promise.all([
      buildServiceImage('mariadb', progress),
      buildServiceImage('redis', progress),
      buildServiceImage('haproxy', progress),
      buildMailImage(progress),
    ]);
    return { runtime, mariadb, redis, haproxy, mail };
  });
  return { ...tags, autoscaler: await buildAutoscalerImage(progress) };
}
