# Frame names: what a profile's frames are called, whoever recorded it.
# - scorch's own runtime never shows: a CPU profile of a malloc-heavy
#   program, with heap tracking off and on, has no frame of libscorch.so
#   (the interposers, their statistics, the heap hook's stack capture in
#   libunwind), every sample is still there, and libc's malloc and free
#   stay, called from the program.
# - vDSO frames are the module [vdso] with their symbol, as perf names them:
#   a clock_gettime loop spends its time in __vdso_clock_gettime ([vdso]).
# - an address no symbol names is [MODULE+0xOFFSET] (offset from the load
#   bias, as the file's own addresses) in a recorded profile, in a perf
#   script import of the same program and in a folded import, which reads
#   the name back as that module and address.
# - C++ names: short in the text report (std::vector::push_back), whole with
#   --names=full; --json gives both (function, function_short); folded keeps
#   the whole name unless --names=short, speedscope has the short one unless
#   --names=full, pprof's Function.name is short and system_name whole.
. "$ROOT/tests/e2e/lib.sh"

# ---- the runtime's frames ----
cat >churn.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static long cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 300, t0 = cpu_ms(), rounds = 0;
	void *v[64];
	while (cpu_ms() - t0 < ms) {
		for (int k = 0; k < 200; k++) {
			for (int i = 0; i < 64; i++)
				v[i] = malloc(16 + (size_t)i * 24);
			for (int i = 0; i < 64; i++)
				free(v[i]);
		}
		rounds++;
	}
	printf("churned %s\n", rounds ? "yes" : "no");
	return 0;
}
EOF
cc -std=gnu11 -g -O1 -fno-omit-frame-pointer -o churn churn.c || fail "cannot build churn"
for mode in cpu heap; do
	opt=()
	[ $mode = heap ] && opt=(--heap)
	"$SCORCH" record "${opt[@]}" -o churn-$mode.scorch -- ./churn 400 >churn-$mode.out 2>churn-$mode.err ||
		fail "record ${opt[*]} churn: $(tail -1 churn-$mode.err)"
	check "$mode: output" "$(cat churn-$mode.out)" "churned yes"
	json churn-$mode.scorch
	J=churn-$mode.scorch.json
	"$SCORCH" export --format=folded --weight=samples churn-$mode.scorch >churn-$mode.folded
	# A sample the unwinder could not follow out of the runtime stays as
	# it is, rooted at the runtime's frame where the unwind stopped: seen
	# in the runtime's wait for a launcher behind it (scorch_rt_unlock;
	# rt_wm_wait;syscall, with the sanitized launcher) and in the heap
	# hook (scorch_rt_stack_id;scorch_rt_lock, beside two CPU hogs), 1
	# sample in 397 each time. Such broken stacks stay rare (at most 1% of
	# the samples), and no stack that reaches the program has a frame of
	# libscorch.so.
	LS=$(q $J '[.profiles[0].cpu.functions[] | select(.module // "" | startswith("libscorch")) | .function] | unique | join("\n")')
	check "$mode: stacks rooted in libscorch.so (unwind stopped there) at most in 1% of samples" \
		"$(awk -v t="$(q $J '.profiles[0].cpu.totals.samples')" -v ls="$LS" '
			BEGIN { n = split(ls, a, "\n"); for (i = 1; i <= n; i++) in_rt[a[i]] = 1 }
			{ f = $0; sub(/[; ].*/, "", f); sub(/_\[i\]$/, "", f); if (f in in_rt) s += $NF }
			END { print (s * 100 <= t) ? "yes" : s " of " t }' churn-$mode.folded)" yes
	check "$mode: no function of libscorch.so in a stack that reaches the program" \
		"$(awk -v ls="$LS" '
			BEGIN { n = split(ls, a, "\n"); for (i = 1; i <= n; i++) in_rt[a[i]] = 1 }
			{ line = $0; sub(/ [0-9]+$/, "", line); k = split(line, fr, ";")
			  f = fr[1]; sub(/_\[i\]$/, "", f); if (f in in_rt) next
			  for (i = 1; i <= k; i++) { g = fr[i]; sub(/_\[i\]$/, "", g); if (g in in_rt) { c++; break } } }
			END { print c + 0 }' churn-$mode.folded)" 0
	# libunwind only where a sample interrupted the hook's own unwind and
	# its stack could not be followed past libunwind (rooted at [0x0]: seen
	# once, 1 sample, beside two CPU hogs); such broken stacks stay rare
	check "$mode: no libunwind in a stack that reaches the program" \
		"$(grep -E '(^|;)\[?libunwind|;[^;]*\(libunwind' churn-$mode.folded | grep -cvE '^\[0x0\];')" 0
	check "$mode: libunwind at most in 1% of samples (broken stacks)" \
		"$(awk -v t="$(q $J '.profiles[0].cpu.totals.samples')" '/libunwind/ { s += $NF } END { print (s * 100 <= t) ? "yes" : s " of " t }' churn-$mode.folded)" yes
	check "$mode: folded: no runtime function" \
		"$(awk -v ls="$LS" 'BEGIN { n = split(ls, a, "\n"); for (i = 1; i <= n; i++) in_rt[a[i]] = 1 }
			{ f = $0; sub(/[; ].*/, "", f); sub(/_\[i\]$/, "", f); if (!(f in in_rt)) print }' churn-$mode.folded | grep -cE '(^|;)(on_alloc|on_free|rec_alloc|rec_free|stats_alloc|stats_free|usable|capture|trampoline|scorch_rt_[a-z_]*|unw_[a-z_]*|__cyg_profile_func_[a-z]*)(_\[i\])?( |;)')" 0
	check "$mode: folded: no interposer above libc's malloc or free" \
		"$(grep -cE ';(malloc|free|calloc|realloc);(malloc|free|calloc|realloc)( |;)' churn-$mode.folded)" 0
	check "$mode: every sample kept" "$(awk '{ s += $NF } END { print s + 0 }' churn-$mode.folded)" \
		"$(q $J '.profiles[0].cpu.totals.samples')"
	check "$mode: malloc and free are libc's" \
		"$(q $J '[.profiles[0].cpu.functions[] | select(.function == "malloc" or .function == "free") | .module] | unique | join(",")')" \
		"libc.so.6"
	check_ge "$mode: samples in libc's malloc and free, called by main" \
		"$(grep -cE ';main;(malloc|free)( |;)' churn-$mode.folded)" 1
done
# the heap profile of the same run is the program's, as without CPU sampling
heap churnh ./churn 50
json churnh.scorch
check "heap sites: no frame of libscorch.so" \
	"$(q churnh.scorch.json '[.profiles[0].sites[] | select(.module // "" | startswith("libscorch"))] | length')" 0
check "heap sites: main's allocations are the frees (every block it freed)" \
	"$(q churnh.scorch.json '[.profiles[0].sites[] | select(.function == "main") | .allocations] | add')" \
	"$(q churnh.scorch.json '.profiles[0].totals.frees')"

# ---- the vDSO ----
cat >clockloop.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 300;
	struct timespec a, b, t;
	unsigned long s = 0;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 20000; i++) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			s += (unsigned long)t.tv_nsec;
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
	printf("%lu\n", s & 0);
	return 0;
}
EOF
cc -std=gnu11 -g -O1 -fno-omit-frame-pointer -o clockloop clockloop.c || fail "cannot build clockloop"
"$SCORCH" record -o clock.scorch -- ./clockloop 300 >/dev/null 2>clock.err || fail "record clockloop: $(tail -1 clock.err)"
json clock.scorch
check "vdso: the hottest function" \
	"$(q clock.scorch.json '.profiles[0].cpu.functions | sort_by(-.self) | .[0] | "\(.function) (\(.module))"')" \
	"__vdso_clock_gettime ([vdso])"
check "vdso: no module named after a file" \
	"$(q clock.scorch.json '[.profiles[0].cpu.functions[] | select((.module // "") | test("vdso\\.so|scorch-vdso"))] | length')" 0
check "vdso: no function named after a file" \
	"$(q clock.scorch.json '[.profiles[0].cpu.functions[] | select(.function | test("vdso\\.so|scorch-vdso"))] | length')" 0
check_match "vdso: the text report" "$("$SCORCH" report clock.scorch)" '[0-9]+  __vdso_clock_gettime \(\[vdso\]\)'

# ---- unsymbolized frames: recorded, perf-imported and folded alike ----
cp "$ROOT"/tests/data/stripped/*.c .
mkdir -p lib
{ cc -O2 -fno-omit-frame-pointer -shared -fPIC -o lib/libstripped.so libstripped.c &&
  cp lib/libstripped.so libstripped-full.so && strip lib/libstripped.so &&
  cc -g -O2 -fno-omit-frame-pointer -o usestripped usestripped.c -Llib -lstripped -Wl,-rpath,"$WORK/lib"; } ||
	fail "cannot build the stripped library test program"
# the static functions' spans, from the same build before stripping
spans=$(nm -S libstripped-full.so | awk '$4 == "mix_a" || $4 == "mix_b" { print $1, $2 }')
check "the static functions of the unstripped build" "$(echo "$spans" | wc -l)" 2
# leaves FOLDED: "ok" when the innermost frames in libstripped.so are all
# named [libstripped.so+0xOFF] with OFF inside mix_a or mix_b; the others
in_static() {
	local off=$((16#$1)) a s
	while read -r a s; do
		[ $off -ge $((16#$a)) ] && [ $off -lt $((16#$a + 16#$s)) ] && return 0
	done <<<"$spans"
	return 1
}
leaves() {
	local x any=0
	while read -r x; do
		if [[ $x =~ ^\[libstripped\.so\+0x([0-9a-f]+)\]$ ]] && in_static "${BASH_REMATCH[1]}"; then
			any=1
		else
			echo "not named by its offset: $x"
		fi
	done < <(awk '{ $NF = ""; sub(/ +$/, ""); n = split($0, f, ";"); if (f[n] ~ /libstripped/) print f[n] }' "$1" | sort -u)
	[ $any = 1 ] && echo ok
}
"$SCORCH" record -o usr.scorch -- ./usestripped 300 >/dev/null 2>usr.err || fail "record usestripped: $(tail -1 usr.err)"
"$SCORCH" export --format=folded usr.scorch >usr.folded
check "recorded: its unnamed functions are [libstripped.so+0xOFF], OFF in them" "$(leaves usr.folded)" ok
if command -v perf >/dev/null 2>&1 &&
	perf record -e cpu-clock -F 999 -g -o probe.data -- true >/dev/null 2>&1; then
	perf record -e cpu-clock -F 999 -g -o us.data -- ./usestripped 300 >/dev/null 2>perf.err ||
		fail "perf record: $(tail -1 perf.err)"
	perf script -i us.data >us.perf 2>/dev/null
	check_ge "perf script: frames it could not name" "$(grep -c '\[unknown\] (.*libstripped\.so)' us.perf)" 1
	"$SCORCH" import us.perf -o usi.scorch 2>usi.err || fail "import: $(tail -1 usi.err)"
	"$SCORCH" export --format=folded usi.scorch >usi.folded
	check "perf import: the same names" "$(leaves usi.folded)" ok
else
	echo "skip: perf cannot record here; the perf import part is left out"
fi
# a folded import reads [MODULE+0xOFFSET] and [0xADDRESS] back as such
printf 'main;work;[libx.so+0x42] 7\nmain;[0x1234] 2\nmain;[[vdso]+0x7bd] 3\nmain;[no stack] 1\n' >names.folded
"$SCORCH" import names.folded -o names.scorch 2>names.err || fail "folded import: $(tail -1 names.err)"
json names.scorch
check "folded import: [libx.so+0x42] is an address of module libx.so" \
	"$(q names.scorch.json '.profiles[0].cpu.functions[] | select(.function == "[libx.so+0x42]") | "\(.module) \(.self)"')" "libx.so 7"
check "folded import: [[vdso]+0x7bd] is in [vdso]" \
	"$(q names.scorch.json '.profiles[0].cpu.functions[] | select(.function == "[[vdso]+0x7bd]") | .module')" "[vdso]"
check "folded import: [0x1234] is in no module" \
	"$(q names.scorch.json '.profiles[0].cpu.functions[] | select(.function == "[0x1234]") | "\(.module) \(.self)"')" "null 2"
check "folded import: [no stack] stays a name" \
	"$(q names.scorch.json '.profiles[0].cpu.functions[] | select(.function == "[no stack]") | .self')" 1
"$SCORCH" export --format=folded names.scorch | sort >names.out
check "folded import: exports back to the same lines" "$(sort names.folded | diff - names.out && echo same)" same

# ---- short names by default, the whole ones where asked ----
full='void std::vector<int, std::allocator<int> >::push_back(int const&)'
printf 'main;%s 5\nmain;other 1\n' "$full" >cxx.folded
"$SCORCH" import cxx.folded -o cxx.scorch 2>cxx.err || fail "folded import: $(tail -1 cxx.err)"
rep=$("$SCORCH" report --color=never cxx.scorch)
check_match "report: the short name by default" "$rep" ' 5 +std::vector::push_back$'
check "report: not the full name" "$(grep -cF "$full" <<<"$rep")" 0
check_match "report --names=full: the full name" "$("$SCORCH" report --color=never --names=full cxx.scorch)" \
	" 5 +void std::vector<int, std::allocator<int> >::push_back\\(int const&\\)$"
json cxx.scorch
check "report --json: function is the full name, function_short the short one" \
	"$(q cxx.scorch.json '.profiles[0].cpu.functions[] | select(.self == 5) | "\(.function)|\(.function_short)"')" \
	"$full|std::vector::push_back"
check "export folded: the full name (interchange)" "$("$SCORCH" export cxx.scorch | grep -cxF "main;$full 5")" 1
check "export folded --names=short" "$("$SCORCH" export --names=short cxx.scorch | sort | head -1)" "main;other 1"
check "export folded --names=short: the short name" \
	"$("$SCORCH" export --names=short cxx.scorch | grep -c '^main;std::vector::push_back 5$')" 1
check "export speedscope: short frame names" \
	"$("$SCORCH" export --format=speedscope cxx.scorch | jq -r '[.shared.frames[].name] | sort | join(",")')" \
	"main,other,std::vector::push_back"
check "export speedscope --names=full: full frame names" \
	"$("$SCORCH" export --format=speedscope --names=full cxx.scorch | jq -r --arg f "$full" '[.shared.frames[] | select(.name == $f)] | length')" 1
"$SCORCH" export --format=pprof -o cxx.pb.gz cxx.scorch || fail "export pprof"
check "pprof: both names in the string table" \
	"$(gzip -dc cxx.pb.gz | grep -caF "$full") $(gzip -dc cxx.pb.gz | grep -caF 'std::vector::push_back')" "1 1"
if command -v go >/dev/null 2>&1; then
	# -raw: "M=1 NAME :0:0 s=0(SYSTEM_NAME)"
	check_match "go tool pprof: Function.name short, system_name full" \
		"$(go tool pprof -sample_index=0 -raw cxx.pb.gz 2>/dev/null)" \
		'M=1 std::vector::push_back :0:0 s=0\(void std::vector<int, std::allocator<int> >::push_back\(int const&\)\)'
fi
finish
