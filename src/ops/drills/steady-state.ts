// The cluster's steady state, checked before a drill starts and after it restored what it broke:
// every member running and healthy (health checks: Galera Synced, Redis PONG), every web node's
// /readyz 200, the load balancer showing exactly the running web nodes, all UP; in the ha profile
// every Galera member whole (Synced in a primary component of all of them), and one Redis primary
// with its replica linked, for the sessions and for the caches; and a real login through the load
// balancer.
import type { ClusterRuntime } from '../../runtime/cluster.ts';
import { galeraMember } from '../../runtime/galera.ts';
import { HttpSession, keepAliveAgent, RequestBudget, type Target } from '../load/http.ts';
import { follow } from '../load/journey.ts';
import { isLoggedIn, loginToken } from '../load/moodle-pages.ts';
import { redisReplicationProblems } from './redis-roles.ts';
import type { SteadyStateReport } from './result.ts';
import { pause } from './timing.ts';

export interface ProbeUser {
  readonly username: string;
  readonly password: string;
}

async function checkSteadyState(runtime: ClusterRuntime, target: Target, user: ProbeUser): Promise<{ ok: boolean; problems: string[] }> {
  const spec = runtime.loaded.spec;
  const problems: string[] = [];
  const live = (await runtime.members()).filter((m) => m.service !== 'migrate');
  if (!live.length) problems.push(`cluster "${spec.name}" has no members: start it with "moodle-ha up"`);
  for (const m of live) {
    if (!m.running) problems.push(`${m.name} is ${m.state}`);
    else if (!['healthy', 'ready', '-'].includes(m.health)) problems.push(`${m.name}: ${m.health}`);
  }
  const web = live
    .filter((m) => m.service === 'web' && m.running)
    .map((m) => m.name)
    .sort();
  const lb = await runtime.lbServers();
  if (typeof lb === 'string') problems.push(`HAProxy: ${lb}`);
  else {
    const servers = lb.map((s) => s.server).sort();
    if (servers.join() !== web.join())
      problems.push(`HAProxy balances ${servers.join(', ') || 'nothing'}, the running web nodes are ${web.join(', ') || 'none'}`);
    for (const s of lb) if (s.status !== 'UP') problems.push(`HAProxy shows ${s.server} ${s.status}`);
  }
  if (spec.profile === 'ha') {
    const db = live.filter((m) => m.service === 'db');
    for (const m of db.filter((d) => d.running)) {
      const g = await galeraMember((argv) => runtime.exec(m.name, argv), db.length);
      if (!g.whole) problems.push(`${m.name}: ${g.seen}`);
    }
    problems.push(...(await redisReplicationProblems(runtime)));
  }
  const login = await tryLogin(target, user).catch((e: Error) => `login failed: ${e.message}`);
  if (login !== true) problems.push(login);
  return { ok: problems.length === 0, problems };
}

/** Polls the steady state every 2 s until it holds, `timeoutMs` passed or `signal` aborted; the last check is returned. */
export async function waitSteadyState(
  runtime: ClusterRuntime,
  target: Target,
  user: ProbeUser,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SteadyStateReport> {
  const t0 = Date.now();
  for (;;) {
    const r = await checkSteadyState(runtime, target, user).catch((e: Error) => ({ ok: false, problems: [`check failed: ${e.message}`] }));
    const waitedSeconds = Math.round((Date.now() - t0) / 100) / 10;
    if (r.ok || Date.now() - t0 >= timeoutMs || signal?.aborted) return { ...r, waitedSeconds };
    await pause(2000, signal);
  }
}

/** Logs in through the load balancer with a fresh session; true, or what went wrong. */
async function tryLogin(target: Target, user: ProbeUser): Promise<true | string> {
  const agent = keepAliveAgent(1);
  try {
    const s = new HttpSession(target, agent, new RequestBudget(20));
    const form = await follow(s, await s.get('/login/index.php', { timeoutMs: 15_000 }), s.resolve('/login/index.php').href);
    const token = loginToken(form.answer.body);
    if (!token) return `no login form (HTTP ${form.answer.status})`;
    const url = s.resolve('/login/index.php').href;
    const page = await follow(
      s,
      await s.post(
        url,
        [
          ['anchor', ''],
          ['logintoken', token],
          ['username', user.username],
          ['password', user.password],
        ],
        { timeoutMs: 15_000 },
      ),
      url,
    );
    return page.answer.status === 200 && isLoggedIn(page.answer.body)
      ? true
      : `login as ${user.username} did not reach a logged-in page (HTTP ${page.answer.status} at ${page.url})`;
  } finally {
    agent.destroy();
  }
}
