// The supported Moodle versions (src/moodle/support.ts): `moodle import` and `moodle download`
// let nothing unsupported into the cache, and requireMoodleTree (what `up`, `deploy` and `synth`
// build from) refuses an unsupported spec version or cached tree. Each refusal names the
// supported releases and what to change, and leaves nothing behind.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { cachedTree, moodleCacheDir } from '../../src/moodle/cache.ts';
import { downloadRelease } from '../../src/moodle/download.ts';
import { importTree } from '../../src/moodle/import.ts';
import { releaseSeries, SUPPORTED_MOODLE, versionSupport } from '../../src/moodle/support.ts';
import { requireMoodleTree } from '../../src/moodle/tree.ts';
import { readMoodleVersion } from '../../src/moodle/version.ts';
import { UserError } from '../../src/util/errors.ts';
import { makeFakeTree, VERSION_FIXTURES } from '../support/fake-moodle.ts';
import { devSpec } from './local/fixtures.ts';
import { tempDir } from '../support/temp.ts';

const work = tempDir('moodle-support-');
after(() => rmSync(work, { recursive: true, force: true }));
beforeEach(() => {
  process.env.MOODLE_HA_CACHE = join(work, `cache-${Math.random().toString(36).slice(2)}`);
});

let n = 0;
const tree = (versionPhp: string) => makeFakeTree(join(work, `tree-${++n}`), undefined, versionPhp);
/** Everything in the cache folder (empty when it was never created). */
const cacheEntries = () => (existsSync(moodleCacheDir()) ? readdirSync(moodleCacheDir()) : []);

/** A refusal that names the supported releases and a way out. */
function refusal(why: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.match(e.message, why);
    assert.match(
      e.message,
      /Moodle 4\.5 \(any point release or weekly build: \$version from 2024100700 up to, not including, 2025041400; the runtime image runs PHP 8\.2\)/,
    );
    assert.match(e.message, /moodle\.version in moodle-ha\.yaml .*"4\.5\.6"/);
    return true;
  };
}

describe('which versions are supported', () => {
  test('4.5.0 up to the last 4.5 weekly build; not 4.4.x, not 5.0', () => {
    const ok = (version: string) => versionSupport({ version, release: '', number: '', branch: '' });
    assert.deepEqual(ok('2024100700.00'), { ok: true });
    assert.deepEqual(ok('2024100799.99'), { ok: true });
    assert.deepEqual(ok('2024042209.00'), { ok: false, why: 'too old' });
    assert.deepEqual(ok('2024092600.00'), { ok: false, why: 'too old' }); // a 4.5 beta
    assert.deepEqual(ok('2025041400.00'), { ok: false, why: 'too new' });
  });
  test('each fixture reads as the case it stands for', () => {
    assert.equal(readMoodleVersion(join(VERSION_FIXTURES.supported, '..'))?.number, '4.5.6');
    assert.equal(readMoodleVersion(join(VERSION_FIXTURES.tooOld, '..'))?.number, '4.4.9');
    assert.equal(readMoodleVersion(join(VERSION_FIXTURES.tooNew, '..'))?.number, '5.0.2');
    assert.equal(readMoodleVersion(join(VERSION_FIXTURES.unparsable, '..')), undefined);
  });
  test('release series of a spec version', () => {
    assert.equal(releaseSeries('4.5.6'), '4.5');
    assert.equal(releaseSeries('5.0'), '5.0');
    assert.equal(releaseSeries('4.5.6+'), '4.5');
    assert.equal(releaseSeries('latest'), undefined);
  });
  test('the PHP named is the one the runtime image installs', () => {
    const dockerfile = readFileSync(join(import.meta.dirname, '..', '..', 'images', 'runtime', 'Dockerfile'), 'utf8');
    assert.match(dockerfile, new RegExp(`\\bphp${SUPPORTED_MOODLE.php.replace('.', '\\.')}-fpm\\b`));
  });
});

describe('moodle import', () => {
  test('a supported tree (4.5.6) is imported', () => {
    const r = importTree(tree(VERSION_FIXTURES.supported));
    assert.equal(r.version.number, '4.5.6');
    assert.equal(cachedTree('4.5.6')?.marker.version, '2024100706.00');
  });
  test('a too old tree (4.4.9) is refused, and nothing is left in the cache', () => {
    assert.throws(
      () => importTree(tree(VERSION_FIXTURES.tooOld)),
      refusal(/is Moodle 4\.4\.9 .*\(\$version 2024042209\.00\), older than this moodle-ha supports.*nothing was imported/),
    );
    assert.deepEqual(cacheEntries(), []);
  });
  test('a too new tree (5.0.2) is refused, and nothing is left in the cache', () => {
    assert.throws(() => importTree(tree(VERSION_FIXTURES.tooNew)), refusal(/is Moodle 5\.0\.2 .*newer than this moodle-ha supports.*nothing was imported/));
    assert.deepEqual(cacheEntries(), []);
  });
  test('a too new tree in 5.1 layout (web root in public/) is refused as too new, not as partial', () => {
    const dir = tree(VERSION_FIXTURES.tooNew);
    rmSync(join(dir, 'index.php'));
    rmSync(join(dir, 'login'), { recursive: true });
    assert.throws(() => importTree(dir), /newer than this moodle-ha supports/);
    assert.deepEqual(cacheEntries(), []);
  });
  test('an unparsable version.php is refused, naming what is supported, and nothing is left in the cache', () => {
    assert.throws(
      () => importTree(tree(VERSION_FIXTURES.unparsable)),
      (e: unknown) => e instanceof UserError && /no readable version\.php/.test(e.message) && /Nothing was imported\. Supported: Moodle 4\.5 /.test(e.message),
    );
    assert.deepEqual(cacheEntries(), []);
  });
  test('--force does not let an unsupported tree replace a supported one', () => {
    importTree(tree(VERSION_FIXTURES.supported));
    const dir = tree(VERSION_FIXTURES.tooNew);
    assert.throws(() => importTree(dir, { force: true }), /newer than this moodle-ha supports/);
    assert.deepEqual(cacheEntries(), ['4.5.6']);
    assert.equal(cachedTree('4.5.6')?.marker.release, '4.5.6 (Build: 20250811)');
  });
});

describe('moodle download', () => {
  test('an unsupported release is refused before anything is fetched', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.MOODLE_HA_DOWNLOAD_BASE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await assert.rejects(
        downloadRelease('5.0.2'),
        (e: unknown) => e instanceof UserError && /Moodle 5\.0\.2 is not supported by this moodle-ha: Moodle 4\.5 .*nothing was downloaded/.test(e.message),
      );
      assert.equal(requests, 0);
      assert.deepEqual(cacheEntries(), []);
    } finally {
      server.close();
      delete process.env.MOODLE_HA_DOWNLOAD_BASE;
    }
  });
});

describe('requireMoodleTree (up, deploy, synth)', () => {
  test('a cached supported tree is used', () => {
    const r = importTree(tree(VERSION_FIXTURES.supported));
    assert.equal(requireMoodleTree(devSpec({ moodle: { version: '4.5.6' } })), r.dir);
  });
  test('a spec naming an unsupported release is refused before the cache is looked at', () => {
    for (const version of ['4.4.9', '5.0.2', '5.1']) {
      assert.throws(
        () => requireMoodleTree(devSpec({ moodle: { version } })),
        (e: unknown) =>
          e instanceof UserError &&
          new RegExp(`Moodle ${version.replaceAll('.', '\\.')} is not supported .*Moodle 4\\.5 .*nothing was created.*"4\\.5\\.6"`).test(e.message),
      );
    }
  });
  test('a cached tree of an unsupported version (imported before this check) is refused', () => {
    const r = importTree(tree(VERSION_FIXTURES.supported));
    copyFileSync(VERSION_FIXTURES.tooNew, join(r.dir, 'version.php'));
    assert.throws(
      () => requireMoodleTree(devSpec({ moodle: { version: '4.5.6' } })),
      refusal(/the cached Moodle 4\.5\.6 tree .* is Moodle 5\.0\.2 .*newer .*nothing was created/),
    );
  });
  test('a cached tree whose version.php is unreadable is refused, saying how to import it again', () => {
    const r = importTree(tree(VERSION_FIXTURES.supported));
    copyFileSync(VERSION_FIXTURES.unparsable, join(r.dir, 'version.php'));
    assert.throws(
      () => requireMoodleTree(devSpec({ moodle: { version: '4.5.6' } })),
      /has no readable version\.php; nothing was created\. Import the tree again: "moodle-ha moodle import DIR --force"/,
    );
  });
});
