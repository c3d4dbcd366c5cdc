// The Moodle tree a local cluster builds from: the cached tree of the spec's version.
import { cachedTree, cachedVersions, moodleCacheDir } from './cache.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';

export function requireMoodleTree(spec: Spec): string {
  const tree = cachedTree(spec.moodle.version);
  if (tree) return tree.dir;
  const others = cachedVersions();
  throw new UserError(
    `no Moodle ${spec.moodle.version} tree in the cache (${moodleCacheDir()})${others.length ? `; cached versions: ${others.join(', ')} (set moodle.version in moodle-ha.yaml to use one)` : ''}. Either download the release: "moodle-ha moodle download ${spec.moodle.version}", or import a tree you have (air-gapped sites): "moodle-ha moodle import DIR". Nothing was created.`,
  );
}
