// Moodle's maintenance mode around an upgrade on the local cluster. `up` runs migrate with
// MOODLE_MIGRATE_MAINTENANCE=keep: an upgrade turns maintenance on (climaintenance.html in the
// shared dataroot: every node, old code or new, answers Moodle's 503 page with Retry-After) and
// leaves it on, with a marker saying a migrate did. `up` turns it off (`migrate finish`, run in a
// ready node with the new code) once the load balancer lists only new-code nodes (roll-web.ts's
// cutover), or after the web step when a run was interrupted before that. Maintenance that an
// administrator turned on carries no marker and is never turned off here.
import { RUNTIME_IMAGE } from '../contract/image.ts';
import { UserError } from '../util/errors.ts';
import type { Progress } from '../util/progress.ts';
import { exec, inspectContainer, runsSteadily, type ContainerSpec } from './containers.ts';

/** The marker migrate.php writes when it turns maintenance on for an upgrade, and removes on `finish`. */
export const MAINTENANCE_MARKER = `${RUNTIME_IMAGE.sharedDataDir}/moodle-ha/maintenance-by-migrate`;

/** The migrate container `up` runs: an upgrade leaves maintenance on for `up` to turn off once the new code alone serves. */
export function keepingMaintenance(def: ContainerSpec): ContainerSpec {
  return { ...def, env: { ...def.env, MOODLE_MIGRATE_MAINTENANCE: 'keep' } };
}

/**
 * Whether maintenance mode that a migrate turned on is still on, read in the first of `nodes`
 * that runs (they share the dataroot); false when none runs (nothing serves then: `up` asks again
 * once its web nodes run).
 */
export async function maintenanceByMigrate(nodes: readonly string[]): Promise<boolean> {
  for (const name of nodes) {
    if (!runsSteadily((await inspectContainer(name))?.State)) continue; // nothing to ask
    try {
      return (await exec(name, ['test', '-e', MAINTENANCE_MARKER])).code === 0;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 409) continue; // it began restarting since
      throw e;
    }
  }
  return false;
}

/**
 * `migrate finish` in `node`, a ready node with the new code: turns maintenance off when the
 * database matches that code and a migrate turned it on. Run in a serving node rather than a
 * container of its own, so the maintenance window does not grow by a container's start.
 */
export async function finishMaintenance(node: string, progress: Progress): Promise<void> {
  const r = await exec(node, ['php', '/opt/moodle-ha/php/migrate.php', 'finish']);
  for (const line of r.output.split('\n').filter((l) => /^migrate\[/.test(l))) progress.info(line);
  if (r.code !== 0)
    throw new UserError(
      `maintenance mode could not be turned off (migrate finish in ${node}, exit ${r.code}); users see Moodle's maintenance page until it is. Run up again. Its output:\n${r.output.trimEnd().split('\n').slice(-10).join('\n')}`,
    );
}
