#!/usr/bin/env bash
# Runs each libFuzzer harness of DIR (fuzz-NAME, built by `make fuzz-build`)
# for SECS seconds, starting from tests/fuzz/corpus/NAME: first every input
# there (the seeds and the regression inputs of past findings), then new
# mutations. New inputs go to a scratch copy of the corpus, never into the
# repository. A crash, a sanitizer report, a hang or a leak is a failure;
# the input is saved as OUT/fuzz-NAME-crash-... (OUT: tests/out by default)
# and its reproducer is printed. Prints "fuzz NAME: ok/FAILED, N execs, cov
# C, ft F" per harness; exits 1 if any failed.
#   tests/fuzz/run.sh build/fuzz 20            # what `make check` runs
#   make fuzz FUZZ_TIME=600                    # the same, 10 minutes each
#   FUZZ_ONLY=perf tests/fuzz/run.sh build/fuzz 60
set -u
cd "$(dirname "$0")/../.."
dir=${1:?usage: run.sh FUZZ_DIR SECONDS [OUT]}
secs=${2:-60}
out=${3:-$PWD/tests/out}
mkdir -p "$out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/scorch-fuzz-corpus.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=0
for bin in "$dir"/fuzz-*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz-}
	[ -n "${FUZZ_ONLY:-}" ] && [ "$name" != "$FUZZ_ONLY" ] && continue
	seeds=tests/fuzz/corpus/$name
	work=$scratch/$name
	mkdir -p "$work"
	log=$out/fuzz-$name.log
	# -close_fd_mask=3: the views' output and messages go nowhere (the
	# sanitizers' reports still reach the log); -timeout: an input that
	# takes longer is a hang; -rss_limit_mb: one that takes more memory
	# is a finding too
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$out/fuzz-$name-" \
		"$work" "$seeds" >"$log" 2>&1
	st=$?
	execs=$(grep -Eo '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$')
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
	if [ $st -eq 0 ]; then
		echo "fuzz $name: ok, ${execs:-?} execs in ${secs} s, ${cov:-no coverage line}"
	else
		failed=1
		echo "fuzz $name: FAILED (exit $st), ${execs:-?} execs, ${cov:-}; log: $log"
		grep -E '^==[0-9]+==|ERROR|SUMMARY|scorch fuzz:|Test unit written' "$log" | head -12 | sed 's/^/  ! /'
		for a in "$out/fuzz-$name-"*; do
			[ -f "$a" ] && echo "  reproduce: $bin $a   (and add it to $seeds once fixed)"
		done
	fi
done
exit $failed
