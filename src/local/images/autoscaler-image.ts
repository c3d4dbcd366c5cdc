// The detached autoscaler's image (images/controller/; named moodle-ha/controller, as running
// clusters know it): Debian's Node.js and one JavaScript file, the autoscaler daemon
// (src/autoscaler-daemon/main.ts) bundled with esbuild (installed with tsx, which runs this CLI).
// The tag is a hash of the Dockerfile and the bundle, so the image is rebuilt exactly when the
// daemon's code changes, and the spec it is given always comes from the same code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Progress } from '../../util/progress.ts';
import { build, IMAGES_DIR, imageKey } from './build.ts';
import type { ContextLayer } from '../../image/context.ts';
import { imageExists } from '../engine/docker.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const AUTOSCALER_DAEMON_ENTRY = join(REPO, 'src', 'autoscaler-daemon', 'main.ts');
/** Debian bookworm's nodejs package. */
export const AUTOSCALER_NODE_TARGET = 'node18';
/** The file the Dockerfile copies and runs. */
const BUNDLE = 'autoscaler-daemon.mjs';

/** Bundles the daemon's entry point and everything it imports into one ES module file. */
export async function bundleAutoscalerDaemon(outFile: string): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [AUTOSCALER_DAEMON_ENTRY],
    // Paths in the bundle's comments are relative to this: the same bundle from any cwd.
    absWorkingDir: REPO,
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: AUTOSCALER_NODE_TARGET,
    format: 'esm',
    // dockerode's SSH transport (ssh2) loads these native parts only if present; unused here.
    external: ['cpu-features', '*.node'],
    // Bundled CommonJS dependencies (dockerode, ssh2) use require and __dirname; give the ES module them.
    banner: {
      js: [
        "import { createRequire as __mhRequire } from 'node:module';",
        "import { fileURLToPath as __mhPath } from 'node:url';",
        'const require = __mhRequire(import.meta.url);',
        'const __filename = __mhPath(import.meta.url);',
        "const __dirname = __mhPath(new URL('.', import.meta.url));",
      ].join('\n'),
    },
    legalComments: 'none',
    logLevel: 'silent',
  });
}

/** Builds (or finds) the autoscaler's image; returns its tag. */
export async function buildAutoscalerImage(progress: Progress): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-autoscaler-image-'));
  try {
    await bundleAutoscalerDaemon(join(dir, BUNDLE));
    const layers: ContextLayer[] = [
      { from: join(IMAGES_DIR, 'controller'), to: '' },
      { from: dir, to: '', readOnly: true },
    ];
    const tag = `moodle-ha/controller:${await imageKey(layers, AUTOSCALER_NODE_TARGET, progress)}`;
    if (await imageExists(tag)) {
      progress.info(`controller image ${tag} is up to date`);
      return tag;
    }
    await progress.step(`build controller image ${tag}`, () => build(tag, layers, {}, undefined, progress));
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
