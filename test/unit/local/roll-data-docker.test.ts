// Reading the answers the data tier's rolling restart steers by (src/local/roll-data-docker.ts):
// the endpoints' stick table and counters, Galera's status, Redis INFO and Sentinel's records.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keyValues } from '../../../src/util/key-values.ts';
import { backendServers, sentinelRecords, singleServerRestartNotice, stickServer } from '../../../src/local/roll-data-docker.ts';

describe('answers the roll reads', () => {
  test('the writer is the server the stick table names (HAProxy 2.6 output); none before the first connection', () => {
    const table = '# table: db, type: integer, size:1, used:1\n0x556bb96bfeb0: key=1 use=0 exp=2073599408 server_id=2 server_key=c-db-2\n\n';
    assert.equal(stickServer(table), 'c-db-2');
    assert.equal(stickServer('# table: db, type: integer, size:1, used:0\n\n'), undefined);
  });
  test("one backend's servers in order, with status and open sessions; other backends and the totals left out", () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status',
      'db_writer,FRONTEND,,,4,9,4096,100,0,0,0,0,0,,,,,OPEN',
      'db,c-db-1,0,0,3,5,,50,0,0,,0,,0,0,0,0,MAINT',
      'db,c-db-2,0,0,1,2,,10,0,0,,0,,0,0,0,0,UP',
      'db,c-db-3,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN',
      'db,BACKEND,0,0,4,9,,60,0,0,0,0,,0,0,0,0,UP',
      'redis,c-redis-1,0,0,7,9,,70,0,0,,0,,0,0,0,0,UP',
    ].join('\n');
    assert.deepEqual(backendServers(csv, 'db'), [
      { server: 'c-db-1', status: 'MAINT', sessions: 3 },
      { server: 'c-db-2', status: 'UP', sessions: 1 },
      { server: 'c-db-3', status: 'DOWN', sessions: 0 },
    ]);
    assert.deepEqual(
      backendServers(csv, 'redis').map((s) => s.server),
      ['c-redis-1'],
    );
  });
  test("Galera's status rows (mariadb -N -s) and Redis INFO lines as records", () => {
    assert.deepEqual(keyValues('wsrep_cluster_size\t3\nwsrep_cluster_status\tPrimary\nwsrep_local_state_comment\tSynced\n'), {
      wsrep_cluster_size: '3',
      wsrep_cluster_status: 'Primary',
      wsrep_local_state_comment: 'Synced',
    });
    const info = keyValues('# Replication\r\nrole:slave\r\nmaster_host:c-redis-2\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\n');
    assert.equal(info.role, 'slave');
    assert.equal(info.master_host, 'c-redis-2');
    assert.equal(info.master_link_status, 'up');
  });
  test("Sentinel's records (redis-cli --raw: alternating key and value lines), one per replica", () => {
    const out = [
      'name',
      'c-redis-1:6379',
      'ip',
      'c-redis-1',
      'flags',
      'slave',
      'master-link-status',
      'ok',
      'name',
      'c-redis-2:6379',
      'ip',
      'c-redis-2',
      'flags',
      's_down,slave',
      'master-link-status',
      'err',
      '',
    ].join('\n');
    const r = sentinelRecords(out);
    assert.equal(r.length, 2);
    assert.deepEqual(r[0], { name: 'c-redis-1:6379', ip: 'c-redis-1', flags: 'slave', 'master-link-status': 'ok' });
    assert.equal(r[1]!.flags, 's_down,slave');
  });
  test('dev: a changed database or Redis server restarts with a notice that it is an outage; nothing changed, nothing said', () => {
    const notice = singleServerRestartNotice('dev', ['c-db', 'c-redis']);
    assert.match(notice ?? '', /^c-db, c-redis: restarting/);
    assert.match(notice ?? '', /outage/);
    assert.match(notice ?? '', /ha profile restarts them one at a time/);
    assert.equal(singleServerRestartNotice('dev', []), undefined);
  });
});
