// A planned Redis failover (roll-data-docker.ts `failover`; every group's clients keep their
// connections), as one shell script run in the ha endpoints container, beside the HAProxy admin
// socket that steers the group's primary endpoint. The old primary's writes are paused from the
// first step until its connections are cut, and PHP's read timeout is 2 s: no step in between may
// pay a `docker exec` (with the endpoint's move and the cut as two more execs from the roll, a
// loaded run paused the writes about 0.75 s; in one script, 230-350 ms).
//
// 1. CLIENT PAUSE WRITE on the old primary (reads go on; the pause's own limit ends it if the roll dies).
// 2. Wait until the replica's offset reaches the primary's: it holds every write ever acknowledged.
// 3. SENTINEL FAILOVER (retried while a Sentinel says no: it may not yet count the replica good).
// 4. Wait until the replica answers ROLE master.
// 5. The endpoint: the new primary up, the old one drained, the stick entry cleared (new connections go to it).
// 6. Cut the old primary's connections (their paused writes fail at once and go again, through the
//    endpoint, to the new primary), make it the new primary's replica, and end the pause.
// 7. The endpoint: the old primary marked down, then out of DRAIN. Down first: its last check (up to
//    1 s ago) still said master, so "ready" alone would count it UP until the next check, and the
//    "first" balance would send new connections to a replica (seen in CI: a session lock answered
//    READONLY, HTTP 500). Its check brings it back only when it is a primary again (rise 2).
// Before 5, a failure resumes the writes and says why; from 5 on the new primary is promoted, so the
// old one is demoted whatever happens, and the script says what failed. Exit non-zero on any failure.
// Arguments: old primary, replica, Sentinel host, group, endpoint backend, pause limit (ms),
// catch-up and Sentinel limit (ms), admin socket.
// Output, last line: "caught-up <ms> promoted <ms> moved <ms> cut <ms>", each from the step before.

/** The script (run with `sh -c SCRIPT sh ARGS…`); its container has redis-cli, socat and REDIS_PASSWORD_FILE. */
export const PLANNED_FAILOVER_SH = `set -u
from=$1 to=$2 sentinel=$3 group=$4 backend=$5 pause_ms=$6 limit_ms=$7 sock=$8
REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")"; export REDISCLI_AUTH
now() { date +%s%3N; }
offset() { tr -d '\\r' | sed -n "s/^$1://p"; }
old() { redis-cli -h "$from" "$@"; }
give_up() { old client unpause >/dev/null 2>&1; echo "$1"; exit 1; }
endpoint() {
  answer=$(echo "$1" | socat stdio "$sock" 2>&1) || { echo "$answer"; return 1; }
  [ -z "$(echo "$answer" | tr -d '[:space:]')" ] || { echo "$answer"; return 1; }
}
t0=$(now)
old client pause "$pause_ms" write | grep -q OK || give_up "could not pause the writes on $from: $(old ping 2>&1)"
while :; do
  w=$(old info replication | offset master_repl_offset)
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
t2=$(now)
failed=
moved=$(endpoint "set server $backend/$to health up; set server $backend/$from state drain; clear table $backend key 1") ||
  failed="the endpoint did not move to $to: $moved"
t3=$(now)
old client kill type normal >/dev/null && old replicaof "$to" 6379 | grep -q OK || failed="\${failed:+$failed; }could not cut the connections on $from and make it $to's replica"
old client unpause >/dev/null
t4=$(now)
back=$(endpoint "set server $backend/$from health down; set server $backend/$from state ready") ||
  failed="\${failed:+$failed; }the endpoint did not take $from back as a server to check: $back"
[ -z "$failed" ] || { echo "$to promoted, but $failed"; exit 1; }
echo "caught-up $((t1 - t0)) promoted $((t2 - t1)) moved $((t3 - t2)) cut $((t4 - t3))"
`;

export interface PlannedFailoverTimes {
  /** From the pause until the replica held every write. */
  readonly caughtUpMs: number;
  /** From the Sentinel's request until the replica answered ROLE master. */
  readonly promotedMs: number;
  /** The endpoint's move. */
  readonly movedMs: number;
  /** The cut, the demotion and the end of the pause. */
  readonly cutMs: number;
}

/** The figures of the script's last line, or undefined when it did not finish. */
export function plannedFailoverTimes(output: string): PlannedFailoverTimes | undefined {
  const m = /caught-up (\d+) promoted (\d+) moved (\d+) cut (\d+)\s*$/.exec(output);
  return m ? { caughtUpMs: Number(m[1]), promotedMs: Number(m[2]), movedMs: Number(m[3]), cutMs: Number(m[4]) } : undefined;
}

/** How long the old primary's writes waited: from the pause to the end of the cut. */
export function pausedMs(t: PlannedFailoverTimes): number {
  return t.caughtUpMs + t.promotedMs + t.movedMs + t.cutMs;
}
