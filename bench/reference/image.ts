// The reference of `npm run bench -- reference`: the one server a site runs today, built in the
// bench from Debian's own packages with their defaults (nginx, php8.2-fpm with OPcache on, file
// sessions; Moodle's default file caches because nothing else is configured), and the same Moodle
// tree the cluster's image holds. Not the project's runtime image: nothing of ours is in it but
// the nginx site (Moodle's documented recipe) and one change to FPM's pool: the same number of
// workers as the cluster's web node, so the comparison is not about the worker count.
// No secret is in the image: config.php (with the database password) is put into the container
// when it is created (server.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageExists } from '../../src/local/engine/docker.ts';
import { build, imageKey } from '../../src/local/images/build.ts';
import { cachedTree } from '../../src/moodle/cache.ts';
import type { Progress } from '../../src/util/progress.ts';

export const REFERENCE = {
  repository: 'moodle-ha/bench-reference',
  codeDir: '/var/www/moodle',
  /** The plain server's own dataroot (its file caches, sessions, temp), on the container's disk. */
  dataroot: '/var/lib/moodledata',
} as const;

/** Debian's nginx site for Moodle (docs.moodle.org's nginx recipe: slash arguments, no dot files). */
const SITE = `server {
    listen __PORT__ default_server;
    root ${REFERENCE.codeDir};
    index index.php;
    client_max_body_size 100M;
    location / {
        try_files $uri $uri/ =404;
    }
    location ~ [^/]\\.php(/|$) {
        fastcgi_split_path_info ^(.+\\.php)(/.+)$;
        fastcgi_index index.php;
        fastcgi_pass unix:/run/php/php8.2-fpm.sock;
        include fastcgi_params;
        fastcgi_param PATH_INFO $fastcgi_path_info;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
    }
    location ~ /\\.(?!well-known).* {
        return 404;
    }
}
`;

// nginx listens on the port the host publishes, as a plain server listens on the port of its
// wwwroot: Moodle redirects a request whose server port differs from wwwroot's (SERVER_PORT).
const START = `#!/bin/sh
# PHP-FPM as Debian's service would start it, then nginx in the foreground.
set -e
case "$REFERENCE_PORT" in ''|*[!0-9]*) echo "REFERENCE_PORT must be the published port, got '$REFERENCE_PORT'" >&2; exit 2;; esac
sed -i "s/__PORT__/$REFERENCE_PORT/" /etc/nginx/sites-enabled/default
mkdir -p /run/php
php-fpm8.2 --daemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf
exec nginx -g 'daemon off;'
`;

function dockerfile(workers: number): string {
  return `FROM debian:bookworm-slim
RUN set -eux; export DEBIAN_FRONTEND=noninteractive; apt-get update; \\
    apt-get install -y nginx php8.2-fpm php8.2-opcache php8.2-mysql php8.2-curl php8.2-gd php8.2-intl \\
        php8.2-mbstring php8.2-xml php8.2-zip php8.2-soap; \\
    rm -rf /var/lib/apt/lists/*; \\
    sed -i 's/^pm.max_children = .*/pm.max_children = ${workers}/' /etc/php/8.2/fpm/pool.d/www.conf; \\
    grep -qx 'pm.max_children = ${workers}' /etc/php/8.2/fpm/pool.d/www.conf; \\
    php -m | grep -qix 'zend opcache'
COPY site.conf /etc/nginx/sites-enabled/default
COPY start.sh /usr/local/bin/reference-start
COPY moodle/ ${REFERENCE.codeDir}/
RUN chmod 0755 /usr/local/bin/reference-start; install -d -o www-data -g www-data -m 0770 ${REFERENCE.dataroot}
CMD ["/usr/local/bin/reference-start"]
`;
}

/** Builds (or finds) the reference image for a cached Moodle version; returns its tag. */
export async function buildReferenceImage(version: string, workers: number, progress: Progress): Promise<string> {
  const tree = cachedTree(version);
  if (!tree) throw new Error(`no cached Moodle ${version} tree`);
  const dir = mkdtempSync(join(tmpdir(), 'moodle-ha-bench-reference-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile(workers));
    writeFileSync(join(dir, 'site.conf'), SITE);
    writeFileSync(join(dir, 'start.sh'), START);
    const layers = [
      { from: dir, to: '' },
      {
        from: tree.dir,
        to: 'moodle',
        hashContents: false,
        readOnly: true,
        exclude: (rel: string) => rel === 'config.php' || rel.startsWith('.git/') || rel.startsWith('.moodle-ha-'),
      },
    ];
    const tag = `${REFERENCE.repository}:${version}-${await imageKey(layers, `workers=${workers}`, progress)}`;
    if (await imageExists(tag)) {
      progress.info(`reference image ${tag} is up to date`);
      return tag;
    }
    await progress.step(`build reference image ${tag} (Debian nginx + php8.2-fpm)`, () => build(tag, layers, {}, undefined, progress));
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
