#!/bin/bash
# Writes redis.conf (with the AUTH password from REDIS_PASSWORD_FILE) and runs redis-server.
# Sessions must survive a restart: append-only file, fsync every second.
set -euo pipefail
pwfile="${REDIS_PASSWORD_FILE:?REDIS_PASSWORD_FILE is required}"
[ -r "$pwfile" ] || { echo "redis: cannot read $pwfile" >&2; exit 78; }
conf=/run/redis/redis.conf
umask 077
{
  echo "bind 0.0.0.0"
  echo "protected-mode no"
  echo "port 6379"
  echo "dir /data"
  echo "appendonly yes"
  echo "appendfsync everysec"
  echo "save 60 1000"
  echo "maxmemory ${REDIS_MAXMEMORY:-256mb}"
  echo "maxmemory-policy noeviction"
  echo "requirepass \"$(cat "$pwfile")\""
  echo "masterauth \"$(cat "$pwfile")\""
  echo "include /run/redis/extra.conf"
} > "$conf"
: > /run/redis/extra.conf
[ -n "${REDIS_EXTRA:-}" ] && printf '%s\n' "$REDIS_EXTRA" > /run/redis/extra.conf
exec redis-server "$conf"
