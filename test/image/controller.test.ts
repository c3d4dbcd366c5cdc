// The controller's image: its bundle runs on Debian's Node 18, finds the engine through the
// mounted socket, fails with a message that says what to do (exit 2) when it has no spec or no
// image list, and keeps running (healing) when its cluster is not up. Acting on a real cluster is tested in test/moodle/autoscaler-controller.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildAutoscalerImage } from '../../src/local/images/autoscaler-image.ts';
import { AUTOSCALER_SPEC_FILE, autoscalerContainerState, ensureAutoscalerContainer, removeAutoscalerContainer } from '../../src/local/autoscaler-container.ts';
import { clusterNames } from '../../src/local/names.ts';
import { clusterStateDir } from '../../src/util/paths.ts';
import { validateSpec } from '../../src/spec/read.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { TestSession } from '../support/containers.ts';

describe('controller image', { timeout: 600_000 }, () => {
  const session = new TestSession();
  let image = '';

  before(async () => {
    image = await buildAutoscalerImage(silentProgress);
  });
  after(() => session.cleanup());

  test("is Debian's Node 18 (the bundle's target)", async () => {
    const r = await session.run({ image, role: 'node', entrypoint: ['node', '--version'] });
    assert.match(r.stdout.trim(), /^v18\./);
  });

  test('building again finds the same image by its tag', async () => {
    assert.equal(await buildAutoscalerImage(silentProgress), image);
  });

  test('without its spec it says who writes it and exits 2', async () => {
    const r = await session.run({ image, role: 'nospec' });
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot read the spec \/etc\/moodle-ha\/spec\.json .*"moodle-ha up"/);
  });

  test('without its image list it says who writes it and exits 2', async () => {
    const name = `mhnone${session.id.slice(-8)}`;
    const spec = validateSpec({ name, autoscaler: { enabled: true } });
    const r = await session.run({
      image,
      role: 'noimages',
      binds: ['/var/run/docker.sock:/var/run/docker.sock'],
      files: [{ dir: '/', files: [{ path: AUTOSCALER_SPEC_FILE.slice(1), content: JSON.stringify(spec) }] }],
    });
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot read the image list \/etc\/moodle-ha\/images\.json .*"moodle-ha up"/);
  });

  test('a controller whose cluster is not up yet still starts (it heals: it must not die with what it heals), and says what it sees', async () => {
    process.env.MOODLE_HA_STATE = mkdtempSync(join(tmpdir(), 'moodle-ha-ctl-state-'));
    const name = `mhctl${session.id.slice(-8)}`;
    mkdirSync(clusterStateDir(name), { recursive: true });
    await session.docker.createNetwork({ Name: clusterNames(name).network, Driver: 'bridge', Labels: session.labels });
    const spec = validateSpec({ name });
    const tags = { runtime: 'x:1', mariadb: 'x:2', redis: 'x:3', haproxy: 'x:4', mail: 'x:5' };
    try {
      assert.equal(await ensureAutoscalerContainer(spec, image, tags), 'created');
      assert.equal(await autoscalerContainerState(name), 'running');
    } finally {
      await removeAutoscalerContainer(name);
    }
    assert.equal(await autoscalerContainerState(name), 'absent');
  });
});
