#!/usr/bin/env bash
# Runs the whole benchmark suite and writes one table of its figures, with the machine, the
# date and the load, to docs/benchmarks.md.
#
#   scripts/bench.sh                 # the full suite (about an hour on 2 cores; root)
#   scripts/bench.sh --short --out F # each benchmark's smoke version (what the test command
#                                    # runs): small sizes, the same checks of the work
#   scripts/bench.sh --only compile  # one benchmark (by name), written to --out
#
# Every benchmark checks its work before it prints and fails loudly when it does not hold;
# a failed one is written to the table as FAILED with its message, and the script then exits
# non-zero (the test command fails). The figures are what each benchmark prints,
# measured from the outside of the process under test where it has one (the switches' side,
# the client's side, /proc); see each benchmark's header for what it times.
set -euo pipefail
cd "$(dirname "$0")/.."

short=0
out=docs/benchmarks.md
only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --short) short=1 ;;
        --out) out="$2"; shift ;;
        --only) only="$2"; shift ;;
        *) echo "usage: $0 [--short] [--out FILE] [--only NAME]" >&2; exit 2 ;;
    esac
    shift
done

. scripts/setup-debian.sh
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# package, benchmark, environment of the full run (the sizes the issues' goals name).
suite=(
    "ofproto codec"
    "netmaster compile NM_BENCH_ENDPOINTS=100000 NM_BENCH_NETWORKS=2000 NM_BENCH_HOSTS=1000"
    "netmaster writes"
    "netmaster install_flows"
    "netmaster ofbench"
    "netmaster replicas"
    "topology-tests policy"
    "topology-tests fabric"
    "topology-tests containers"
)

failed=""
rows=$(mktemp)
logs=$(mktemp -d)
trap 'rm -rf "$rows" "$logs"' EXIT
for entry in "${suite[@]}"; do
    read -r pkg name envs <<<"$entry"
    if [ -n "$only" ] && [ "$only" != "$name" ]; then
        continue
    fi
    if [ "$short" = 1 ]; then
        cmd="cargo test -p $pkg --bench $name"
        envs=""
    else
        cmd="cargo bench -p $pkg --bench $name"
    fi
    # Built before the clock and the load reading start.
    env $envs $cmd --no-run >/dev/null 2>"$logs/$name.build" || {
        cat "$logs/$name.build" >&2
        exit 1
    }
    load=$(cut -d' ' -f1 /proc/loadavg)
    echo "== $name: ${envs:+$envs }$cmd"
    started=$(date +%s)
    # The benchmark's own output is its stdout; cargo's is on stderr. A benchmark that fails
    # (its check of the work did not hold) gets its panic message in the table instead of
    # figures, the others still run, and the script fails at the end.
    if env $envs $cmd 2>"$logs/$name.err" | tee "$logs/$name.out"; then
        out_file="$logs/$name.out"
    else
        tail -n 40 "$logs/$name.err" >&2
        echo "== $name failed" >&2
        failed="$failed $name"
        grep -m1 -A1 "panicked at" "$logs/$name.err" | sed '1s/^/FAILED: /' >"$logs/$name.failure" || true
        [ -s "$logs/$name.failure" ] || echo "FAILED (no panic message; see its log)" >"$logs/$name.failure"
        out_file="$logs/$name.failure"
    fi
    took=$(($(date +%s) - started))
    # One cell: the printed lines, joined with <br>; pipes and angle brackets escaped.
    figures=$(grep -v '^$' "$out_file" | sed 's/|/\\|/g; s/</\&lt;/g; s/>/\&gt;/g' | awk 'NR > 1 { printf "<br>" } { printf "%s", $0 }' || true)
    if [ -z "$figures" ]; then
        echo "== $name printed no figures on its standard output" >&2
        failed="$failed $name"
        figures="FAILED: no figures printed"
    fi
    printf '| %s | `%s` | %s s | %s | %s |\n' "$name" "${envs:+$envs }$cmd" "$took" "$load" "$figures" >>"$rows"
done

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
os=$(. /etc/os-release && echo "$PRETTY_NAME")
ovs=$(ovs-vswitchd --version | head -n 1)
{
    echo "# Benchmarks"
    echo
    if [ "$short" = 1 ]; then
        echo "The smoke versions (\`scripts/bench.sh --short\`): small sizes, figures not meaningful."
    else
        echo "The whole suite, written by \`scripts/bench.sh\` (release builds). Each benchmark"
        echo "checks its work before it prints; what each one times is in its header"
        echo "(\`controller/benches/\`, \`topology-tests/benches/\`, \`ofproto/benches/\`)."
    fi
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $cpu, $(nproc) cores, $mem; $os, kernel $(uname -r); $ovs"
    echo "- Load: the benchmarks run one after another; \"load\" is the 1-minute load average"
    echo "  when each one started (after its build): anything else running shows there."
    echo
    echo "| benchmark | command | took | load | figures |"
    echo "|---|---|---|---|---|"
    cat "$rows"
} >"$out"
echo "== written to $out"
if [ -n "$failed" ]; then
    echo "== failed:$failed" >&2
    exit 1
fi
