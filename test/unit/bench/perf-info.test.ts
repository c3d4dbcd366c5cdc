// Moodle's performance footer, read from a page saved from a moodle-ha web node (fixtures/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { medianPerf, parsePerfInfo, PERF_COOKIE, PERF_TRIGGER, type PerfInfo } from '../../../bench/reference/perf-info.ts';

const footer = readFileSync(join(import.meta.dirname, 'fixtures', 'perf-footer.html'), 'utf8');

describe('parsePerfInfo', () => {
  test('reads time, included files, DB reads/writes and every store total but the total row', () => {
    const p = parsePerfInfo(footer);
    assert.ok(p);
    assert.equal(p.seconds, 0.014357);
    assert.equal(p.includedFiles, 362);
    assert.equal(p.dbReads, 3);
    assert.equal(p.dbWrites, 0);
    assert.deepEqual(p.stores, [
      { store: '** static accel. **', kind: 'static', hits: 54, misses: 28, sets: 0 },
      { store: 'moodleha_local', kind: 'cachestore_apcu', hits: 18, misses: 0, sets: 0 },
      { store: 'moodleha_redis', kind: 'cachestore_redis', hits: 17, misses: 0, sets: 1 },
    ]);
  });

  test('a page without the footer (perfdebug off) has no figures', () => {
    assert.equal(parsePerfInfo('<html><body><div id="page-footer"></div></body></html>'), undefined);
    assert.equal(parsePerfInfo(footer.replace(/DB reads\/writes: \d+\/\d+/, '')), undefined);
  });

  test('no cache tables: figures with no stores', () => {
    const p = parsePerfInfo(footer.replace(/<table[\s\S]*<\/table>/g, ''));
    assert.deepEqual(p?.stores, []);
    assert.equal(p?.includedFiles, 362);
  });
});

describe('medianPerf', () => {
  const at = (seconds: number, reads: number, redisHits: number, withLocal: boolean): PerfInfo => ({
    seconds,
    includedFiles: 100,
    dbReads: reads,
    dbWrites: 1,
    stores: [
      { store: 'moodleha_redis', kind: 'cachestore_redis', hits: redisHits, misses: 0, sets: 0 },
      ...(withLocal ? [{ store: 'moodleha_local', kind: 'cachestore_apcu', hits: 4, misses: 2, sets: 2 }] : []),
    ],
  });

  test('each figure is its own median; a store missing from a fetch counts 0 there', () => {
    const m = medianPerf([at(0.3, 10, 5, true), at(0.1, 30, 7, false), at(0.2, 20, 6, true)]);
    assert.equal(m?.seconds, 0.2);
    assert.equal(m?.dbReads, 20);
    assert.deepEqual(m?.stores, [
      { store: 'moodleha_local', kind: 'cachestore_apcu', hits: 4, misses: 2, sets: 2 },
      { store: 'moodleha_redis', kind: 'cachestore_redis', hits: 6, misses: 0, sets: 0 },
    ]);
    assert.equal(medianPerf([]), undefined);
  });
});

test('the trigger turns perfdebug on only for the cookie with value 1', () => {
  assert.match(PERF_TRIGGER, new RegExp(`\\$_COOKIE\\['${PERF_COOKIE}'\\] \\?\\? ''\\) === '1'`));
  assert.match(PERF_TRIGGER, /\$CFG->perfdebug = 15;/);
});
