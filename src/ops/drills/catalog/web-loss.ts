// web-loss: kill -9 one web node under load; the load balancer must take it out with no lost
// session, no lost post and no failed GET, and users must be error-free again within 5 s.
import { noPostLost, noSessionLost, steadyAfterRestore, within, zero } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { secondsUntil } from '../timing.ts';

export const webLoss = defineDrill({
  name: 'web-loss',
  summary: 'kill -9 one web node',
  needsHa: false,
  minWebNodes: 2,
  longFault: false,
  figures: { lbMarkedDownSeconds: 'seconds until HAProxy marked the node down' },
  async prepare({ runtime }) {
    const victim = (await runtime.webNodes()).at(-1);
    if (!victim) throw new Error('web-loss: no running web node to kill');
    const check = runtime.lbHealthCheck;
    let markedDown: Promise<number | null> = Promise.resolve(null);
    return {
      action: 'kill -9 web node',
      target: victim,
      async inject() {
        const at = Date.now();
        await runtime.kill(victim);
        markedDown = secondsUntil(async () => {
          const s = await runtime.lbServers();
          return Array.isArray(s) && s.some((x) => x.server === victim && !x.status.startsWith('UP'));
        }, 30);
        const detail = `SIGKILL; the load balancer finds out by its health checks (every ${check.interS} s, ${check.fastinterMs / 1000} s after a failure, fall ${check.fall}, timeout ${check.timeoutS} s)`;
        return { at, detail };
      },
      figures: async () => ({ lbMarkedDownSeconds: await markedDown }),
      async restore() {
        await runtime.start(victim);
        await runtime.waitReady(victim, 180_000);
        return { action: `start ${victim}`, detail: 'started; /readyz 200' };
      },
    };
  },
  bars: (m) => [
    noSessionLost(m),
    noPostLost(m),
    zero('failed idempotent requests', m.failedIdempotent),
    within('error-free again', 5, m.recoverySeconds),
    steadyAfterRestore(m),
  ],
  detection: (f) => `HAProxy marked it down: ${seconds(f.lbMarkedDownSeconds)}`,
});
