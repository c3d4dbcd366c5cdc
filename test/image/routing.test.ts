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
    // The image has no tests/ folders (src/image/code-exclusions.ts): a real behat feature is put in.
    const feature = { path: 'blog/tests/behat/delete.feature', content: 'Feature: probe\n', mode: 0o444 };
    const web = await session.start({
      image,
      role: 'routing',
      network,
      publish: [RUNTIME_IMAGE.port],
      env: { MOODLE_WWWROOT: 'http://probe.test' },
      files: [{ dir: RUNTIME_IMAGE.codeDir, files: [feature] }],
    });
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

// Every path Moodle's security check probes (core\check\environment\publicpaths, Moodle 4.5) must
// answer 404: anything else is an ERROR (403 an INFO) in admin/cli/checks.php. The probe tree has
// real files for some of them (a readme, a behat feature, a class folder), so a rule that stops
// matching serves them.
const MOODLE_PUBLIC_PATHS = [
  'vendor/',
  'vendor/bin/behat',
  'node_modules/',
  'node_modules/cli/cli.js',
  '.git/',
  '.git/HEAD',
  '.github/FUNDING.yml',
  '.stylelintrc',
  '.upgradenotes/',
  'composer.json',
  'composer.lock',
  'admin/environment.xml',
  'doesnotexist',
  'lib/classes/',
  'lib/db/install.xml',
  'mod/assign/db/install.xml',
  'lib/scssphp/readme_moodle.txt',
  'mod/resource/readme.txt',
  'mod/README.txt',
  'mod/book/README.md',
  'mod/chat/README.txt',
  'auth/manual/upgrade.txt',
  'lib/upgrade.txt',
  'UPGRADING.md',
  'UPGRADING-CURRENT.md',
  'reportbuilder/UPGRADING.md',
  'phpunit.xml.dist',
  'privacy/tests/fixtures/logo.png',
  'enrol/lti/tests/fixtures/input.xml',
  'blog/tests/behat/delete.feature',
];

test("every path Moodle's public-paths check probes answers 404 (HEAD, as the check asks)", async () => {
  const wrong: string[] = [];
  for (const path of MOODLE_PUBLIC_PATHS) {
    const r = await http(port, `/${path}`, { method: 'HEAD' });
    if (r.status !== 404) wrong.push(`/${path}: HTTP ${r.status}`);
  }
  assert.deepEqual(wrong, []);
});

test('a folder with index.php is still served at its path; the site root too', async () => {
  const course = await http(port, '/course/');
  assert.equal(course.status, 200);
  assert.equal(course.body.toString(), 'course index\n');
  assert.equal((await http(port, '/')).status, 200);
});

test("with a local site URL (http://localhost:PORT) the node answers that URL itself, so Moodle's requests to its own wwwroot reach a Moodle", async () => {
  const image = await probeImage();
  const local = await session.start({ image, role: 'selfurl', env: { MOODLE_WWWROOT: 'http://localhost:31999' } });
  await local.waitForLog(/serving on :8080/, 30_000);
  const ask = (url: string) =>
    local.exec([
      'php',
      '-r',
      `$c = curl_init('${url}'); curl_setopt($c, CURLOPT_RETURNTRANSFER, true); $b = curl_exec($c); echo curl_getinfo($c, CURLINFO_HTTP_CODE), ' ', $b;`,
    ]);
  assert.equal((await ask('http://localhost:31999/course/')).stdout, '200 course index\n');
  assert.equal((await ask('http://localhost:31999/lib/scssphp/readme_moodle.txt')).stdout.slice(0, 3), '404');
});
