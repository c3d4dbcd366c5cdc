// The runtime image's build context: the image folder, the CA bundles under tls/, the Moodle tree
// under moodle/ (without the plugins moodle.excludePlugins leaves out), and each manifest plugin under
// plugins/<type dir>/<name>/ (its own image layer), both without what production never serves or runs
// (code-exclusions.ts: tests/, source maps). Streamed to a local
// engine as a tar (build.ts), or staged to a folder for a CDK asset build (stageRuntimeContext).
import { copyFileSync, linkSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_IMAGE } from '../contract/image.ts';
import { excludedPlugins } from '../moodle/excluded-plugins.ts';
import { placePlugins } from '../moodle/plugins.ts';
import type { Spec } from '../spec/schema.ts';
import { leftOutOfImage } from './code-exclusions.ts';
import { listEntries, type ContextLayer } from './context.ts';
import { trustBundlesDir } from './trust-bundles.ts';

export const IMAGES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'images');

export interface RuntimeBuild {
  /** The Moodle tree (or, for image tests, a probe tree standing in for it). */
  readonly codeDir: string;
  readonly spec: Spec;
  /** Folder the spec's relative plugin paths resolve against. */
  readonly baseDir: string;
  /** Repository part of the tag. @default "moodle-ha/runtime" */
  readonly repository?: string;
  /** Skip the plugin manifest (probe builds). @default false */
  readonly noPlugins?: boolean;
}

export function runtimeLayers(b: RuntimeBuild): ContextLayer[] {
  const plugins = b.noPlugins ? [] : placePlugins(b.spec, b.baseDir, b.codeDir);
  const left = excludedPlugins(
    b.spec,
    b.codeDir,
    plugins.map((p) => p.dir),
  ).map((e) => `${e.target}/`);
  return [
    { from: join(IMAGES_DIR, 'runtime'), to: '' },
    { from: trustBundlesDir(), to: 'tls', readOnly: true },
    {
      from: b.codeDir,
      to: 'moodle',
      hashContents: false,
      readOnly: true,
      exclude: (rel) =>
        rel === 'config.php' ||
        rel.startsWith('.git/') ||
        rel.startsWith('.moodle-ha-') ||
        left.some((dir) => rel.startsWith(dir)) ||
        leftOutOfImage(toSlash(rel)),
    },
    // Plugins in their own folder: a plugin change rebuilds a small layer, not the Moodle tree's.
    ...plugins.map((p) => ({
      from: p.dir,
      to: `plugins/${p.target}`,
      readOnly: true,
      exclude: (rel: string) => rel.startsWith('.git/') || leftOutOfImage(toSlash(rel), true),
    })),
  ];
}

const toSlash = (rel: string) => rel.split(sep).join('/');

/**
 * Build arguments of the runtime image: the same locally and for the CDK asset. EXCLUDED_PLUGINS
 * (only when some are: images without it keep their key) goes into code-version.json.
 */
export function runtimeBuildArgs(spec: Spec): Record<string, string> {
  const excluded = spec.moodle.excludePlugins;
  return {
    APP_UID: String(RUNTIME_IMAGE.uid),
    APP_GID: String(RUNTIME_IMAGE.gid),
    WEBROOT: spec.moodle.webroot,
    ...(excluded.length ? { EXCLUDED_PLUGINS: excluded.join(',') } : {}),
  };
}

/**
 * Writes the runtime build context to a folder (hard links where the file system allows, else
 * copies), for builders that need a directory, such as a CDK image asset. Returns the folder.
 */
export function stageRuntimeContext(b: RuntimeBuild, outDir: string): string {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'plugins'), { recursive: true });
  for (const e of listEntries(runtimeLayers(b))) {
    const target = join(outDir, e.name);
    mkdirSync(dirname(target), { recursive: true });
    if (e.link !== undefined) {
      symlinkSync(e.link, target);
      continue;
    }
    try {
      linkSync(e.abs, target);
    } catch {
      copyFileSync(e.abs, target);
    }
  }
  return outDir;
}
