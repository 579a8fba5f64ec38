#!/bin/sh
# Builds the real Grafana Pyroscope server from the Go module proxy, for the
# continuous-profiling test (tests/e2e/t050-push.sh), and caches the binary:
#   scripts/build-pyroscope.sh [BUILD]   ->  BUILD/pyroscope/pyroscope  (BUILD=build)
# A second run with the binary present does nothing. Exit 2 when no go toolchain
# is installed (the test skips on that alone); any other failure is exit 1.
#
# `go install github.com/grafana/pyroscope/cmd/pyroscope@VERSION` is refused by
# the go command because pyroscope's go.mod has replace directives (its api
# submodule, a memberlist fork, a yaml.v3 fork). So this builds the same package
# from a small module that requires pyroscope at VERSION and repeats those
# replaces. The web UI's assets are embedded only with the `embedassets` build
# tag, which is left out: the ingest and query APIs are what the test needs.
set -eu
BUILD=${1:-${BUILD:-build}}
# The module proxy serves pyroscope v1.9.0, v1.11.0 and v1.12.0 here (v1.10.0: info only)
# (v1.13, v1.14 refused) but no pyroscope/api release cut with v1.11 or v1.12:
# their code imports api packages (otlp, raft_log) that no served api has.
# v1.9.0 imports only packages that api v1.0.0 (a week younger) has; v1.10.0: its
# module zip is refused.
VERSION=v1.9.0
API_VERSION=v1.0.0
OUT=$BUILD/pyroscope
BIN=$OUT/pyroscope
if [ -x "$BIN" ] && [ "$(cat "$OUT/version" 2>/dev/null)" = "$VERSION" ]; then
	exit 0
fi
if ! command -v go >/dev/null 2>&1; then
	echo "build-pyroscope: no go toolchain (go not in PATH)" >&2
	exit 2
fi
mkdir -p "$OUT/src"
SRC=$(cd "$OUT/src" && pwd)
cat >"$SRC/go.mod" <<EOF
module scorch.test/pyroscope-server

go 1.22.7

require (
	github.com/grafana/pyroscope $VERSION
	github.com/grafana/pyroscope/api $API_VERSION
)

replace (
	github.com/hashicorp/memberlist => github.com/grafana/memberlist v0.3.1-0.20220708130638-bd88e10a3d91
	gopkg.in/yaml.v3 => github.com/colega/go-yaml-yaml v0.0.0-20220720105220-255a8d16d094
)
EOF
cat >"$SRC/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/grafana/pyroscope/cmd/pyroscope"
EOF
start=$(date +%s)
echo "build-pyroscope: building pyroscope $VERSION into $BIN (takes minutes on 2 cores)" >&2
cd "$SRC"
export GOFLAGS="-trimpath -mod=mod"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
go build -o pyroscope.new github.com/grafana/pyroscope/cmd/pyroscope
mv pyroscope.new ../pyroscope
echo "$VERSION" >../version
end=$(date +%s)
echo "build-pyroscope: built pyroscope $VERSION in $((end - start)) s" >&2
