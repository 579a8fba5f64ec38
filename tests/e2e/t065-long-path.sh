# A program whose path is longer than 1,023 bytes (deep in a build tree):
# the runtime read /proc/self/exe into 1,024 bytes, so the profile named a
# cut path for the program and its module, and nothing of the program's own
# could be symbolized: every site, zone and sample of it was
# '[abcdefghijklmnopqrs+0x122e]'. It now reads PATH_MAX. Checked under heap
# (exact counts by function), record --calls (exact calls) and record;
# and run from that directory, where the runtime's own directory path
# (1,024 bytes too) was cut and nothing was recorded.
. "$ROOT/tests/e2e/lib.sh"

d=$WORK
for i in $(seq 1 30); do d=$d/abcdefghijklmnopqrstuvwxyz0123456789_$i; done
mkdir -p "$d" || fail "cannot make the deep directory"
cat >"$d/deep.c" <<'EOS2'
#include <stdio.h>
#include <stdlib.h>
volatile double x;
int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
void *leaf(int n) { return malloc((size_t)n); }
void burn(void) { for (long i = 0; i < 30000000; i++) x += i; }
int main(int argc, char **argv)
{
	for (int i = 0; i < 1000; i++)
		free(leaf(i + 1));
	printf("%d\n", fib(15));
	if (argc > 1)
		burn();
	return 0;
}
EOS2
cd "$d" || exit 1
cc -O0 -g -finstrument-functions -o deep deep.c || fail "cannot build deep.c"
echo "path: ${#d} bytes"

"$SCORCH" heap -o "$WORK/h.scorch" -- ./deep >"$WORK/h.out" 2>"$WORK/h.err"
check "heap: status" "$?" 0
check "heap: output" "$(cat "$WORK/h.out")" 610
json "$WORK/h.scorch"
check "heap: the program's path whole" "$(q "$WORK/h.scorch.json" '.profiles[0].program.exe')" "$d/deep"
check "heap: 1,000 allocations at leaf, by name" "$(site "$WORK/h.scorch.json" leaf allocations)" 1000

"$SCORCH" record --calls -o "$WORK/c.scorch" -- ./deep >/dev/null 2>"$WORK/c.err"
check "calls: status" "$?" 0
"$SCORCH" report --json --zones "$WORK/c.scorch" >"$WORK/c.json" 2>/dev/null
check "calls: fib's 1,973 calls, by name" \
	"$(jq -r '[.. | objects | select(.name? == "fib") | .calls] | first' "$WORK/c.json")" 1973
check "calls: leaf's 1,000" "$(jq -r '[.. | objects | select(.name? == "leaf") | .calls] | first' "$WORK/c.json")" 1000

"$SCORCH" record -o "$WORK/r.scorch" -- ./deep burn >/dev/null 2>"$WORK/r.err"
check "record: status" "$?" 0
json "$WORK/r.scorch"
total=$(q "$WORK/r.scorch.json" '.profiles[0].cpu.totals.samples // 0')
burn=$(jq -r '[.profiles[0].cpu.functions[]? | select(.function == "burn") | .self] | add // 0' "$WORK/r.scorch.json")
check_ge "record: samples" "$total" 20
check_ge "record: burn's share of them by name (%)" "$(( total > 0 ? burn * 100 / total : 0 ))" 80
# run from there with no -o: the profile and the runtime's working
# directory are in the deep directory, whose path the runtime kept in 1,024
# bytes: 'cannot create the recording stream ...; the program runs
# unrecorded', 'no profile was recorded'
"$SCORCH" heap -- ./deep >"$WORK/cwd.out" 2>"$WORK/cwd.err"
check "from the deep directory: status" "$?" 0
check "from the deep directory: nothing 'runs unrecorded'" "$(grep -c unrecorded "$WORK/cwd.err")" 0
prof=$(ls deep.*.scorch 2>/dev/null | head -1)
check_match "from the deep directory: the profile there" "$prof" '^deep\.[0-9]+\.scorch$'
if [ -n "$prof" ]; then
	json "$prof"
	check "from the deep directory: 1,000 allocations at leaf" "$(site "$prof.json" leaf allocations)" 1000
fi
finish
