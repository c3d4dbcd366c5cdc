import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readSpec, validateSpec } from '../../src/spec/read.ts';
import { UserError } from '../../src/util/errors.ts';
import { tempDir } from '../support/temp.ts';

function problems(raw: unknown): string[] {
  try {
    validateSpec(raw);
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return [...e.details];
  }
  assert.fail('expected the spec to be rejected');
}

describe('spec defaults', () => {
  test('no file gives a working dev cluster', () => {
    const s = validateSpec({});
    assert.equal(s.profile, 'dev');
    assert.equal(s.web.nodes, 1);
    assert.equal(s.scaling.min, 1);
    assert.equal(s.web.memory.bytes, 2 * 1024 ** 3);
    assert.equal(s.web.phpMemory.bytes, 192 * 1024 ** 2);
    assert.equal(s.site.url, 'http://localhost:8080');
    assert.equal(s.scaling.scaleOutCooldown.seconds, 30);
  });
  test('ha profile defaults to two web nodes', () => {
    const s = validateSpec({ profile: 'ha' });
    assert.equal(s.web.nodes, 2);
    assert.equal(s.scaling.min, 2);
  });
  test("each Redis 256Mi unless the spec says more (the sessions' never evicts: size it by its users)", () => {
    assert.deepEqual(validateSpec({}).redis, { sessionsMemory: { bytes: 256 * 1024 ** 2 }, cachesMemory: { bytes: 256 * 1024 ** 2 } });
    assert.equal(validateSpec({ redis: { sessionsMemory: '2Gi' } }).redis.sessionsMemory.bytes, 2 * 1024 ** 3);
  });
  test('site url follows the http port', () => {
    assert.equal(validateSpec({ ports: { http: 9000 } }).site.url, 'http://localhost:9000');
  });
});

describe('spec validation: every problem with its path and a fix', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown profile', { profile: 'prod' }, /^profile: must be one of "dev", "ha"/],
    ['wrong type', { web: { nodes: 'two' } }, /^web\.nodes: .*write a number without quotes/],
    ['bad size', { web: { memory: '1X' } }, /^web\.memory: "1X" is not a size/],
    [
      'web memory below every worker at its limit',
      { web: { memory: '1Gi' } },
      /^web\.memory: 8 PHP-FPM workers × 192Mi memory_limit \+ 256Mi OPcache \+ 64Mi APCu \+ 64Mi for nginx and PHP-FPM = 1920Mi, more than web\.memory \(1024Mi\): a busy node would be killed for memory\. Set web\.memory to at least 1920Mi \(e\.g\. "2Gi"\), or lower web\.fpmWorkers to 3, or lower web\.phpMemory to 80Mi/,
    ],
    [
      'web memory with many workers',
      { web: { fpmWorkers: 32, memory: '4Gi' } },
      /^web\.memory: 32 PHP-FPM workers .* = 6528Mi, more than web\.memory \(4096Mi\).*lower web\.fpmWorkers to 19/,
    ],
    ['bad duration', { scaling: { scaleInCooldown: '5 minutes' } }, /^scaling\.scaleInCooldown: .*is not a duration/],
    ["a sessions' Redis too small to hold anything", { redis: { sessionsMemory: '16Mi' } }, /^redis\.sessionsMemory: must be at least 32Mi/],
    ['a bad Redis size', { redis: { cachesMemory: '1 gigabyte' } }, /^redis\.cachesMemory: "1 gigabyte" is not a size/],
    ['unknown key', { webb: {} }, /^\(top level\): unknown key "webb"/],
    ['bad plugin name', { plugins: [{ component: 'Bad', source: 'x' }] }, /^plugins\.0\.component: must be a Moodle frankenstyle/],
    ['plugin without source', { plugins: [{ component: 'local_x' }] }, /^plugins\.0: give exactly one of "source"/],
    [
      'duplicate plugin',
      {
        plugins: [
          { component: 'local_x', source: 'a' },
          { component: 'local_x', source: 'b' },
        ],
      },
      /^plugins\.1\.component: local_x is listed twice/,
    ],
    ['same ports', { ports: { http: 8080, stats: 8080 } }, /^ports\.stats: must differ from ports\.http/],
    ["mail catcher on the load balancer's port", { ports: { http: 8025 } }, /^ports\.mail: must differ from ports\.http \(8025\) and ports\.stats \(8404\)/],
    ['bad timezone', { site: { timezone: 'Europe/Londn' } }, /^site\.timezone: must be an IANA timezone/],
    ['lower-case country', { site: { country: 'gb' } }, /^site\.country: must be an ISO 3166 two-letter country code in capitals/],
    ['bad no-reply address', { site: { noreplyAddress: 'noreply' } }, /^site\.noreplyAddress: must be an e-mail address/],
    ['ha with one node', { profile: 'ha', web: { nodes: 1 } }, /^web\.nodes: the ha profile needs at least 2 web nodes/],
    ['min above max', { scaling: { min: 5, max: 2 } }, /^scaling\.min: min \(5\) must not exceed max \(2\)/],
    [
      'bad cron',
      { scaling: { schedule: [{ name: 'n', cron: { start: '* *', end: '0 6 * * *' }, min: 1 }] } },
      /^scaling\.schedule\.0\.cron\.start: must be a 5-field cron/,
    ],
    [
      'window both kinds',
      {
        scaling: {
          schedule: [{ name: 'n', cron: { start: '0 1 * * *', end: '0 6 * * *' }, from: '2026-12-01T00:00:00Z', until: '2026-12-02T00:00:00Z', min: 1 }],
        },
      },
      /give either cron/,
    ],
    [
      'window backwards',
      { scaling: { schedule: [{ name: 'n', from: '2026-12-02T00:00:00Z', until: '2026-12-01T00:00:00Z', min: 1 }] } },
      /^scaling\.schedule\.0\.until: "until" must be after "from"/,
    ],
    [
      "window rate limit below WAF's minimum",
      { scaling: { schedule: [{ name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1, rateLimit: 50 }] } },
      /^scaling\.schedule\.0\.rateLimit: must be at least 100 requests per 5 minutes/,
    ],
    [
      'window rate limit not a whole number',
      { scaling: { schedule: [{ name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1, rateLimit: 1000.5 }] } },
      /^scaling\.schedule\.0\.rateLimit: must be a whole number of requests per 5 minutes/,
    ],
    [
      'window ACUs not in half units',
      { scaling: { schedule: [{ name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1, database: { minCapacity: 0.3 } }] } },
      /^scaling\.schedule\.0\.database\.minCapacity: must be a multiple of 0\.5 ACU/,
    ],
    [
      'window ACUs above 256',
      { scaling: { schedule: [{ name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1, database: { minCapacity: 2, maxCapacity: 300 } }] } },
      /^scaling\.schedule\.0\.database\.maxCapacity: must be from 0 to 256 Aurora capacity units/,
    ],
    [
      'window ACU maximum below 1',
      { scaling: { schedule: [{ name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1, database: { minCapacity: 0, maxCapacity: 0.5 } }] } },
      /^scaling\.schedule\.0\.database\.maxCapacity: must be at least 1 ACU/,
    ],
    [
      'window ACU maximum below its minimum',
      { scaling: { schedule: [{ name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1, database: { minCapacity: 8, maxCapacity: 4 } }] } },
      /^scaling\.schedule\.0\.database\.maxCapacity: \(4\) must be at least database\.minCapacity \(8\): raise maxCapacity or lower minCapacity/,
    ],
    [
      'window ACUs without a minimum',
      { scaling: { schedule: [{ name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1, database: { maxCapacity: 4 } }] } },
      /^scaling\.schedule\.0\.database\.minCapacity: /,
    ],
    [
      'two windows with one name',
      {
        scaling: {
          schedule: [
            { name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1 },
            { name: 'w', cron: { start: '0 1 * * *', end: '0 6 * * *' }, min: 1 },
          ],
        },
      },
      /^scaling\.schedule\.1\.name: "w" is also the name of window 0: give each window its own name/,
    ],
    ['bad url', { site: { url: 'not a url' } }, /^site\.url: must be a URL/],
    ['bad email', { site: { adminEmail: 'nope' } }, /^site\.adminEmail: must be an e-mail address/],
    ['port out of range', { ports: { http: 70000 } }, /^ports\.http: /],
  ];
  for (const [name, raw, pattern] of cases) {
    test(name, () => {
      const found = problems(raw);
      assert.ok(
        found.some((p) => pattern.test(p)),
        `no problem matched ${pattern}; got:\n${found.join('\n')}`,
      );
    });
  }
  test('all problems are reported at once', () => {
    assert.equal(problems({ profile: 'x', web: { nodes: 0 }, foo: 1 }).length, 3);
  });
  test('a spec that is a list is rejected', () => {
    assert.throws(() => validateSpec([1, 2]), /must be a YAML mapping/);
  });
});

describe('spec file', () => {
  const dir = tempDir('spec-');
  test('YAML syntax errors name the file', () => {
    const f = join(dir, 'broken.yaml');
    writeFileSync(f, 'profile: dev\n  web: [\n');
    assert.throws(
      () => readSpec({ file: f }),
      (e: unknown) => e instanceof UserError && e.message.includes(f) && /not valid YAML/.test(e.message),
    );
  });
  test('duplicate keys are an error', () => {
    const f = join(dir, 'dup.yaml');
    writeFileSync(f, 'profile: dev\nprofile: ha\n');
    assert.throws(() => readSpec({ file: f }), /not valid YAML/);
  });
  test('a named spec that does not exist is an error', () => {
    assert.throws(() => readSpec({ file: join(dir, 'missing.yaml') }), /does not exist/);
  });
  test('relative paths resolve against the spec folder; flags override the file', () => {
    const f = join(dir, 'ok.yaml');
    writeFileSync(f, 'name: campus\nprofile: dev\nweb:\n  nodes: 2\n');
    const loaded = readSpec({ file: f, overrides: { profile: 'ha' } });
    assert.equal(loaded.baseDir, dir);
    assert.equal(loaded.spec.name, 'campus');
    assert.equal(loaded.spec.profile, 'ha');
    assert.equal(loaded.spec.web.nodes, 2);
  });
});
