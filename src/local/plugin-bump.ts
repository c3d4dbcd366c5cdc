// A plugin upgrade for one `up` without writing the operator's folder: the plugin's source folder
// is copied into the cluster's state folder with its version.php declaring a newer version, and
// `up` runs with the spec's entry pointing at the copy. `up` then builds an image with the newer
// plugin, and its migrate upgrades the database: the upgrade drill's fault, and the real-Moodle
// upgrade test's bump. Moodle refuses a downgrade, so nothing here can put the old version back.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { readPluginVersion } from '../moodle/plugins.ts';
import type { LoadedSpec } from '../spec/read.ts';
import { UserError } from '../util/errors.ts';
import { clusterStateDir } from '../util/paths.ts';

/** Copies the plugin folder `source` to `dest` with its version.php declaring `version`. */
export function copyWithVersion(source: string, dest: string, version: number): void {
  rmSync(dest, { recursive: true, force: true });
  cpSync(source, dest, { recursive: true });
  const file = join(dest, 'version.php');
  const text = readFileSync(file, 'utf8');
  if (!/\$plugin->version\s*=\s*\d+\s*;/.test(text)) throw new UserError(`${source}/version.php has no "$plugin->version = N;" line to raise`);
  writeFileSync(file, text.replace(/\$plugin->version\s*=\s*\d+\s*;/, `$plugin->version = ${version};`));
}

/** The first plugin of the spec that comes as a folder (an archive is not copied and changed); undefined when none. */
export function bumpablePlugin(loaded: LoadedSpec): string | undefined {
  return loaded.spec.plugins.find((p) => p.source !== undefined)?.component;
}

/** Writes the copy of `component` one version newer and returns the spec that points at it. */
export function withPluginBump(loaded: LoadedSpec, component: string): { loaded: LoadedSpec; from: number; to: number; cleanup: () => void } {
  const { spec } = loaded;
  const entry = spec.plugins.find((p) => p.component === component);
  if (!entry?.source)
    throw new UserError(
      `the spec lists no plugin ${component} with a source folder: add one under "plugins:" in moodle-ha.yaml (the upgrade raises a folder's version.php)`,
    );
  const source = isAbsolute(entry.source) ? entry.source : resolve(loaded.baseDir, entry.source);
  const from = entry.version ?? readPluginVersion(source)?.version;
  if (from === undefined) throw new UserError(`${source} has no version.php with $plugin->version: is it the plugin's top folder?`);
  const to = from + 1;
  const dest = join(clusterStateDir(spec.name), 'plugin-bump', component);
  copyWithVersion(source, dest, to);
  const plugins = spec.plugins.map((p) => (p.component === component ? { ...p, source: dest, version: to } : p));
  return { loaded: { ...loaded, spec: { ...spec, plugins } }, from, to, cleanup: () => rmSync(dest, { recursive: true, force: true }) };
}
