// The Moodle tree a local cluster (and an AWS image) builds from: the cached tree of the spec's
// version, refused when this moodle-ha does not support that version (support.ts), before
// anything is built or created.
import { cachedTree, cachedVersions, moodleCacheDir } from './cache.ts';
import type { Spec } from '../spec/schema.ts';
import { UserError } from '../util/errors.ts';
import { assertSupportedRelease, assertSupportedVersion } from './support.ts';
import { readMoodleVersion } from './version.ts';

export function requireMoodleTree(spec: Spec): string {
  assertSupportedRelease(spec.moodle.version, 'nothing was created');
  const tree = cachedTree(spec.moodle.version);
  if (tree) {
    const version = readMoodleVersion(tree.dir);
    if (!version)
      throw new UserError(
        `the cached Moodle ${spec.moodle.version} tree (${tree.dir}) has no readable version.php; nothing was created. Import the tree again: "moodle-ha moodle import DIR --force" (or "moodle-ha moodle download ${spec.moodle.version} --force").`,
      );
    assertSupportedVersion(version, `the cached Moodle ${spec.moodle.version} tree (${tree.dir})`, 'nothing was created');
    return tree.dir;
  }
  const others = cachedVersions();
  throw new UserError(
    `no Moodle ${spec.moodle.version} tree in the cache (${moodleCacheDir()})${others.length ? `; cached versions: ${others.join(', ')} (set moodle.version in moodle-ha.yaml to use one)` : ''}. Either download the release: "moodle-ha moodle download ${spec.moodle.version}", or import a tree you have (air-gapped sites): "moodle-ha moodle import DIR". Nothing was created.`,
  );
}
