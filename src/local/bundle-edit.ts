// A config-bundle edit for one `up` without writing the operator's folder: the bundle is copied
// into the cluster's state folder, the text appended to one of its files there, and `up` runs with
// the spec's configBundle pointing at the copy. The web nodes see exactly what an edit of the
// operator's folder would give them (the files, and the image's MOODLE_CONFIG_BUNDLE). The
// config-change drill uses it; the copy is removed when `up` returns (the files the nodes run with
// are recorded by `up` itself: web-bundle.ts).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { UpOptions } from '../runtime/cluster.ts';
import type { LoadedSpec } from '../spec/read.ts';
import { clusterStateDir } from '../util/paths.ts';

type Addition = NonNullable<UpOptions['bundleAddition']>;

/** Writes the edited copy and returns the spec that points at it. */
export function withBundleAddition(loaded: LoadedSpec, addition: Addition): { loaded: LoadedSpec; cleanup: () => void } {
  const { spec } = loaded;
  const dir = join(clusterStateDir(spec.name), 'bundle-edit');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (spec.configBundle) {
    const from = resolve(loaded.baseDir, spec.configBundle);
    // Unreadable or unknown files are left to up's own checks (bundleFiles), which name the operator's folder.
    if (existsSync(from)) for (const f of readdirSync(from)) if (statSync(join(from, f)).isFile()) copyFileSync(join(from, f), join(dir, f));
  }
  const file = join(dir, addition.file);
  writeFileSync(file, (existsSync(file) ? readFileSync(file, 'utf8') : '') + addition.text, { mode: 0o600 });
  return {
    loaded: { ...loaded, spec: { ...spec, configBundle: dir } },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
