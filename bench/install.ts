// A plain Moodle CLI install, for comparison with migrate's install: `php admin/cli/install.php
// --non-interactive --agree-license` in the same runtime image, against the bench cluster's
// MariaDB with a fresh table prefix (bench_, an empty schema for Moodle) and a dataroot on the
// container's own disk. install.php writes config.php into the code folder, and the image's code
// is read-only, so it runs on a writable copy (/tmp/moodle, config.php removed) in a throwaway
// container; only the install.php run itself is timed (inside the container, with date).
import { randomBytes } from 'node:crypto';
import { RUNTIME_IMAGE } from '../src/contract/image.ts';
import { exec } from '../src/local/containers.ts';
import { clusterNames } from '../src/local/names.ts';
import type { Secrets } from '../src/local/secrets.ts';
import type { ImageTags } from '../src/local/services.ts';
import type { Spec } from '../src/spec/schema.ts';
import { createExtra, removeExtra } from './extra.ts';

export const PLAIN_INSTALL_METHOD =
  'php admin/cli/install.php --non-interactive --agree-license (same image, writable copy of the code, same MariaDB, fresh prefix bench_, dataroot on container disk)';

export interface PlainInstall {
  readonly seconds: number;
  readonly exitCode: number;
  readonly method: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function plainInstall(spec: Spec, tags: ImageTags, secrets: Secrets, log: (s: string) => void): Promise<PlainInstall> {
  const n = clusterNames(spec.name);
  const name = `${spec.name}-benchinstall`;
  const c = await createExtra({
    name,
    cluster: spec.name,
    service: 'bench-install',
    image: tags.runtime,
    cmd: ['sleep', '7200'],
    network: n.network,
    stopTimeoutSeconds: 2,
  });
  try {
    await c.start();
    const copy = await exec(name, ['sh', '-c', `cp -a ${RUNTIME_IMAGE.codeDir} /tmp/moodle && rm -f /tmp/moodle/config.php && echo copied`]);
    if (!copy.output.includes('copied')) throw new Error(`copying the code for install.php failed: ${copy.output.slice(-500)}`);
    log('plain install: code copied to /tmp/moodle; running install.php');
    const args = [
      '--non-interactive',
      '--agree-license',
      '--lang=en',
      `--wwwroot=${spec.site.url}`,
      '--dataroot=/tmp/bench-data',
      '--dbtype=mariadb',
      `--dbhost=${n.dbWriter}`,
      '--dbname=moodle',
      '--dbuser=moodle',
      `--dbpass=${secrets['db-password']}`,
      '--prefix=bench_',
      '--fullname=Bench',
      '--shortname=bench',
      '--adminuser=admin',
      `--adminpass=${randomBytes(12).toString('base64url')}`,
      '--adminemail=admin@example.invalid',
    ];
    const script = `s=$(date +%s%N); php /tmp/moodle/admin/cli/install.php ${args.map(q).join(' ')} > /tmp/install.log 2>&1; rc=$?; e=$(date +%s%N); echo "BENCH $rc $(( (e - s) / 1000000 ))"; [ $rc = 0 ] || tail -n 20 /tmp/install.log`;
    const r = await exec(name, ['sh', '-c', script]);
    const m = /BENCH (\d+) (\d+)/.exec(r.output);
    if (!m) throw new Error(`install.php gave no timing: ${r.output.slice(-800)}`);
    const exitCode = Number(m[1]);
    if (exitCode !== 0) throw new Error(`install.php failed (exit ${exitCode}):\n${r.output.slice(-1500)}`);
    return { seconds: Number(m[2]) / 1000, exitCode, method: PLAIN_INSTALL_METHOD };
  } finally {
    await removeExtra(name);
  }
}
