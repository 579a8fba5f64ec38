#!/bin/sh
# Installs the Debian packages scorch builds and tests with. Called by make when
# pkg-config cannot find a dependency; safe to run by hand. Never prompts.
set -e
PKGS="build-essential pkg-config libdw-dev libelf-dev elfutils libunwind-dev libzstd-dev zlib1g-dev libcmocka-dev libcapstone-dev valgrind jq sqlite3 heaptrack time libxml2-utils linux-perf gdb uftrace clang libclang-rt-dev"
[ -n "$SCORCH_EXTRA_PKGS" ] && PKGS="$PKGS $SCORCH_EXTRA_PKGS"
missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	echo "scorch: missing packages:$missing" >&2
	echo "scorch: run as root:  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "scorch: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq $missing >&2
