// The runtime image with its defaults, built with the probe tree (no Moodle): PHP and its
// extensions, the server user, read-only code, production settings, health, static files,
// X-Accel-Redirect from the dataroot volume, and files that must never be served.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { EXTERNAL_TOOLS } from '../../src/contract/external-tools.ts';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { pdfOfPages } from '../support/pdf.ts';
import { http, probeImage, PROBE_TREE, putFiles, TestSession, waitForHttp, type StartedContainer } from '../support/containers.ts';

/** What Moodle 4.5 needs (admin/environment.xml), plus what this image promises (redis, igbinary, opcache, apcu: the node-local caches). */
const EXTENSIONS = [
  'ctype',
  'curl',
  'dom',
  'fileinfo',
  'gd',
  'iconv',
  'intl',
  'json',
  'mbstring',
  'openssl',
  'simplexml',
  'sodium',
  'xml',
  'xmlreader',
  'zip',
  'zlib',
  'mysqli',
  'opcache',
  'redis',
  'soap',
  'exif',
  'igbinary',
  'apcu',
];

interface Probe {
  php: string;
  sapi: string;
  uid: number;
  extensions: string[];
  ini: Record<string, string>;
  code_writable: boolean;
  env_wwwroot: string;
}

const session = new TestSession();
let web: StartedContainer;
let port: number;
const dataFile = { name: `probe-${session.id}.txt`, content: `dataroot file of test session ${session.id}\n` };

/** Files that must never be served, put into the (root-owned) code folder; plus one that must be. */
const HIDDEN = [
  '.env',
  '.git/config',
  '.hidden.php',
  'composer.json',
  'composer.lock',
  'vendor/autoload.php',
  'vendor/lib/readme.txt',
  'README.md',
  'upgrade.txt',
  'lib/db/install.xml',
  'admin/tool/x/tests/fixture.txt',
  'build.sh',
  'dump.sql',
  'phpunit.xml.dist',
];
const VISIBLE = 'note.txt';

before(
  async () => {
    const image = await probeImage();
    const network = await session.network();
    const data = await session.volume('data');
    web = await session.start({
      image,
      role: 'web',
      env: { MOODLE_WWWROOT: 'http://probe.test' },
      network,
      publish: [RUNTIME_IMAGE.port],
      volumes: [{ volume: data, target: RUNTIME_IMAGE.sharedDataDir }],
      files: [{ dir: RUNTIME_IMAGE.codeDir, files: [...HIDDEN, VISIBLE].map((path) => ({ path, content: `<?php echo "served: ${path}";\n`, mode: 0o444 })) }],
    });
    port = await web.hostPort(RUNTIME_IMAGE.port);
    await waitForHttp(port, RUNTIME_IMAGE.healthPath, { timeoutMs: 30_000 });
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

async function probe(): Promise<Probe> {
  const r = await http(port, '/index.php');
  assert.equal(r.status, 200, r.body.toString());
  return JSON.parse(r.body.toString()) as Probe;
}

describe('runtime image: PHP', () => {
  test('PHP 8.2 under FPM with every extension Moodle 4.5 needs', async () => {
    const p = await probe();
    assert.match(p.php, /^8\.2\./);
    assert.equal(p.sapi, 'fpm-fcgi');
    const loaded = new Set(p.extensions);
    const missing = EXTENSIONS.filter((e) => !loaded.has(e === 'opcache' ? 'zend opcache' : e));
    assert.deepEqual(missing, [], `missing PHP extensions: ${missing.join(', ')}`);
  });
  test('the CLI (migrate, cron) has the same extensions', async () => {
    const r = await web.exec(['php', '-r', 'echo json_encode(array_map("strtolower", get_loaded_extensions()));']);
    assert.equal(r.exitCode, 0, r.stderr);
    const loaded = new Set(JSON.parse(r.stdout) as string[]);
    assert.deepEqual(
      EXTENSIONS.filter((e) => !loaded.has(e === 'opcache' ? 'zend opcache' : e)),
      [],
    );
  });
  test('production settings by default', async () => {
    const { ini } = await probe();
    assert.equal(ini.max_input_vars, '5000');
    assert.equal(ini['opcache.enable'], '1');
    assert.equal(ini['opcache.validate_timestamps'], '0', 'OPcache must not stat the read-only code');
    assert.equal(
      ini['opcache.enable_file_override'],
      '1',
      "file_exists() of a script OPcache holds is answered without a syscall (Moodle's autoloader asks before each include)",
    );
    assert.equal(ini.memory_limit, '256M');
    assert.equal(ini.upload_max_filesize, '100M');
    assert.equal(ini.post_max_size, '100M');
  });
  test("the image's scripts are baked into OPcache's file cache, and PHP-FPM loads them from it instead of compiling them again", async () => {
    await probe(); // PHP-FPM has run index.php
    const bin = `${RUNTIME_IMAGE.codeDir}/index.php.bin`;
    const r = await web.exec([
      'sh',
      '-c',
      `find ${RUNTIME_IMAGE.opcacheFileCache} -path '*${bin}' -printf '%T@ %p\\n'; find ${RUNTIME_IMAGE.opcacheFileCache} -path '*${RUNTIME_IMAGE.codeDir}/lib/probe_classes.php.bin' | wc -l; find ${RUNTIME_IMAGE.opcacheFileCache} -path '*${RUNTIME_IMAGE.codeDir}/*.php.bin' | wc -l`,
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const baked = Number(lines.pop());
    const declaring = Number(lines.pop());
    assert.ok(baked >= 2, `${baked} of the code's scripts in the file cache:\n${r.stdout}`);
    // A class file compiled ahead can leave its classes undeclared (precompile.php): never baked.
    assert.equal(declaring, 0, `a script that declares a class was baked:\n${r.stdout}`);
    // One copy: a PHP-FPM whose system id differed from the build's CLI would have written its own.
    assert.equal(lines.length, 1, `index.php's compiled form, one per system id:\n${r.stdout}`);
    const started = Date.parse((await web.container.inspect()).State.StartedAt) / 1000;
    const [mtime] = lines[0]!.split(' ');
    assert.ok(Number(mtime) < started, `index.php.bin written at ${mtime}, after the container started at ${started}: PHP-FPM compiled it again`);
  });
  test('APCu keeps arrays as they are (no serializer on every fetch), and an object in a cached array still comes back whole', async () => {
    const php = [
      'class Column { public $name = "id"; public $meta = ["max_length" => 10]; }',
      'apcu_store("k", ["strings" => ["a" => "b"], "column" => new Column()]);',
      '$v = apcu_fetch("k");',
      'echo json_encode([ini_get("apc.serializer"), $v["strings"], get_class($v["column"]), $v["column"]->meta]);',
    ].join(' ');
    const r = await web.exec(['php', '-r', php]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['default', { a: 'b' }, 'Column', { max_length: 10 }]);
  });
  test('a full APCu drops the entries idle longer than apc.ttl (120 s under FPM), not everything as with apc.ttl = 0', async () => {
    assert.equal((await probe()).ini['apc.ttl'], '120');
    // In a CLI process's own 8 MB: 50 entries read just before the fill and 200 idle for 2 s, then
    // 150 new ones (30 kB each: more than fits). How many of the 50 and of the 150 are still there.
    const php = [
      '$v = str_repeat("x", 30000);',
      'for ($i = 0; $i < 50; $i++) apcu_store("hot$i", $v);',
      'for ($i = 0; $i < 200; $i++) apcu_store("idle$i", $v);',
      'sleep(2);',
      'for ($i = 0; $i < 50; $i++) apcu_fetch("hot$i");',
      'for ($i = 0; $i < 150; $i++) apcu_store("new$i", $v);',
      '$n = fn($p, $k) => count(array_filter(range(0, $k - 1), fn($i) => apcu_exists("$p$i")));',
      'echo json_encode([$n("hot", 50), $n("new", 150)]);',
    ].join(' ');
    const fill = async (ttl: number) => {
      const r = await web.exec(['php', '-d', 'apc.shm_size=8M', '-d', `apc.ttl=${ttl}`, '-r', php]);
      assert.equal(r.exitCode, 0, r.stderr);
      return JSON.parse(r.stdout) as [number, number];
    };
    const [kept, wiped] = await Promise.all([fill(1), fill(0)]);
    assert.deepEqual(kept, [50, 150], 'with apc.ttl > 0 the entries read lately and the new ones stay');
    assert.ok(
      wiped[0] < 50,
      `with apc.ttl = 0 the fill kept ${wiped[0]} of 50: it no longer empties APCu whole, so this test no longer shows why apc.ttl is set`,
    );
  });
  test('PHP-FPM runs the default 8 workers', async () => {
    const r = await web.exec(['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done | grep -c "^php-fpm: pool moodle"']);
    assert.equal(r.stdout.trim(), '8', r.stderr);
  });
});

describe('runtime image: user and files', () => {
  test(`runs as uid ${RUNTIME_IMAGE.uid}, web and CLI`, async () => {
    assert.equal((await probe()).uid, RUNTIME_IMAGE.uid);
    assert.equal((await web.exec(['id', '-u'])).stdout.trim(), String(RUNTIME_IMAGE.uid));
  });
  test('the code folder cannot be changed; the dataroot can', async () => {
    assert.equal((await probe()).code_writable, false);
    const code = await web.exec(['sh', '-c', `touch ${RUNTIME_IMAGE.codeDir}/x.php || touch ${RUNTIME_IMAGE.codeDir}/index.php`]);
    assert.notEqual(code.exitCode, 0, 'the server user could write into the code folder');
    const data = await web.exec(['sh', '-c', `touch ${RUNTIME_IMAGE.sharedDataDir}/w && rm ${RUNTIME_IMAGE.sharedDataDir}/w`]);
    assert.equal(data.exitCode, 0, `dataroot not writable: ${data.stderr}`);
  });
});

describe('runtime image: the programs Moodle runs', () => {
  for (const t of EXTERNAL_TOOLS) {
    test(`${t.setting}: ${t.path} runs for the server user`, async () => {
      const r = await web.exec([t.path, ...t.versionArgs]);
      assert.equal(r.exitCode, 0, `${t.path} ${t.versionArgs.join(' ')}: ${r.stderr}`);
      assert.match(`${r.stdout}${r.stderr}`, /\d+\.\d+/, 'it prints its version');
    });
  }
  test('a 2-page PDF becomes 2 page images, as Annotate PDF makes them, with no font cache warnings', async () => {
    await putFiles(web.container, '/tmp/pdf', [{ path: 'in.pdf', content: pdfOfPages(['one', 'two']), uid: RUNTIME_IMAGE.uid }]);
    // (putFiles makes /tmp/pdf as root: the output goes to a folder of the server user's.)
    const pdftoppm = await web.exec(['sh', '-c', 'mkdir -p /tmp/pages && cd /tmp/pages && pdftoppm -r 100 -png /tmp/pdf/in.pdf page && ls page-*.png']);
    assert.equal(pdftoppm.exitCode, 0, pdftoppm.stderr);
    assert.deepEqual(pdftoppm.stdout.trim().split('\n'), ['page-1.png', 'page-2.png']);
    assert.equal(pdftoppm.stderr, '', 'pdftoppm is quiet (a font cache it cannot write makes it warn on every page)');
    // Moodle's Ghostscript call for a page image (assignfeedback_editpdf\pdf::get_image).
    const gs = await web.exec([
      'gs',
      '-q',
      '-sDEVICE=png16m',
      '-dSAFER',
      '-dBATCH',
      '-dNOPAUSE',
      '-r100',
      '-dFirstPage=2',
      '-dLastPage=2',
      '-dDOINTERPOLATE',
      '-dGraphicsAlphaBits=4',
      '-dTextAlphaBits=4',
      '-sOutputFile=/tmp/pages/gs.png',
      '/tmp/pdf/in.pdf',
    ]);
    assert.equal(gs.exitCode, 0, gs.stderr);
    const png = await web.exec(['sh', '-c', 'head -c 8 /tmp/pages/gs.png | od -An -tx1']);
    assert.equal(png.stdout.replace(/\s+/g, ' ').trim(), '89 50 4e 47 0d 0a 1a 0a');
  });
});

describe('runtime image: HTTP', () => {
  test('/healthz answers 200 "ok" and is never cached', async () => {
    const r = await http(port, RUNTIME_IMAGE.healthPath);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString().trim(), 'ok');
    assert.match(String(r.headers['cache-control']), /no-store|no-cache/);
  });
  test('static files: public, long-lived cache headers', async () => {
    const r = await http(port, '/static/probe.css');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['cache-control']), /\bpublic\b/);
    const expires = Date.parse(String(r.headers.expires));
    assert.ok(expires > Date.now() + 6 * 86400_000, `Expires ${r.headers.expires} is not days ahead`);
    assert.equal(r.headers['content-encoding'], undefined, 'not compressed unless asked');
    assert.deepEqual(r.body, readFileSync(join(PROBE_TREE, 'static', 'probe.css')));
  });
  test('static files are gzip-encoded when asked', async () => {
    const r = await http(port, '/static/probe.css', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.match(String(r.headers.vary), /Accept-Encoding/i);
    assert.deepEqual(gunzipSync(r.body), readFileSync(join(PROBE_TREE, 'static', 'probe.css')));
  });
  test('X-Accel-Redirect serves a file from the dataroot volume; /dataroot/ is internal', async () => {
    await web.exec(['sh', '-c', `printf '%s' '${dataFile.content}' > ${RUNTIME_IMAGE.sharedDataDir}/${dataFile.name}`]);
    const r = await http(port, `/sendfile.php?name=${dataFile.name}`);
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.body.toString(), dataFile.content);
    const direct = await http(port, `/dataroot/${dataFile.name}`);
    assert.equal(direct.status, 404, 'the dataroot must not be reachable directly');
    assert.equal((await http(port, '/sendfile.php?name=missing.txt')).status, 404);
  });
  test('X-Accel-Redirect serves a file put into the volume from outside the server', async () => {
    const name = `put-${session.id}.bin`;
    const content = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    await putFiles(web.container, RUNTIME_IMAGE.sharedDataDir, [{ path: name, content, mode: 0o640, uid: RUNTIME_IMAGE.uid }]);
    const r = await http(port, `/sendfile.php?name=${name}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, content);
  });
  test('dotfiles, composer files, vendor/, tests/, readmes and scripts are 404', async () => {
    const control = await http(port, `/${VISIBLE}`);
    assert.equal(control.status, 200, 'control: an ordinary file put the same way is served');
    const served: string[] = [];
    for (const path of HIDDEN) {
      const r = await http(port, `/${path}`);
      if (r.status !== 404) served.push(`${path} → ${r.status}`);
    }
    assert.deepEqual(served, []);
  });
  test('PHP source is executed, never sent', async () => {
    const r = await http(port, '/slow.php?ms=0');
    assert.equal(r.body.toString(), 'slow done\n');
  });
  test('a missing PHP script is 404, not passed to FPM', async () => {
    assert.equal((await http(port, '/nope.php')).status, 404);
  });
  test('an upload within the default 100M limit is accepted', async () => {
    const r = await http(port, '/index.php', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(3 * 1024 * 1024) });
    assert.equal(r.status, 200);
  });
});

describe('runtime image: what is left out of the code', () => {
  test('no tests/ folder or source map, but the data generators and the fixtures production code reads are there', async () => {
    const r = await web.exec(['sh', '-c', `cd ${RUNTIME_IMAGE.codeDir} && find . \\( -path '*/tests/*' -o -name '*.map' \\) -type f | sort`]);
    assert.equal(r.exitCode, 0, r.stderr);
    // The probe tree has lib/tests/probe_test.php, blog/tests/behat/delete.feature and
    // lib/amd/build/probe.min.js.map too; HIDDEN's tests/ file was put into the container later.
    assert.deepEqual(r.stdout.trim().split('\n'), [
      './admin/tool/x/tests/fixture.txt',
      './mod/assign/feedback/editpdf/tests/fixtures/testgs.pdf',
      './mod/forum/tests/generator/lib.php',
    ]);
    assert.equal((await web.exec(['test', '-f', `${RUNTIME_IMAGE.codeDir}/lib/amd/build/probe.min.js`])).exitCode, 0, 'the built JavaScript stays');
  });
});

describe('runtime image: access log', () => {
  test('logs a 5xx and a request of 1 s or more, not a quick success or a client error (the load balancer logs every request)', async () => {
    const mark = `mark${session.id}`;
    for (const [path, status] of [
      [`/status.php?code=200&${mark}=ok`, 200],
      [`/status.php?code=404&${mark}=client`, 404],
      [`/status.php?code=500&${mark}=error`, 500],
      [`/status.php?code=503&${mark}=unavailable`, 503],
      [`/slow.php?ms=1100&${mark}=slow`, 200],
      [`/slow.php?ms=0&${mark}=quick`, 200],
    ] as const) {
      assert.equal((await http(port, path)).status, status, path);
    }
    const lines = (await web.logs()).stdout.split('\n').filter((l) => l.includes(mark));
    const logged = lines.map((l) => new RegExp(`${mark}=(\\w+)`).exec(l)?.[1]).sort();
    assert.deepEqual(logged, ['error', 'slow', 'unavailable'], lines.join('\n'));
    assert.match(lines.find((l) => l.includes('=error'))!, / 500 \d+ [0-9.]+ /, 'a line keeps the format: status, bytes, seconds');
  });
});
