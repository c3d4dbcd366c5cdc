// The service images built from images/<name>/Dockerfile (MariaDB, Redis, HAProxy) and the fixed
// uid of each one's server user: files put into their containers (secrets, HAProxy's config) are
// owned by it, locally and in the tests of the AWS task definitions alike.

export const SERVICE_IMAGES = ['mariadb', 'redis', 'haproxy'] as const;
export type ServiceImage = (typeof SERVICE_IMAGES)[number];
/** uid (= gid) of each service image's server user: files put into its containers use it. */
export const SERVICE_UIDS: Readonly<Record<ServiceImage, number>> = { mariadb: 999, redis: 998, haproxy: 997 };
