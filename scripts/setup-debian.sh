#!/usr/bin/env bash
# Installs the Debian packages the demo and the tests need when they are missing, and
# schemathesis and Playwright (PyPI) in a venv for the OpenAPI fuzz tests and the web
# console's browser tests (Playwright drives Debian's chromium).
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run repeatedly.
set -euo pipefail

need_pkgs=()
command -v ovs-ofctl >/dev/null 2>&1 || need_pkgs+=(openvswitch-switch)
command -v ovs-vswitchd >/dev/null 2>&1 || need_pkgs+=(openvswitch-switch)
command -v ip >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v ping >/dev/null 2>&1 || need_pkgs+=(iputils-ping)
command -v ethtool >/dev/null 2>&1 || need_pkgs+=(ethtool)
command -v bridge >/dev/null 2>&1 || need_pkgs+=(iproute2)
command -v tcpdump >/dev/null 2>&1 || need_pkgs+=(tcpdump)
command -v iperf3 >/dev/null 2>&1 || need_pkgs+=(iperf3)
# OpenFlow over TLS: certificates made with ovs-pki, a foreign client with openssl s_client.
command -v ovs-pki >/dev/null 2>&1 || need_pkgs+=(openvswitch-common)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
# The topology tests send hand-made frames with Debian's python3 (raw AF_PACKET socket).
[ -x /usr/bin/python3 ] || need_pkgs+=(python3)
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_pkgs+=(python3-venv)
# The web console is tested in a real browser, headless (with a font: the packages are
# installed without their recommendations, which is where chromium's font is).
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
[ -d /usr/share/fonts/truetype/liberation ] || need_pkgs+=(fonts-liberation)
# The Docker tests run a private dockerd (Debian's Docker 20.10) with an image made from the
# static busybox.
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
[ -x /usr/bin/docker ] || need_pkgs+=(docker.io)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
command -v nsenter >/dev/null 2>&1 || need_pkgs+=(util-linux)
# The reference CNI plugins (host-local, static, tuning, ...) the CNI tests chain and delegate to.
[ -x /usr/lib/cni/host-local ] || need_pkgs+=(containernetworking-plugins)
# A conflist chain (netplugin, tuning, portmap, bandwidth) runs through libcni, the reference
# runtime library (topology-tests/cni-runner, built with Debian's Go); portmap needs iptables.
command -v go >/dev/null 2>&1 || need_pkgs+=(golang-go)
[ -d /usr/share/gocode/src/github.com/containernetworking/cni/libcni ] || need_pkgs+=(golang-github-appc-cni-dev)
command -v iptables >/dev/null 2>&1 || need_pkgs+=(iptables)
# etcd for the replicas' store and their tests; protoc builds the etcd client's gRPC code,
# with protobuf's well-known types (google/protobuf/*.proto, in libprotobuf-dev: only a
# recommendation of protobuf-compiler, which --no-install-recommends leaves out).
command -v etcd >/dev/null 2>&1 || need_pkgs+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need_pkgs+=(etcd-client)
command -v protoc >/dev/null 2>&1 || need_pkgs+=(protobuf-compiler)
[ -f /usr/include/google/protobuf/descriptor.proto ] || need_pkgs+=(libprotobuf-dev)

if ((${#need_pkgs[@]})); then
    echo "setup: installing ${need_pkgs[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: need root to install ${need_pkgs[*]} (run as root or with sudo)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2046
    apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need_pkgs[@]}" | sort -u) >/dev/null
fi

# schemathesis 4.x (PyPI) in a venv of its own, for the OpenAPI fuzz tests
# (controller/tests/schemathesis.rs finds it through $SCHEMATHESIS).
NETPLUGIN_VENV="${NETPLUGIN_VENV:-/var/tmp/netplugin-venv}"
if ! "$NETPLUGIN_VENV/bin/schemathesis" --version 2>/dev/null | grep -q 'version 4\.'; then
    echo "setup: installing schemathesis 4.x from PyPI into $NETPLUGIN_VENV"
    /usr/bin/python3 -m venv "$NETPLUGIN_VENV"
    "$NETPLUGIN_VENV/bin/pip" install -q 'schemathesis>=4,<5'
fi
export SCHEMATHESIS="$NETPLUGIN_VENV/bin/schemathesis"
# Playwright (PyPI) in the same venv, pointed at Debian's chromium by the console test
# (topology-tests/tests/console.rs finds the venv's python through $NETPLUGIN_PYTHON).
if ! "$NETPLUGIN_VENV/bin/python" -c 'import playwright.sync_api' >/dev/null 2>&1; then
    echo "setup: installing Playwright from PyPI into $NETPLUGIN_VENV"
    "$NETPLUGIN_VENV/bin/pip" install -q 'playwright>=1.40,<2'
fi
export NETPLUGIN_PYTHON="$NETPLUGIN_VENV/bin/python"

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo (Rust toolchain) not found; install Rust (rustup) first" >&2
    exit 1
fi
ovs-ofctl --version | head -n 1
cargo --version
