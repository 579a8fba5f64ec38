# What scorch cannot profile is said, never skipped in silence: a set-id
# program and a static binary run by the profiled shell, an exec'd program
# whose loader refused LD_PRELOAD (out of descriptors: ulimit -n 3), a
# program whose own malloc family comes before scorch's hooks, and a Rust
# global allocator that never calls malloc. Each is a note in the profile
# (report --json: notes) and a warning in the end-of-run summary and in the
# report; the programs' output and exit status stay those of a run without
# scorch.
. "$ROOT/tests/e2e/lib.sh"

# notes FILE.json: "kind path" of each note, one per line
notes() { jq -r '.profiles[0].notes // [] | .[] | "\(.kind) \(.path)"' "$1"; }

# A set-id program for this user: passwd is set-user-ID root, which changes
# nothing for root; for root, a copy of id that is set-group-ID nogroup.
if [ "$(id -u)" = 0 ]; then
	setid=$WORK/sgid-id
	cp /usr/bin/id "$setid" && chgrp nogroup "$setid" && chmod g+s "$setid" || fail "cannot make a set-group-ID program"
	[ "$("$setid" -g)" != 0 ] || fail "$setid is not set-group-ID here (a nosuid mount?)"
else
	setid=/usr/bin/passwd
	[ -u "$setid" ] || fail "$setid is not set-user-ID here"
fi

# 1. a set-id program and a static binary, each run by the shell
cmd="$setid --help >/dev/null; $PROGS/static-hello; echo end"
plain=$(sh -c "$cmd" 2>/dev/null; echo "status $?")
heap s sh -c "$cmd"
json s.scorch
check "set-id and static children: both noted in the shell's profile; output and status as without scorch" \
	"$(notes s.scorch.json)
$out
status $rc" "setid $setid
static $PROGS/static-hello
$plain"
shpid=$(q s.scorch.json '.profiles[0].program.pid')
check "noted with the children's pids" \
	"$(jq -r --argjson sh "$shpid" '[.profiles[0].notes[] | .pid | select(. != $sh)] | length' s.scorch.json)" 2
check_match "summary: the set-id program is not profiled, and why" "$err" \
	"scorch:   warning: not profiled: $setid \\(pid [0-9]+\\) is set-user-ID or set-group-ID, and the dynamic loader ignores LD_PRELOAD"
check_match "summary: the static binary is not profiled, and why" "$err" \
	"scorch:   warning: not profiled: $PROGS/static-hello \\(pid [0-9]+\\) is statically linked"
rep=$("$SCORCH" report s.scorch)
check_match "report: the set-id program" "$rep" "^warning: not profiled: $setid \\(pid [0-9]+\\) is set-user-ID or set-group-ID"
check_match "report: the static binary" "$rep" "^warning: not profiled: $PROGS/static-hello \\(pid [0-9]+\\) is statically linked"
check "json: messages" "$(jq -r '.profiles[0].notes[] | .message | test("^not profiled: ")' s.scorch.json | sort -u)" true

# 2. an exec'd program whose loader cannot open the runtime: with 3
# descriptors it prints an error and runs unprofiled (nolibc needs no
# library). In a child of the shell, and in the shell's own process (exec).
cmd="ulimit -n 3; $PROGS/nolibc; echo status \$?"
plain=$(sh -c "$cmd" 2>/dev/null)
heap r sh -c "$cmd"
json r.scorch
check "refused preload in a child: noted; output and status as without scorch" "$(notes r.scorch.json)
$out" "preload_refused $PROGS/nolibc
$plain"
check_match "refused preload: the loader's own message reached the program's stderr, and scorch's summary" \
	"$(grep -c 'cannot be preloaded' r.err) $(grep -c 'not profiled' r.err)" "^1 1$"
check "refused preload in a child: its pid" \
	"$(jq -r '.profiles[0].notes[0].pid != .profiles[0].program.pid' r.scorch.json)" true
check_match "refused preload: summary" "$err" \
	"scorch:   warning: not profiled: $PROGS/nolibc \\(pid [0-9]+\\) ran, but its dynamic loader did not load scorch"
check_match "refused preload: report" "$("$SCORCH" report r.scorch)" \
	"^warning: not profiled: $PROGS/nolibc \\(pid [0-9]+\\) ran, but its dynamic loader did not load scorch"
heap x sh -c "ulimit -n 3; exec $PROGS/nolibc"
json x.scorch
check "refused preload of the shell's own exec: noted, with the shell's pid; output and status" \
	"$(notes x.scorch.json) $(jq -r '.profiles[0].notes[0].pid == .profiles[0].program.pid' x.scorch.json) $out $rc" \
	"preload_refused $PROGS/nolibc true nolibc ok 5"

# 3. nothing noted when everything is profiled, and a failed exec (E2BIG)
# takes its note back: only the static binary that did run is noted
heap ok sh -c "$PROGS/alloc-counts >/dev/null; big=\$(printf '%200000s' x); $PROGS/static-hello \"\$big\" 2>/dev/null || echo failed; $PROGS/static-hello"
json ok.scorch
check "a failed exec is not noted, the static binary is; output" "$(notes ok.scorch.json)
$out" "static $PROGS/static-hello
failed
static-hello ok"
child=$(ls alloc-counts.*.scorch 2>/dev/null | head -1)
if [ -n "$child" ]; then
	json "$child"
	check "a profiled child: its profile's notes are an empty list, and its allocations are seen" \
		"$(jq -r '(.profiles[0].notes | tojson), .profiles[0].totals.allocations > 0' "$child.json" | tr '\n' ' ')" "[] true "
else
	fail "the dynamic child alloc-counts has no profile"
fi

# 4. a program with its own malloc, free, calloc and realloc
heap own "$PROGS/own-malloc"
json own.scorch
check "own malloc: noted, with what it defines; output and status as without scorch" \
	"$(jq -r '.profiles[0].notes[] | "\(.kind) \(.path) \(.detail)"' own.scorch.json) / $out $rc" \
	"own_malloc $PROGS/own-malloc malloc, free, calloc, realloc / own-malloc: 115 allocations, 115 frees 7"
check_match "own malloc: summary" "$err" \
	"scorch:   warning: the program's allocator bypasses scorch: $PROGS/own-malloc defines malloc, free, calloc, realloc.*its allocator in a shared library"
check_match "own malloc: report" "$("$SCORCH" report own.scorch)" \
	"^warning: the program's allocator bypasses scorch: $PROGS/own-malloc defines malloc, free, calloc, realloc"

# 5. a Rust #[global_allocator] of its own: noted when it never called
# malloc, not when it passes requests on to the C library
if command -v rustc >/dev/null; then
	if rustc -g -C opt-level=1 -o rs-alloc "$ROOT/tests/progs/rs-alloc.rs"; then
		heap rb ./rs-alloc
		json rb.scorch
		check "Rust bump allocator: noted; output" \
			"$(jq -r '.profiles[0].notes[] | "\(.kind) \(.path) \(.detail)"' rb.scorch.json) / $out $rc" \
			"own_allocator $WORK/rs-alloc #[global_allocator] / rs-alloc: 100 boxes, sum 4950 0"
		check_match "Rust bump allocator: summary" "$err" \
			"scorch:   warning: the program's allocator bypasses scorch: $WORK/rs-alloc has a Rust global allocator of its own"
		check_match "Rust bump allocator: report" "$("$SCORCH" report rb.scorch)" \
			"^warning: the program's allocator bypasses scorch: $WORK/rs-alloc has a Rust global allocator"
		heap rs ./rs-alloc system
		json rs.scorch
		check "Rust allocator passing on to malloc: not noted, its 101 allocations seen" \
			"$(jq -r '.profiles[0].notes | tojson' rs.scorch.json) $(through rs.scorch rs_alloc::make_boxes count) $out" \
			"[] 101 rs-alloc: 100 boxes, sum 4950"
	else
		fail "rustc failed on rs-alloc.rs"
	fi
else
	echo "rustc not installed: the Rust allocator checks are skipped"
fi

heap plain "$PROGS/alloc-counts"
json plain.scorch
check "an ordinary program: its notes are an empty list, and its allocations are seen" \
	"$(jq -r '(.profiles[0].notes | tojson), .profiles[0].totals.allocations > 0' plain.scorch.json | tr '\n' ' ')" "[] true "
finish
