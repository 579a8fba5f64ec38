/* Unit tests of the raw stream's record codec (format/rawrec.h): every record
 * type written by its put and read back by its get with extreme values (0, 1,
 * UINT64_MAX, negative and extreme deltas, empty strings and strings of the
 * longest length a get accepts, stacks of 0/1 and RAW_MAX_STACK frames); the
 * put stays within its RAW_<TYPE>_MAX bound; every truncation of a record is
 * refused by get; and the out-of-range fields finalize refused before (a
 * func past FN__COUNT, stacks too deep, strings too long, zero zone ids, a
 * ZNAME of unknown kind, ZEND flags past 16 bits) are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../format/rawrec.h"

static uint8_t buf[RAW_XSAMPLE_MAX(RAW_MAX_STACK) + 4 * (RAW_LONGSTR_MAX_LEN + 64)];
static uint64_t ipbuf[RAW_MAX_STACK];

static const int64_t DTS[] = { 0, 1, -1, INT64_MIN, INT64_MAX, 127, -64, 1000000 };
static const uint64_t U64S[] = { 0, 1, UINT64_MAX, 127, 128, (uint64_t)INT64_MAX + 1, 0x1234567890ull };
#define NDTS (sizeof(DTS) / sizeof(DTS[0]))
#define NU64 (sizeof(U64S) / sizeof(U64S[0]))

static char longstr[RAW_LONGSTR_MAX_LEN + 2];

/* Writes rec with raw_put_T, checks its length against MAX, that its head
 * reads back as ENUM and rec's dt, that every proper prefix is refused, and
 * leaves the full record decoded in *out (the reader at its end). */
#define ROUNDTRIP(T, ENUM, MAX, rec, out) do { \
	uint8_t *e_ = raw_put_##T(buf, (rec)); \
	size_t len_ = (size_t)(e_ - buf); \
	assert_true(len_ <= (size_t)(MAX)); \
	uint8_t ty_; \
	int64_t dt_; \
	for (size_t l_ = 0; l_ < len_; l_ += 1 + (len_ > 4096 ? len_ / 97 : 0)) { \
		struct fmt_reader t_ = { buf, buf + l_, 0 }; \
		int ok_ = raw_get_head(&t_, &ty_, &dt_) == 0 && raw_get_##T(&t_, (out)) == 0; \
		assert_false(ok_); \
		assert_true(t_.err); \
	} \
	{ /* the last byte missing, whatever the stride above */ \
		struct fmt_reader t_ = { buf, buf + len_ - 1, 0 }; \
		assert_false(raw_get_head(&t_, &ty_, &dt_) == 0 && raw_get_##T(&t_, (out)) == 0); \
	} \
	struct fmt_reader r_ = { buf, e_, 0 }; \
	assert_int_equal(raw_get_head(&r_, &ty_, &dt_), 0); \
	assert_int_equal(ty_, ENUM); \
	assert_true(dt_ == (rec)->dt); \
	assert_int_equal(raw_get_##T(&r_, (out)), 0); \
	assert_false(r_.err); \
	assert_ptr_equal(r_.p, e_); \
} while (0)

/* Decodes the record at buf..end and says whether its get accepted it. */
#define ACCEPTS(T, end, out) ({ \
	struct fmt_reader r_ = { buf, (end), 0 }; \
	uint8_t ty_; \
	int64_t dt_; \
	raw_get_head(&r_, &ty_, &dt_) == 0 && raw_get_##T(&r_, (out)) == 0 && r_.p == (end); \
})

static void str_eq(const char *got, uint32_t glen, const char *want, uint32_t wlen)
{
	assert_int_equal(glen, wlen);
	if (wlen)
		assert_memory_equal(got, want, wlen);
}

static void test_alloc_free(void **state)
{
	for (size_t i = 0; i < NDTS; i++)
		for (size_t j = 0; j < NU64; j++) {
			struct raw_alloc a = { DTS[i], (uint8_t)(j % FN__COUNT), U64S[j], U64S[NU64 - 1 - j],
					       DTS[(i + j) % NDTS] }, b;
			ROUNDTRIP(alloc, RAW_ALLOC, RAW_ALLOC_MAX, &a, &b);
			assert_int_equal(b.func, a.func);
			assert_true(b.stack == a.stack && b.size == a.size && b.daddr == a.daddr);
			struct raw_free f = { DTS[i], (uint8_t)(FN__COUNT - 1 - j % FN__COUNT), DTS[(i + j + 3) % NDTS] }, g;
			ROUNDTRIP(free, RAW_FREE, RAW_FREE_MAX, &f, &g);
			assert_int_equal(g.func, f.func);
			assert_true(g.daddr == f.daddr);
		}
	/* a func past the malloc family is refused */
	struct raw_alloc a = { 0, FN__COUNT, 1, 1, 1 }, b;
	assert_false(ACCEPTS(alloc, raw_put_alloc(buf, &a), &b));
	struct raw_free f = { 0, 0xff, 0 }, g;
	assert_false(ACCEPTS(free, raw_put_free(buf, &f), &g));
	(void)state;
}

static void test_stacks(void **state)
{
	static void *ips[RAW_MAX_STACK];
	static uint64_t want[RAW_MAX_STACK];
	const uint32_t ns[] = { 0, 1, 2, 17, RAW_MAX_STACK };
	for (size_t c = 0; c < sizeof(ns) / sizeof(ns[0]); c++) {
		uint32_t n = ns[c];
		for (uint32_t k = 0; k < n; k++) {
			/* up and down, the extremes included */
			uint64_t v = k % 3 == 0 ? UINT64_MAX - k : k % 3 == 1 ? (uint64_t)k : 0x7f0000001000ull + k * 977;
			want[k] = v;
			ips[k] = (void *)(uintptr_t)v;
		}
		struct raw_stack s = { 0, U64S[c % NU64], c ? RAW_STACK_EXACT_PC : 0, n, ips, NULL };
		struct raw_stack o = { .ipbuf = ipbuf };
		ROUNDTRIP(stack, RAW_STACK, RAW_STACK_MAX(n), &s, &o);
		assert_true(o.id == s.id && o.flags == s.flags);
		assert_int_equal(o.n, n);
		if (n)
			assert_memory_equal(o.ipbuf, want, n * sizeof(uint64_t));
		if (!n)
			continue;
		struct raw_xsample x = { DTS[c % NDTS], U64S[c % NU64], U64S[(c + 1) % NU64], RAW_SAMPLE_OFFCPU, n, want, NULL };
		struct raw_xsample y = { .ipbuf = ipbuf };
		memset(ipbuf, 0, sizeof(ipbuf));
		ROUNDTRIP(xsample, RAW_XSAMPLE, RAW_XSAMPLE_MAX(n), &x, &y);
		assert_true(y.ns == x.ns && y.weight == x.weight && y.flags == x.flags);
		assert_int_equal(y.n, n);
		assert_memory_equal(y.ipbuf, want, n * sizeof(uint64_t));
	}
	/* one frame too many; an XSAMPLE without frames */
	uint8_t *p = raw_put_head(buf, RAW_STACK, 0);
	p = fmt_put_u(p, 5);
	p = fmt_put_u(p, 0);
	p = fmt_put_u(p, RAW_MAX_STACK + 1);
	for (int k = 0; k <= RAW_MAX_STACK; k++)
		p = fmt_put_s(p, 1);
	struct raw_stack o = { .ipbuf = ipbuf };
	assert_false(ACCEPTS(stack, p, &o));
	struct raw_xsample x = { 0, 1, 1, 0, 0, want, NULL }, y = { .ipbuf = ipbuf };
	assert_false(ACCEPTS(xsample, raw_put_xsample(buf, &x), &y));
	(void)state;
}

static void test_module(void **state)
{
	const uint8_t bid[RAW_BUILDID_MAX_LEN + 1] = { 1, 2, 3, 0, 0xff };
	const uint32_t pl[] = { 0, 1, RAW_PATH_MAX_LEN }, bl[] = { 0, 20, RAW_BUILDID_MAX_LEN };
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < NU64; j++) {
			struct raw_module m = { DTS[j % NDTS], U64S[j], U64S[(j + 1) % NU64], U64S[(j + 2) % NU64],
						U64S[(j + 3) % NU64], longstr, pl[i], bid, bl[(i + j) % 3] }, o;
			ROUNDTRIP(module, RAW_MODULE, RAW_MODULE_MAX(m.path_len, m.bid_len), &m, &o);
			assert_true(o.id == m.id && o.bias == m.bias && o.lo == m.lo && o.hi == m.hi);
			str_eq(o.path, o.path_len, m.path, m.path_len);
			str_eq((const char *)o.bid, o.bid_len, (const char *)m.bid, m.bid_len);
			struct raw_unload u = { DTS[j % NDTS], U64S[j] }, v;
			ROUNDTRIP(unload, RAW_UNLOAD, RAW_UNLOAD_MAX, &u, &v);
			assert_true(v.id == u.id);
		}
	struct raw_module m = { 0, 1, 2, 3, 4, longstr, RAW_PATH_MAX_LEN + 1, bid, 0 }, o;
	assert_false(ACCEPTS(module, raw_put_module(buf, &m), &o));
	m.path_len = 3;
	m.bid_len = RAW_BUILDID_MAX_LEN + 1;
	assert_false(ACCEPTS(module, raw_put_module(buf, &m), &o));
	(void)state;
}

static void test_thread_proc(void **state)
{
	const uint32_t nl[] = { 0, 1, 16, RAW_TNAME_MAX_LEN };
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < NU64; j++) {
			struct raw_thread t = { DTS[j % NDTS], U64S[j], longstr, nl[i] }, o;
			ROUNDTRIP(thread, RAW_THREAD, RAW_THREAD_MAX(t.name_len), &t, &o);
			assert_true(o.tid == t.tid);
			str_eq(o.name, o.name_len, t.name, t.name_len);
			ROUNDTRIP(thread_end, RAW_THREAD_END, RAW_THREAD_END_MAX(t.name_len), &t, &o);
			assert_true(o.tid == t.tid);
			str_eq(o.name, o.name_len, t.name, t.name_len);
		}
	struct raw_thread t = { 0, 1, longstr, RAW_TNAME_MAX_LEN + 1 }, o;
	assert_false(ACCEPTS(thread, raw_put_thread(buf, &t), &o));

	const char argv[] = "prog\0--flag\0\0last";
	const uint32_t el[] = { 0, 1, RAW_LONGSTR_MAX_LEN };
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < NU64; j++) {
			struct raw_proc p = { DTS[j % NDTS], U64S[j], U64S[(j + 1) % NU64], U64S[(j + 2) % NU64],
					      U64S[(j + 3) % NU64], U64S[(j + 4) % NU64], longstr, el[i],
					      argv, (uint32_t)(j % 2 ? sizeof(argv) : 0) }, q;
			ROUNDTRIP(proc, RAW_PROC, RAW_PROC_MAX(p.exe_len, p.argv_len), &p, &q);
			assert_true(q.pid == p.pid && q.ppid == p.ppid && q.flags == p.flags && q.depth == p.depth &&
				    q.realtime == p.realtime);
			str_eq(q.exe, q.exe_len, p.exe, p.exe_len);
			str_eq(q.argv, q.argv_len, p.argv, p.argv_len);
		}
	struct raw_proc p = { 0, 1, 1, 1, 0, 0, longstr, RAW_LONGSTR_MAX_LEN + 1, "", 0 }, q;
	assert_false(ACCEPTS(proc, raw_put_proc(buf, &p), &q));
	(void)state;
}

static void test_scalars(void **state)
{
	for (size_t i = 0; i < NDTS; i++)
		for (size_t j = 0; j < NU64; j++) {
			uint64_t a = U64S[j], b = U64S[(j + 1) % NU64], c = U64S[(j + 2) % NU64];
			int64_t dt = DTS[i];
			struct raw_exit_rec x = { dt, a, DTS[(i + j) % NDTS] }, y;
			ROUNDTRIP(exit, RAW_EXIT, RAW_EXIT_MAX, &x, &y);
			assert_true(y.kind == x.kind && y.value == x.value);
			struct raw_lost l = { dt, a, b }, m;
			ROUNDTRIP(lost, RAW_LOST, RAW_LOST_MAX, &l, &m);
			assert_true(m.chunks == a && m.bytes == b);
			struct raw_end e = { dt }, f;
			ROUNDTRIP(end, RAW_END, RAW_END_MAX, &e, &f);
			struct raw_rss r = { dt, a }, s;
			ROUNDTRIP(rss, RAW_RSS, RAW_RSS_MAX, &r, &s);
			assert_true(s.bytes == a);
			struct raw_sample sa = { dt, a, b, c }, sb;
			ROUNDTRIP(sample, RAW_SAMPLE, RAW_SAMPLE_MAX, &sa, &sb);
			assert_true(sb.stack == a && sb.weight == b && sb.flags == c);
			struct raw_cpu ca = { dt, a, b }, cb;
			ROUNDTRIP(cpu, RAW_CPU, RAW_CPU_MAX, &ca, &cb);
			assert_true(cb.hz == a && cb.source == b);
			struct raw_offcpu oa = { dt, a, b }, ob;
			ROUNDTRIP(offcpu, RAW_OFFCPU, RAW_OFFCPU_MAX, &oa, &ob);
			assert_true(ob.stack == a && ob.dur == b);
			struct raw_pcpu pa = { dt, a, b }, pb;
			ROUNDTRIP(pcpu, RAW_PCPU, RAW_PCPU_MAX, &pa, &pb);
			assert_true(pb.phase == a && pb.ns == b);
			struct raw_cpu_refused ra = { dt, a }, rb;
			ROUNDTRIP(cpu_refused, RAW_CPU_REFUSED, RAW_CPU_REFUSED_MAX, &ra, &rb);
			assert_true(rb.err == a);
			struct raw_lost_events la = { dt, a }, lb;
			ROUNDTRIP(lost_events, RAW_LOST_EVENTS, RAW_LOST_EVENTS_MAX, &la, &lb);
			assert_true(lb.events == a);
		}
	(void)state;
}

static void test_exec_note(void **state)
{
	const uint32_t ls[] = { 0, 1, 4096, RAW_LONGSTR_MAX_LEN };
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < NU64; j++) {
			struct raw_exec x = { DTS[j % NDTS], longstr, ls[i] }, y;
			ROUNDTRIP(exec, RAW_EXEC, RAW_EXEC_MAX(x.path_len), &x, &y);
			str_eq(y.path, y.path_len, x.path, x.path_len);
			struct raw_note_rec n = { DTS[j % NDTS], U64S[j], U64S[(j + 1) % NU64], longstr + 1, ls[i],
						  longstr, ls[(i + 1) % 4] }, o;
			ROUNDTRIP(note, RAW_NOTE, RAW_NOTE_MAX(n.path_len, n.detail_len), &n, &o);
			assert_true(o.kind == n.kind && o.pid == n.pid);
			str_eq(o.path, o.path_len, n.path, n.path_len);
			str_eq(o.detail, o.detail_len, n.detail, n.detail_len);
		}
	struct raw_exec x = { 0, longstr, RAW_LONGSTR_MAX_LEN + 1 }, y;
	assert_false(ACCEPTS(exec, raw_put_exec(buf, &x), &y));
	struct raw_note_rec n = { 0, 1, 2, "", 0, longstr, RAW_LONGSTR_MAX_LEN + 1 }, o;
	assert_false(ACCEPTS(note, raw_put_note(buf, &n), &o));
	(void)state;
}

static void test_zones(void **state)
{
	const uint32_t ls[] = { 0, 1, RAW_ZSTR_MAX_LEN };
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < NU64; j++) {
			uint64_t id = U64S[j] ? U64S[j] : 2;
			int64_t dt = DTS[(i + j) % NDTS];
			struct raw_zname_rec s = { dt, id, ZNAME_STRING, longstr, longstr + 2, ls[i], ls[(i + 1) % 3],
					       U64S[(j + 1) % NU64], 0 }, t;
			ROUNDTRIP(zname, RAW_ZNAME, RAW_ZNAME_MAX(s.name_len, s.file_len), &s, &t);
			assert_true(t.id == id && t.kind == ZNAME_STRING && t.line == s.line && t.addr == 0);
			str_eq(t.name, t.name_len, s.name, s.name_len);
			str_eq(t.file, t.file_len, s.file, s.file_len);
			struct raw_zname_rec f = { dt, id, ZNAME_FUNC, NULL, NULL, 0, 0, 0, U64S[(j + 2) % NU64] }, g;
			ROUNDTRIP(zname, RAW_ZNAME, RAW_ZNAME_MAX(0, 0), &f, &g);
			assert_true(g.id == id && g.kind == ZNAME_FUNC && g.addr == f.addr && !g.name_len && !g.file_len);
			struct raw_zthread zt = { dt, longstr, ls[i] }, zu;
			ROUNDTRIP(zthread, RAW_ZTHREAD, RAW_ZTHREAD_MAX(zt.name_len), &zt, &zu);
			str_eq(zu.name, zu.name_len, zt.name, zt.name_len);
		}
	for (size_t j = 0; j < NU64; j++) {
		uint64_t id = U64S[j] ? U64S[j] : 1, a = U64S[(j + 1) % NU64], b = U64S[(j + 2) % NU64];
		int64_t dt = DTS[j % NDTS];
		struct raw_zid zb = { dt, id }, zc;
		ROUNDTRIP(zbegin, RAW_ZBEGIN, RAW_ZBEGIN_MAX, &zb, &zc);
		assert_true(zc.id == id);
		ROUNDTRIP(zmark, RAW_ZMARK, RAW_ZMARK_MAX, &zb, &zc);
		assert_true(zc.id == id);
		ROUNDTRIP(zend0, RAW_ZEND0, RAW_ZEND0_MAX, &zb, &zc);
		assert_true(zc.id == id);
		for (uint64_t fl = 0; fl < 8; fl++) {
			struct raw_zend e = { dt, U64S[j], a, b, fl | (j % 2 ? 0xff00u : 0),
					      (fl & RAW_ZF_DROPPED_KIDS) ? U64S[(j + 3) % NU64] : 0 }, f;
			ROUNDTRIP(zend, RAW_ZEND, RAW_ZEND_MAX, &e, &f);
			assert_true(f.id == e.id && f.allocs == a && f.bytes == b && f.flags == e.flags && f.kids == e.kids);
		}
		const double vals[] = { 0.0, -0.0, 1.5, -1e308, INFINITY, (double)UINT64_MAX };
		struct raw_zcounter zk = { dt, id, vals[j % 6] }, zl;
		ROUNDTRIP(zcounter, RAW_ZCOUNTER, RAW_ZCOUNTER_MAX, &zk, &zl);
		assert_true(zl.id == id);
		assert_memory_equal(&zl.value, &zk.value, sizeof(double));
		struct raw_zerror_rec ze = { dt, a, b, U64S[j] }, zf;
		ROUNDTRIP(zerror, RAW_ZERROR, RAW_ZERROR_MAX, &ze, &zf);
		assert_true(zf.kind == a && zf.expected == b && zf.given == U64S[j]);
		struct raw_zdrop d = { dt, id, { 0 } }, e;
		for (int k = 0; k < RAW_ZDROP_N; k++)
			d.v[k] = U64S[(j + (size_t)k) % NU64];
		ROUNDTRIP(zdrop, RAW_ZDROP, RAW_ZDROP_MAX, &d, &e);
		assert_true(e.id == id);
		assert_memory_equal(e.v, d.v, sizeof(d.v));
	}
	/* zero ids, an unknown ZNAME kind, strings too long, ZEND flags past 16 bits */
	struct raw_zid z0 = { 0, 0 }, z1;
	assert_false(ACCEPTS(zbegin, raw_put_zbegin(buf, &z0), &z1));
	assert_false(ACCEPTS(zmark, raw_put_zmark(buf, &z0), &z1));
	struct raw_zcounter c0 = { 0, 0, 1.0 }, c1;
	assert_false(ACCEPTS(zcounter, raw_put_zcounter(buf, &c0), &c1));
	struct raw_zdrop d0 = { 0, 0, { 1 } }, d1;
	assert_false(ACCEPTS(zdrop, raw_put_zdrop(buf, &d0), &d1));
	struct raw_zname_rec n0 = { 0, 0, ZNAME_FUNC, NULL, NULL, 0, 0, 0, 1 }, n1;
	assert_false(ACCEPTS(zname, raw_put_zname(buf, &n0), &n1));
	n0.id = 1;
	assert_true(ACCEPTS(zname, raw_put_zname(buf, &n0), &n1));
	n0.kind = 2;
	assert_false(ACCEPTS(zname, raw_put_zname(buf, &n0), &n1));
	struct raw_zname_rec nl = { 0, 1, ZNAME_STRING, longstr, "", RAW_ZSTR_MAX_LEN + 1, 0, 1, 0 };
	assert_false(ACCEPTS(zname, raw_put_zname(buf, &nl), &n1));
	struct raw_zthread tl = { 0, longstr, RAW_ZSTR_MAX_LEN + 1 }, tm;
	assert_false(ACCEPTS(zthread, raw_put_zthread(buf, &tl), &tm));
	struct raw_zend e0 = { 0, 1, 0, 0, 0x10000, 0 }, e1;
	assert_false(ACCEPTS(zend, raw_put_zend(buf, &e0), &e1));
	(void)state;
}

/* Records one after another in a chunk: each get leaves the reader at the
 * next head, and the end of the chunk reads as no further head. */
static void test_sequence(void **state)
{
	uint8_t *p = buf;
	struct raw_alloc a = { 5, FN_CALLOC, 3, 48, 0x1000 };
	struct raw_free f = { -2, FN_FREE, -0x1000 };
	struct raw_end e = { 0 };
	p = raw_put_alloc(p, &a);
	p = raw_put_free(p, &f);
	p = raw_put_end(p, &e);
	struct fmt_reader r = { buf, p, 0 };
	uint8_t ty;
	int64_t dt;
	struct raw_alloc a2;
	struct raw_free f2;
	struct raw_end e2;
	assert_int_equal(raw_get_head(&r, &ty, &dt), 0);
	assert_int_equal(ty, RAW_ALLOC);
	assert_int_equal(raw_get_alloc(&r, &a2), 0);
	assert_true(dt == 5 && a2.size == 48 && a2.daddr == 0x1000);
	assert_int_equal(raw_get_head(&r, &ty, &dt), 0);
	assert_int_equal(ty, RAW_FREE);
	assert_int_equal(raw_get_free(&r, &f2), 0);
	assert_true(dt == -2 && f2.daddr == -0x1000 && f2.func == FN_FREE);
	assert_int_equal(raw_get_head(&r, &ty, &dt), 0);
	assert_int_equal(ty, RAW_END);
	assert_int_equal(raw_get_end(&r, &e2), 0);
	assert_ptr_equal(r.p, p);
	assert_int_equal(raw_get_head(&r, &ty, &dt), -1);
	/* an overlong varint is refused */
	memset(buf, 0xff, 12);
	buf[0] = RAW_RSS;
	struct fmt_reader o = { buf, buf + 12, 0 };
	assert_int_equal(raw_get_head(&o, &ty, &dt), -1);
	(void)state;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(longstr) - 1; i++)
		longstr[i] = (char)('a' + i % 26);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_free),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_module),
		cmocka_unit_test(test_thread_proc),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_exec_note),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_sequence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
