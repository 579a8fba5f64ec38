/* Unit tests of the columnar event codec (analysis/evcodec.c): round trips
 * of random and adversarial event sequences, checked against what the heap
 * model makes of the real addresses (which allocation each free ends, which
 * allocation replaces a block still live, failed allocations, free(NULL),
 * frees of what is not live); periodic programs cost next to nothing;
 * damaged blocks are refused, never read out of bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/evcodec.h"
#include "../../lib/die.h"
#include "../../lib/hashmap.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* What the heap model makes of an event, by address: for an allocation, 0
 * failed, else 1 + the ordinal of the allocation it replaces (a block still
 * live at its address) or 1 when none; for a free, 0 free(NULL), 1 not live,
 * else 2 + the ordinal of the allocation it ends. Ordinals count every
 * allocation, failed ones too. */
static uint64_t *classify(const struct sc_event *ev, size_t n)
{
	uint64_t *c = xmalloc((n + 1) * sizeof(*c));
	struct u64map live;
	u64map_init(&live, 64);
	uint64_t ord = 0, o;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind == EV_ALLOC) {
			if (!ev[i].addr) {
				c[i] = 0;
			} else {
				bool isnew;
				uint64_t *slot = u64map_put(&live, ev[i].addr, &isnew);
				c[i] = isnew ? 1 : 2 + (*slot - 1);
				*slot = ord + 1;
			}
			ord++;
		} else if (!ev[i].addr) {
			c[i] = 0;
		} else if (u64map_del(&live, ev[i].addr, &o)) {
			c[i] = 2 + (o - 1);
		} else {
			c[i] = 1;
		}
	}
	u64map_release(&live);
	return c;
}

/* Encodes ev[0..n) in blocks of the sizes bs gives (cycled), decodes them
 * and checks every field, the times at the unit, and the classification. */
static size_t round_trip(const struct sc_event *ev, size_t n, uint32_t unit, const size_t *bs, size_t nbs,
			 size_t nthreads, size_t nstacks)
{
	struct evc_encoder *e = evc_encoder_new(unit);
	struct evc_decoder *d = evc_decoder_new(nthreads, nstacks);
	struct sc_event *out = xmalloc((n + EVC_BLOCK_MAX) * sizeof(*out));
	struct sc_event *blk = xmalloc(EVC_BLOCK_MAX * sizeof(*blk));
	struct strbuf sb = STRBUF_INIT;
	size_t got = 0, bytes = 0;
	for (size_t i = 0, k = 0; i < n; k++) {
		size_t m = bs[k % nbs];
		if (m > n - i)
			m = n - i;
		sb_reset(&sb);
		assert_int_equal(evc_encode(e, ev + i, m, &sb), 0);
		assert_true(sb.len <= EVC_BYTES_MAX);
		bytes += sb.len;
		long r = evc_decode(d, (const uint8_t *)sb.buf, sb.len, blk);
		if (r < 0)
			fail_msg("decode: %s", evc_decoder_error(d));
		assert_int_equal((size_t)r, m);
		memcpy(out + got, blk, m * sizeof(*blk));
		got += m;
		i += m;
	}
	assert_int_equal(got, n);
	assert_int_equal(evc_encoder_events(e), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].kind, ev[i].kind);
		assert_int_equal(out[i].func, ev[i].func);
		assert_int_equal(out[i].thread, ev[i].thread);
		assert_int_equal(out[i].time, ev[i].time / unit * unit);
		if (ev[i].kind == EV_ALLOC) {
			assert_int_equal(out[i].stack, ev[i].stack);
			assert_true(out[i].size == ev[i].size);
		} else {
			assert_int_equal(out[i].stack, 0);
			assert_int_equal(out[i].size, 0);
		}
		/* 0 stays 0, and no other address is 0 */
		assert_int_equal(!out[i].addr, !ev[i].addr);
	}
	uint64_t *c0 = classify(ev, n), *c1 = classify(out, n);
	for (size_t i = 0; i < n; i++)
		if (c0[i] != c1[i])
			fail_msg("event %zu: %llu, decoded %llu", i, (unsigned long long)c0[i], (unsigned long long)c1[i]);
	free(c0);
	free(c1);
	free(out);
	free(blk);
	sb_release(&sb);
	evc_encoder_free(e);
	evc_decoder_free(d);
	return bytes;
}

/* A random program: addresses drawn from a small pool (so that allocators'
 * reuse, frees of dead blocks and allocations over live ones all happen),
 * every function, failed allocations, free(NULL), equal times. */
static struct sc_event *random_events(size_t n, uint64_t maxdt, int wide)
{
	struct sc_event *ev = xcalloc(n, sizeof(*ev));
	uint64_t t = wide ? UINT64_MAX - n * maxdt - 1 : 0;
	for (size_t i = 0; i < n; i++) {
		struct sc_event *x = &ev[i];
		t += rnd() % 4 == 0 ? 0 : rnd() % (maxdt + 1);
		x->time = t;
		x->thread = (uint16_t)(rnd() % 8 == 0 ? 65534 : rnd() % 4);
		x->func = (uint8_t)(rnd() % FN__COUNT);
		x->kind = rnd() % 2 ? EV_ALLOC : EV_FREE;
		uint64_t a = 0x10000 + (rnd() % 512) * 16;
		if (x->kind == EV_ALLOC) {
			x->stack = (uint32_t)(rnd() % 8 == 0 ? UINT32_MAX - 1 : rnd() % 100);
			x->size = rnd() % 16 == 0 ? UINT64_MAX - rnd() % 3 : rnd() % 5000;
			x->addr = rnd() % 20 == 0 ? 0 : a;
		} else {
			x->addr = rnd() % 20 == 0 ? 0 : rnd() % 10 == 0 ? UINT64_MAX - rnd() % 5 : a;
		}
	}
	return ev;
}

static void test_random(void **state)
{
	size_t n = 300000;
	struct sc_event *ev = random_events(n, 5000, 0);
	size_t one[] = { EVC_BLOCK_MAX }, mixed[] = { 1, 2, 7, 65536, 1000, 65535, 3 };
	round_trip(ev, n, 1, one, 1, 65535, UINT32_MAX);
	round_trip(ev, n, 1000, one, 1, 65535, UINT32_MAX);
	round_trip(ev, n, 1, mixed, 7, 65535, UINT32_MAX);
	round_trip(ev, n, 7, mixed, 7, 65535, UINT32_MAX);
	free(ev);
	/* times near the top of the range, big steps */
	ev = random_events(n, 1ull << 40, 1);
	round_trip(ev, n, 1, mixed, 7, 65535, UINT32_MAX);
	round_trip(ev, n, 1000, one, 1, 65535, UINT32_MAX);
	free(ev);
}

/* realloc pairs, allocations over live blocks, frees of what was never
 * allocated, then freed twice, free(NULL), failed allocations, all at one
 * time, with every function. */
static void test_adversarial(void **state)
{
	struct sc_event ev[64];
	size_t n = 0;
#define E(k, f, a, s) ev[n++] = (struct sc_event){ .time = 100, .kind = (k), .func = (f), .addr = (a), .size = (s), .stack = 1 }
	E(EV_FREE, FN_FREE, 0x500, 0);                  /* never allocated */
	E(EV_ALLOC, FN_MALLOC, 0x100, 10);
	E(EV_FREE, FN_REALLOC_MOVE, 0x100, 0);           /* realloc moves it */
	E(EV_ALLOC, FN_REALLOC, 0x200, 20);
	E(EV_ALLOC, FN_CALLOC, 0x200, 30);               /* over a live block */
	E(EV_ALLOC, FN_MALLOC, 0x200, 40);               /* and again */
	E(EV_FREE, FN_FREE, 0x200, 0);                   /* ends the last */
	E(EV_FREE, FN_FREE, 0x200, 0);                   /* twice */
	E(EV_FREE, FN_FREE, 0, 0);                       /* free(NULL) */
	E(EV_ALLOC, FN_MALLOC, 0, 50);                   /* failed */
	E(EV_ALLOC, FN_REALLOC, 0, 50);                  /* failed realloc */
	E(EV_FREE, FN_REALLOC, 0x300, 0);                /* realloc(p, 0) of nothing live */
	for (int f = 0; f < FN__COUNT; f++) {
		E(EV_ALLOC, f, 0x1000 + (uint64_t)f * 16, (uint64_t)f);
		E(EV_FREE, f, 0x1000 + (uint64_t)f * 16, 0);
	}
	E(EV_ALLOC, FN_MALLOC, UINT64_MAX, UINT64_MAX);
	E(EV_FREE, FN_FREE, UINT64_MAX, 0);
	E(EV_FREE, FN_FREE, 0x1000, 0);
#undef E
	ev[n - 1].time = UINT64_MAX;
	ev[n - 1].thread = 65534;
	size_t bs[] = { 1, 3, 64 };
	round_trip(ev, n, 1, bs, 1, 65535, 2);
	round_trip(ev, n, 1, bs + 1, 2, 65535, 2);
	round_trip(ev, n, 1000, bs + 2, 1, 65535, 2);
	/* a replacement whose block was itself a replacement, then freed in
	 * another block */
	size_t one[] = { 1 };
	round_trip(ev, n, 1, one, 1, 65535, 2);
}

/* The encoder refuses what it cannot store, and changes nothing then. */
static void test_refused(void **state)
{
	struct evc_encoder *e = evc_encoder_new(1);
	struct strbuf sb = STRBUF_INIT;
	struct sc_event ev[2] = { { .time = 10, .kind = EV_ALLOC, .addr = 1 }, { .time = 9, .kind = EV_FREE, .addr = 1 } };
	assert_int_equal(evc_encode(e, ev, 0, &sb), -EINVAL);
	assert_int_equal(evc_encode(e, ev, 2, &sb), -EINVAL);      /* back in time */
	assert_int_equal(sb.len, 0);
	assert_int_equal(evc_encode(e, ev, 1, &sb), 0);
	assert_int_equal(evc_encode(e, ev + 1, 1, &sb), -EINVAL);  /* before the last block */
	ev[1].time = 10;
	ev[1].kind = 3;
	assert_int_equal(evc_encode(e, ev + 1, 1, &sb), -EINVAL);
	ev[1].kind = EV_FREE;
	ev[1].func = FN__COUNT;
	assert_int_equal(evc_encode(e, ev + 1, 1, &sb), -EINVAL);
	assert_int_equal(evc_encoder_events(e), 1);
	struct sc_event *big = xcalloc(EVC_BLOCK_MAX + 1, sizeof(*big));
	for (size_t i = 0; i <= EVC_BLOCK_MAX; i++)
		big[i] = (struct sc_event){ .time = 20, .kind = EV_FREE };
	assert_int_equal(evc_encode(e, big, EVC_BLOCK_MAX + 1, &sb), -EINVAL);
	free(big);
	sb_release(&sb);
	evc_encoder_free(e);
}

/* A periodic program (5 sizes from 5 stacks, freed in order, a steady
 * clock) costs a few bytes per block, whatever its length. */
static void test_periodic(void **state)
{
	size_t n = 4 * EVC_BLOCK_MAX;
	struct sc_event *ev = xcalloc(n, sizeof(*ev));
	static const uint64_t sz[5] = { 16, 48, 100, 256, 1024 };
	for (size_t i = 0; i < n; i++) {
		size_t it = i / 10, k = i % 10;
		ev[i].time = i * 250;
		ev[i].thread = 1;
		if (k < 5) {
			ev[i] = (struct sc_event){ .time = i * 250, .thread = 1, .kind = EV_ALLOC, .func = FN_MALLOC,
						   .stack = 3 + (uint32_t)k, .size = sz[k],
						   .addr = 0x10000 + (it % 3) * 0x1000 + k * 0x100 };
		} else {
			ev[i] = (struct sc_event){ .time = i * 250, .thread = 1, .kind = EV_FREE, .func = FN_FREE,
						   .addr = 0x10000 + (it % 3) * 0x1000 + (k - 5) * 0x100 };
		}
	}
	size_t one[] = { EVC_BLOCK_MAX };
	size_t bytes = round_trip(ev, n, 1, one, 1, 2, 10);
	assert_true(bytes < 4 * 200);
	/* at the us the steady 250 ns steps are a period of 4 */
	bytes = round_trip(ev, n, 1000, one, 1, 2, 10);
	assert_true(bytes < 4 * 200);
	free(ev);
}

/* Events closer together than a tick: the times' column is mostly 0 and
 * goes as the positions of the others, under the 1 bit an event that
 * packing it would cost (65536 events: 8 KiB). */
static void test_sparse(void **state)
{
	size_t n = EVC_BLOCK_MAX;
	struct sc_event *ev = xcalloc(n, sizeof(*ev));
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++) {
		t += rnd() % 16 == 0 ? 1000 + rnd() % 2 * 1000 : rnd() % 3;
		ev[i] = (struct sc_event){ .time = t, .kind = EV_FREE, .func = FN_FREE };
	}
	size_t one[] = { EVC_BLOCK_MAX };
	size_t bytes = round_trip(ev, n, 1000, one, 1, 1, 1);
	if (bytes >= 4096)
		fail_msg("%zu bytes", bytes);
	/* and a column sparse after its predictor: the value 5 before */
	for (size_t i = 0; i < n; i++)
		ev[i].time = (i / 5) * 1000 + (i % 5 == 4 && rnd() % 8 == 0 ? 700 : 0);
	round_trip(ev, n, 1000, one, 1, 1, 1);
	free(ev);
}

/* Every prefix of a block, and blocks with bytes changed, are refused or
 * decode to events within range; nothing is read outside the block. */
static void test_damaged(void **state)
{
	size_t n = 5000;
	/* times mostly in the same us: the sparse form of a column is damaged too */
	struct sc_event *ev = random_events(n, 300, 0);
	for (size_t i = 0; i < n; i++) {
		ev[i].thread %= 4;
		ev[i].stack %= 100;
	}
	ev[7].thread = 3;
	ev[9].kind = EV_ALLOC;
	ev[9].stack = 99;
	struct evc_encoder *e = evc_encoder_new(1000);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(evc_encode(e, ev, n, &sb), 0);
	struct sc_event *out = xmalloc(EVC_BLOCK_MAX * sizeof(*out));
	for (size_t len = 0; len < sb.len; len += len < 300 ? 1 : 1 + rnd() % 64) {
		/* a copy of just len bytes, so that ASan sees a read past them */
		uint8_t *cut = xmalloc(len + 1);
		memcpy(cut, sb.buf, len);
		struct evc_decoder *d = evc_decoder_new(65535, UINT32_MAX);
		assert_true(evc_decode(d, cut, len, out) < 0);
		assert_true(evc_decoder_error(d)[0] != 0);
		/* and refuses every block after */
		assert_true(evc_decode(d, (const uint8_t *)sb.buf, sb.len, out) < 0);
		evc_decoder_free(d);
		free(cut);
	}
	uint8_t *m = xmalloc(sb.len);
	for (int round = 0; round < 3000; round++) {
		memcpy(m, sb.buf, sb.len);
		for (int k = 0; k < 1 + round % 4; k++)
			m[rnd() % sb.len] ^= (uint8_t)(1u << (rnd() % 8));
		struct evc_decoder *d = evc_decoder_new(4, 100);
		long r = evc_decode(d, m, sb.len, out);
		for (long i = 0; i < r; i++) {
			assert_true(out[i].thread < 4 && out[i].stack < 100);
			assert_true(out[i].kind == EV_ALLOC || out[i].kind == EV_FREE);
			assert_true(out[i].func < FN__COUNT);
			assert_true(!i || out[i].time >= out[i - 1].time);
		}
		evc_decoder_free(d);
	}
	/* indexes past the tables the decoder is given are refused */
	struct evc_decoder *d = evc_decoder_new(3, 100);
	assert_true(evc_decode(d, (const uint8_t *)sb.buf, sb.len, out) < 0);
	evc_decoder_free(d);
	d = evc_decoder_new(65535, 99);
	assert_true(evc_decode(d, (const uint8_t *)sb.buf, sb.len, out) < 0);
	evc_decoder_free(d);
	free(m);
	free(out);
	free(ev);
	sb_release(&sb);
	evc_encoder_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_adversarial),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
