#!/bin/bash
# First start: initialise the data folder, create the database and its user. Then run mariadbd.
set -euo pipefail
db="${MARIADB_DATABASE:?MARIADB_DATABASE is required}"
user="${MARIADB_USER:?MARIADB_USER is required}"
pwfile="${MARIADB_PASSWORD_FILE:?MARIADB_PASSWORD_FILE is required}"
[ -r "$pwfile" ] || { echo "mariadb: cannot read $pwfile" >&2; exit 78; }
initialise() {
  echo "mariadb: first start: initialising the data folder" >&2
  rm -rf /var/lib/mysql/*
  mariadb-install-db --datadir=/var/lib/mysql --auth-root-authentication-method=socket --auth-root-socket-user=mysql --skip-test-db >/dev/null
  mariadbd --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 1 60); do mariadb-admin --socket=/run/mysqld/init.sock ping --silent 2>/dev/null && break; sleep 0.5; done
  # A quoted SQL string: double each quote, and each backslash (an escape character in MariaDB).
  pw=$(sed -e 's/\\/\\\\/g' -e "s/'/''/g" "$pwfile")
  mariadb --socket=/run/mysqld/init.sock <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%';
FLUSH PRIVILEGES;
SQL
  kill "$pid"; wait "$pid" || true
  touch /var/lib/mysql/.moodle-ha-initialised
  echo "mariadb: database $db and user $user created" >&2
}

if [ -n "${GALERA_PEERS:-}" ]; then
  # shellcheck source-path=SCRIPTDIR source=galera.sh # the Dockerfile copies galera.sh there
  source /usr/local/bin/mariadb-galera
  galera_start
fi
[ -f /var/lib/mysql/.moodle-ha-initialised ] || initialise
exec mariadbd
