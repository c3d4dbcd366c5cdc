// The local mail catcher's image (images/mail/): Debian's Node.js and MailDev, the npm package
// this project depends on, copied with its dependencies from our own node_modules (no registry at
// build time). The tag is a hash of the Dockerfile and those files: a new MailDev rebuilds it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import type { Progress } from '../../util/progress.ts';
import { build, IMAGES_DIR, imageKey } from './build.ts';
import type { ContextLayer } from '../../image/context.ts';
import { imageExists } from '../engine/docker.ts';

/** uid (= gid) of the catcher's user in its image. */
export const MAIL_UID = 996;
export const MAIL_SMTP_PORT = 1025;
export const MAIL_WEB_PORT = 1080;

/** The installed maildev package's folder. */
export function maildevDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('maildev/package.json'));
}

/**
 * The folders (each a package's, relative to node_modules) that maildev needs at run time:
 * its dependencies, found as Node would find them (nested first, then up the tree). A package
 * nested inside another's folder comes along with that folder.
 */
export function maildevClosure(root = maildevDir()): { nodeModules: string; packages: string[] } {
  const nodeModules = dirname(root); // maildev is installed at the top of node_modules
  const seen = new Set<string>();
  const walk = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) {
      const found = resolvePackage(dep, dir);
      if (found) walk(found);
      else if (!pj.optionalDependencies?.[dep])
        throw new Error(`maildev's dependency ${dep} (needed by ${relative(nodeModules, dir)}) is not installed: run npm ci`);
    }
  };
  walk(root);
  const top = new Set([...seen].map((d) => topLevel(relative(nodeModules, d))));
  return { nodeModules, packages: [...top].sort() };
}

function resolvePackage(name: string, from: string): string | undefined {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

/** "a/node_modules/b" → "a"; "@scope/a/node_modules/b" → "@scope/a". */
function topLevel(rel: string): string {
  const parts = rel.split(sep);
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Builds (or finds) the mail catcher's image; returns its tag. */
export async function buildMailImage(progress: Progress): Promise<string> {
  const { nodeModules, packages } = maildevClosure();
  const layers: ContextLayer[] = [
    { from: join(IMAGES_DIR, 'mail'), to: '' },
    ...packages.map((p) => ({ from: join(nodeModules, p), to: `app/node_modules/${p.split(sep).join('/')}`, readOnly: true })),
  ];
  const args = { SERVICE_UID: String(MAIL_UID) };
  const tag = `moodle-ha/mail:${await imageKey(layers, JSON.stringify(args), progress)}`;
  if (await imageExists(tag)) return tag;
  await progress.step(`build mail catcher image ${tag}`, () => build(tag, layers, args, undefined, progress));
  return tag;
}
