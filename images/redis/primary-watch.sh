#!/bin/bash
# Started in the background by the entrypoint of an ha Redis data node (REDIS_SENTINELS set).
# Every 0.5 s: if this node says it is a primary while a majority of the Sentinels (quorum,
# REDIS_SENTINEL_QUORUM, default 2) name another node as the primary of its group, it makes itself
# a replica of that node at once (REPLICAOF).
# Why: a primary that was stalled (paused, frozen, cut off) longer than Sentinel's down-after comes
# back still calling itself the primary, although Sentinel promoted its replica meanwhile. Sentinel
# demotes it only at its next INFO poll of that node, up to 10 s later: measured here, the
# cache-stall drill (the sessions' primary paused 5 s) saw the resumed node take session writes
# for about 10 s and then answer READONLY (writes made there meanwhile are lost at the resync).
# This closes that window to about a second, before the endpoints' check (role:master twice, 1 s
# apart) lets it take connections again. A node the Sentinels still name, or when they do not
# answer, is left alone; so is a node while the named primary is flagged down or failing over
# (flags other than plain "master"): that is a failover in flight, which may be promoting this
# very node (Sentinel sends REPLICAOF NO ONE before it switches the name it answers with). So is a
# node that any Sentinel names as the primary: in a failover asked for (SENTINEL FAILOVER, the data
# tier's rolling restart) the old primary stays up and plainly "master" to the other Sentinels
# until they hear of the switch (about 2 s), while the leader already names the promoted node; and
# before that, while any Sentinel flags the group's primary as failing over (the leader, from the
# promotion until it switches the name it answers with). So is a node the data tier's rolling
# restart is failing over (it writes the time into REDIS_PLANNED_FAILOVER_FILE before it asks
# Sentinel): the roll moves the endpoint, drains this node and makes it a replica itself. Demoting
# it here first made it answer READONLY to the writes the endpoint still sent it (seen in CI: all
# three Sentinels switched within 3 ms, and a session lock failed 0.2-0.3 s later, before the
# endpoint moved). A mark older than 60 s is ignored: a roll that was interrupted.
# WATCH_ONCE=1: one pass, then exit (tests).
set -uo pipefail
group="${REDIS_SENTINEL_GROUP:?}"
quorum="${REDIS_SENTINEL_QUORUM:-2}"
me=$(hostname)
export REDISCLI_AUTH
REDISCLI_AUTH=$(cat "${REDIS_PASSWORD_FILE:?}")
ask() { timeout 1 redis-cli -h "$1" -p 26379 --raw "${@:2}" 2>/dev/null; }
planned="${REDIS_PLANNED_FAILOVER_FILE:-/run/redis/planned-failover}"
# True while the rolling restart's mark is younger than 60 s.
planned_now() {
  local t
  t=$(cat "$planned" 2>/dev/null) || return 1
  [[ "$t" =~ ^[0-9]+$ ]] && [ $(($(date +%s) - t)) -lt 60 ]
}
while :; do
  out=$(timeout 1 redis-cli -p 6379 --raw role 2>/dev/null) || out=''
  if [ "${out%%$'\n'*}" = master ] && ! planned_now; then
    declare -A named=()
    mine=0 busy=0
    for s in ${REDIS_SENTINELS//,/ }; do
      a=$(ask "$s" sentinel get-master-addr-by-name "$group") || continue
      host=${a%%$'\n'*}
      [ "$host" = "$me" ] && mine=1
      if [ -z "$host" ] || [ "$host" = "$me" ]; then continue; fi
      flags=$(ask "$s" sentinel master "$group" | sed -n '/^flags$/{n;p;}') || continue
      case "$flags" in *failover*) busy=1 ;; esac
      [ "$flags" = master ] && named[$host]=$(( ${named[$host]:-0} + 1 ))
    done
    for host in "${!named[@]}"; do
      if [ "$mine" = 0 ] && [ "$busy" = 0 ] && [ "${named[$host]}" -ge "$quorum" ]; then
        echo "redis: this node says it is a primary, but ${named[$host]} Sentinels name $host as the primary of group $group: becoming its replica" >&2
        timeout 1 redis-cli -p 6379 replicaof "$host" 6379 >/dev/null 2>&1 || echo "redis: REPLICAOF $host failed; retrying" >&2
      fi
    done
    unset named
  fi
  [ "${WATCH_ONCE:-0}" = 1 ] && exit 0
  sleep 0.5
done
