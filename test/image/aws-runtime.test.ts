// What the runtime image does for its AWS deployment, without AWS: the CA bundles it ships, the
// config bundle digest it checks (the same as src/contract/bundle.ts), the keep-alive it takes from
// the environment, and the client address it believes (only from trusted proxies).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { bundleDigest } from '../../src/contract/bundle.ts';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { trustBundles } from '../../src/image/trust-bundles.ts';
import { http, probeImage, TestSession, waitForHttp, type StartedContainer } from '../support/containers.ts';

const session = new TestSession();
let image: string;
let network: string;

const BUNDLE = [
  { path: 'nginx.conf', content: 'add_header X-Bundle digest-checked always;\n' },
  { path: 'sub/notes.txt', content: 'files in sub-folders count too\n' },
];

before(
  async () => {
    image = await probeImage();
    network = await session.network();
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

async function web(role: string, env: Record<string, string>, files: typeof BUNDLE = []): Promise<{ c: StartedContainer; port: number }> {
  const c = await session.start({
    image,
    role,
    network,
    publish: [RUNTIME_IMAGE.port],
    env: { MOODLE_WWWROOT: 'http://probe.test', ...env },
    files: files.length ? [{ dir: RUNTIME_IMAGE.configBundleDir, files }] : [],
  });
  return { c, port: await c.hostPort(RUNTIME_IMAGE.port) };
}

describe('CA bundles for AWS services', () => {
  test('the image ships the RDS and Amazon Trust Services bundles where the contract says, as built', async () => {
    const c = await session.start({ image, role: 'trust', entrypoint: ['sleep', '60'] });
    const expected = trustBundles();
    for (const path of [RUNTIME_IMAGE.trust.database, RUNTIME_IMAGE.trust.cache]) {
      const r = await c.exec(['cat', path]);
      assert.equal(r.exitCode, 0, `${path}: ${r.stderr}`);
      assert.equal(r.stdout, expected[path.split('/').pop()!]);
    }
    const rds = expected['rds-ca.pem']!.split(/(?<=-----END CERTIFICATE-----)\n/).filter((p) => p.includes('BEGIN'));
    assert.ok(rds.length > 50, `only ${rds.length} RDS certificates`);
    const names = rds.map((p) => new X509Certificate(p).subject);
    assert.ok(
      names.some((n) => /Amazon RDS eu-west-1 Root CA RSA2048 G1/.test(n)),
      'no RDS eu-west-1 RSA2048 G1 root (the default CA of new Aurora clusters)',
    );
    const amazon = expected['amazon-trust-ca.pem']!;
    assert.match(new X509Certificate(amazon).subject, /Amazon Root CA 1/);
  });
});

describe('config bundle digest', () => {
  test('a bundle whose digest is the one given loads; the image computes the digest as src/contract/bundle.ts does', async () => {
    const { port } = await web('digest-ok', { MOODLE_CONFIG_BUNDLE: RUNTIME_IMAGE.configBundleDir, MOODLE_CONFIG_BUNDLE_SHA256: bundleDigest(BUNDLE) }, BUNDLE);
    const r = await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
    assert.equal(r.headers['x-bundle'], 'digest-checked');
  });
  test('a bundle whose files differ from the digest stops the container at start, saying so', async () => {
    const { c } = await web(
      'digest-bad',
      { MOODLE_CONFIG_BUNDLE: RUNTIME_IMAGE.configBundleDir, MOODLE_CONFIG_BUNDLE_SHA256: bundleDigest([BUNDLE[0]!]) },
      BUNDLE,
    );
    const code = await c.waitForExit(30_000);
    assert.notEqual(code, 0);
    const log = (await c.logs()).stderr;
    assert.match(log, /has digest [0-9a-f]{64}, but this task's definition names [0-9a-f]{64}: refusing to start/);
  });
});

describe('behind a load balancer', () => {
  let trusted: { c: StartedContainer; port: number };
  let viaCloudFront: { c: StartedContainer; port: number };
  before(async () => {
    // The published port reaches the container from the Docker gateway: trust it as the load balancer.
    const gateway = (await session.docker.getNetwork(network).inspect()).IPAM?.Config?.[0]?.Gateway as string;
    trusted = await web('xff', { MOODLE_TRUSTED_PROXIES: `${gateway}/32`, MOODLE_KEEPALIVE_TIMEOUT: '77' });
    viaCloudFront = await web('cfva', { MOODLE_TRUSTED_PROXIES: `${gateway}/32`, MOODLE_CLIENT_IP_HEADER: 'cloudfront-viewer-address' });
    await waitForHttp(trusted.port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
    await waitForHttp(viaCloudFront.port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
  });
  const remote = async (port: number, headers: Record<string, string>) => {
    const r = await http(port, '/index.php', { headers });
    return (JSON.parse(r.body.toString()) as { server: Record<string, string> }).server.REMOTE_ADDR;
  };
  test('REMOTE_ADDR is the last X-Forwarded-For hop a trusted proxy did not add; what the browser wrote before it is ignored', async () => {
    assert.equal(await remote(trusted.port, { 'x-forwarded-for': '198.51.100.99, 203.0.113.7' }), '203.0.113.7');
  });
  test('behind CloudFront, REMOTE_ADDR is CloudFront-Viewer-Address (IPv4 and IPv6, port stripped)', async () => {
    assert.equal(
      await remote(viaCloudFront.port, { 'x-forwarded-for': '198.51.100.99, 203.0.113.7, 10.203.0.2', 'cloudfront-viewer-address': '203.0.113.7:51234' }),
      '203.0.113.7',
    );
    assert.equal(await remote(viaCloudFront.port, { 'cloudfront-viewer-address': '2001:db8::7:443' }), '2001:db8::7');
  });
  test('keepalive_timeout is MOODLE_KEEPALIVE_TIMEOUT', async () => {
    const r = await trusted.c.exec(['cat', '/etc/moodle-ha/runtime/nginx-http.conf']);
    assert.match(r.stdout, /^keepalive_timeout 77s;$/m);
  });
  test('a peer outside the trusted ranges is its own address, whatever headers it sends', async () => {
    const untrusted = await web('untrusted', { MOODLE_TRUSTED_PROXIES: '192.0.2.1/32', MOODLE_CLIENT_IP_HEADER: 'cloudfront-viewer-address' });
    await waitForHttp(untrusted.port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
    const addr = await remote(untrusted.port, { 'x-forwarded-for': '203.0.113.7', 'cloudfront-viewer-address': '203.0.113.7:1' });
    assert.notEqual(addr, '203.0.113.7');
  });
});
