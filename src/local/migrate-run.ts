// `migrate` of a local cluster outside `up`: the same container definition `up` runs (services.ts),
// from the image the cluster runs, against its running data tier. A migrate already running is
// waited for (migrate.ts), never replaced.
import type { MigrateOutcome } from '../runtime/cluster.ts';
import type { LoadedSpec } from '../spec/read.ts';
import type { Progress } from '../util/progress.ts';
import { progressHooks, runMigrateContainer } from './migrate.ts';
import { migrateTarget } from './migrate-target.ts';
import { runtimeContainer } from './services.ts';

export async function migrateNow(loaded: LoadedSpec, progress: Progress): Promise<MigrateOutcome> {
  const target = await migrateTarget(loaded);
  return progress.step('migrate (install or upgrade under a database lock)', () =>
    runMigrateContainer(
      runtimeContainer(loaded.spec, { runtime: target.image, mariadb: '', redis: '', haproxy: '', mail: '' }, target.secrets, 'migrate', 1, target.bundle),
      progressHooks(progress),
    ),
  );
}
