// HAProxy configuration of the local cluster: the one published entry point. Active health checks
// on /healthz, retries and redispatch, slow start, stats for `status` and the autoscaler.
import { RUNTIME_IMAGE } from '../contract/image.ts';
import { timeoutChain } from '../contract/timeouts.ts';
import type { Spec } from '../spec/schema.ts';
import type { ArchiveFile } from './archive.ts';

export interface LbConfig {
  /** Web containers' names on the cluster network. */
  readonly servers: readonly string[];
  readonly maxConnPerServer: number;
}

/**
 * The LB configuration for these web nodes: the one derivation from the spec, used when the LB is
 * created and when a running LB is reconfigured, so both write the same file. A node gets at most
 * four requests per PHP-FPM worker; more wait in HAProxy's queue (bounded by `timeout queue`).
 */
export function lbConfigFor(spec: Spec, servers: readonly string[]): LbConfig {
  return { servers, maxConnPerServer: spec.web.fpmWorkers * 4 };
}

/** How HAProxy checks the web nodes (rendered below; the web-loss drill reports them). */
export const WEB_CHECK = { interS: 1, fastinterMs: 500, fall: 2, rise: 2, timeoutS: 1 } as const;

export const LB_CONFIG_PATH = '/etc/haproxy/haproxy.cfg';

/** The configuration file of the LB container, as created and as rewritten when reconfigured. */
export function lbConfigFile(spec: Spec, servers: readonly string[], haproxyUid: number): ArchiveFile {
  return { name: LB_CONFIG_PATH, content: renderHaproxyConfig(lbConfigFor(spec, servers)), mode: 0o644, uid: haproxyUid, gid: haproxyUid };
}

export const LB_PORT = 8080;
export const LB_STATS_PORT = 8404;
/**
 * The request log: HAProxy's ring in memory, the newest requests (about 200 bytes a line), read
 * through the runtime API: `show events requests`.
 */
export const LB_REQUEST_LOG = 'requests';
export const LB_REQUEST_LOG_BYTES = 4 * 1024 * 1024;
/** HAProxy's runtime API (drain, counters), reached by `docker exec` (src/local/lb-runtime.ts). */
export const LB_ADMIN_SOCKET = '/run/haproxy/admin.sock';

export function renderHaproxyConfig(c: LbConfig): string {
  const servers = c.servers.map((s) => `    server ${s} ${s}:${RUNTIME_IMAGE.port}`).join('\n');
  return `# Written by moodle-ha; do not edit (it is rewritten on every change).
global
    master-worker
    maxconn 4096
    # Errors (and HAProxy's own notices) to stderr: \`moodle-ha logs lb\`. Every request to a ring
    # in memory, the cluster's request log: a line per request on stdout would cost the Docker
    # daemon CPU for each (the web nodes log only errors and slow requests, for the same reason).
    log stderr format raw local0 notice
    log ring@${LB_REQUEST_LOG} local0 info
    stats socket ${LB_ADMIN_SOCKET} mode 600 level admin expose-fd listeners

ring ${LB_REQUEST_LOG}
    description "every request through the load balancer, newest last"
    format raw
    maxlen 2048
    size ${LB_REQUEST_LOG_BYTES}

defaults
    mode http
    log global
    option dontlognull
    # A request line per request (info: the ring only); one that failed (a 5xx, a retry, an abort)
    # at err, so stderr has it too.
    option httplog
    option log-separate-errors
    # The nodes are on the cluster's own bridge: a live one completes a connect in well under a
    # millisecond, even when busy (the kernel answers). A connect that takes 1 s is to a node that
    # died (its address answers nothing), and the retry below goes to another one at once.
    timeout connect 1s
    timeout client 60s
    timeout server ${timeoutChain().loadBalancerIdle}s
    timeout http-request 15s
    timeout queue 30s
    # A request that failed to reach a node, or whose node closed or died before answering, is
    # retried on another node. Never a POST: its node may have acted on it before dying.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

resolvers docker
    nameserver dns 127.0.0.11:53
    hold valid 2s
    hold obsolete 5s

frontend http
    bind :${LB_PORT}
    # A reload (every scale) leaves the old process with the clients' idle keep-alive connections.
    # Closing them at once can cross a request already on its way (the client sees a reset; seen
    # once in the scale-in drill); with this the old process answers that next request, with
    # Connection: close, and closes then.
    option idle-close-on-response
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    default_backend web

frontend stats
    bind :${LB_STATS_PORT}
    stats enable
    stats uri /stats
    stats refresh 5s
    http-request return status 200 content-type text/plain string ok if { path /healthz }

backend web
    balance leastconn
    http-request disable-l7-retry if METH_POST
    # A node killed mid-request may vanish without closing its connections (seen with docker
    # kill: the request hung until the client gave up). TCP keepalive probes from 1 s idle find a
    # dead peer in about 3 s whatever the request's length, and the request is retried elsewhere.
    option srvtcpka
    srvtcpka-idle 1s
    srvtcpka-intvl 1s
    srvtcpka-cnt 2
    option httpchk GET ${RUNTIME_IMAGE.healthPath}
    http-check expect status 200
    # Checked every second; a check fails after 1 s without an answer (not the 3 s connect
    # timeout), and after a first failure the next comes 0.5 s later: a node that died is out of
    # rotation 1.5-3.5 s later. /healthz is PHP-FPM's ping page (no PHP script runs), answered by a
    # pool of its own: it never waits behind users' requests (a Redis stall never fails it).
    timeout check ${WEB_CHECK.timeoutS}s
    default-server inter ${WEB_CHECK.interS}s fastinter ${WEB_CHECK.fastinterMs}ms fall ${WEB_CHECK.fall} rise ${WEB_CHECK.rise} slowstart 10s maxconn ${c.maxConnPerServer} resolvers docker init-addr last,libc,none check
${servers}
`;
}
