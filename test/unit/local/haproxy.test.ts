// The local load balancer's configuration (src/local/haproxy.ts) and its container (lbContainer in
// src/local/services.ts): the lines that decide routing, health, retries and what is published.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RUNTIME_IMAGE } from '../../../src/contract/image.ts';
import {
  LB_ADMIN_SOCKET,
  LB_CONFIG_PATH,
  LB_PORT,
  LB_REQUEST_LOG,
  LB_REQUEST_LOG_BYTES,
  LB_STATS_PORT,
  lbConfigFile,
  lbConfigFor,
  renderHaproxyConfig,
  WEB_CHECK,
} from '../../../src/local/haproxy.ts';
import { lbContainer, webNodeNames } from '../../../src/local/services.ts';
import { assertHasLine, devSpec, haproxySections, haSpec, section, TAGS } from './fixtures.ts';

const NODES = ['campus-web-1', 'campus-web-2', 'campus-web-3'];
const render = (servers: readonly string[], maxConnPerServer = 32) => renderHaproxyConfig({ servers, maxConnPerServer });
const web = (servers: readonly string[] = NODES) => section(haproxySections(render(servers)), 'backend web');
const defaultServer = (lines: string[]) => {
  const found = lines.filter((l) => l.startsWith('default-server '));
  assert.equal(found.length, 1, `one default-server line in: ${lines.join(' | ')}`);
  return found[0]!.split(/\s+/);
};
/** The value after `key` on a line split into words. */
const after = (words: string[], key: string) => {
  const i = words.indexOf(key);
  assert.ok(i >= 0 && i + 1 < words.length, `"${key}" with a value in: ${words.join(' ')}`);
  return words[i + 1];
};

describe('the web backend: one server line per web node, every one health-checked', () => {
  test('each node is a server on the runtime port, in order, with nothing that turns its check off', () => {
    const servers = web().filter((l) => l.startsWith('server '));
    assert.deepEqual(
      servers,
      NODES.map((n) => `server ${n} ${n}:${RUNTIME_IMAGE.port}`),
    );
    for (const s of servers) assert.doesNotMatch(s, /\b(no-check|disabled|backup)\b/);
  });
  test('the servers inherit `check` from default-server', () => {
    assertHasLine(defaultServer(web()), 'check', 'the words of default-server');
  });
  test('removing a node removes its line, and nothing else changes', () => {
    const before = render(NODES).split('\n');
    const afterRemoval = render(NODES.slice(0, 2)).split('\n');
    assert.deepEqual(
      before.filter((l) => !afterRemoval.includes(l)),
      [`    server campus-web-3 campus-web-3:${RUNTIME_IMAGE.port}`],
    );
    assert.deepEqual(
      afterRemoval.filter((l) => !before.includes(l)),
      [],
    );
  });
  test('N nodes give N server lines (1, 2, 10)', () => {
    for (const n of [1, 2, 10]) {
      const names = webNodeNames(devSpec(), n);
      assert.equal(web(names).filter((l) => l.startsWith('server ')).length, n);
      assert.equal(names.at(-1), `campus-web-${n}`);
    }
  });
  test('health: GET /healthz must answer 200, checked every 1 s, 0.5 s after a failure, out after 2, 1 s timeout', () => {
    const lines = web();
    assertHasLine(lines, `option httpchk GET ${RUNTIME_IMAGE.healthPath}`);
    assert.equal(RUNTIME_IMAGE.healthPath, '/healthz');
    assertHasLine(lines, 'http-check expect status 200');
    assertHasLine(lines, `timeout check ${WEB_CHECK.timeoutS}s`);
    const ds = defaultServer(lines);
    assert.equal(after(ds, 'inter'), `${WEB_CHECK.interS}s`);
    assert.equal(after(ds, 'fastinter'), `${WEB_CHECK.fastinterMs}ms`);
    assert.equal(after(ds, 'fall'), String(WEB_CHECK.fall));
    assert.equal(after(ds, 'rise'), String(WEB_CHECK.rise));
    assert.deepEqual(WEB_CHECK, { interS: 1, fastinterMs: 500, fall: 2, rise: 2, timeoutS: 1 });
  });
  test('a new node starts slowly and the least busy node gets the next request', () => {
    assert.equal(after(defaultServer(web()), 'slowstart'), '10s');
    assertHasLine(web(), 'balance leastconn');
  });
  test('node names resolve through Docker at run time: a node not there yet does not stop HAProxy', () => {
    const ds = defaultServer(web());
    assert.equal(after(ds, 'resolvers'), 'docker');
    assert.equal(after(ds, 'init-addr'), 'last,libc,none');
    assertHasLine(section(haproxySections(render(NODES)), 'resolvers docker'), 'nameserver dns 127.0.0.11:53');
  });
  test('a dead node is found by TCP keepalive in about 3 s, whatever the request', () => {
    const lines = web();
    for (const l of ['option srvtcpka', 'srvtcpka-idle 1s', 'srvtcpka-intvl 1s', 'srvtcpka-cnt 2']) assert.ok(lines.includes(l), l);
  });
});

describe('requests per node: four per PHP-FPM worker, the rest wait in the queue', () => {
  test('maxconn follows web.fpmWorkers', () => {
    for (const fpmWorkers of [1, 8, 13]) {
      const spec = devSpec({ web: { fpmWorkers, memory: '4Gi' } });
      assert.equal(lbConfigFor(spec, NODES).maxConnPerServer, fpmWorkers * 4);
      const cfg = lbConfigFile(spec, NODES, 99).content;
      assert.equal(after(defaultServer(section(haproxySections(cfg), 'backend web')), 'maxconn'), String(fpmWorkers * 4));
    }
  });
  test('a queued request waits at most 30 s', () => {
    assertHasLine(section(haproxySections(render(NODES)), 'defaults'), 'timeout queue 30s');
  });
});

describe('retries', () => {
  const defaults = section(haproxySections(render(NODES)), 'defaults');
  test('a failed connection or an empty response is retried, up to 3 times, on another node', () => {
    assertHasLine(defaults, 'retries 3');
    assertHasLine(defaults, 'option redispatch 1');
    assertHasLine(defaults, 'retry-on conn-failure empty-response');
  });
  test('never a POST: its node may have acted on it', () => {
    assertHasLine(web(), 'http-request disable-l7-retry if METH_POST');
  });
});

describe('the front end', () => {
  const http = section(haproxySections(render(NODES)), 'frontend http');
  test('listens on the load balancer port and sends everything to the web backend', () => {
    assertHasLine(http, `bind :${LB_PORT}`);
    assert.equal(LB_PORT, 8080);
    assertHasLine(http, 'default_backend web');
  });
  test('after a reload the old process answers an idle client once more, with Connection: close (idle-close-on-response)', () => {
    assertHasLine(http, 'option idle-close-on-response');
    assertHasLine(section(haproxySections(render(NODES)), 'global'), 'master-worker', 'global (reloads by SIGUSR2 need master-worker)');
  });
  test("tells the node the client's address and scheme", () => {
    assertHasLine(http, 'option forwardfor');
    assertHasLine(http, 'http-request set-header X-Forwarded-Proto http');
  });
});

describe('stats and the runtime API', () => {
  const sections = haproxySections(render(NODES));
  test('a stats page on its own port, for `status`, with a health answer of its own', () => {
    const stats = section(sections, 'frontend stats');
    assertHasLine(stats, `bind :${LB_STATS_PORT}`);
    assertHasLine(stats, 'stats uri /stats');
    assertHasLine(stats, 'http-request return status 200 content-type text/plain string ok if { path /healthz }');
  });
  test('the admin socket is a file (mode 600) where lb-runtime talks to it, not a port', () => {
    const socket = section(sections, 'global')
      .find((l) => l.startsWith('stats socket '))!
      .split(/\s+/);
    assert.equal(socket[2], LB_ADMIN_SOCKET);
    assert.equal(after(socket, 'mode'), '600');
    assert.equal(after(socket, 'level'), 'admin');
  });
  test('only the http and stats front ends listen', () => {
    const binds = [...sections.values()].flat().filter((l) => l.startsWith('bind '));
    assert.deepEqual(binds, [`bind :${LB_PORT}`, `bind :${LB_STATS_PORT}`]);
  });
});

describe('the load balancer container', () => {
  test('publishes the site on ports.bind and the stats page on 127.0.0.1 only, whatever ports.bind is', () => {
    const spec = devSpec({ ports: { http: 18080, stats: 18404, bind: '0.0.0.0' } });
    assert.deepEqual(lbContainer(spec, TAGS, 2, 99).ports, [
      { container: LB_PORT, host: 18080, bind: '0.0.0.0' },
      { container: LB_STATS_PORT, host: 18404, bind: '127.0.0.1' },
    ]);
  });
  test('its configuration lists the first N web nodes and is a live file (a change reloads it, never recreates the container)', () => {
    const spec = haSpec();
    const lb = lbContainer(spec, TAGS, 3, 99);
    assert.equal(lb.files, undefined);
    assert.equal(lb.liveFiles?.length, 1);
    const f = lb.liveFiles![0]!;
    assert.deepEqual({ name: f.name, mode: f.mode, uid: f.uid, gid: f.gid }, { name: LB_CONFIG_PATH, mode: 0o644, uid: 99, gid: 99 });
    assert.equal(f.content, renderHaproxyConfig(lbConfigFor(spec, webNodeNames(spec, 3))));
    assert.deepEqual(
      section(haproxySections(f.content), 'backend web')
        .filter((l) => l.startsWith('server '))
        .map((l) => l.split(' ')[1]),
      NODES,
    );
  });
  test('runs the haproxy image as campus-lb on the cluster network', () => {
    const lb = lbContainer(devSpec(), TAGS, 1, 99);
    assert.deepEqual([lb.name, lb.service, lb.image, lb.network, lb.cluster], ['campus-lb', 'lb', TAGS.haproxy, 'campus-net', 'campus']);
  });
});

describe('logging: every request to a ring in memory, only errors to stderr (each stderr line costs the Docker daemon)', () => {
  const sections = haproxySections(render(NODES));
  test('every request is logged at info to the ring, errors at err', () => {
    const defaults = section(sections, 'defaults');
    for (const line of ['log global', 'option httplog', 'option log-separate-errors']) assertHasLine(defaults, line, 'defaults');
  });
  test('stderr takes notice and worse; the ring takes info', () => {
    const global = section(sections, 'global');
    assertHasLine(global, 'log stderr format raw local0 notice', 'global');
    assertHasLine(global, `log ring@${LB_REQUEST_LOG} local0 info`, 'global');
    const ring = section(sections, `ring ${LB_REQUEST_LOG}`);
    assertHasLine(ring, `size ${LB_REQUEST_LOG_BYTES}`, `ring ${LB_REQUEST_LOG}`);
  });
});
