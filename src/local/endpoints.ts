// HAProxy configuration of the ha profile's endpoints container: one name for the database writer,
// one for its reader, one for the sessions' Redis primary and one for the caches' Redis primary,
// each following failover.
//  - DB: all writes to one Galera node ("first" balance, stuck with a one-entry stick table so a
//    recovered node does not take writes back); a node counts when it is Synced (port 9200).
//  - DB reader (DB_READER_PORT): Moodle's read-only queries, spread over the members the writer
//    does not prefer; the writer's first choice is only a backup. A member counts while Synced or
//    while it donates a state transfer (it serves reads meanwhile). After a failover the writer
//    stays stuck on another member, which then takes reads too (Galera serves both).
//  - Redis: the node that says role:master (Sentinel promotes a replica when the primary fails),
//    "first" balance and stuck like the DB: a restarted old primary says role:master for a few
//    seconds until Sentinel demotes it, and must not get connections meanwhile.
// An admin socket (ENDPOINTS_ADMIN_SOCKET) lets the data tier's rolling restart (roll-data-docker.ts)
// read which node is the writer (the stick table) and move the writer off a node before it restarts.
import type { Spec } from '../spec/schema.ts';
import { clusterNames } from './names.ts';

export interface EndpointsConfig {
  readonly dbNodes: readonly string[];
  readonly redisNodes: readonly string[];
  readonly cacheNodes: readonly string[];
  readonly redisPassword: string;
}

export const DB_PORT = 3306;
/** The reader endpoint's port on the endpoints container (one address serves every endpoint name). */
export const DB_READER_PORT = 3307;
export const REDIS_PORT = 6379;
/** The caches' primary endpoint port on the endpoints container (6379 is the sessions'). */
export const CACHE_ENDPOINT_PORT = 6380;
/** The endpoints' HAProxy runtime API, inside its container (the image makes /run/haproxy). */
export const ENDPOINTS_ADMIN_SOCKET = '/run/haproxy/admin.sock';
/** The endpoints container's secrets (the Redis password, for the planned failover run there). */
export const ENDPOINTS_SECRETS = '/run/haproxy/secrets';

/** Where the runtime containers find the caches' Redis primary. */
export function cacheEndpoint(spec: Spec): { host: string; port: number } {
  return { host: clusterNames(spec.name).cachePrimary, port: spec.profile === 'ha' ? CACHE_ENDPOINT_PORT : REDIS_PORT };
}

/**
 * Seconds a Galera member's :9200 check may take to answer once connected. When galera-check
 * started a bash and a mariadb client per check, on CI's busy 2-core machine (load average 16-28,
 * every process start costing 6-10 ms of CPU) its answers took 0.6-0.8 s and, now and then, more
 * than the 2 s of the other checks: members that were Synced went DOWN with "Layer7 timeout" (every
 * member in turn, "1 active left"), and users got "Database connection failed" in a roll that did
 * not touch the database. It is one process with a kept connection now (its query may take 3 s),
 * and a busy machine still delays its answers. A member that is killed or gone still fails at once
 * (its connect fails), and one that is not Synced answers 503 at once; only a member that hangs is
 * marked down later.
 */
export const GALERA_CHECK_TIMEOUT_S = 5;

export function renderEndpointsConfig(c: EndpointsConfig): string {
  const db = c.dbNodes.map((s) => `    server ${s} ${s}:${DB_PORT} check`).join('\n');
  // The writer's first choice (the "first" balance above) reads only when no other member is up.
  const reader = c.dbNodes.map((s, i) => `    server ${s} ${s}:${DB_PORT} check${i === 0 && c.dbNodes.length > 1 ? ' backup' : ''}`).join('\n');
  const redis = c.redisNodes.map((s) => `    server ${s} ${s}:${REDIS_PORT} check`).join('\n');
  const cache = c.cacheNodes.map((s) => `    server ${s} ${s}:${REDIS_PORT} check`).join('\n');
  // A Galera member counts when its :9200 check says so (images/mariadb/galera-check): Synced for
  // the writer; Synced or an IST donor (desynced for seconds, serving reads) for the reader.
  const galeraCheck = (path: '/' | '/reader') => `    option httpchk GET ${path}
    http-check expect status 200
    timeout check ${GALERA_CHECK_TIMEOUT_S}s
    default-server port 9200 inter 1s fall 2 rise 3 on-marked-down shutdown-sessions resolvers docker init-addr last,libc,none`;
  const primaryCheck = `    balance first
    stick-table type integer size 1 expire 24d
    stick on int(1)
    option tcp-check
    tcp-check connect
    tcp-check send "AUTH ${c.redisPassword.replace(/"/g, '\\"')}\\r\\n"
    tcp-check expect string +OK
    tcp-check send "INFO replication\\r\\n"
    tcp-check expect string role:master
    tcp-check send "QUIT\\r\\n"
    tcp-check expect string +OK
    default-server inter 1s fall 1 rise 2 on-marked-down shutdown-sessions resolvers docker init-addr last,libc,none`;
  return `# Written by moodle-ha; do not edit.
global
    master-worker
    maxconn 4096
    log stderr format raw local0 notice
    stats socket ${ENDPOINTS_ADMIN_SOCKET} mode 600 level admin

defaults
    mode tcp
    log global
    timeout connect 2s
    timeout client 8h
    timeout server 8h
    timeout check 2s

resolvers docker
    nameserver dns 127.0.0.11:53
    hold valid 2s
    hold obsolete 5s

frontend db_writer
    bind :${DB_PORT}
    default_backend db

backend db
    balance first
    stick-table type integer size 1 expire 24d
    stick on int(1)
${galeraCheck('/')}
${db}

frontend db_reader
    bind :${DB_READER_PORT}
    default_backend db_read

backend db_read
    balance roundrobin
${galeraCheck('/reader')}
${reader}

frontend redis_primary
    bind :${REDIS_PORT}
    default_backend redis

backend redis
${primaryCheck}
${redis}

frontend cache_primary
    bind :${CACHE_ENDPOINT_PORT}
    default_backend cache

backend cache
${primaryCheck}
${cache}
`;
}
