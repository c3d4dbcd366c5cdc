// The cluster's steady state, checked before a drill starts and after it restored what it broke:
// every container running and healthy (Docker health checks: Galera Synced, Redis PONG), every
// web node's /readyz 200, HAProxy showing exactly the running web nodes, all UP; in the ha
// profile one Redis primary with its replica linked; and a real login through the load balancer.
import { exec, sleep } from '../../local/containers.ts';
import { clusterNames } from '../../local/names.ts';
import { clusterStatus } from '../../local/status.ts';
import type { Spec } from '../../spec/schema.ts';
import { HttpSession, keepAliveAgent, RequestBudget, type Target } from '../load/http.ts';
import { follow } from '../load/journey.ts';
import { isLoggedIn, loginToken } from '../load/moodle-pages.ts';
import type { SteadyStateReport } from './result.ts';

export interface ProbeUser { readonly username: string; readonly password: string }

export async function checkSteadyState(spec: Spec, target: Target, user: ProbeUser): Promise<{ ok: boolean; problems: string[] }> {
  const problems: string[] = [];
  const { services, lb } = await clusterStatus(spec);
  const live = services.filter((s) => s.service !== 'migrate');
  if (!live.length) problems.push(`cluster "${spec.name}" has no containers: start it with "moodle-ha up"`);
  for (const s of live) {
    if (s.state !== 'running') problems.push(`${s.name} is ${s.state}`);
    else if (!['healthy', 'ready', '-'].includes(s.health)) problems.push(`${s.name}: ${s.health}`);
  }
  const web = live.filter((s) => s.service === 'web' && s.state === 'running').map((s) => s.name).sort();
  if (typeof lb === 'string') problems.push(`HAProxy: ${lb}`);
  else {
    const servers = lb.map((s) => s.server).sort();
    if (servers.join() !== web.join()) problems.push(`HAProxy balances ${servers.join(', ') || 'nothing'}, the running web nodes are ${web.join(', ') || 'none'}`);
    for (const s of lb) if (s.status !== 'UP') problems.push(`HAProxy shows ${s.server} ${s.status}`);
  }
  if (spec.profile === 'ha') problems.push(...(await redisReplication(spec)));
  const login = await tryLogin(target, user).catch((e: Error) => `login failed: ${e.message}`);
  if (login !== true) problems.push(login);
  return { ok: problems.length === 0, problems };
}

/** Polls the steady state every 2 s until it holds or `timeoutMs` passed; the last check is returned. */
export async function waitSteadyState(spec: Spec, target: Target, user: ProbeUser, timeoutMs: number): Promise<SteadyStateReport> {
  const t0 = Date.now();
  for (;;) {
    const r = await checkSteadyState(spec, target, user).catch((e: Error) => ({ ok: false, problems: [`check failed: ${e.message}`] }));
    const waitedSeconds = Math.round((Date.now() - t0) / 100) / 10;
    if (r.ok || Date.now() - t0 >= timeoutMs) return { ...r, waitedSeconds };
    await sleep(2000);
  }
}

const REDIS_INFO = ['sh', '-c', 'REDISCLI_AUTH="$(cat /run/redis/secrets/redis-password)" redis-cli info replication'];

/** Redis roles of the ha profile's nodes, e.g. { "x-redis-1": "master", "x-redis-2": "slave" }. */
export async function redisRoles(spec: Spec, nodes = 2): Promise<Record<string, string>> {
  const n = clusterNames(spec.name);
  const roles: Record<string, string> = {};
  for (let i = 1; i <= nodes; i++) {
    const name = n.container('redis', i);
    const out = await exec(name, REDIS_INFO).then((r) => r.output).catch(() => '');
    roles[name] = /role:(\w+)/.exec(out)?.[1] ?? 'unreachable';
    if (roles[name] === 'slave' && !/master_link_status:up/.test(out)) roles[name] = 'slave (link down)';
  }
  return roles;
}

async function redisReplication(spec: Spec): Promise<string[]> {
  const roles = await redisRoles(spec);
  const masters = Object.values(roles).filter((r) => r === 'master').length;
  const replicas = Object.values(roles).filter((r) => r === 'slave').length;
  if (masters === 1 && replicas === Object.keys(roles).length - 1) return [];
  return [`Redis roles are not one primary with linked replicas: ${Object.entries(roles).map(([k, v]) => `${k} ${v}`).join(', ')}`];
}

/** Logs in through the load balancer with a fresh session; true, or what went wrong. */
export async function tryLogin(target: Target, user: ProbeUser): Promise<true | string> {
  const agent = keepAliveAgent(1);
  try {
    const s = new HttpSession(target, agent, new RequestBudget(20));
    const form = await follow(s, await s.get('/login/index.php', { timeoutMs: 15_000 }), s.resolve('/login/index.php').href);
    const token = loginToken(form.answer.body);
    if (!token) return `no login form (HTTP ${form.answer.status})`;
    const url = s.resolve('/login/index.php').href;
    const page = await follow(s, await s.post(url, [['anchor', ''], ['logintoken', token], ['username', user.username], ['password', user.password]], { timeoutMs: 15_000 }), url);
    return page.answer.status === 200 && isLoggedIn(page.answer.body) ? true : `login as ${user.username} did not reach a logged-in page (HTTP ${page.answer.status} at ${page.url})`;
  } finally {
    agent.destroy();
  }
}
