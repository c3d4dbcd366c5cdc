// The detached autoscaler without Docker: the spec switch and its flags, the controller
// container's definition, the spec file it reads, and the one-autoscaler-per-cluster refusals.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { describeAutoscaler, describeHealer } from '../../../src/cli/commands/status.ts';
import { parseDaemonImages, parseDaemonSpec } from '../../../src/autoscaler-daemon/spec-file.ts';
import {
  AUTOSCALER_SPEC_FILE,
  AUTOSCALER_STATE_ROOT,
  autoscalerContainer,
  CONTROLLER_IMAGES_FILE,
  autoscalerUser,
  controllerUnavailable,
  dockerSocketPath,
  type AutoscalerHost,
} from '../../../src/local/autoscaler-container.ts';
import { autoscalerConflict, claimForeground, foregroundPid } from '../../../src/local/autoscaler-guard.ts';
import { readSpec, validateSpec } from '../../../src/spec/read.ts';
import { UserError } from '../../../src/util/errors.ts';
import { clusterStateDir } from '../../../src/util/paths.ts';
import { cli } from '../../support/cli.ts';
import { tempDir } from '../../support/temp.ts';

const TAGS = {
  runtime: 'moodle-ha/runtime:r1',
  mariadb: 'moodle-ha/mariadb:m1',
  redis: 'moodle-ha/redis:d1',
  haproxy: 'moodle-ha/haproxy:h1',
  mail: 'moodle-ha/mail:l1',
};

const HOST: AutoscalerHost = {
  socket: '/var/run/docker.sock',
  socketOwner: { uid: 0, gid: 998 },
  user: { uid: 1000, gid: 1000 },
  stateDir: '/home/me/.local/state/moodle-ha/clusters/campus',
};

function problems(raw: unknown): string[] {
  try {
    validateSpec(raw);
  } catch (e) {
    assert.ok(e instanceof UserError);
    return [...e.details];
  }
  return assert.fail('expected the spec to be rejected');
}

describe('spec: autoscaler', () => {
  test('defaults: not detached, every 5 s, no webhook', () => {
    const a = validateSpec({}).autoscaler;
    assert.deepEqual(a, { enabled: false, interval: { seconds: 5 } });
  });
  test('enabled with a webhook the container can reach', () => {
    const a = validateSpec({ autoscaler: { enabled: true, interval: '2s', webhook: 'http://host.docker.internal:9000/hook' } }).autoscaler;
    assert.equal(a.enabled, true);
    assert.equal(a.interval.seconds, 2);
  });
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'loopback webhook when detached',
      { autoscaler: { enabled: true, webhook: 'http://localhost:9000/x' } },
      /^autoscaler\.webhook: the detached autoscaler runs in a container.*host\.docker\.internal/,
    ],
    [
      '127.0.0.1 webhook when detached',
      { autoscaler: { enabled: true, webhook: 'http://127.0.0.1:9000/x' } },
      /^autoscaler\.webhook: .*localhost is the container itself/,
    ],
    ['webhook not http', { autoscaler: { webhook: 'ftp://example.edu/x' } }, /^autoscaler\.webhook: must be an http:\/\/ or https:\/\/ URL/],
    ['interval below 1s', { autoscaler: { interval: '500ms' } }, /^autoscaler\.interval: must be at least "1s"/],
    ['enabled not a boolean', { autoscaler: { enabled: 'yes' } }, /^autoscaler\.enabled: .*write true or false/],
    ['unknown key', { autoscaler: { detached: true } }, /^autoscaler: unknown key "detached"/],
  ];
  for (const [name, raw, pattern] of cases) {
    test(name, () => {
      const found = problems(raw);
      assert.ok(
        found.some((p) => pattern.test(p)),
        `no problem matched ${pattern}; got:\n${found.join('\n')}`,
      );
    });
  }
  test('a loopback webhook is fine for the foreground autoscaler', () => {
    assert.equal(validateSpec({ autoscaler: { webhook: 'http://127.0.0.1:9000/x' } }).autoscaler.webhook, 'http://127.0.0.1:9000/x');
  });
  test("a flag override of autoscaler.enabled keeps the file's other autoscaler keys", () => {
    const dir = tempDir('spec-');
    writeFileSync(join(dir, 'moodle-ha.yaml'), 'autoscaler:\n  interval: 3s\n  webhook: https://hooks.example.edu/x\n');
    const { spec } = readSpec({ cwd: dir, overrides: { autoscaler: { enabled: true } } });
    assert.deepEqual(spec.autoscaler, { enabled: true, interval: { seconds: 3 }, webhook: 'https://hooks.example.edu/x' });
  });
});

describe('the controller container', () => {
  const spec = validateSpec({ name: 'campus', autoscaler: { enabled: true } });
  const c = autoscalerContainer(spec, 'moodle-ha/controller:abc', HOST, TAGS);

  test('one per cluster, named and labelled like the other services, on the cluster network', () => {
    assert.equal(c.name, 'campus-autoscaler');
    assert.equal(c.service, 'autoscaler');
    assert.equal(c.cluster, 'campus');
    assert.equal(c.network, 'campus-net');
    assert.equal(c.restart, 'unless-stopped');
  });
  test('mounts the Docker socket and the cluster state folder, where MOODLE_HA_STATE points', () => {
    assert.deepEqual(c.volumes, { '/var/run/docker.sock': '/var/run/docker.sock', [HOST.stateDir]: `${AUTOSCALER_STATE_ROOT}/clusters/campus` });
    assert.equal(clusterStateDir('campus', c.env!.MOODLE_HA_STATE), `${AUTOSCALER_STATE_ROOT}/clusters/campus`);
  });
  test('gets the resolved spec as a file that reads back to the same spec', () => {
    const f = c.files!.find((x) => x.name === AUTOSCALER_SPEC_FILE)!;
    assert.deepEqual(parseDaemonSpec(String(f.content), f.name), JSON.parse(JSON.stringify(spec)));
  });
  test("gets the cluster's image tags as a file that reads back to the same tags (the healer re-creates members from them)", () => {
    const f = c.files!.find((x) => x.name === CONTROLLER_IMAGES_FILE)!;
    assert.deepEqual(parseDaemonImages(String(f.content), f.name), TAGS);
    const other = autoscalerContainer(spec, 'moodle-ha/controller:abc', HOST, { ...TAGS, runtime: 'moodle-ha/runtime:r2' });
    assert.notDeepEqual(other.files, c.files, 'a new runtime image replaces the controller');
  });
  test('an image list without every tag is refused, naming what is missing and who writes it', () => {
    assert.throws(
      () => parseDaemonImages('{"runtime":"x"}', '/f.json'),
      /\/f\.json does not name the mariadb, redis, haproxy, mail image\(s\).*"moodle-ha up"/,
    );
    assert.throws(() => parseDaemonImages('nope', '/f.json'), /\/f\.json is not JSON/);
  });
  test('says in its environment whether it autoscales; it heals either way', () => {
    assert.equal(c.env!.MOODLE_HA_AUTOSCALES, '1');
    const off = autoscalerContainer(validateSpec({ name: 'campus' }), 'moodle-ha/controller:abc', HOST, TAGS);
    assert.equal(off.env!.MOODLE_HA_AUTOSCALES, '0');
    assert.equal(off.name, c.name, 'the same controller container, whether or not it autoscales');
  });
  test('a changed spec changes its definition (so up replaces it)', () => {
    const other = autoscalerContainer(
      validateSpec({ name: 'campus', autoscaler: { enabled: true }, scaling: { max: 6 } }),
      'moodle-ha/controller:abc',
      HOST,
      TAGS,
    );
    assert.notDeepEqual(other.files, c.files);
  });
  test('reaches a webhook receiver on this machine as host.docker.internal', () => {
    assert.deepEqual(c.extraHosts, ['host.docker.internal:host-gateway']);
  });
  test('runs as the state folder owner with the socket group, root only where that is the same', () => {
    assert.equal(c.user, '1000:998');
    assert.equal(autoscalerUser({ user: { uid: 0, gid: 0 }, socketOwner: { uid: 0, gid: 998 } }), '0:0');
    assert.equal(
      autoscalerUser({ user: { uid: 1000, gid: 1000 }, socketOwner: { uid: 1000, gid: 1000 } }),
      '0:0',
      'rootless Docker: container root is the user',
    );
  });
  test('on an engine whose socket it cannot mount, up goes without a controller and says why', () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://10.0.0.5:2376';
    try {
      assert.match(controllerUnavailable(spec) ?? '', /mounts the Docker engine's socket, but DOCKER_HOST is tcp:\/\/10\.0\.0\.5:2376/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
  test('the Docker socket comes from DOCKER_HOST; a remote engine is refused with the way out', () => {
    assert.equal(dockerSocketPath(undefined), '/var/run/docker.sock');
    assert.equal(dockerSocketPath('unix:///run/user/1000/docker.sock'), '/run/user/1000/docker.sock');
    assert.throws(
      () => dockerSocketPath('tcp://10.0.0.5:2376'),
      (e: unknown) => e instanceof UserError && /not a unix:\/\/ socket.*moodle-ha autoscale/.test(e.message),
    );
  });
  test('the spec file is refused when it is not JSON, or not a resolved spec', () => {
    assert.throws(() => parseDaemonSpec('name: x', '/f'), /\/f is not JSON.*moodle-ha up/);
    assert.throws(() => parseDaemonSpec('{"name":"x"}', '/f'), /\/f is not a resolved moodle-ha spec/);
  });
});

describe('one autoscaler per cluster', () => {
  test('the foreground one is refused while the controller runs, saying how to stop it', () => {
    const why = autoscalerConflict('campus', 'foreground', { detached: 'running' });
    assert.match(why ?? '', /already runs detached \(container campus-autoscaler\).*autoscaler\.enabled: false.*"moodle-ha up"/);
  });
  test('the detached one is refused while a foreground one runs, naming its pid', () => {
    assert.match(
      autoscalerConflict('campus', 'detached', { detached: 'absent', foregroundPid: 4242 }) ?? '',
      /foreground autoscaler \(pid 4242\).*kill 4242.*Nothing was changed/,
    );
  });
  test('two foreground ones are refused too', () => {
    assert.match(autoscalerConflict('campus', 'foreground', { detached: 'absent', foregroundPid: 4242 }) ?? '', /another foreground autoscaler \(pid 4242\)/);
  });
  test('a controller that only heals is no autoscaler: the foreground one may run beside it', () => {
    assert.equal(autoscalerConflict('campus', 'foreground', { detached: 'running', detachedAutoscales: false }), undefined);
    assert.match(autoscalerConflict('campus', 'foreground', { detached: 'running', detachedAutoscales: true }) ?? '', /already runs detached/);
  });
  test('a stopped controller or nothing running: allowed', () => {
    assert.equal(autoscalerConflict('campus', 'foreground', { detached: 'stopped' }), undefined);
    assert.equal(autoscalerConflict('campus', 'detached', { detached: 'running' }), undefined, 'up keeps or replaces its own controller');
    assert.equal(autoscalerConflict('campus', 'foreground', { detached: 'absent' }), undefined);
  });
  test('the foreground pid file: live pids count, its own and dead ones do not', () => {
    process.env.MOODLE_HA_STATE = tempDir('guard-');
    assert.equal(foregroundPid('c1'), undefined);
    const release = claimForeground('c1');
    assert.equal(foregroundPid('c1'), undefined, 'this process is not "another" autoscaler');
    release();
    writeFileSync(join(clusterStateDir('c1'), 'autoscaler.pid'), `${process.ppid}\n`);
    assert.equal(foregroundPid('c1'), process.ppid);
    writeFileSync(join(clusterStateDir('c1'), 'autoscaler.pid'), '2147483646\n');
    assert.equal(foregroundPid('c1'), undefined, 'a stale pid file is ignored');
  });
  test('status says which one runs', () => {
    assert.match(describeAutoscaler('campus', { detached: 'running' }), /^detached, in campus-autoscaler/);
    assert.match(describeAutoscaler('campus', { detached: 'absent', foregroundPid: 7 }), /^in the foreground \(pid 7\)/);
    assert.match(describeAutoscaler('campus', { detached: 'stopped' }), /campus-autoscaler is stopped/);
    assert.match(describeAutoscaler('campus', { detached: 'absent' }), /^not running/);
    assert.match(describeAutoscaler('campus', { detached: 'running', detachedAutoscales: false }), /^off; campus-autoscaler heals only/);
    assert.match(describeAutoscaler('campus', { detached: 'running', detachedAutoscales: false, foregroundPid: 7 }), /^in the foreground \(pid 7\)/);
  });
  test("status's healer line: on while the controller runs, else how to start it", () => {
    assert.match(describeHealer('campus', { detached: 'running', detachedAutoscales: false }), /^on, in campus-autoscaler/);
    assert.match(describeHealer('campus', { detached: 'stopped' }), /^off: campus-autoscaler is stopped.*"moodle-ha up/);
    assert.match(describeHealer('campus', { detached: 'absent' }), /^off: no controller/);
  });
});

describe('CLI flags: refused before anything is touched', () => {
  const dir = tempDir('moodle-ha-detach-');
  const env = { MOODLE_HA_STATE: join(dir, 'state'), DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
  const withSpec = (text: string) => {
    const f = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, text);
    return f;
  };
  const cases: Array<[string, string[], RegExp]> = [
    ['--detach alone', ['up', '--detach'], /--detach goes with --autoscale/],
    ['--webhook alone', ['up', '--webhook', 'https://hooks.example.edu/x'], /--webhook goes with --autoscale/],
    [
      'a loopback webhook for the detached one',
      ['up', '--autoscale', '--detach', '--webhook', 'http://localhost:9000/x'],
      /autoscaler\.webhook: the detached autoscaler runs in a container/,
    ],
    [
      'foreground while the spec enables the detached one',
      ['up', '--autoscale', '--spec', withSpec('autoscaler:\n  enabled: true\n')],
      /enables the detached autoscaler.*Nothing was changed/,
    ],
    ['a webhook that is not http', ['autoscale', '--webhook', 'ftp://example.edu/x'], /--webhook takes an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [name, args, pattern] of cases) {
    test(name, async () => {
      const r = await cli(args, { cwd: dir, env, timeoutMs: 60_000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }
});
