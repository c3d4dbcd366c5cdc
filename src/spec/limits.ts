// Facts from outside the spec that a spec must fit. They are declared here, in the lowest layer
// that checks them, and the layers above take them from here: contract/image.ts hands the image's
// to the image and the targets as part of RUNTIME_IMAGE, contract/timeouts.ts builds the timeout
// chain within CloudFront's.

/** What the runtime image itself needs, whatever the spec says. */
export const IMAGE_LIMITS = {
  /** OPcache's shared memory in MiB (opcache.memory_consumption in the image's php.ini). */
  opcacheMiB: 256,
  /** APCu's shared memory in MiB, the node-local tier of Moodle's caches (apc.shm_size in the image's php.ini). */
  apcuMiB: 64,
  /** MiB nginx, the PHP-FPM master and tini use in a web container, besides the workers and OPcache. */
  serverOverheadMiB: 64,
  /** Seconds a web container needs at most to drain in-flight requests after SIGTERM. */
  drainSeconds: 25,
} as const;

/** CloudFront's origin response timeout without a quota increase, and with one. */
export const CLOUDFRONT_ORIGIN_READ_DEFAULT_MAX = 60;
export const CLOUDFRONT_ORIGIN_READ_MAX = 180;
