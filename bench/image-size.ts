// `npm run bench -- image`: the runtime image's size, uncompressed (image inspect) and as `docker
// save | gzip` (bench/image.ts), built from the cached Moodle tree twice in one run: as `up` builds it
// (without tests/ folders and source maps: src/image/code-exclusions.ts) and with the whole tree
// (every file but config.php, .git/ and the cache's own markers: what the image held before). The
// whole-tree image is tagged moodle-ha/bench-image and removed at the end when this run built it;
// the first is the cluster's own runtime image, kept. Takes a few minutes (two builds of a 400 MB tree).
import { docker, imageExists } from '../src/local/engine/docker.ts';
import { build, buildRuntimeImage, imageKey } from '../src/local/images/build.ts';
import { requireMoodleTree } from '../src/moodle/tree.ts';
import { runtimeBuildArgs, runtimeLayers } from '../src/image/runtime-context.ts';
import { validateSpec } from '../src/spec/read.ts';
import { consoleProgress } from '../src/util/progress.ts';
import { imageSize, type ImageSize } from './image.ts';
import { writeJson } from './report.ts';

const MB = 1e6;

export async function imageBench(argv: readonly string[]): Promise<number> {
  if (argv.length) {
    process.stderr.write('usage: npm run bench -- image   (no flags: builds the runtime image with and without the left-out files, and sizes both)\n');
    return 2;
  }
  const progress = consoleProgress();
  const spec = validateSpec({});
  const codeDir = requireMoodleTree(spec);
  const slim = await buildRuntimeImage({ codeDir, spec, baseDir: process.cwd(), noPlugins: true }, progress);
  // The whole tree: the Moodle layer with only what the image always left out.
  const layers = runtimeLayers({ codeDir, spec, baseDir: process.cwd(), noPlugins: true }).map((l) =>
    l.to === 'moodle' ? { ...l, exclude: (rel: string) => rel === 'config.php' || rel.startsWith('.git/') || rel.startsWith('.moodle-ha-') } : l,
  );
  const args = runtimeBuildArgs(spec);
  const full = `moodle-ha/bench-image:${spec.moodle.version}-whole-tree-${await imageKey(layers, JSON.stringify(args), progress)}`;
  const builtFull = !(await imageExists(full));
  if (builtFull) await progress.step(`build ${full}`, () => build(full, layers, args, 'runtime', progress, ['plugins/']));
  try {
    const before = await progress.step('size of the whole-tree image', () => imageSize(full));
    const after = await progress.step('size of the runtime image', () => imageSize(slim));
    const row = (name: string, s: ImageSize) =>
      `${name.padEnd(34)} ${(s.uncompressedBytes / MB).toFixed(1).padStart(8)} MB ${(s.savedGzipBytes / MB).toFixed(1).padStart(8)} MB   ${s.tag}`;
    const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
    process.stdout.write(
      [
        `${`image (Moodle ${spec.moodle.version})`.padEnd(34)}    uncompr.   save|gzip`,
        row('whole tree (before)', before),
        row('without tests/, *.map (after)', after),
        `${'change'.padEnd(34)} ${pct(before.uncompressedBytes, after.uncompressedBytes).padStart(11)} ${pct(before.savedGzipBytes, after.savedGzipBytes).padStart(11)}`,
        '',
      ].join('\n'),
    );
    process.stderr.write(`results written to ${writeJson('image', new Date().toISOString(), { before, after })}\n`);
    return 0;
  } finally {
    if (builtFull) await docker().getImage(full).remove();
  }
}
