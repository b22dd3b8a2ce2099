#!/usr/bin/env bash
# The main job, for now: decode a real Open vSwitch (ovs-ofctl) OpenFlow 1.3 session with the
# ofproto codec, print one line per message and check that every message re-encodes to the
# identical bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-debian.sh

cargo build -q -p ofproto --bin ofdump
cargo run -q -p ofproto --bin ofdump -- --roundtrip ofproto/testdata/ovs-ofctl-capture.bin
echo
echo "The same from hex text, cross-checked with ovs-ofctl ofp-print:"
cargo run -q -p ofproto --bin ofdump -- --hex --roundtrip ofproto/testdata/flow-mod.hex
# Each comment line starts a new message in the hex file.
awk '/^#/ { if (m != "") print m; m = ""; next } { gsub(/ /, ""); m = m $0 } END { print m }' \
    ofproto/testdata/flow-mod.hex | while read -r hex; do
    echo "ovs-ofctl ofp-print: $(ovs-ofctl ofp-print "$hex")"
done
