/* Stacks and modules inside the target: capture return addresses with
 * libunwind's fast path, dedupe a stack into an id per thread (a stack is
 * written once per thread buffer, not once per event), keep the list of
 * loaded modules current so every address can be mapped at finalize, and
 * let libunwind find a module's unwind tables without the loader's lock.
 *
 * Why the last: the CPU sample handler unwinds whatever code it interrupted.
 * libunwind keeps a per-thread cache of how to step over each pc, and on a
 * miss it asks dl_iterate_phdr for the module holding the pc; that takes the
 * loader's lock. A sample landing while the same thread takes or releases
 * that lock (dlopen, dlclose, a dl_iterate_phdr of the program's or our own)
 * waited on it forever: a dlopen/dlclose loop under -F 9999 hung in 1 run of
 * 3 to 8 (issue 11). Any lock the handler can wait on is such a hang, also
 * across threads: libunwind holds its own cache lock (taken with every
 * signal blocked) while it calls dl_iterate_phdr, so a heap hook unwinding on
 * thread A waits for the loader's lock held by B in dlopen, while B's sample
 * handler waits for A's cache lock.
 *
 * So every dl_iterate_phdr that libunwind makes (recognised by its return
 * address inside libunwind) is answered here without a lock, in the handler
 * and outside it alike: libunwind only wants the one module holding the pc it
 * looks up, and glibc (2.35+) keeps exactly that lookup lock-free and
 * async-signal-safe for unwinders, _dl_find_object, updated by the loader
 * before a new module's constructors run and before a closed one is unmapped
 * (fresher than any table we could keep from our dlopen/dlclose hooks, which
 * see neither the loader's own loads, NSS modules say, nor the window inside
 * dlopen). The pc is the first word of libunwind's callback argument
 * (struct dwarf_callback_data in every libunwind from 0.99 to 1.8); init
 * checks that with a probe lookup of a known pc before relying on it. The
 * module's program headers are read from its ELF header, which the first
 * mapping holds. Without _dl_find_object or a passed probe, a lookup from the
 * sample handler is refused (libunwind ends the stack there) and the sample
 * is recorded with its leaf alone and counted as such (rt-sample.c).
 *
 * Considered and measured instead: a module table of our own published RCU-
 * style to an own find_proc_info (the Debian 12 libunwind 1.6.2 local
 * library calls dwarf_find_proc_info directly, not through the address
 * space's accessors, and its remote API costs an accessor call per word read
 * with no trace cache), and an own .eh_frame_hdr/CFI unwinder (a second
 * unwinder to keep right). Answering the one lookup keeps libunwind's fast
 * path, its cache and today's stacks; a miss costs one binary search in
 * glibc's table instead of a walk of every module under a lock.
 * bench/cpu-cost.sh has the per-sample figures. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "rt.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>

#include "../format/raw.h"
#include "../format/varint.h"

static void *rt_mmap(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

typedef int (*iterate_cb)(struct dl_phdr_info *, size_t, void *);
static int iterate_real(iterate_cb cb, void *arg);

/* ---- modules ---- */

struct rt_mod {
	uintptr_t lo, hi, bias;
	uint32_t id;
	int seen;
};

#define RT_MAX_MODS 16384
static struct rt_mod *mods;        /* sorted by lo */
static uint32_t nmods, next_mod_id = 1;
static atomic_int mod_lock;
static uint64_t last_empty_scan;

static void mod_lock_take(void)
{
	while (atomic_exchange_explicit(&mod_lock, 1, memory_order_acquire))
		;
}
static void mod_lock_drop(void) { atomic_store_explicit(&mod_lock, 0, memory_order_release); }

void scorch_rt_modules_reset(void)
{
	atomic_store(&mod_lock, 0);
	nmods = 0;
	last_empty_scan = 0;
}

static int mod_known(uintptr_t ip)
{
	uint32_t lo = 0, hi = nmods;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (ip < mods[mid].lo)
			hi = mid;
		else if (ip >= mods[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static void span_of(struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
	*lo = UINTPTR_MAX;
	*hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
		if (s < *lo)
			*lo = s;
		if (e > *hi)
			*hi = e;
	}
}

/* The GNU build id from the module's PT_NOTE segments, as mapped. */
static size_t build_id_of(struct dl_phdr_info *info, const uint8_t **out)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
			const uint8_t *name = p + sizeof(*nh), *desc = name + namesz;
			if (desc + descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
			    nh->n_descsz <= 32) {
				*out = desc;
				return nh->n_descsz;
			}
			p = desc + descsz;
		}
	}
	return 0;
}

static void put_module(struct rt_buf *b, struct dl_phdr_info *info, const struct rt_mod *m)
{
	const char *path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : G.exe;
	size_t plen = strnlen(path, 4096);
	const uint8_t *bid = NULL;
	size_t blen = build_id_of(info, &bid);
	scorch_rt_lock(b);
	uint64_t t = scorch_rt_now();
	uint8_t *p = scorch_rt_reserve(b, 96 + plen + blen);
	*p++ = RAW_MODULE;
	p = fmt_put_s(p, (int64_t)(t - b->last_time));
	p = fmt_put_u(p, m->id);
	p = fmt_put_u(p, m->bias);
	p = fmt_put_u(p, m->lo);
	p = fmt_put_u(p, m->hi);
	p = fmt_put_u(p, plen);
	memcpy(p, path, plen);
	p += plen;
	p = fmt_put_u(p, blen);
	if (blen)
		memcpy(p, bid, blen);
	p += blen;
	scorch_rt_commit(b, p, t);
	scorch_rt_unlock(b);
}

struct scan_ctx {
	struct rt_buf *b;
	int added;
};

static int scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan_ctx *c = arg;
	uintptr_t lo, hi;
	span_of(info, &lo, &hi);
	if (lo >= hi)
		return 0;
	for (uint32_t i = 0; i < nmods; i++)
		if (mods[i].lo == lo && mods[i].hi == hi && mods[i].bias == info->dlpi_addr) {
			mods[i].seen = 1;
			return 0;
		}
	if (nmods >= RT_MAX_MODS)
		return 0;
	struct rt_mod *m = &mods[nmods++];
	m->lo = lo;
	m->hi = hi;
	m->bias = info->dlpi_addr;
	m->id = next_mod_id++;
	m->seen = 1;
	c->added++;
	put_module(c->b, info, m);
	return 0;
}

static int mod_cmp_sort(const struct rt_mod *a, const struct rt_mod *b) { return a->lo > b->lo; }

/* Brings the module table up to date, writing MODULE records for new modules
 * and UNLOAD records for the ones that went away. Takes the module lock, so
 * never call it with a buffer lock held or from a signal handler. */
void scorch_rt_modules_scan(struct rt_buf *b)
{
	/* not interrupted, not left half-done (see scorch_rt_stack_id) */
	sigset_t old;
	scorch_rt_sigblock(&old);
	mod_lock_take();
	if (!mods && !(mods = rt_mmap(RT_MAX_MODS * sizeof(*mods)))) {
		mod_lock_drop();
		scorch_rt_sigrestore(&old);
		return;
	}
	for (uint32_t i = 0; i < nmods; i++)
		mods[i].seen = 0;
	struct scan_ctx c = { b, 0 };
	iterate_real(scan_cb, &c);
	uint32_t w = 0;
	for (uint32_t i = 0; i < nmods; i++) {
		if (mods[i].seen) {
			mods[w++] = mods[i];
			continue;
		}
		scorch_rt_lock(b);
		uint64_t t = scorch_rt_now();
		uint8_t *p = scorch_rt_reserve(b, 32);
		*p++ = RAW_UNLOAD;
		p = fmt_put_s(p, (int64_t)(t - b->last_time));
		p = fmt_put_u(p, mods[i].id);
		scorch_rt_commit(b, p, t);
		scorch_rt_unlock(b);
	}
	int changed = c.added || w != nmods;
	nmods = w;
	/* insertion sort: the table is nearly sorted and small */
	for (uint32_t i = 1; i < nmods; i++) {
		struct rt_mod m = mods[i];
		uint32_t j = i;
		while (j > 0 && mod_cmp_sort(&mods[j - 1], &m)) {
			mods[j] = mods[j - 1];
			j--;
		}
		mods[j] = m;
	}
	last_empty_scan = c.added ? 0 : scorch_rt_ns();
	mod_lock_drop();
	/* the launcher symbolizes while the program runs: let it see the
	 * modules now rather than when this buffer fills */
	if (changed) {
		scorch_rt_lock(b);
		scorch_rt_flush(b);
		scorch_rt_unlock(b);
	}
	scorch_rt_sigrestore(&old);
}

struct self_ctx {
	uintptr_t a1, a2;
};

static int self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_ctx *c = arg;
	uintptr_t lo, hi;
	span_of(info, &lo, &hi);
	if (c->a1 >= lo && c->a1 < hi) {
		G.self_lo = lo;
		G.self_hi = hi;
	}
	if (c->a2 >= lo && c->a2 < hi) {
		G.unw_lo = lo;
		G.unw_hi = hi;
	}
	return 0;
}

/* ---- libunwind's module lookups, without the loader's lock ---- */

static int (*real_iterate)(iterate_cb, void *);
static int (*find_object)(void *, struct dl_find_object *);
/* the first word of libunwind's callback argument is the pc it looks for */
static int hint_ok;
RT_HIDDEN int scorch_rt_unw_lockfree;
RT_HIDDEN __thread volatile int scorch_rt_unwinding __attribute__((tls_model("initial-exec")));
static uintptr_t probe_pc;
static int probe_seen;
RT_HIDDEN __thread int scorch_rt_sampling __attribute__((tls_model("initial-exec")));
RT_HIDDEN __thread int scorch_rt_unw_refused __attribute__((tls_model("initial-exec")));

/* The C library's dl_iterate_phdr. Resolved at init, or at the first call
 * made before it (never from the sample handler, which does not get here). */
static int iterate_real(iterate_cb cb, void *arg)
{
	if (!real_iterate) {
		real_iterate = (int (*)(iterate_cb, void *))scorch_rt_next("dl_iterate_phdr");
		if (!real_iterate)
			return 0;
	}
	return real_iterate(cb, arg);
}

/* The module holding pc, from glibc's lock-free table, as dl_iterate_phdr
 * would describe it: its load bias, name and program headers (read from the
 * ELF header at the start of its first mapping). Calls cb on it alone and
 * returns what cb returns; 0 when pc is in no module (JIT code, or a bad
 * step), as a full walk would. async-signal-safe */
static int lookup_pc(uintptr_t pc, iterate_cb cb, void *arg)
{
	struct dl_find_object fo;
	if (find_object((void *)pc, &fo) != 0 || !fo.dlfo_link_map)
		return 0;
	const uint8_t *start = fo.dlfo_map_start, *end = fo.dlfo_map_end;
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)(const void *)start;
	if ((size_t)(end - start) < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phoff > (size_t)(end - start) ||
	    (size_t)eh->e_phnum * sizeof(ElfW(Phdr)) > (size_t)(end - start) - eh->e_phoff)
		return 0;
	struct dl_phdr_info info;
	memset(&info, 0, sizeof(info));
	info.dlpi_addr = fo.dlfo_link_map->l_addr;
	info.dlpi_name = fo.dlfo_link_map->l_name;
	info.dlpi_phdr = (const ElfW(Phdr) *)(const void *)(start + eh->e_phoff);
	info.dlpi_phnum = eh->e_phnum;
	return cb(&info, sizeof(info), arg);
}

/* Every caller's dl_iterate_phdr goes to the C library's, but libunwind's:
 * those are answered by lookup_pc (see the top of this file), in the sample
 * handler and outside it, so that libunwind never waits for the loader's lock
 * and never holds its own cache lock while someone else does. */
RT_EXPORT int dl_iterate_phdr(iterate_cb cb, void *arg)
{
	uintptr_t from = (uintptr_t)__builtin_return_address(0);
	if (from >= G.unw_lo && from < G.unw_hi) {
		if (hint_ok)
			return lookup_pc(*(const uintptr_t *)arg, cb, arg);
		if (probe_pc && *(const uintptr_t *)arg == probe_pc)
			probe_seen = 1;
		if (scorch_rt_sampling) {
			/* no lock-free answer: libunwind ends the stack here */
			scorch_rt_unw_refused = 1;
			return 0;
		}
	}
	return iterate_real(cb, arg);
}

/* Finds our own and libunwind's address ranges: frames there are the
 * profiler's, not the program's, and are cut from the top of every stack.
 * Then checks that libunwind's module lookups can be answered lock-free:
 * glibc has _dl_find_object, and a lookup of a known pc through libunwind
 * reaches our dl_iterate_phdr with that pc as the callback's first word. */
void scorch_rt_find_self(void)
{
	struct self_ctx c = { (uintptr_t)&scorch_rt_find_self, (uintptr_t)&unw_backtrace };
	iterate_real(self_cb, &c);
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	find_object = (int (*)(void *, struct dl_find_object *))dlsym(RTLD_DEFAULT, "_dl_find_object");
	if (!find_object || !G.unw_hi || hint_ok)
		return;
	unw_proc_info_t pi;
	probe_pc = (uintptr_t)&scorch_rt_find_self + 1;
	probe_seen = 0;
	int r = unw_get_proc_info_by_ip(unw_local_addr_space, probe_pc, &pi, NULL);
	hint_ok = r == 0 && probe_seen && pi.start_ip <= probe_pc && probe_pc < pi.end_ip;
	probe_pc = 0;
	scorch_rt_unw_lockfree = hint_ok;
}

/* ---- stacks ---- */

void scorch_rt_dedup_clear(struct rt_buf *b)
{
	if (b->dd_keys)
		memset(b->dd_keys, 0, b->dd_cap * sizeof(*b->dd_keys));
	b->dd_len = 0;
}

int scorch_rt_dedup_grow(struct rt_buf *b)
{
	uint32_t cap = b->dd_cap ? b->dd_cap * 2 : 4096;
	uint64_t *keys = rt_mmap(cap * sizeof(*keys));
	uint32_t *ids = rt_mmap(cap * sizeof(*ids));
	if (!keys || !ids) {
		if (keys)
			munmap(keys, cap * sizeof(*keys));
		if (ids)
			munmap(ids, cap * sizeof(*ids));
		return -1;
	}
	for (uint32_t i = 0; i < b->dd_cap; i++) {
		if (!b->dd_keys[i])
			continue;
		uint32_t j = (uint32_t)b->dd_keys[i] & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = b->dd_keys[i];
		ids[j] = b->dd_ids[i];
	}
	if (b->dd_keys) {
		munmap(b->dd_keys, b->dd_cap * sizeof(*keys));
		munmap(b->dd_ids, b->dd_cap * sizeof(*ids));
	}
	b->dd_keys = keys;
	b->dd_ids = ids;
	b->dd_cap = cap;
	return 0;
}

/* async-signal-safe */
uint64_t scorch_rt_stack_hash(void *const *ips, int n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
	for (int i = 0; i < n; i++) {
		h ^= (uint64_t)(uintptr_t)ips[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h ? h : 1;
}

/* The id of hash h in b's stack table, 0 if absent. Lock held. async-signal-safe */
static uint32_t stack_find(const struct rt_buf *b, uint64_t h)
{
	if (!b->dd_cap)
		return 0;
	uint32_t i = (uint32_t)h & (b->dd_cap - 1);
	while (b->dd_keys[i]) {
		if (b->dd_keys[i] == h)
			return b->dd_ids[i];
		i = (i + 1) & (b->dd_cap - 1);
	}
	return 0;
}

/* Captures the caller's stack without the profiler's own frames. Returns the
 * number of frames written to ips (at most G.depth). */
static int capture(void **ips)
{
	void *tmp[G.depth + 24];
	int u = scorch_rt_unwinding;
	scorch_rt_unwinding = 1;
	int n = unw_backtrace(tmp, G.depth + 24);
	scorch_rt_unwinding = u;
	int s = 0;
	while (s < n && (((uintptr_t)tmp[s] >= G.self_lo && (uintptr_t)tmp[s] < G.self_hi) ||
			 ((uintptr_t)tmp[s] >= G.unw_lo && (uintptr_t)tmp[s] < G.unw_hi)))
		s++;
	n = scorch_rt_drop_self(tmp + s, n - s);
	if (n > G.depth)
		n = G.depth;
	memcpy(ips, tmp + s, (size_t)n * sizeof(*ips));
	return n;
}

/* The id of the calling code's stack in buffer b, writing a STACK record the
 * first time b sees it. Called without b's lock (it may scan modules) and
 * returns with it held, so the caller writes its event and unlocks. */
uint32_t scorch_rt_stack_id(struct rt_buf *b, int flags)
{
	void *ips[G.depth];
	int n = capture(ips);
	uint64_t h = scorch_rt_stack_hash(ips, n);

	/* b's dedup table is touched only by its owner, or by a flush on this
	 * same thread or under the lock: take it for the lookup. */
	scorch_rt_lock(b);
	uint32_t found = stack_find(b, h);
	if (found)
		return found;
	scorch_rt_unlock(b);

	/* New to this thread: make sure its modules are known, then add it.
	 * Signals blocked: a handler's allocation here would spin on the module
	 * lock this thread holds, and a longjmp out would leave it held or the
	 * stack table half-written ("Signals" in rt-core.c). A new stack is
	 * rare; two system calls are nothing beside its STACK record. */
	sigset_t old;
	scorch_rt_sigblock(&old);
	int unknown = 0;
	mod_lock_take();
	for (int i = 0; i < n && !unknown; i++)
		unknown = !mod_known((uintptr_t)ips[i]);
	uint64_t last = last_empty_scan;
	mod_lock_drop();
	if (unknown && (!last || scorch_rt_ns() - last > 1000000))
		scorch_rt_modules_scan(b);

	scorch_rt_lock(b);
	uint32_t id = scorch_rt_stack_add(b, h, ips, n, (unsigned)flags);
	scorch_rt_sigrestore(&old);
	return id;
}

/* Finds hash h in b's stack table, or adds it under a new id and writes
 * its STACK record. Returns the id, 0 when the table cannot grow. Lock held.
 * async-signal-safe */
uint32_t scorch_rt_stack_add(struct rt_buf *b, uint64_t h, void *const *ips, int n, unsigned flags)
{
	uint32_t found = stack_find(b, h);
	if (found)
		return found;
	if ((b->dd_len + 1) * 2 > b->dd_cap && scorch_rt_dedup_grow(b) != 0)
		return 0;
	uint32_t id = atomic_fetch_add(&G.next_stack_id, 1);
	uint32_t i = (uint32_t)h & (b->dd_cap - 1);
	while (b->dd_keys[i])
		i = (i + 1) & (b->dd_cap - 1);
	b->dd_keys[i] = h;
	b->dd_ids[i] = id;
	b->dd_len++;
	uint8_t *p = scorch_rt_reserve(b, 32 + (size_t)n * VARINT_MAX);
	*p++ = RAW_STACK;
	p = fmt_put_s(p, 0);
	p = fmt_put_u(p, id);
	p = fmt_put_u(p, flags);
	p = fmt_put_u(p, (uint64_t)n);
	uint64_t prev = 0;
	for (int k = 0; k < n; k++) {
		uint64_t a = (uint64_t)(uintptr_t)ips[k];
		p = fmt_put_s(p, (int64_t)(a - prev));
		prev = a;
	}
	scorch_rt_commit(b, p, b->last_time);
	return id;
}
