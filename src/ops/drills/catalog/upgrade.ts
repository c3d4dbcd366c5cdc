// upgrade: a plugin upgrade under load. The first plugin the spec lists with a source folder is
// raised one version (a copy of its folder: the operator's is never written) and `up` runs: it
// builds the new image, stops the old cron, runs migrate (Moodle's maintenance page on), starts
// the new nodes and cuts over (src/local/roll-web.ts), then turns maintenance off. Users may meet
// Moodle's maintenance page (503 with Retry-After, counted apart: stats.ts kind "maintenance") for
// migrate's run and at most 5 s more; no other step may fail, no session or post may be lost.
// There is no restore: Moodle refuses a downgrade, so the cluster stays on the raised version, and
// a later `up` with the unchanged spec is refused (the database is newer than the code) until the
// spec's plugin is raised past it, or the cluster is recreated (down --volumes). Run it on a
// cluster you can recreate; `drill all` runs it last for that reason.
import type { Progress } from '../../../util/progress.ts';
import { noPostLost, noSessionLost, steadyAfterRestore, zero, type Bar, type Measured } from '../bars.ts';
import { defineDrill, seconds } from '../drill.ts';
import { since } from '../timing.ts';

/** How long the maintenance page may outlast migrate's own run (issue 9). */
export const UPGRADE_MAINTENANCE_SLACK_S = 5;

/** Bar: users met the maintenance page for no longer than migrate's run plus the slack. */
export function maintenanceWithinMigrate(m: Measured): Bar {
  const migrate = m.figures?.migrateSeconds;
  const window = m.maintenanceWindowSeconds ?? 0;
  const limit = typeof migrate === 'number' ? migrate + UPGRADE_MAINTENANCE_SLACK_S : null;
  return {
    name: 'maintenance window users met (first to last maintenance page)',
    limit:
      limit === null
        ? `<= migrate's run + ${UPGRADE_MAINTENANCE_SLACK_S} s (migrate's run unknown)`
        : `<= ${Math.round(limit * 10) / 10} s (migrate's run ${migrate} s + ${UPGRADE_MAINTENANCE_SLACK_S} s)`,
    measured: m.maintenanceWindowSeconds === null ? 'no maintenance page seen' : `${window} s`,
    met: limit !== null && window <= limit,
  };
}

export const upgrade = defineDrill({
  name: 'upgrade',
  summary:
    "raise a plugin's version and run up while users are active (Moodle's maintenance page only while migrate runs); leaves the cluster on the new version",
  needsHa: false,
  minWebNodes: 1,
  longFault: true,
  needsSourcePlugin: true,
  figures: {
    migrateSeconds: "seconds migrate's upgrade ran (its own record)",
    upgradeUpSeconds: 'seconds the whole up took (image build included)',
    upgradedPlugin: 'the plugin raised one version',
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
    const component = runtime.loaded.spec.plugins.find((p) => p.source !== undefined)?.component ?? 'none';
    let migrateS: number | null = null;
    let upS: number | null = null;
    let injected = false;
    return {
      action: 'raise a plugin one version and run up (migrate under maintenance, then a cutover to the new nodes)',
      target: component,
      async inject() {
        const at = Date.now();
        injected = true;
        const r = await runtime.up(logged('up'), { pluginBump: { component } });
        upS = since(at);
        const run = await runtime.migrateLog();
        if (run?.result === 'upgraded') migrateS = Math.round((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 100) / 10;
        return { at, detail: `up ${upS} s (migrate: ${r.migrate}${migrateS === null ? '' : `, ${migrateS} s`})` };
      },
      figures: async () => ({ migrateSeconds: migrateS, upgradeUpSeconds: upS, upgradedPlugin: component }),
      async restore() {
        if (!injected) return { action: 'none', detail: 'no plugin was raised' };
        return {
          action: 'none: Moodle refuses a downgrade',
          detail: `the cluster stays on ${component} one version newer than the spec; "up" with the unchanged spec is refused until the spec's version is raised past it, or the cluster is recreated`,
        };
      },
    };
  },
  bars: (m) => [
    zero('failed requests other than the maintenance page', m.failed - m.maintenance),
    maintenanceWithinMigrate(m),
    noSessionLost(m),
    noPostLost(m),
    steadyAfterRestore(m),
  ],
  detection: (f) => `migrate ran ${seconds(f.migrateSeconds)}`,
});
