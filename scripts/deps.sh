#!/bin/sh
# Install every Debian 12 package pawsguard needs to build, run and test.
# Idempotent: installs only what is missing; apt-get update runs first when anything is.
set -eu

PKGS="build-essential pkg-config meson ninja-build clang llvm lld libclang-rt-14-dev
libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev zlib1g-dev linux-libc-dev
dpdk dpdk-dev libdpdk-dev libpcap-dev libjson-c-dev libnuma-dev
python3 python3-scapy iproute2 nftables conntrack ethtool tcpdump
procps iputils-ping netcat-openbsd clang-format shellcheck
libmicrohttpd-dev prometheus curl
debhelper dpkg-dev lintian fakeroot systemd"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
