// The tiered MUC layout's choice (images/runtime/.../muc-layout.php), run with the host's php: which
// cache definitions go to the node's own store, and which mappings configure.php writes for that.
// The real definitions and the config Moodle writes from them: test/moodle/dev/muc.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

const LAYOUT = join(import.meta.dirname, '..', '..', 'images', 'runtime', 'rootfs', 'opt', 'moodle-ha', 'php', 'muc-layout.php');
const missing = process.env.CI !== 'true' && spawnSync('php', ['--version'], { stdio: 'ignore' }).error !== undefined && 'php is not installed';

/** Calls a muc-layout.php function with JSON arguments and returns its JSON result. */
function call(fn: string, ...args: unknown[]): unknown {
  const code = `require ${JSON.stringify(LAYOUT)}; $a = json_decode(stream_get_contents(STDIN), true); echo json_encode(${fn}(...$a));`;
  const r = spawnSync('php', ['-r', code], { input: JSON.stringify(args), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// core_cache\store: MODE_APPLICATION 1, MODE_SESSION 2; features: multiple identifiers 1, data guarantee 2,
// native TTL 4, searchable 8.
const APCU_FEATURES = 4; // cachestore_apcu::get_supported_features(): native TTL only
const APP = 1;
const SESSION = 2;

describe('muc-layout: which caches go to the node-local store', { skip: missing }, () => {
  test('application caches that declare canuselocalstore go local; the rest stay shared', () => {
    const definitions = {
      'core/string': { mode: APP, canuselocalstore: true, requirements: 0 },
      'core/coursemodinfo': { mode: APP, canuselocalstore: true, requirements: 0 },
      'core/config': { mode: APP, requirements: 0 },
      'core/eventinvalidation': { mode: APP, canuselocalstore: false, requirements: 2 },
      'mod_x/folder': { mode: APP, canuselocalstore: true },
    };
    assert.deepEqual(call('mh_muc_local_definitions', definitions, APCU_FEATURES), ['core/coursemodinfo', 'core/string', 'mod_x/folder']);
  });

  test('the core caches built from the code and schema alone go local without declaring it; config and observers stay shared', () => {
    const definitions = {
      'core/capabilities': { mode: APP, requirements: 0 },
      'core/databasemeta': { mode: APP, requirements: 0 },
      'core/fontawesomeiconmapping': { mode: APP, requirements: 0 },
      'core/yuimodules': { mode: APP, requirements: 0 },
      'core/observers': { mode: APP, requirements: 0 },
      'core/plugin_manager': { mode: APP, requirements: 0 },
      'core/config': { mode: APP, requirements: 0 },
      'mod_x/databasemeta': { mode: APP, requirements: 0 },
    };
    assert.deepEqual(call('mh_muc_local_definitions', definitions, APCU_FEATURES), [
      'core/capabilities',
      'core/databasemeta',
      'core/fontawesomeiconmapping',
      'core/yuimodules',
    ]);
    // Still only where the local store can hold them.
    assert.deepEqual(call('mh_muc_local_definitions', { 'core/databasemeta': { mode: APP, requirements: 2 } }, APCU_FEATURES), []);
  });

  test('a session cache stays shared even when it declares canuselocalstore (the user moves between nodes)', () => {
    assert.deepEqual(call('mh_muc_local_definitions', { 'mod_y/s': { mode: SESSION, canuselocalstore: true, requirements: 0 } }, APCU_FEATURES), []);
  });

  test('a cache needing a feature the local store lacks (data guarantee, searchable) stays shared', () => {
    const definitions = {
      'a/guarantee': { mode: APP, canuselocalstore: true, requirements: 2 },
      'a/identifiers': { mode: APP, canuselocalstore: true, requirements: 1 },
      'a/search': { mode: APP, canuselocalstore: true, requirements: 8 },
    };
    assert.deepEqual(call('mh_muc_local_definitions', definitions, APCU_FEATURES), []);
    assert.deepEqual(call('mh_muc_local_definitions', definitions, 1 | 2 | 4 | 8), ['a/guarantee', 'a/identifiers', 'a/search']);
  });

  test('a cache that requires locking (coursemodinfo) goes local only to a store with locks of its own', () => {
    // Without them Moodle's fallback lock never waits: two requests building one course at once
    // and one fails with "Unable to acquire a lock for caching" (the config-change drill saw 8).
    const definitions = {
      'core/coursemodinfo': { mode: APP, canuselocalstore: true, requirements: 0, locking: true },
      'core/string': { mode: APP, canuselocalstore: true, requirements: 0, locking: false },
    };
    assert.deepEqual(call('mh_muc_local_definitions', definitions, APCU_FEATURES, false), ['core/string']);
    assert.deepEqual(call('mh_muc_local_definitions', definitions, APCU_FEATURES, true), ['core/coursemodinfo', 'core/string']);
  });
});

describe('muc-layout: the mappings configure.php writes', { skip: missing }, () => {
  const known = ['core/string', 'core/langmenu', 'core/config', 'mod_z/gone'];
  test('a fresh config: every local cache mapped to the local store', () => {
    assert.deepEqual(call('mh_muc_mapping_changes', ['core/langmenu', 'core/string'], [], 'local', known), {
      'core/langmenu': ['local'],
      'core/string': ['local'],
    });
  });

  test('a config already right: nothing to write (migrate is idempotent)', () => {
    const mappings = [
      { definition: 'core/string', store: 'local', sort: 1 },
      { definition: 'core/langmenu', store: 'local', sort: 1 },
    ];
    assert.deepEqual(call('mh_muc_mapping_changes', ['core/langmenu', 'core/string'], mappings, 'local', known), []);
  });

  test('a cache that no longer declares canuselocalstore goes back to the shared store; other mappings are left alone', () => {
    const mappings = [
      { definition: 'core/string', store: 'local', sort: 1 },
      { definition: 'mod_z/gone', store: 'local', sort: 2 },
      { definition: 'mod_z/gone', store: 'other', sort: 1 },
      { definition: 'core/config', store: 'other', sort: 1 },
      { definition: 'mod_removed/x', store: 'local', sort: 1 },
    ];
    assert.deepEqual(call('mh_muc_mapping_changes', ['core/string'], mappings, 'local', known), { 'mod_z/gone': ['other'] });
  });

  test('a local cache that was also mapped elsewhere is mapped to the local store alone', () => {
    const mappings = [{ definition: 'core/string', store: 'other', sort: 1 }];
    assert.deepEqual(call('mh_muc_mapping_changes', ['core/string'], mappings, 'local', known), { 'core/string': ['local'] });
  });
});
