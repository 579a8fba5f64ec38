# CPU samples that land where the program holds the dynamic loader's lock (or
# its own unwinder's state) must not hang it: loading and unloading a library
# in a loop, on one thread and on two, C++ exceptions thrown in a loop, lazy
# binding of thousands of functions, and a thread started and joined in a
# loop, each recorded at -F 9999 in many runs, each run bounded by a SIGKILL
# timeout. Every run must end with the program's own output and exit status
# (as it runs alone), with samples, with samples inside the code concerned
# (the loader, the unwinder, the binder, thread creation), and with every
# stack taken in full (no sample recorded with its leaf alone).
# Before the fix the dlopen loop hung in about 1 run of 8 (the sample
# handler's libunwind waited in dl_iterate_phdr for the loader's lock that
# the interrupted dlclose was releasing).
. "$ROOT/tests/e2e/lib.sh"

RUNS=${T041_RUNS:-10}
# a hang is a run still going after this (each program takes under 2 s alone)
LIMIT=${T041_LIMIT:-120}

# stress NAME RUNS "scorch record options" PROG ARGS...: runs PROG alone once,
# then RUNS times under scorch record; checks each run and counts the
# samples in functions matching $hot (a jq regex over "function (module)")
# over all runs into $hot_n.
stress() {
	local name=$1 runs=$2 opts=$3
	shift 3
	set +e
	"$@" >"$name.plain" 2>"$name.plain.err"
	local want_rc=$?
	local hangs=0 bad_out=0 bad_rc=0 no_samples=0 leaf=0 samples=0 i
	hot_n=0
	for i in $(seq 1 "$runs"); do
		# shellcheck disable=SC2086
		timeout -s KILL "$LIMIT" "$SCORCH" record -F 9999 $opts -o "$name.$i.scorch" -- "$@" \
			>"$name.$i.out" 2>"$name.$i.err"
		local rc=$?
		if [ "$rc" = 137 ]; then
			hangs=$((hangs + 1))
			echo "--- $name run $i: killed after ${LIMIT}s (hung); stderr:"
			sed 's/^/    /' "$name.$i.err" | head -20
			continue
		fi
		[ "$rc" = "$want_rc" ] || { bad_rc=$((bad_rc + 1)); echo "--- $name run $i: exit $rc"; sed 's/^/    /' "$name.$i.err" | head -20; }
		cmp -s "$name.plain" "$name.$i.out" || bad_out=$((bad_out + 1))
		"$SCORCH" report --json --limit=0 "$name.$i.scorch" >"$name.$i.json" 2>/dev/null
		local n
		n=$(jq -r '.profiles[0].cpu.totals.samples // 0' "$name.$i.json" 2>/dev/null)
		[ "${n:-0}" -gt 0 ] 2>/dev/null || no_samples=$((no_samples + 1))
		samples=$((samples + ${n:-0}))
		leaf=$((leaf + $(jq -r '.profiles[0].cpu.totals.leaf_only // 0' "$name.$i.json" 2>/dev/null || echo 1)))
		hot_n=$((hot_n + $(jq -r --arg re "$hot" '[.profiles[0].cpu.functions[] | select(.function + " (" + .module + ")" | test($re)) | .self] | add // 0' "$name.$i.json" 2>/dev/null || echo 0)))
		rm -f "$name.$i.scorch"
	done
	set -e 2>/dev/null; set +e
	echo "--- $name: $runs runs under scorch record -F 9999 $opts, $samples samples, $hot_n in /$hot/"
	check "$name: runs that hung (killed after ${LIMIT}s)" "$hangs" 0
	check "$name: runs whose exit status differs from the program's alone ($want_rc)" "$bad_rc" 0
	check "$name: runs whose output differs from the program's alone" "$bad_out" 0
	check "$name: runs without samples" "$no_samples" 0
	check "$name: samples recorded with their leaf alone" "$leaf" 0
}

hot='\(ld-linux-x86-64\.so\.2\)$'
stress dlopen "$RUNS" "" "$PROGS/cpu-dlopen" 3000
check_match "dlopen: output" "$(cat dlopen.plain)" '^cpu-dlopen: 1 x 3000 rounds, crc 0x[0-9a-f]{8}$'
check_ge "dlopen: samples inside the loader, over all runs" "$hot_n" $((RUNS * 300))

stress dlopen2 "$RUNS" "" "$PROGS/cpu-dlopen" 1500 2
check_match "dlopen2: output" "$(cat dlopen2.plain)" '^cpu-dlopen: 2 x 1500 rounds, crc 0x[0-9a-f]{8}$'
check_ge "dlopen2: samples inside the loader, over all runs" "$hot_n" $((RUNS * 150))

# heap hooks unwind outside the sample handler while the other thread's
# samples land in the loader: neither may wait for the other
stress dlopen2-heap 3 "--heap" "$PROGS/cpu-dlopen" 1000 2
check_ge "dlopen2-heap: samples inside the loader, over all runs" "$hot_n" 100

hot='\((libgcc_s\.so\.1|libstdc\+\+\.so\.6)\)$|^_dl_find_object '
stress throw "$RUNS" "" "$PROGS/cpu-throw" 100000
check "throw: output" "$(cat throw.plain)" "cpu-throw: 100000 thrown, 100000 caught, sum 49950000"
check_ge "throw: samples inside the C++ unwinder, over all runs" "$hot_n" $((RUNS * 200))

hot='^(_dl_runtime_resolve|_dl_fixup|_dl_lookup_symbol_x|do_lookup_x|check_match|_dl_name_match_p)'
stress lazy $((RUNS * 2)) "" "$PROGS/cpu-lazy"
check "lazy: output" "$(cat lazy.plain)" "cpu-lazy: 9000 calls, sum 82299"
check_ge "lazy: samples inside the lazy binder, over all runs" "$hot_n" $((RUNS * 2 * 10))

hot='^(clone|clone3|__GI___clone3|start_thread|pthread_create|__pthread_create_2_1|allocate_stack|create_thread|__mmap|munmap|mprotect|madvise|_dl_allocate_tls|_dl_deallocate_tls|advise_stack_range|__free_stacks|__nptl_[a-z_]*|pthread_join|__pthread_clockjoin_ex|__futex[a-z_0-9]*) '
stress threads "$RUNS" "" "$PROGS/cpu-threadloop" 2000
check "threads: output" "$(cat threads.plain)" "cpu-threadloop: 2000 threads, sum 74195712"
check_ge "threads: samples in thread creation and teardown, over all runs" "$hot_n" $((RUNS * 30))

finish
