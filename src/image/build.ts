// Builds the project's images from images/<name>/Dockerfile: the runtime image (with Moodle and
// the manifest's plugins) and the service images (MariaDB, Redis, HAProxy). An image whose inputs
// are unchanged is found by its tag and not rebuilt.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_IMAGE, LABELS } from '../contract/image.ts';
import { docker, followStream, imageExists } from '../local/docker.ts';
import { placePlugins } from '../moodle/plugins.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { ensureBaseImage } from './base.ts';
import { contextKey, contextStream, type ContextLayer } from './context.ts';

export const IMAGES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'images');
export const SERVICE_IMAGES = ['mariadb', 'redis', 'haproxy'] as const;
export type ServiceImage = (typeof SERVICE_IMAGES)[number];
/** uid (= gid) of each service image's server user: files put into its containers use it. */
export const SERVICE_UIDS: Readonly<Record<ServiceImage, number>> = { mariadb: 999, redis: 998, haproxy: 997 };

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
  return [
    { from: join(IMAGES_DIR, 'runtime'), to: '' },
    { from: b.codeDir, to: 'moodle', hashContents: false, readOnly: true, exclude: (rel) => rel === 'config.php' || rel.startsWith('.git/') || rel.startsWith('.moodle-ha-') },
    // Plugins in their own folder: a plugin change rebuilds a small layer, not the Moodle tree's.
    ...plugins.map((p) => ({ from: p.dir, to: `plugins/${p.target}`, readOnly: true, exclude: (rel: string) => rel.startsWith('.git/') })),
  ];
}

function buildArgs(spec: Spec): Record<string, string> {
  return { APP_UID: String(RUNTIME_IMAGE.uid), APP_GID: String(RUNTIME_IMAGE.gid), WEBROOT: spec.moodle.webroot };
}

/** Builds (or finds) the runtime image; returns its tag. */
export async function buildRuntimeImage(b: RuntimeBuild, progress: Progress): Promise<string> {
  const layers = runtimeLayers(b);
  const args = buildArgs(b.spec);
  const key = contextKey(layers, JSON.stringify(args)).slice(0, 16);
  const tag = `${b.repository ?? 'moodle-ha/runtime'}:${b.spec.moodle.version}-${key}`;
  if (await imageExists(tag)) {
    progress.info(`runtime image ${tag} is up to date`);
    return tag;
  }
  await ensureBaseImage(progress);
  await progress.step(`build runtime image ${tag}`, () => build(tag, layers, args, 'runtime', progress, ['plugins/']));
  return tag;
}

/** Builds (or finds) a service image; returns its tag. */
export async function buildServiceImage(name: ServiceImage, progress: Progress): Promise<string> {
  const dir = join(IMAGES_DIR, name);
  if (!existsSync(join(dir, 'Dockerfile'))) throw new Error(`no Dockerfile in ${dir}`);
  const layers = [{ from: dir, to: '' }];
  const args = { SERVICE_UID: String(SERVICE_UIDS[name]) };
  const tag = `moodle-ha/${name}:${contextKey(layers, JSON.stringify(args)).slice(0, 16)}`;
  if (await imageExists(tag)) return tag;
  await ensureBaseImage(progress);
  await progress.step(`build ${name} image ${tag}`, () => build(tag, layers, args, undefined, progress));
  return tag;
}

async function build(tag: string, layers: ContextLayer[], buildargs: Record<string, string>, target: string | undefined, progress: Progress, emptyDirs: readonly string[] = []): Promise<void> {
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
