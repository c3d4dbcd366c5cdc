// The image build context: layers merged in order (later wins), excludes applied, a key that
// changes exactly when what decides the image changes, and a tar stream holding the entries.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { extract } from 'tar-stream';
import { contextKey, contextStream, listEntries, type ContextLayer } from '../../src/image/context.ts';
import { tempDir } from '../support/temp.ts';

let root: string;
const dir = (name: string) => join(root, name);

function write(path: string, text: string, mode = 0o644): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

/** A whole-second time: exact through utimes (a Date from stat can come back 1 ms off). */
const T = 1_700_000_000;

/** Rewrites a file with content of the same size, and sets its modification time to `seconds`. */
function rewriteSameSizeAndTime(path: string, text: string, seconds = T): void {
  assert.equal(Buffer.byteLength(text), statSync(path).size, 'fixture: the new content must have the same size');
  writeFileSync(path, text);
  utimesSync(path, seconds, seconds);
}

before(() => {
  root = tempDir('mh-context-');
  write(join(dir('image'), 'Dockerfile'), 'FROM scratch\n');
  write(join(dir('image'), 'rootfs', 'usr', 'local', 'bin', 'start'), '#!/bin/sh\n', 0o755);
  write(join(dir('code'), 'index.php'), '<?php echo 1;\n');
  write(join(dir('code'), 'config.php'), '<?php // must be excluded\n');
  write(join(dir('code'), '.git', 'HEAD'), 'ref: refs/heads/main\n');
  write(join(dir('code'), 'local', 'tool', 'version.php'), '<?php // from the tree\n');
  write(join(dir('code'), 'lib', 'a.js'), 'aaaa');
  symlinkSync('index.php', join(dir('code'), 'link.php'));
  write(join(dir('plugin'), 'version.php'), '<?php // from the plugin\n');
  write(join(dir('plugin'), 'lib.php'), '<?php\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

function layers(over: Partial<Record<'code', Partial<ContextLayer>>> = {}): ContextLayer[] {
  return [
    { from: dir('image'), to: '' },
    { from: dir('code'), to: 'moodle', hashContents: false, exclude: (rel) => rel === 'config.php' || rel.startsWith('.git/'), ...over.code },
    { from: dir('plugin'), to: 'moodle/local/tool' },
  ];
}

describe('listEntries', () => {
  test('layers are placed under their folder, sorted, with excludes left out', () => {
    assert.deepEqual(
      listEntries(layers()).map((e) => e.name),
      [
        'Dockerfile',
        'moodle/index.php',
        'moodle/lib/a.js',
        'moodle/link.php',
        'moodle/local/tool/lib.php',
        'moodle/local/tool/version.php',
        'rootfs/usr/local/bin/start',
      ],
    );
  });
  test('a later layer overrides an earlier one at the same name', () => {
    const e = listEntries(layers()).find((x) => x.name === 'moodle/local/tool/version.php');
    assert.equal(e?.abs, join(dir('plugin'), 'version.php'));
    const reversed = listEntries([layers()[2]!, layers()[1]!]).find((x) => x.name === 'moodle/local/tool/version.php');
    assert.equal(reversed?.abs, join(dir('code'), 'local', 'tool', 'version.php'), 'order decides: the last layer wins');
  });
  test('without the exclude, config.php and .git/ would be sent', () => {
    const names = listEntries(layers({ code: { exclude: undefined } })).map((e) => e.name);
    assert.ok(names.includes('moodle/config.php') && names.includes('moodle/.git/HEAD'));
  });
  test('modes, sizes and symlinks are recorded', () => {
    const byName = new Map(listEntries(layers()).map((e) => [e.name, e]));
    assert.equal(byName.get('rootfs/usr/local/bin/start')?.mode, 0o755);
    assert.equal(byName.get('Dockerfile')?.mode, 0o644);
    assert.equal(byName.get('moodle/lib/a.js')?.size, 4);
    assert.equal(byName.get('moodle/link.php')?.link, 'index.php');
    assert.equal(byName.get('moodle/index.php')?.link, undefined);
  });
});

describe('contextKey', () => {
  test('is stable for unchanged input, and depends on the extra string', () => {
    assert.equal(contextKey(layers(), 'x'), contextKey(layers(), 'x'));
    assert.notEqual(contextKey(layers(), 'x'), contextKey(layers(), 'y'));
    assert.match(contextKey(layers(), ''), /^[0-9a-f]{64}$/);
  });
  test('changes when a hashed file changes content (same size and time)', () => {
    const file = join(dir('plugin'), 'lib.php');
    rewriteSameSizeAndTime(file, '<?php\n');
    const before = contextKey(layers(), '');
    rewriteSameSizeAndTime(file, '<?php\r');
    try {
      assert.notEqual(contextKey(layers(), ''), before);
    } finally {
      rewriteSameSizeAndTime(file, '<?php\n');
    }
    assert.equal(contextKey(layers(), ''), before, 'restoring the content restores the key');
  });
  test('hashContents:false follows sizes and times, not contents', () => {
    const file = join(dir('code'), 'lib', 'a.js');
    rewriteSameSizeAndTime(file, 'aaaa');
    const k0 = contextKey(layers(), '');
    rewriteSameSizeAndTime(file, 'bbbb');
    assert.equal(contextKey(layers(), ''), k0, 'same size and time: the content is not read');
    utimesSync(file, T + 5, T + 5);
    const k1 = contextKey(layers(), '');
    assert.notEqual(k1, k0, 'a new modification time changes the key');
    writeFileSync(file, 'bbbbb');
    utimesSync(file, T + 5, T + 5);
    assert.notEqual(contextKey(layers(), ''), k1, 'a new size changes the key');
    assert.notEqual(contextKey(layers({ code: { hashContents: true } }), ''), contextKey(layers(), ''));
  });
  test('changes with a file mode, a new file, the target folder; not with an excluded file', () => {
    const k0 = contextKey(layers(), '');
    const script = join(dir('image'), 'rootfs', 'usr', 'local', 'bin', 'start');
    chmodSync(script, 0o644);
    assert.notEqual(contextKey(layers(), ''), k0, 'mode');
    chmodSync(script, 0o755);
    assert.equal(contextKey(layers(), ''), k0);
    write(join(dir('code'), '.git', 'ORIG_HEAD'), 'x');
    write(join(dir('code'), 'config.php'), '<?php // changed, still excluded\n');
    assert.equal(contextKey(layers(), ''), k0, 'excluded files do not count');
    write(join(dir('image'), 'extra.txt'), 'x');
    assert.notEqual(contextKey(layers(), ''), k0, 'new file');
    rmSync(join(dir('image'), 'extra.txt'));
    assert.equal(contextKey(layers(), ''), k0);
    assert.notEqual(contextKey([{ ...layers()[2]!, to: 'moodle/local/other' }], ''), contextKey([layers()[2]!], ''), 'target folder');
  });
});

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  linkname?: string;
  body: Buffer;
}

async function readTar(stream: Readable): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        entries.push({
          name: header.name,
          type: header.type ?? 'file',
          mode: header.mode ?? -1,
          linkname: header.linkname ?? undefined,
          body: Buffer.concat(chunks),
        });
        next();
      });
      body.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
  });
  stream.pipe(ex);
  await done;
  return entries;
}

describe('contextStream', () => {
  test('is a tar whose entries match listEntries: names, modes, contents, symlinks', async () => {
    const expected = listEntries(layers());
    const got = await readTar(contextStream(layers()));
    assert.deepEqual(
      got.map((e) => e.name),
      expected.map((e) => e.name),
    );
    for (const [i, e] of expected.entries()) {
      const t = got[i]!;
      assert.equal(t.mode & 0o777, e.mode, `${e.name} mode`);
      if (e.link !== undefined) {
        assert.equal(t.type, 'symlink', `${e.name} type`);
        assert.equal(t.linkname, e.link);
      } else {
        assert.equal(t.type, 'file', `${e.name} type`);
        assert.deepEqual(t.body, readFileSync(e.abs), `${e.name} content`);
      }
    }
    const plugin = got.find((e) => e.name === 'moodle/local/tool/version.php');
    assert.equal(plugin?.body.toString(), '<?php // from the plugin\n', 'the overriding layer is what is sent');
  });
});
