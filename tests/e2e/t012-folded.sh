# Folded export: flamegraph.pl's input format, with exact weights.
. "$ROOT/tests/e2e/lib.sh"
heap a "$PROGS/alloc-counts"
"$SCORCH" export --format=folded a.scorch >bytes.folded || fail "export failed"
"$SCORCH" export --format=folded --weight=count -o count.folded a.scorch || fail "export -o failed"
"$SCORCH" export --format=folded --weight=leaked a.scorch >leaked.folded
check_match "a line per stack, root first" "$(grep 'site_thousand' bytes.folded)" '^_start;.*;main;site_thousand 16000$'
check "count weight" "$(grep 'site_thousand' count.folded | awk '{print $NF}')" 1000
check "leaked weight" "$(grep 'site_leak' leaked.folded | awk '{print $NF}')" 700
check "only leaks in leaked" "$(grep -c 'site_thousand' leaked.folded)" 0
check "every line is 'frames weight'" "$(grep -Evc '^[^ ].* [0-9]+$' bytes.folded)" 0
check "total bytes" "$(awk '{s += $NF} END {print s}' bytes.folded)" "$(jq '.profiles[0].totals.bytes' <("$SCORCH" report --json a.scorch))"
# -o: a file is written whole (no temporary left next to it, the usual
# mode); a device is written in place and never removed, even on error
"$SCORCH" export --format=folded -o dev-null.folded a.scorch
check "-o: no temporary left" "$(ls | grep -c '\.tmp\.')" 0
check "-o: mode as a plain create" "$(stat -c %a dev-null.folded)" "$(umask -S >/dev/null; printf '%o' $(( 0666 & ~$(umask) )))"
if [ -c /dev/full ]; then
	"$SCORCH" export --format=folded -o /dev/full a.scorch 2>full.err; r=$?
	check "-o /dev/full: exit 1" "$r" 1
	check_match "-o /dev/full: says so" "$(cat full.err)" 'cannot write /dev/full: No space left'
	check "-o /dev/full: still the device" "$([ -c /dev/full ] && echo device)" device
fi
# every command that writes a file leaves a device given as -o a device
# (a temporary renamed over it would replace it by a regular file)
if [ "$(id -u)" = 0 ] && mknod -m 666 devnull c 1 3 2>/dev/null; then
	"$SCORCH" export --format=pprof -o devnull a.scorch
	check "-o device: export" "$(stat -c %F devnull)" "character special file"
	"$SCORCH" flame -o devnull a.scorch 2>/dev/null
	check "-o device: flame" "$(stat -c %F devnull)" "character special file"
	"$SCORCH" diff -o devnull a.scorch a.scorch >/dev/null 2>&1
	check "-o device: diff" "$(stat -c %F devnull)" "character special file"
	"$SCORCH" html -o devnull a.scorch 2>/dev/null
	check "-o device: html" "$(stat -c %F devnull)" "character special file"
	"$SCORCH" import -o devnull "$ROOT/tests/data/import/small.folded" 2>/dev/null
	check "-o device: import" "$(stat -c %F devnull)" "character special file"
	"$SCORCH" heap -o devnull -- "$PROGS/alloc-counts" >/dev/null 2>&1
	check "-o device: heap" "$(stat -c %F devnull)" "character special file"
	rm -f devnull
fi
finish
