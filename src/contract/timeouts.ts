// Every timeout between a viewer and the database, in one place: the runtime image's own (baked
// into its nginx, PHP-FPM and PHP configuration; a test reads them back from the files) and the
// ones the platform in front must be given so the chain holds. The CDK app sets CloudFront's and
// the ALB's from `timeoutChain`, the image's variables come from it on both targets, and
// docs/aws.md's table is rendered from it (a test keeps the table current).
//
// The rules, each guarding against a failure users would see:
//  1. A proxy never reuses an idle connection the server behind it may already have closed: each
//     hop's idle keep-alive is shorter than the next one's (else sporadic 502s).
//  2. Whoever is closest to the work ends it first: PHP-FPM ends a runaway request before nginx
//     stops waiting for it, so the worker is freed and the user gets an answer.
//  3. A request waiting for its session lock gives up before the edge does, so the user sees
//     Moodle's "session busy" page, not a gateway timeout.
//  4. A session lock outlives the longest request that may hold it, so no two requests of one
//     user ever hold it at once.
import { CLOUDFRONT_ORIGIN_READ_DEFAULT_MAX, CLOUDFRONT_ORIGIN_READ_MAX } from '../spec/limits.ts';

/** The image's fixed timeouts, in seconds. */
export const IMAGE_TIMEOUTS = {
  /** Wall-clock limit of one web request: PHP-FPM request_terminate_timeout (and PHP max_execution_time, which counts CPU). */
  request: 300,
  /** nginx fastcgi_read_timeout: how long nginx waits for PHP's output. */
  fastcgiRead: 310,
  /** Moodle's Redis session lock lifetime (session_redis_lock_expire). */
  sessionLockExpire: 330,
  /** Database connect timeout (Moodle's dboptions connecttimeout, readiness and migrate). */
  databaseConnect: 3,
  /** Longest wait for one database answer in a web request (mysqlnd.net_read_timeout of the users' PHP-FPM pool; cron and migrate have none). */
  databaseRead: 60,
  /** Redis connect and read timeout (Moodle uses one value for both: sessions, caches). */
  redisConnect: 2,
  /** Connection attempts before a request's session start gives up (session_redis_max_retries; 0.1-0.5 s apart). */
  redisSessionTries: 2,
  /**
   * How long a session start, or a command whose kept connection was cut, goes on trying while
   * its tries fail at once rather than time out ($CFG->moodleha_redis_failover_wait;
   * session-handler.php, kept-redis.php): a killed primary refuses connections until Sentinel
   * promotes the replica and the endpoint follows it. Measured locally: promoted after 4.1-4.5 s,
   * pages whose session start failed from 2.3 to 5.9 s after the kill (14 failed in the
   * cache-primary-loss drill with 2 tries). Tries that time out still stop at redisSessionTries:
   * a stalled server is not waited for longer than before.
   */
  redisFailoverWait: 8,
  /** The load balancer's check (/healthz) is answered by its own PHP-FPM pool within this (its request_terminate_timeout). */
  healthAnswer: 5,
  /**
   * Longest a starting web node holds itself out of the load balancer to warm its caches (OPcache
   * from the cluster's hot list, strings, the first pages' CSS and JavaScript; warm-node.php). The
   * ALB marks a new target unhealthy after 3 failed checks 10 s apart: the warm-up ends before that.
   */
  warmUp: 20,
} as const;

/**
 * Longest a request waits for Redis to start its session: every try times out, with a pause of up
 * to 0.5 s between tries; or tries fail at once for the failover wait, and then one times out.
 */
export const redisSessionStartMaxSeconds = Math.max(
  IMAGE_TIMEOUTS.redisSessionTries * IMAGE_TIMEOUTS.redisConnect + (IMAGE_TIMEOUTS.redisSessionTries - 1) * 0.5,
  IMAGE_TIMEOUTS.redisFailoverWait + 0.5 + IMAGE_TIMEOUTS.redisConnect,
);

export interface ChainInput {
  /** CloudFront in front, with this origin response timeout (seconds). @default - no CloudFront */
  readonly cloudFrontOriginRead?: number;
}

export interface TimeoutChain {
  /** CloudFront: origin response timeout and origin keep-alive (absent without CloudFront). */
  readonly cloudFront?: { readonly originRead: number; readonly originKeepalive: number };
  /** The load balancer's idle timeout (ALB idle_timeout.timeout_seconds). */
  readonly loadBalancerIdle: number;
  /** nginx keepalive_timeout of the web containers (MOODLE_KEEPALIVE_TIMEOUT). */
  readonly webKeepalive: number;
  /** Seconds a request waits for its session lock (MOODLE_SESSION_LOCK_WAIT). */
  readonly sessionLockWait: number;
}

export interface TimeoutHop {
  readonly hop: string;
  readonly setting: string;
  readonly seconds: number;
  /** What it must be, and why. */
  readonly rule: string;
}

/** The platform timeouts a deployment uses, derived from the image's. */
export function timeoutChain(input: ChainInput = {}): TimeoutChain {
  const read = input.cloudFrontOriginRead;
  if (read === undefined) {
    // No edge: the load balancer waits as long as nginx waits for PHP.
    const idle = IMAGE_TIMEOUTS.fastcgiRead + 5;
    return { loadBalancerIdle: idle, webKeepalive: idle + 10, sessionLockWait: 120 };
  }
  const idle = read + 5;
  return {
    cloudFront: { originRead: read, originKeepalive: Math.min(30, idle - 5) },
    loadBalancerIdle: idle,
    webKeepalive: idle + 10,
    sessionLockWait: read - 10,
  };
}

/** Every hop of the chain with its rule, viewer first. */
export function timeoutHops(c: TimeoutChain): TimeoutHop[] {
  const t = IMAGE_TIMEOUTS;
  const hops: TimeoutHop[] = [];
  if (c.cloudFront) {
    hops.push(
      {
        hop: 'viewer → CloudFront',
        setting: 'origin response timeout',
        seconds: c.cloudFront.originRead,
        rule: `the longest silence CloudFront allows the origin; at most ${CLOUDFRONT_ORIGIN_READ_DEFAULT_MAX} s without a quota increase (${CLOUDFRONT_ORIGIN_READ_MAX} s with)`,
      },
      {
        hop: 'CloudFront → ALB',
        setting: 'origin keep-alive timeout',
        seconds: c.cloudFront.originKeepalive,
        rule: 'shorter than the ALB idle timeout: CloudFront never reuses a connection the ALB closed',
      },
    );
  }
  hops.push(
    {
      hop: c.cloudFront ? 'ALB' : 'viewer → ALB',
      setting: 'idle timeout',
      seconds: c.loadBalancerIdle,
      rule: c.cloudFront
        ? 'longer than the origin response timeout: CloudFront, not the ALB, ends a silent request'
        : 'longer than nginx waits for PHP: nginx, not the ALB, ends a silent request',
    },
    {
      hop: 'ALB → nginx',
      setting: 'nginx keepalive_timeout',
      seconds: c.webKeepalive,
      rule: 'longer than the ALB idle timeout: the ALB never reuses a connection nginx closed (else 502s)',
    },
    {
      hop: 'nginx → PHP-FPM',
      setting: 'fastcgi_read_timeout',
      seconds: t.fastcgiRead,
      rule: 'longer than the request limit: PHP-FPM ends a runaway request and nginx still answers',
    },
    {
      hop: 'PHP-FPM',
      setting: 'request_terminate_timeout (wall clock; max_execution_time counts CPU)',
      seconds: t.request,
      rule: 'the longest a web request runs',
    },
    {
      hop: 'PHP → Redis (session)',
      setting: 'session lock wait (session_redis_acquire_lock_timeout)',
      seconds: c.sessionLockWait,
      rule: c.cloudFront
        ? 'shorter than the origin response timeout: Moodle says "session busy" before CloudFront says 504'
        : 'shorter than the ALB idle timeout',
    },
    {
      hop: 'PHP → Redis (session)',
      setting: 'session lock lifetime (session_redis_lock_expire)',
      seconds: t.sessionLockExpire,
      rule: 'longer than the request limit: a lock outlives its holder, so no two requests of a user hold it',
    },
    { hop: 'PHP → database', setting: 'connect timeout', seconds: t.databaseConnect, rule: 'short: a failed-over writer is retried on the next request' },
    {
      hop: 'PHP → database',
      setting: 'read timeout of a web request (mysqlnd.net_read_timeout)',
      seconds: t.databaseRead,
      rule: 'shorter than the request limit: a stalled database frees the worker with an error page before PHP-FPM kills it',
    },
    {
      hop: 'PHP → Redis',
      setting: 'connect and read timeout',
      seconds: t.redisConnect,
      rule: `short: a stalled primary costs a request ${t.redisSessionTries} tries to start its session; a killed one, tries until the endpoint follows the promoted replica (at most ${t.redisFailoverWait} s); in all at most ${redisSessionStartMaxSeconds} s`,
    },
    {
      hop: 'load balancer → PHP-FPM',
      setting: 'health check answer (/healthz, its own pool)',
      seconds: t.healthAnswer,
      rule: "at most the ALB's health check timeout; its pool never waits behind users' requests, so a stall of Redis or the database never marks every node down",
    },
  );
  return hops;
}

/** The rules above that a chain breaks (empty when it holds). */
export function chainProblems(c: TimeoutChain): string[] {
  const t = IMAGE_TIMEOUTS;
  const p: string[] = [];
  const edge = c.cloudFront?.originRead;
  if (c.cloudFront && c.cloudFront.originKeepalive >= c.loadBalancerIdle)
    p.push(`CloudFront's origin keep-alive (${c.cloudFront.originKeepalive} s) must be shorter than the ALB idle timeout (${c.loadBalancerIdle} s)`);
  if (edge !== undefined && edge > CLOUDFRONT_ORIGIN_READ_MAX)
    p.push(`CloudFront's origin response timeout is at most ${CLOUDFRONT_ORIGIN_READ_MAX} s, got ${edge}`);
  if (edge !== undefined && c.loadBalancerIdle <= edge)
    p.push(`the ALB idle timeout (${c.loadBalancerIdle} s) must be longer than CloudFront's origin response timeout (${edge} s)`);
  if (c.webKeepalive <= c.loadBalancerIdle)
    p.push(`nginx keepalive_timeout (${c.webKeepalive} s) must be longer than the load balancer's idle timeout (${c.loadBalancerIdle} s)`);
  if (t.fastcgiRead <= t.request) p.push(`nginx fastcgi_read_timeout (${t.fastcgiRead} s) must be longer than the request limit (${t.request} s)`);
  if (c.sessionLockWait >= (edge ?? c.loadBalancerIdle))
    p.push(
      `the session lock wait (${c.sessionLockWait} s) must be shorter than ${edge !== undefined ? "CloudFront's origin response timeout" : 'the load balancer idle timeout'} (${edge ?? c.loadBalancerIdle} s)`,
    );
  if (t.databaseRead >= t.request) p.push(`the database read timeout (${t.databaseRead} s) must be shorter than the request limit (${t.request} s)`);
  if (redisSessionStartMaxSeconds >= t.request)
    p.push(`a session start may wait ${redisSessionStartMaxSeconds} s for Redis: more than the request limit (${t.request} s)`);
  if (t.sessionLockExpire <= t.request) p.push(`the session lock lifetime (${t.sessionLockExpire} s) must be longer than the request limit (${t.request} s)`);
  return p;
}
