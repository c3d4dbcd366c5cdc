// One virtual user's journey, as a student uses Moodle: log in with the logintoken, then round
// after round: dashboard, course page, a forum discussion, a reply to it (the real form of
// mod/forum/post.php, with the sesskey; the reply must show up), a file of the course, with think
// time between pages. A lost session (the login page where a logged-in page was expected) is
// counted and the user logs in again, with a new session.
import type { LoadFixture } from './fixture.ts';
import { BudgetExhausted, type Answer, type HttpSession } from './http.ts';
import {
  findForm,
  formErrors,
  isLoggedIn,
  isMaintenancePage,
  isLoginPage,
  isLoginUrl,
  loginToken,
  moodleError,
  postIdFromUrl,
  setField,
} from './moodle-pages.ts';
import type { FailureKind, Recorder, StepName } from './stats.ts';

export interface JourneyContext {
  readonly session: HttpSession;
  readonly username: string;
  readonly password: string;
  readonly fixture: LoadFixture;
  readonly recorder: Recorder;
  /** performance.now() when the run started: samples are timed from it. */
  readonly t0: number;
  readonly thinkMs: number;
  /** Marks this user's replies, e.g. "mhload-1a2b-vu3". */
  readonly marker: string;
  shouldStop(): boolean;
  /** Waits, returning early when the run stops. */
  sleep(ms: number): Promise<void>;
  onPost(postId: number): void;
  onLostSession(): void;
  random?: () => number;
}

export class StepFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    detail: string,
  ) {
    super(detail);
  }
}

interface Page {
  readonly answer: Answer;
  readonly url: string;
}

/** Runs the journey until the run stops; a step that fails is recorded, the journey goes on. */
export async function runJourney(ctx: JourneyContext): Promise<void> {
  const rnd = ctx.random ?? Math.random;
  const think = () => ctx.sleep(ctx.thinkMs * (0.5 + rnd()));
  let loggedIn = false;
  let round = 0;
  try {
    while (!ctx.shouldStop()) {
      if (!loggedIn) {
        ctx.session.jar.clear();
        const form = await step(ctx, 'login-page', () => loginPage(ctx));
        if (form && !ctx.shouldStop()) loggedIn = (await step(ctx, 'login', () => login(ctx, form))) !== undefined;
        await think();
        continue;
      }
      round++;
      const d = ctx.fixture.discussions[Math.floor(rnd() * ctx.fixture.discussions.length)]!;
      const browse: Array<[StepName, () => Promise<unknown>]> = [
        ['dashboard', () => loggedInPage(ctx, '/my/')],
        ['course', () => loggedInPage(ctx, `/course/view.php?id=${ctx.fixture.course.id}`)],
        ['discussion', () => loggedInPage(ctx, `/mod/forum/discuss.php?d=${d.id}`)],
        ['reply-form', () => replyForm(ctx, d.firstPostId)],
        ['download', () => download(ctx)],
      ];
      let form: Page | undefined;
      for (const [name, work] of browse) {
        if (ctx.shouldStop()) return;
        const r = await step(ctx, name, work, () => (loggedIn = false));
        if (!loggedIn) break;
        if (name === 'reply-form' && r) {
          form = r as Page;
          await think();
          if (ctx.shouldStop()) return;
          await step(
            ctx,
            'reply',
            () => reply(ctx, form!, `${ctx.marker}-r${round}`),
            () => (loggedIn = false),
          );
          if (!loggedIn) break;
        }
        await think();
      }
    }
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
  }
}

/** Times and records one step; returns its value, or undefined when it failed. */
async function step<T>(ctx: JourneyContext, name: StepName, work: () => Promise<T>, onLost?: () => void): Promise<T | undefined> {
  const before = ctx.session.requests;
  const start = performance.now();
  const done = (ok: boolean, kind?: FailureKind, detail?: string) =>
    ctx.recorder.record({
      step: name,
      ok,
      ms: performance.now() - start,
      at: performance.now() - ctx.t0,
      requests: ctx.session.requests - before,
      kind,
      detail,
    });
  try {
    const value = await work();
    done(true);
    return value;
  } catch (e) {
    if (e instanceof BudgetExhausted) throw e;
    if (e instanceof StepFailure) {
      done(false, e.kind, e.message);
      if (e.kind === 'lost-session') {
        ctx.onLostSession();
        onLost?.();
      }
    } else {
      const code = (e as { code?: string }).code;
      done(false, code === 'TIMEOUT' ? 'timeout' : 'network', `${code ?? ''} ${(e as Error).message}`.trim());
    }
    return undefined;
  }
}

/** Throws a "maintenance" failure when the answer is Moodle's maintenance page (kept apart from other failures: stats.ts). */
function unlessMaintenance(answer: Answer, where: string): void {
  if (isMaintenancePage(answer)) throw new StepFailure('maintenance', `Moodle's maintenance page (HTTP 503, Retry-After ${answer.retryAfter}) at ${where}`);
}

/** Follows redirects (at most 5) with GETs; returns the last answer and its URL. */
export async function follow(session: HttpSession, first: Answer, firstUrl: string, discardBody?: 'unless-html'): Promise<Page> {
  let answer = first;
  let url = firstUrl;
  for (let hops = 0; [301, 302, 303, 307, 308].includes(answer.status) && answer.location; hops++) {
    if (hops >= 5) throw new StepFailure('http', `more than 5 redirects, last to ${answer.location}`);
    if (isLoginUrl(answer.location) && !isLoginUrl(url)) throw new StepFailure('lost-session', `redirected to the login page from ${new URL(url).pathname}`);
    url = answer.location;
    answer = await session.get(url, { discardBody });
  }
  return { answer, url };
}

/** Classifies a final answer that should be a logged-in Moodle page; throws when it is not. */
export function expectLoggedIn(page: Page): void {
  const { answer, url } = page;
  const error = answer.body ? moodleError(answer.body) : undefined;
  unlessMaintenance(answer, new URL(url).pathname);
  if (answer.status >= 400)
    throw new StepFailure(error ? 'error-page' : 'http', `HTTP ${answer.status}${error ? `: ${error}` : ''} at ${new URL(url).pathname}`);
  if (isLoginUrl(url) || isLoginPage(answer.body)) throw new StepFailure('lost-session', `the login page instead of ${new URL(url).pathname}`);
  if (error) throw new StepFailure('error-page', `${error} at ${new URL(url).pathname}`);
  if (answer.status !== 200) throw new StepFailure('http', `HTTP ${answer.status} at ${new URL(url).pathname}`);
  if (!isLoggedIn(answer.body)) throw new StepFailure('unexpected', `${new URL(url).pathname}: not a logged-in page`);
}

async function get(ctx: JourneyContext, path: string, discardBody?: 'unless-html'): Promise<Page> {
  const url = ctx.session.resolve(path).href;
  return follow(ctx.session, await ctx.session.get(url, { discardBody }), url, discardBody);
}

async function loggedInPage(ctx: JourneyContext, path: string): Promise<Page> {
  const page = await get(ctx, path);
  expectLoggedIn(page);
  return page;
}

async function loginPage(ctx: JourneyContext): Promise<string> {
  const { answer, url } = await get(ctx, '/login/index.php');
  unlessMaintenance(answer, new URL(url).pathname);
  if (answer.status >= 400) throw new StepFailure(moodleError(answer.body) ? 'error-page' : 'http', `HTTP ${answer.status} at ${new URL(url).pathname}`);
  const error = moodleError(answer.body);
  if (error) throw new StepFailure('error-page', error);
  const token = loginToken(answer.body);
  if (!token) throw new StepFailure('unexpected', `no logintoken on the login page (HTTP ${answer.status})`);
  return token;
}

async function login(ctx: JourneyContext, token: string): Promise<Page> {
  const url = ctx.session.resolve('/login/index.php').href;
  const first = await ctx.session.post(url, [
    ['anchor', ''],
    ['logintoken', token],
    ['username', ctx.username],
    ['password', ctx.password],
  ]);
  unlessMaintenance(first, 'login POST');
  if (first.status >= 400) throw new StepFailure(moodleError(first.body) ? 'error-page' : 'http', `login POST: HTTP ${first.status}`);
  // Moodle answers 303 to login/index.php?testsession=N, which checks the cookie and goes on.
  let page: Page = { answer: first, url };
  for (let hops = 0; [301, 302, 303].includes(page.answer.status) && page.answer.location; hops++) {
    if (hops >= 5) throw new StepFailure('http', 'more than 5 redirects after the login');
    page = { url: page.answer.location, answer: await ctx.session.get(page.answer.location) };
  }
  unlessMaintenance(page.answer, new URL(page.url).pathname);
  if (isLoginPage(page.answer.body) || !isLoggedIn(page.answer.body)) {
    const why = /<div[^>]*(?:id="loginerrormessage"|class="[^"]*alert-danger[^"]*")[^>]*>([\s\S]*?)<\/div>/i.exec(page.answer.body)?.[1];
    throw new StepFailure(
      page.answer.status >= 400 ? 'http' : 'unexpected',
      `login as ${ctx.username} refused${why ? `: ${why.replace(/<[^>]*>/g, '').trim()}` : ''} (HTTP ${page.answer.status})`,
    );
  }
  expectLoggedIn(page);
  return page;
}

async function replyForm(ctx: JourneyContext, parentPostId: number): Promise<Page> {
  const page = await loggedInPage(ctx, `/mod/forum/post.php?reply=${parentPostId}`);
  if (!findForm(page.answer.body, 'mformforum')) throw new StepFailure('unexpected', `no reply form (mformforum) for post ${parentPostId}`);
  return page;
}

async function reply(ctx: JourneyContext, formPage: Page, marker: string): Promise<number> {
  const form = findForm(formPage.answer.body, 'mformforum')!;
  let fields = setField(form.fields, 'message[text]', `<p>Reply ${marker} from the moodle-ha load test.</p>`);
  fields = setField(fields, 'message[format]', '1');
  const submit = form.buttons.find(([n]) => n === 'submitbutton');
  if (!submit) throw new StepFailure('unexpected', 'the reply form has no submit button');
  fields = [...fields, submit];
  // The form's action is relative to its page ("post.php"), as a browser resolves it.
  const action = ctx.session.resolve(new URL(form.action || 'post.php', formPage.url).href).href;
  const answer = await ctx.session.post(action, fields);
  unlessMaintenance(answer, 'reply POST');
  if (answer.status >= 400) throw new StepFailure(moodleError(answer.body) ? 'error-page' : 'http', `reply POST: HTTP ${answer.status}`);
  if (answer.status === 200) {
    const error = moodleError(answer.body);
    if (error) throw new StepFailure('error-page', `reply POST: ${error}`);
    if (isLoginPage(answer.body)) throw new StepFailure('lost-session', 'reply POST: the login page');
    throw new StepFailure('unexpected', `reply POST: form rejected (${formErrors(answer.body).join('; ') || 'no message'})`);
  }
  if (isLoginUrl(answer.location)) throw new StepFailure('lost-session', 'reply POST: redirected to the login page');
  const postId = postIdFromUrl(answer.location);
  if (postId === undefined) throw new StepFailure('unexpected', `reply POST: redirected to ${answer.location ?? '(nowhere)'}, not to a post`);
  ctx.onPost(postId);
  // Acknowledged; now it must appear in the discussion the answer sent us to.
  const shown = await follow(ctx.session, answer, action);
  expectLoggedIn(shown);
  if (!shown.answer.body.includes(marker)) throw new StepFailure('unexpected', `post ${postId} acknowledged but not shown in its discussion`);
  return postId;
}

async function download(ctx: JourneyContext): Promise<number> {
  const page = await get(ctx, ctx.fixture.file.path, 'unless-html');
  const { answer } = page;
  if (/text\/html/i.test(answer.contentType) || answer.status !== 200) expectLoggedIn(page);
  if (answer.status !== 200) throw new StepFailure('http', `download: HTTP ${answer.status}`);
  if (/text\/html/i.test(answer.contentType)) throw new StepFailure('unexpected', 'download: a web page, not the file');
  if (answer.bytes !== ctx.fixture.file.bytes) throw new StepFailure('unexpected', `download: ${answer.bytes} bytes, expected ${ctx.fixture.file.bytes}`);
  return answer.bytes;
}
