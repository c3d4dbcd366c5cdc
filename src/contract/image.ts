// Facts about the runtime image that every target relies on: one place, read by the Dockerfile
// build (as build args), the local orchestrator and the CDK task definitions.
import { IMAGE_LIMITS } from '../spec/limits.ts';

/** The image's three modes, chosen by the container command. */
export const IMAGE_MODES = ['web', 'migrate', 'cron'] as const;
export type ImageMode = (typeof IMAGE_MODES)[number];

export const RUNTIME_IMAGE = {
  /** uid/gid the container runs as (Debian's www-data); EFS access points use the same. */
  uid: 33,
  gid: 33,
  /** Port nginx listens on inside the container (non-root, so above 1024). */
  port: 8080,
  /** Shallow health: nginx and PHP-FPM answer (FPM's ping, in a pool of its own: never behind users' requests). For load balancer health checks. */
  healthPath: '/healthz',
  /** Deep readiness: DB, Redis, dataroot writable, DB version = code version. */
  readyPath: '/readyz',
  /** Where the Moodle code is baked in, read-only. */
  codeDir: '/var/www/moodle',
  /** The shared mount (moodledata): dataroot, cachedir, tempdir, backuptempdir. */
  sharedDataDir: '/var/www/moodledata',
  /** The container's own disk: localcachedir, localrequestdir. */
  localCacheDir: '/var/cache/moodle',
  /** OPcache's file cache (php.ini opcache.file_cache), in the container's own layer: the code's scripts baked at build (opcache-bake.php). */
  opcacheFileCache: '/var/cache/opcache',
  /** Where secret files are placed for the container (mode 0400, owned by uid). */
  secretsDir: '/run/moodle-ha/secrets',
  /** Where a local config bundle folder is mounted. */
  configBundleDir: '/etc/moodle-ha/bundle',
  /** CA bundles shipped in the image to verify its services' certificates. */
  trust: {
    /** Amazon RDS's global CA bundle (Aurora's certificates chain to it). */
    database: '/etc/moodle-ha/tls/rds-ca.pem',
    /** Amazon Trust Services' root CAs (ElastiCache's and other AWS public endpoints' certificates chain to them). */
    cache: '/etc/moodle-ha/tls/amazon-trust-ca.pem',
  },
  /** OPcache's and the servers' memory, the drain time: declared in spec/limits.ts, which checks specs against them. */
  ...IMAGE_LIMITS,
} as const;

/** Labels put on every Docker resource the project creates, so `down` finds all of them. */
export const LABELS = {
  project: 'io.moodle-ha.project',
  cluster: 'io.moodle-ha.cluster',
  service: 'io.moodle-ha.service',
  role: 'io.moodle-ha.role',
  /** Hash of a container's definition: unchanged means `up` keeps it. */
  definition: 'io.moodle-ha.definition',
} as const;
