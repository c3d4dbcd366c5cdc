// Web container start → first 200 from /healthz: a fresh web-mode container of the runtime image
// (the cluster's own web definition: environment, secrets, memory) on the bench cluster's network,
// with its port published on an ephemeral 127.0.0.1 port. Timed from the engine's start call (the
// container is created and its files put in beforehand) to the first 200, polled every 25 ms.
import { RUNTIME_IMAGE } from '../src/contract/image.ts';
import type { Secrets } from '../src/local/secrets.ts';
import { runtimeContainer, type ImageTags } from '../src/local/services.ts';
import type { Spec } from '../src/spec/schema.ts';
import { createExtra, publishedPort, removeExtra, until200 } from './extra.ts';

export async function webStartSeconds(spec: Spec, tags: ImageTags, secrets: Secrets, runs: number, log: (s: string) => void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const def = runtimeContainer(spec, tags, secrets, 'web', 1);
    const name = `${spec.name}-benchstart-${i}`;
    const c = await createExtra({ ...def, name, service: 'bench-start', ports: [{ container: RUNTIME_IMAGE.port, host: 0, bind: '127.0.0.1' }] });
    try {
      const t0 = performance.now();
      await c.start();
      const port = await publishedPort(c, RUNTIME_IMAGE.port);
      await until200(`http://127.0.0.1:${port}${RUNTIME_IMAGE.healthPath}`, 60_000, { everyMs: 25 });
      const s = (performance.now() - t0) / 1000;
      out.push(s);
      log(`web start → /healthz 200, run ${i}: ${s.toFixed(2)} s`);
    } finally {
      await removeExtra(name);
    }
  }
  return out;
}
