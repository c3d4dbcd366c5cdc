// The direct path: one more web container of the same runtime image, serving without the load
// balancer, with PHP file sessions instead of Redis (a config bundle config.php fragment), on the
// bench network with its own published 127.0.0.1 port, the same database, FPM workers and memory
// as the cluster's web node. Its wwwroot is its own URL: Moodle redirects requests whose host:port
// differ from wwwroot.
import { checkEnvironment } from '../src/contract/env.ts';
import { RUNTIME_IMAGE } from '../src/contract/image.ts';
import { exec } from '../src/local/containers.ts';
import { waitReady } from '../src/local/readiness.ts';
import type { Secrets } from '../src/local/secrets.ts';
import { runtimeContainer, type ImageTags } from '../src/local/services.ts';
import type { Spec } from '../src/spec/schema.ts';
import { createExtra, freePort, until200 } from './extra.ts';

export const FILE_SESSIONS = String.raw`<?php
// moodle-ha bench: the direct path keeps PHP sessions in files (dataroot/sessions), not Redis.
$CFG->session_handler_class = '\core\session\file';
`;
/** With --direct-no-redis: MUC config on the container's own disk too, so Moodle writes its default (file stores). */
export const LOCAL_MUC = `$CFG->altcacheconfigpath = '/var/cache/moodle/muc-config.php';
`;

export interface Direct {
  readonly name: string;
  /** Where to connect (loopback). */
  readonly base: string;
  /** Host header: the container's wwwroot host. */
  readonly host: string;
  readonly wwwroot: string;
}

export async function startDirect(spec: Spec, tags: ImageTags, secrets: Secrets, noRedis = false): Promise<Direct> {
  const port = await freePort();
  const wwwroot = `http://localhost:${port}`;
  const def = runtimeContainer(spec, tags, secrets, 'web', 1);
  const env = { ...def.env, MOODLE_WWWROOT: wwwroot, MOODLE_CONFIG_BUNDLE: RUNTIME_IMAGE.configBundleDir };
  const problems = checkEnvironment('web', env);
  if (problems.length) throw new Error(`direct container environment: ${problems.join('; ')}`);
  const name = `${spec.name}-direct`;
  const bundle = {
    name: `${RUNTIME_IMAGE.configBundleDir}/config.php`,
    content: FILE_SESSIONS + (noRedis ? LOCAL_MUC : ''),
    mode: 0o440,
    uid: 0,
    gid: RUNTIME_IMAGE.gid,
  };
  const c = await createExtra({
    ...def,
    name,
    service: 'bench-direct',
    env,
    files: [...(def.files ?? []).filter((f) => !f.name.startsWith(`${RUNTIME_IMAGE.configBundleDir}/`)), bundle],
    ports: [{ container: RUNTIME_IMAGE.port, host: port, bind: '127.0.0.1' }],
  });
  await c.start();
  await waitReady(name, 120_000);
  const base = `http://127.0.0.1:${port}`;
  await until200(`${base}/login/index.php`, 60_000, { host: `localhost:${port}` });
  return { name, base, host: `localhost:${port}`, wwwroot };
}

/** Session files in the shared dataroot (the direct path's file sessions). */
export async function sessionFiles(name: string): Promise<number> {
  const r = await exec(name, ['sh', '-c', `ls ${RUNTIME_IMAGE.sharedDataDir}/sessions 2>/dev/null | wc -l`]);
  return Number(r.output.trim()) || 0;
}
