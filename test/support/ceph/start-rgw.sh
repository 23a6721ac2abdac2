#!/usr/bin/env bash
# Provenance: copied from the team's own shared tools (tools/start-rgw.sh beside the project brief), unchanged below.
# start-rgw.sh [DIR] -- start a throw-away single-node Ceph cluster (1 mon, 1 memstore OSD,
# no mgr, auth none) plus a radosgw S3 endpoint on 127.0.0.1, entirely under DIR.
#
# stdout: only eval-able lines, e.g.
#     eval "$(start-rgw.sh /tmp/my-s3)"        # or: . /tmp/my-s3/env.sh
#   export S3_ENDPOINT=http://127.0.0.1:17480 S3_ACCESS_KEY=... S3_SECRET_KEY=...
#   export S3_REGION=us-east-1 ...
#   export CEPH_S3_DIR=... CEPH_S3_PIDS="mon osd rgw"
# stderr: progress, timings, errors.  Stop with: stop-rgw.sh DIR
#
# Environment knobs (all optional):
#   RGW_PORT      S3 port (default: first free port from 17480)
#   MON_PORT      monitor msgr2 port (default: first free port from 13300)
#   S3_ACCESS_KEY / S3_SECRET_KEY   keys to create (default: random)
#   S3_USER       uid of the S3 user (default: ci)
#   READY_TIMEOUT seconds allowed for the whole start (default 120)
#   OSD_STORE     memstore (default: data in RAM, fastest) or bluestore (sparse file in DIR)
#   MEMSTORE_BYTES  memstore capacity (default 8 GiB; only what is stored uses RAM)
#   BLUESTORE_BYTES bluestore sparse file size (default 10 GiB)
#   APT_TIMEOUT   seconds for each apt-get step when packages are missing (default 600)
#   CEPH_S3_INSTALL=0   never try apt-get (fail if binaries are missing)
#   KEEP_ON_FAIL=1      leave daemons running if start fails (for debugging)
set -Eeuo pipefail

START_NS=$(date +%s%N)
elapsed() { local ms=$(( ($(date +%s%N) - START_NS) / 1000000 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
log() { printf '[start-rgw %5ss] %s\n' "$(elapsed)" "$*" >&2; }
die() { printf '[start-rgw] ERROR: %s\n' "$*" >&2; exit 1; }

READY_TIMEOUT=${READY_TIMEOUT:-120}
DEADLINE=$(( $(date +%s) + READY_TIMEOUT ))
remaining() { local r=$(( DEADLINE - $(date +%s) )); (( r > 0 )) && echo "$r" || echo 0; }

# ---------------------------------------------------------------- packages
PKGS=(ceph-mon ceph-osd radosgw ceph-common curl)
need_install=0
for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl; do
  command -v "$b" >/dev/null 2>&1 || need_install=1
done
[ -x /usr/bin/python3 ] || need_install=1
if (( need_install )); then
  [ "${CEPH_S3_INSTALL:-1}" = 0 ] && die "ceph binaries missing and CEPH_S3_INSTALL=0 (need: ${PKGS[*]})"
  [ "$(id -u)" = 0 ] || die "ceph binaries missing; run as root once (apt-get install ${PKGS[*]})"
  APT_LOG=$(mktemp "${TMPDIR:-/tmp}/start-rgw-apt.XXXXXX.log")
  log "installing ${PKGS[*]} from apt (log: $APT_LOG) ..."
  export DEBIAN_FRONTEND=noninteractive
  APT_TIMEOUT=${APT_TIMEOUT:-600}
  { timeout "$APT_TIMEOUT" apt-get -o DPkg::Lock::Timeout=120 update -qq &&
    timeout "$APT_TIMEOUT" apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${PKGS[@]}"; } >"$APT_LOG" 2>&1 \
    || { tail -n 30 "$APT_LOG" >&2; die "apt-get install ${PKGS[*]} failed (full log: $APT_LOG)"; }
  log "installed $(dpkg-query -W -f='${Version}' radosgw 2>/dev/null)"
  rm -f "$APT_LOG"
  # the READY_TIMEOUT budget is for the cluster, not for the download
  DEADLINE=$(( $(date +%s) + READY_TIMEOUT ))
fi

# ---------------------------------------------------------------- ports
# Concurrent starts on one machine: hold a lock from picking ports until radosgw has bound its
# port, so two clusters never pick the same ports (daemons do not inherit the lock fd).
PORT_LOCK=${TMPDIR:-/tmp}/start-rgw.ports.lock
[ -e "$PORT_LOCK" ] || { : > "$PORT_LOCK"; chmod 666 "$PORT_LOCK"; } 2>/dev/null || true
if { exec 9<"$PORT_LOCK"; } 2>/dev/null; then
  flock -w 60 9 || die "could not get $PORT_LOCK within 60s"
fi
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # $1 = preferred start
  local p=$1
  while port_in_use "$p"; do p=$((p + 1)); (( p < $1 + 200 )) || die "no free port near $1"; done
  echo "$p"
}
if [ -n "${MON_PORT:-}" ]; then port_in_use "$MON_PORT" && die "MON_PORT $MON_PORT in use"; else MON_PORT=$(pick_port 13300); fi
if [ -n "${RGW_PORT:-}" ]; then port_in_use "$RGW_PORT" && die "RGW_PORT $RGW_PORT in use"; else RGW_PORT=$(pick_port 17480); fi
[ "$MON_PORT" != "$RGW_PORT" ] || die "MON_PORT == RGW_PORT"

# ---------------------------------------------------------------- directory
if [ $# -ge 1 ] && [ -n "$1" ]; then
  DIR=$1
  if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    die "$DIR exists and is not empty (give a new or empty directory)"
  fi
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/ceph-s3.XXXXXX")
fi
DIR=$(cd "$DIR" && pwd -P)
# admin sockets ($DIR/run/*.asok) are unix sockets, limited to 107 bytes: only a warning
(( ${#DIR} <= 60 )) || log "warning: long DIR path (${#DIR} chars); admin sockets may fail to bind (harmless)"
mkdir -p "$DIR"/{pids,run,log,mon/a,osd,crash,rgw}
echo "ceph-s3 test cluster; remove with stop-rgw.sh $DIR" > "$DIR/.ceph-s3-cluster"
CONF=$DIR/ceph.conf
export CEPH_CONF=$CONF

STARTED=()   # pid files of daemons we started
on_exit() {
  local rc=$?
  if (( rc != 0 )); then
    printf '[start-rgw] FAILED (rc=%s) after %ss; logs in %s/log\n' "$rc" "$(elapsed)" "$DIR" >&2
    for f in "$DIR"/log/*.out "$DIR"/log/*.err "$DIR"/log/*.log; do
      [ -s "$f" ] || continue
      printf -- '----- tail %s\n' "$f" >&2; tail -n 12 "$f" >&2
    done
    if [ "${KEEP_ON_FAIL:-0}" != 1 ]; then
      for pf in $(printf '%s\n' "${STARTED[@]}" | tac); do
        pid=$(cat "$pf" 2>/dev/null) || continue
        kill -KILL "$pid" 2>/dev/null || true
      done
      printf '[start-rgw] killed the daemons it started; remove %s with stop-rgw.sh (or rm -rf)\n' "$DIR" >&2
    else
      printf '[start-rgw] KEEP_ON_FAIL=1: daemons left running; stop-rgw.sh %s\n' "$DIR" >&2
    fi
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'printf "[start-rgw] command failed (line %s): %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

randstr() { LC_ALL=C tr -dc "$1" </dev/urandom | head -c "$2" || true; }
S3_USER=${S3_USER:-ci}
AK=${S3_ACCESS_KEY:-$(randstr 'A-Z0-9' 20)}
SK=${S3_SECRET_KEY:-$(randstr 'A-Za-z0-9' 40)}
FSID=$(cat /proc/sys/kernel/random/uuid)
MEMSTORE_BYTES=${MEMSTORE_BYTES:-8589934592}
OSD_STORE=${OSD_STORE:-memstore}
case $OSD_STORE in
  memstore) OSD_STORE_CONF="osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES" ;;
  bluestore) OSD_STORE_CONF="osd objectstore = bluestore
# sparse file $DIR/osd/<id>/block, created by mkfs
bluestore block create = true
bluestore block size = ${BLUESTORE_BYTES:-10737418240}
bluestore fsck on mount = false
osd memory target = 939524096" ;;
  *) die "OSD_STORE must be memstore or bluestore" ;;
esac

# ---------------------------------------------------------------- config
cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
# no cephx: nothing to generate, nothing to distribute
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
keyring = /dev/null
# every path under $DIR (admin sockets default to \$run_dir)
run dir = $DIR/run
crash dir = $DIR/crash
log file = $DIR/log/\$name.log
log to stderr = false
err to stderr = true
# single OSD, no replication, no mgr
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 1
mon data avail crit = 0
# commit map changes quickly (default waits up to 1 s per proposal)
paxos propose interval = 0.05
paxos min wait = 0.01

[mon]
mon data = $DIR/mon/\$id
mon cluster log file = $DIR/log/cluster.log

[osd]
osd data = $DIR/osd/\$id
$OSD_STORE_CONF
osd class load list = *
osd class default list = *
osd mon shutdown timeout = 1

[client.rgw]
rgw data = $DIR/rgw
admin socket = $DIR/run/ceph-client.rgw.asok
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
# radosgw defaults to ms_mon_client_mode=secure, impossible with auth none -> auth error -13
ms mon client mode = crc
# reclaim space of deleted objects quickly (memstore keeps data in RAM)
rgw gc obj min wait = 30
rgw gc processor period = 30
rgw gc processor max time = 30
EOF

# ---------------------------------------------------------------- helpers
start_daemon() { # name, cmd...   (foreground daemon in background, output to log/NAME.out)
  local name=$1; shift
  # close inherited descriptors above 2 (e.g. a test runner's IPC pipe) so the daemon does not
  # keep the caller's pipes open; exec keeps the PID, so $! is the daemon itself
  (
    for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; (( fd > 2 )) && eval "exec $fd>&-"; done
    exec "$@"
  ) </dev/null >"$DIR/log/$name.out" 2>&1 &
  local pid=$!
  echo "$pid" > "$DIR/pids/$name.pid"
  STARTED+=("$DIR/pids/$name.pid")
  log "started $name pid $pid"
}
alive() { kill -0 "$(cat "$DIR/pids/$1.pid")" 2>/dev/null || die "$1 exited (see $DIR/log/$1.out and $DIR/log/*.log)"; }
cephc() { timeout 20 ceph -c "$CONF" --connect-timeout 10 "$@" 2>>"$DIR/log/ceph-cli.err"; }
wait_for() { # desc, daemon-to-watch, test-command...
  local desc=$1 d=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ -z "$d" ] || alive "$d"
    (( $(remaining) > 0 )) || die "timed out (READY_TIMEOUT=${READY_TIMEOUT}s) waiting for $desc"
    sleep 0.2
  done
}

log "cluster dir $DIR (mon port $MON_PORT, rgw port $RGW_PORT)"

# ---------------------------------------------------------------- mon
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >"$DIR/log/monmaptool.out" 2>&1 \
  || die "monmaptool failed: $(cat "$DIR/log/monmaptool.out")"
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring /dev/null >"$DIR/log/mon-mkfs.out" 2>&1 \
  || die "ceph-mon --mkfs failed: $(cat "$DIR/log/mon-mkfs.out")"
start_daemon mon ceph-mon -f -c "$CONF" -i a
wait_for "monitor quorum" mon cephc mon stat
log "mon up"

# ---------------------------------------------------------------- osd
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(cephc osd new "$OSD_UUID") || die "ceph osd new failed"
mkdir -p "$DIR/osd/$OSD_ID"
ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" --keyring /dev/null >"$DIR/log/osd-mkfs.out" 2>&1 \
  || die "ceph-osd --mkfs failed: $(cat "$DIR/log/osd-mkfs.out")"
start_daemon osd ceph-osd -f -c "$CONF" -i "$OSD_ID"
osd_up() { cephc osd dump -f json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if any(o["up"] for o in d["osds"]) else 1)'; }
wait_for "osd.$OSD_ID up" osd osd_up
log "osd.$OSD_ID up"

# ---------------------------------------------------------------- rgw pools
# Pre-create the pools radosgw would otherwise create lazily one by one (each costs a
# map round-trip; the bucket ones would slow down the first CreateBucket/PutObject/multipart).
/usr/bin/python3 - "$CONF" >"$DIR/log/pools.out" 2>&1 <<'PY' || die "pool creation failed: $(cat "$DIR/log/pools.out")"
import json, sys, rados
c = rados.Rados(conffile=sys.argv[1], name="client.admin")
c.conf_set("rados_mon_op_timeout", "20")
c.connect(timeout=20)
def mon(**cmd):
    ret, out, err = c.mon_command(json.dumps(cmd), b"")
    if ret != 0:
        raise SystemExit("%s -> %d %s" % (cmd, ret, err))
omap = [".rgw.root", "default.rgw.log", "default.rgw.control", "default.rgw.meta",
        "default.rgw.buckets.index", "default.rgw.buckets.non-ec"]
for p in omap + ["default.rgw.buckets.data"]:
    mon(prefix="osd pool create", pool=p, pg_num=8, pgp_num=8, pool_type="replicated")
    mon(prefix="osd pool application enable", pool=p, app="rgw")
# wait until the PGs exist on the OSD (a write succeeds)
for p in omap + ["default.rgw.buckets.data"]:
    io = c.open_ioctx(p)
    io.write_full("__probe", b"x"); io.remove_object("__probe"); io.close()
c.shutdown()
PY
log "rgw pools created"

# ---------------------------------------------------------------- rgw
start_daemon rgw radosgw -f -c "$CONF" -n client.rgw
ENDPOINT=http://127.0.0.1:$RGW_PORT
http_ok() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$ENDPOINT/")" = 200 ]; }
wait_for "radosgw answering on $ENDPOINT" rgw http_ok
log "radosgw answering on $ENDPOINT"
exec 9<&-   # release the port lock

# ---------------------------------------------------------------- user
timeout "$(( $(remaining) > 5 ? $(remaining) : 5 ))" radosgw-admin -c "$CONF" user create --uid="$S3_USER" --display-name="$S3_USER" \
  --access-key="$AK" --secret-key="$SK" >"$DIR/user.json" 2>"$DIR/log/radosgw-admin.err" \
  || die "radosgw-admin user create failed: $(tail -5 "$DIR/log/radosgw-admin.err")"
grep -q "\"access_key\": \"$AK\"" "$DIR/user.json" || die "user.json does not contain the access key"
# a SigV4-signed request with the new key must work (rgw picks the user up via its cache notify)
signed_ok() { curl -sf -m 5 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$ENDPOINT/" | grep -q "<ID>$S3_USER</ID>"; }
wait_for "a signed S3 request as $S3_USER" rgw signed_ok
log "S3 ready: $ENDPOINT user $S3_USER"

PIDS="$(cat "$DIR/pids/mon.pid") $(cat "$DIR/pids/osd.pid") $(cat "$DIR/pids/rgw.pid")"
cat > "$DIR/env.sh" <<EOF
export S3_ENDPOINT=$ENDPOINT S3_ACCESS_KEY=$AK S3_SECRET_KEY=$SK
export S3_REGION=us-east-1 S3_FORCE_PATH_STYLE=true
# Ceph 16 RGW rejects the aws-chunked streaming uploads that AWS SDK v3 (>=3.729) sends by
# default for stream bodies (411 MissingContentLength): only compute checksums when required.
export AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED AWS_RESPONSE_CHECKSUM_VALIDATION=WHEN_REQUIRED
export CEPH_S3_DIR=$DIR CEPH_S3_PIDS="$PIDS"
# pids: mon=$(cat "$DIR/pids/mon.pid") osd=$(cat "$DIR/pids/osd.pid") rgw=$(cat "$DIR/pids/rgw.pid")
EOF
cat "$DIR/env.sh"
log "ready in $(elapsed)s; stop with: $(dirname "$(readlink -f "$0")")/stop-rgw.sh $DIR"
