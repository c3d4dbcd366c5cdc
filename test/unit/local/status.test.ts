// The web nodes as the load balancer sees them (parseHaproxyCsv in src/local/status.ts), from
// HAProxy's CSV stats as `show stat` and the stats page give them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHaproxyCsv } from '../../../src/local/status.ts';

const HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,';
/** One CSV row: the named columns set, the rest empty. */
function row(values: Record<string, string>): string {
  const cols = HEADER.slice(2).split(',');
  return cols.map((c) => values[c] ?? '').join(',');
}
const CSV = [
  HEADER,
  row({ pxname: 'http', svname: 'FRONTEND', scur: '7', stot: '900', status: 'OPEN', rate: '12' }),
  row({ pxname: 'stats', svname: 'FRONTEND', scur: '1', stot: '4', status: 'OPEN' }),
  row({ pxname: 'web', svname: 'campus-web-1', scur: '3', stot: '512', status: 'UP', rate: '7' }),
  row({ pxname: 'web', svname: 'campus-web-2', scur: '0', stot: '488', status: 'DRAIN', rate: '0' }),
  row({ pxname: 'web', svname: 'campus-web-3', scur: '', stot: '', status: 'DOWN', rate: '' }),
  row({ pxname: 'web', svname: 'BACKEND', scur: '3', stot: '1000', status: 'UP', rate: '7' }),
  row({ pxname: 'webmail', svname: 'campus-web-1', scur: '9', stot: '9', status: 'UP' }),
  '',
].join('\n');

describe('parseHaproxyCsv', () => {
  test("the web backend's servers only, with state, current sessions, request rate and total requests", () => {
    assert.deepEqual(parseHaproxyCsv(CSV), [
      { server: 'campus-web-1', status: 'UP', currentSessions: 3, requestRate: 7, totalRequests: 512 },
      { server: 'campus-web-2', status: 'DRAIN', currentSessions: 0, requestRate: 0, totalRequests: 488 },
      { server: 'campus-web-3', status: 'DOWN', currentSessions: 0, requestRate: 0, totalRequests: 0 },
    ]);
  });
  test('columns are found by name in the header, wherever HAProxy puts them', () => {
    const csv = '# svname,status,pxname,stot,rate,scur\ncampus-web-1,UP,web,40,2,1\n';
    assert.deepEqual(parseHaproxyCsv(csv), [{ server: 'campus-web-1', status: 'UP', currentSessions: 1, requestRate: 2, totalRequests: 40 }]);
  });
  test('a status with words stays whole (a node whose name does not resolve yet)', () => {
    const csv = `${HEADER}\n${row({ pxname: 'web', svname: 'campus-web-4', status: 'MAINT (resolution)' })}\n`;
    assert.equal(parseHaproxyCsv(csv)[0]!.status, 'MAINT (resolution)');
  });
  test('no web servers: an empty list', () => {
    assert.deepEqual(parseHaproxyCsv(`${HEADER}\n${row({ pxname: 'web', svname: 'BACKEND', status: 'DOWN' })}\n`), []);
  });
});
