// images/mariadb/galera-check, the endpoints' health of a Galera member, run by bash with the
// state the server reports (a `mariadb` on PATH that prints it): which paths say 200 in which state.
// The real states come up in the ha tier (data-roll.test: a member donating an IST in a roll).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../support/temp.ts';

const SCRIPT = join(import.meta.dirname, '..', '..', 'images', 'mariadb', 'galera-check');

/** galera-check's whole answer to `request` while `mariadb` prints these lines (a stand-in on PATH). */
function answer(request: string, lines: readonly string[]): string {
  const bin = tempDir('galera-check-');
  writeFileSync(join(bin, 'mariadb'), `#!/bin/sh\nprintf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')}\n`);
  chmodSync(join(bin, 'mariadb'), 0o755);
  const r = spawnSync('bash', [SCRIPT], { input: request, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
  rmSync(bin, { recursive: true });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The status line galera-check answers `request` with while the server reports this cluster status and local state. */
function check(cluster: string, state: number, request: string): string {
  // The script asks for wsrep_cluster_status and wsrep_local_state ordered by name: the status first.
  return answer(request, [cluster, String(state)]).split('\r\n')[0]!;
}

const WRITER = 'GET / HTTP/1.0\r\n\r\n';
const READER = 'GET /reader HTTP/1.0\r\n\r\n';
const OK = 'HTTP/1.1 200 OK';
const DOWN = 'HTTP/1.1 503 Service Unavailable';

describe('galera-check', () => {
  test('Synced in the primary component: the writer and the reader both count it', () => {
    assert.equal(check('Primary', 4, WRITER), OK);
    assert.equal(check('Primary', 4, READER), OK);
  });
  test('a donor (Donor/Desynced): still a reader, never the writer', () => {
    assert.equal(check('Primary', 2, READER), OK);
    assert.equal(check('Primary', 2, WRITER), DOWN);
  });
  test('joining, joined, or outside the primary component: neither', () => {
    for (const [cluster, state] of [
      ['Primary', 1],
      ['Primary', 3],
      ['non-Primary', 4],
      ['non-Primary', 2],
    ] as const) {
      assert.equal(check(cluster, state, WRITER), DOWN, `${cluster} ${state}`);
      assert.equal(check(cluster, state, READER), DOWN, `${cluster} ${state}`);
    }
  });
  test('a server that does not answer (mariadb prints nothing): neither', () => {
    assert.equal(answer(WRITER, []).split('\r\n')[0], DOWN);
    assert.equal(answer(READER, []).split('\r\n')[0], DOWN);
  });
  test("the container's own health check (no request at all) is the writer's: Synced only", () => {
    assert.equal(check('Primary', 4, ''), OK);
    assert.equal(check('Primary', 2, ''), DOWN);
  });
  test("GET /size: the number of members in this node's view, for a crashed member that waits for its eviction (galera.sh)", () => {
    const sized = (lines: readonly string[]) => {
      const [head, body] = answer('GET /size HTTP/1.0\r\n\r\n', lines).split('\r\n\r\n');
      assert.match(head!, /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(Number(/Content-Length: (\d+)/.exec(head!)?.[1]), Buffer.byteLength(body!), "Content-Length is the body's");
      return body!.trim();
    };
    assert.equal(sized(['3']), '3');
    assert.equal(sized(['2']), '2');
    assert.equal(sized([]), '0', 'a server that does not answer counts nobody');
  });
});
