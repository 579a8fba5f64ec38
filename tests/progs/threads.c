/* threads: cross-thread frees. Four threads named worker-0..worker-3 each
 * allocate 250 blocks of 32 B in ring_alloc and hand them to the next thread
 * in the ring (worker-i -> worker-(i+1)%4) through a mutex+condvar queue; the
 * receiving thread frees them in ring_free. So every block is freed by a
 * thread other than the one that allocated it.
 *
 * Expected heap behaviour (own calls): malloc 1000 x 32 B (250 per worker
 * thread, none on the main thread), free 1000 (250 per worker, each freeing
 * its predecessor's blocks), leaks 0, peak live at most 32000 B (timing-
 * dependent). pthread_create adds one calloc per thread inside glibc (the
 * thread's DTV, see EXPECTED.md). Prints nothing, exits 0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define WORKERS 4
#define PER_WORKER 250

/* A block carries its own queue link, so queueing never allocates. */
struct block {
	struct block *next;
	char payload[24];
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct block *head;
};

static struct queue queues[WORKERS];

__attribute__((noinline)) static struct block *ring_alloc(int owner, int n)
{
	struct block *b = malloc(sizeof(*b));

	if (!b)
		abort();
	b->payload[0] = (char)owner;
	b->payload[1] = (char)n;
	return b;
}

__attribute__((noinline)) static void ring_free(struct block *b)
{
	free(b);
}

static void push(struct queue *q, struct block *b)
{
	pthread_mutex_lock(&q->lock);
	b->next = q->head;
	q->head = b;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

static struct block *pop(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (!q->head)
		pthread_cond_wait(&q->nonempty, &q->lock);
	struct block *b = q->head;
	q->head = b->next;
	pthread_mutex_unlock(&q->lock);
	return b;
}

static void *worker(void *arg)
{
	int id = (int)(long)arg;
	char name[16];

	snprintf(name, sizeof(name), "worker-%d", id);
	pthread_setname_np(pthread_self(), name);
	for (int n = 0; n < PER_WORKER; n++)
		push(&queues[(id + 1) % WORKERS], ring_alloc(id, n));
	int prev = (id + WORKERS - 1) % WORKERS;
	for (int n = 0; n < PER_WORKER; n++) {
		struct block *b = pop(&queues[id]);
		if (b->payload[0] != (char)prev)
			abort();
		ring_free(b);
	}
	return NULL;
}

int main(void)
{
	pthread_t tids[WORKERS];

	for (int i = 0; i < WORKERS; i++) {
		pthread_mutex_init(&queues[i].lock, NULL);
		pthread_cond_init(&queues[i].nonempty, NULL);
	}
	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&tids[i], NULL, worker, (void *)(long)i) != 0)
			abort();
	for (int i = 0; i < WORKERS; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
