/* handoff: blocks handed from one thread to another through a single-slot
 * mailbox with no lock, and freed by the receiver at once. The receiver
 * spins on the slot, so its free follows the sender's allocation by well
 * under a microsecond, on another CPU: the case where the free's time stamp
 * (an unordered counter read) can come out before the allocation's.
 *
 * Usage: handoff [N]   (default 20000). The sender, thread "sender",
 * allocates N blocks of 48 B in send_alloc; the receiver, thread
 * "receiver", frees every one in recv_free. Expected (own calls): malloc N
 * x 48 B, free N, no free of an unknown block, nothing leaked. Prints
 * "handoff: N blocks", exits 0.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic(void *) slot;
static long n_blocks = 20000;

__attribute__((noinline)) static void *send_alloc(void)
{
	void *p = malloc(48);
	if (!p)
		abort();
	return p;
}

__attribute__((noinline)) static void recv_free(void *p)
{
	free(p);
}

static void *sender(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "sender");
	for (long i = 0; i < n_blocks; i++) {
		void *p = send_alloc();
		for (unsigned spins = 0; atomic_load_explicit(&slot, memory_order_acquire); spins++)
			if (spins % 64 == 63)
				sched_yield();   /* a busy machine: let the other run */
		atomic_store_explicit(&slot, p, memory_order_release);
	}
	return NULL;
}

static void *receiver(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "receiver");
	for (long i = 0; i < n_blocks; i++) {
		void *p;
		for (unsigned spins = 0; !(p = atomic_load_explicit(&slot, memory_order_acquire)); spins++)
			if (spins % 64 == 63)
				sched_yield();
		atomic_store_explicit(&slot, NULL, memory_order_release);
		recv_free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n_blocks = atol(argv[1]);
	pthread_t s, r;
	if (pthread_create(&r, NULL, receiver, NULL) || pthread_create(&s, NULL, sender, NULL))
		return 1;
	pthread_join(s, NULL);
	pthread_join(r, NULL);
	printf("handoff: %ld blocks\n", n_blocks);
	return 0;
}
