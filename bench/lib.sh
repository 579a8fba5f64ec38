# bench/lib.sh: helpers shared by the benchmark scripts (sourced, not run).
#
#   say MSG...                  a line to stderr
#   bench_ensure_built BIN      make BIN in $ROOT with BUILD=$BUILD if missing
#   bench_timer_setup DIR       picks how run_measured gets CPU time and peak
#                               RSS (sets TIMER: gnu, wrapper or none); DIR
#                               holds the C wrapper when it is needed
#   now_ns                      CLOCK_REALTIME in nanoseconds
#   run_measured RU SO SE cmd...
#                               runs cmd with stdout to SO, stderr to SE;
#                               writes "user_s sys_s maxrss_kb" to RU (of cmd
#                               and everything it waited for) and echoes
#                               "wall_s exit_status start_ns end_ns"
#   ratio A B                   A/B with 2 decimals, "-" if either is "-" or B is 0
#
# The caller sets ROOT and BUILD first; BENCH_NAME (default: the script's
# name) prefixes the messages.
BENCH_NAME=${BENCH_NAME:-$(basename "$0")}

say() { printf '%s\n' "$*" >&2; }

bench_ensure_built() {
	local bin=$1
	[ -x "$bin" ] && return 0
	say "$BENCH_NAME: $bin missing; building it"
	make -C "$ROOT" --no-print-directory BUILD="$BUILD" "$bin" >&2 || {
		say "$BENCH_NAME: cannot build $bin; run 'make BUILD=$BUILD $bin' and see why"
		return 1
	}
}

# Peak RSS and CPU time need wait4's rusage: GNU time if present (installing
# the Debian package "time" when we may), else a small C wrapper compiled
# here, else none. (Not python: maxrss survives exec, so a wrapper's own RSS
# before the exec sets a floor; the C wrapper's is about 1 MB.)
TIMER=none
bench_timer_setup() {
	local dir=$1
	TIMER=none
	if [ ! -x /usr/bin/time ]; then
		if [ "$(id -u)" = 0 ]; then
			say "$BENCH_NAME: installing package 'time' for peak RSS figures"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			say "$BENCH_NAME: installing package 'time' for peak RSS figures"
			sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1
		fi
	fi
	if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' -o /dev/null true 2>/dev/null; then
		TIMER=gnu
		return 0
	fi
	RUSAGE_RUN=$dir/rusage-run
	cat >"$dir/rusage-run.c" <<'EOF_C'
/* rusage-run OUT cmd...: runs cmd, writes "user_s sys_s maxrss_kb" to OUT. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;
	if (argc < 3)
		return 125;
	pid = fork();
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return 125;
	FILE *f = fopen(argv[1], "w");
	if (f) {
		fprintf(f, "%.2f %.2f %ld\n",
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
		fclose(f);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
EOF_C
	if ${CC:-cc} -O1 -o "$RUSAGE_RUN" "$dir/rusage-run.c" 2>/dev/null; then
		TIMER=wrapper
	else
		say "$BENCH_NAME: no /usr/bin/time and no C compiler: CPU time and peak RSS not reported"
	fi
}

now_ns() { date +%s%N; }

run_measured() {
	local ru=$1 so=$2 se=$3 t0 t1 rc
	shift 3
	t0=$(now_ns)
	case $TIMER in
	gnu)
		/usr/bin/time -f '%U %S %M' -o "$ru" "$@" >"$so" 2>"$se"
		rc=$?
		;;
	wrapper)
		"$RUSAGE_RUN" "$ru" "$@" >"$so" 2>"$se"
		rc=$?
		;;
	*)
		"$@" >"$so" 2>"$se"
		rc=$?
		echo "- - -" >"$ru"
		;;
	esac
	t1=$(now_ns)
	# GNU time prefixes "Command exited with non-zero status N" lines.
	tail -n 1 "$ru" >"$ru.tmp" && mv "$ru.tmp" "$ru"
	awk -v a="$t0" -v b="$t1" -v rc="$rc" 'BEGIN { printf "%.3f %d %s %s\n", (b - a) / 1e9, rc, a, b }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
