// A drill result for the report tests: 60 seconds of load, a web node killed at 20.3 s.
import { webLoss } from '../../../src/ops/drills/catalog/web-loss.ts';
import { FAULT_WINDOW_DEFINITION, recoveryFrom } from '../../../src/ops/drills/recovery.ts';
import { DRILL_SCHEMA, RECOVERY_DEFINITION, type DrillResult } from '../../../src/ops/drills/result.ts';
import { STEPS } from '../../../src/ops/load/stats.ts';

export function sampleResult(seconds = 60, faultAt = 20.3): DrillResult {
  const timeline = Array.from({ length: seconds }, (_, second) => {
    const failed = second === 20 || second === 22 ? 2 : 0;
    return { second, ok: second === 21 ? 0 : 6, failed, requests: 8 + failed };
  });
  const recovery = recoveryFrom(timeline, faultAt);
  const bars = webLoss.bars({
    failed: 4,
    failedIdempotent: 0,
    maintenance: 0,
    maintenanceWindowSeconds: null,
    lostSessions: 0,
    sessionsWrittenBeforeFault: 0,
    postsMissing: 0,
    recoverySeconds: recovery.seconds,
    writesResumedSeconds: 4.1,
    steadyAfter: true,
    inventory: null,
  });
  return {
    schema: DRILL_SCHEMA,
    drill: 'web-loss',
    cluster: 'mhunit',
    profile: 'ha',
    startedAt: '2026-11-25T01:00:00.000Z',
    finishedAt: '2026-11-25T01:01:30.000Z',
    host: { cpus: 2, memoryGiB: 23, node: 'v20.19.0' },
    options: { users: 6, durationSeconds: seconds, faultAtSeconds: 20, thinkSeconds: 0.5, rampSeconds: 5 },
    fault: { action: 'kill -9 web node', target: 'mhunit-web-2', atSeconds: faultAt, tookSeconds: 0.1, detail: 'SIGKILL <b>' },
    restore: { action: 'start mhunit-web-2', tookSeconds: 9.5, detail: 'started; /readyz 200', reason: 'run ended', failed: false },
    steadyState: { before: { ok: true, problems: [], waitedSeconds: 1.2 }, after: { ok: true, problems: [], waitedSeconds: 3.4 } },
    load: {
      requests: 600,
      elapsedSeconds: seconds,
      stoppedBy: 'duration',
      steps: STEPS.map((s) => ({ step: s.name, method: s.method, ok: 40, failed: 0, failures: {}, p50Ms: 40, p95Ms: 90, p99Ms: 120, maxMs: 150 })),
    },
    totals: { ok: 354, failed: 4, failedIdempotent: 0, failedNonIdempotent: 4, slow: 1, maintenance: 0 },
    afterFault: { ok: 234, failed: 4, failedIdempotent: 0, failedNonIdempotent: 4 },
    sessions: { lost: 0, writtenInLastSecondBeforeFault: 0, lostBeyondThose: 0 },
    posts: { acknowledged: 30, checked: 30, missing: [] },
    recovery: { ...recovery, writesResumedSeconds: 4.1, definition: RECOVERY_DEFINITION },
    faultWindow: { fromSeconds: faultAt, toSeconds: 24, steps: 16, slow: 1, p99Ms: 5210.4, definition: FAULT_WINDOW_DEFINITION },
    figures: { lbMarkedDownSeconds: 3.7 },
    inventory: null,
    bars,
    passed: bars.every((b) => b.met),
    timeline,
    failures: [{ atMs: 20_400, step: 'dashboard', kind: 'http', detail: 'HTTP 502 at /my/ <script>' }],
  };
}
