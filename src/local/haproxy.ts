// HAProxy configuration of the local cluster: the one published entry point. Active health checks
// on /healthz, retries and redispatch, slow start, stats for `status` and the autoscaler.
import { RUNTIME_IMAGE } from '../contract/image.ts';

export interface LbConfig {
  /** Web containers' names on the cluster network. */
  readonly servers: readonly string[];
  readonly maxConnPerServer: number;
}

export const LB_PORT = 8080;
export const LB_STATS_PORT = 8404;

export function renderHaproxyConfig(c: LbConfig): string {
  const servers = c.servers.map((s) => `    server ${s} ${s}:${RUNTIME_IMAGE.port}`).join('\n');
  return `# Written by moodle-ha; do not edit (it is rewritten on every change).
global
    master-worker
    maxconn 4096
    log stderr format raw local0 notice
    stats socket /run/haproxy/admin.sock mode 600 level admin expose-fd listeners

defaults
    mode http
    log global
    option dontlognull
    timeout connect 3s
    timeout client 60s
    timeout server 310s
    timeout http-request 15s
    timeout queue 30s
    # A request that failed to reach a node is retried on another (safe: nothing was sent).
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

resolvers docker
    nameserver dns 127.0.0.11:53
    hold valid 2s
    hold obsolete 5s

frontend http
    bind :${LB_PORT}
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
    option httpchk GET ${RUNTIME_IMAGE.healthPath}
    http-check expect status 200
    default-server inter 2s fall 2 rise 2 slowstart 10s maxconn ${c.maxConnPerServer} resolvers docker init-addr last,libc,none check
${servers}
`;
}
