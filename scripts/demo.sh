#!/usr/bin/env bash
# The demo: the original's getting started, one host, four containers on two networks, end to
# end.
#
# A private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace datapath) runs inside its own
# network namespace, so nothing touches a system OVS. netmaster (the controller and the REST
# API) and the netplugin agent daemon run in that namespace too; the agent creates br-int with
# netmaster as its controller and reports its ports. The intent
# examples/one_host_multiple_nets.json is uploaded with netctl, four containers are started
# with `docker run --name=myContainerN` on a private Docker daemon (the agent's Docker watcher
# plumbs each as it starts; netmaster's DNS answers their names), and every pair pings:
# containers on the same network must reach each other, containers on different networks must
# not; `docker exec myContainer1 ping` reaches its peers by address and by name. Then netctl
# shows one container's flows with their owners and traces a packet (live: Open vSwitch must
# agree) and one the sender has no way to send. The exit status is non-zero if any expectation
# fails. Everything is removed on exit.
#
# Environment (for tests running several demos at once): DEMO_TAG makes every name unique
# (namespaces npdemo$DEMO_TAG and ${DEMO_TAG}-myContainerN); NETPLUGIN_BIN_DIR points at
# already built netmaster/netctl/netplugin binaries (otherwise they are built here).
# DEMO_RUNTIME=netns runs the containers as bare network namespaces plugged in with
# `netplugin attach|detach` (for machines without Docker); the default is docker.
# DEMO_CNI=1 plugs the namespaces in with the CNI plugin `netplugin-cni` (ADD, CHECK; DEL twice
# for the detach) through the daemon's CNI socket instead (implies DEMO_RUNTIME=netns).
# DEMO_RESTARTS=1 adds the restart phase: under a continuous ping the agent and netmaster are
# SIGKILLed and started again (no packet lost, ports untouched, the agent removes an orphan veth
# and a stale port planted meanwhile), then the matrix is checked again.
set -euo pipefail
cd "$(dirname "$0")/.."
ME=demo
. scripts/lib/processes.sh
START=$(date +%s.%N)

if [ -z "${NETPLUGIN_BIN_DIR:-}" ]; then
    . scripts/setup-debian.sh
    echo "== building (debug)"
    cargo build -q -j2 -p netmaster -p northbound-client -p netplugin -p ofproto --bins
    BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug"
else
    BIN="$NETPLUGIN_BIN_DIR"
fi
BUILT=$(date +%s.%N)
for b in netmaster netctl netplugin; do
    [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b missing" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "demo: must run as root (network namespaces, Open vSwitch)" >&2
    exit 1
fi
OVS_CTL=$(find_ovs_ctl)

TAG="${DEMO_TAG:-}"
RUNTIME="${DEMO_RUNTIME:-docker}"
[ "${DEMO_CNI:-}" = 1 ] && RUNTIME=netns
case "$RUNTIME" in docker | netns) ;; *) echo "demo: DEMO_RUNTIME is docker or netns" >&2; exit 1 ;; esac
DNS=169.254.0.53 # netmaster's DNS address (global dnsAddress), the containers' name server
NS="npdemo$TAG"
CT_PREFIX="${TAG:+$TAG-}"
CONTAINERS=(myContainer1 myContainer2 myContainer3 myContainer4)
declare -a IP=()
declare -A NET=([myContainer1]=orange [myContainer2]=orange [myContainer3]=purple [myContainer4]=purple)
PORT=9999 # free: the API listens inside the fresh namespace
URL="http://127.0.0.1:$PORT"

if [ -e "/var/run/netns/$NS" ]; then
    echo "demo: namespace $NS exists already (another demo running?)" >&2
    exit 1
fi
# Short: unix socket paths ($DIR/br-int.mgmt) are limited to 108 bytes.
DIR=$(mktemp -d /tmp/npdemo.XXXXXX)
mkdir -p "$DIR/etc/openvswitch"
export OVS_RUNDIR="$DIR" OVS_DBDIR="$DIR" OVS_LOGDIR="$DIR" OVS_SYSCONFDIR="$DIR/etc"
PIDS=()
CREATED_NS=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [ -n "${DOCKER_PID:-}" ]; then
        # The containers first (their shims outlive the daemon), then the daemon.
        ids=$("${DOCKER[@]}" ps -aq 2>/dev/null)
        [ -n "$ids" ] && "${DOCKER[@]}" rm -f $ids >/dev/null 2>&1
        stop_pid "$DOCKER_PID"
        [ -n "${HAD_CONTAINERD_RUN:-}" ] || rmdir /run/containerd/s /run/containerd 2>/dev/null
    fi
    if [ "$rc" -ne 0 ] && [ -d "$DIR" ]; then
        for f in netmaster.log netplugin.log ovs-vswitchd.log; do
            [ -f "$DIR/$f" ] && { echo "--- last lines of $f"; tail -n 15 "$DIR/$f"; }
        done
    fi
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    stop_pidfile "$DIR/ovs-vswitchd.pid"
    stop_pidfile "$DIR/ovsdb-server.pid"
    for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$DIR"
    echo "== cleaned up (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# (Daemons are started with a plain `ip netns exec ... &`, which execs the program, so that $!
# is the daemon's own PID: a shell function run in the background would be a subshell.)
in_ns() { ip netns exec "$NS" "$@"; }

echo "== private Open vSwitch in namespace $NS ($DIR)"
ip netns add "$NS"
CREATED_NS+=("$NS")
ip -n "$NS" link set lo up
in_ns "$OVS_CTL" start --db-file="$DIR/conf.db" --no-monitor --no-mlockall \
    --system-id=random --no-record-hostname >"$DIR/ovs-ctl.log" 2>&1 ||
    { cat "$DIR/ovs-ctl.log"; exit 1; }
VSCTL=(ovs-vsctl --db="unix:$DIR/db.sock" --timeout=20)

echo "== API tokens ($DIR/api-tokens.json): an admin token for netctl, an agent token for host1"
token() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
NETMASTER_TOKEN=$(token) # netctl reads it from the environment
export NETMASTER_TOKEN
AGENT_TOKEN_FILE="$DIR/host1.token"
token >"$AGENT_TOKEN_FILE"
printf '{"tokens":[{"token":"%s","role":"admin"},{"token":"%s","role":"agent","host":"host1"}]}\n' \
    "$NETMASTER_TOKEN" "$(cat "$AGENT_TOKEN_FILE")" >"$DIR/api-tokens.json"

echo "== netmaster (OpenFlow on unix:$DIR/netmaster.sock, API $URL)"
start_netmaster() { # sets NM_PID
    ip netns exec "$NS" "$BIN/netmaster" --no-tcp --of-unix "$DIR/netmaster.sock" --store "$DIR/intent.redb" \
        --api-listen "127.0.0.1:$PORT" --api-tokens "$DIR/api-tokens.json" --audit-interval-ms 500 >>"$DIR/netmaster.log" 2>&1 &
    NM_PID=$!
    PIDS+=("$NM_PID")
}
start_netmaster
wait_for 30 "netmaster's API" in_ns "$BIN/netctl" --netmaster "$URL" network ls
if in_ns env -u NETMASTER_TOKEN "$BIN/netctl" --netmaster "$URL" network ls >/dev/null 2>&1; then
    echo "demo: netmaster's API answered a request without a token" >&2
    exit 1
fi
echo "  a request without a token is refused (401)"

if [ "$RUNTIME" = docker ]; then
    echo "== private Docker daemon ($DIR/docker.sock; no iptables, no bridge, no IP forwarding)"
    [ -d /run/containerd ] && HAD_CONTAINERD_RUN=1
    mkdir -p "$DIR/docker/rootfs/bin"
    echo '{}' >"$DIR/docker/daemon.json"
    dockerd --data-root "$DIR/docker/data" --exec-root "$DIR/docker/x" -H "unix://$DIR/docker.sock" \
        --pidfile "$DIR/docker/docker.pid" --config-file "$DIR/docker/daemon.json" --iptables=false \
        --ip-forward=false --ip-masq=false --bridge=none --log-level=warn >"$DIR/dockerd.log" 2>&1 &
    DOCKER_PID=$!
    DOCKER=(/usr/bin/docker --host "unix://$DIR/docker.sock")
    wait_for 60 "dockerd" "${DOCKER[@]}" version
    # The image: Debian's static busybox (no registry is reachable).
    cp /bin/busybox "$DIR/docker/rootfs/bin/"
    for a in sh ip ping nslookup sleep cat; do ln -s busybox "$DIR/docker/rootfs/bin/$a"; done
    tar -C "$DIR/docker/rootfs" -c . | "${DOCKER[@]}" import - local/busybox >/dev/null
    echo "  image local/busybox"
fi

echo "== netplugin daemon (host1, br-int, dpid 1${DOCKER_PID:+, watching Docker})"
start_agent() { # sets AGENT_PID
    ip netns exec "$NS" "$BIN/netplugin" --host-label host1 --netmaster "$URL" --token-file "$AGENT_TOKEN_FILE" --ovsdb "unix:$DIR/db.sock" \
        --bridge br-int --datapath netdev --controller "unix:$DIR/netmaster.sock" --dpid 1 \
        --uplink eth2 --cni-socket "$DIR/cni.sock" ${DOCKER_PID:+--docker "unix://$DIR/docker.sock"} >>"$DIR/netplugin.log" 2>&1 &
    AGENT_PID=$!
    PIDS+=("$AGENT_PID")
}
start_agent
wait_for 30 "br-int" "${VSCTL[@]}" br-exists br-int
wait_for 30 "br-int to connect to netmaster" \
    bash -c "ovs-vsctl --db=unix:$DIR/db.sock get controller br-int is_connected | grep -q true"

echo "== intent: examples/one_host_multiple_nets.json"
in_ns "$BIN/netctl" --netmaster "$URL" -cfg examples/one_host_multiple_nets.json
in_ns "$BIN/netctl" --netmaster "$URL" network ls
echo "== netctl global set --dns-address $DNS (names of the tenant's containers)"
in_ns "$BIN/netctl" --netmaster "$URL" global set --dns-address "$DNS"

# The CNI plugin as a runtime runs it: CNI_* variables, the network configuration on stdin.
CNI_CONF="{\"cniVersion\":\"1.0.0\",\"name\":\"contiv\",\"type\":\"netplugin-cni\",\"agentSocket\":\"$DIR/cni.sock\"}"
cni() { # COMMAND CONTAINER NETNS CONFIG
    echo "$4" | CNI_COMMAND=$1 CNI_CONTAINERID="id-$2" CNI_NETNS="/var/run/netns/$3" CNI_IFNAME=eth0 \
        CNI_PATH=/opt/cni/bin CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$2" \
        "$BIN/netplugin-cni" 2>>"$DIR/attach.log"
}
cni_conf_with_prev() { # RESULT
    echo "${CNI_CONF%\}},\"prevResult\":$1}"
}

port_of() { "${VSCTL[@]}" --bare --columns=name find Port "external_ids:endpoint-id=\"default:$1\""; }
has_port() { [ -n "$(port_of "$1")" ]; }
no_port() { [ -z "$(port_of "$1")" ]; }
echo "== containers"
for c in "${CONTAINERS[@]}"; do
    ns="$CT_PREFIX$c"
    if [ "$RUNTIME" = docker ]; then
        echo "  docker run -d --name=$c --network=none --dns $DNS local/busybox sleep 3600"
        "${DOCKER[@]}" run -d --name="$c" --network=none --dns "$DNS" local/busybox /bin/sleep 3600 >/dev/null
        pid=$("${DOCKER[@]}" inspect -f '{{.State.Pid}}' "$c")
        # The watcher plumbs it as it starts; its namespace gets a name for the checks below.
        ip netns attach "$ns" "$pid"
        CREATED_NS+=("$ns")
        wait_for 10 "$c's port" has_port "$c"
        wait_for 10 "$c's address" bash -c "ip -n $ns -4 -o addr show dev eth0 | grep -q inet"
        port=$("${VSCTL[@]}" get Interface "$(port_of "$c")" ofport)
    elif [ "${DEMO_CNI:-}" = 1 ]; then
        ip netns add "$ns"
        CREATED_NS+=("$ns")
        ip -n "$ns" link set lo up
        wait_for 30 "the CNI socket" test -S "$DIR/cni.sock"
        result=$(cni ADD "$c" "$ns" "$CNI_CONF")
        echo "  CNI ADD $c: $result"
        port=cni
        cni CHECK "$c" "$ns" "$(cni_conf_with_prev "$result")" >/dev/null
        echo "  CNI CHECK $c: ok"
    else
        ip netns add "$ns"
        CREATED_NS+=("$ns")
        ip -n "$ns" link set lo up
        port=$(in_ns "$BIN/netplugin" attach --container "$c" --netns "/var/run/netns/$ns" \
            --netmaster "$URL" --token-file "$AGENT_TOKEN_FILE" --ovsdb "unix:$DIR/db.sock" --bridge br-int --host-label host1 \
            2>>"$DIR/attach.log")
    fi
    # A route to every tenant subnet, so that packets to the other network really reach the
    # switch (which must drop them) instead of failing in the container's routing table.
    ip -n "$ns" route add 11.1.0.0/16 dev eth0
    ip=$(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}')
    mac=$(ip -n "$ns" -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
    IP[${c#myContainer}]=${ip%/*}
    [ "$c" = myContainer4 ] && MAC4=$mac
    printf '  %-13s %-7s %-14s %s  ofport %s\n' "$c" "${NET[$c]}" "$ip" "$mac" "$port"
done

# DEMO_RESTARTS=1: while myContainer1 pings myContainer2 continuously, the agent and then
# netmaster are killed (SIGKILL) and started again; no packet may be lost (the flows stay in the
# switch, fail_mode=secure) and no working port may be touched. While the agent is down, an
# orphan veth (vnp prefix, not on the bridge) and a stale endpoint port (ours, veth gone) are
# planted: the restarted agent must remove both.
forget_pid() { # PID: a killed daemon leaves the cleanup list (its PID may be reused)
    local p keep=()
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}
ports_snapshot() { # port rows (uuid, name, ofport) of the endpoints
    "${VSCTL[@]}" --bare --columns=_uuid,name list port | paste -d' ' - - - | sort
    "${VSCTL[@]}" --bare --columns=name,ofport list interface | paste -d' ' - - - | sort
}
ping_start() { # LOG: myContainer1 pings myContainer2 every 50 ms in the background; sets PING_PID
    ip netns exec "${CT_PREFIX}myContainer1" ping -n -i 0.05 -c 100000 "${IP[2]}" >"$1" 2>&1 &
    PING_PID=$!
    PIDS+=("$PING_PID")
}
ping_stop() { # LOG WHAT: stops the ping; returns 1 if a packet was lost
    local stats sent seqs n max
    kill -INT "$PING_PID"
    wait "$PING_PID" || true
    forget_pid "$PING_PID"
    stats=$(grep 'packets transmitted' "$1" || true)
    sent=$(echo "$stats" | awk '{print $1}')
    # Every request up to the last one answered got its reply (the one in flight when ping was
    # interrupted is not a loss).
    seqs=$({ grep -o 'icmp_seq=[0-9]*' "$1" || true; } | cut -d= -f2 | sort -n | uniq)
    n=$(echo "$seqs" | grep -c . || true)
    max=$(echo "$seqs" | tail -n 1)
    max=${max:-0}
    echo "  ping across the $2 restart: $stats"
    if [ -n "$sent" ] && [ "$n" -gt 0 ] && [ "$n" -eq "$max" ] && [ "$max" -ge $((sent - 1)) ]; then
        echo "  ping across the $2 restart lost no packet ($n replies in a row)"
        return 0
    fi
    echo "  ping across the $2 restart LOST PACKETS: $n replies, last icmp_seq $max, $sent sent;" \
        "missing icmp_seq $(echo "$seqs" | awk -v max="$max" '{ got[$1] = 1 }
            END { for (i = 1; i <= max; i++) if (!got[i]) { if (!(i - 1 in miss)) printf "%s%d", sep, i;
                  miss[i] = 1; if (got[i + 1] || i == max) { if (s != i && (i - 1 in miss)) printf "-%d", i; sep = " " } }
                  printf " (one every 50 ms)" }')"
    return 1
}
restart_phase() {
    local t0 before after
    t0=$(date +%s.%N)
    before=$(ports_snapshot)
    echo "== restarts under a continuous ping myContainer1 -> myContainer2 (every 50 ms)"

    ping_start "$DIR/ping-agent.log"
    sleep 1
    echo "  SIGKILL netplugin daemon (pid $AGENT_PID)"
    kill -KILL "$AGENT_PID"
    wait_for 10 "the agent to die" dead "$AGENT_PID"
    forget_pid "$AGENT_PID"
    in_ns ip link add vnporphan0 type veth peer name orphan0peer
    # (ovs-vsctl complains that the device does not exist: that is the point.)
    "${VSCTL[@]}" add-port br-int vnpstale0 -- set interface vnpstale0 type=system \
        -- set port vnpstale0 external_ids:owner=netplugin external_ids:role=endpoint \
        external_ids:endpoint-id=default:ghost external_ids:netns=/var/run/netns/ghost \
        2>>"$DIR/attach.log"
    echo "  planted orphan veth vnporphan0 and stale port vnpstale0; starting the agent again"
    start_agent
    if wait_for 20 "the restarted agent to remove vnporphan0 and vnpstale0" bash -c \
        "! ip netns exec $NS ip link show vnporphan0 && ! ${VSCTL[*]} port-to-br vnpstale0"; then
        echo "  orphan veth and stale port removed by the restarted agent:"
        { grep -E 'removed (orphan veth|stale endpoint port)' "$DIR/netplugin.log" || true; } |
            sed 's/\x1b\[[0-9;]*m//g; s/^/    /'
    else
        FAIL=1
    fi
    in_ns ip link show orphan0peer >/dev/null 2>&1 && { echo "  WRONG: orphan0peer left" >&2; FAIL=1; }
    wait_for 10 "the restarted agent's first report" grep -c 'host report sent' "$DIR/netplugin.log"
    sleep 1
    ping_stop "$DIR/ping-agent.log" agent || FAIL=1

    ping_start "$DIR/ping-netmaster.log"
    sleep 1
    echo "  SIGKILL netmaster (pid $NM_PID)"
    kill -KILL "$NM_PID"
    wait_for 10 "netmaster to die" dead "$NM_PID"
    forget_pid "$NM_PID"
    start_netmaster
    wait_for 30 "the restarted netmaster's API" in_ns "$BIN/netctl" --netmaster "$URL" network ls
    wait_for 30 "br-int to reconnect to netmaster" \
        bash -c "ovs-vsctl --db=unix:$DIR/db.sock get controller br-int is_connected | grep -q true"
    echo "  netmaster back, switch reconnected"
    # Longer than the agent's keepalive (5 s): any outage after the reconnect is over by then.
    sleep 6
    ping_stop "$DIR/ping-netmaster.log" netmaster || FAIL=1

    after=$(ports_snapshot)
    if [ "$before" = "$after" ]; then
        echo "  endpoint ports untouched (same Port rows, same OpenFlow ports)"
    else
        echo "  WRONG: ports changed across the restarts:" >&2
        diff <(echo "$before") <(echo "$after") >&2 || true
        FAIL=1
    fi
    awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "  restart phase took %.1f s\n", e - s }'
}

ping_matrix() { # TITLE; sets FAIL=1 on a wrong cell
    local a b dst got want i
    echo "== $1 (row pings column; ok = reply, -- = no reply)"
    printf '%-14s' ""
    for c in "${CONTAINERS[@]}"; do printf '%-14s' "$c"; done
    echo
    for a in "${CONTAINERS[@]}"; do
        printf '%-14s' "$a"
        for b in "${CONTAINERS[@]}"; do
            if [ "$a" = "$b" ]; then printf '%-14s' "."; continue; fi
            dst=${IP[${b#myContainer}]}
            got=--
            if [ "${NET[$a]}" = "${NET[$b]}" ]; then
                want=ok
                # Flows are compiled asynchronously after the report: allow a few seconds.
                for i in $(seq 10); do
                    ip netns exec "$CT_PREFIX$a" ping -n -q -c 1 -W 1 "$dst" >/dev/null 2>&1 && { got=ok; break; }
                done
            else
                want=--
                ip netns exec "$CT_PREFIX$a" ping -n -q -c 2 -i 0.2 -W 1 "$dst" >/dev/null 2>&1 && got=ok
            fi
            if [ "$got" = "$want" ]; then
                printf '%-14s' "$got"
            else
                printf '%-14s' "$got(WRONG)"
                FAIL=1
            fi
        done
        echo
    done
}
FAIL=0
ping_matrix "ping matrix"

if [ "$RUNTIME" = docker ]; then
    echo "== docker exec myContainer1 ping PEER, by address and by name (DNS at $DNS)"
    for b in myContainer2 myContainer3 myContainer4; do
        [ "${NET[$b]}" = "${NET[myContainer1]}" ] && want=ok || want=--
        for dst in "${IP[${b#myContainer}]}" "$b"; do
            got=--
            "${DOCKER[@]}" exec myContainer1 ping -c 2 -W 1 "$dst" >/dev/null 2>&1 && got=ok
            [ "$got" = "$want" ] && mark="" || { mark="(WRONG)"; FAIL=1; }
            printf '  myContainer1 -> %s (%s): %s%s\n' "$b" "$dst" "$got" "$mark"
        done
    done
    answer=$("${DOCKER[@]}" exec myContainer1 nslookup myContainer3 2>&1 | awk '/^Address/ {a=$2} END {print a}')
    echo "  nslookup myContainer3: $answer"
    [ "$answer" = "${IP[3]}" ] || { echo "  WRONG: myContainer3 is ${IP[3]}" >&2; FAIL=1; }
fi

echo "== netctl flows --host host1 --owner default:myContainer1: the flows, each with its owner"
in_ns "$BIN/netctl" --netmaster "$URL" flows --host host1 --owner default:myContainer1 | sed 's/^/  /'
all_flows=$(in_ns "$BIN/netctl" --netmaster "$URL" flows --host host1)
unowned=$(echo "$all_flows" | grep -cE '# (foreign|unknown)|in no object' || true)
echo "  every one of the switch's $(($(echo "$all_flows" | wc -l) - 1)) flows has an owner in intent ($unowned without)"
[ "$unowned" = 0 ] || { echo "  WRONG: flows without an owner" >&2; FAIL=1; }
echo "== netctl trace --live: myContainer1 -> myContainer2, checked against Open vSwitch's ofproto/trace"
verdict=$(in_ns "$BIN/netctl" --netmaster "$URL" trace -t default --from myContainer1 --to myContainer2 --live | tail -n 1)
echo "  $verdict"
if [ "$verdict" != "verdict: delivered to default:myContainer2; Open vSwitch agrees on every switch" ]; then
    echo "  WRONG: the trace should deliver and Open vSwitch agree" >&2
    FAIL=1
fi
echo "== netctl trace: myContainer1 -> ${IP[3]} (myContainer3, in the other network)"
if out=$(in_ns "$BIN/netctl" --netmaster "$URL" trace -t default --from myContainer1 --to "${IP[3]}" 2>&1); then
    echo "  WRONG: traced a packet the sender has no way to send: $out" >&2
    FAIL=1
else
    echo "  $out"
fi
echo "  (the web console shows all of it live: http://127.0.0.1:$PORT/ui/ inside $NS, token as password)"

if [ "${DEMO_RESTARTS:-}" = 1 ]; then
    restart_phase
    ping_matrix "ping matrix after the restarts"
fi

echo "== ovs-ofctl -O OpenFlow13 dump-flows br-int"
ovs-ofctl -O OpenFlow13 dump-flows br-int --no-stats | sed 's/^ */  /'

if [ "$RUNTIME" = docker ]; then
    echo "== docker rm -f myContainer4"
    "${DOCKER[@]}" rm -f myContainer4 >/dev/null
    wait_for 10 "myContainer4's port to go" no_port myContainer4
elif [ "${DEMO_CNI:-}" = 1 ]; then
    echo "== netplugin-cni DEL myContainer4 (twice: DEL is idempotent)"
    cni DEL myContainer4 "${CT_PREFIX}myContainer4" "$CNI_CONF"
    cni DEL myContainer4 "${CT_PREFIX}myContainer4" "$CNI_CONF"
else
    echo "== netplugin detach --container myContainer4"
    in_ns "$BIN/netplugin" detach --container myContainer4 --netns "/var/run/netns/${CT_PREFIX}myContainer4" \
        --netmaster "$URL" --token-file "$AGENT_TOKEN_FILE" --ovsdb "unix:$DIR/db.sock" --bridge br-int --host-label host1 \
        2>>"$DIR/attach.log"
fi
if ip -n "${CT_PREFIX}myContainer4" link show eth0 >/dev/null 2>&1; then
    echo "  WRONG: eth0 is still in myContainer4" >&2
    FAIL=1
fi
# Its flows go once netmaster has the new report (the detach sends it at once).
if wait_for 10 "the flows of myContainer4 to go" \
    bash -c "! ovs-ofctl -O OpenFlow13 dump-flows br-int | grep -q 'dl_src=${MAC4}'"; then
    echo "  port, veth and flows of myContainer4 are gone ($(ovs-vsctl --db="unix:$DIR/db.sock" list-ports br-int | wc -l) ports left)"
else
    FAIL=1
fi

if [ -z "${NETPLUGIN_BIN_DIR:-}" ] && [ -x "$BIN/ofdump" ]; then
    echo "== ofdump: a captured ovs-ofctl OpenFlow session decodes and re-encodes byte for byte"
    "$BIN/ofdump" --roundtrip ofproto/testdata/ovs-ofctl-capture.bin | tail -n 1
fi

END=$(date +%s.%N)
awk -v s="$START" -v b="$BUILT" -v e="$END" \
    'BEGIN { printf "== demo took %.1f s (build %.1f s, scenario %.1f s)\n", e - s, b - s, e - b }'
if [ "$FAIL" -ne 0 ]; then
    echo "DEMO FAILED: an expectation does not hold (see WRONG / LOST above)" >&2
    exit 1
fi
echo "DEMO PASSED: same network pings, different networks are isolated"
