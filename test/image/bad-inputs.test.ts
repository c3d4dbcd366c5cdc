// Bad input gets a clear message, exit code 2, and leaves nothing behind: no container, network
// or volume of the cluster, no secrets. Runs the CLI as a user would.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LABELS } from '../../src/contract/image.ts';
import { docker } from '../../src/local/engine/docker.ts';
import { cli } from '../support/cli.ts';
import { makeFakeTree } from '../support/fake-moodle.ts';

const work = mkdtempSync(join(tmpdir(), 'moodle-ha-bad-'));
const env = { MOODLE_HA_CACHE: join(work, 'cache'), MOODLE_HA_STATE: join(work, 'state') };

async function leftovers(cluster: string): Promise<string[]> {
  const filters = { label: [`${LABELS.cluster}=${cluster}`] };
  const c = await docker().listContainers({ all: true, filters });
  const n = await docker().listNetworks({ filters });
  const { Volumes } = await docker().listVolumes({ filters });
  return [...c.map((x) => x.Names[0]!), ...n.map((x) => x.Name), ...(Volumes ?? []).map((v) => v.Name)];
}

function spec(name: string, body: string): string {
  const f = join(work, `${name}.yaml`);
  writeFileSync(f, `name: ${name}\n${body}`);
  return f;
}

describe('bad inputs: a clear error, exit 2, nothing left behind', () => {
  test('an invalid spec lists every problem with its path', async () => {
    const f = spec('badspec', 'profile: production\nweb:\n  nodes: zero\nports:\n  http: 99999\n');
    const r = await cli(['up', '--spec', f], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not valid \(3 problems\); nothing was changed/);
    assert.match(r.stderr, /profile: must be one of "dev", "ha"/);
    assert.match(r.stderr, /web\.nodes: .*write a number without quotes/);
    assert.match(r.stderr, /ports\.http: /);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'a user error must not print a stack');
    assert.deepEqual(await leftovers('badspec'), []);
  });

  test('a partial Moodle tree is refused by import, and nothing is cached', async () => {
    const tree = makeFakeTree(join(work, 'partial'));
    const { rmSync } = await import('node:fs');
    rmSync(join(tree, 'lib', 'setup.php'));
    const r = await cli(['moodle', 'import', tree], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /partial Moodle 4\.5\.6 tree; nothing was imported/);
    assert.match(r.stderr, /- lib\/setup\.php/);
    assert.equal(existsSync(join(env.MOODLE_HA_CACHE, 'moodle', '4.5.6')), false);
  });

  test('no Moodle tree and offline: the error names download and import', async () => {
    const f = spec('notree', 'ports:\n  http: 0\n  stats: 1\n  mail: 28084\n'.replace('http: 0', 'http: 28081').replace('stats: 1', 'stats: 28082'));
    const r = await cli(['up', '--spec', f], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Moodle 4\.5\.6 tree in the cache/);
    assert.match(r.stderr, /moodle-ha moodle download 4\.5\.6/);
    assert.match(r.stderr, /moodle-ha moodle import DIR/);
    assert.deepEqual(await leftovers('notree'), []);
    assert.equal(existsSync(join(env.MOODLE_HA_STATE, 'clusters', 'notree')), false, 'no secrets may be written');
  });

  describe('a port in use', () => {
    const holder = createServer();
    let port = 0;
    before(async () => {
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      port = (holder.address() as AddressInfo).port;
    });
    after(() => holder.close());
    test('names the port and the setting to change', async () => {
      const f = spec('portbusy', `ports:\n  http: ${port}\n  stats: 28083\n  mail: 28085\n`);
      const r = await cli(['up', '--spec', f], { env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`ports\\.http: port ${port} on 127\\.0\\.0\\.1 is in use; .*set ports\\.http in moodle-ha\\.yaml`));
      assert.deepEqual(await leftovers('portbusy'), []);
    });
    test("the mail catcher's port too", async () => {
      const f = spec('mailbusy', `ports:\n  http: 28086\n  stats: 28087\n  mail: ${port}\n`);
      const r = await cli(['up', '--spec', f], { env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`ports\\.mail: port ${port} on 127\\.0\\.0\\.1 is in use; .*set ports\\.mail in moodle-ha\\.yaml`));
      assert.deepEqual(await leftovers('mailbusy'), []);
    });
  });

  test('no Docker engine: says how to start one', async () => {
    const r = await cli(['up'], { env: { ...env, DOCKER_HOST: `unix://${join(work, 'no-docker.sock')}` }, cwd: work });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no Docker engine answers at unix:\/\/.*no-docker\.sock/);
    assert.match(r.stderr, /nothing was created/);
  });

  describe('down', () => {
    // A stopped cluster as `down` leaves it: no container, its network and data volume kept.
    const stopped = 'mhdown-stopped';
    const labels = { [LABELS.project]: 'moodle-ha', [LABELS.cluster]: stopped };
    before(async () => {
      await docker().createNetwork({ Name: `${stopped}-net`, Labels: { ...labels, [LABELS.service]: 'network' } });
      await docker().createVolume({ Name: `${stopped}-moodledata`, Labels: { ...labels, [LABELS.service]: 'web' } });
    });
    after(async () => {
      await docker()
        .getNetwork(`${stopped}-net`)
        .remove()
        .catch(() => undefined);
      await docker()
        .getVolume(`${stopped}-moodledata`)
        .remove()
        .catch(() => undefined);
    });

    test('of a cluster that is not here: says so, lists the clusters that are, exits 2', async () => {
      const r = await cli(['down', '--spec', spec('mhdown-typo', '')], { env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /no cluster named "mhdown-typo" here; clusters on this engine: [^\n]*\bmhdown-stopped\b/);
      assert.match(r.stderr, /Nothing was changed\./);
      assert.doesNotMatch(r.stdout, /removed/);
    });

    test('of a stopped cluster: removes its network, keeps its data; with --volumes removes that too; then it is unknown', async () => {
      const f = spec(stopped, '');
      let r = await cli(['down', '--spec', f], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /removed 0 container\(s\); data volumes kept/);
      assert.deepEqual(await leftovers(stopped), [`${stopped}-moodledata`]);
      r = await cli(['down', '--volumes', '--spec', f], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /and 1 volume\(s\); data deleted/);
      assert.deepEqual(await leftovers(stopped), []);
      r = await cli(['down', '--spec', f], { env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no cluster named "mhdown-stopped" here/);
    });
  });

  test('down of a cluster whose network a container not of the cluster uses: names it and how to go on; the next down, once it is gone, ends', async () => {
    const cluster = 'mhdown-foreign';
    const labels = { [LABELS.project]: 'moodle-ha', [LABELS.cluster]: cluster };
    await docker().createNetwork({ Name: `${cluster}-net`, Labels: { ...labels, [LABELS.service]: 'network' } });
    const stranger = await docker().createContainer({
      name: `${cluster}-stranger`,
      Image: 'debian:bookworm-slim',
      Cmd: ['sleep', '300'],
      HostConfig: { NetworkMode: `${cluster}-net` },
    });
    try {
      await stranger.start();
      const f = spec(cluster, '');
      let r = await cli(['down', '--spec', f], { env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /the network mhdown-foreign-net is still used by a container not of this cluster: mhdown-foreign-stranger\./);
      assert.match(r.stderr, /docker network disconnect mhdown-foreign-net mhdown-foreign-stranger/);
      assert.doesNotMatch(r.stderr, /hit a bug|\bat .*\.ts:\d+/);
      assert.deepEqual(await leftovers(cluster), [`${cluster}-net`]);
      await stranger.remove({ force: true });
      r = await cli(['down', '--spec', f], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await leftovers(cluster), []);
    } finally {
      await stranger.remove({ force: true }).catch(() => undefined);
      await docker()
        .getNetwork(`${cluster}-net`)
        .remove()
        .catch(() => undefined);
    }
  });

  test('status of a cluster that is not running: the command to start it names the spec given', async () => {
    const f = spec('mhstatus-absent', '');
    const r = await cli(['status', '--spec', f], { env });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.stdout.includes(`cluster "mhstatus-absent" is not running (start it with "moodle-ha up -f ${f}")`), r.stdout);
  });

  test('an unknown command or flag suggests the right one', async () => {
    let r = await cli(['stauts'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "stauts" \(did you mean "status"\?\)/);
    r = await cli(['down', '--volume'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /did you mean --volumes\?/);
  });
});
