# Helpers for the end-to-end scripts (tests/e2e/tNNN-*.sh). The harness sets
# SCORCH (the tool), PROGS (built test programs), WORK (a fresh directory for
# this script) and ROOT. A script exits 0 on success, 77 to be skipped, and
# anything else on failure; check() failures are collected and end it.
set -u
cd "$WORK" || exit 1
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # description actual expected
	if [ "$2" == "$3" ]; then echo "ok: $1 = $3"; else fail "$1: got '$2', expected '$3'"; fi
}
check_ge() { # description actual minimum
	if [ "$2" -ge "$3" ] 2>/dev/null; then echo "ok: $1 = $2 >= $3"; else fail "$1: got '$2', expected >= $3"; fi
}
within() { # description value target tolerance (integers, same units)
	local d=$(( $2 > $3 ? $2 - $3 : $3 - $2 ))
	if [ "$d" -le "$4" ]; then echo "ok: $1 = $2 (target $3 +- $4)"; else fail "$1: $2, target $3 +- $4"; fi
}
check_match() { # description text regex
	if grep -Eq -- "$3" <<<"$2"; then echo "ok: $1 matches /$3/"; else fail "$1: '$2' does not match /$3/"; fi
}
# opt_builds: runs this script twice: first with the zone and call test
# programs as built at -O2 (PROGS/NAME-O2, see the Makefile: inlining, no
# frame pointers) under their usual names, in WORK/O2 with OPT=-O2, then as
# built at -O0 (OPT empty). Failures of the -O2 run fail the script.
opt_builds() {
	[ -n "${OPT+set}" ] && return 0
	local dir=$WORK/O2-progs p n=0
	mkdir -p "$WORK/O2" "$dir"
	for p in "$PROGS"/*; do ln -s "$p" "$dir/${p##*/}"; done
	for p in "$PROGS"/*-O2; do
		[ -e "$p" ] || continue
		ln -sfn "$p" "$dir/$(basename "$p" -O2)"
		n=$((n + 1))
	done
	if [ "$n" -eq 0 ]; then
		fail "no -O2 builds in $PROGS (make progs builds them)"
	else
		echo "=== the -O2 builds ($n programs; WORK/O2)"
		OPT=-O2 PROGS=$dir WORK="$WORK/O2" bash "$ROOT/tests/e2e/${0##*/}"
		local st=$?
		echo "=== the -O2 builds: exit $st; now the -O0 builds"
		[ "$st" -eq 0 ] || [ "$st" -eq 77 ] || fail "on the -O2 builds (see above)"
	fi
	OPT=
}
finish() {
	if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
	echo "all checks passed"
	exit 0
}

# heap NAME PROG ARGS...: scorch heap -o NAME.scorch; sets $rc, $out, $err
heap() {
	local name=$1
	shift
	set +e
	"$SCORCH" heap -o "$WORK/$name.scorch" -- "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	set -e 2>/dev/null; set +e
	out=$(cat "$WORK/$name.out")
	err=$(cat "$WORK/$name.err")
	echo "--- scorch heap $* (exit $rc); stderr:"
	sed 's/^/    /' "$WORK/$name.err"
}

# rec NAME ARGS...: scorch record -o NAME.scorch ARGS, and its report
# --json in NAME.json; sets $rc, $out, $err (a script may define its own)
rec() { # name args...: scorch record -o name.scorch; sets rc, out, err
	local name=$1
	shift
	"$SCORCH" record -o "$WORK/$name.scorch" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	rc=$?
	out=$(cat "$WORK/$name.out")
	err=$(cat "$WORK/$name.err")
	echo "--- scorch record $* (exit $rc)"; sed 's/^/    /' "$WORK/$name.err"
	"$SCORCH" report --json --limit=0 "$WORK/$name.scorch" >"$WORK/$name.json" 2>/dev/null
}

# json FILE: scorch report --json --limit=0 into FILE.json
json() {
	"$SCORCH" report --json --limit=0 "$1" >"$1.json" || fail "scorch report --json $1 exited $?"
}

# q FILE.json JQ: one value
q() { jq -r "$2" "$1"; }

# site FILE.json FUNCTION FIELD: a field of the site named FUNCTION (0 if absent)
site() { jq -r --arg f "$2" "[.profiles[0].sites[] | select(.function == \$f) | .$3] | add // 0" "$1"; }

# calls FILE.json FUNCTION: calls of a malloc-family function
calls() { jq -r --arg f "$2" '.profiles[0].calls[] | select(.function == $f) | .calls' "$1"; }

# through FILE.scorch FUNCTION WEIGHT: the total weight (count, bytes, peak,
# leaked) of the stacks passing through FUNCTION, from the folded export
through() {
	"$SCORCH" export --format=folded --weight="$3" "$1" |
		awk -v f="$2" '{ w = $NF; $NF = ""; n = split($0, fr, ";"); for (i = 1; i <= n; i++) { x = fr[i]; sub(/ +$/, "", x); if (x == f) { s += w; break } } } END { print s + 0 }'
}

# need_go WHAT: Debian's golang-go (about 10 s to install; CI runs as root),
# with HOME in WORK so that go writes nothing outside it
need_go() {
	if ! command -v go >/dev/null 2>&1; then
		local sudo=()
		[ "$(id -u)" = 0 ] || sudo=(sudo -n)
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null 2>&1 ||
			{ "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 &&
			  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null 2>&1; } ||
			{ echo "FAIL: cannot install golang-go for $1; run as root: apt-get install -y golang-go"; return 1; }
	fi
	export HOME="$WORK"
}
