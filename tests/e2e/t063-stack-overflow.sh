# A program that overflows its stack: the SIGSEGV cannot run a handler on
# the exhausted stack, so without an alternate stack the kernel killed the
# process before the runtime's final flush and the profile came out empty
# ("no heap events recorded" after 1,000 allocations). The runtime now gives
# every thread it records an alternate stack of its own when the thread has
# none. Checked: the main thread and a second thread overflowing, under
# heap and record; a program that sets its own alternate stack and prints
# from its SIGSEGV handler keeps its own; one that sets its own of 8 KiB
# if it sees none and aborts from the handler (as Rust's runtime does)
# gets abort()'s status and a whole profile; a
# handler with SA_ONSTACK and no stack dies of an overflow as alone (its
# handler not run) and runs its handler for another fault. Each: output
# and status as alone, counts exact.
. "$ROOT/tests/e2e/lib.sh"

cat >ovf.c <<'EOS2'
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
static int deep(int n)
{
	volatile char b[1024];
	b[0] = (char)n;
	return deep(n + 1) + b[0];
}
static void *thr(void *a)
{
	for (int i = 0; i < 500; i++)
		free(malloc(40));
	return (void *)(long)deep(0);
}
static int aborts;
static void onsegv(int s)
{
	/* a message formatted on the stack, as Rust's handler does (its
	 * frames take about as much) */
	static const char msg[] = "handler: stack overflow\n";
	volatile char m[400];
	for (size_t i = 0; i < sizeof(msg) - 1; i++)
		m[i] = msg[i];
	write(2, (char *)m, sizeof(msg) - 1);
	if (aborts)
		abort();
	_exit(42);
}
int main(int argc, char **argv)
{
	for (int i = 0; i < 1000; i++)
		free(malloc(24));
	printf("1000 allocations\n");
	fflush(stdout);
	if (!strcmp(argv[1], "own") || !strcmp(argv[1], "onstack") || !strcmp(argv[1], "null") ||
	    !strcmp(argv[1], "rustlike")) {
		/* Rust's runtime: its own stack of 8 KiB, if the thread has none,
		 * and abort() after the message */
		stack_t cur;
		sigaltstack(NULL, &cur);
		if (!(cur.ss_flags & SS_DISABLE))
			printf("an alternate stack already\n");
		if (!strcmp(argv[1], "rustlike")) {
			/* 8 KiB where a signal frame takes 3,376 bytes (AVX-512);
			 * the same room left elsewhere */
			size_t min = getauxval(AT_MINSIGSTKSZ), size = min ? 2 * min + 1440 : 8192;
			char *p = mmap(NULL, 4096 + size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			mprotect(p, 4096, PROT_NONE);   /* its guard page */
			stack_t ss = { .ss_sp = p + 4096, .ss_size = size };
			sigaltstack(&ss, NULL);
			aborts = 1;
		}
		if (!strcmp(argv[1], "own")) {
			stack_t ss = { .ss_sp = malloc(65536), .ss_size = 65536 };
			sigaltstack(&ss, NULL);
		}
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = onsegv;
		sa.sa_flags = SA_ONSTACK;
		sigaction(SIGSEGV, &sa, NULL);
	}
	if (!strcmp(argv[1], "thread")) {
		pthread_t t;
		pthread_create(&t, NULL, thr, NULL);
		pthread_join(t, NULL);
	}
	if (!strcmp(argv[1], "null"))
		*(volatile int *)(long)argc = 1;   /* a fault away from the stack */
	return deep(0);
}
EOS2
cc -O0 -pthread -o ovf ovf.c || fail "cannot build ovf.c"

# same NAME MODE ARG: ./ovf ARG alone and under scorch MODE
same() {
	local name=$1 mode=$2 arg=$3
	./ovf "$arg" >"$name.plain.out" 2>"$name.plain.err"
	local prc=$?
	timeout 120 "$SCORCH" $mode -o "$name.scorch" -- ./ovf "$arg" >"$name.out" 2>"$name.err"
	rc=$?
	grep -v '^scorch:' "$name.err" >"$name.prog.err"
	check "$name: exit status as alone ($prc)" "$rc" "$prc"
	check "$name: stdout identical" "$(cmp -s "$name.plain.out" "$name.out" && echo same)" same
	check "$name: stderr identical" "$(cmp -s "$name.plain.err" "$name.prog.err" && echo same)" same
	json "$name.scorch"
}

same main heap main
check "main: killed by SIGSEGV" "$rc" 139
check "main: the 1,000 allocations and stdout's buffer" "$(q main.scorch.json '.profiles[0].totals.allocations')" 1001
check "main: the profile complete (final flush ran)" "$(q main.scorch.json '.profiles[0].program.incomplete')" false
check "main: exit recorded" "$(q main.scorch.json '.profiles[0].program.exit | "\(.kind) \(.value)"')" "signal 11"

same thread heap thread
check "thread: killed by SIGSEGV" "$rc" 139
check "thread: 1,000 + 500 allocations, stdout's buffer, the thread's" \
	"$(q thread.scorch.json '[.profiles[0].sites[] | select(.function == "main" or .function == "thr") | .allocations] | add')" 1500
check "thread: the profile complete" "$(q thread.scorch.json '.profiles[0].program.incomplete')" false

same own heap own
check "own: the program's handler ran on its own stack" "$(cat own.prog.err)" "handler: stack overflow"
check "own: its status" "$rc" 42
check "own: 1,000 allocations at main and its stack's" "$(q own.scorch.json '.profiles[0].totals.allocations')" 1002

# as Rust does: none seen (the runtime's is not the program's), its own of
# 8 KiB set, abort() from the handler there: the final flush ran on that
# stack, nested in the handler, overflowed it and the process died of a
# SIGSEGV (139, not 134) with its profile empty
same rustlike heap rustlike
check "rustlike: the handler's message" "$(cat rustlike.prog.err)" "handler: stack overflow"
check "rustlike: abort()'s status" "$rc" 134
check "rustlike: the profile complete" "$(q rustlike.scorch.json '.profiles[0].program.incomplete')" false
check "rustlike: 1,000 allocations at main and stdout's" "$(q rustlike.scorch.json '.profiles[0].totals.allocations')" 1001
same rustrec record rustlike
check "rustlike record: abort()'s status" "$rc" 134
check "rustlike record: the profile complete" "$(q rustrec.scorch.json '.profiles[0].program.incomplete')" false

# and Rust itself, when there (its message, abort()'s 134)
if command -v rustc >/dev/null && cat >rsovf.rs <<'EOS2' && rustc -O -o rsovf rsovf.rs 2>/dev/null
use std::hint::black_box;
fn f(n: u64) -> u64 {
    let a = black_box([n; 128]);
    if n == u64::MAX { 0 } else { f(n + 1) + a[(n % 128) as usize] }
}
fn main() {
    let v: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    println!("{}", v.len());
    println!("{}", f(black_box(0)));
}
EOS2
then
	./rsovf >rs.plain.out 2>rs.plain.err
	prc=$?
	"$SCORCH" heap -o rs.scorch -- ./rsovf >rs.out 2>rs.err
	rc=$?
	check "rust: abort()'s status as alone" "$rc $prc" "134 134"
	check "rust: stdout identical" "$(cmp -s rs.plain.out rs.out && echo same)" same
	check_match "rust: its message" "$(grep -v '^scorch:' rs.err)" "has overflowed its stack"
	json rs.scorch
	check "rust: the profile complete" "$(q rs.scorch.json '.profiles[0].program.incomplete')" false
	check_ge "rust: the 1,000 strings' allocations and more" "$(q rs.scorch.json '.profiles[0].totals.allocations')" 1000
else
	echo "(no rustc: the Rust program skipped)"
fi

# SA_ONSTACK without a stack: alone, the overflow's SIGSEGV cannot be
# delivered and kills it; on the runtime's stack the handler would run
same onstack heap onstack
check "onstack: killed by SIGSEGV, its handler not run" "$rc" 139
check "onstack: the profile complete" "$(q onstack.scorch.json '.profiles[0].program.incomplete')" false
check "onstack: 1,000 allocations at main and stdout's" "$(q onstack.scorch.json '.profiles[0].totals.allocations')" 1001
# and a fault elsewhere is handled as alone
same null heap null
check "null: the program's handler ran" "$(cat null.prog.err)" "handler: stack overflow"
check "null: its status" "$rc" 42

same rec record main
check "record: killed by SIGSEGV" "$rc" 139
check "record: the profile complete" "$(q rec.scorch.json '.profiles[0].program.incomplete')" false
check "record: exit recorded" "$(q rec.scorch.json '.profiles[0].program.exit | "\(.kind) \(.value)"')" "signal 11"
finish
