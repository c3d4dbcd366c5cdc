// nginx routing of the runtime image: slash-argument URLs reach PHP with their PATH_INFO whatever
// the argument looks like (a .js file, a readme, a dotfile), while the same names as real files
// are not served.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { http, probeImage, TestSession, waitForHttp } from '../support/containers.ts';

const session = new TestSession();
let port = 0;

before(
  async () => {
    const image = await probeImage();
    const network = await session.network();
    const web = await session.start({ image, role: 'routing', network, publish: [RUNTIME_IMAGE.port], env: { MOODLE_WWWROOT: 'http://probe.test' } });
    port = await web.hostPort(RUNTIME_IMAGE.port);
    await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

for (const arg of [
  '/1795567996/lib/polyfills/polyfill.js',
  '/12/mod_resource/content/1/readme.txt',
  '/5/user/private/dump.sql',
  '/3/x/.hidden',
  '/boost/1/all',
]) {
  test(`args.php${arg} reaches PHP with PATH_INFO`, async () => {
    const r = await http(port, `/args.php${arg}`);
    assert.equal(r.status, 200, `HTTP ${r.status} for /args.php${arg}`);
    assert.equal(r.body.toString(), `PATH_INFO=${arg}\n`);
  });
}

test('real files with those names are still not served', async () => {
  for (const path of ['/readme.txt', '/composer.json', '/.git/config', '/db/install.xml']) {
    assert.equal((await http(port, path)).status, 404, path);
  }
});
