// What a load run measured: per journey step the pages that worked and those that failed (and why),
// latency percentiles of the pages that worked, and a per-second timeline that drills can chart.
// One sample is one step of one virtual user: a page, with the redirects it took to get there.
// A step that got its page but took longer than SLOW_STEP is recorded as failed (kind "slow"):
// a stall hides an outage, so nothing that counts failures, error-free seconds or recovery may
// treat it as a success.
import type { Duration } from '../../spec/units.ts';

export type Method = 'GET' | 'POST';

/** The steps of a journey, in order, with the method of the request that defines each one. */
export const STEPS = [
  { name: 'login-page', method: 'GET' },
  { name: 'login', method: 'POST' },
  { name: 'dashboard', method: 'GET' },
  { name: 'course', method: 'GET' },
  { name: 'discussion', method: 'GET' },
  { name: 'reply-form', method: 'GET' },
  { name: 'reply', method: 'POST' },
  { name: 'download', method: 'GET' },
] as const satisfies ReadonlyArray<{ name: string; method: Method }>;

export type StepName = (typeof STEPS)[number]['name'];

/**
 * A step slower than this counts as failed (kind "slow") wherever failures are counted: the load
 * report, a drill's totals, its error-free seconds, its recovery and its bars (issue 9). The one
 * place the threshold is set.
 */
export const SLOW_STEP: Duration = { seconds: 5 };

/** True when a step took longer than SLOW_STEP (`ms` is the step's duration, redirects included). */
export const isSlow = (ms: number): boolean => ms > SLOW_STEP.seconds * 1000;

/**
 * Why a step failed. http: status ≥ 400 (or an unexpected status); error-page: a Moodle error
 * page; lost-session: the login page where a logged-in page was expected; network: connection
 * refused/reset; timeout: no answer in time; unexpected: a 200 that is not what the step needs
 * (a form rejected, a post not shown, a file that is a web page); slow: the page came, but after
 * more than SLOW_STEP; maintenance: Moodle's maintenance page (503 with Retry-After and its text,
 * moodle-pages.ts isMaintenancePage), which an upgrade shows on purpose while migrate runs. It is a
 * failed step (the user got no page) counted apart (totals().maintenance), so the upgrade drill's
 * bar can hold every other failure to 0; a plain 503 stays "http".
 */
export type FailureKind = 'http' | 'error-page' | 'lost-session' | 'network' | 'timeout' | 'unexpected' | 'slow' | 'maintenance';

export interface StepSample {
  readonly step: StepName;
  /** False for a failure, a slow step included (the Recorder marks those: see SLOW_STEP). */
  readonly ok: boolean;
  /** Time the step took, redirects included, in ms. */
  readonly ms: number;
  /** When the step ended, in ms since the run started. */
  readonly at: number;
  /** HTTP exchanges the step made. */
  readonly requests: number;
  readonly kind?: FailureKind;
  readonly detail?: string;
}

export interface StepSummary {
  readonly step: StepName;
  readonly method: Method;
  readonly ok: number;
  readonly failed: number;
  /** Failures by kind. */
  readonly failures: Partial<Record<FailureKind, number>>;
  /** Latency percentiles of the steps that got their page (slow ones included), ms; null when none did. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export interface TimelinePoint {
  /** Second of the run (0 = the first second). */
  readonly second: number;
  /** Steps that ended in this second, successful and failed (slow steps are failed). */
  readonly ok: number;
  readonly failed: number;
  /** HTTP exchanges of the steps that ended in this second. */
  readonly requests: number;
}

export interface FailureSample {
  readonly atMs: number;
  readonly step: StepName;
  readonly kind: FailureKind;
  readonly detail: string;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array; null when it is empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

export function methodOf(step: StepName): Method {
  return STEPS.find((s) => s.name === step)!.method;
}

/** A step as it counts: one that worked but took longer than SLOW_STEP is failed, of kind "slow". */
export function classify(s: StepSample): StepSample {
  if (!s.ok || !isSlow(s.ms)) return s;
  return { ...s, ok: false, kind: 'slow', detail: `the page came after ${(s.ms / 1000).toFixed(1)} s (more than ${SLOW_STEP.seconds} s counts as failed)` };
}

/** Collects samples; summaries and the timeline are computed from it at any time. */
/** Steps (one step = one page with its redirects) that succeeded and failed; idempotent: GET. */
export interface StepCounts {
  readonly ok: number;
  readonly failed: number;
  readonly failedIdempotent: number;
  readonly failedNonIdempotent: number;
}

/** StepCounts of a whole run; `slow`: the failed steps that got their page after more than SLOW_STEP; `maintenance`: those answered by Moodle's maintenance page. */
export interface StepTotals extends StepCounts {
  readonly slow: number;
  readonly maintenance: number;
}

export class Recorder {
  private readonly latencies = new Map<StepName, number[]>();
  private readonly counts = new Map<StepName, { ok: number; failed: number; failures: Partial<Record<FailureKind, number>> }>();
  private readonly seconds: Array<{ ok: number; failed: number; requests: number }> = [];
  private window: number[] = [];
  readonly failureSamples: FailureSample[] = [];

  /** `onSample` sees every step as it is recorded (the drills time the cluster's reaction by it). */
  constructor(
    private readonly onSample?: (s: StepSample) => void,
    private readonly maxFailureSamples = 100,
  ) {
    for (const s of STEPS) {
      this.latencies.set(s.name, []);
      this.counts.set(s.name, { ok: 0, failed: 0, failures: {} });
    }
  }

  /** Records one step as the journey saw it; a step that worked but was slow is recorded (and passed on) as failed. */
  record(raw: StepSample): void {
    const s = classify(raw);
    this.onSample?.(s);
    const c = this.counts.get(s.step)!;
    const sec = Math.max(0, Math.floor(s.at / 1000));
    for (let i = this.seconds.length; i <= sec; i++) this.seconds.push({ ok: 0, failed: 0, requests: 0 });
    const point = this.seconds[sec]!;
    point.requests += s.requests;
    if (raw.ok) {
      this.latencies.get(s.step)!.push(s.ms);
      this.window.push(s.ms);
    }
    if (s.ok) {
      c.ok++;
      point.ok++;
    } else {
      const kind = s.kind ?? 'unexpected';
      c.failed++;
      point.failed++;
      c.failures[kind] = (c.failures[kind] ?? 0) + 1;
      if (this.failureSamples.length < this.maxFailureSamples) this.failureSamples.push({ atMs: Math.round(s.at), step: s.step, kind, detail: s.detail ?? '' });
    }
  }

  steps(): StepSummary[] {
    return STEPS.map(({ name, method }) => {
      const sorted = [...this.latencies.get(name)!].sort((a, b) => a - b);
      const c = this.counts.get(name)!;
      return {
        step: name,
        method,
        ok: c.ok,
        failed: c.failed,
        failures: { ...c.failures },
        p50Ms: round1(percentile(sorted, 50)),
        p95Ms: round1(percentile(sorted, 95)),
        p99Ms: round1(percentile(sorted, 99)),
        maxMs: round1(sorted.at(-1) ?? null),
      };
    });
  }

  /** One point per second from 0 to `untilSecond` (or the last second recorded, if later), zeros where nothing ended. */
  timeline(untilSecond = 0): TimelinePoint[] {
    const out: TimelinePoint[] = [];
    for (let i = 0; i <= Math.max(untilSecond, this.seconds.length - 1); i++) {
      const p = this.seconds[i] ?? { ok: 0, failed: 0, requests: 0 };
      out.push({ second: i, ok: p.ok, failed: p.failed, requests: p.requests });
    }
    return out;
  }

  /** Steps ok and failed; `slow` are the failed ones that got their page after more than SLOW_STEP. */
  totals(): StepTotals {
    let ok = 0;
    let failedIdempotent = 0;
    let failedNonIdempotent = 0;
    let slow = 0;
    let maintenance = 0;
    for (const { name, method } of STEPS) {
      const c = this.counts.get(name)!;
      ok += c.ok;
      slow += c.failures.slow ?? 0;
      maintenance += c.failures.maintenance ?? 0;
      if (method === 'GET') failedIdempotent += c.failed;
      else failedNonIdempotent += c.failed;
    }
    return { ok, failed: failedIdempotent + failedNonIdempotent, failedIdempotent, failedNonIdempotent, slow, maintenance };
  }

  /** p95 of the successful steps since the last call (for the live progress line). */
  takeWindowP95(): number | null {
    const w = this.window.sort((a, b) => a - b);
    this.window = [];
    return round1(percentile(w, 95));
  }
}
