// The plugin manifest: each plugin is checked against the Moodle tree it goes into (its type
// exists, its folder has a version.php naming the same component and version) and placed at
// <type dir>/<name>. Any problem fails the build before anything is built.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';

export interface PlacedPlugin {
  readonly component: string;
  /** Folder holding the plugin's files (version.php at its top). */
  readonly dir: string;
  /** Where it goes in the Moodle tree, e.g. "local/mytool". */
  readonly target: string;
  readonly version: number;
}

export function pluginTypeDirs(moodleDir: string): Record<string, string> {
  const file = join(moodleDir, 'lib', 'components.json');
  if (!existsSync(file)) throw new UserError(`${moodleDir} has no lib/components.json, so plugin types cannot be checked: is it a complete Moodle tree?`);
  const json = JSON.parse(readFileSync(file, 'utf8')) as { plugintypes: Record<string, string> };
  return { mod: 'mod', ...json.plugintypes };
}

export function placePlugins(spec: Spec, baseDir: string, moodleDir: string): PlacedPlugin[] {
  const types = pluginTypeDirs(moodleDir);
  const problems: string[] = [];
  const placed: PlacedPlugin[] = [];
  for (const [i, p] of spec.plugins.entries()) {
    const where = `plugins.${i} (${p.component})`;
    const [type, ...rest] = p.component.split('_');
    const name = rest.join('_');
    const typeDir = types[type!];
    if (!typeDir) {
      problems.push(`${where}: "${type}" is not a plugin type of this Moodle; known types include ${Object.keys(types).slice(0, 8).join(', ')}, …`);
      continue;
    }
    let dir: string;
    try {
      dir = p.source !== undefined ? sourceDir(resolvePath(baseDir, p.source)) : unpack(resolvePath(baseDir, p.archive!), name);
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
      continue;
    }
    const declared = readPluginVersion(dir);
    if (!declared) {
      problems.push(`${where}: ${dir} has no version.php with $plugin->component and $plugin->version: is it the plugin's top folder?`);
      continue;
    }
    if (declared.component !== p.component) {
      problems.push(
        `${where}: ${dir}/version.php declares component "${declared.component}", not "${p.component}": fix the manifest's component or the source`,
      );
      continue;
    }
    if (p.version !== undefined && declared.version !== p.version) {
      problems.push(`${where}: version.php has version ${declared.version}, the manifest expects ${p.version}: update one of them`);
      continue;
    }
    const target = `${typeDir}/${name}`;
    if (existsSync(join(moodleDir, target))) {
      problems.push(`${where}: ${target} already exists in the Moodle tree: remove the manifest entry, or use a tree without it`);
      continue;
    }
    placed.push({ component: p.component, dir, target, version: declared.version });
  }
  if (problems.length) throw new UserError('the plugin manifest has problems; no image was built:', problems);
  return placed;
}

export function readPluginVersion(dir: string): { component: string; version: number } | undefined {
  const file = join(dir, 'version.php');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const component = /\$plugin->component\s*=\s*['"]([a-z0-9_]+)['"]/.exec(text)?.[1];
  const version = /\$plugin->version\s*=\s*(\d+)/.exec(text)?.[1];
  return component && version ? { component, version: Number(version) } : undefined;
}

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function sourceDir(dir: string): string {
  if (!existsSync(dir)) throw new Error(`source folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`source ${dir} is not a folder (use "archive" for a .zip or .tar.gz)`);
  return dir;
}

/** Unpacks an archive into a temporary folder and returns the plugin folder inside it. */
function unpack(archive: string, name: string): string {
  if (!existsSync(archive)) throw new Error(`archive ${archive} does not exist`);
  const out = mkdtempSync(join(tmpdir(), 'moodle-ha-plugin-'));
  const zip = archive.endsWith('.zip');
  const r = zip ? spawnSync('unzip', ['-q', archive, '-d', out]) : spawnSync('tar', ['-xzf', archive, '-C', out]);
  if (r.error || r.status !== 0) {
    throw new Error(`could not unpack ${archive}: ${r.error?.message ?? r.stderr.toString().trim()}${zip && r.error ? ' (install unzip)' : ''}`);
  }
  if (existsSync(join(out, 'version.php'))) return out;
  const dirs = readdirSync(out, { withFileTypes: true }).filter((d) => d.isDirectory());
  const inner = dirs.find((d) => d.name === name) ?? (dirs.length === 1 ? dirs[0] : undefined);
  if (!inner) throw new Error(`${archive} should hold one folder (${name}/) with version.php at its top`);
  return join(out, inner.name);
}
