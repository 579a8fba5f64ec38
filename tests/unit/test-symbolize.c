/* Unit tests for the symbolizer, run on this test binary itself: its load
 * bias comes from dl_iterate_phdr, the addresses from its own functions, and
 * the expected lines from __LINE__ at the call sites whose return addresses
 * are looked up. Covers plain and inlined frames, C++-mangled names (through
 * asm labels), unknown addresses and files that cannot be read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../analysis/symbolize.h"

#define MAX_LINES 16

/* ---- functions to look up ------------------------------------------------
 * The expected lines are recorded on the line of the call whose return
 * address is taken. The empty asm after the call keeps the call from
 * becoming a tail jump, which would return to the caller's caller. */

static int plain_line, inl_line, outer_line, cxx_inl_line, cxx_line;
static uintptr_t cxx_ra;

/* The address of the instruction after the call to this function. */
__attribute__((noinline)) static uintptr_t return_address(void)
{
	uintptr_t ra = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
	return ra;
}

__attribute__((noinline)) static uintptr_t plain_caller(void)
{
	uintptr_t ra = return_address(); plain_line = __LINE__;
	__asm__ volatile("" ::: "memory");
	return ra;
}

static inline __attribute__((always_inline)) uintptr_t inlined_helper(void)
{
	uintptr_t ra = return_address(); inl_line = __LINE__;
	__asm__ volatile("" ::: "memory");
	return ra;
}

__attribute__((noinline)) static uintptr_t inline_caller(void)
{
	uintptr_t ra = inlined_helper(); outer_line = __LINE__;
	__asm__ volatile("" ::: "memory");
	return ra;
}

/* Calls getpid through this binary's PLT. */
__attribute__((noinline)) int plt_caller(void)
{
	int r = getpid();
	__asm__ volatile("" ::: "memory");
	return r + 1;
}

/* C++ names for C functions. With an external definition of the inline
 * function, GCC gives its abstract DIE the DW_AT_linkage_name, so the inlined
 * frame is named by demangling it as a C++ compiler's DWARF would be. */
inline __attribute__((always_inline)) uintptr_t cxx_inline(void) __asm__("_ZN3foo6inlineEv");
inline __attribute__((always_inline)) uintptr_t cxx_inline(void)
{
	uintptr_t ra = return_address(); cxx_inl_line = __LINE__;
	__asm__ volatile("" ::: "memory");
	return ra;
}
extern uintptr_t cxx_inline(void) __asm__("_ZN3foo6inlineEv");

__attribute__((noinline)) int cxx_named(int x) __asm__("_ZN3foo3barEi");
__attribute__((noinline)) int cxx_named(int x)
{
	cxx_ra = cxx_inline(); cxx_line = __LINE__;
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

/* ---- the module under test ----------------------------------------------- */

static struct {
	char path[PATH_MAX];
	const char *base;
	uint64_t bias, lo, hi;
} self;

static int find_main_program(struct dl_phdr_info *info, size_t size, void *data)
{
	/* the first object reported is the executable */
	self.bias = info->dlpi_addr;
	self.lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (lo < self.lo)
			self.lo = lo;
		if (hi > self.hi)
			self.hi = hi;
	}
	return 1;
}

/* Each test gets a fresh symbolizer and the arena holding its strings. */
struct fixture {
	struct arena strings;
	struct symbolizer *s;
};

static int setup(void **state)
{
	if (!self.base) {
		ssize_t n = readlink("/proc/self/exe", self.path, sizeof(self.path) - 1);
		if (n <= 0)
			return -1;
		self.path[n] = 0;
		self.base = strrchr(self.path, '/') + 1;
		dl_iterate_phdr(find_main_program, NULL);
	}
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || !(f->s = symbolizer_new(&f->strings))) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	symbolizer_free(f->s);
	arena_release(&f->strings);
	free(f);
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void expect_line(const struct sc_line *l, const char *func, const char *file_base,
			uint32_t line, bool inlined)
{
	assert_string_equal(l->func, func);
	assert_string_equal(basename_of(l->file), file_base);
	if (*file_base)
		assert_true(l->file[0] == '/');         /* a full path */
	assert_int_equal(l->line, line);
	assert_int_equal(l->inlined, inlined);
}

static int add_self(struct symbolizer *s)
{
	int h = symbolizer_add_module(s, self.path, self.bias, self.lo, self.hi);
	assert_true(h >= 0);
	return h;
}

/* ---- tests --------------------------------------------------------------- */

static void test_function_entry(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	int h = add_self(s);
	struct sc_line out[MAX_LINES];
	int n = symbolizer_lookup(s, h, (uintptr_t)&plain_caller + 4, out, MAX_LINES);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].func, "plain_caller");
	assert_string_equal(basename_of(out[0].file), "test-symbolize.c");
	assert_false(out[0].inlined);
}

static void test_exact_line(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	int h = add_self(s);
	uintptr_t ra = plain_caller();
	struct sc_line out[MAX_LINES];
	int n = symbolizer_lookup(s, h, ra - 1, out, MAX_LINES);
	assert_int_equal(n, 1);
	expect_line(&out[0], "plain_caller", "test-symbolize.c", (uint32_t)plain_line, false);
}

static void test_inlined_frame(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	int h = add_self(s);
	uintptr_t ra = inline_caller();
	struct sc_line out[MAX_LINES];
	int n = symbolizer_lookup(s, h, ra - 1, out, MAX_LINES);
	assert_int_equal(n, 2);
	expect_line(&out[0], "inlined_helper", "test-symbolize.c", (uint32_t)inl_line, true);
	expect_line(&out[1], "inline_caller", "test-symbolize.c", (uint32_t)outer_line, false);

	/* no room for the inlined frame: the containing function, at the
	 * call site, is what stays */
	n = symbolizer_lookup(s, h, ra - 1, out, 1);
	assert_int_equal(n, 1);
	expect_line(&out[0], "inline_caller", "test-symbolize.c", (uint32_t)outer_line, false);
}

static void test_cxx_names(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	int h = add_self(s);
	assert_int_equal(cxx_named(1), 2);
	struct sc_line out[MAX_LINES];
	int n = symbolizer_lookup(s, h, cxx_ra - 1, out, MAX_LINES);
	assert_int_equal(n, 2);
	expect_line(&out[0], "foo::inline()", "test-symbolize.c", (uint32_t)cxx_inl_line, true);
	expect_line(&out[1], "foo::bar(int)", "test-symbolize.c", (uint32_t)cxx_line, false);
}

static void test_unknown_address(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	int h = add_self(s);
	struct sc_line out[MAX_LINES];

	/* the ELF header: mapped, but no function there. Unknown, not a made-up
	 * "base+0xoffset" name: views name it from the module and address */
	int n = symbolizer_lookup(s, h, self.lo, out, MAX_LINES);
	assert_int_equal(n, 1);
	expect_line(&out[0], "??", "", 0, false);

	/* past the module's span */
	n = symbolizer_lookup(s, h, self.hi + 0x1000, out, MAX_LINES);
	assert_int_equal(n, 1);
	expect_line(&out[0], "??", "", 0, false);

	/* no module, or a handle that was never returned */
	n = symbolizer_lookup(s, -1, 0x1234abcd, out, MAX_LINES);
	assert_int_equal(n, 1);
	expect_line(&out[0], "??", "", 0, false);
	n = symbolizer_lookup(s, 12345, 0x10, out, MAX_LINES);
	assert_int_equal(n, 1);
	expect_line(&out[0], "??", "", 0, false);
}

static void test_bad_args(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	struct sc_line out[1];
	assert_int_equal(symbolizer_lookup(s, 0, 0, out, 0), -EINVAL);
	assert_int_equal(symbolizer_lookup(s, 0, 0, NULL, 1), -EINVAL);
	assert_int_equal(symbolizer_add_module(s, "", 0, 0, 0), -EINVAL);
	assert_int_equal(symbolizer_add_module(NULL, self.path, 0, 0, 0), -EINVAL);
	assert_null(symbolizer_new(NULL));
	symbolizer_free(NULL);
}

static void test_unreadable_files(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	assert_int_equal(symbolizer_add_module(s, "/nonexistent/libnope.so", 0x7f0000000000, 0, 0),
			 -ENOENT);

	char tmp[] = "/tmp/scorch-test-symbolize-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	assert_int_equal(symbolizer_add_module(s, tmp, 0x7f0000000000, 0, 0), -ENOEXEC);
	unlink(tmp);
}

/* One file mapped twice at different biases (dlopen, dlclose, dlopen):
 * each handle resolves its own addresses to the same names, which are
 * interned, so both get the very same strings. */
static void test_two_biases(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	const uint64_t shift = 0x40000000;
	int h1 = add_self(s);
	int h2 = symbolizer_add_module(s, self.path, self.bias + shift, self.lo + shift,
				       self.hi + shift);
	int h3 = add_self(s);
	assert_true(h2 >= 0 && h2 != h1 && h3 != h1 && h3 != h2);

	uintptr_t ra = inline_caller();
	struct sc_line a[MAX_LINES], b[MAX_LINES], c[MAX_LINES];
	assert_int_equal(symbolizer_lookup(s, h1, ra - 1, a, MAX_LINES), 2);
	assert_int_equal(symbolizer_lookup(s, h2, ra - 1 + shift, b, MAX_LINES), 2);
	assert_int_equal(symbolizer_lookup(s, h3, ra - 1, c, MAX_LINES), 2);
	for (int i = 0; i < 2; i++) {
		assert_ptr_equal(a[i].func, b[i].func);
		assert_ptr_equal(a[i].file, b[i].file);
		assert_int_equal(a[i].line, b[i].line);
		assert_ptr_equal(a[i].func, c[i].func);
	}
	expect_line(&b[1], "inline_caller", "test-symbolize.c", (uint32_t)outer_line, false);

	/* the same address in the other mapping is outside h2's span */
	assert_int_equal(symbolizer_lookup(s, h2, ra - 1, b, MAX_LINES), 1);
	assert_string_equal(b[0].func, "??");
}

/* A shared library found through the loader, with or without separate debug
 * info installed: its exported name is found either way. */
static int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	struct sc_module *m = data;
	if (!strstr(info->dlpi_name, "/libc.so"))
		return 0;
	m->path = info->dlpi_name;
	m->bias = info->dlpi_addr;
	return 1;
}

static void test_shared_library(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	struct sc_module libc = { 0 };
	assert_int_equal(dl_iterate_phdr(find_libc, &libc), 1);
	int h = symbolizer_add_module(s, libc.path, libc.bias, 0, 0);
	assert_true(h >= 0);
	struct sc_line out[MAX_LINES];
	int n = symbolizer_lookup(s, h, (uintptr_t)&getpid, out, MAX_LINES);
	assert_true(n >= 1);
	assert_string_equal(out[n - 1].func, "getpid");
	assert_false(out[n - 1].inlined);
}

/* The vDSO, written out from this process as finalize does: its functions
 * are named as perf names them, __vdso_clock_gettime rather than its weak
 * alias clock_gettime, which would read as libc's function of that name. */
static void test_vdso_names(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	const unsigned char *base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!base) {
		skip();
		return;
	}
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	size_t size = (size_t)eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	char tmp[] = "/tmp/scorch-test-vdso-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, base, size), (ssize_t)size);
	close(fd);
	/* the vDSO is linked at 0: its load bias is where it is mapped */
	int h = symbolizer_add_module(s, tmp, (uintptr_t)base, 0, 0);
	unlink(tmp);
	assert_true(h >= 0);
	uint64_t addr;
	assert_int_equal(symbolizer_symbol_named(s, h, "clock_gettime", &addr), 0);
	struct sc_line out[MAX_LINES];
	int n = symbolizer_lookup(s, h, addr + 1, out, MAX_LINES);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].func, "__vdso_clock_gettime");
}

/* A PLT entry, where samples land on calls into libraries: named by the
 * function it jumps to, from its first byte to its last, not after the
 * symbol before the PLT (_init). */
static void test_plt_entry(void **state)
{
	struct symbolizer *s = ((struct fixture *)*state)->s;
	int h = add_self(s);
	const unsigned char *p = (const unsigned char *)&plt_caller;
	uintptr_t target = 0;
	for (int i = 0; i < 48 && !target; i++)
		if (p[i] == 0xe8) {     /* call rel32 */
			int32_t rel;
			memcpy(&rel, p + i + 1, 4);
			target = (uintptr_t)(p + i + 5) + (uintptr_t)(intptr_t)rel;
		}
	if (!target) {
		skip();     /* built without a PLT call (-fno-plt) */
		return;
	}
	const char *name;
	assert_int_equal(symbolizer_plt_name(s, h, target, &name), 0);
	assert_string_equal(name, "getpid@plt");
	struct sc_line out[MAX_LINES];
	for (uintptr_t a = target; a < target + 6; a += 5) {
		int n = symbolizer_lookup(s, h, a, out, MAX_LINES);
		assert_int_equal(n, 1);
		expect_line(&out[0], "getpid@plt", "", 0, false);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_function_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inlined_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cxx_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_biases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_library, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdso_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plt_entry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
