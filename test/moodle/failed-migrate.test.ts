// A migrate that fails leaves nothing half-started: `up` exits 2 quoting the migrate log, and the
// containers, network, volumes and secrets that run created are gone again.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LABELS } from '../../src/contract/image.ts';
import { docker } from '../../src/local/engine/docker.ts';
import { clusterStateDir } from '../../src/util/paths.ts';
import { cli } from '../support/cli.ts';

const NAME = 'mhfail';
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-fail-'));
const specFile = join(dir, 'moodle-ha.yaml');
const plugin = join(import.meta.dirname, '..', 'fixtures', 'plugins', 'moodlehabroken');
writeFileSync(
  specFile,
  `name: ${NAME}\nports:\n  http: 18280\n  stats: 18604\n  mail: 18605\nplugins:\n  - component: local_moodlehabroken\n    source: ${plugin}\n`,
);

after(async () => {
  await cli(['down', '--volumes', '--spec', specFile]);
});

test('a failed migrate: exit 2, the migrate log quoted, nothing left behind', { timeout: 900_000 }, async () => {
  await cli(['down', '--volumes', '--spec', specFile]);
  const r = await cli(['up', '--spec', specFile], { timeoutMs: 900_000 });
  assert.equal(r.code, 2, r.stderr.slice(-3000));
  assert.match(r.stderr, /error: migrate failed \(exit 70\); the web tier was not started or changed/);
  assert.match(r.stderr, /fails its install on purpose/);
  assert.match(r.stderr, /rolling back what this run created/);
  const filters = { label: [`${LABELS.cluster}=${NAME}`] };
  assert.deepEqual(
    (await docker().listContainers({ all: true, filters })).map((c) => c.Names[0]),
    [],
  );
  assert.deepEqual(
    (await docker().listNetworks({ filters })).map((n) => n.Name),
    [],
  );
  assert.deepEqual(
    ((await docker().listVolumes({ filters })).Volumes ?? []).map((v) => v.Name),
    [],
  );
  assert.equal(existsSync(clusterStateDir(NAME)), false, 'the generated secrets of a cluster that never started must go too');
});
