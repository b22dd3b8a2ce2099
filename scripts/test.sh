#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy, rustdoc, unit, property, vector,
# malformed-input, framing and Open vSwitch oracle tests, the benchmarks' smoke runs, and the
# ofdump tool on the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-debian.sh

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# No incremental caches: CI's target directory is kept between runs, and its incremental
# caches grew to 33 GB and filled the disk (a CI run failed with "No space left on device").
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo doc (warnings are errors: broken links, private links)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "== cargo test"
cargo test --workspace
echo "== the examples and policy suites again, against three netmaster replicas on etcd"
NETPLUGIN_TEST_REPLICAS=3 cargo test -p topology-tests --test examples --test policy
echo "== the benchmarks' smoke runs (small sizes; each checks its work before it prints), through"
echo "   the suite's script, which writes their table"
table=$(mktemp)
scripts/bench.sh --short --out "$table"
rm -f "$table"
echo "== ofdump on the captured ovs-ofctl session"
cargo run -q -p ofproto --bin ofdump -- --roundtrip ofproto/testdata/ovs-ofctl-capture.bin | tail -n 1
echo "== all tests passed"
