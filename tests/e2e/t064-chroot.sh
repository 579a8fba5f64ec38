# A program that chroots (as root) into an empty directory and then makes a
# thread and forks a child: the runtime created the child's stream by the
# profile directory's path, which no longer resolved inside the new root,
# so the child 'runs unrecorded' (a message on the program's stderr, its
# 200 allocations lost). The runtime now holds the directory open from the
# start and creates streams through it. Output and status as alone; the
# counts exact.
. "$ROOT/tests/e2e/lib.sh"

cat >chr.c <<'EOS2'
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
static void *th(void *a)
{
	for (int i = 0; i < 300; i++)
		free(malloc(16));
	return a;
}
int main(int argc, char **argv)
{
	for (int i = 0; i < 100; i++)
		free(malloc(8));
	mkdir(argv[1], 0755);
	if (chroot(argv[1]) != 0) {
		perror("chroot");
		return 77;
	}
	chdir("/");
	pthread_t t;
	pthread_create(&t, NULL, th, NULL);
	pthread_join(t, NULL);
	pid_t p = fork();
	if (p == 0) {
		for (int i = 0; i < 200; i++)
			free(malloc(8));
		_exit(3);
	}
	int st;
	waitpid(p, &st, 0);
	FILE *f = fopen("/kid", "w");   /* the child's pid, in the jail */
	if (f) {
		fprintf(f, "%d\n", (int)p);
		fclose(f);
	}
	printf("child %d\n", WEXITSTATUS(st));
	return 0;
}
EOS2
cc -O0 -pthread -o chr chr.c || fail "cannot build chr.c"
./chr jail0 >plain.out 2>plain.err
prc=$?
[ "$prc" -eq 77 ] && { echo "SKIP: chroot not allowed here (not root)"; exit 77; }
"$SCORCH" heap -o chr.scorch -- ./chr jail1 >chr.out 2>chr.err
rc=$?
check "exit status as alone" "$rc" "$prc"
check "stdout as alone" "$(cat chr.out)" "$(cat plain.out)"
check "stderr as alone (nothing 'runs unrecorded')" "$(grep -v '^scorch:' chr.err)" "$(cat plain.err)"
json chr.scorch
check "the root's allocations: 100 before, the thread's 300 after" \
	"$(q chr.scorch.json '[.profiles[0].sites[] | select(.function == "main" or .function == "th") | .allocations] | add')" 400
kid=$(cat jail1/kid 2>/dev/null)
check "the child's profile" "$(ls chr.$kid.scorch 2>/dev/null)" "chr.$kid.scorch"
if [ -s "chr.$kid.scorch" ]; then
	json "chr.$kid.scorch"
	check "the child's 200 allocations" \
		"$(q "chr.$kid.scorch.json" '[.profiles[0].sites[] | select(.function == "main") | .allocations] | add')" 200
	check "the child's exit" "$(q "chr.$kid.scorch.json" '.profiles[0].program.exit | "\(.kind) \(.value)"')" "normal 3"
fi
finish
