// One-off and replaced containers leave no anonymous volume behind. The MariaDB and Redis images
// declare VOLUME (their data directories): a container without a named volume there gets an
// anonymous one, which outlived the container when it was removed without its volumes (a backup
// helper's /var/lib/mysql, a Redis cache's or Sentinel's /data at every `down` or re-creation).
// Each test notes the anonymous volumes its container had, and checks they are gone after the
// project's own removal path: a count of exactly these, so other work on the engine cannot blur it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LABELS } from '../../src/contract/image.ts';
import { docker, isNotFound } from '../../src/local/engine/docker.ts';
import { startHelper } from '../../src/local/backup/helper.ts';
import { dumpHelper } from '../../src/local/backup/database.ts';
import type { RunningCluster } from '../../src/local/backup/cluster.ts';
import { createContainer, removeContainer } from '../../src/local/containers.ts';
import { clusterNames } from '../../src/local/names.ts';
import { validateSpec } from '../../src/spec/read.ts';
import { probeImage, serviceImage, TestSession } from '../support/containers.ts';

const session = new TestSession();
const cluster = `mhvol-${session.id}`;
let network: string;
let mariadbImage: string;
let redisImage: string;

/** Names of the anonymous volumes mounted in a container (no name of ours: Docker's 64-hex ones). */
async function anonymousVolumes(container: string): Promise<string[]> {
  const info = await docker().getContainer(container).inspect();
  return (info.Mounts ?? []).filter((m) => m.Type === 'volume' && /^[0-9a-f]{64}$/.test(m.Name ?? '')).map((m) => m.Name!);
}

/** Those of `names` that still exist on the engine. */
async function stillThere(names: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  for (const name of names) {
    try {
      await docker().getVolume(name).inspect();
      left.push(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return left;
}

before(
  async () => {
    [mariadbImage, redisImage] = await Promise.all([serviceImage('mariadb'), serviceImage('redis')]);
    network = await session.network();
  },
  { timeout: 20 * 60_000 },
);

after(
  async () => {
    for (const c of await docker().listContainers({ all: true, filters: { label: [`${LABELS.cluster}=${cluster}`] } }))
      await docker().getContainer(c.Id).remove({ force: true, v: true });
    await session.cleanup();
  },
  { timeout: 120_000 },
);

describe('no anonymous volumes left behind', () => {
  test('a backup helper (the MariaDB client, a one-off container): its volume goes with it', async () => {
    // The dump helper as `backup` makes it; with no database to reach it fails at once, which is
    // all this needs: it ran, and was removed the way every helper is.
    const running = {
      spec: validateSpec({ name: cluster }),
      names: { ...clusterNames(cluster), network, dbWriter: 'nowhere.invalid' },
      images: { mariadb: mariadbImage },
      secrets: { 'db-password': 'x', 'redis-password': 'x', 'admin-password': 'x' },
    } as unknown as RunningCluster;
    const helper = await startHelper(dumpHelper(running));
    const volumes = await anonymousVolumes(helper.name);
    assert.ok(volumes.length >= 1, 'the MariaDB image declares VOLUME /var/lib/mysql: the helper must have an anonymous volume, or this test checks nothing');
    helper.output.resume();
    await helper.exited();
    await helper.remove();
    assert.deepEqual(await stillThere(volumes), [], 'the helper left its anonymous volume behind');
  });

  test('a cluster container without a named volume (a Redis cache, a Sentinel), removed by down or replaced by up', async () => {
    const name = `${cluster}-cache`;
    const c = await createContainer({ name, cluster, service: 'cache', image: redisImage, network, entrypoint: ['sleep', '60'], restart: 'no' });
    await c.start();
    const volumes = await anonymousVolumes(name);
    assert.ok(volumes.length >= 1, 'the Redis image declares VOLUME /data: the container must have an anonymous volume, or this test checks nothing');
    await removeContainer(name, 1);
    assert.deepEqual(await stillThere(volumes), [], 'removing the container left its anonymous volume behind');
  });

  test('a named volume is never removed with its container', async () => {
    const vol = await session.volume('data');
    const name = `${cluster}-redis`;
    const c = await createContainer({
      name,
      cluster,
      service: 'redis',
      image: redisImage,
      network,
      volumes: { [vol]: '/data' },
      entrypoint: ['sleep', '60'],
      restart: 'no',
    });
    await c.start();
    assert.deepEqual(await anonymousVolumes(name), [], "the named volume covers the image's VOLUME");
    await removeContainer(name, 1);
    assert.deepEqual(await stillThere([vol]), [vol], 'the data volume went with its container');
  });

  test('the runtime image declares no VOLUME, so migrate runs and PHP helpers make none', async () => {
    const image = await docker()
      .getImage(await probeImage())
      .inspect();
    assert.deepEqual(Object.keys(image.Config.Volumes ?? {}), []);
  });
});
