// The reference server's container: the reference image (image.ts) on the bench cluster's network,
// with its own published 127.0.0.1 port and wwwroot, the cluster's database (same server, same
// site), its own dataroot on the container's disk (file sessions, Moodle's default file caches,
// temp) and the cluster's file store (filedir on the shared volume, so the course's files are
// there). config.php, with the database password, is put in when the container is created.
import { RUNTIME_IMAGE } from '../../src/contract/image.ts';
import { clusterNames } from '../../src/local/names.ts';
import type { Secrets } from '../../src/local/secrets.ts';
import { DB_NAME, DB_USER } from '../../src/local/services.ts';
import type { Target } from '../../src/ops/load/http.ts';
import type { Spec } from '../../src/spec/schema.ts';
import { createExtra, freePort, until200 } from '../extra.ts';
import { REFERENCE } from './image.ts';
import { PERF_TRIGGER } from './perf-info.ts';

export const REFERENCE_SERVICE = 'bench-reference';
const SHARED = '/mnt/cluster-data';

const php = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A plain Moodle config.php, as an admin writes it from config-dist.php. */
export function referenceConfig(spec: Spec, secrets: Secrets, wwwroot: string): string {
  return `<?php
unset($CFG);
global $CFG;
$CFG = new stdClass();
$CFG->dbtype = 'mariadb';
$CFG->dblibrary = 'native';
$CFG->dbhost = ${php(clusterNames(spec.name).dbWriter)};
$CFG->dbname = ${php(DB_NAME)};
$CFG->dbuser = ${php(DB_USER)};
$CFG->dbpass = ${php(secrets['db-password'])};
$CFG->prefix = 'mdl_';
$CFG->dboptions = ['dbpersist' => 0, 'dbport' => 3306, 'dbcollation' => 'utf8mb4_unicode_ci'];
$CFG->wwwroot = ${php(wwwroot)};
$CFG->dataroot = ${php(REFERENCE.dataroot)};
// The site's files are the cluster's (the same site): its file store on the shared volume.
$CFG->filedir = ${php(`${SHARED}/filedir`)};
$CFG->admin = 'admin';
$CFG->directorypermissions = 02777;
${PERF_TRIGGER}
require_once(__DIR__ . '/lib/setup.php');
`;
}

/** Starts the reference server; returns where the load connects, once its login page answers 200. */
export async function startReference(spec: Spec, secrets: Secrets, image: string): Promise<{ name: string; target: Target }> {
  const n = clusterNames(spec.name);
  const port = await freePort();
  const wwwroot = `http://localhost:${port}`;
  const name = `${spec.name}-reference`;
  const c = await createExtra({
    name,
    cluster: spec.name,
    service: REFERENCE_SERVICE,
    image,
    network: n.network,
    volumes: { [n.volumes.moodledata]: SHARED },
    files: [{ name: `${REFERENCE.codeDir}/config.php`, content: referenceConfig(spec, secrets, wwwroot), mode: 0o440, uid: 0, gid: RUNTIME_IMAGE.gid }],
    env: { REFERENCE_PORT: String(port) },
    ports: [{ container: port, host: port, bind: '127.0.0.1' }],
    memoryBytes: spec.web.memory.bytes,
  });
  await c.start();
  await until200(`http://127.0.0.1:${port}/login/index.php`, 120_000, { host: `localhost:${port}` });
  return { name, target: { baseUrl: wwwroot, connectHost: '127.0.0.1', connectPort: port, hostHeader: `localhost:${port}` } };
}
