# Shell helpers shared by scripts/demo.sh and agent/tests/getting-started.sh (sourced, not run):
# finding ovs-ctl, waiting for a condition, and stopping the daemons a script started, by PID
# and never by name. The sourcing script sets ME (the name its messages start with) and, before
# it stops anything by pid file, DIR (its private directory).

# The path of Open vSwitch's ovs-ctl; fails loudly when it is nowhere.
find_ovs_ctl() {
    local c
    for c in "$(command -v ovs-ctl || true)" /usr/share/openvswitch/scripts/ovs-ctl \
        /usr/local/share/openvswitch/scripts/ovs-ctl; do
        [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
    done
    echo "$ME: ovs-ctl not found" >&2
    return 1
}

dead() { # PID: gone or a zombie
    local s
    s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
    [ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

stop_pid() { # PID: TERM, then KILL after 5 s; waits until it is gone
    local pid=$1 i
    dead "$pid" && return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do dead "$pid" && return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 50); do dead "$pid" && return 0; sleep 0.1; done
}

stop_pidfile() { # FILE: only a process whose command line names $DIR or that runs inside it
    local f=$1 pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null) || return 0
    [ -n "$pid" ] || return 0
    grep -qa "$DIR" "/proc/$pid/cmdline" 2>/dev/null ||
        case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$DIR"/*) true ;; *) false ;; esac ||
        return 0
    stop_pid "$pid"
}

wait_for() { # TIMEOUT_S WHAT CMD...: polls CMD every 0.1 s
    local t=$1 what=$2 i
    shift 2
    for i in $(seq $((t * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$ME: timed out waiting for $what" >&2
    return 1
}
