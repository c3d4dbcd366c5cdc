#!/bin/bash
# Docker's health check of a MariaDB node. A Galera member (GALERA_PEERS set): its galera-check
# answers GET / with 200 (Synced in the primary component), asked with bash built-ins only; the
# earlier sh + mariadb-admin + bash + mariadb + grep were 5 process starts every 3 s in every
# member (it runs every 30 s now, and whenever `up` or `status` waits for one). A single server: mariadb-admin ping answers.
set -u
[ -n "${GALERA_PEERS:-}" ] || exec mariadb-admin --protocol=socket ping --silent
exec 3<>"/dev/tcp/127.0.0.1/${GALERA_CHECK_PORT:-9200}" || exit 1
printf 'GET / HTTP/1.0\r\n\r\n' >&3
IFS= read -r -t 3 line <&3 || exit 1
[[ $line == 'HTTP/1.1 200 '* ]]
