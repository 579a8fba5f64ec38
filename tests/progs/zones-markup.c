/* zones-markup: zone, mark, counter and thread names full of HTML markup,
 * for the HTML report's escaping test (tests/e2e/t036-html-zones.sh; linked
 * with -lscorch by the Makefile, also built by the test in a directory named
 * like an HTML tag). Under scorch:
 *   "</script><script>alert(1)</script>"   2 calls, each around 3 of
 *   "<img src=x onerror=alert(2)>"          3 calls each (6 in all), each
 *                                            malloc(100) and free
 *   "<b>mark</b>&amp;"                      4 marks
 *   "\"q' <!-- x --> \u2028"                 counter values 1.5, -2.25, 3
 *   "<u>nope</u>"                           1 scorch_zone_end() with no zone open
 *   the main thread is named "<i>t</i>&"
 * Prints "markup done". */
#include <stdio.h>
#include <stdlib.h>

#include "scorch.h"

#define OUTER "</script><script>alert(1)</script>"
#define INNER "<img src=x onerror=alert(2)>"

static void *volatile keep;

static void inner(void)
{
	SCORCH_ZONE(INNER);
	void *p = malloc(100);
	keep = p;
	free(p);
}

static void outer(void)
{
	SCORCH_ZONE(OUTER);
	for (int i = 0; i < 3; i++)
		inner();
}

int main(void)
{
	SCORCH_THREAD_NAME("<i>t</i>&");
	for (int i = 0; i < 2; i++)
		outer();
	for (int i = 0; i < 4; i++)
		SCORCH_MARK("<b>mark</b>&amp;");
	static const double values[] = { 1.5, -2.25, 3 };
	for (int i = 0; i < 3; i++)
		SCORCH_COUNTER("\"q' <!-- x --> \xe2\x80\xa8", values[i]);
	scorch_zone_end("<u>nope</u>");
	printf("markup done\n");
	return 0;
}
