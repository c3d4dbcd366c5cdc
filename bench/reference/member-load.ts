// A single logged-in page under load: each virtual user logs in as its own generated user first
// (not measured), then asks for the same page again and again until the time is up, as a class
// refreshing its dashboard or course page. A page counts as a success when it is the logged-in
// page (HTTP 200 after redirects, not the login page, no Moodle error).
import type { LoadFixture } from '../../src/ops/load/fixture.ts';
import { HttpSession, keepAliveAgent, RequestBudget, type Target } from '../../src/ops/load/http.ts';
import { follow } from '../../src/ops/load/journey.ts';
import { isLoggedIn, moodleError } from '../../src/ops/load/moodle-pages.ts';
import { percentile } from '../../src/ops/load/stats.ts';
import { logIn } from './pages.ts';

export interface Members {
  readonly sessions: readonly HttpSession[];
  close(): void;
}

/** `users` sessions on the target, each logged in as a different generated user. */
export async function logInMembers(target: Target, fixture: LoadFixture, password: string, users: number): Promise<Members> {
  if (fixture.usernames.length < users) throw new Error(`the load course has ${fixture.usernames.length} users, ${users} are needed`);
  const agent = keepAliveAgent(users);
  const budget = new RequestBudget(300_000);
  const sessions = fixture.usernames.slice(0, users).map(() => new HttpSession(target, agent, budget));
  try {
    await Promise.all(sessions.map((s, i) => logIn(s, fixture.usernames[i]!, password)));
  } catch (e) {
    agent.destroy();
    throw e;
  }
  return { sessions, close: () => agent.destroy() };
}

/** Every session asks for `path` until `seconds` are over: successes, failures, seconds taken, p95 ms. */
export async function loadMemberPage(m: Members, path: string, seconds: number): Promise<{ ok: number; failed: number; elapsed: number; p95: number }> {
  const ms: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    m.sessions.map(async (s) => {
      while (performance.now() < end) {
        const start = performance.now();
        try {
          const url = s.resolve(path).href;
          const page = await follow(s, await s.get(url), url);
          if (page.answer.status === 200 && isLoggedIn(page.answer.body) && !moodleError(page.answer.body)) ms.push(performance.now() - start);
          else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  ms.sort((a, b) => a - b);
  return { ok: ms.length, failed, elapsed: (performance.now() - t0) / 1000, p95: percentile(ms, 95) ?? Number.NaN };
}
