// The CLI's composition root for clusters: the one place that chooses which target runs one.
// Commands take the runtime from here and hand it to operations (src/ops/), which know only the
// interface (src/runtime/cluster.ts). One target runs clusters today: Docker on this machine.
import type { ClusterRuntime } from '../runtime/cluster.ts';
import { localRuntime } from '../local/runtime.ts';
import type { LoadedSpec } from '../spec/read.ts';

/** The runtime of the cluster `loaded` describes. */
export function runtimeFor(loaded: LoadedSpec): ClusterRuntime {
  return localRuntime(loaded);
}
