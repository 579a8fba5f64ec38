#!/usr/bin/env bash
# flame-speed.sh: how fast `scorch flame` turns a large folded file into an
# SVG. bench/gen-folded writes N distinct stacks (default 200,000: the size
# of DESIGN.md's flamegraph.pl anchor, 44 s on this machine kind); scorch
# flame renders it RUNS times (default 5) with its default pruning and the
# script prints the best and median wall time, the CPU time, the peak RSS and
# what was drawn. When flamegraph.pl is installed (Debian has no package for
# it: `apt-cache policy flamegraph` shows no candidate; put it on PATH) it
# renders the same file once, side by side, and the ratio is printed; so
# does inferno-flamegraph (inferno, the Rust port, from crates.io:
# bench/install-peers.sh installs it with cargo; INFERNO=0 skips it).
#
# Usage: bench/flame-speed.sh   (from anywhere; files go to bench/out/flame-speed/)
# Environment: N (stacks), RUNS, SCORCH (default build/scorch), GEN (default
# build/bench/gen-folded), FLAMEGRAPH (path of flamegraph.pl), FG_TIMEOUT
# (seconds allowed to flamegraph.pl, default 600).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SCORCH=${SCORCH:-$BUILD/scorch}
GEN=${GEN:-$BUILD/bench/gen-folded}
N=${N:-200000}
RUNS=${RUNS:-5}
FG_TIMEOUT=${FG_TIMEOUT:-600}
OUT=$ROOT/bench/out/flame-speed
mkdir -p "$OUT"
say() { printf '%s\n' "$*" >&2; }

for t in "$SCORCH" "$GEN"; do
	if [ ! -x "$t" ]; then
		say "flame-speed.sh: $t missing; building it"
		make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$t" >&2 || {
			say "flame-speed.sh: cannot build $t; run 'make $t' and see why"
			exit 1
		}
	fi
done

IN=$OUT/stacks.folded
"$GEN" "$N" >"$IN" || { say "flame-speed.sh: $GEN failed"; exit 1; }
read -r lines frames bytes < <(awk '{ n += split($0, a, ";") } END { print NR, n }' "$IN" | tr '\n' ' '; stat -c %s "$IN")
printf 'input: %s stacks, %s frames, %.1f MB (%s)\n' "$lines" "$frames" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$IN"

# one run: wall s, user+sys s, max RSS KiB into the globals
run_timed() { # out.svg cmd...
	local out=$1 tf=$OUT/time.txt
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$out.stdout" 2>"$out.stderr"
	local rc=$?
	read -r wall user sys rss <"$tf"
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	return $rc
}

walls=() cpus=()
for i in $(seq 1 "$RUNS"); do
	if ! run_timed "$OUT/scorch.svg" "$SCORCH" flame -o "$OUT/scorch.svg" "$IN"; then
		say "flame-speed.sh: scorch flame failed: $(cat "$OUT/scorch.svg.stderr")"
		exit 1
	fi
	walls+=("$wall")
	cpus+=("$cpu")
	printf 'scorch flame run %d: %s s wall, %s s CPU, %s MB peak RSS\n' "$i" "$wall" "$cpu" "$((rss / 1024))"
done
best=$(printf '%s\n' "${walls[@]}" | sort -n | head -1)
median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
printf 'scorch flame: best %s s, median %s s wall for %s stacks; %s\n' "$best" "$median" "$lines" \
	"$(sed 's/^scorch: //' "$OUT/scorch.svg.stderr")"
printf 'svg: %.1f MB, %s frames\n' "$(awk -v b="$(stat -c %s "$OUT/scorch.svg")" 'BEGIN { print b / 1e6 }')" \
	"$(grep -c '<g class="f' "$OUT/scorch.svg")"

FG=${FLAMEGRAPH:-$(command -v flamegraph.pl || command -v flamegraph || true)}
if [ -n "$FG" ]; then
	if run_timed "$OUT/flamegraph.svg" timeout "$FG_TIMEOUT" "$FG" "$IN"; then
		mv "$OUT/flamegraph.svg.stdout" "$OUT/flamegraph.svg"
		printf 'flamegraph.pl: %s s wall, %s s CPU, %s MB peak RSS\n' "$wall" "$cpu" "$((rss / 1024))"
		printf 'ratio: flamegraph.pl / scorch flame (median) = %sx\n' \
			"$(awk -v a="$wall" -v b="$median" 'BEGIN { printf "%.1f", a / b }')"
	else
		printf 'flamegraph.pl: failed or took over %s s (%s)\n' "$FG_TIMEOUT" "$FG"
	fi
else
	policy=$(apt-cache policy flamegraph 2>/dev/null | sed -n 's/^ *Candidate: //p')
	printf 'flamegraph.pl: not installed (Debian package "flamegraph": %s); DESIGN.md anchor on this machine kind: 44 s -> %sx\n' \
		"${policy:-none}" "$(awk -v b="$median" 'BEGIN { printf "%.0f", 44 / b }')"
fi

# inferno-flamegraph on the same folded file, best of RUNS like scorch
if [ "${INFERNO:-1}" != 0 ]; then
	export PATH=$HOME/.cargo/bin:$PATH
	command -v inferno-flamegraph >/dev/null || "$ROOT/bench/install-peers.sh" inferno
	if command -v inferno-flamegraph >/dev/null; then
		iwalls=() icpus=()
		for i in $(seq 1 "$RUNS"); do
			if ! run_timed "$OUT/inferno.svg" inferno-flamegraph "$IN"; then
				printf 'inferno-flamegraph: failed (%s)\n' "$(head -c 300 "$OUT/inferno.svg.stderr")"
				break
			fi
			iwalls+=("$wall")
			icpus+=("$cpu")
			printf 'inferno-flamegraph run %d: %s s wall, %s s CPU, %s MB peak RSS, svg %.1f MB\n' "$i" "$wall" "$cpu" \
				"$((rss / 1024))" "$(awk -v b="$(stat -c %s "$OUT/inferno.svg.stdout")" 'BEGIN { print b / 1e6 }')"
		done
		if [ "${#iwalls[@]}" -eq "$RUNS" ]; then
			imed=$(printf '%s\n' "${iwalls[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
			printf 'inferno-flamegraph: best %s s, median %s s wall; ratio inferno / scorch flame (medians) = %sx\n' \
				"$(printf '%s\n' "${iwalls[@]}" | sort -n | head -1)" "$imed" \
				"$(awk -v a="$imed" -v b="$median" 'BEGIN { printf "%.2f", a / b }')"
			# CPU time: what a loaded machine does not change
			icm=$(printf '%s\n' "${icpus[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
			scm=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
			printf 'CPU time (medians): inferno-flamegraph %s s, scorch flame %s s: %sx\n' "$icm" "$scm" \
				"$(awk -v a="$icm" -v b="$scm" 'BEGIN { printf "%.2f", a / b }')"
		fi
	else
		printf 'inferno-flamegraph: not installed (bench/install-peers.sh inferno failed)\n'
	fi
fi
