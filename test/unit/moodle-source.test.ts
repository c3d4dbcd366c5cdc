// The Moodle source cache: import of a local tree and download of a release, checksum verified.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { cachedTree, moodleCacheDir } from '../../src/moodle/cache.ts';
import { downloadRelease, releaseUrl } from '../../src/moodle/download.ts';
import { importTree } from '../../src/moodle/import.ts';
import { UserError } from '../../src/util/errors.ts';
import { makeFakeTree } from '../support/fake-moodle.ts';
import { tempDir } from '../support/temp.ts';

const work = tempDir('moodle-source-');

beforeEach(() => {
  process.env.MOODLE_HA_CACHE = join(work, `cache-${Math.random().toString(36).slice(2)}`);
});

describe('moodle import', () => {
  test('a complete tree is cached under its release number, with a marker', () => {
    const tree = makeFakeTree(join(work, 'good'));
    const r = importTree(tree);
    assert.equal(r.dir, join(moodleCacheDir(), '4.5.6'));
    assert.equal(cachedTree('4.5.6')?.marker.release, '4.5.6 (Build: 20250811)');
    assert.ok(existsSync(join(r.dir, 'lib', 'setup.php')));
  });
  test('a partial tree is refused, naming what is missing, and nothing is cached', () => {
    const tree = makeFakeTree(join(work, 'partial'));
    rmSync(join(tree, 'lib', 'setup.php'));
    rmSync(join(tree, 'admin', 'cli', 'upgrade.php'));
    assert.throws(
      () => importTree(tree),
      (e: unknown) =>
        e instanceof UserError &&
        /partial Moodle 4\.5\.6 tree/.test(e.message) &&
        e.details.includes('lib/setup.php') &&
        e.details.includes('admin/cli/upgrade.php'),
    );
    assert.equal(existsSync(moodleCacheDir()) ? readdirSync(moodleCacheDir()).length : 0, 0);
  });
  test('a folder without version.php is refused', () => {
    const d = join(work, 'empty');
    mkdirSync(d, { recursive: true });
    assert.throws(() => importTree(d), /no readable version\.php/);
  });
  test("the same tree imported again is done already: nothing is copied, the marker is the first import's", () => {
    const tree = makeFakeTree(join(work, 'twice'));
    const first = importTree(tree);
    const marker = readFileSync(join(first.dir, '.moodle-ha-tree.json'), 'utf8');
    writeFileSync(join(tree, 'config.php'), "<?php // the site's own, never imported\n");
    const again = importTree(tree);
    assert.equal(again.unchanged, true);
    assert.equal(again.replaced, false);
    assert.equal(readFileSync(join(first.dir, '.moodle-ha-tree.json'), 'utf8'), marker);
    assert.ok(!existsSync(join(first.dir, 'config.php')));
  });
  test("a copy left by an import that was stopped (its process gone) is removed by the next import; a running one's is not", () => {
    mkdirSync(join(moodleCacheDir(), '4.5.6.importing-999999999', 'lib'), { recursive: true });
    // Another import that is still copying: this process's parent, which runs.
    const running = join(moodleCacheDir(), `4.5.6.importing-${process.ppid}`);
    mkdirSync(running, { recursive: true });
    importTree(makeFakeTree(join(work, 'after-stop')));
    assert.ok(!existsSync(join(moodleCacheDir(), '4.5.6.importing-999999999')), 'the abandoned copy is still there');
    assert.ok(existsSync(running), "a running import's copy was removed");
  });
  test('another tree of a cached version is refused, naming its differences, until --force replaces it', () => {
    const tree = makeFakeTree(join(work, 'changed'));
    importTree(tree);
    writeFileSync(join(tree, 'lib', 'setup.php'), '<?php // changed\n');
    writeFileSync(join(tree, 'local-extra.php'), '<?php\n');
    assert.throws(
      () => importTree(tree),
      (e: unknown) =>
        e instanceof UserError &&
        /another Moodle 4\.5\.6 tree is already in the cache.*--force/.test(e.message) &&
        e.details.some((d) => /^lib\/setup\.php: different contents/.test(d)) &&
        e.details.some((d) => /^local-extra\.php: only in /.test(d)),
    );
    const forced = importTree(tree, { force: true });
    assert.equal(forced.replaced, true);
    assert.equal(readFileSync(join(forced.dir, 'lib', 'setup.php'), 'utf8'), '<?php // changed\n');
  });
});

describe('moodle download (from a local HTTP server standing in for the release site)', () => {
  let server: Server;
  let archive: Buffer;
  let published = '';
  before(async () => {
    const src = join(work, 'release');
    makeFakeTree(join(src, 'moodle'));
    spawnSync('tar', ['-czf', join(work, 'moodle.tgz'), '-C', src, 'moodle']);
    archive = readFileSync(join(work, 'moodle.tgz'));
    server = createServer((req, res) => {
      if (req.url?.endsWith('/stable405/moodle-4.5.6.tgz')) res.end(archive);
      else if (req.url?.endsWith('/stable405/moodle-4.5.6.tgz.sha256')) res.end(`${published}  moodle-4.5.6.tgz\n`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.MOODLE_HA_DOWNLOAD_BASE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    delete process.env.MOODLE_HA_DOWNLOAD_BASE;
  });

  test('release URLs follow the stable branch', () => {
    assert.equal(releaseUrl('4.5.6', 'https://x'), 'https://x/stable405/moodle-4.5.6.tgz');
    assert.equal(releaseUrl('5.1.0', 'https://x'), 'https://x/stable501/moodle-5.1.0.tgz');
  });
  test('the published checksum is verified, then the tree is cached', async () => {
    published = createHash('sha256').update(archive).digest('hex');
    const r = await downloadRelease('4.5.6');
    assert.equal(r.version.number, '4.5.6');
    assert.match(cachedTree('4.5.6')!.marker.source, /^download:http:\/\/127\.0\.0\.1:\d+\/stable405\/moodle-4\.5\.6\.tgz$/);
  });
  test('a checksum mismatch is refused and nothing is cached', async () => {
    published = '0'.repeat(64);
    await assert.rejects(downloadRelease('4.5.6'), /checksum .* does not match/);
    assert.equal(cachedTree('4.5.6'), undefined);
  });
  test('a pinned checksum (moodle.sha256) wins over the published one', async () => {
    published = createHash('sha256').update(archive).digest('hex');
    await assert.rejects(downloadRelease('4.5.6', { sha256: 'f'.repeat(64) }), /expected f{64}/);
  });
  test('offline: the error names both ways to get a tree', async () => {
    process.env.MOODLE_HA_DOWNLOAD_BASE = 'http://127.0.0.1:9';
    try {
      await assert.rejects(
        downloadRelease('4.5.6'),
        (e: unknown) => e instanceof UserError && /cannot download Moodle 4\.5\.6/.test(e.message) && /moodle-ha moodle import DIR/.test(e.message),
      );
    } finally {
      process.env.MOODLE_HA_DOWNLOAD_BASE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
  });
});
