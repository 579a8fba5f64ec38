#!/usr/bin/env bash
# `make check`: build everything with -Werror, run the cmocka unit tests and
# the end-to-end scripts, then rebuild the tool and unit tests with
# AddressSanitizer + UBSan and run them again (the runtime lives in foreign
# processes where a sanitizer runtime cannot come first, so it is covered by
# valgrind memcheck on a target instead). Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/tests/out
rm -rf "$OUT"
mkdir -p "$OUT"
JOBS=${JOBS:-2}
pass=0
fail=0
skip=0
failed=()

note() { printf '%s\n' "$*"; }
ok() { pass=$((pass + 1)); note "PASS $1"; }
bad() { fail=$((fail + 1)); failed+=("$1"); note "FAIL $1 (log: ${2:-})"; }

scripts/install-deps.sh || { note "dependencies missing"; echo "0 passed, 1 failed"; exit 1; }

build() { # dir, extra make args
	local log=$OUT/build-$1.log
	shift
	if make -j"$JOBS" "$@" >"$log" 2>&1; then return 0; fi
	tail -30 "$log"
	return 1
}

# cmocka binaries: count their tests, not the binaries
run_unit() { # build dir, label
	local dir=$1 label=$2 t
	for t in "$dir"/tests/unit/test-*; do
		[ -x "$t" ] || continue
		local name log
		name=$(basename "$t")
		log=$OUT/$label-$name.log
		if (cd "$OUT" && "$t") >"$log" 2>&1; then st=0; else st=1; fi
		local p f
		p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
		f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		pass=$((pass + p))
		fail=$((fail + f))
		if [ "$f" -ne 0 ]; then failed+=("$label/$name"); note "FAIL $label/$name ($f failed, log: $log)"; else note "PASS $label/$name ($p tests)"; fi
	done
}

# the e2e scripts in order, except that those needing the Pyroscope server
# (or Parca's) go last while its build still runs, which is then waited for
e2e_order() {
	local t later=()
	for t in tests/e2e/t[0-9]*.sh; do
		if [[ "$t" == *-push.sh ]] && [ -n "${pyroscope_pid:-}" ] && kill -0 "$pyroscope_pid" 2>/dev/null; then
			later+=("$t")
		elif [[ "$t" == *-parca.sh ]] && [ -n "${parca_pid:-}" ] && kill -0 "$parca_pid" 2>/dev/null; then
			later+=("$t")
		else
			echo "$t"
		fi
	done
	[ ${#later[@]} -eq 0 ] || printf '%s\n' "${later[@]}"
}
pyroscope_wait() {
	[ -n "${pyroscope_pid:-}" ] || return 0
	wait "$pyroscope_pid"
	note "== Pyroscope server: exit $?: $(tail -1 "$OUT/build-pyroscope.log")"
	pyroscope_pid=
}
parca_wait() {
	[ -n "${parca_pid:-}" ] || return 0
	wait "$parca_pid"
	note "== Parca server: exit $?: $(tail -1 "$OUT/build-parca.log")"
	parca_pid=
}

run_e2e() { # build dir, label, filter
	local dir=$1 label=$2 filter=${3:-.} t
	for t in $(e2e_order); do
		[[ "$t" =~ $filter ]] || continue
		[[ -z "${E2E_SKIP:-}" || ! "$t" =~ $E2E_SKIP ]] || continue
		[[ "$t" != *-push.sh ]] || pyroscope_wait
		[[ "$t" != *-parca.sh ]] || parca_wait
		local name log
		name=$(basename "$t" .sh)
		log=$OUT/$label-$name.log
		mkdir -p "$OUT/$label-$name"
		BUILD="$dir" SCORCH="$dir/scorch" PROGS="$ROOT/build/tests/progs" \
			WORK="$OUT/$label-$name" ROOT="$ROOT" timeout 300 bash "$t" >"$log" 2>&1
		local st=$?
		if [ $st -eq 0 ]; then
			ok "$label/$name"
		elif [ $st -eq 77 ]; then
			skip=$((skip + 1))
			note "SKIP $label/$name: $(grep -m1 SKIP "$log")"
		else
			bad "$label/$name" "$log"
			# the failed checks first (CI shows only part of the output), then the end
			grep -m 12 -E '^ *(FAIL|ERROR|==[0-9]+==)' "$log" | sed 's/^/  ! /'
			tail -15 "$log" | sed 's/^/    /'
		fi
	done
}

# the real Pyroscope server t050 pushes to: built from the Go module proxy
# once, then cached in build/pyroscope (exit 2: no go, t050 skips). On a fresh
# machine most of it is downloading modules, so it runs niced beside our own
# build and tests, and t050 waits for it (run last if it is not done by then).
note "== Pyroscope server for t050 (scripts/build-pyroscope.sh, in the background)"
nice -n 10 scripts/build-pyroscope.sh build >"$OUT/build-pyroscope.log" 2>&1 &
pyroscope_pid=$!
# the same for the Parca server t056 pushes to (build/parca; exit 2: no
# network to the module proxy or no go, t056 skips)
note "== Parca server for t056 (scripts/build-parca.sh, in the background)"
nice -n 10 scripts/build-parca.sh build >"$OUT/build-parca.log" 2>&1 &
parca_pid=$!

note "== build (-Werror)"
if build main WERROR=1 all progs unit; then
	ok build
	run_unit "$ROOT/build" unit
	run_e2e "$ROOT/build" e2e
else
	bad build "$OUT/build-main.log"
fi
pyroscope_wait
parca_wait

note "== sanitizer build (address,undefined): tool and unit tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if build san BUILD=build-san SANITIZE=address,undefined WERROR=1 tool unit; then
	ok build-san
	run_unit "$ROOT/build-san" san-unit
	# the sanitized tool drives the normal runtime; left out (CI stays under
	# 30 minutes): the tests whose time goes to that runtime (signals, sample
	# safety), to other tools (heaptrack, valgrind) or to
	# the Pyroscope and Parca servers (SAN_SKIP='' runs them too)
	E2E_SKIP=${SAN_SKIP-t016|t017|t040|t041|t050|t056} \
		SCORCH_RUNTIME="$ROOT/build/libscorch.so" run_e2e "$ROOT/build-san" san-e2e "${SAN_E2E:-t0[0-9][0-9]}"
else
	bad build-san "$OUT/build-san.log"
fi
unset ASAN_OPTIONS UBSAN_OPTIONS

# libFuzzer harnesses (tests/fuzz): each replays its corpus (seeds and past
# findings) and then mutates for FUZZ_SECS; a crash, a sanitizer report or a
# hang fails it and leaves the input in tests/out (fuzz-NAME-crash-...)
FUZZ_SECS=${FUZZ_SECS:-10}
note "== fuzzing (clang, libFuzzer + ASan/UBSan): $FUZZ_SECS s per harness"
if build fuzz fuzz-build; then
	ok build-fuzz
	while IFS= read -r line; do
		note "$line"
		case $line in
		"fuzz "*": ok"*) pass=$((pass + 1)) ;;
		"fuzz "*": FAILED"*)
			name=${line#fuzz }
			name=${name%%:*}
			fail=$((fail + 1))
			failed+=("fuzz/$name")
			;;
		esac
	done < <(tests/fuzz/run.sh "$ROOT/build/fuzz" "$FUZZ_SECS" "$OUT")
else
	bad build-fuzz "$OUT/build-fuzz.log"
fi

if [ ${#failed[@]} -gt 0 ]; then
	note "failed:"
	for f in "${failed[@]}"; do note "  $f"; done
	# and why, again at the very end, where a cut-off CI log still shows it
	for f in "${failed[@]}"; do
		log=$OUT/${f/\//-}.log
		[ -f "$log" ] && grep -m 3 -E '^(FAIL|ERROR|==[0-9]+==)' "$log" | sed "s|^|  $f: |"
	done
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
