// The runtime image configured through its environment contract and a config bundle folder:
// OPcache validation, memory and upload limits, FPM workers, a bundle's php.ini and nginx
// fragment; and invalid values that stop the container at start with a clear message.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { http, probeImage, TestSession, waitForHttp, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
let image: string;
let tuned: StartedContainer;
let port: number;
let plain: StartedContainer;
let plainPort: number;

// Read-only, as `up` puts a bundle into its containers (src/local/up.ts, bundleFiles).
const BUNDLE_MODE = { mode: 0o440, uid: 0, gid: RUNTIME_IMAGE.gid };
const BUNDLE_FILES = [
  { path: 'php.ini', content: '; site settings from the config bundle\nmax_input_vars = 6000\n', ...BUNDLE_MODE },
  { path: 'nginx.conf', content: '# server-level fragment from the config bundle\nadd_header X-Bundle probe always;\n', ...BUNDLE_MODE },
  { path: 'config.php', content: "<?php\n$CFG->probe_from_bundle = 'yes';\n", ...BUNDLE_MODE },
];

before(
  async () => {
    image = await probeImage();
    const network = await session.network();
    tuned = await session.start({
      image,
      role: 'tuned',
      network,
      publish: [RUNTIME_IMAGE.port],
      env: {
        MOODLE_WWWROOT: 'http://probe.test',
        MOODLE_OPCACHE_VALIDATE: 'true',
        MOODLE_PHP_MEMORY_LIMIT: '384M',
        MOODLE_MAX_UPLOAD: '1M',
        MOODLE_FPM_WORKERS: '3',
        MOODLE_CONFIG_BUNDLE: RUNTIME_IMAGE.configBundleDir,
      },
      files: [{ dir: RUNTIME_IMAGE.configBundleDir, files: BUNDLE_FILES }],
    });
    plain = await session.start({ image, role: 'plain', network, publish: [RUNTIME_IMAGE.port], env: { MOODLE_WWWROOT: 'http://probe.test' } });
    port = await tuned.hostPort(RUNTIME_IMAGE.port);
    plainPort = await plain.hostPort(RUNTIME_IMAGE.port);
    await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
    await waitForHttp(plainPort, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

async function ini(p: number): Promise<Record<string, string>> {
  const r = await http(p, '/index.php');
  assert.equal(r.status, 200, r.body.toString());
  return (JSON.parse(r.body.toString()) as { ini: Record<string, string> }).ini;
}

describe('settings from the environment', () => {
  test('MOODLE_OPCACHE_VALIDATE=true turns timestamp validation on (off without it)', async () => {
    assert.equal((await ini(port))['opcache.validate_timestamps'], '1');
    assert.equal((await ini(plainPort))['opcache.validate_timestamps'], '0');
  });
  test('MOODLE_PHP_MEMORY_LIMIT and MOODLE_MAX_UPLOAD set memory_limit, upload_max_filesize, post_max_size', async () => {
    const v = await ini(port);
    assert.deepEqual([v.memory_limit, v.upload_max_filesize, v.post_max_size], ['384M', '1M', '1M']);
  });
  test('the CLI gets the same settings (migrate and cron run PHP CLI)', async () => {
    const r = await tuned.exec(['php', '-r', 'echo ini_get("memory_limit"), " ", ini_get("max_input_vars");']);
    assert.equal(r.stdout, '384M 6000', r.stderr);
  });
  test('MOODLE_MAX_UPLOAD also limits nginx: a larger body is refused with 413', async () => {
    const big = await http(port, '/index.php', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(2 * 1024 * 1024),
    });
    assert.equal(big.status, 413);
    const small = await http(port, '/index.php', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(512 * 1024) });
    assert.equal(small.status, 200);
  });
  test('MOODLE_FPM_WORKERS sets the number of PHP-FPM workers', async () => {
    const r = await tuned.exec(['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done | grep -c "^php-fpm: pool moodle"']);
    assert.equal(r.stdout.trim(), '3', r.stderr);
  });
});

describe('config bundle folder (MOODLE_CONFIG_BUNDLE)', () => {
  test("the bundle's php.ini applies (max_input_vars 6000, 5000 without it)", async () => {
    assert.equal((await ini(port)).max_input_vars, '6000');
    assert.equal((await ini(plainPort)).max_input_vars, '5000');
  });
  test("nginx accepts the bundle's server-level fragment: its header is on PHP answers and /healthz", async () => {
    for (const path of ['/index.php', RUNTIME_IMAGE.healthPath, '/does-not-exist']) {
      const r = await http(port, path);
      assert.equal(r.headers['x-bundle'], 'probe', `${path} (HTTP ${r.status}) lacks X-Bundle`);
    }
    assert.equal((await http(plainPort, '/index.php')).headers['x-bundle'], undefined, 'control: no bundle, no header');
  });
  test('the start log says the bundle was loaded, and which files it had', async () => {
    await tuned.waitForLog(/config bundle loaded from \/etc\/moodle-ha\/bundle \(config\.php nginx\.conf php\.ini \)/, 5000);
  });
  test("the bundle's config.php is where Moodle's config.php includes it", async () => {
    const r = await tuned.exec(['cat', '/etc/moodle-ha/runtime/config-extra.php']);
    assert.match(r.stdout, /probe_from_bundle/, r.stderr);
  });
  test('a restarted container starts again with its bundle (its restart policy after a crash, docker restart)', async () => {
    // The first start's copies of the read-only bundle files are still in the container.
    await tuned.container.restart({ t: 10 });
    port = await tuned.hostPort(RUNTIME_IMAGE.port); // Docker may publish it on another host port
    await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
    const s = (await tuned.container.inspect()).State;
    assert.equal(s.Restarting, false, 'the container is restarting in a loop');
    assert.equal(s.Running, true);
    const loaded = await tuned.waitForLog(/config bundle loaded[^\n]*\n[\s\S]*config bundle loaded/, 10_000);
    assert.doesNotMatch(loaded, /cannot create regular file/);
    assert.equal((await ini(port)).max_input_vars, '6000', "the bundle's php.ini after the restart");
  });
});

describe('invalid settings stop the container at start, naming the variable', () => {
  const cases: Array<[string, Record<string, string>, number, RegExp]> = [
    ['MOODLE_OPCACHE_VALIDATE=yes', { MOODLE_OPCACHE_VALIDATE: 'yes' }, 64, /MOODLE_OPCACHE_VALIDATE must be true or false, got 'yes'/],
    ['MOODLE_FPM_WORKERS=lots', { MOODLE_FPM_WORKERS: 'lots' }, 64, /MOODLE_FPM_WORKERS must be a whole number, got 'lots'/],
    ['a bundle folder that does not exist', { MOODLE_CONFIG_BUNDLE: '/etc/moodle-ha/nope' }, 64, /MOODLE_CONFIG_BUNDLE=\/etc\/moodle-ha\/nope is not a folder/],
  ];
  for (const [name, env, code, pattern] of cases) {
    test(name, async () => {
      const r = await session.run(
        { image, role: `bad-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`, env: { MOODLE_WWWROOT: 'http://probe.test', ...env } },
        30_000,
      );
      assert.equal(r.exitCode, code, `exit code; output:\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern);
    });
  }
});
