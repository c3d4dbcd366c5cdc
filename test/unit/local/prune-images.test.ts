// Old runtime images go after `up`; what stays: each cluster's current and previous image, any
// image a container uses, and anything this project did not build as a runtime image.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LABELS } from '../../../src/contract/image.ts';
import { decidePrune, describePrune, type EngineImage } from '../../../src/local/prune-images.ts';
import { nextRecord, recordedRuntimeImages } from '../../../src/local/runtime-images.ts';
import { tempDir } from '../../support/temp.ts';

const ours = { [LABELS.project]: 'moodle-ha' };
let t = 0;
const image = (id: string, tags: string[], labels: Record<string, string> = ours): EngineImage => ({ id, tags, labels, created: ++t });
const runtime = (id: string) => image(id, [`moodle-ha/runtime:4.5.6-${id}`]);

describe('decidePrune', () => {
  test("removes the project's runtime images no cluster runs or ran last, keeps the current and previous", () => {
    const images = [runtime('a'), runtime('b'), runtime('c'), runtime('d')];
    const d = decidePrune(
      images,
      [{ name: 'campus-web-1', imageId: 'd' }],
      [
        { cluster: 'campus', role: 'current', id: 'd', tag: 'moodle-ha/runtime:4.5.6-d' },
        { cluster: 'campus', role: 'previous', id: 'c', tag: 'moodle-ha/runtime:4.5.6-c' },
      ],
    );
    assert.deepEqual(
      d.remove.map((i) => i.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      d.keep.map((k) => [k.image.id, k.why]),
      [
        ['c', 'the previous image of cluster campus'],
        ['d', 'used by campus-web-1'],
      ],
    );
  });

  test('never an image a container uses, whatever its cluster or project, running or stopped', () => {
    const d = decidePrune(
      [runtime('a'), runtime('b')],
      [
        { name: 'other-cron', imageId: 'a' },
        { name: 'someones-debug-shell', imageId: 'b' },
      ],
      [],
    );
    assert.deepEqual(d.remove, []);
    assert.deepEqual(
      d.keep.map((k) => k.why),
      ['used by other-cron', 'used by someones-debug-shell'],
    );
  });

  test("another cluster's recorded images stay, though it is down", () => {
    const d = decidePrune([runtime('a'), runtime('b')], [], [{ cluster: 'staging', role: 'current', id: 'a', tag: '' }]);
    assert.deepEqual(
      d.remove.map((i) => i.id),
      ['b'],
    );
  });

  test('only runtime images this project built: not its service or probe images, not an unlabelled or re-tagged image', () => {
    const d = decidePrune(
      [
        image('m', ['moodle-ha/mariadb:1234']),
        image('p', ['moodle-ha/probe:4.5.6-1']),
        image('u', ['moodle-ha/runtime:4.5.6-u'], {}),
        image('x', ['moodle-ha/runtime:4.5.6-x', 'registry.example/moodle:prod']),
        image('n', []),
      ],
      [],
      [],
    );
    assert.deepEqual(d.remove, []);
    assert.deepEqual(d.keep, []);
  });
});

describe('runtime image record', () => {
  const A = { id: 'sha256:a', tag: 'moodle-ha/runtime:4.5.6-a' };
  const B = { id: 'sha256:b', tag: 'moodle-ha/runtime:4.5.6-b' };
  const C = { id: 'sha256:c', tag: 'moodle-ha/runtime:4.5.6-c' };

  test('a new image: the current one becomes the previous; the one before goes', () => {
    assert.deepEqual(nextRecord({ current: B, previous: A }, C, B), { current: C, previous: B });
  });
  test('the same image again: the record stays', () => {
    assert.deepEqual(nextRecord({ current: B, previous: A }, B, B), { current: B, previous: A });
  });
  test('no record yet: the previous is what the web nodes ran before this up', () => {
    assert.deepEqual(nextRecord(undefined, B, A), { current: B, previous: A });
    assert.deepEqual(nextRecord(undefined, B, undefined), { current: B });
  });

  test("every cluster's records are read from the state folder; a torn one is skipped", () => {
    const root = tempDir('images-');
    for (const [cluster, text] of [
      ['campus', JSON.stringify({ current: B, previous: A })],
      ['staging', JSON.stringify({ current: C })],
      ['torn', '{"current":'],
    ]) {
      mkdirSync(join(root, 'clusters', cluster!), { recursive: true });
      writeFileSync(join(root, 'clusters', cluster!, 'runtime-images.json'), text!);
    }
    assert.deepEqual(
      recordedRuntimeImages(root)
        .map((r) => `${r.cluster} ${r.role} ${r.id}`)
        .sort(),
      ['campus current sha256:b', 'campus previous sha256:a', 'staging current sha256:c'],
    );
  });
});

test('what up says: the images removed and the space freed', () => {
  assert.equal(
    describePrune({ removed: ['moodle-ha/runtime:4.5.6-a', 'moodle-ha/runtime:4.5.6-b'], freedBytes: 552_600_000, kept: [] }),
    'removed 2 old runtime images (moodle-ha/runtime:4.5.6-a, moodle-ha/runtime:4.5.6-b): 552.6 MB freed (layers shared with the kept images stay)',
  );
  assert.match(describePrune({ removed: [], freedBytes: 0, kept: [] }), /^no old runtime image to remove/);
});
