// Moodle's per-page figures for each page of the comparison, on one path: a generated user logs
// in (the login form's logintoken), then each page is fetched a few times with the bench's
// perfdebug cookie and the footer's figures are read (perf-info.ts); medians per page.
import type { LoadFixture } from '../../src/ops/load/fixture.ts';
import { HttpSession, keepAliveAgent, RequestBudget, type Target } from '../../src/ops/load/http.ts';
import { follow } from '../../src/ops/load/journey.ts';
import { isLoggedIn, loginToken } from '../../src/ops/load/moodle-pages.ts';
import { medianPerf, parsePerfInfo, PERF_COOKIE, type PerfInfo } from './perf-info.ts';

export interface PerfPage {
  readonly page: string;
  readonly path: string;
  /** Fetched with a logged-in session (else anonymous). */
  readonly loggedIn: boolean;
}

export function perfPages(fixture: LoadFixture): PerfPage[] {
  const d = fixture.discussions[0];
  return [
    { page: 'login page', path: '/login/index.php', loggedIn: false },
    { page: 'front page', path: '/', loggedIn: false },
    { page: 'dashboard', path: '/my/', loggedIn: true },
    { page: 'course', path: `/course/view.php?id=${fixture.course.id}`, loggedIn: true },
    ...(d ? [{ page: 'discussion', path: `/mod/forum/discuss.php?d=${d.id}`, loggedIn: true }] : []),
  ];
}

/** Logs a session in as `username` with the login form's logintoken; throws when Moodle refuses. */
export async function logIn(s: HttpSession, username: string, password: string): Promise<void> {
  const url = s.resolve('/login/index.php').href;
  const form = await follow(s, await s.get(url), url);
  const token = loginToken(form.answer.body);
  if (!token) throw new Error(`${s.target.baseUrl}: no logintoken on the login page (HTTP ${form.answer.status})`);
  const done = await follow(
    s,
    await s.post(url, [
      ['anchor', ''],
      ['logintoken', token],
      ['username', username],
      ['password', password],
    ]),
    url,
  );
  if (!isLoggedIn(done.answer.body)) throw new Error(`${s.target.baseUrl}: login as ${username} refused (HTTP ${done.answer.status} at ${done.url})`);
}

/** Each page's median figures over `times` fetches; a page without figures is an error (perfdebug did not turn on). */
export async function perfByPage(
  target: Target,
  pages: readonly PerfPage[],
  user: { username: string; password: string },
  times: number,
): Promise<Record<string, PerfInfo>> {
  const agent = keepAliveAgent(1);
  const budget = new RequestBudget(1000);
  try {
    const anon = new HttpSession(target, agent, budget);
    const member = new HttpSession(target, agent, budget);
    await logIn(member, user.username, user.password);
    const out: Record<string, PerfInfo> = {};
    for (const p of pages) {
      const s = p.loggedIn ? member : anon;
      s.jar.update([`${PERF_COOKIE}=1`]);
      const samples: PerfInfo[] = [];
      for (let i = 0; i < times; i++) {
        const url = s.resolve(p.path).href;
        const page = await follow(s, await s.get(url), url);
        const info = parsePerfInfo(page.answer.body);
        if (!info)
          throw new Error(
            `${target.baseUrl}${p.path}: no performance figures in the page (HTTP ${page.answer.status}); is the bench's perfdebug trigger in its config.php?`,
          );
        samples.push(info);
      }
      out[p.page] = medianPerf(samples)!;
    }
    return out;
  } finally {
    agent.destroy();
  }
}
