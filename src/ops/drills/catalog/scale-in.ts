// scale-in: scale the web tier in by one node while users are active (drain, reconfigure the load
// balancer, stop); not one request may fail. The tier is scaled back afterwards.
import { noPostLost, noSessionLost, steadyAfterRestore, zero } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { since } from '../timing.ts';

export const scaleIn = defineDrill({
  name: 'scale-in',
  summary: 'scale the web tier in by one node while users are active',
  needsHa: false,
  minWebNodes: 2,
  longFault: true,
  figures: {
    scaleInSeconds: 'seconds the scale-in took (drain, reconfigure, stop)',
    webNodesBefore: 'web nodes before',
  },
  async prepare({ runtime }) {
    const nodes = await runtime.webNodes();
    const before = nodes.length;
    let took: number | null = null;
    return {
      action: `scale the web tier from ${before} to ${before - 1} nodes`,
      // The runtime removes the last node first.
      target: nodes.at(-1) ?? 'none',
      async inject() {
        const at = Date.now();
        const steps = await runtime.scale(before - 1);
        took = since(at);
        return { at, detail: steps.map((s) => s.detail).join('; ') };
      },
      figures: async () => ({ scaleInSeconds: took, webNodesBefore: before }),
      async restore() {
        const back = await runtime.scale(before);
        const steps = back.map((s) => `${s.node} ${s.action} in ${(s.ms / 1000).toFixed(1)} s`).join('; ');
        return { action: `scale back to ${before} nodes`, detail: steps || `${before} nodes were running` };
      },
    };
  },
  bars: (m) => [zero('failed requests', m.failed), noSessionLost(m), noPostLost(m), steadyAfterRestore(m)],
  detection: (f) => `scale-in took ${seconds(f.scaleInSeconds)}`,
});
