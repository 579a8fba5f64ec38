# scorch annotate: a function's 75/25 split between two source lines within
# 3 points; line and instruction counts that add up exactly to the
# function's samples; the instructions are objdump's (addresses and bytes);
# a caller's call line carries its callee's samples; the profile alone
# annotates after the binary and the source are deleted, identically;
# --no-code, Intel syntax, the HTML report's hot code section in a browser,
# bad input, and why a stripped library's frames have no assembly.
. "$ROOT/tests/e2e/lib.sh"
SRC="$ROOT/tests/progs/cpu-annotate.c"
LA=$(grep -n 'LINE_A \*/' "$SRC" | cut -d: -f1)
LB=$(grep -n 'LINE_B \*/' "$SRC" | cut -d: -f1)
LCALL=$(grep -n 'LINE_CALL \*/' "$SRC" | cut -d: -f1)

"$SCORCH" record -o ann.scorch -- "$PROGS/cpu-annotate" 3000 >ann.out 2>ann.err
check "record: exit" "$?" 0
check "record: the program's output" "$(cat ann.out)" "cpu-annotate: done"
"$SCORCH" annotate --json ann.scorch two_lines >two.json
check "annotate two_lines: exit" "$?" 0
"$SCORCH" annotate --json ann.scorch main >main.json
check "annotate main: exit" "$?" 0

f='.functions[0]'
line_self() { jq -r --argjson l "$2" "[$f.source[] | select(.line == \$l) | .self.samples] | add // 0" "$1"; }
a=$(line_self two.json "$LA")
b=$(line_self two.json "$LB")
fself=$(jq -r "$f.self.samples" two.json)
echo "    two_lines: $fself samples of its own, LINE_A $a, LINE_B $b"
check_ge "two_lines has samples" "$fself" 2000
within "LINE_A's share of the two lines (per mille)" "$(( a * 1000 / (a + b) ))" 750 30
within "LINE_B's share of the two lines (per mille)" "$(( b * 1000 / (a + b) ))" 250 30
check "the lines' self samples add up to the function's" "$(jq -r "[$f.source[].self.samples] | add" two.json)" "$fself"
check "the instructions' self samples add up to the code's" \
	"$(jq -r "[$f.assembly.instructions[].self.samples] | add" two.json)" "$(jq -r "$f.assembly.self.samples" two.json)"
check "the code's samples are the function's (nothing inlined)" "$(jq -r "$f.assembly.self.samples" two.json)" "$fself"
check_match "LINE_A's text is kept" "$(jq -r --argjson l "$LA" "$f.source[] | select(.line == \$l) | .text" two.json)" 'LINE_A \*/$'
check "no source read from disk" "$(jq -r .source_from_disk two.json)" false

# the instructions are objdump's, address by address and byte by byte
jq -r "$f.assembly.instructions[] | \"\\(.addr) \\(.bytes)\"" two.json |
	while read -r addr bytes; do printf '%x %s\n' "$addr" "$bytes"; done >ours.txt
n=$(wc -l <ours.txt)
objdump -d -w "$PROGS/cpu-annotate" |
	awk '/<two_lines>:$/ { on = 1; next } on && /^$/ { exit } on' |
	awk -F'\t' '{ a = $1; gsub(/[ :]/, "", a); b = $2; gsub(/ /, "", b); print a " " b }' | head -n "$n" >objdump.txt
check_ge "two_lines: instructions" "$n" 20
check "the instructions are objdump's (address, bytes)" "$(diff ours.txt objdump.txt >/dev/null && echo same)" same
check "the last instruction is the return" "$(jq -r "$f.assembly.instructions[-1].asm" two.json)" "retq"
check_match "a call is named after its target" "$(jq -r "[$f.assembly.instructions[] | select(.asm | startswith(\"call\")) | .target] | unique | join(\",\")" two.json)" '^thread_cpu_ns$'

# every call of main named as objdump names it (a function, a PLT entry)
jq -r "$f.assembly.instructions[] | select(.asm | startswith(\"call\")) | \"\(.addr) \(.target)\"" main.json |
	while read -r addr t; do printf '%x %s\n' "$addr" "$t"; done >calls-ours.txt
objdump -d -w "$PROGS/cpu-annotate" | awk '/<main>:$/ { on = 1; next } on && /^$/ { exit } on' |
	sed -nE 's/^ *([0-9a-f]+):.*call +[0-9a-f]+ <([^>]+)>.*/\1 \2/p' >calls-objdump.txt
check_ge "main: calls" "$(wc -l <calls-objdump.txt)" 3
check "main: the calls are named as objdump names them" "$(diff calls-ours.txt calls-objdump.txt >/dev/null && echo same)" same
cat calls-ours.txt | sed 's/^/    /'

# main's call line: the callee's samples and main's own there
ctot=$(jq -r --argjson l "$LCALL" "[$f.source[] | select(.line == \$l) | .total.samples] | add // 0" main.json)
cself=$(jq -r --argjson l "$LCALL" "[$f.source[] | select(.line == \$l) | .self.samples] | add // 0" main.json)
check "main's call line: two_lines' total plus main's own there" "$ctot" "$(( $(jq -r "$f.total.samples" two.json) + cself ))"
check "main: the call instruction carries two_lines' samples" \
	"$(jq -r "[$f.assembly.instructions[] | select(.target == \"two_lines\") | .total.samples] | add" main.json)" \
	"$(jq -r "$f.total.samples" two.json)"

# the text view
"$SCORCH" annotate ann.scorch two_lines >two.txt
check "text: exit" "$?" 0
check_match "text: LINE_A with its share" "$(grep -E "^ +[0-9.]+% +[0-9.]+% +$LA  " two.txt)" 'LINE_A \*/$'
check_match "text: the assembly header" "$(grep 'assembly' two.txt)" 'in cpu-annotate \([0-9]+ bytes, x86-64, AT&T\)'
"$SCORCH" annotate -M intel --asm ann.scorch two_lines >intel.txt
check_match "Intel syntax" "$(grep -m1 -E ':  push ' intel.txt)" 'push +rbp$'
"$SCORCH" annotate --color=always ann.scorch two_lines >color.txt
check_match "--color=always: the hot line in red" "$(grep -F "$(printf '\033[31m')" color.txt | head -1)" 'LINE_A'
"$SCORCH" annotate -n 1 ann.scorch >top.txt
check "without FUNCTION: the hottest" "$(grep -c '^two_lines  in cpu-annotate' top.txt)" 1

# the profile alone: binary and source deleted after the run
mkdir -p gone && cp "$SRC" gone/cpu-annotate.c
cc -std=gnu11 -g -O0 -fno-omit-frame-pointer -o gone/prog gone/cpu-annotate.c
check "gone: build" "$?" 0
"$SCORCH" record -o gone.scorch -- gone/prog 600 >/dev/null 2>gone.err
check "gone: record" "$?" 0
"$SCORCH" annotate gone.scorch two_lines >before.txt
rm -rf gone
"$SCORCH" annotate gone.scorch two_lines >after.txt
check "gone: annotate exit" "$?" 0
check "gone: the same annotation without the binary and the source" "$(cmp -s before.txt after.txt && echo same)" same
check_match "gone: LINE_A's text from the profile" "$(grep -c 'LINE_A \*/$' after.txt)" '^[1-9]'
check "gone: the assembly is there" "$(grep -c 'no assembly' after.txt)" 0

# inlined code: the inlined function's source view, and its samples in the
# code of the function it was inlined into
mkdir -p inl && cat >inl/inl.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
static inline __attribute__((always_inline)) unsigned long mix(unsigned long x)
{
	for (int i = 0; i < 64; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}
__attribute__((noinline)) unsigned long outer(long n)
{
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s += mix((unsigned long)i) >> 3;
	return s;
}
int main(int argc, char **argv)
{
	printf("%lu\n", outer(argc > 1 ? atol(argv[1]) : 4000000));
	return 0;
}
EOF
cc -std=gnu11 -g -O2 -o inl/inl inl/inl.c
"$SCORCH" record -o inl.scorch -- inl/inl 10000000 >/dev/null 2>&1
check "inlined: record" "$?" 0
"$SCORCH" annotate --json inl.scorch mix >mix.json
"$SCORCH" annotate --json inl.scorch outer >outer.json
check "inlined: mix is an inlined function" "$(jq -r "$f.inlined" mix.json)" true
check_match "inlined: mix's assembly is outer's" "$(jq -r "$f.assembly_missing" mix.json)" '^it has no code of its own: it ran inlined into outer \('
check_ge "inlined: mix has samples" "$(jq -r "$f.self.samples" mix.json)" 100
check "inlined: outer's code holds outer's and mix's samples" "$(jq -r "$f.assembly.self.samples" outer.json)" \
	"$(( $(jq -r "$f.self.samples" outer.json) + $(jq -r "$f.self.samples" mix.json) ))"
check_match "inlined: mix's loop line is in its source view" \
	"$(jq -r "[$f.source[] | select(.self.samples > 0) | .text] | join(\" | \")" mix.json)" 'x = x \* 6364136223846793005UL'

# a binary replaced on disk while it ran (its build id differs at finalize):
# its frames are named by module and offset, none of its code is kept, and
# the summary and the report say why. It is replaced first thing: replaced
# after some work, the launcher had at times already opened the old file to
# name the first samples while the program ran (and named them right).
mkdir -p stale && cat >stale/stale.c <<'EOF'
#include <stdio.h>
int main(int argc, char **argv)
{
	volatile unsigned long x = 0;
	if (argc > 1 && rename(argv[1], argv[0]) != 0) {
		perror("rename");
		return 1;
	}
	for (long i = 0; i < 60000000; i++)
		x += (unsigned long)i * (unsigned long)i;
	for (long i = 0; i < 60000000; i++)
		x += (unsigned long)i ^ (x >> 3);
	printf("%d\n", OTHER);
	return 0;
}
EOF
cc -std=gnu11 -g -O1 -DOTHER=1 -o stale/prog stale/stale.c && cc -std=gnu11 -g -O1 -DOTHER=2 -o stale/other stale/stale.c
"$SCORCH" record -o stale.scorch -- stale/prog stale/other >stale.out 2>stale.err
check "stale: record" "$?" 0
check "stale: the program's output" "$(cat stale.out)" 1
check_match "stale: the summary says so" "$(cat stale.err)" 'warning: a binary or library changed on disk while the program ran'
check_match "stale: the report says so" "$("$SCORCH" report stale.scorch)" 'warning: a binary or library changed on disk'
"$SCORCH" report --json --limit=0 stale.scorch >stale.json
check "stale: no frame of it named main (the new file's symbols)" \
	"$(jq '[.profiles[0].cpu.functions[] | select(.module == "prog" and .function == "main")] | length' stale.json)" 0
check_ge "stale: its frames named by module and offset" \
	"$(jq '[.profiles[0].cpu.functions[] | select(.module == "prog" and (.function | test("^\\[prog\\+0x")))] | length' stale.json)" 1
check "stale: none of its code kept" "$("$SCORCH" annotate --json -n 0 stale.scorch | jq '[.functions[] | select(.module == "prog" and .assembly)] | length')" 0

# --no-code
"$SCORCH" record --no-code -o nocode.scorch -- "$PROGS/cpu-annotate" 300 >/dev/null 2>&1
check "no-code: record" "$?" 0
"$SCORCH" annotate --asm nocode.scorch two_lines >nocode.txt
check "no-code: annotate exit" "$?" 0
check_match "no-code: says why" "$(cat nocode.txt)" 'no assembly: the profile keeps no code \(recorded with --no-code'
"$SCORCH" record -o code.scorch -- "$PROGS/cpu-annotate" 300 >/dev/null 2>&1
echo "    300 ms profiles: $(stat -c %s code.scorch) bytes with code, $(stat -c %s nocode.scorch) without"
check_ge "no-code: a smaller profile (by 1 KiB at least)" "$(( $(stat -c %s code.scorch) - $(stat -c %s nocode.scorch) ))" 1024

# the HTML report's hot code section, in headless Chromium
bash "$ROOT/tests/browser/setup.sh" || exit 1
"$SCORCH" html -o ann.html ann.scorch 2>/dev/null
check "html: exit" "$?" 0
"$SCORCH" annotate --json -n 10 ann.scorch >ann10.json
node "$ROOT/tests/browser/html.mjs" code "$WORK" ann.html ann10.json >browser-code.log 2>&1
st=$?
echo "--- browser: code"; sed 's/^/    /' browser-code.log
check "browser code: exit" "$st" 0

# bad input: a clear message and a non-zero exit
bad() { # description expected-exit regex args...
	local d=$1 want=$2 re=$3
	shift 3
	"$SCORCH" annotate "$@" >bad.out 2>bad.err
	check "$d: exit" "$?" "$want"
	check_match "$d: message" "$(cat bad.err)" "$re"
}
bad "missing file" 1 'cannot open' missing.scorch
"$SCORCH" heap -o heap.scorch -- true >/dev/null 2>&1
bad "heap profile" 1 'no CPU samples' heap.scorch
bad "bad regex" 2 'bad FUNCTION' ann.scorch '(unclosed'
bad "no such function" 1 "no function named or matching 'no_such_fn'" ann.scorch no_such_fn
bad "both views only" 2 'each show one view' --source --asm ann.scorch
bad "unknown option" 2 'unknown' --bogus ann.scorch
bad "no profile" 2 'no profile given'
bad "bad limit" 2 'limit' -n x ann.scorch
bad "bad syntax" 2 'syntax' -M arm ann.scorch
bad "unknown thread" 1 "no samples of thread 'nope'" --thread=nope ann.scorch
bad "a full disk" 1 'cannot write /dev/full: No space left on device' -o /dev/full ann.scorch
head -c 2000 ann.scorch >cut.scorch
bad "truncated profile" 1 'truncated' cut.scorch

# A stripped library: its exported function has a symbol (and its code is
# kept); its static one has none, so no code can be kept for its frames
# however hot they are, and annotate says so, not that it keeps only the
# hottest functions. The same library unstripped keeps both.
cat >libhot.c <<'EOF2'
static volatile unsigned sink;
static __attribute__((noinline)) void inner_spin(unsigned n) { for (unsigned i = 0; i < n; i++) sink += i * 7; }
__attribute__((noinline)) void lib_spin(unsigned n) { for (unsigned i = 0; i < n; i++) sink += i; inner_spin(n); }
EOF2
printf 'void lib_spin(unsigned n);\nint main(void) { for (int i = 0; i < 200; i++) lib_spin(1000000); return 0; }\n' >hot.c
mkdir -p stripped plain
cc -O1 -g -shared -fPIC -o plain/libhot.so libhot.c && cp plain/libhot.so stripped/ && strip stripped/libhot.so &&
	cc -O1 -o hot hot.c -Lplain -lhot || fail "build libhot"
for v in plain stripped; do
	LD_LIBRARY_PATH=$WORK/$v "$SCORCH" record -o $v.scorch -- ./hot >/dev/null 2>&1 || fail "record with the $v library"
	"$SCORCH" annotate --json --limit=0 $v.scorch >$v.json || fail "annotate $v exited $?"
done
check "plain library: inner_spin's code kept" "$(jq -r '.functions[] | select(.name == "inner_spin") | .assembly.size > 0' plain.json)" true
check "stripped library: lib_spin (exported) keeps its code" "$(jq -r '.functions[] | select(.name == "lib_spin") | .assembly.size > 0' stripped.json)" true
hot=$(jq -r '[.functions[] | select(.name | test("^\\[?libhot\\.so\\+0x"))] | max_by(.self.samples)' stripped.json)
echo "    the hottest frame without a symbol: $(jq -c '{name, self: .self.samples}' <<<"$hot")"
check_ge "stripped library: inner_spin's frames have samples" "$(jq -r '.self.samples' <<<"$hot")" 20
check_match "stripped library: why no assembly" "$(jq -r '.assembly_missing' <<<"$hot")" \
	'^libhot.so has no symbol for this address: the file is stripped'
check "stripped library: not the hottest-only reason" "$(jq -r '.assembly_missing' <<<"$hot" | grep -c hottest)" 0
check_match "stripped library: the text says so" \
	"$("$SCORCH" annotate stripped.scorch "$(jq -r .name <<<"$hot")")" 'no assembly: libhot.so has no symbol for this address: the file is stripped'
# capstone is loaded on first use (analysis/code.c): the tool does not link
# it, and without it recording and the source view work, the assembly view
# says what to install. The library is hidden by a bind mount in a user and
# mount namespace, where the kernel allows one.
check "scorch does not link libcapstone" "$(readelf -d "$SCORCH" | grep -c 'NEEDED.*libcapstone')" 0
CS=$(ldconfig -p | sed -n 's/.*libcapstone\.so\.[0-9]* (libc6,x86-64) => //p' | head -n 1)
if [ -n "$CS" ] && unshare -rm true 2>/dev/null; then
	unshare -rm sh -c 'mount --bind /dev/null "$1" && shift && "$@"' _ "$CS" \
		"$SCORCH" record -o nocs.scorch -- "$PROGS/cpu-annotate" 300 >/dev/null 2>nocs-rec.err
	check "without capstone: record exits 0" "$?" 0
	check_match "without capstone: record says what the code lacks" "$(cat nocs-rec.err)" \
		'^scorch: the profile.s code names no call targets: disassembling needs capstone \(libcapstone\.so\.[0-9]+\): install libcapstone'
	unshare -rm sh -c 'mount --bind /dev/null "$1" && shift && "$@"' _ "$CS" \
		"$SCORCH" annotate --source nocs.scorch two_lines >nocs-src.out 2>nocs-src.err
	check "without capstone: the source view exits 0" "$?" 0
	check "without capstone: the source view says nothing on stderr" "$(cat nocs-src.err)" ""
	unshare -rm sh -c 'mount --bind /dev/null "$1" && shift && "$@"' _ "$CS" \
		"$SCORCH" annotate nocs.scorch two_lines >nocs-asm.out 2>nocs-asm.err
	check_match "without capstone: the assembly view says why" "$(cat nocs-asm.out)" \
		'no assembly: disassembling needs capstone \(libcapstone\.so\.[0-9]+\): install libcapstone'
	check_match "without capstone: and stderr too" "$(cat nocs-asm.err)" '^scorch: no assembly view: disassembling needs capstone'
	check_match "with capstone: the same profile disassembles" "$("$SCORCH" annotate nocs.scorch two_lines)" ' ret'
else
	echo "    (no user namespaces or no libcapstone in ldconfig: the missing-capstone checks are skipped)"
fi
finish
