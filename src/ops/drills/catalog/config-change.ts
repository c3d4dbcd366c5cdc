// config-change: an operator's everyday change, under load: a harmless setting added to the config
// bundle's php.ini, then `up`. Every web node's definition changes, so `up` replaces them one at a
// time (a new node ready and in the load balancer before an old one is drained and stopped); not
// one request may fail. The restore runs `up` with the bundle as the spec's folder has it, which
// rolls the nodes back the same way.
import type { Progress } from '../../../util/progress.ts';
import { noPostLost, noSessionLost, steadyAfterRestore, zero } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { since } from '../timing.ts';

/** The drill's edit: a comment naming it, and a php.ini setting that changes nothing Moodle serves (the colour of comments in PHP's highlight_string()). */
export function configChangeEdit(at: Date): string {
  return `\n; moodle-ha drill config-change, ${at.toISOString()}\nhighlight.comment = "#FF8001"\n`;
}

export const configChange = defineDrill({
  name: 'config-change',
  summary: 'edit the config bundle (a harmless php.ini setting) and run up while users are active',
  needsHa: false,
  minWebNodes: 1,
  longFault: true,
  figures: {
    rollSeconds: 'seconds up took to replace the web nodes one at a time',
    nodesReplaced: 'web nodes replaced',
    changeUpSeconds: 'seconds the whole up took',
  },
  async prepare({ runtime, log }) {
    const logged = (phase: string): Progress => ({
      step: async (title, work) => {
        log(`  ${phase}: ${title}`);
        return work();
      },
      info: (text) => log(`    ${text}`),
      detail: () => {},
    });
    const nodes = await runtime.webNodes();
    let rollS: number | null = null;
    let replaced: number | null = null;
    let upS: number | null = null;
    let injected = false;
    return {
      action: `add a php.ini setting to the config bundle and run up (${nodes.length} web node${nodes.length === 1 ? '' : 's'} to replace one at a time)`,
      target: nodes.join(', ') || 'none',
      async inject() {
        const at = Date.now();
        injected = true;
        const r = await runtime.up(logged('up'), { bundleAddition: { file: 'php.ini', text: configChangeEdit(new Date(at)) } });
        upS = since(at);
        rollS = r.webRoll ? Math.round(r.webRoll.ms / 100) / 10 : null;
        replaced = r.webRoll?.replaced.length ?? 0;
        const how = r.webRoll ? `replaced ${r.webRoll.replaced.join(', ')} one at a time in ${rollS} s` : 'no web node was replaced';
        return { at, detail: `up ${upS} s: ${how} (migrate: ${r.migrate})` };
      },
      figures: async () => ({ rollSeconds: rollS, nodesReplaced: replaced, changeUpSeconds: upS }),
      async restore() {
        if (!injected) return { action: 'none', detail: 'the bundle was not changed' };
        // The bundle as the spec's folder has it again: the same roll, back.
        const t = Date.now();
        const r = await runtime.up(logged('restore up'));
        const how = r.webRoll ? `replaced ${r.webRoll.replaced.join(', ')} one at a time` : 'no web node needed replacing';
        return { action: "up with the spec's own config bundle", detail: `${how}; up ${since(t)} s` };
      },
    };
  },
  bars: (m) => [zero('failed requests', m.failed), noSessionLost(m), noPostLost(m), steadyAfterRestore(m)],
  detection: (f) => `web nodes replaced one at a time in ${seconds(f.rollSeconds)}`,
});
