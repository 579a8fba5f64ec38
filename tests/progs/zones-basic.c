/* zones-basic: zones with exactly known counts, nesting, sleeps and
 * allocations (linked with -lscorch by the Makefile). Under scorch:
 *   outer  5 calls, each sleeps 5 ms around 2 leaf calls (self 5 ms)
 *   leaf   10 calls, each sleeps 2 ms
 *   rec    6 calls nested in one another, each sleeps 1 ms itself
 *   alloc_hundred (SCORCH_FUNC) 1 call: 100 mallocs of 64 bytes, all freed
 *   phase  4 calls (scorch_zone_begin/end), each 3 ms
 *   a, b   1 call each; ending "a" while "b" is innermost is 1 mismatch,
 *          and scorch_zone_end("never") 1 end without a begin
 *   tick   7 marks; queue: counter values 0..9 (last 9)
 *   work   3 calls of 4 ms on a thread named "worker-1" by SCORCH_THREAD_NAME
 * Prints "zones done" either way. Sleeps overshoot on a busy machine, so the
 * program also times each zone itself (CLOCK_MONOTONIC, inside the zone)
 * and, when ZONES_TIMES names a file, writes there one line per zone:
 * "name calls sum min max" in ns ("outer-self": outer less its leaves). */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "scorch.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct timing {
	const char *name;
	uint64_t n, sum, min, max;
};

static struct timing t_leaf = { "leaf" }, t_outer = { "outer" }, t_self = { "outer-self" },
		     t_rec = { "rec" }, t_phase = { "phase" }, t_work = { "work" };

static void note(struct timing *t, uint64_t d)
{
	if (!t->n || d < t->min)
		t->min = d;
	if (d > t->max)
		t->max = d;
	t->n++;
	t->sum += d;
}

static uint64_t leaf(void)
{
	SCORCH_ZONE("leaf");
	uint64_t t0 = now_ns();
	sleep_ms(2);
	uint64_t d = now_ns() - t0;
	note(&t_leaf, d);
	return d;
}

static void outer(void)
{
	SCORCH_ZONE("outer");
	uint64_t t0 = now_ns();
	sleep_ms(5);
	uint64_t inside = leaf();
	inside += leaf();
	uint64_t d = now_ns() - t0;
	note(&t_outer, d);
	note(&t_self, d - inside);
}

/* Returns its own duration; the outermost call's is the zone's total. */
static uint64_t rec(int n)
{
	SCORCH_ZONE("rec");
	uint64_t t0 = now_ns();
	sleep_ms(1);
	if (n > 1)
		rec(n - 1);
	return now_ns() - t0;
}

static void *volatile keep;

static void alloc_hundred(void)
{
	SCORCH_FUNC();
	void *p[100];
	for (int i = 0; i < 100; i++)
		p[i] = malloc(64);
	keep = p[7];
	for (int i = 0; i < 100; i++)
		free(p[i]);
}

static void *worker(void *arg)
{
	(void)arg;
	SCORCH_THREAD_NAME("worker-1");
	for (int i = 0; i < 3; i++) {
		SCORCH_ZONE("work");
		uint64_t t0 = now_ns();
		sleep_ms(4);
		note(&t_work, now_ns() - t0);
	}
	return NULL;
}

int main(void)
{
	for (int i = 0; i < 5; i++)
		outer();
	note(&t_rec, rec(6));
	alloc_hundred();
	for (int i = 0; i < 4; i++) {
		scorch_zone_begin("phase");
		uint64_t t0 = now_ns();
		sleep_ms(3);
		note(&t_phase, now_ns() - t0);
		scorch_zone_end("phase");
	}
	scorch_zone_begin("a");
	scorch_zone_begin("b");
	scorch_zone_end("a");      /* mismatch: "b" is the innermost */
	scorch_zone_end("b");
	scorch_zone_end("never");  /* nothing of that name is open */
	for (int i = 0; i < 7; i++)
		SCORCH_MARK("tick");
	for (int i = 0; i < 10; i++)
		SCORCH_COUNTER("queue", i);
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	pthread_join(th, NULL);
	const char *times = getenv("ZONES_TIMES");
	FILE *f = times ? fopen(times, "w") : NULL;
	if (f) {
		const struct timing *all[] = { &t_leaf, &t_outer, &t_self, &t_rec, &t_phase, &t_work };
		for (int i = 0; i < 6; i++)
			fprintf(f, "%s %llu %llu %llu %llu\n", all[i]->name, (unsigned long long)all[i]->n,
				(unsigned long long)all[i]->sum, (unsigned long long)all[i]->min,
				(unsigned long long)all[i]->max);
		fclose(f);
	}
	printf("zones done\n");
	return 0;
}
