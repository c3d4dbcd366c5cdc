// moodle.excludePlugins: plugins of the Moodle tree left out of the image, so a real site tree with
// a broken plugin can still be used. Each name is checked against the tree it is left out of: a
// plugin type the tree has (subplugin types included), a plugin folder that is there, not one of
// Moodle's standard plugins (core needs them), and no plugin that stays depends on it (Moodle's
// upgrade would refuse to run). Every problem is reported at once, before anything is built.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import { closest } from '../util/suggest.ts';
import { pluginTypeDirs } from './plugins.ts';

export interface ExcludedPlugin {
  readonly component: string;
  /** Its folder in the tree, e.g. "local/broken": everything under it is left out. */
  readonly target: string;
}

/** A plugin of the tree: its component and folder (relative to the tree). */
interface TreePlugin {
  readonly component: string;
  readonly target: string;
}

/** Every plugin type of the tree with its folder: lib/components.json's, and each plugin's db/subplugins.json's. */
export function allPluginTypeDirs(moodleDir: string): Record<string, string> {
  const types: Record<string, string> = { ...pluginTypeDirs(moodleDir) };
  for (const [, dir] of Object.entries(types)) {
    for (const name of subfolders(join(moodleDir, dir))) {
      const file = join(moodleDir, dir, name, 'db', 'subplugins.json');
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as { plugintypes?: Record<string, string>; subplugintypes?: Record<string, string> };
      for (const [t, d] of Object.entries(json.plugintypes ?? {})) types[t] ??= d;
      for (const [t, d] of Object.entries(json.subplugintypes ?? {})) types[t] ??= `${dir}/${name}/${d}`;
    }
  }
  return types;
}

/** The plugins of the tree: each folder of a type's folder that has a version.php. */
function treePlugins(moodleDir: string, types: Record<string, string>): TreePlugin[] {
  return Object.entries(types).flatMap(([type, dir]) =>
    subfolders(join(moodleDir, dir))
      .filter((name) => existsSync(join(moodleDir, dir, name, 'version.php')))
      .map((name) => ({ component: `${type}_${name}`, target: `${dir}/${name}` })),
  );
}

/** Moodle's standard plugins of `type` (lib/plugins.json), [] when the tree has no such list. */
function standardPlugins(moodleDir: string, type: string): readonly string[] {
  const file = join(moodleDir, 'lib', 'plugins.json');
  if (!existsSync(file)) return [];
  const json = JSON.parse(readFileSync(file, 'utf8')) as { standard?: Record<string, string[]> };
  return json.standard?.[type] ?? [];
}

/** The components a version.php declares in $plugin->dependencies. Pure. */
export function declaredDependencies(versionPhp: string): string[] {
  const block = /\$plugin->dependencies\s*=\s*(?:\[|array\s*\()([\s\S]*?)(?:\]|\))\s*;/.exec(versionPhp)?.[1] ?? '';
  return [...block.matchAll(/['"]([a-z][a-z0-9]*_[a-z0-9_]+)['"]\s*=>/g)].map((m) => m[1]!);
}

/**
 * The plugins `spec` leaves out of `moodleDir`, checked; a UserError listing every problem (with
 * what to change) when one is not a plugin of the tree, is standard, or another plugin needs it.
 * `extraDirs`: the manifest's plugins' folders, whose dependencies count too.
 */
export function excludedPlugins(spec: Spec, moodleDir: string, extraDirs: readonly string[] = []): ExcludedPlugin[] {
  const wanted = spec.moodle.excludePlugins;
  if (!wanted.length) return [];
  const types = allPluginTypeDirs(moodleDir);
  const plugins = treePlugins(moodleDir, types);
  const problems: string[] = [];
  const excluded: ExcludedPlugin[] = [];
  for (const [i, component] of wanted.entries()) {
    const where = `moodle.excludePlugins.${i} (${component})`;
    const type = component.split('_')[0]!;
    const name = component.slice(type.length + 1);
    if (!types[type]) {
      const near = closest(type, Object.keys(types));
      problems.push(
        `${where}: "${type}" is not a plugin type of this Moodle tree${near ? ` (did you mean "${near}"?)` : ''}; its types include ${Object.keys(types).slice(0, 10).join(', ')}, …`,
      );
      continue;
    }
    const found = plugins.find((p) => p.component === component);
    if (!found) {
      const ofType = plugins.filter((p) => p.component.startsWith(`${type}_`)).map((p) => p.component);
      const near = closest(component, ofType);
      problems.push(
        `${where}: the tree has no such plugin (no ${types[type]}/${name}/version.php)${near ? `; did you mean "${near}"?` : ''}; the ${type} plugins there: ${ofType.length ? ofType.join(', ') : 'none'}`,
      );
      continue;
    }
    if (standardPlugins(moodleDir, type).includes(name)) {
      problems.push(`${where}: it is one of Moodle's standard plugins, which core code needs; only add-on plugins can be left out`);
      continue;
    }
    excluded.push(found);
  }
  const out = new Set(excluded.map((e) => e.component));
  // A plugin inside an excluded one's folder (its subplugins) leaves with it.
  const gone = (p: TreePlugin) => excluded.some((e) => p.target === e.target || p.target.startsWith(`${e.target}/`));
  const staying = [
    ...plugins.filter((p) => !gone(p)).map((p) => ({ who: p.component, dir: join(moodleDir, p.target) })),
    ...extraDirs.map((d) => ({ who: d, dir: d })),
  ];
  for (const { who, dir } of staying) {
    const file = join(dir, 'version.php');
    if (!existsSync(file)) continue;
    for (const dep of declaredDependencies(readFileSync(file, 'utf8')).filter((d) => out.has(d)))
      problems.push(
        `${who} depends on ${dep} ($plugin->dependencies in its version.php), so Moodle would refuse to upgrade without it: leave ${who} out too, or keep ${dep}`,
      );
  }
  if (problems.length) throw new UserError('moodle.excludePlugins has problems; no image was built:', problems);
  return excluded;
}

/** The names of the folders in `dir` ([] when it does not exist). */
function subfolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
}
