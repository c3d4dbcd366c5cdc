#!/bin/bash
# Galera mode of the MariaDB image (sourced by the entrypoint when GALERA_PEERS is set).
# Decides at every start whether this node bootstraps a new cluster or joins a running one:
#  - a peer answers on the Galera port: join it (IST or SST by rsync);
#  - no peer answers: bootstrap if this node is safe to (a fresh cluster's first node, or the
#    last node to leave, grastate.dat safe_to_bootstrap: 1);
#  - no peer answers and this node went down inside the primary component without leaving it (a
#    crash, a kill, the host losing power: every node at once leaves none safe to bootstrap): start
#    normally. Its gvwstate.dat (pc.recovery) names that component's members; once they are all
#    back, they restore the component on their own and the most advanced node's state wins;
#  - otherwise wait for a peer.

galera_args=(
  --wsrep-on=ON
  --wsrep-provider=/usr/lib/galera/libgalera_smm.so
  --wsrep-cluster-name="${GALERA_CLUSTER_NAME:-moodle}"
  --wsrep-cluster-address="gcomm://${GALERA_PEERS}"
  --wsrep-node-name="$(hostname)"
  --wsrep-node-address="$(hostname -i | awk '{print $1}')"
  --wsrep-sst-method=rsync
  --binlog-format=ROW
  --innodb-autoinc-lock-mode=2
  --innodb-flush-log-at-trx-commit=1
  --wsrep-provider-options="gcache.size=256M;pc.recovery=TRUE"
)

peer_answers() {
  local p
  for p in ${GALERA_PEERS//,/ }; do
    [ "$p" = "$(hostname)" ] && continue
    (exec 3<>"/dev/tcp/$p/4567") 2>/dev/null && return 0
  done
  return 1
}

safe_to_bootstrap() {
  grep -q '^safe_to_bootstrap: 1' /var/lib/mysql/grastate.dat 2>/dev/null
}

# A node that stopped without a clean shutdown (a crash, kill -9, the host losing power) has seqno
# -1 in grastate.dat: only InnoDB knows the last writeset it committed. Started like that it asks
# the donor for a full state transfer (rsync of the whole datadir, the donor out of service for
# it: minutes on a real site); with the position recovered first (as MariaDB's own galera_recovery
# does), the donor sends only the writesets it missed from its gcache (IST).
recover_position() {
  grep -q '^seqno: *-1' /var/lib/mysql/grastate.dat 2>/dev/null || return 0
  crashed=1
  local log=/tmp/wsrep-recover.log pos
  rm -f "$log"
  mariadbd "${galera_args[@]}" --wsrep-recover --log-error="$log" >/dev/null 2>&1 || true
  pos=$(sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:[0-9-]*\).*/\1/p' "$log" 2>/dev/null | tail -1) || pos=""
  if [ -n "$pos" ] && [ "${pos##*:}" != "-1" ]; then
    echo "galera: recovered this node's position from InnoDB after an unclean stop: $pos (a rejoin asks only for the writesets it missed)" >&2
    galera_args+=(--wsrep-start-position="$pos")
  else
    echo "galera: no position recovered after an unclean stop (a rejoin takes a full state transfer): $(tail -3 "$log" 2>/dev/null | tr '\n' ' ')" >&2
  fi
}

# After a crash the others still count this node's killed incarnation until they evict it (the EVS
# suspect timeout, 5 s). Joining before that, it waits for the eviction and a second view change
# (measured: Synced 16.7 s after a kill when started 2 s after it, 12.0 s when started 6 s after).
# So the healer starts a crashed member at once, the InnoDB recovery above runs while the others
# evict it, and here it waits until no peer's view counts all GALERA_PEERS (at most 15 s, the EVS
# inactive timeout; a peer that does not answer counts as evicted).
crashed=0
wait_for_eviction() {
  [ "$crashed" = 1 ] || return 0
  local all=0 p size biggest t0=$SECONDS
  for p in ${GALERA_PEERS//,/ }; do all=$((all + 1)); done
  while [ $((SECONDS - t0)) -lt 15 ]; do
    biggest=0
    for p in ${GALERA_PEERS//,/ }; do
      [ "$p" = "$(hostname)" ] && continue
      # A peer that refuses or takes over 2 s fails this pipeline: "|| size=" keeps the entrypoint's
      # set -e from ending the start here (Docker then restarted it: the recovery again, 4.5 s lost).
      # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
      size=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET /size HTTP/1.0\r\n\r\n" >&3 && tail -n 1 <&3' _ "$p" "${GALERA_CHECK_PORT:-9200}" 2>/dev/null | tr -dc 0-9) || size=
      [ -n "$size" ] && [ "$size" -gt "$biggest" ] && biggest=$size
    done
    if [ "$biggest" -lt "$all" ]; then
      echo "galera: the peers no longer count this node's crashed incarnation (a view of $biggest of $all) after $((SECONDS - t0)) s" >&2
      return 0
    fi
    sleep 0.5
  done
  echo "galera: the peers still count this node's crashed incarnation after 15 s: joining anyway" >&2
}

# Galera removes gvwstate.dat when a node leaves the cluster cleanly; it is still there after a crash.
crashed_in_primary() {
  [ -s /var/lib/mysql/gvwstate.dat ]
}

galera_start() {
  # Health endpoints for the writer and reader endpoints (HAProxy), one process (galera-check says why).
  /usr/local/bin/galera-check &
  if [ ! -f /var/lib/mysql/.moodle-ha-initialised ] && [ "${GALERA_FIRST:-0}" = 1 ] && ! peer_answers; then
    initialise
    sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' /var/lib/mysql/grastate.dat 2>/dev/null || true
    echo "galera: bootstrapping a new cluster" >&2
    exec mariadbd "${galera_args[@]}" --wsrep-new-cluster
  fi
  [ -f /var/lib/mysql/.moodle-ha-initialised ] && recover_position
  for i in $(seq 1 600); do
    if peer_answers; then
      wait_for_eviction
      echo "galera: joining the running cluster" >&2
      touch /var/lib/mysql/.moodle-ha-initialised
      exec mariadbd "${galera_args[@]}"
    fi
    if [ -f /var/lib/mysql/.moodle-ha-initialised ] && safe_to_bootstrap; then
      echo "galera: no peer answers and this node left last: bootstrapping" >&2
      exec mariadbd "${galera_args[@]}" --wsrep-new-cluster
    fi
    if [ -f /var/lib/mysql/.moodle-ha-initialised ] && crashed_in_primary; then
      echo "galera: no peer answers and this node crashed inside the primary component: restoring it with the other members as they come back (pc.recovery)" >&2
      exec mariadbd "${galera_args[@]}"
    fi
    [ $((i % 15)) = 1 ] && echo "galera: waiting for a peer (${GALERA_PEERS}); if every node crashed and none restores the cluster, start the one with the highest seqno with safe_to_bootstrap: 1" >&2
    sleep 1
  done
  echo "galera: no peer answered for 600 s" >&2
  exit 1
}
