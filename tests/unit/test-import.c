/* Unit tests of `scorch import`'s readers (analysis/import-perf.c and the
 * folded import of analysis/import.c): small perf script and folded texts
 * written out here, with the exact stacks, threads, weights, times and
 * modules they must give, the header and frame variants perf prints, and
 * the exact "name:line: why" message of each kind of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/import-perf.h"
#include "../../analysis/import.h"
#include "../../analysis/profile-io.h"
#include "../../lib/strbuf.h"

/* Imports perf text s, asserting success. */
static struct sc_profile *perf(const char *s, const char *event, struct import_perf_info *info)
{
	struct import_perf_options o = { .event = event };
	struct sc_profile *p = NULL;
	char err[512] = "";
	int rc = import_perf(s, strlen(s), "t.perf", &o, &p, info, err, sizeof(err));
	if (rc)
		fail_msg("import failed: %s", err);
	assert_non_null(p);
	return p;
}

/* Imports perf text s, asserting failure; returns the message. */
static const char *perf_err(const char *s, size_t len, const char *event)
{
	static char err[512];
	struct import_perf_options o = { .event = event };
	struct sc_profile *p = (struct sc_profile *)1;
	err[0] = '\0';
	assert_int_equal(import_perf(s, len, "t.perf", &o, &p, NULL, err, sizeof(err)), -1);
	assert_null(p);
	return err;
}

/* Sample i's stack as "inner<-...<-outer", inlined frames marked "~",
 * unknown ones as "?@module+0xaddr". */
static const char *stack_of(const struct sc_profile *p, size_t i)
{
	static struct strbuf sb;
	sb_reset(&sb);
	const struct sc_stack *st = &p->stacks[p->samples[i].stack];
	for (uint32_t k = 0; k < st->nlocs; k++) {
		const struct sc_location *l = &p->locations[st->locs[k]];
		assert_int_equal(l->nlines, 1);
		if (k)
			sb_adds(&sb, "<-");
		const struct sc_line *ln = &l->lines[0];
		if (!strcmp(ln->func, "??"))
			sb_addf(&sb, "?@%s+0x%llx", l->module >= 0 ? p->modules[l->module].name : "-",
				(unsigned long long)l->addr);
		else
			sb_adds(&sb, ln->func);
		if (ln->inlined)
			sb_addc(&sb, '~');
		if (ln->line)
			sb_addf(&sb, "@%s:%u", ln->file, ln->line);
	}
	return sb_str(&sb);
}

static const char *module_of(const struct sc_profile *p, size_t sample, uint32_t frame)
{
	const struct sc_stack *st = &p->stacks[p->samples[sample].stack];
	assert_true(frame < st->nlocs);
	int32_t m = p->locations[st->locs[frame]].module;
	return m < 0 ? "-" : p->modules[m].path;
}

static const char basic[] =
	"prog 1000  100.000100:    1000000 cpu-clock: \n"
	"\t            11df leaf_a+0x49 (/bin/prog)\n"
	"\t            13da main+0xf4 (/bin/prog)\n"
	"\t           2724a __libc_start_call_main+0x7a (/usr/lib/libc.so.6)\n"
	"\n"
	"prog 1000  100.001100:    1000000 cpu-clock: \n"
	"\t            11df leaf_a+0x49 (/bin/prog)\n"
	"\t            13da main+0xf4 (/bin/prog)\n"
	"\t           2724a __libc_start_call_main+0x7a (/usr/lib/libc.so.6)\n"
	"\n"
	"prog 1000  100.002100:    1000000 cpu-clock: \n"
	"\t            1250 leaf_b+0x10 (/bin/prog)\n"
	"\t            13f5 main+0x10f (/bin/prog)\n"
	"\t           2724a __libc_start_call_main+0x7a (/usr/lib/libc.so.6)\n"
	"\n"
	"worker 1001  100.002600:    1000000 cpu-clock: \n"
	"\tffffffff821ef666 do_syscall_64+0x46 ([kernel.kallsyms])\n"
	"\t             be1 __vdso_clock_gettime+0xf1 ([vdso])\n"
	"\t            1250 leaf_b+0x10 (/bin/prog)\n"
	"\n";

/* Stacks, threads, modules, weights, times and rates of a plain -g text. */
static void test_basic(void **state)
{
	struct import_perf_info info;
	struct sc_profile *p = perf(basic, NULL, &info);
	assert_int_equal(p->nsamples, 4);
	assert_string_equal(stack_of(p, 0), "leaf_a<-main<-__libc_start_call_main");
	assert_string_equal(stack_of(p, 1), "leaf_a<-main<-__libc_start_call_main");
	assert_string_equal(stack_of(p, 2), "leaf_b<-main<-__libc_start_call_main");
	assert_string_equal(stack_of(p, 3), "do_syscall_64<-__vdso_clock_gettime<-leaf_b");
	/* identical stacks are one stack; stack 0 stays the empty one */
	assert_int_equal(p->samples[0].stack, p->samples[1].stack);
	assert_int_equal(p->nstacks, 4);
	assert_int_equal(p->stacks[0].nlocs, 0);
	/* same (dso, addr, symbol): one location */
	assert_int_equal(p->nlocations, 7);
	assert_int_equal(p->nmodules, 4);
	assert_string_equal(module_of(p, 0, 0), "/bin/prog");
	assert_string_equal(module_of(p, 0, 2), "/usr/lib/libc.so.6");
	assert_string_equal(module_of(p, 3, 0), "[kernel.kallsyms]");
	assert_string_equal(p->modules[p->locations[p->stacks[p->samples[0].stack].locs[2]].module].name,
			    "libc.so.6");
	/* addresses as perf printed them */
	assert_int_equal(p->locations[p->stacks[p->samples[3].stack].locs[0]].addr, 0xffffffff821ef666ull);
	/* times relative to the first sample, in ns */
	assert_int_equal(p->samples[0].time, 0);
	assert_int_equal(p->samples[1].time, 1000000);
	assert_int_equal(p->samples[3].time, 2500000);
	assert_int_equal(p->duration, 2500000);
	/* cpu-clock: weight = period in ns; the rate from the median period */
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(p->samples[i].weight, 1000000);
	assert_int_equal(p->cpu_time_ns, 4000000);
	assert_int_equal(p->sample_hz, 1000);
	assert_string_equal(p->sample_source, "perf script (cpu-clock)");
	assert_true(p->flags & PROF_CPU);
	assert_false(p->flags & PROF_HEAP);
	/* a thread per tid, named by its comm, spanning its samples */
	assert_int_equal(p->nthreads, 2);
	assert_int_equal(p->threads[p->samples[0].thread].tid, 1000);
	assert_string_equal(p->threads[p->samples[0].thread].name, "prog");
	assert_int_equal(p->threads[p->samples[3].thread].tid, 1001);
	assert_string_equal(p->threads[p->samples[3].thread].name, "worker");
	assert_int_equal(p->threads[0].start, 0);
	assert_int_equal(p->threads[0].end, 2000000);
	/* the program: the module named like a comm */
	assert_string_equal(p->exe, "/bin/prog");
	assert_int_equal(p->pid, 0);  /* perf printed tids only */
	for (size_t i = 0; i < p->nmodules; i++)
		assert_int_equal(p->modules[i].is_main, !strcmp(p->modules[i].path, "/bin/prog"));
	assert_int_equal(info.samples, 4);
	assert_int_equal(info.skipped, 0);
	assert_string_equal(info.event, "cpu-clock");
	assert_true(info.ns_weights);
	profile_free(p);
}

/* pid/tid, cpu, comms with spaces, modifiers, --ns times, unknown frames,
 * mangled names, C++ names with parentheses, "(deleted)" dsos, comments. */
static void test_variants(void **state)
{
	static const char s[] =
		"# ========\n"
		"# hostname : buildbox\n"
		"# cmdline : /usr/bin/perf record -g -- ./app\n"
		"# ========\n"
		"#\n"
		"Web Content 42/43 [001]  7.000000001:     250000 cpu-clock:u: \n"
		"\t    7f0012345678 [unknown] (/usr/lib/libfoo.so)\n"
		"\t            1234 _Z3fooi+0x10 (/opt/app (deleted))\n"
		"\t            2000 std::vector<int, std::allocator<int> >::push_back(int const&)+0x5 (/opt/app (deleted))\n"
		"\t               0 [unknown] ([unknown])\n"
		"\n"
		"Web Content 42/44 [000]  7.000250001:     250000 cpu-clock:u: \n"
		"\t            3000 (anonymous namespace)::run()+0x1 (/opt/app (deleted))\n"
		"\n"
		"cpu-split 22801/22801 [000] 7.000500001: 250000 cpu-clock:      5621dc3a21df work_a+0x49 (/bin/cpu-split)\n"
		"cpu-split 22801/22801 [000] 7.000500001: PERF_RECORD_COMM: cpu-split:22801/22801\n";
	struct import_perf_info info;
	struct sc_profile *p = perf(s, NULL, &info);
	assert_int_equal(p->nsamples, 3);
	assert_string_equal(stack_of(p, 0), "?@libfoo.so+0x7f0012345678<-foo(int)<-"
			    "std::vector<int, std::allocator<int> >::push_back(int const&)<-?@-+0x0");
	assert_string_equal(module_of(p, 0, 1), "/opt/app (deleted)");
	assert_string_equal(module_of(p, 0, 3), "-");
	assert_string_equal(stack_of(p, 1), "(anonymous namespace)::run()");
	/* without -g the one frame follows the event on the header line */
	assert_string_equal(stack_of(p, 2), "work_a");
	assert_int_equal(p->locations[p->stacks[p->samples[2].stack].locs[0]].addr, 0x5621dc3a21dfull);
	assert_int_equal(p->samples[1].time, 250000);
	assert_int_equal(p->samples[2].time, 500000);
	assert_int_equal(p->nthreads, 3);
	assert_string_equal(p->threads[p->samples[0].thread].name, "Web Content");
	assert_int_equal(p->threads[p->samples[1].thread].tid, 44);
	assert_int_equal(p->pid, 42);
	assert_int_equal(info.processes, 2);
	assert_string_equal(info.event, "cpu-clock:u");
	assert_string_equal(p->sample_source, "perf script (cpu-clock:u)");
	/* ":u" and no modifier are the same event */
	assert_int_equal(info.skipped, 0);
	assert_int_equal(p->sample_hz, 4000);
	assert_string_equal(p->host, "buildbox");
	assert_string_equal(p->cmdline, "/usr/bin/perf record -g -- ./app");
	assert_string_equal(p->exe, "/bin/cpu-split");
	profile_free(p);
}

/* "(inlined)" frames and -F +srcline lines. */
static void test_inline_srcline(void **state)
{
	static const char s[] =
		"app 7 1.000000: 1000000 task-clock: \n"
		"\t            1100 helper\n"
		"  helper.h:12 (inlined)\n"
		"\t            1100 compute+0x20 (/bin/app)\n"
		"  app.c:40\n"
		"\t            1200 main+0x8 (/bin/app)\n"
		"  ??:0\n"
		"\t            1300 inner (inlined)\n"
		"\t            1300 outer+0x3 (/lib/libx.so)\n"
		"\t            1400 start_impl+0x84 (inlined)\n"
		"\t            10a0 _start+0x20 (/bin/app)\n"
		"\n";
	struct sc_profile *p = perf(s, NULL, NULL);
	assert_int_equal(p->nsamples, 1);
	assert_string_equal(stack_of(p, 0),
			    "helper~@helper.h:12<-compute@app.c:40<-main<-inner~<-outer<-start_impl~<-_start");
	/* an inlined frame belongs to the module of the frame it is inlined into */
	assert_string_equal(module_of(p, 0, 0), "/bin/app");
	assert_string_equal(module_of(p, 0, 3), "/lib/libx.so");
	/* perf also says "(inlined)" of an alias with no real frame at its
	 * address (libc's __libc_start_main_impl): module unknown */
	assert_string_equal(module_of(p, 0, 5), "-");
	assert_string_equal(module_of(p, 0, 6), "/bin/app");
	assert_int_equal(p->samples[0].weight, 1000000);
	assert_string_equal(p->exe, "/bin/app");
	profile_free(p);
}

static const char two_events[] =
	"prog 5 1.000000: 1000 page-faults: \n"
	"\t 10 a (/bin/prog)\n"
	"\n"
	"prog 5 1.000100: 1000000 cpu-clock: \n"
	"\t 20 b (/bin/prog)\n"
	"\n"
	"prog 5 1.000200: 1000 page-faults: \n"
	"\t 10 a (/bin/prog)\n"
	"\n"
	"prog 5 1.000300: 1 sched:sched_switch: prev_comm=prog prev_pid=5 ==> next_comm=x\n"
	"\t 30 c (/bin/prog)\n"
	"\n";

/* The first sample's event is imported unless --event names one; a
 * non-time event weighs 1 per sample and has no rate or CPU time. */
static void test_events(void **state)
{
	struct import_perf_info info;
	struct sc_profile *p = perf(two_events, NULL, &info);
	assert_int_equal(p->nsamples, 2);
	assert_string_equal(stack_of(p, 0), "a");
	assert_int_equal(p->samples[0].weight, 1);
	assert_int_equal(p->samples[1].weight, 1);
	assert_int_equal(p->cpu_time_ns, 0);
	assert_int_equal(p->sample_hz, 0);
	assert_false(info.ns_weights);
	assert_int_equal(info.skipped, 2);
	assert_string_equal(info.skipped_events, "cpu-clock, sched:sched_switch");
	profile_free(p);

	p = perf(two_events, "cpu-clock", &info);
	assert_int_equal(p->nsamples, 1);
	assert_string_equal(stack_of(p, 0), "b");
	assert_int_equal(p->samples[0].weight, 1000000);
	assert_int_equal(info.skipped, 3);
	assert_string_equal(info.skipped_events, "page-faults, sched:sched_switch");
	profile_free(p);

	p = perf(two_events, "sched:sched_switch", &info);
	assert_int_equal(p->nsamples, 1);
	assert_string_equal(stack_of(p, 0), "c");
	profile_free(p);

	assert_string_equal(perf_err(two_events, strlen(two_events), "cycles"),
			    "t.perf: no samples of event 'cycles' (the input has: page-faults, "
			    "cpu-clock, sched:sched_switch)");
}

/* Samples out of time order are sorted; the thread keeps its last comm. */
static void test_order_and_names(void **state)
{
	static const char s[] =
		"prog 9 2.000000: 1000000 cpu-clock: \n"
		"\t 2 late (/p)\n"
		"\n"
		"heavy 9 1.000000: 1000000 cpu-clock: \n"
		"\t 1 early (/p)\n"
		"\n"
		"heavy 9 3.000000: 1000000 cpu-clock: \n"
		"\t 3 last (/p)\n";   /* no blank line at the end */
	struct sc_profile *p = perf(s, NULL, NULL);
	assert_int_equal(p->nsamples, 3);
	assert_string_equal(stack_of(p, 0), "early");
	assert_string_equal(stack_of(p, 1), "late");
	assert_string_equal(stack_of(p, 2), "last");
	assert_int_equal(p->samples[1].time, 1000000000);
	assert_int_equal(p->samples[2].time, 2000000000);
	assert_int_equal(p->nthreads, 1);
	assert_string_equal(p->threads[0].name, "heavy");
	profile_free(p);
}

/* Every kind of bad input: one message with the file and the line. */
static void test_errors(void **state)
{
	assert_string_equal(perf_err("", 0, NULL), "t.perf: empty input: no perf script samples");
	assert_string_equal(perf_err("\n  \n\n", 5, NULL), "t.perf: empty input: no perf script samples");
	assert_string_equal(perf_err("# only\n# comments\n", 18, NULL),
			    "t.perf: no samples: not a single 'COMM TID TIME: PERIOD EVENT:' header "
			    "line (is this `perf script` output?)");
	static const char bad_header[] =
		"prog 5 1.000000: 1000 cpu-clock: \n"
		"\t 10 a (/bin/prog)\n"
		"\n"
		"prog 5 yesterday: 1000 cpu-clock:\n";
	assert_string_equal(perf_err(bad_header, strlen(bad_header), NULL),
			    "t.perf:4: not a perf script sample header (expected 'COMM [PID/]TID "
			    "[CPU] TIME: [PERIOD] EVENT:'): 'prog 5 yesterday: 1000 cpu-clock:'");
	static const char no_event[] = "prog 5 1.000000: 1000\n";
	assert_string_equal(perf_err(no_event, strlen(no_event), NULL),
			    "t.perf:1: not a perf script sample header (expected 'COMM [PID/]TID "
			    "[CPU] TIME: [PERIOD] EVENT:'): 'prog 5 1.000000: 1000'");
	static const char orphan[] = "\n\t 10 a (/bin/prog)\n";
	assert_string_equal(perf_err(orphan, strlen(orphan), NULL),
			    "t.perf:2: frame line outside a sample (no sample header above it since "
			    "the last blank line): '10 a (/bin/prog)'");
	static const char bad_frame[] =
		"prog 5 1.000000: 1000 cpu-clock: \n"
		"\t 10 a (/bin/prog)\n"
		"\t zz b (/bin/prog)\n";
	assert_string_equal(perf_err(bad_frame, strlen(bad_frame), NULL),
			    "t.perf:3: bad frame line (expected 'ADDRESS SYMBOL+OFFSET (DSO)'): "
			    "'zz b (/bin/prog)'");
	static const char long_addr[] =
		"prog 5 1.000000: 1000 cpu-clock: \n"
		"\t 11112222333344445 a (/bin/prog)\n";
	assert_string_equal(perf_err(long_addr, strlen(long_addr), NULL),
			    "t.perf:2: bad frame line (expected 'ADDRESS SYMBOL+OFFSET (DSO)'): "
			    "'11112222333344445 a (/bin/prog)'");
	static const char nul[] = "prog 5 1.000000: 1000 cpu-clock: \n\t 10 a\0b (/x)\n";
	assert_string_equal(perf_err(nul, sizeof(nul) - 1, NULL),
			    "t.perf:2: NUL byte in the text; is this perf script output?");
	/* a message quotes at most 60 bytes of the line, and no more than it has */
	static const char longline[] =
		"this line is not perf script output and it goes on and on and on and on\n";
	assert_string_equal(perf_err(longline, strlen(longline), NULL),
			    "t.perf:1: not a perf script sample header (expected 'COMM [PID/]TID "
			    "[CPU] TIME: [PERIOD] EVENT:'): 'this line is not perf script output "
			    "and it goes on and on an'");
	static const char cut[] = "prog 5 1.0: 1 cpu-clock:\n\tgarbage";
	assert_string_equal(perf_err(cut, strlen(cut), NULL),
			    "t.perf:2: bad frame line (expected 'ADDRESS SYMBOL+OFFSET (DSO)'): "
			    "'garbage'");
}

static bool is_header(const char *s)
{
	return import_perf_is_header(s, strlen(s));
}

static void test_is_header(void **state)
{
	assert_true(is_header("cpu-split 22801  8256.975449:    1001001 cpu-clock: "));
	assert_true(is_header("       cpu-split 22801/22801 [001] 8256.975449: 1 cpu-clock:u:"));
	assert_true(is_header("a b c 1 1.5: ev:"));
	assert_false(is_header("main;work_a;leaf 12"));
	assert_false(is_header("\t            11df work_a+0x49 (/x)"));
	assert_false(is_header("prog 5 1.0: PERF_RECORD_MMAP2 5/5: [0x1(0x2) @ 0]: r-xp /x"));
	assert_false(is_header("prog 1.0: 1 cpu-clock:"));      /* no tid */
	assert_false(is_header("prog x 1.0: 1 cpu-clock:"));
	assert_false(is_header(""));
}

/* An imported profile reads back with profile_read, equal in what counts. */
static void test_roundtrip(void **state)
{
	struct sc_profile *p = perf(basic, NULL, NULL);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/scorch-unit-import-%d.scorch", (int)getpid());
	assert_int_equal(profile_write(p, path), 0);
	struct sc_profile *q = NULL;
	char err[256];
	assert_int_equal(profile_read(path, &q, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(q->nsamples, p->nsamples);
	assert_int_equal(q->nstacks, p->nstacks);
	assert_int_equal(q->nthreads, p->nthreads);
	assert_int_equal(q->cpu_time_ns, p->cpu_time_ns);
	assert_int_equal(q->sample_hz, p->sample_hz);
	assert_string_equal(q->sample_source, p->sample_source);
	for (size_t i = 0; i < p->nsamples; i++) {
		char want[256];
		snprintf(want, sizeof(want), "%s", stack_of(p, i));
		assert_string_equal(stack_of(q, i), want);
		assert_int_equal(q->samples[i].time, p->samples[i].time);
		assert_int_equal(q->samples[i].weight, p->samples[i].weight);
	}
	assert_string_equal(stack_of(q, 3), "do_syscall_64<-__vdso_clock_gettime<-leaf_b");
	profile_free(q);
	profile_free(p);
}

/* ---- folded ---- */

static struct sc_profile *folded(const char *s, uint32_t hz)
{
	struct sc_profile *p = NULL;
	char err[512] = "";
	if (import_folded(s, strlen(s), "t.folded", hz, &p, err, sizeof(err)))
		fail_msg("import failed: %s", err);
	return p;
}

static const char *folded_err(const char *s, size_t len)
{
	static char err[512];
	struct sc_profile *p = (struct sc_profile *)1;
	err[0] = '\0';
	assert_int_equal(import_folded(s, len, "t.folded", 0, &p, err, sizeof(err)), -1);
	assert_null(p);
	return err;
}

/* Each count is that many samples of the line's stack, innermost first. */
static void test_folded(void **state)
{
	static const char s[] =
		"main;work_a 5\n"
		"main;work_b;inner_[i] 3\n"
		"\n"
		"main;work_a 2\n"
		"main 0\n"
		"_start;_Z3fooi 1\r\n";
	struct sc_profile *p = folded(s, 0);
	assert_int_equal(p->nsamples, 11);
	size_t a = 0, b = 0, f = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const char *st = stack_of(p, i);
		if (!strcmp(st, "work_a<-main"))
			a++;
		else if (!strcmp(st, "inner~<-work_b<-main"))
			b++;
		else if (!strcmp(st, "foo(int)<-_start"))
			f++;
		else
			fail_msg("unexpected stack %s", st);
		assert_int_equal(p->samples[i].time, 0);
		assert_int_equal(p->samples[i].weight, 0);
		assert_int_equal(p->samples[i].thread, 0);
	}
	assert_int_equal(a, 7);
	assert_int_equal(b, 3);
	assert_int_equal(f, 1);
	assert_int_equal(p->nstacks, 4);
	assert_int_equal(p->nmodules, 0);
	assert_int_equal(p->locations[0].module, -1);
	assert_int_equal(p->nthreads, 1);
	assert_string_equal(p->threads[0].name, "folded");
	assert_int_equal(p->cpu_time_ns, 0);
	assert_int_equal(p->sample_hz, 0);
	assert_string_equal(p->sample_source, "folded stacks");
	assert_string_equal(p->exe, "t.folded");
	assert_true(p->flags & PROF_CPU);
	profile_free(p);

	p = folded("a;b 4\n", 250);
	assert_int_equal(p->nsamples, 4);
	assert_int_equal(p->samples[0].weight, 4000000);
	assert_int_equal(p->cpu_time_ns, 16000000);
	assert_int_equal(p->sample_hz, 250);
	profile_free(p);
}

static void test_folded_errors(void **state)
{
	assert_string_equal(folded_err("", 0), "t.folded: empty input: no folded stacks");
	assert_string_equal(folded_err("a;b 0\n", 6), "t.folded: no samples: every line has the count 0");
	static const char no_count[] = "a;b 1\nmain;work\n";
	assert_string_equal(folded_err(no_count, strlen(no_count)),
			    "t.folded:2: not a folded stack (expected 'frame;frame;... COUNT'): "
			    "'main;work'");
	static const char bad_count[] = "a;b 1\n\na;b 1.5\n";
	assert_string_equal(folded_err(bad_count, strlen(bad_count)),
			    "t.folded:3: the count at the end is not a whole number: 'a;b 1.5'");
	static const char empty_frame[] = "a;;b 1\n";
	assert_string_equal(folded_err(empty_frame, strlen(empty_frame)),
			    "t.folded:1: empty frame name: 'a;;b 1'");
	static const char huge[] = "a 1\nb 99999999999\n";
	assert_string_equal(folded_err(huge, strlen(huge)),
			    "t.folded:2: the counts add up to more than 50000000 samples; scorch "
			    "import takes sample counts (a file weighted by bytes or ns does not fit)");
	static const char nul[] = "a 1\nb\0 2\n";
	assert_string_equal(folded_err(nul, sizeof(nul) - 1),
			    "t.folded: NUL byte in the text; is this a folded stacks file?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_inline_srcline),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_order_and_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_is_header),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_folded_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
