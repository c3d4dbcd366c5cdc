#!/bin/bash
# Writes redis.conf (with the AUTH password from REDIS_PASSWORD_FILE) and runs redis-server.
# Sessions (the default) must survive a restart and are never evicted: append-only file, fsync
# every second, noeviction. A cache server (REDIS_MAXMEMORY_POLICY=allkeys-lru, REDIS_PERSIST=no)
# evicts its least recently used keys and keeps nothing on disk.
#
# Never two primaries (ha profile). A data node watched by Sentinels (REDIS_SENTINELS: their host
# names; REDIS_SENTINEL_GROUP: the name they monitor it under) asks them, before redis-server
# starts, which node is the primary now (SENTINEL get-master-addr-by-name), and starts as:
# - a replica of that node, when any answering Sentinel names another node (a failover happened
#   while this one was down: a former primary never accepts a write before it has resynced);
# - the primary, when the answering Sentinels all name this node and none sees it down
#   (a restart quicker than Sentinel's down-after: no failover began, so this is still the primary);
# - while they name this node but flag it down (s_down, o_down) or fail over, it waits (polling,
#   at most REDIS_SENTINEL_WAIT_S, default 20 s) for the failover to name another node; if none
#   does (no replica to promote), it starts as the primary, since there is no other;
# - the role it was configured with (REDIS_REPLICAOF or its redis.conf) when no Sentinel answers
#   within 2 s each: a fresh cluster's first start (the Sentinels start after the data nodes) and
#   the dev profile (no Sentinels).
# While it runs, primary-watch (in the background) demotes it at once if it says it is the
# primary while a majority of the Sentinels name another node (a stall longer than down-after).
# min-replicas-to-write is not used: with one replica per primary it would refuse every session
# write whenever that replica is down, turning the loss of one node into an outage.
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
# The role to start in: replicaof arguments for redis-server (empty: the configured role).
role_args=()
if [ -n "${REDIS_SENTINELS:-}" ]; then
  group="${REDIS_SENTINEL_GROUP:?REDIS_SENTINEL_GROUP is required with REDIS_SENTINELS}"
  me=$(hostname)
  ask() { timeout 2 redis-cli -h "$1" -p 26379 --raw "${@:2}" 2>/dev/null; }
  deadline=$((SECONDS + ${REDIS_SENTINEL_WAIT_S:-20}))
  while :; do
    other='' mine=0 busy='' out=''
    for s in ${REDIS_SENTINELS//,/ }; do
      # The whole answer, then its first line (head would cut redis-cli off: a failed pipeline).
      out=$(ask "$s" sentinel get-master-addr-by-name "$group") || continue
      host=${out%%$'\n'*}
      [ -n "$host" ] || continue
      if [ "$host" != "$me" ]; then
        other="$host"
      else
        mine=$((mine + 1))
        flags=$(ask "$s" sentinel master "$group" | sed -n '/^flags$/{n;p;}') || flags=''
        case "$flags" in *s_down* | *o_down* | *failover*) busy="$s: $flags" ;; esac
      fi
    done
    if [ -n "$other" ]; then
      echo "redis: the Sentinels name $other as the $group primary: starting as its replica" >&2
      role_args=(--replicaof "$other" 6379)
      break
    elif [ "$mine" -eq 0 ]; then
      echo "redis: no Sentinel answered: starting in the configured role" >&2
      break
    elif [ -z "$busy" ] || [ "$SECONDS" -ge "$deadline" ]; then
      echo "redis: the Sentinels name this node as the $group primary${busy:+ (still $busy after ${REDIS_SENTINEL_WAIT_S:-20} s)}: starting as the primary" >&2
      role_args=(--replicaof no one)
      break
    fi
    sleep 0.5
  done
fi
if [ -n "${REDIS_SENTINELS:-}" ] && [ -x /usr/local/bin/redis-primary-watch ]; then
  /usr/local/bin/redis-primary-watch &
fi
exec redis-server "$conf" "${role_args[@]}"
