// A container's health asked when needed (src/local/health.ts): the image's check as an exec's
// argv, and the images' own HEALTHCHECKs kept at an interval that costs an idle container little.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type Docker from 'dockerode';
import { healthCommand } from '../../../src/local/health.ts';

const info = (test?: string[]) => ({ Config: test ? { Healthcheck: { Test: test } } : {} }) as unknown as Docker.ContainerInspectInfo;

describe("the image's health check as a command", () => {
  test('CMD runs as it is, CMD-SHELL through /bin/sh, none without a check', () => {
    assert.deepEqual(healthCommand(info(['CMD', '/usr/local/bin/redis-health'])), ['/usr/local/bin/redis-health']);
    assert.deepEqual(healthCommand(info(['CMD', 'bash', '-c', 'exit 0'])), ['bash', '-c', 'exit 0']);
    assert.deepEqual(healthCommand(info(['CMD-SHELL', 'pg_isready || exit 1'])), ['/bin/sh', '-c', 'pg_isready || exit 1']);
    assert.equal(healthCommand(info(['NONE'])), null, 'HEALTHCHECK NONE');
    assert.equal(healthCommand(info(['CMD'])), null, 'an empty command');
    assert.equal(healthCommand(info()), null, 'no HEALTHCHECK');
  });
});

describe("the images' HEALTHCHECKs", () => {
  const root = join(import.meta.dirname, '..', '..', '..', 'images');
  const checks = readdirSync(root)
    .map((dir) => ({ dir, text: readFileSync(join(root, dir, 'Dockerfile'), 'utf8') }))
    .flatMap(({ dir, text }) => [...text.matchAll(/^HEALTHCHECK (.*)$/gm)].map((m) => ({ dir, line: m[1]! })));

  test('every one runs at most every 30 s (each is a runc exec: at 3 s an idle data container spent 7-14 ms of CPU a second on it)', () => {
    assert.deepEqual(checks.map((c) => c.dir).sort(), ['mail', 'mariadb', 'redis'], 'the images with a check');
    for (const { dir, line } of checks) {
      const interval = /--interval=(\d+)s/.exec(line)?.[1];
      assert.ok(interval && Number(interval) >= 30, `${dir}: ${line}`);
      assert.match(line, /--timeout=\d+s/, `${dir}: a timeout, so a hung check ends`);
    }
  });
});
