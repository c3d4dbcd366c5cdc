// `migrate` of a local cluster outside `up`: the same container definition `up` runs (services.ts),
// from the image the cluster runs, against its running data tier. A migrate already running is
// waited for (migrate.ts), never replaced.
import type { MigrateOutcome } from '../runtime/cluster.ts';
import type { LoadedSpec } from '../spec/read.ts';
import type { Progress } from '../util/progress.ts';
import { progressHooks, runMigrateContainer } from './migrate.ts';
import { migrateTarget } from './migrate-target.ts';
import { runtimeContainer } from './services.ts';

export async function migrateNow(loaded: LoadedSpec, progress: Progress, opts: { readonly reinstall?: boolean } = {}): Promise<MigrateOutcome> {
  const target = await migrateTarget(loaded);
  const spec = runtimeContainer(
    loaded.spec,
    { runtime: target.image, mariadb: '', redis: '', haproxy: '', mail: '' },
    target.secrets,
    'migrate',
    1,
    target.bundle,
  );
  // `reinstall`: migrate.php drops an interrupted install that holds no data, under its lock, then installs.
  const cmd = opts.reinstall ? [...(spec.cmd ?? ['migrate']), 'reinstall'] : spec.cmd;
  const step = opts.reinstall
    ? 'migrate --reinstall (an install that stopped half-way is dropped and installed again, under the database lock)'
    : 'migrate (install or upgrade under a database lock)';
  return progress.step(step, () => runMigrateContainer({ ...spec, ...(cmd ? { cmd } : {}) }, progressHooks(progress)));
}
