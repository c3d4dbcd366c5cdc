// The tiered MUC layout with real Moodle on the two web nodes of dev.test.ts's cluster (runs last:
// it changes a language string and a setting): the caches whose definitions declare
// canuselocalstore live in each node's own APCu, the rest in Redis (configure.php, muc-layout.php),
// and a change made on node A (a course edit, a language string changed and its cache purged, a
// plugin setting) is what node B serves on its next request, with B's own copies cached before.
// Node B is asked directly (PHP-FPM on the node, not through HAProxy, which routes by load).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { docker } from '../../../src/local/engine/docker.ts';
import { exec } from '../../../src/local/containers.ts';
import { putFiles } from '../../support/containers.ts';
import { HTTP, n } from './cluster.ts';

const nodeA = n.container('web', 1);
const nodeB = n.container('web', 2);
const php = (container: string, code: string) => exec(container, ['php', '-r', `define('CLI_SCRIPT', true); require '/var/www/moodle/config.php'; ${code}`]);

// A page on the node itself: what Moodle serves from that node's caches, and which store serves them.
const PROBE = `<?php
define('NO_MOODLE_COOKIES', true);
require __DIR__ . '/config.php';
$store = fn(string $area) => get_class((function () { return $this->get_store(); })->call(cache::make('core', $area)));
$course = get_course((int) $_GET['course']);
$modinfo = get_fast_modinfo($course);
echo json_encode([
    'host' => gethostname(),
    'stores' => ['string' => $store('string'), 'coursemodinfo' => $store('coursemodinfo'), 'config' => $store('config')],
    'fullname' => $course->fullname,
    'section' => $modinfo->get_section_info(1)->name,
    'string' => get_string('sitehome'),
    'setting' => get_config('mod_forum', 'mhprobe'),
    'apcuentries' => apcu_cache_info(true)['num_entries'],
    'copyhits' => \\moodleha\\cache\\kept_redis_store::$localcopyhits,
]);
`;

// Requests at once to the node's own nginx (curl_multi) for one page: each answer's JSON, or its
// HTTP code and the error it shows.
const BURST = `<?php
[$n, $page, $host] = [(int) $argv[1], $argv[2], $argv[3]];
$mh = curl_multi_init();
$hs = [];
for ($i = 0; $i < $n; $i++) {
    $h = curl_init("http://127.0.0.1:8080/$page");
    curl_setopt_array($h, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => ["Host: $host"], CURLOPT_TIMEOUT => 60]);
    curl_multi_add_handle($mh, $h);
    $hs[] = $h;
}
do { curl_multi_exec($mh, $running); curl_multi_select($mh); } while ($running > 0);
echo json_encode(array_map(function ($h) {
    $body = (string) curl_multi_getcontent($h);
    $json = json_decode($body, true);
    if (is_array($json)) { return $json; }
    preg_match('~Unable to acquire a lock for caching|<title>[^<]*~', $body, $m);
    return curl_getinfo($h, CURLINFO_HTTP_CODE) . ' ' . ($m[0] ?? substr($body, 0, 100));
}, $hs));
`;

/** `n` requests at once from `container` to its own nginx for `page`: the answers' JSON, or an error line for each that had none. */
async function burst<T>(container: string, n: number, page: string): Promise<{ ok: T[]; failed: string[] }> {
  const r = await exec(container, ['php', '/tmp/mhburst.php', String(n), page, `localhost:${HTTP}`]);
  const answers = JSON.parse(r.output) as (T | string)[];
  return { ok: answers.filter((a): a is T => typeof a === 'object'), failed: answers.filter((a): a is string => typeof a === 'string') };
}

// A page that holds core/coursemodinfo's lock for a second: the lock is the node's APCu store's
// (cache-apcu-store.php).
const LOCK_PAGE = `<?php
define('NO_MOODLE_COOKIES', true);
require __DIR__ . '/config.php';
$cache = cache::make('core', 'coursemodinfo');
$asked = microtime(true);
$cache->acquire_lock('mhlock');
$from = microtime(true);
$mine = $cache->check_lock_state('mhlock');
usleep(1000000);
$cache->release_lock('mhlock');
echo json_encode(['asked' => $asked, 'from' => $from, 'to' => microtime(true), 'mine' => $mine, 'after' => $cache->check_lock_state('mhlock')]);
`;

interface Probe {
  host: string;
  stores: Record<string, string>;
  fullname: string;
  section: string;
  string: string;
  setting: string;
  apcuentries: number;
  /** Reads of this request that the Redis store served from the node's copies (cache-local-copies.php). */
  copyhits: number;
}

/** The probe page as served by `container`'s own PHP-FPM (a request from inside the node to its nginx). */
async function probe(container: string, courseId: number): Promise<Probe> {
  const url = `http://127.0.0.1:8080/mhprobe.php?course=${courseId}`;
  const code = `echo file_get_contents(${JSON.stringify(url)}, false, stream_context_create(['http' => ['header' => "Host: localhost:${HTTP}", 'ignore_errors' => true]]));`;
  const r = await exec(container, ['php', '-r', code]);
  try {
    return JSON.parse(r.output) as Probe;
  } catch {
    throw new Error(`the probe on ${container} did not answer JSON:\n${r.output.slice(0, 3000)}`);
  }
}

/** The tiered caches' tests, registered in the caller's describe (dev.test.ts). */
export function mucSuite(): void {
  let courseId = 0;

  before(async () => {
    for (const c of [nodeA, nodeB]) {
      await putFiles(docker().getContainer(c), '/var/www/moodle', [
        { path: 'mhprobe.php', content: PROBE },
        { path: 'mhlock.php', content: LOCK_PAGE },
      ]);
      await putFiles(docker().getContainer(c), '/tmp', [{ path: 'mhburst.php', content: BURST }]);
    }
    const made = await php(
      nodeA,
      `require_once($CFG->dirroot . '/course/lib.php'); set_config('mhprobe', 'before', 'mod_forum');
       $c = create_course((object) ['fullname' => 'Cache course', 'shortname' => 'mhcache', 'category' => 1, 'numsections' => 1]);
       course_update_section($c, $DB->get_record('course_sections', ['course' => $c->id, 'section' => 1]), ['name' => 'Week one']); echo $c->id;`,
    );
    courseId = Number(made.output.trim().split('\n').pop());
    assert.ok(courseId > 1, `course not made: ${made.output}`);
  });

  test('the MUC config written at migrate maps exactly the canuselocalstore application caches, and four built from the code alone, to the APCu store', async () => {
    const r = await php(
      nodeA,
      `$c = \\core_cache\\config::instance(); echo json_encode(['stores' => array_map(fn($s) => $s['plugin'], $c->get_all_stores()), 'definitions' => $c->get_definitions(), 'mappings' => $c->get_definition_mappings()]);`,
    );
    const muc = JSON.parse(r.output) as {
      stores: Record<string, string>;
      definitions: Record<string, { mode: number; canuselocalstore?: boolean }>;
      mappings: { definition: string; store: string }[];
    };
    assert.equal(muc.stores.moodleha_local, 'apcu');
    // Those that require locking too: the image's APCu store has locks that wait (cache-apcu-store.php).
    const declared = Object.entries(muc.definitions)
      .filter(([, d]) => d.canuselocalstore === true && d.mode === 1)
      .map(([id]) => id)
      .sort();
    const local = muc.mappings
      .filter((m) => m.store === 'moodleha_local')
      .map((m) => m.definition)
      .sort();
    // And the core caches built from the code and schema alone (MH_MUC_CODE_DERIVED in muc-layout.php).
    const codeDerived = ['core/capabilities', 'core/databasemeta', 'core/fontawesomeiconmapping', 'core/yuimodules'];
    assert.deepEqual(local, [...declared, ...codeDerived].sort());
    // Moodle 4.5's own list, core and plugins: nothing hard-coded in the image, so this is the tree's.
    for (const id of ['core/string', 'core/langmenu', 'core/plugin_functions', 'core/htmlpurifier', 'core/coursemodinfo', 'repository_onedrive/folder'])
      assert.ok(local.includes(id), `${id} is not mapped to the local store: ${local.join(' ')}`);
    for (const id of ['core/config', 'core/eventinvalidation', 'core/observers', 'core/plugin_manager'])
      assert.ok(!local.includes(id), `${id} must stay shared`);
  });

  test('node B serves strings and course module info from its own APCu (the store with locks), the config from Redis', async () => {
    const [a, b] = [await probe(nodeA, courseId), await probe(nodeB, courseId)];
    assert.notEqual(a.host, b.host, 'both answers came from one node');
    // Redis through the image's cache factory: Moodle's store with a connection kept per worker (cache-redis-store.php).
    const redis = 'moodleha\\cache\\kept_redis_store';
    // APCu through it too: Moodle's store with locks of its own (cache-apcu-store.php).
    const apcu = 'moodleha\\cache\\locking_apcu_store';
    assert.deepEqual(b.stores, { string: apcu, coursemodinfo: apcu, config: redis });
    assert.ok(b.apcuentries > 0, 'nothing in node B APCu');
    // The application caches in Redis are read from B's copies while their version is unchanged.
    const again = await probe(nodeB, courseId);
    assert.ok(again.copyhits > 0, `node B read none of the Redis caches from its copies: ${JSON.stringify(again)}`);
  });

  test('16 requests rebuilding one course at once on both nodes (as after a course edit, or on new nodes) all get their page', async () => {
    // With course module info in Moodle's own APCu store, which has no locks (Moodle's fallback, a
    // file lock, never waits), 8 of 16 failed here with "Unable to acquire a lock for caching" (and
    // 8 steps of the config-change drill). The image's APCu store's locks wait.
    const rebuilt = await php(nodeA, `rebuild_course_cache(${courseId}, true); echo 'ok';`);
    assert.match(rebuilt.output, /ok$/);
    const page = `mhprobe.php?course=${courseId}`;
    const [a, b] = await Promise.all([burst<Probe>(nodeA, 8, page), burst<Probe>(nodeB, 8, page)]);
    assert.deepEqual([...a.failed, ...b.failed], []);
    assert.equal(a.ok.length + b.ok.length, 16);
  });

  test("three requests on one node taking course module info's lock at once hold it one after the other", async () => {
    const { ok, failed } = await burst<{ asked: number; from: number; to: number; mine: boolean; after: boolean | null }>(nodeB, 3, 'mhlock.php');
    assert.deepEqual(failed, [], 'not every request got the lock');
    assert.equal(ok.length, 3);
    for (const h of ok) assert.deepEqual([h.mine, h.after], [true, null], 'the holder did not see its lock as its own, or it stayed after release');
    // Each held it for 1 s: no two spans overlap, and the last waited for the two before it.
    const spans = ok.map((h) => [h.from, h.to] as const).sort((x, y) => x[0] - y[0]);
    spans.reduce((previous, span) => {
      assert.ok(span[0] >= previous[1], `two requests held the lock at once: ${JSON.stringify(spans)}`);
      return span;
    });
    const waits = ok.map((h) => h.from - h.asked);
    const longest = Math.max(...waits);
    assert.ok(longest >= 1.9, `the last waited ${longest.toFixed(2)} s, not about 2 s: ${JSON.stringify(waits)}`);
  });

  test('a course edit, a language string change with its purge, and a plugin setting made on node A are seen on node B at once', async () => {
    // B caches the old values first (twice: the second answer comes from B's caches).
    await probe(nodeB, courseId);
    const old = await probe(nodeB, courseId);
    assert.deepEqual([old.fullname, old.section, old.string, old.setting], ['Cache course', 'Week one', 'Site home', 'before']);

    const changed = await php(
      nodeA,
      `require_once($CFG->dirroot . '/course/lib.php');
       $c = get_course(${courseId});
       course_update_section($c, $DB->get_record('course_sections', ['course' => $c->id, 'section' => 1]), ['name' => 'Week one, renamed']);
       update_course((object) ['id' => $c->id, 'fullname' => 'Cache course, renamed']);
       $dir = $CFG->langlocalroot . '/en_local'; check_dir_exists($dir);
       file_put_contents("$dir/moodle.php", "<?php\\n\\$string['sitehome'] = 'Home of the cluster';\\n");
       purge_caches(['lang' => true]);
       set_config('mhprobe', 'after', 'mod_forum'); echo 'changed';`,
    );
    assert.match(changed.output, /changed$/, changed.output);

    const now = await probe(nodeB, courseId);
    assert.deepEqual(
      [now.fullname, now.section, now.string, now.setting],
      ['Cache course, renamed', 'Week one, renamed', 'Home of the cluster', 'after'],
      'node B served a stale value',
    );
  });

  test("purge all caches on node A (Moodle's own store class deletes each cache's hash, and its version): node B serves the database's value, not its copy", async () => {
    await probe(nodeB, courseId);
    const copied = await probe(nodeB, courseId);
    assert.equal(copied.setting, 'after');
    assert.ok(copied.copyhits > 0, 'node B had no copies to keep');
    // The database changed under the caches (as a restore would), then the admin's "purge all caches".
    const purged = await php(
      nodeA,
      `$DB->set_field('config_plugins', 'value', 'from the database', ['plugin' => 'mod_forum', 'name' => 'mhprobe']); purge_all_caches(); echo 'purged';`,
    );
    assert.match(purged.output, /purged$/, purged.output);
    assert.equal((await probe(nodeB, courseId)).setting, 'from the database', 'node B served its copy after a purge');
  });
}
