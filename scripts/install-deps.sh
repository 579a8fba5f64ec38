#!/bin/sh
# Installs the Debian packages scorch builds and tests with (libc6-dev in
# check: libc.a, for the static test programs). Called by make when
# pkg-config cannot find a dependency (`make`: the build dependencies only;
# `make check`: the test tools too); safe to run by hand. Never prompts.
set -e
# build: what `make` (the tool and the runtime) needs; demo: and what `make
# demo` runs; check (the default): and every tool the tests compare with
BUILD_PKGS="build-essential pkg-config libdw-dev libelf-dev libunwind-dev libzstd-dev zlib1g-dev libcurl4-openssl-dev libcapstone-dev"
DEMO_PKGS="time"
CHECK_PKGS="libc6-dev elfutils libcmocka-dev valgrind jq curl sqlite3 heaptrack libxml2-utils linux-perf gdb uftrace clang libclang-rt-dev"
case ${1:-check} in
build) PKGS="$BUILD_PKGS" ;;
demo) PKGS="$BUILD_PKGS $DEMO_PKGS" ;;
check) PKGS="$BUILD_PKGS $DEMO_PKGS $CHECK_PKGS" ;;
*) echo "usage: scripts/install-deps.sh [build|demo|check]" >&2; exit 2 ;;
esac
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
