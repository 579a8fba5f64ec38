# pprof export: decoded by an independent decoder (npm pprof-format) and by
# `go tool pprof` itself. CPU: sample counts and weights equal the report's,
# in total, per function and per thread label, and go tool pprof's top
# functions are the report's; heap: alloc/inuse counts and bytes at sites of
# tests/progs equal EXPECTED.md, per thread too; inlined frames are Lines of
# one Location, innermost first; --kind and --filter; bad input.
. "$ROOT/tests/e2e/lib.sh"
bash "$ROOT/tests/browser/setup.sh" || exit 1
need_go "go tool pprof" || exit 1
CHECK="$ROOT/tests/browser/pprof-check.mjs"
pcheck() { # what args...: runs pprof-check.mjs, one failure if it fails
	local what=$1
	shift
	echo "--- pprof-check $what"
	node "$CHECK" "$@" | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" = 0 ] && echo "ok: $what" || fail "$what: pprof-check failed"
}

# ---- CPU ----
"$SCORCH" record -o split.scorch -- "$PROGS/cpu-split" 1500 >/dev/null 2>split.err || fail "record cpu-split"
json split.scorch
"$SCORCH" export --format=pprof -o split.pb.gz split.scorch || fail "export cpu-split"
check "gzip magic" "$(head -c2 split.pb.gz | od -An -tx1 | tr -d ' ')" 1f8b
pcheck "cpu-split: totals and self per function = report" split.pb.gz split.scorch.json cpu

# go tool pprof -top shows the report's top functions with the same self counts
go tool pprof -top -sample_index=samples split.pb.gz >top.txt 2>top.err || fail "go tool pprof -top: $(head -3 top.err)"
check_match "go tool pprof: total = report samples" "$(cat top.txt)" \
	"Total samples = $(q split.scorch.json '.profiles[0].cpu.totals.samples')"
gotop=$(awk 'p && NF >= 6 && $1 > 0 { n = $6; for (i = 7; i <= NF; i++) n = n " " $i; print n "=" $1 } /flat%/ { p = 1 }' top.txt | head -3)
ourtop=$(jq -r '.profiles[0].cpu.functions | sort_by(-.self) | .[0:3][] | "\(.function)=\(.self)"' split.scorch.json)
check "go tool pprof top 3 functions (name=self) = scorch report" "$(echo $gotop)" "$(echo $ourtop)"
check_match "top 3 are the workers" "$(echo $gotop)" '^work_a=[0-9]+ work_b=[0-9]+ work_c=[0-9]+$'

# per-thread labels on a two-thread program
"$SCORCH" record -o thr.scorch -- "$PROGS/cpu-threads" 1000 >/dev/null 2>thr.err || fail "record cpu-threads"
json thr.scorch
"$SCORCH" export --format=pprof -o thr.pb.gz thr.scorch || fail "export cpu-threads"
pcheck "cpu-threads: per-thread labels = report threads" thr.pb.gz thr.scorch.json cpu
go tool pprof -tags -sample_index=samples thr.pb.gz >tags.txt 2>/dev/null || fail "go tool pprof -tags"
check_match "go tool pprof sees the thread labels" "$(tr -s ' ' <tags.txt)" \
	"$(q thr.scorch.json '.profiles[0].cpu.threads[] | select(.name == "heavy") | .samples')(\.0)? \([0-9.]+%\): heavy"

# --filter keeps the samples the report's filter keeps
"$SCORCH" export --format=pprof --filter=light_main -o light.pb.gz thr.scorch || fail "export --filter"
"$SCORCH" report --json --limit=0 --filter=light_main thr.scorch >light.json
go tool pprof -top -sample_index=samples light.pb.gz >light.txt 2>/dev/null
check_match "--filter: total = report's matched samples" "$(cat light.txt)" \
	"Total samples = $(q light.json '.profiles[0].cpu.totals.matched_samples') "
check "--filter: heavy_work gone" "$(grep -c heavy_work light.txt)" 0

# ---- heap ----
heap a "$PROGS/alloc-counts"
json a.scorch
"$SCORCH" export --format=pprof -o a.pb.gz a.scorch || fail "export alloc-counts"
pcheck "alloc-counts: EXPECTED.md sites" a.pb.gz a.scorch.json heap \
	site_thousand=1000:16000:0:0 site_leak=7:700:7:700 site_calloc=1:100:0:0
go tool pprof -top -sample_index=alloc_objects a.pb.gz >atop.txt 2>/dev/null
check "go tool pprof: site_thousand alloc_objects" "$(awk '$NF == "site_thousand" { print $1 }' atop.txt)" 1000
go tool pprof -top -sample_index=inuse_space a.pb.gz >ainuse.txt 2>/dev/null
check_match "go tool pprof: inuse_space = the 700 B leak" "$(cat ainuse.txt)" 'Total samples = 700B'

heap t "$PROGS/threads"
json t.scorch
"$SCORCH" export --format=pprof -o t.pb.gz t.scorch || fail "export threads"
pcheck "threads: ring_alloc 250 per worker thread" t.pb.gz t.scorch.json heap ring_alloc=1000:32000:0:0 \
	worker-0/ring_alloc=250:8000:0:0 worker-1/ring_alloc=250:8000:0:0 \
	worker-2/ring_alloc=250:8000:0:0 worker-3/ring_alloc=250:8000:0:0

# inlined frames: one location, Lines innermost first
cat >inl.c <<'EOF'
#include <stdlib.h>
void *volatile keep[42];
static inline __attribute__((always_inline)) void *inner_alloc(size_t n)
{
	return malloc(n);
}
__attribute__((noinline)) void outer_fill(void)
{
	for (int i = 0; i < 42; i++)
		keep[i] = inner_alloc(24);
}
int main(void)
{
	outer_fill();
	for (int i = 0; i < 42; i++)
		free(keep[i]);
	return 0;
}
EOF
cc -g -O2 -fno-omit-frame-pointer -o inl inl.c || fail "cannot build the inline test program"
heap inl ./inl
json inl.scorch
"$SCORCH" export --format=pprof -o inl.pb.gz inl.scorch || fail "export inl"
pcheck "inlined: Lines [inner_alloc, outer_fill] in one location" inl.pb.gz inl.scorch.json heap \
	lines:inner_alloc,outer_fill=42:1008:0:0
go tool pprof -traces -sample_index=alloc_objects inl.pb.gz >inl.txt 2>/dev/null
check_match "go tool pprof shows the inlined frame" "$(tr -s ' ' <inl.txt)" '42 inner_alloc \(inline\)'

# ---- unsymbolized frames: a stripped library ----
# The static functions of a stripped library have no symbol. Their pprof
# locations have no Line (no function made up from the address) and the
# mapping claims no function names, so go tool pprof groups them under the
# mapping ("[libstripped.so]") with the report's samples; the library's
# exported function keeps its name.
cp "$ROOT"/tests/data/stripped/*.c .
{ cc -O2 -fno-omit-frame-pointer -shared -fPIC -o libstripped.so libstripped.c && strip libstripped.so &&
  cc -g -O2 -fno-omit-frame-pointer -o usestripped usestripped.c -L. -lstripped -Wl,-rpath,"$WORK"; } ||
	fail "cannot build the stripped library test program"
"$SCORCH" record -o us.scorch -- ./usestripped 300 >/dev/null 2>us.err || fail "record usestripped: $(tail -1 us.err)"
json us.scorch
"$SCORCH" export --format=pprof -o us.pb.gz us.scorch || fail "export usestripped"
unnamed=$(q us.scorch.json '[.profiles[0].cpu.functions[] | select(.function | startswith("[libstripped.so+0x")) | .self] | add // 0')
check_ge "stripped: samples in its unnamed functions ([libstripped.so+0xOFF] in the report)" "$unnamed" 50
go tool pprof -raw -symbolize=none us.pb.gz >us.raw 2>us.rawerr || fail "go tool pprof -raw: $(head -3 us.rawerr)"
mid=$(awk '/^Mappings/ { m = 1; next } m && $3 ~ /\/libstripped\.so$/ { sub(/:$/, "", $1); print $1 }' us.raw)
check_match "stripped: a mapping of libstripped.so" "$mid" '^[0-9]+$'
# a location is "ID: 0xADDR M=N", then "function file:line:col s=N" per Line
check_ge "stripped: its locations without a Line" \
	"$(awk -v m="M=$mid" '/^Locations/ { l = 1; next } /^Mappings/ { l = 0 } l && $1 ~ /:$/ && $3 == m && NF == 3' us.raw | wc -l)" 1
check "stripped: no function named after an address" "$(grep -cE 'libstripped\.so\+0x|\+0x[0-9a-f]+\]' us.raw)" 0
check "stripped: the mapping claims no symbols" \
	"$(awk -v id="$mid:" '/^Mappings/ { m = 1; next } m && $1 == id { print ($0 ~ /\[(FN|FL|LN|IN)\]/) ? "claims" : "none" }' us.raw)" none
# has_functions ([FN]) of each mapping in the samples: set exactly when
# every location of it has a Line
check "every mapping: [FN] iff all its locations have a Line" "$(awk '
	/^Locations/ { l = 1; next }
	/^Mappings/ { l = 0; m = 1; next }
	l && $1 ~ /:$/ && $3 ~ /^M=/ { id = substr($3, 3); seen[id] = 1; if (NF == 3) bare[id] = 1 }
	m && $1 ~ /:$/ { id = $1; sub(/:$/, "", id); if (!(id in seen)) next
		fn = ($0 ~ /\[FN\]/); if (fn == (id in bare)) bad = bad " " $3 }
	END { print bad == "" ? "consistent" : "wrong:" bad }' us.raw)" consistent
go tool pprof -top -symbolize=none -sample_index=samples us.pb.gz >us.top 2>/dev/null
check "go tool pprof groups them under the mapping: [libstripped.so] flat = the report's samples" \
	"$(awk '$NF == "[libstripped.so]" { print $1 }' us.top)" "$unnamed"
check "go tool pprof: stripped_work keeps its name, with the report's total" \
	"$(awk '$NF == "stripped_work" { print $4 }' us.top)" \
	"$(q us.scorch.json '[.profiles[0].cpu.functions[] | select(.function == "stripped_work") | .total] | add')"
go tool pprof -traces -symbolize=none -sample_index=samples us.pb.gz >us.traces 2>/dev/null
check "go tool pprof -traces: [libstripped.so] right under stripped_work" \
	"$(awk '$NF == "[libstripped.so]" { getline nx; n = split(nx, w, " "); print w[n]; exit }' us.traces)" stripped_work

# ---- --kind ----
"$SCORCH" record --heap -o both.scorch -- "$PROGS/cpu-split" 300 >/dev/null 2>&1
json both.scorch
"$SCORCH" export --format=pprof -o both-cpu.pb.gz both.scorch
pcheck "both kinds recorded: CPU by default" both-cpu.pb.gz both.scorch.json cpu
"$SCORCH" export --format=pprof --kind=heap -o both-heap.pb.gz both.scorch
pcheck "both kinds recorded: --kind=heap" both-heap.pb.gz both.scorch.json heap
"$SCORCH" export --format=pprof --kind=all -o x.pb.gz both.scorch 2>kall.err; r=$?
check "--kind=all for pprof: exit 1" "$r" 1
check_match "--kind=all: says why" "$(cat kall.err)" 'one kind of data'
"$SCORCH" export --format=pprof --kind=cpu -o x.pb.gz a.scorch 2>kcpu.err; r=$?
check "--kind=cpu on a heap profile: exit 1" "$r" 1
check_match "--kind=cpu: says why" "$(cat kcpu.err)" 'no CPU samples'
check "no file left behind" "$(ls x.pb.gz 2>/dev/null | wc -l)" 0
"$SCORCH" export --format=pprof --kind=bogus a.scorch >/dev/null 2>kb.err; r=$?
check "--kind=bogus: exit 2" "$r" 2
check_match "--kind=bogus: lists the kinds" "$(head -1 kb.err)" 'cpu, heap, all'

# ---- bad input ----
echo "not a profile" >bad.scorch
"$SCORCH" export --format=pprof -o bad.pb.gz bad.scorch 2>bad.err; r=$?
check "not a profile: exit 1" "$r" 1
check "not a profile: one line" "$(wc -l <bad.err)" 1
check "not a profile: no output" "$(ls bad.pb.gz 2>/dev/null | wc -l)" 0
"$SCORCH" export --format=pprof -o /nonexistent-dir/x.pb.gz a.scorch 2>nodir.err; r=$?
check "unwritable output: exit 1" "$r" 1
check_match "unwritable output: says so" "$(cat nodir.err)" 'cannot create /nonexistent-dir/x.pb.gz'
finish
