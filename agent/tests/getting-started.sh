#!/usr/bin/env bash
# The original netplugin's "Getting Started", run as its README printed it, on a host emulated
# by a network namespace with its own Open vSwitch:
#
#   $ sudo bin/netmaster &
#   $ sudo bin/netplugin -host-label host1 &
#   $ netdcli -cfg examples/one_host_multiple_nets.json
#
# No other flag: netmaster listens for switches on TCP 6653 and serves its API on loopback;
# the agent finds ovsdb-server where ovs-vsctl does ($OVS_RUNDIR), points br-int at
# netmaster's machine (tcp:127.0.0.1:6653) and keeps the bridge's datapath type. The original's
# step 4 ran Docker containers; here the four containers are network namespaces plugged in with
# `netplugin attach -container NAME -netns PATH` (single-dash flags too). Then every pair
# pings: the same network answers, the other network does not.
#
# Environment: NETPLUGIN_BIN_DIR (netmaster, netplugin, netctl and netdcli, built), GS_TAG (a
# suffix unique to this run for every name). Needs root. Everything is removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ME=getting-started
. "$ROOT/scripts/lib/processes.sh"
BIN=${NETPLUGIN_BIN_DIR:?NETPLUGIN_BIN_DIR: the directory of the built binaries}
for b in netmaster netplugin netctl netdcli; do
    [ -x "$BIN/$b" ] || { echo "getting-started: $BIN/$b missing" >&2; exit 1; }
done
OVS_CTL=$(find_ovs_ctl)

TAG=${GS_TAG:-$$}
NS="npgs$TAG"
CONTAINERS=(myContainer1 myContainer2 myContainer3 myContainer4)
declare -A NET=([myContainer1]=orange [myContainer2]=orange [myContainer3]=purple [myContainer4]=purple)
declare -A IP=()
DIR=$(mktemp -d /tmp/npgs.XXXXXX)
mkdir -p "$DIR/etc/openvswitch" "$DIR/w"
export OVS_RUNDIR="$DIR" OVS_DBDIR="$DIR" OVS_LOGDIR="$DIR" OVS_SYSCONFDIR="$DIR/etc"
CREATED_NS=()
CREATED_RUN_DIR=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in netmaster.log netplugin.log ovs-vswitchd.log; do
            [ -f "$DIR/$f" ] && { echo "--- last lines of $f"; tail -n 20 "$DIR/$f"; }
        done
    fi
    stop_pidfile "$DIR/netplugin.pid"
    stop_pidfile "$DIR/netmaster.pid"
    stop_pidfile "$DIR/ovs-vswitchd.pid"
    stop_pidfile "$DIR/ovsdb-server.pid"
    for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    [ -n "$CREATED_RUN_DIR" ] && rmdir /run/netplugin 2>/dev/null
    rm -rf "$DIR"
    echo "== cleaned up (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
in_ns() { ip netns exec "$NS" "$@"; }

echo "== host1: namespace $NS with its own Open vSwitch ($DIR)"
ip netns add "$NS"
CREATED_NS+=("$NS")
ip -n "$NS" link set lo up
in_ns "$OVS_CTL" start --db-file="$DIR/conf.db" --no-monitor --no-mlockall \
    --system-id=random --no-record-hostname >"$DIR/ovs-ctl.log" 2>&1 ||
    { cat "$DIR/ovs-ctl.log"; exit 1; }
# This machine has Open vSwitch's userspace datapath only: the integration bridge is made with
# it beforehand, and the agent keeps the type of the bridge it finds.
in_ns ovs-vsctl add-br br-int -- set bridge br-int datapath_type=netdev
# The original's VM: bin/ and examples/ in the working directory, netdcli on the PATH.
ln -s "$BIN" "$DIR/w/bin"
ln -s "$ROOT/examples" "$DIR/w/examples"
# The agent's CNI socket is at its default place, /run/netplugin, made private to this host
# (a tmpfs in a mount namespace of its own) so that nothing outside sees it. The directory is
# removed again if this run created it.
if [ ! -d /run/netplugin ]; then
    mkdir /run/netplugin
    CREATED_RUN_DIR=1
fi

echo "== the original's commands"
in_ns unshare --mount --propagation private bash -euc '
    mount -t tmpfs "npgs-$3" /run/netplugin
    cd "$1"
    export PATH="$PWD/bin:$PATH"
    echo "\$ sudo bin/netmaster &"
    bin/netmaster >>"$2/netmaster.log" 2>&1 &
    echo $! >"$2/netmaster.pid"
    echo "\$ sudo bin/netplugin -host-label host1 &"
    bin/netplugin -host-label host1 >>"$2/netplugin.log" 2>&1 &
    echo $! >"$2/netplugin.pid"
    for i in $(seq 300); do netctl tenant ls >/dev/null 2>&1 && break; sleep 0.1; done
    echo "\$ netdcli -cfg examples/one_host_multiple_nets.json"
    netdcli -cfg examples/one_host_multiple_nets.json
' getting-started "$DIR/w" "$DIR" "$TAG"

target=$(in_ns ovs-vsctl get-controller br-int)
echo "  br-int's controller (chosen by the agent): $target"
[ "$target" = "tcp:127.0.0.1:6653" ] || { echo "getting-started: unexpected controller $target" >&2; exit 1; }
wait_for 30 "br-int to connect to netmaster" \
    bash -c "ovs-vsctl get controller br-int is_connected | grep -q true"
echo "  br-int is connected to netmaster; datapath type $(in_ns ovs-vsctl get bridge br-int datapath_type)"

echo "== containers"
for c in "${CONTAINERS[@]}"; do
    ns="npgs$TAG-$c"
    ip netns add "$ns"
    CREATED_NS+=("$ns")
    ip -n "$ns" link set lo up
    (cd "$DIR/w" && in_ns bin/netplugin attach -container "$c" -netns "/var/run/netns/$ns" >/dev/null)
    ip -n "$ns" route add 11.1.0.0/16 dev eth0
    ip=$(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}')
    IP[$c]=${ip%/*}
    printf '  %-13s %-7s %s\n' "$c" "${NET[$c]}" "$ip"
done

echo "== Contiv's inspect and version (netctl net inspect orange; netctl version)"
for i in $(seq 100); do
    inspect=$(cd "$DIR/w" && in_ns bin/netctl net inspect orange)
    [ "$(grep -c '"homingHost": "host1"' <<<"$inspect")" = 2 ] && break
    sleep 0.1
done
echo "$inspect"
echo "== end of inspect"
(cd "$DIR/w" && in_ns bin/netctl version)

echo "== ping matrix (ok: replies, --: none)"
printf '%-13s' ""
for d in "${CONTAINERS[@]}"; do printf ' %-13s' "$d"; done
echo
for s in "${CONTAINERS[@]}"; do
    printf '%-13s' "$s"
    for d in "${CONTAINERS[@]}"; do
        if [ "$s" = "$d" ]; then
            cell=.
        elif [ "${NET[$s]}" = "${NET[$d]}" ]; then
            cell=--
            for i in 1 2 3 4 5; do
                if ip netns exec "npgs$TAG-$s" ping -n -c 1 -W 1 "${IP[$d]}" >/dev/null 2>&1; then
                    cell=ok
                    break
                fi
            done
        else
            cell=--
            ip netns exec "npgs$TAG-$s" ping -n -c 1 -W 1 "${IP[$d]}" >/dev/null 2>&1 && cell=ok
        fi
        printf ' %-13s' "$cell"
    done
    echo
done
echo "GETTING STARTED DONE"
