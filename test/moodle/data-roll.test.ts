// The ha data tier's rolling restart (src/local/roll-data.ts, roll-data-docker.ts) with real Moodle,
// while a logged-in user polls the site through the load balancer:
//  - `up` after a database setting changed (database.memory: every Galera member's definition)
//    restarts the members one at a time, the writer last: never fewer than 2 Synced members, and
//    the user is served throughout;
//  - the Redis members with a changed image (a derived image under a tag of this test's own, given
//    to the roll directly: `up` computes its tags, and the shared tag must not move) restart
//    Sentinels first, then per group the replica, a failover to it, and the old primary: the
//    primaries move, the user stays logged in;
//  - `up` with the original image then rolls them back the same way (the primaries move back);
//  - Ctrl-C in the middle of a Galera roll, then `up` again: it carries on from there.
// Figures (failed requests, seconds per member) are printed for the report.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopAutoscalerContainer } from '../../src/local/autoscaler-container.ts';
import { exec, inspectContainer, sleep } from '../../src/local/containers.ts';
import { docker } from '../../src/local/engine/docker.ts';
import { clusterNames, type ServiceName } from '../../src/local/names.ts';
import { backendServers, rollDataTierIfChanged } from '../../src/local/roll-data-docker.ts';
import { ensureSecrets, secretFile } from '../../src/local/secrets.ts';
import type { ImageTags } from '../../src/local/services.ts';
import { readSpec } from '../../src/spec/read.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { cli } from '../support/cli.ts';
import { MoodleClient } from '../support/moodle-client.ts';
import { TEST_CLUSTERS } from '../support/test-clusters.ts';

const NAME = TEST_CLUSTERS.dataRoll;
const HTTP = 36380;
const DERIVED = 'mh9iroll-test/redis:changed';
const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-data-roll-'));
const specFile = join(dir, 'moodle-ha.yaml');
const writeSpec = (memory: string) =>
  writeFileSync(specFile, `name: ${NAME}\nprofile: ha\nports:\n  http: ${HTTP}\n  stats: 36381\n  mail: 36382\ndatabase:\n  memory: ${memory}\n`);
const n = clusterNames(NAME);
const base = `http://localhost:${HTTP}`;
const DB = [1, 2, 3].map((i) => n.container('db', i));

/** A logged-in user polling a page through the load balancer, and Galera's Synced members sampled, until stopped. */
function watch(user: MoodleClient) {
  const s = {
    ok: 0,
    failed: 0,
    failures: [] as string[],
    minSynced: 3,
    samples: 0,
    stop: false,
    lastSynced: 3,
    lastServing: 3,
    changes: [] as string[],
    minMembers: 3,
  };
  const poll = (async () => {
    while (!s.stop) {
      const t = Date.now();
      try {
        const r = await user.get('/user/profile.php');
        if (r.status === 200 && MoodleClient.loggedIn(r.body)) s.ok++;
        else {
          s.failed++;
          const text = MoodleClient.pageText(r.body);
          s.failures.push(`${new Date().toISOString()} HTTP ${r.status}${r.status === 200 ? ' (logged out)' : ''}: ${text.slice(0, 300)}`);
        }
      } catch (e) {
        s.failed++;
        s.failures.push(`${new Date().toISOString()} ${(e as Error).message}`);
      }
      await sleep(Math.max(0, 200 - (Date.now() - t)));
    }
  })();
  const galera = (async () => {
    while (!s.stop) {
      const answers: string[] = [];
      for (const node of DB) {
        const r = await exec(node, ['mariadb', '--protocol=socket', '-N', '-s', '-e', "SHOW STATUS LIKE 'wsrep_local_state_comment'"]).catch((e: Error) => ({
          output: `error ${e.message.slice(0, 60)}`,
        }));
        answers.push(`${node.replace(/^.*-db-/, 'db-')}: ${r.output.replace(/^wsrep_local_state_comment\s*/, '').trim() || 'no answer'}`);
      }
      const synced = answers.filter((a) => a.endsWith(': Synced')).length;
      // In the primary component and serving: Synced, or a donor for a rejoining member's IST (Galera desyncs it for that, under a second).
      const serving = answers.filter((a) => /: (Synced|Donor\/Desynced)$/.test(a)).length;
      s.minMembers = Math.min(s.minMembers, serving);
      if (synced !== s.lastSynced || serving !== s.lastServing)
        s.changes.push(`${new Date().toISOString()} ${synced} Synced, ${serving} serving (${answers.join(', ')})`);
      s.lastSynced = synced;
      s.lastServing = serving;
      s.minSynced = Math.min(s.minSynced, synced);
      s.samples++;
      await sleep(300);
    }
  })();
  return {
    s,
    async end() {
      s.stop = true;
      await Promise.all([poll, galera]);
      return s;
    },
  };
}

const primaryOf = async (group: string) =>
  (await exec(n.container('sentinel', 1), ['redis-cli', '-p', '26379', '--raw', 'sentinel', 'get-master-addr-by-name', group])).output.split('\n')[0]!.trim();

/**
 * What the cluster logged since `since` about a failed request: the web nodes' errors, every
 * Redis role change (all three Sentinels' switches, REPLICAOF, the primary watch) and the
 * endpoints' Redis servers going UP or DOWN, so a failure in CI names its cause.
 */
/** The web nodes' lines saying a session or cache command was cut in flight (or met READONLY) and sent again (kept-redis.php). */
async function sentAgainSince(since: Date): Promise<string[]> {
  const lines = await Promise.all(
    [1, 2].map(
      (i) =>
        new Promise<string[]>((done) =>
          execFile('docker', ['logs', '--since', since.toISOString(), n.container('web', i)], { maxBuffer: 64 * 1024 * 1024 }, (_e, out, err) =>
            done(`${out}${err}`.split('\n').filter((l) => l.includes('sending it again on a new connection'))),
          ),
        ),
    ),
  );
  return lines.flat();
}

async function rollEvidence(since: Date): Promise<string> {
  const logs = async (c: string) =>
    new Promise<string>((done) =>
      execFile('docker', ['logs', '-t', '--since', since.toISOString(), c], { maxBuffer: 64 * 1024 * 1024 }, (_e, out, err) => done(`${out}${err}`)),
    );
  const pick = async (c: string, re: RegExp) =>
    (await logs(c))
      .split('\n')
      .filter((l) => re.test(l))
      .map((l) => `${c}: ${l}`);
  const lines = [
    ...(await Promise.all([1, 2].map((i) => pick(n.container('web', i), /READONLY|Exception|PHP (Fatal|Warning)|error/i)))).flat().slice(0, 40),
    ...(
      await Promise.all(
        ['sentinel-1', 'sentinel-2', 'sentinel-3', 'redis-1', 'redis-2', 'cache-1', 'cache-2'].map((x) => {
          const [svc, i] = x.split('-') as [ServiceName, string];
          return pick(
            n.container(svc, Number(i)),
            /switch-master|convert-to-slave|slave-reconf|promoted|MASTER MODE|Connecting to MASTER|becoming its replica|starting as/,
          );
        }),
      )
    ).flat(),
    ...(await pick(n.container('endpoints'), /Server (redis|cache)\/|backend (redis|cache) /)),
  ];
  return lines.sort((a, b) => a.split(': ')[1]!.localeCompare(b.split(': ')[1]!)).join('\n');
}

describe('rolling the ha data tier with real Moodle', { timeout: 3_000_000 }, () => {
  const user = new MoodleClient(base);

  before(async () => {
    writeSpec('1Gi');
    await cli(['down', '--volumes', '--spec', specFile]);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 1_500_000 });
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
    const password = readFileSync(secretFile(NAME, 'admin-password'), 'utf8').trim();
    assert.ok(MoodleClient.loggedIn(await user.login('admin', password)), 'admin login through HAProxy failed');
  });

  after(async () => {
    if (process.env.MOODLE_HA_KEEP_TEST_CLUSTER !== '1') await cli(['down', '--volumes', '--spec', specFile]);
    await docker()
      .getImage(DERIVED)
      .remove()
      .catch(() => undefined);
  });

  // A database setting changed (the members' memory), the roll interrupted in the middle, and the
  // next up finishing it: the roll's order and bars hold across the break. A test of the roll
  // without a break cost CI 93 s more and checked nothing this one does not.
  test('a database setting changed and Ctrl-C during the Galera roll (a member out of the reader endpoint, about to restart), then up again: it carries on, each member restarted once, the writer last; never fewer than 2 serving members; every member ends with the new definition and back in both endpoints; the user is served throughout', async () => {
    writeSpec('1200Mi');
    const w = watch(user);
    const t0 = Date.now();
    // Interrupted when the second member to restart is drained from the reader endpoint (MAINT there) and about to stop.
    const first = await cli(['up', '--spec', specFile], {
      timeoutMs: 1_200_000,
      interrupt: { when: /restarted with the new definition[\s\S]*out of the reader endpoint/ },
    });
    const second = await cli(['up', '--spec', specFile], { timeoutMs: 1_200_000 });
    const s = await w.end();
    console.log(
      `[figures] interrupted galera roll: both ups ${((Date.now() - t0) / 1000).toFixed(1)} s; requests ok ${s.ok}, failed ${s.failed}; fewest Synced ${s.minSynced}, fewest serving (Synced or IST donor) ${s.minMembers} in ${s.samples} samples\n${[
        first.stderr,
        second.stderr,
      ]
        .join('\n--- the next up ---\n')
        .split('\n')
        .filter((l) => /reader endpoint|writer endpoint|restarted with|Synced in|data tier|interrupt/i.test(l))
        .join('\n')}\n${s.failures.join('\n')}\nGalera's Synced members over time:\n${s.changes.join('\n')}`,
    );
    assert.match(first.stderr, /out of the reader endpoint/, first.stderr.slice(-3000));
    assert.notEqual(first.code, 0, `the first up was not interrupted:\n${first.stderr.slice(-2000)}`);
    assert.equal(second.code, 0, second.stderr.slice(-4000));
    const restarted = [...`${first.stderr}\n${second.stderr}`.matchAll(/(\S+-db-\d): (?:restarted with the new definition|started \(it was \w+\))/g)]
      .map((m) => m[1])
      .sort();
    assert.deepEqual(
      restarted,
      [...DB].sort(),
      `each Galera member restarted once across both ups (or started, when the break left it stopped):\n${second.stderr.slice(-3000)}`,
    );
    assert.match(second.stderr, /db-\d: restarted with the new definition \(the writer, last\)/, second.stderr.slice(-3000));
    for (const node of DB) assert.equal((await inspectContainer(node))?.HostConfig.Memory, 1200 * 1024 * 1024, `${node} has the new definition`);
    // Every member UP in both backends (a member readmitted last may still be rising: 3 checks, 1 s apart).
    let notUp: string[] = [];
    for (let t = Date.now(); Date.now() - t < 15_000; await sleep(500)) {
      const stat = (await exec(n.container('endpoints'), ['sh', '-c', 'echo "show stat" | socat stdio /run/haproxy/admin.sock'])).output;
      const rows = ['db', 'db_read'].flatMap((b) => backendServers(stat, b).map((x) => ({ ...x, backend: b })));
      notUp = rows.filter((r) => r.status !== 'UP').map((r) => `${r.backend}/${r.server} ${r.status}`);
      if (rows.length === 6 && notUp.length === 0) break;
      if (rows.length !== 6) notUp = [`${rows.length} rows of 6: ${stat.slice(0, 500)}`];
    }
    assert.deepEqual(notUp, [], 'every member back in the writer and reader endpoints');
    assert.ok(s.minMembers >= 2, `Galera had only ${s.minMembers} serving members at some point:\n${s.changes.join('\n')}`);
    assert.equal(s.failed, 0, `failed requests:\n${s.failures.join('\n')}`);
  });

  test('Redis with a changed image: Sentinels, then each replica, a failover to it, the old primary last; the primaries move and the user stays logged in; up rolls them back', async () => {
    const spec = readSpec({ file: specFile }).spec;
    const image = async (c: string) => (await inspectContainer(c))!.Config.Image;
    const tags: ImageTags = {
      runtime: await image(n.container('web', 1)),
      mariadb: await image(DB[0]!),
      redis: await image(n.container('redis', 1)),
      haproxy: await image(n.container('endpoints')),
      mail: await image(n.container('mail')),
    };
    // A different image ID under this test's own tag; the controller (the healer) is stopped, as `up` stops it.
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${tags.redis}\nLABEL mh9iroll=changed\n`);
    const stream = await docker().buildImage({ context: dir, src: ['Dockerfile'] }, { t: DERIVED });
    await new Promise((res, rej) => docker().modem.followProgress(stream, (e) => (e ? rej(e) : res(undefined))));
    await stopAutoscalerContainer(NAME);
    const before = { primary: await primaryOf('primary'), cache: await primaryOf('cache') };
    const lines: string[] = [];
    const rollStart = new Date();
    const w = watch(user);
    const t0 = Date.now();
    const roll = await rollDataTierIfChanged(spec, { ...tags, redis: DERIVED }, ensureSecrets(NAME), {
      ...silentProgress,
      info: (l) => void lines.push(`${new Date().toISOString()} ${l}`),
    }).finally(() => w.end());
    const s = await w.end();
    const sentAgain = await sentAgainSince(rollStart);
    console.log(
      `[figures] redis roll: ${((Date.now() - t0) / 1000).toFixed(1)} s; requests ok ${s.ok}, failed ${s.failed}; fewest Synced ${s.minSynced}; ` +
        `session and cache commands cut in flight and sent again: ${sentAgain.length}\n${lines.join('\n')}\n${sentAgain.join('\n')}\n${s.failures.join('\n')}`,
    );
    assert.ok(roll, 'no roll happened');
    assert.equal(roll.restarted.length, 3 + 4);
    const after1 = { primary: await primaryOf('primary'), cache: await primaryOf('cache') };
    assert.notEqual(after1.primary, before.primary, 'the sessions primary did not move');
    assert.notEqual(after1.cache, before.cache, 'the caches primary did not move');
    for (const c of [n.container('redis', 1), n.container('redis', 2), n.container('sentinel', 1)])
      assert.equal((await inspectContainer(c))!.Config.Labels?.mh9iroll, 'changed', `${c} runs the changed image`);
    const order = lines.map((l) => / (\S+): (restarted with the new definition|the \S+ primary fails over)/.exec(l)?.[1]).filter(Boolean);
    assert.deepEqual(
      order.slice(0, 3),
      [1, 2, 3].map((i) => n.container('sentinel', i)),
    );
    assert.equal(s.failed, 0, `failed requests:\n${s.failures.join('\n')}\n${s.failed ? await rollEvidence(rollStart) : ''}`);

    // `up` with the original image: rolled back the same way; the controller runs again.
    const backStart = new Date();
    const w2 = watch(user);
    const r = await cli(['up', '--spec', specFile], { echo: true, timeoutMs: 1_200_000 });
    const s2 = await w2.end();
    console.log(
      `[figures] redis roll back by up: requests ok ${s2.ok}, failed ${s2.failed}\n${r.stderr
        .split('\n')
        .filter((l) => /redis|cache|sentinel|data tier/.test(l))
        .join('\n')}\n${s2.failures.join('\n')}`,
    );
    assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
    assert.equal(await primaryOf('primary'), before.primary);
    assert.equal(s2.failed, 0, `failed requests:\n${s2.failures.join('\n')}\n${s2.failed ? await rollEvidence(backStart) : ''}`);
  });
});
