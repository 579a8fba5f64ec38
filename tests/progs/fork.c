/* fork: heap tracking across fork(). The parent leaks 5 x 40 B from
 * parent_site, forks; the child leaks 3 x 56 B from child_site and exits 0
 * via exit(); the parent waits for it and exits 0 (1 if the child failed).
 *
 * Expected heap behaviour: parent process malloc 5 (leaked 200 B), child
 * process malloc 3 after the fork (leaked 168 B); the child also inherits the
 * parent's 5 live blocks, allocated before it existed. No frees anywhere.
 * Prints nothing.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *parent_blocks[5];
static void *child_blocks[3];

__attribute__((noinline)) static void parent_site(void)
{
	for (int i = 0; i < 5; i++)
		if (!(parent_blocks[i] = malloc(40)))
			abort();
}

__attribute__((noinline)) static void child_site(void)
{
	for (int i = 0; i < 3; i++)
		if (!(child_blocks[i] = malloc(56)))
			abort();
}

int main(void)
{
	parent_site();
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		child_site();
		exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
