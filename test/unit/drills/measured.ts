// What a drill measured when nothing went wrong: the bars tests change one field at a time.
import type { Measured } from '../../../src/ops/drills/bars.ts';

export const cleanMeasured: Measured = {
  failed: 0,
  failedIdempotent: 0,
  maintenance: 0,
  maintenanceWindowSeconds: null,
  lostSessions: 0,
  sessionsWrittenBeforeFault: 0,
  postsMissing: 0,
  recoverySeconds: 0,
  writesResumedSeconds: 1,
  steadyAfter: true,
  inventory: null,
};
