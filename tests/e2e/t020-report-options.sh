# Report options: --sort, --limit, --filter, colour rules, --depth; option
# values of every command refused when they are not values.
. "$ROOT/tests/e2e/lib.sh"
heap a "$PROGS/alloc-counts"
"$SCORCH" report --json --sort=leaked a.scorch >leaked.json
check "sort=leaked: first site" "$(q leaked.json '.profiles[0].sites[0].function')" site_leak
"$SCORCH" report --json --sort=count --limit=1 a.scorch >count.json
check "sort=count limit=1: one site" "$(q count.json '.profiles[0].sites | length')" 1
check "sort=count: site_thousand" "$(q count.json '.profiles[0].sites[0].function')" site_thousand
"$SCORCH" report --json --limit=0 --filter='site_(leak|calloc)' a.scorch >filt.json
check "filter: sites" "$(q filt.json '[.profiles[0].sites[].function] | sort | join(",")')" "site_calloc,site_leak"
check "filter: totals unfiltered" "$(q filt.json '.profiles[0].totals.allocations')" 1008
check "filter: filtered allocations" "$(q filt.json '.profiles[0].totals.filtered_allocations')" 8
"$SCORCH" report --filter='(' a.scorch >/dev/null 2>bad.err; r=$?
check "bad regex: exit 2" "$r" 2
check_match "bad regex: message" "$(cat bad.err)" 'filter'
check "no colour in a pipe" "$("$SCORCH" report a.scorch | grep -c $'\e\[')" 0
check_ge "colour when asked" "$("$SCORCH" report --color=always a.scorch | grep -c $'\e\[')" 1
check "NO_COLOR wins over auto" "$(NO_COLOR=1 script -qc "$SCORCH report $WORK/a.scorch" /dev/null 2>/dev/null | grep -c $'\e\[')" 0
check_ge "a terminal gets colour" "$(script -qc "$SCORCH report $WORK/a.scorch" /dev/null 2>/dev/null | grep -c $'\e\[')" 1
# --depth caps every stack
"$SCORCH" heap --depth 2 -o d.scorch -- "$PROGS/alloc-counts" 2>/dev/null
json d.scorch
check "depth 2: longest stack" "$(q d.scorch.json '[.profiles[0].sites[].stack | map(select(.inlined | not)) | length] | max')" 2
check "depth 2: counts unchanged" "$(site d.scorch.json site_thousand allocations)" 1000
check "depth recorded" "$(q d.scorch.json '.profiles[0].program.depth')" 2

# Option values: every command reads durations, counts, rates and widths
# with one parser (lib/parse.c): NaN, infinities, negatives, overflow, hex,
# fractions of whole things and missing or unknown units are refused with
# a usage error (exit 2) that names the value; nothing runs.
refused() { # description expected-message-regex value command args...
	local what=$1 re=$2 v=$3
	shift 3
	"$@" >ref.out 2>ref.err </dev/null
	local st=$?
	if [ "$st" -eq 2 ] && grep -Eq -- "$re" ref.err && grep -Fq -- "'$v'" ref.err && [ ! -s ref.out ]; then
		echo "ok: $what refused"
	else
		fail "$what: exit $st, stdout '$(head -c 200 ref.out)', stderr '$(head -c 300 ref.err)'"
	fi
}
"$SCORCH" export --format=folded -o a.folded a.scorch 2>/dev/null
for v in nanms NaNms infs inf -1s -0s +1s 1e400s 18446744074s 1e20s 0x10ms ' 1ms' 1ms5 10 10m 10sec ms ''; do
	refused "report --short-lived='$v'" "short-lived wants a positive duration" "$v" "$SCORCH" report --short-lived="$v" a.scorch
	refused "record --calls-min='$v'" "calls-min takes a positive duration" "$v" "$SCORCH" record --calls-min="$v" -- "$PROGS/noalloc"
done
refused "report --short-lived=0s" "positive duration" 0s "$SCORCH" report --short-lived=0s a.scorch
for v in nan inf -1 0 1.5 1e400 100001 999999999999999999999 0x10 10kHzz; do
	refused "record -F '$v'" "sampling rate from 1 to 100000 Hz" "$v" "$SCORCH" record -F "$v" -- "$PROGS/noalloc"
done
for v in nan inf -1 0 1.5 1e3 1025 99999999999999999999 0x10 ''; do
	refused "record --depth='$v'" "--depth takes a number of frames" "$v" "$SCORCH" record --depth="$v" -- "$PROGS/noalloc"
	refused "heap --depth='$v'" "--depth takes a number of frames" "$v" "$SCORCH" heap --depth="$v" -- "$PROGS/noalloc"
done
for v in nan inf -1 0 1.5 1e3 4097 99999999999999999999 0x10 ''; do
	refused "record --calls-depth='$v'" "--calls-depth takes a depth" "$v" "$SCORCH" record --calls-depth="$v" -- "$PROGS/noalloc"
done
for v in nan inf -1 1.5 1e3 4294967296 99999999999999999999 0x10 ''; do
	refused "report --limit='$v'" "--limit wants a number" "$v" "$SCORCH" report --limit="$v" a.scorch
	refused "diff --limit='$v'" "--limit wants a number" "$v" "$SCORCH" diff --limit="$v" a.scorch a.scorch
	refused "annotate --limit='$v'" "--limit wants a number" "$v" "$SCORCH" annotate --limit="$v" a.scorch
	refused "flame --max-frames='$v'" "--max-frames wants a number" "$v" "$SCORCH" flame --max-frames="$v" -o x.svg a.scorch
	refused "flame --width='$v'" "--width wants a number of pixels" "$v" "$SCORCH" flame --width="$v" -o x.svg a.scorch
done
for v in nan nanpx inf infpx -1 -0.5px 1e400 1e400% 5pt 5%% 0x1p3 ''; do
	refused "flame --minwidth='$v'" "--minwidth wants pixels" "$v" "$SCORCH" flame --minwidth="$v" -o x.svg a.scorch
	refused "diff --minwidth='$v'" "--minwidth wants pixels" "$v" "$SCORCH" diff --minwidth="$v" a.scorch a.scorch
done
for v in nan inf -1 0 0.5 1e400 1000000001 0x10 5MHz; do
	refused "import --hz='$v'" "--hz needs a rate" "$v" "$SCORCH" import --hz="$v" -o i.scorch a.folded
done
for v in yes Always 1 ''; do
	refused "report --color='$v'" "--color wants auto, always or never" "$v" "$SCORCH" report --color="$v" a.scorch
done
check "no flame file written" "$(ls x.svg* 2>/dev/null | wc -l)" 0
# good values, exact: 1.5ms is 1,500,000 ns (the report's JSON says so)
"$SCORCH" report --json --short-lived=1.5ms a.scorch >sl.json || fail "--short-lived=1.5ms exited $?"
check "--short-lived=1.5ms: exact" "$(q sl.json '[.. | objects | .short_lived_ns? // empty] | unique | join(",")')" 1500000
check_match "--short-lived=1.1us in text" "$("$SCORCH" report --short-lived=1.1us a.scorch)" 'lived less than 1\.10? us'
"$SCORCH" flame --minwidth=0.5px --max-frames=10 --width=1200 -o w.svg a.scorch 2>/dev/null || fail "flame with good values exited $?"
"$SCORCH" report --limit=0 --color=never a.scorch >/dev/null || fail "report --limit=0 exited $?"
finish
