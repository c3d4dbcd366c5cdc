// full-restart: the whole cluster down (volumes kept), then up, under load; every user, course,
// post and file (rows and file contents) must still be there afterwards.
import type { Progress } from '../../../util/progress.ts';
import { noPostLost, noSessionLost, steadyAfterRestore } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { since } from '../timing.ts';

export const fullRestart = defineDrill({
  name: 'full-restart',
  summary: 'down, then up; every user, course, post and file must still be there',
  needsHa: false,
  minWebNodes: 1,
  longFault: true,
  figures: {
    downSeconds: 'seconds down took',
    upSeconds: 'seconds up took',
    migrateOnUp: 'migrate on up',
  },
  async prepare({ runtime, log, recordInventory }) {
    const quiet: Progress = { step: (_t, work) => work(), info: () => {}, detail: () => {} };
    const logged = (phase: string): Progress => ({
      ...quiet,
      step: async (title, work) => {
        log(`  ${phase}: ${title}`);
        return work();
      },
    });
    let downS: number | null = null;
    let upS: number | null = null;
    let migrate: string | null = null;
    let wentDown = false;
    return {
      action: 'down, then up (volumes kept)',
      target: `cluster ${runtime.loaded.spec.name}`,
      async inject() {
        await recordInventory();
        const at = Date.now();
        wentDown = true;
        await runtime.down({ volumes: false }, logged('down'));
        downS = since(at);
        const t1 = Date.now();
        const r = await runtime.up(logged('up'));
        upS = since(t1);
        migrate = r.migrate;
        return { at, detail: `down ${downS} s, up ${upS} s (migrate: ${r.migrate})` };
      },
      figures: async () => ({ downSeconds: downS, upSeconds: upS, migrateOnUp: migrate }),
      async restore() {
        if (!wentDown || upS !== null) return { action: 'none (up is part of the fault)', detail: wentDown ? 'cluster up' : 'the cluster was not taken down' };
        // Down ran, up did not finish (an error, or an interruption while it ran): up again.
        const t = Date.now();
        const r = await runtime.up(logged('up'));
        return { action: "up (the fault's own up did not finish)", detail: `up ${since(t)} s (migrate: ${r.migrate})` };
      },
    };
  },
  bars: (m) => {
    const inv = m.inventory;
    const lost = inv ? inv.lost.users + inv.lost.courses + inv.lost.posts + inv.lost.files + inv.lost.fileContents : null;
    return [
      {
        name: 'users, courses, posts, files (rows and contents) lost',
        limit: '0',
        measured: lost === null ? 'not counted' : `${lost}${inv ? ` (${JSON.stringify(inv.lost)})` : ''}`,
        met: lost === 0,
      },
      noPostLost(m),
      noSessionLost(m),
      steadyAfterRestore(m),
    ];
  },
  detection: (f) => `down ${seconds(f.downSeconds)}, up ${seconds(f.upSeconds)}`,
});
