// A bounded load run against the LOCAL cluster: N virtual users, each with its own session and its
// own generated user, started over a ramp, for a duration, under a hard cap on users, duration
// and total requests. Only loopback targets are accepted: this is a test tool, not a way to load
// someone else's site.
import { randomBytes } from 'node:crypto';
import type { Spec } from '../../spec/schema.ts';
import { UserError } from '../../util/errors.ts';
import type { LoadFixture } from './fixture.ts';
import { HttpSession, keepAliveAgent, RequestBudget, type Target } from './http.ts';
import { runJourney } from './journey.ts';
import { Recorder, type FailureSample, type StepSample, type StepSummary, type StepTotals, type TimelinePoint } from './stats.ts';

export const LIMITS = {
  maxUsers: 200,
  maxDurationSeconds: 30 * 60,
  maxRampSeconds: 30 * 60,
  maxThinkSeconds: 60,
  /** Total HTTP requests of one run, redirects included, whatever the duration. */
  maxRequests: 300_000,
} as const;

export interface LoadOptions {
  readonly users: number;
  readonly durationSeconds: number;
  readonly rampSeconds: number;
  /** Mean think time between pages (each wait is 0.5–1.5 × this). */
  readonly thinkSeconds: number;
  /** At most this many requests (≤ LIMITS.maxRequests, the default). */
  readonly maxRequests?: number;
}

/** What is wrong with the options, one sentence per problem; empty when they are in bounds. */
export function checkBounds(o: LoadOptions): string[] {
  const p: string[] = [];
  if (!Number.isInteger(o.users) || o.users < 1 || o.users > LIMITS.maxUsers)
    p.push(`users must be a whole number from 1 to ${LIMITS.maxUsers}, got ${o.users}`);
  if (!(o.durationSeconds >= 1 && o.durationSeconds <= LIMITS.maxDurationSeconds))
    p.push(`duration must be from 1s to ${LIMITS.maxDurationSeconds / 60}m, got ${o.durationSeconds}s`);
  if (!(o.rampSeconds >= 0 && o.rampSeconds <= LIMITS.maxRampSeconds)) p.push(`ramp must be from 0s to ${LIMITS.maxRampSeconds / 60}m, got ${o.rampSeconds}s`);
  else if (o.rampSeconds >= o.durationSeconds && o.durationSeconds >= 1)
    p.push(`ramp (${o.rampSeconds}s) must be shorter than the duration (${o.durationSeconds}s)`);
  if (!(o.thinkSeconds >= 0 && o.thinkSeconds <= LIMITS.maxThinkSeconds))
    p.push(`think time must be from 0s to ${LIMITS.maxThinkSeconds}s, got ${o.thinkSeconds}s`);
  if (o.maxRequests !== undefined && !(Number.isInteger(o.maxRequests) && o.maxRequests >= 1 && o.maxRequests <= LIMITS.maxRequests))
    p.push(`max requests must be a whole number from 1 to ${LIMITS.maxRequests}, got ${o.maxRequests}`);
  return p;
}

/** True for localhost, 127.0.0.0/8 and ::1 (as URL.hostname writes them), nothing else. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (!m) return false;
  return m.slice(1).every((x) => Number(x) <= 255);
}

/** Where the run connects, from the spec's site URL and ports; refuses anything not loopback. */
export function loadTarget(spec: Spec): Target {
  let site: URL;
  try {
    site = new URL(spec.site.url);
  } catch {
    throw new UserError(`site.url "${spec.site.url}" is not a URL`);
  }
  if (site.protocol !== 'http:') throw new UserError(`load: refusing ${spec.site.url}: only http:// sites of the local cluster can be loaded`);
  if (!isLoopbackHost(site.hostname))
    throw new UserError(
      `load: refusing ${spec.site.url}: only loopback targets (127.0.0.0/8, localhost, ::1) are allowed; "moodle-ha load" is for the local cluster only`,
    );
  const bind = spec.ports.bind;
  const connectHost = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
  if (!isLoopbackHost(connectHost))
    throw new UserError(`load: refusing ports.bind ${bind}: the load balancer must listen on a loopback address (or 0.0.0.0) for "moodle-ha load"`);
  return { baseUrl: `${site.origin}${site.pathname.replace(/\/+$/, '')}`, connectHost, connectPort: spec.ports.http, hostHeader: site.host };
}

export interface LiveProgress {
  readonly elapsedSeconds: number;
  readonly activeUsers: number;
  readonly ok: number;
  readonly failed: number;
  readonly lostSessions: number;
  readonly posts: number;
  readonly requests: number;
  /** Requests per second since the previous report. */
  readonly rps: number;
  /** p95 of the steps that worked since the previous report, ms. */
  readonly p95Ms: number | null;
}

export interface LoadResult {
  readonly schema: 'moodle-ha.load/1';
  readonly cluster: string;
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly elapsedSeconds: number;
  readonly stoppedBy: 'duration' | 'max-requests' | 'signal';
  readonly options: Required<LoadOptions>;
  readonly fixture: { readonly courseId: number; readonly shortname: string; readonly forumId: number; readonly discussions: number; readonly file: string };
  /** HTTP requests sent, redirects included. */
  readonly requests: number;
  readonly steps: StepSummary[];
  readonly totals: StepTotals & { readonly lostSessions: number };
  /** Forum posts Moodle acknowledged (redirected to with their id). */
  readonly posts: { readonly acknowledged: number; readonly ids: number[] };
  readonly timeline: TimelinePoint[];
  /** The first failures, with what went wrong. */
  readonly failures: FailureSample[];
}

export interface RunArgs {
  readonly target: Target;
  readonly fixture: LoadFixture;
  readonly password: string;
  readonly options: LoadOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: LiveProgress) => void;
  readonly progressEveryMs?: number;
  /** Called with every step as it ends. */
  readonly onSample?: (s: StepSample) => void;
}

export async function runLoad(a: RunArgs): Promise<LoadResult> {
  const problems = checkBounds(a.options);
  if (problems.length) throw new UserError('load: options out of bounds:', problems);
  if (!isLoopbackHost(a.target.connectHost) || !isLoopbackHost(new URL(a.target.baseUrl).hostname))
    throw new UserError(`load: refusing ${a.target.baseUrl}: not a loopback target`);
  const o: Required<LoadOptions> = { ...a.options, maxRequests: a.options.maxRequests ?? LIMITS.maxRequests };
  if (a.fixture.usernames.length < o.users)
    throw new UserError(`load: ${o.users} users asked for, the test course has ${a.fixture.usernames.length} generated users`);

  const recorder = new Recorder(a.onSample);
  const budget = new RequestBudget(o.maxRequests);
  const agent = keepAliveAgent(o.users);
  const runId = randomBytes(3).toString('hex');
  const posts: number[] = [];
  let lostSessions = 0;
  let active = 0;
  const startedAt = new Date();
  const t0 = performance.now();
  const deadline = t0 + o.durationSeconds * 1000;
  // Waits (think time, ramp) end early when the run stops: at the deadline or on the signal.
  const waiting = new Set<() => void>();
  let stopping = false;
  const wake = () => {
    stopping = true;
    for (const w of waiting) w();
    waiting.clear();
  };
  const timeUp = setTimeout(wake, o.durationSeconds * 1000);
  a.signal?.addEventListener('abort', wake, { once: true });
  if (a.signal?.aborted) wake();
  const shouldStop = () => stopping || performance.now() >= deadline || budget.exhausted || a.signal?.aborted === true;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const done = () => {
        clearTimeout(t);
        waiting.delete(done);
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      waiting.add(done);
    });

  let last = { at: t0, requests: 0 };
  const report = () => {
    const now = performance.now();
    const totals = recorder.totals();
    a.onProgress?.({
      elapsedSeconds: Math.round((now - t0) / 1000),
      activeUsers: active,
      ok: totals.ok,
      failed: totals.failed,
      lostSessions,
      posts: posts.length,
      requests: budget.spent,
      rps: Math.round(((budget.spent - last.requests) / Math.max(0.001, (now - last.at) / 1000)) * 10) / 10,
      p95Ms: recorder.takeWindowP95(),
    });
    last = { at: now, requests: budget.spent };
  };
  const ticker = setInterval(report, a.progressEveryMs ?? 5000);

  const vu = async (i: number) => {
    await sleep((o.rampSeconds * 1000 * i) / o.users);
    if (shouldStop()) return;
    active++;
    try {
      await runJourney({
        session: new HttpSession(a.target, agent, budget),
        username: a.fixture.usernames[i]!,
        password: a.password,
        fixture: a.fixture,
        recorder,
        t0,
        thinkMs: o.thinkSeconds * 1000,
        marker: `mhload-${runId}-vu${i + 1}`,
        shouldStop,
        sleep,
        onPost: (id) => posts.push(id),
        onLostSession: () => lostSessions++,
      });
    } finally {
      active--;
    }
  };
  try {
    await Promise.all(Array.from({ length: o.users }, (_, i) => vu(i)));
  } finally {
    clearInterval(ticker);
    clearTimeout(timeUp);
    a.signal?.removeEventListener('abort', wake);
    wake();
    agent.destroy();
  }
  const elapsed = (performance.now() - t0) / 1000;
  return {
    schema: 'moodle-ha.load/1',
    cluster: a.fixture.cluster,
    target: a.target.baseUrl,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    elapsedSeconds: Math.round(elapsed * 10) / 10,
    stoppedBy: a.signal?.aborted ? 'signal' : budget.exhausted ? 'max-requests' : 'duration',
    options: o,
    fixture: {
      courseId: a.fixture.course.id,
      shortname: a.fixture.course.shortname,
      forumId: a.fixture.forum.id,
      discussions: a.fixture.discussions.length,
      file: a.fixture.file.path,
    },
    requests: budget.spent,
    steps: recorder.steps(),
    totals: { ...recorder.totals(), lostSessions },
    posts: { acknowledged: posts.length, ids: [...posts].sort((x, y) => x - y) },
    timeline: recorder.timeline(Math.max(0, Math.ceil(elapsed) - 1)),
    failures: recorder.failureSamples,
  };
}
