// The bars each drill must meet (issue 4), as pure functions of what the drill measured. A bar
// is never weakened to pass: when the product misses it, the report says by how much.
import type { InventoryComparison } from './inventory.ts';
import type { DrillName } from './options.ts';
import type { Bar } from './result.ts';

export interface Measured {
  readonly failed: number;
  readonly failedIdempotent: number;
  readonly lostSessions: number;
  readonly sessionsWrittenBeforeFault: number;
  readonly postsMissing: number;
  readonly recoverySeconds: number | null;
  readonly writesResumedSeconds: number | null;
  readonly steadyAfter: boolean;
  readonly inventory: InventoryComparison | null;
}

const zero = (name: string, value: number): Bar => ({ name, limit: '0', measured: String(value), met: value === 0 });
const within = (name: string, limitS: number, value: number | null): Bar => ({
  name,
  limit: `<= ${limitS} s`,
  measured: value === null ? 'not within the run' : `${value} s`,
  met: value !== null && value <= limitS,
});

export function barsFor(drill: DrillName, m: Measured): Bar[] {
  const posts = zero('acknowledged posts missing afterwards', m.postsMissing);
  const steady = { name: 'steady state after the restore', limit: 'all checks pass', measured: m.steadyAfter ? 'all checks pass' : 'checks failed', met: m.steadyAfter };
  switch (drill) {
    case 'web-loss':
      return [zero('lost sessions', m.lostSessions), posts, zero('failed idempotent requests', m.failedIdempotent), within('error-free again', 5, m.recoverySeconds), steady];
    case 'db-writer-loss':
      return [posts, within('writes resume', 15, m.writesResumedSeconds), steady];
    case 'cache-primary-loss': {
      const beyond = Math.max(0, m.lostSessions - m.sessionsWrittenBeforeFault);
      return [
        { name: 'lost sessions beyond those written in the last second before the fault', limit: '0', measured: `${beyond} (lost ${m.lostSessions}, written in the last second ${m.sessionsWrittenBeforeFault})`, met: beyond === 0 },
        posts,
        within('error-free again', 15, m.recoverySeconds),
        steady,
      ];
    }
    case 'lb-restart':
      return [zero('lost sessions', m.lostSessions), posts, within('error-free again', 10, m.recoverySeconds), steady];
    case 'scale-in':
      return [zero('failed requests', m.failed), zero('lost sessions', m.lostSessions), posts, steady];
    case 'full-restart': {
      const inv = m.inventory;
      const lost = inv ? inv.lost.users + inv.lost.courses + inv.lost.posts + inv.lost.files + inv.lost.fileContents : null;
      return [
        { name: 'users, courses, posts, files (rows and contents) lost', limit: '0', measured: lost === null ? 'not counted' : `${lost}${inv ? ` (${JSON.stringify(inv.lost)})` : ''}`, met: lost === 0 },
        posts,
        zero('lost sessions', m.lostSessions),
        steady,
      ];
    }
  }
}
