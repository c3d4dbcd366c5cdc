// The timeout chain (src/contract/timeouts.ts): its rules hold for the values the targets use, each
// rule catches what it guards against, and the image's files carry the image's timeouts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ENV_CONTRACT } from '../../src/contract/env.ts';
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { chainProblems, IMAGE_TIMEOUTS, timeoutChain, timeoutHops } from '../../src/contract/timeouts.ts';
import { renderHaproxyConfig } from '../../src/local/haproxy.ts';
import { AWS_DOC_FILE } from '../../scripts/waf-doc.ts';
import { currentTimeoutsDoc, renderTimeoutsDoc } from '../../scripts/timeouts-doc.ts';

const ROOTFS = join(import.meta.dirname, '..', '..', 'images', 'runtime', 'rootfs');
const file = (p: string) => readFileSync(join(ROOTFS, p), 'utf8');
const number = (text: string, re: RegExp, what: string) => {
  const m = re.exec(text);
  assert.ok(m, `${what} not found`);
  return Number(m[1]);
};

describe('timeout chain', () => {
  for (const read of [undefined, 30, 60, 120, 180]) {
    test(`holds with ${read === undefined ? 'no CloudFront' : `CloudFront waiting ${read} s`}`, () => {
      const c = timeoutChain({ cloudFrontOriginRead: read });
      assert.deepEqual(chainProblems(c), []);
      assert.ok(c.webKeepalive > c.loadBalancerIdle);
      if (c.cloudFront) assert.ok(c.cloudFront.originKeepalive < c.loadBalancerIdle && c.sessionLockWait < c.cloudFront.originRead);
    });
  }
  test('each rule catches its failure', () => {
    const good = timeoutChain({ cloudFrontOriginRead: 60 });
    assert.match(
      chainProblems({ ...good, webKeepalive: good.loadBalancerIdle }).join(),
      /nginx keepalive_timeout .* must be longer than the load balancer's idle timeout/,
    );
    assert.match(
      chainProblems({ ...good, cloudFront: { originRead: 60, originKeepalive: good.loadBalancerIdle } }).join(),
      /origin keep-alive .* must be shorter than the ALB idle timeout/,
    );
    assert.match(chainProblems({ ...good, sessionLockWait: 60 }).join(), /session lock wait .* must be shorter than CloudFront's origin response timeout/);
    assert.match(chainProblems({ ...good, loadBalancerIdle: 60, webKeepalive: 70 }).join(), /ALB idle timeout .* must be longer than CloudFront's/);
    assert.match(chainProblems(timeoutChain({ cloudFrontOriginRead: 200 })).join(), /at most 180 s/);
  });
  test('the table has every hop, viewer first, with a rule each', () => {
    const hops = timeoutHops(timeoutChain({ cloudFrontOriginRead: 60 }));
    assert.equal(hops[0]!.hop, 'viewer → CloudFront');
    assert.ok(hops.some((h) => h.setting === 'nginx keepalive_timeout'));
    for (const h of hops) assert.ok(h.rule.length > 10 && h.seconds > 0, JSON.stringify(h));
  });
  test("the contract's defaults are the chain's values without CloudFront (the local cluster)", () => {
    const c = timeoutChain();
    const def = (n: string) => ENV_CONTRACT.find((v) => v.name === n)!.default;
    assert.equal(def('MOODLE_KEEPALIVE_TIMEOUT'), String(c.webKeepalive));
    assert.equal(def('MOODLE_SESSION_LOCK_WAIT'), String(c.sessionLockWait));
  });
});

describe("the image's files carry the image's timeouts and sizes", () => {
  test('nginx waits for PHP fastcgiRead seconds', () => {
    assert.equal(
      number(file('etc/nginx/nginx.conf'), /location ~ \[\^\/\]\\\.php[\s\S]*?fastcgi_read_timeout (\d+)s;/, 'fastcgi_read_timeout of the PHP location'),
      IMAGE_TIMEOUTS.fastcgiRead,
    );
  });
  test('PHP-FPM ends a request after `request` seconds (wall clock), PHP after as many CPU seconds', () => {
    assert.equal(
      number(file('usr/local/bin/moodle-ha-render-config'), /request_terminate_timeout = (\d+)s/, 'request_terminate_timeout'),
      IMAGE_TIMEOUTS.request,
    );
    assert.equal(number(file('etc/moodle-ha/php.ini'), /^max_execution_time = (\d+)$/m, 'max_execution_time'), IMAGE_TIMEOUTS.request);
  });
  test("a session lock lives sessionLockExpire seconds; Moodle connects with the chain's timeouts", () => {
    assert.equal(
      number(file('opt/moodle-ha/php/session.php'), /MH_SESSION_LOCK_EXPIRE_S = (\d+);/, 'MH_SESSION_LOCK_EXPIRE_S'),
      IMAGE_TIMEOUTS.sessionLockExpire,
    );
    const config = file('opt/moodle-ha/php/config.php');
    assert.equal(number(config, /'connecttimeout' => (\d+)/, 'dboptions connecttimeout'), IMAGE_TIMEOUTS.databaseConnect);
    assert.equal(number(config, /session_redis_connection_timeout = (\d+);/, 'session_redis_connection_timeout'), IMAGE_TIMEOUTS.redisConnect);
    assert.equal(number(config, /session_redis_max_retries = (\d+);/, 'session_redis_max_retries'), IMAGE_TIMEOUTS.redisSessionTries);
    assert.equal(number(config, /moodleha_redis_failover_wait = (\d+);/, 'moodleha_redis_failover_wait'), IMAGE_TIMEOUTS.redisFailoverWait);
    assert.equal(
      number(file('opt/moodle-ha/php/configure.php'), /'connectiontimeout' => (\d+)/, "the MUC store's connectiontimeout"),
      IMAGE_TIMEOUTS.redisConnect,
    );
  });
  test("the users' pool waits databaseRead seconds for the database; cron and migrate (CLI) have no such limit", () => {
    const render = file('usr/local/bin/moodle-ha-render-config');
    const users = /\[moodle\]([\s\S]*?)\n\[/.exec(render)?.[1] ?? '';
    assert.equal(
      number(users, /php_admin_value\[mysqlnd\.net_read_timeout\] = (\d+)/, "the users' pool's mysqlnd.net_read_timeout"),
      IMAGE_TIMEOUTS.databaseRead,
    );
    assert.doesNotMatch(file('etc/moodle-ha/php.ini'), /net_read_timeout/);
  });
  test('/healthz has its own pool that ends a request after healthAnswer seconds; the ALB waits as long', () => {
    const render = file('usr/local/bin/moodle-ha-render-config');
    const health = /\[health\]([\s\S]*?)\n\[/.exec(render)?.[1] ?? '';
    assert.match(health, /ping\.path = \/healthz/);
    assert.equal(number(health, /request_terminate_timeout = (\d+)s/, "the health pool's request_terminate_timeout"), IMAGE_TIMEOUTS.healthAnswer);
    assert.equal(
      number(file('etc/nginx/nginx.conf'), /location = \/healthz \{[^}]*fastcgi_read_timeout (\d+)s;/, 'fastcgi_read_timeout of /healthz'),
      IMAGE_TIMEOUTS.healthAnswer,
    );
    assert.match(
      readFileSync(join(import.meta.dirname, '..', '..', 'src', 'aws', 'loadbalancer', 'load-balancer.ts'), 'utf8'),
      /timeout: Duration\.seconds\(IMAGE_TIMEOUTS\.healthAnswer\)/,
    );
  });
  test('a starting node warms for at most warmUp seconds (the image default), fewer than the ALB takes to call a new target unhealthy', () => {
    assert.equal(
      number(file('opt/moodle-ha/php/warm-node.php'), /mh_env\('MOODLE_WARM_SECONDS', '(\d+)'\)/, "warm-node.php's default budget"),
      IMAGE_TIMEOUTS.warmUp,
    );
    const lb = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'aws', 'loadbalancer', 'load-balancer.ts'), 'utf8');
    const interval = number(lb, /interval: Duration\.seconds\((\d+)\)/, "the target group's check interval");
    const unhealthy = number(lb, /unhealthyThresholdCount: (\d+)/, "the target group's unhealthy threshold");
    assert.ok(IMAGE_TIMEOUTS.warmUp < interval * unhealthy, `warmUp ${IMAGE_TIMEOUTS.warmUp} s must end before ${unhealthy} checks ${interval} s apart fail`);
    assert.match(file('etc/nginx/nginx.conf'), /location = \/healthz \{[\s\S]*?if \(-f \/run\/moodle-ha\/warming\) \{ return 503/);
  });
  test("OPcache's memory is the contract's", () => {
    assert.equal(number(file('etc/moodle-ha/php.ini'), /^opcache\.memory_consumption = (\d+)$/m, 'opcache.memory_consumption'), RUNTIME_IMAGE.opcacheMiB);
  });
  test("APCu's memory is the contract's", () => {
    assert.equal(number(file('etc/moodle-ha/php.ini'), /^apc\.shm_size = (\d+)M$/m, 'apc.shm_size'), RUNTIME_IMAGE.apcuMiB);
  });
  test('keep-alive comes from MOODLE_KEEPALIVE_TIMEOUT (nginx.conf sets none of its own)', () => {
    assert.doesNotMatch(file('etc/nginx/nginx.conf'), /^\s*keepalive_timeout/m);
    assert.match(file('usr/local/bin/moodle-ha-render-config'), /echo "keepalive_timeout \$\{keepalive\}s;"/);
  });
});

describe('the local load balancer and docs/aws.md follow the chain', () => {
  test("HAProxy waits for a web node as long as the chain's load balancer does (longer than nginx waits for PHP)", () => {
    const cfg = renderHaproxyConfig({ servers: ['w1'], maxConnPerServer: 32 });
    assert.equal(number(cfg, /timeout server (\d+)s/, 'timeout server'), timeoutChain().loadBalancerIdle);
  });
  test('the table in docs/aws.md is what scripts/gen-docs.ts generates (run "npm run docs")', () => {
    assert.equal(currentTimeoutsDoc(readFileSync(AWS_DOC_FILE, 'utf8')), renderTimeoutsDoc());
  });
});
