#!/bin/sh
# Builds the real Parca server from the Go module proxy, for the
# continuous-profiling test (tests/e2e/t056-parca.sh), and caches the binary:
#   scripts/build-parca.sh [BUILD]   ->  BUILD/parca/parca  (BUILD=build)
# A second run with the binary present does nothing. Exit 2 when no go
# toolchain is installed or the module proxy cannot be reached (the test
# skips on that alone); any other failure is exit 1.
#
# `go install github.com/parca-dev/parca/cmd/parca@VERSION` is refused here:
# the go command first reads the module's version list (for deprecations),
# and the proxy answers 403 for that list; single versions are served. And
# the module has no web UI assets: ui/ui.go embeds ui/packages/app/web/build,
# a directory made by the UI's JavaScript build, which the module zip lacks.
# So this downloads the module at VERSION, copies it out of the (read-only)
# module cache, puts one small index.html where the UI's build would be, and
# builds cmd/parca inside that copy with the module's own go.mod and go.sum.
# The HTTP API (the ingest and query services through their gateway) is
# what the test needs.
set -eu
BUILD=${1:-${BUILD:-build}}
# The module proxy serves parca v0.18.0 to v0.21.0 here; v0.22.0 and later
# (and the version list) are refused.
VERSION=v0.21.0
OUT=$BUILD/parca
BIN=$OUT/parca
if [ -x "$BIN" ] && [ "$(cat "$OUT/version" 2>/dev/null)" = "$VERSION" ]; then
	exit 0
fi
if ! command -v go >/dev/null 2>&1; then
	echo "build-parca: no go toolchain (go not in PATH)" >&2
	exit 2
fi
export GOFLAGS="-trimpath"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
start=$(date +%s)
echo "build-parca: building parca $VERSION into $BIN (takes minutes on 2 cores)" >&2
cd "$OUT"
if ! go mod download -json "github.com/parca-dev/parca@$VERSION" >download.json 2>download.err; then
	cat download.err download.json >&2
	# no network (or no proxy): the only failure the test may skip on
	if grep -qiE 'dial tcp|no such host|connection refused|network is unreachable|i/o timeout|TLS handshake|temporary failure in name resolution' \
		download.err download.json; then
		echo "build-parca: the Go module proxy cannot be reached" >&2
		exit 2
	fi
	exit 1
fi
DIR=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' download.json)
if [ -z "$DIR" ] || [ ! -f "$DIR/cmd/parca/main.go" ]; then
	echo "build-parca: go mod download gave no module directory (see $OUT/download.json)" >&2
	exit 1
fi
rm -rf src
cp -R "$DIR" src
chmod -R u+w src
mkdir -p src/ui/packages/app/web/build
cat >src/ui/packages/app/web/build/index.html <<'EOF'
<!doctype html><title>Parca</title>
<p>This Parca server was built from its Go module, which has no web UI assets; its APIs are served.
EOF
cd src
# -checklinkname=0: parquet-go v0.20.0 (hashprobe/aeshash) links to
# runtime.aeskeysched through go:linkname, which go 1.23 and later refuse
# by default ("invalid reference to runtime.aeskeysched")
if ! go build -ldflags=-checklinkname=0 -o ../parca.new ./cmd/parca 2>../build.err; then
	cat ../build.err >&2
	if grep -qiE 'dial tcp|no such host|connection refused|network is unreachable|i/o timeout|TLS handshake|temporary failure in name resolution' ../build.err; then
		echo "build-parca: the Go module proxy cannot be reached" >&2
		exit 2
	fi
	exit 1
fi
cd ..
mv parca.new parca
rm -rf src download.err build.err
echo "$VERSION" >version
end=$(date +%s)
echo "build-parca: built parca $VERSION in $((end - start)) s" >&2
