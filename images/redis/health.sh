#!/bin/bash
# Docker's health check of a Redis node or Sentinel: PING answered +PONG (a data node: after AUTH
# with REDIS_PASSWORD_FILE's password). Bash built-ins only: the check ran every 3 s in every
# Redis container (every 30 s now, and whenever `up` or `status` waits for one), and the earlier
# sh + cat + redis-cli + grep cost each container 13 ms of CPU per second while idle (issue 10: the
# reference bench counts it per request).
set -u
export LC_ALL=C # ${#pw} in bytes, as RESP counts them
port=6379
[ -n "${REDIS_SENTINEL_MONITOR:-}" ] && port=26379
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
if [ "$port" = 6379 ]; then
  pw=
  IFS= read -r pw <"${REDIS_PASSWORD_FILE:?}" || [ -n "$pw" ] || exit 1
  # AUTH as a RESP array of bulk strings: any byte of the password goes through as it is.
  # shellcheck disable=SC2016 # $4 and $%d are RESP's bulk-string lengths, not shell expansions
  printf '*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n' "${#pw}" "$pw" >&3
  IFS= read -r -t 2 line <&3 || exit 1
  [[ $line == +OK* ]] || exit 1
fi
printf 'PING\r\n' >&3
IFS= read -r -t 2 line <&3 || exit 1
[[ $line == +PONG* ]]
