/* Reading small /proc files in one go (see procfs.h). */
#include "procfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int procfs_read(int pid, int tid, const char *name, char *buf, size_t cap)
{
	char path[96];
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, name);
	else
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	if (cap < 2)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}
