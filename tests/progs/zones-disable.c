/* zones-disable: functions full of zone macros, for t033: compiled with
 * -DSCORCH_DISABLE their object code must equal that of the same file with
 * every line naming a SCORCH_ macro or scorch_zone_ function deleted. Keep
 * each macro on a line of its own. Prints "sum=4950 checksum=328350". */
#include <stdio.h>

#include "scorch.h"

static volatile int sink;

int zd_scoped(int n)
{
	SCORCH_FUNC();
	int s = 0;
	for (int i = 0; i < n; i++) {
		SCORCH_ZONE("iteration");
		s += i;
	}
	return s;
}

int zd_events(int n)
{
	SCORCH_THREAD_NAME("zd");
	int s = 0;
	for (int i = 0; i < n; i++) {
		SCORCH_MARK("step");
		SCORCH_COUNTER("square", i * i);
		s += i * i;
	}
	return s;
}

void zd_spans(int n)
{
	scorch_zone_begin("span");
	for (int i = 0; i < n; i++)
		sink = i;
	scorch_zone_end("span");
}

int main(void)
{
	int a = zd_scoped(100);
	int b = zd_events(100);
	zd_spans(10);
	printf("sum=%d checksum=%d\n", a, b);
	return 0;
}
