#!/bin/bash
# Writes redis.conf (with the AUTH password from REDIS_PASSWORD_FILE) and runs redis-server.
# Sessions (the default) must survive a restart and are never evicted: append-only file, fsync
# every second, noeviction. A cache server (REDIS_MAXMEMORY_POLICY=allkeys-lru, REDIS_PERSIST=no)
# evicts its least recently used keys and keeps nothing on disk.
set -euo pipefail
pwfile="${REDIS_PASSWORD_FILE:?REDIS_PASSWORD_FILE is required}"
[ -r "$pwfile" ] || { echo "redis: cannot read $pwfile" >&2; exit 78; }
conf=/run/redis/redis.conf
# A double-quoted redis.conf string: escape backslashes and double quotes.
pw=$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' "$pwfile")
umask 077
if [ -n "${REDIS_SENTINEL_MONITOR:-}" ]; then
  # Sentinel mode: watch the primary named in REDIS_SENTINEL_MONITOR. The file is written once per
  # container: Sentinel rewrites it with what it learns (the current primary), and a restart
  # must keep that.
  sconf=/run/redis/sentinel.conf
  if [ ! -f "$sconf" ]; then
    {
      echo "port 26379"
      echo "dir /tmp"
      echo "sentinel resolve-hostnames yes"
      echo "sentinel announce-hostnames yes"
      echo "sentinel announce-ip $(hostname)"
      echo "sentinel monitor primary $REDIS_SENTINEL_MONITOR 6379 ${REDIS_SENTINEL_QUORUM:-2}"
      echo "sentinel auth-pass primary \"$pw\""
      echo "sentinel down-after-milliseconds primary ${REDIS_SENTINEL_DOWN_AFTER_MS:-3000}"
      echo "sentinel failover-timeout primary 10000"
      echo "sentinel parallel-syncs primary 1"
      # A second replication group (the caches), watched by the same Sentinels.
      if [ -n "${REDIS_SENTINEL_MONITOR_CACHE:-}" ]; then
        echo "sentinel monitor cache $REDIS_SENTINEL_MONITOR_CACHE 6379 ${REDIS_SENTINEL_QUORUM:-2}"
        echo "sentinel auth-pass cache \"$pw\""
        echo "sentinel down-after-milliseconds cache ${REDIS_SENTINEL_DOWN_AFTER_MS:-3000}"
        echo "sentinel failover-timeout cache 10000"
        echo "sentinel parallel-syncs cache 1"
      fi
    } > "$sconf"
  fi
  exec redis-server "$sconf" --sentinel
fi
[ -f "$conf" ] || {
  echo "bind 0.0.0.0"
  echo "protected-mode no"
  echo "port 6379"
  echo "dir /data"
  if [ "${REDIS_PERSIST:-yes}" = yes ]; then
    echo "appendonly yes"
    echo "appendfsync everysec"
    echo "save 60 1000"
  else
    echo "appendonly no"
    echo 'save ""'
  fi
  echo "maxmemory ${REDIS_MAXMEMORY:-256mb}"
  echo "maxmemory-policy ${REDIS_MAXMEMORY_POLICY:-noeviction}"
  echo "requirepass \"$pw\""
  echo "masterauth \"$pw\""
  echo "replica-announce-ip $(hostname)"
  [ -n "${REDIS_REPLICAOF:-}" ] && echo "replicaof $REDIS_REPLICAOF 6379"
  echo "include /run/redis/extra.conf"
} > "$conf"
: > /run/redis/extra.conf
[ -n "${REDIS_EXTRA:-}" ] && printf '%s\n' "$REDIS_EXTRA" > /run/redis/extra.conf
exec redis-server "$conf"
