// The first half of a planned Redis failover (roll-data-docker.ts `failover`; every group's clients keep
// their connections), as one shell script run in the old primary's container: its
// writes are paused from the first command until the roll cuts its connections, and PHP's read
// timeout is 2 s, so the steps may not each pay a `docker exec`.
//
// 1. CLIENT PAUSE WRITE (reads go on; CLIENT PAUSE's own limit ends it if the roll dies).
// 2. Wait until the replica's offset reaches the primary's: it holds every write ever acknowledged.
// 3. SENTINEL FAILOVER (retried while a Sentinel says no: it may not yet count the replica good).
// 4. Wait until the replica answers ROLE master.
// On any failure the writes resume and the script says why, exiting non-zero.
// Arguments: replica, Sentinel host, group, pause limit (ms), catch-up and Sentinel limit (ms).
// Output: "caught-up <ms> promoted <ms>".

/** The script (run with `sh -c SCRIPT sh ARGS…`); the old primary's container has redis-cli and REDIS_PASSWORD_FILE. */
export const PAUSED_FAILOVER_SH = `set -u
to=$1 sentinel=$2 group=$3 pause_ms=$4 limit_ms=$5
REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")"; export REDISCLI_AUTH
now() { date +%s%3N; }
offset() { tr -d '\\r' | sed -n "s/^$1://p"; }
give_up() { redis-cli client unpause >/dev/null 2>&1; echo "$1"; exit 1; }
t0=$(now)
redis-cli client pause "$pause_ms" write | grep -q OK || give_up "could not pause the writes: $(redis-cli ping 2>&1)"
while :; do
  w=$(redis-cli info replication | offset master_repl_offset)
  c=$(redis-cli -h "$to" info replication | offset slave_repl_offset)
  [ -n "$w" ] && [ -n "$c" ] && [ "$c" -ge "$w" ] && break
  [ $(($(now) - t0)) -gt "$limit_ms" ] && give_up "$to did not catch up within $limit_ms ms: offset \${c:-?} of \${w:-?}"
  sleep 0.02
done
t1=$(now)
while :; do
  answer=$(redis-cli -h "$sentinel" -p 26379 sentinel failover "$group" 2>&1)
  case "$answer" in OK*|*INPROG*) break ;; esac
  [ $(($(now) - t1)) -gt "$limit_ms" ] && give_up "Sentinel $sentinel did not start the failover of $group: $answer"
  sleep 0.1
done
while [ "$(redis-cli -h "$to" role 2>&1 | head -n 1)" != master ]; do
  [ $(($(now) - t1)) -gt "$limit_ms" ] && give_up "$to not promoted within $limit_ms ms of the failover request"
  sleep 0.02
done
echo "caught-up $((t1 - t0)) promoted $(($(now) - t1))"
`;

/**
 * The second half, once the endpoint sends new connections to the replica (argument 1): cut the
 * old primary's connections (their paused writes fail at once and go again, to the new primary),
 * make it the new primary's replica, and end the pause; the pause ends even when a step fails.
 */
export const CUT_DEMOTE_RESUME_SH = `REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")"; export REDISCLI_AUTH
redis-cli client kill type normal && redis-cli replicaof "$1" 6379 | grep -q OK; ok=$?
redis-cli client unpause >/dev/null
exit $ok
`;

/** The figures of the script's last line, or undefined when it did not finish. */
export function pausedFailoverTimes(output: string): { caughtUpMs: number; promotedMs: number } | undefined {
  const m = /caught-up (\d+) promoted (\d+)\s*$/.exec(output);
  return m ? { caughtUpMs: Number(m[1]), promotedMs: Number(m[2]) } : undefined;
}
