# Programs nobody here wrote, as a user runs them: a compiler driver and its
# passes, shells, a stripped library. Each check is a defect seen on them:
# the child processes' exit status, the names a process goes by, frames of
# code without symbols grouped per function, and wall time of a process that
# only waits.
. "$ROOT/tests/e2e/lib.sh"

# ---- exit status of processes the launcher does not wait for ----
# gcc's passes return from main: libc's exit, not the interposed one. Each
# child's summary line must carry the status its parent saw.
if command -v gcc >/dev/null 2>&1; then
	printf 'int f(int x) { return x * 3; }\nint main(void) { return f(2); }\n' >x.c
	"$SCORCH" record -- gcc -O2 -c x.c >gcc.out 2>gcc.err
	check "gcc: exit" "$?" 0
	check "gcc: x.o built" "$(test -s x.o && echo yes)" yes
	grep -E '^scorch: .*\(pid [0-9]+\)' gcc.err | grep -v '^scorch: most of the run' >gcc.procs
	nproc_lines=$(wc -l <gcc.procs)
	check_ge "gcc: processes summarized" "$nproc_lines" 3
	check "gcc: every process has an exit status" \
		"$(grep -Evc 'exit status [0-9]+$|replaced by exec$' gcc.procs)" 0
	check_match "gcc: cc1's status" "$(cat gcc.err)" 'cc1 \(pid [0-9]+\), exit status 0'
	# one name per process everywhere: the basename of its argv[0] (gcc,
	# as), never the file its exe link resolves to (x86_64-linux-gnu-gcc-12)
	check "gcc: the driver's file" "$(ls gcc.*.scorch 2>/dev/null | wc -l)" 1
	check "gcc: the assembler's file" "$(ls as.*.scorch 2>/dev/null | wc -l)" 1
	check "gcc: no file by the resolved name" "$(ls | grep -c 'x86_64-linux-gnu')" 0
	check_match "gcc: the run's summary names them so" "$(grep '^scorch: most of the run' gcc.err)" \
		'most of the run is in cc1\.[0-9]+\.scorch: cc1 \(pid [0-9]+\).*; 2 others: (gcc, as|as, gcc)$'
	"$SCORCH" report --merge gcc.*.scorch >gcc.merge 2>&1
	check "gcc: merged report" "$?" 0
	check "gcc: merged: the driver's top frame" "$(grep -Ec '^ +[0-9.]+% +[0-9.]+% +gcc \(pid [0-9]+\)$' gcc.merge)" 1
	check "gcc: merged: no top frame by the resolved name" "$(grep -Ec '[─ ]x86_64-linux-gnu-[a-z0-9-]+ \(pid' gcc.merge)" 0
fi
# a child that returns 300 from main (the parent sees 44) and one that ends
# in errx(3) (exit called inside libc)
cat >ex.c <<'EOS'
#include <err.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc > 1) {
		if (argv[1][0] == 'e')
			errx(3, "from libc");
		return 300;
	}
	for (int i = 0; i < 2; i++) {
		pid_t p = fork();
		if (p == 0) {
			execl("/proc/self/exe", "exkid", i ? "e" : "r", (char *)NULL);
			_exit(126);
		}
		int st;
		waitpid(p, &st, 0);
		printf("child %d: %d\n", i, WEXITSTATUS(st));
	}
	return 0;
}
EOS
cc -o ex ex.c
"$SCORCH" record -- ./ex >ex.out 2>ex.err
check "exit kids: exit" "$?" 0
check "exit kids: output" "$(tr '\n' ' ' <ex.out)" "child 0: 44 child 1: 3 "
check_match "exit kids: return from main" "$(cat ex.err)" 'exkid \(pid [0-9]+\), exit status 44'
check_match "exit kids: errx" "$(cat ex.err)" 'exkid \(pid [0-9]+\), exit status 3'

finish
