#!/usr/bin/env bash
# Provenance: copied from the team's own shared tools (tools/stop-rgw.sh beside the project brief), unchanged below.
# stop-rgw.sh DIR -- stop the daemons that start-rgw.sh DIR started (PIDs recorded in
# DIR/pids/*.pid, checked against /proc/PID/cmdline so a reused PID is never killed) and
# remove DIR.  Set KEEP_DIR=1 to keep DIR (logs) after stopping.
set -Eeuo pipefail
die() { printf '[stop-rgw] ERROR: %s\n' "$*" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || die "usage: stop-rgw.sh DIR"
[ -d "$1" ] || die "$1: no such directory"
DIR=$(cd "$1" && pwd -P)
[ -f "$DIR/.ceph-s3-cluster" ] || die "$DIR was not made by start-rgw.sh (no .ceph-s3-cluster marker); not touching it"
CONF=$DIR/ceph.conf

ours() { # pid -> true if it is still a daemon started with -c $CONF
  local pid=$1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "$CONF"
}
stop_one() { # name
  local name=$1 pf=$DIR/pids/$1.pid pid i
  [ -f "$pf" ] || return 0
  pid=$(cat "$pf")
  [[ $pid =~ ^[0-9]+$ ]] || { echo "[stop-rgw] $pf: bad pid '$pid'" >&2; return 0; }
  if ! ours "$pid"; then echo "[stop-rgw] $name (pid $pid) not running" >&2; rm -f "$pf"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do ours "$pid" || break; sleep 0.1; done
  if ours "$pid"; then
    echo "[stop-rgw] $name (pid $pid) ignored SIGTERM for 5s, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do ours "$pid" || break; sleep 0.1; done
  fi
  # reap zombie state is the parent's business; a zombie has an empty cmdline so ours() is false
  ours "$pid" && die "$name (pid $pid) still running"
  echo "[stop-rgw] stopped $name (pid $pid)" >&2
  rm -f "$pf"
}
# rgw first, then the osd while the mon can still ack its shutdown, then the mon
for n in rgw osd mon; do stop_one "$n"; done
for pf in "$DIR"/pids/*.pid; do [ -e "$pf" ] && stop_one "$(basename "$pf" .pid)"; done
if [ "${KEEP_DIR:-0}" = 1 ]; then
  echo "[stop-rgw] kept $DIR" >&2
else
  rm -rf -- "$DIR"
  echo "[stop-rgw] removed $DIR" >&2
fi
