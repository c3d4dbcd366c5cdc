// lb-restart: restart the load balancer under load (SIGTERM, 10 s grace, start); no lost session,
// no lost post, error-free again within 10 s.
import { noPostLost, noSessionLost, steadyAfterRestore, within } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { since } from '../timing.ts';

export const lbRestart = defineDrill({
  name: 'lb-restart',
  summary: 'restart the HAProxy container',
  needsHa: false,
  minWebNodes: 1,
  longFault: false,
  figures: { restartSeconds: 'seconds the restart took' },
  async prepare({ runtime }) {
    const lb = runtime.memberName('lb');
    let took: number | null = null;
    return {
      action: 'restart the HAProxy container',
      target: lb,
      async inject() {
        const at = Date.now();
        await runtime.restart(lb, 10);
        took = since(at);
        return { at, detail: `stop (SIGTERM, 10 s grace) and start; took ${took} s` };
      },
      figures: async () => ({ restartSeconds: took }),
      async restore() {
        // The restart is the whole fault; one stopped half-way (an error, an interruption) is started.
        if ((await runtime.members('lb')).some((m) => m.name === lb && m.running))
          return { action: 'none (the restart is the whole fault)', detail: 'HAProxy running' };
        await runtime.start(lb);
        return { action: `start ${lb}`, detail: 'it was not running after the restart' };
      },
    };
  },
  bars: (m) => [noSessionLost(m), noPostLost(m), within('error-free again', 10, m.recoverySeconds), steadyAfterRestore(m)],
  detection: (f) => `restart took ${seconds(f.restartSeconds)}`,
});
