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
#include "../format/rawrec.h"
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

static atomic_int fu_lock;       /* the fast unwinder's table (below) */
static void fu_forget(uintptr_t lo, uintptr_t hi);

void scorch_rt_modules_reset(void)
{
	atomic_store(&mod_lock, 0);
	atomic_store(&fu_lock, 0);
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
	uint8_t *p = scorch_rt_reserve(b, RAW_MODULE_MAX(plen, blen));
	p = raw_put_module(p, &(struct raw_module){ (int64_t)(t - b->last_time), m->id, m->bias, m->lo, m->hi,
						    path, (uint32_t)plen, bid, (uint32_t)blen });
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
		fu_forget(mods[i].lo, mods[i].hi);
		scorch_rt_lock(b);
		uint64_t t = scorch_rt_now();
		uint8_t *p = scorch_rt_reserve(b, RAW_UNLOAD_MAX);
		p = raw_put_unload(p, &(struct raw_unload){ (int64_t)(t - b->last_time), mods[i].id });
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

/* ---- the fast unwinder: libunwind's standard frames, cached per return address ----
 *
 * libunwind's unw_backtrace walks a stack with its per-thread trace cache:
 * for each return address it remembers how to step over that frame when the
 * frame is "standard" (x86-64 Gtrace.c / Gstash_frame.c): the CFA is RSP or
 * RBP plus a constant, the return address is at CFA-8, RBP is kept or saved
 * at CFA plus a constant, RSP kept or saved likewise; a frame where
 * unw_step() stops is the last one. A stack made only of such frames comes
 * out as its return addresses (libunwind 1.6). That walk still cost 30% of an
 * event on bench/heap-storm (context save, cursor set-up, the cache behind
 * a pthread key, a lookup per frame): this is the same walk with the same
 * rules, inline, over one process-wide table.
 *
 * The rule of a return address is read from the module's .eh_frame (the
 * subset above: any other CFI, a signal frame, no FDE, or a rule that does
 * not reproduce what libunwind's own unw_step() gave for that frame when it
 * was learnt, caches "not standard"), and each learnt rule is checked
 * against libunwind's step of the same frame before it is used. A stack
 * that meets a return address not cached yet, or a frame not standard, is
 * taken by unw_backtrace exactly as before (and the first kind is then
 * learnt with a unw_step() walk), so stacks are what libunwind gives: the
 * fast walk only ever answers for stacks unw_backtrace takes its own fast
 * path over, with the same rules.
 *
 * The table is open addressing, read without a lock (an entry's fields are
 * written before its key is published, and never change after); entries are
 * added under a spin lock taken only with every signal blocked, removed
 * (tombstoned) when their module is unloaded, and a full table is replaced
 * by one twice the size (the old one stays mapped: an interrupted walk may
 * still be reading it). */

enum { FU_STD = 1, FU_LAST = 2, FU_NONE = 3 };
#define FU_TOMB ((uintptr_t)1)

struct fu_ent {
	_Atomic uintptr_t key;          /* return address; 0 empty, FU_TOMB removed */
	int32_t cfa_off;
	int16_t rbp_off;                /* RBP saved at CFA + rbp_off (rbp_saved) */
	uint8_t type;
	uint8_t cfa_rsp : 1, rbp_saved : 1;
};

struct fu_tab {
	uint32_t cap, used;             /* used counts tombstones too */
	struct fu_ent e[];
};

static struct fu_tab *_Atomic fu_tab;
static int fu_off;                      /* no table could be had: unw_backtrace only */
/* bumped when rules are forgotten (a module went away): the whole-stack
 * caches' entries (below) made with older rules are not used again */
static atomic_uint fu_gen;

static inline uint32_t fu_slot(uintptr_t pc, uint32_t cap)
{
	return (uint32_t)(((uint64_t)pc * 0x9e3779b97f4a7c15ULL) >> 40) & (cap - 1);
}

static inline const struct fu_ent *fu_find(const struct fu_tab *t, uintptr_t pc)
{
	uint32_t i = fu_slot(pc, t->cap);
	for (;;) {
		const struct fu_ent *e = &t->e[i];
		uintptr_t k = atomic_load_explicit(&e->key, memory_order_acquire);
		if (k == pc)
			return e;
		if (!k)
			return NULL;
		i = (i + 1) & (t->cap - 1);
	}
}

static struct fu_tab *fu_new(uint32_t cap)
{
	return rt_mmap(sizeof(struct fu_tab) + (size_t)cap * sizeof(struct fu_ent));
}

static void fu_put(struct fu_tab *t, const struct fu_ent *src, uintptr_t pc)
{
	uint32_t i = fu_slot(pc, t->cap);
	while (atomic_load_explicit(&t->e[i].key, memory_order_relaxed))
		i = (i + 1) & (t->cap - 1);
	struct fu_ent *e = &t->e[i];
	e->cfa_off = src->cfa_off;
	e->rbp_off = src->rbp_off;
	e->type = src->type;
	e->cfa_rsp = src->cfa_rsp;
	e->rbp_saved = src->rbp_saved;
	t->used++;
	atomic_store_explicit(&e->key, pc, memory_order_release);
}

/* Adds pc's rule. Signals blocked by the caller. */
static void fu_insert(uintptr_t pc, const struct fu_ent *r)
{
	while (atomic_exchange_explicit(&fu_lock, 1, memory_order_acquire))
		;
	struct fu_tab *t = atomic_load_explicit(&fu_tab, memory_order_relaxed);
	if (!t || (t->used + 1) * 2 > t->cap) {
		uint32_t cap = t ? t->cap * 2 : 256;   /* 4 KiB: stays in L1 */
		struct fu_tab *n = cap <= (1u << 24) ? fu_new(cap) : NULL;
		if (!n) {
			fu_off = 1;
			atomic_store_explicit(&fu_lock, 0, memory_order_release);
			return;
		}
		n->cap = cap;
		for (uint32_t i = 0; t && i < t->cap; i++) {
			uintptr_t k = atomic_load_explicit(&t->e[i].key, memory_order_relaxed);
			if (k > FU_TOMB)
				fu_put(n, &t->e[i], k);
		}
		atomic_store_explicit(&fu_tab, n, memory_order_release);
		t = n;
	}
	if (!fu_find(t, pc))
		fu_put(t, r, pc);
	atomic_store_explicit(&fu_lock, 0, memory_order_release);
}

/* Forgets the rules of [lo, hi): a module went away. Signals blocked. */
static void fu_forget(uintptr_t lo, uintptr_t hi)
{
	while (atomic_exchange_explicit(&fu_lock, 1, memory_order_acquire))
		;
	struct fu_tab *t = atomic_load_explicit(&fu_tab, memory_order_relaxed);
	for (uint32_t i = 0; t && i < t->cap; i++) {
		uintptr_t k = atomic_load_explicit(&t->e[i].key, memory_order_relaxed);
		if (k > FU_TOMB && k >= lo && k < hi)
			atomic_store_explicit(&t->e[i].key, FU_TOMB, memory_order_release);
	}
	atomic_fetch_add_explicit(&fu_gen, 1, memory_order_release);
	atomic_store_explicit(&fu_lock, 0, memory_order_release);
}

/* The hash of a stack for the per-buffer tables, one return address at a
 * time, so that the fast walk computes it while its loads are in flight. */
#define STACK_SEED 0x9e3779b97f4a7c15ULL
static inline uint64_t stack_mix(uint64_t h, uintptr_t a)
{
	h ^= (uint64_t)a;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static inline uint64_t stack_end(uint64_t h, int n)
{
	h ^= (uint64_t)n;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h ? h : 1;
}

/* ---- the whole-stack cache: the last stacks of a thread, validated word by word ----
 *
 * The fast walk below is a pure function of where it starts (its own frame
 * address) and of the words it reads on the way: its own return address,
 * then for each frame the return address slot at CFA-8, and the saved RBP
 * (or its own) where a frame's CFA is RBP-based; the rules themselves
 * are fixed per return address until a module goes away (fu_gen). So a walk
 * that starts at the same frame address as an earlier one and finds every
 * word that one read still holding the same value, read at the same
 * addresses in the same order, would take the same steps and give the
 * same stack and hash: the cache keeps, per thread buffer, the last
 * SC_SETS x SC_WAYS walks (their start, the (address, value) of every word
 * read, in order, the stack's hash and length) and a walk first compares the
 * candidates' words in order, stopping at the first that differs. Each
 * address compared is one the live walk itself would read at that point
 * (every earlier word matched), so the check reads nothing the walk would
 * not. A comparison is a load and a compare per word, independent of each
 * other, where a step of the walk is a chain: a rule lookup, then the load
 * it tells.
 *
 * The set is chosen by the start and a hint (the return address of the
 * hook that called the runtime, that is, the program's call site of
 * malloc: different call sites at the same depth land in different sets).
 * A stack whose walk depends on more than SC_SLOTS words is not cached
 * (64: about 30 frames of code with frame pointers, twice that without,
 * the profiler's own 4 included; python3's and
 * sqlite3's fit, 96-98% hits, and a buffer's cache is 66 KiB, mapped on
 * its first stack and touched as used). A hit gives the hash alone: the
 * frames are wanted only by a stack new to the buffer, which walks again
 * without the cache. Only the buffer's owner thread uses its cache; a
 * signal handler's walk that interrupts one in progress on the same buffer
 * (busy) does without. */
#define SC_SETS 16
#define SC_WAYS 4
#define SC_SLOTS 64

struct sc_ent {
	uintptr_t fp, hint;             /* fp 0: empty */
	uint64_t hash;
	uint32_t gen;
	uint16_t nslot, n;
	struct { uintptr_t a, v; } slot[SC_SLOTS];
};

struct rt_sc {
	int busy;
	uint8_t next[SC_SETS];          /* the set's next victim, round robin */
	struct sc_ent e[SC_SETS * SC_WAYS];
};

static struct rt_sc sc_none;            /* the mapping failed: stays busy */

static inline uint32_t sc_set(uintptr_t fp, uintptr_t hint)
{
	return (uint32_t)((((uint64_t)fp >> 4) ^ (uint64_t)hint) * 0x9e3779b97f4a7c15ULL >> 60) & (SC_SETS - 1);
}

/* The program's stack above the caller, as capture() makes it from what
 * unw_backtrace called at the same place gives (return addresses, at most
 * G.depth + 24 of them): the profiler's frames (and libunwind's) at the top
 * left out, the profiler's own frames elsewhere too, at most G.depth kept,
 * in out; their hash in *hash. Returns how many, or -1 when a return
 * address is not cached yet (put in *miss; -3 when it is the first, the
 * caller's own), -2 when a frame is not standard. A stack walked before
 * from the same frame comes from sc (the cache above) when every word it
 * read still holds the same value: then only its hash and count are given
 * (*cached set, out untouched; walk again without sc for the frames).
 * async-signal-safe */
static __attribute__((noinline)) int fu_walk(void **out, uintptr_t *miss, uint64_t *hash, struct rt_sc *sc,
					     uintptr_t hint, int *cached)
{
	const struct fu_tab *t = atomic_load_explicit(&fu_tab, memory_order_acquire);
	if (unlikely(!t))
		return -1;
	/* our own frame has a frame pointer: step over it by hand */
	const uintptr_t *fp = __builtin_frame_address(0);
	struct sc_ent *rec = NULL;
	uint32_t gen = 0;
	if (likely(sc != NULL) && !sc->busy) {
		sc->busy = 1;
		atomic_signal_fence(memory_order_seq_cst);
		gen = atomic_load_explicit(&fu_gen, memory_order_acquire);
		uint32_t set = sc_set((uintptr_t)fp, hint);
		struct sc_ent *w = &sc->e[set * SC_WAYS];
		for (int k = 0; k < SC_WAYS; k++, w++) {
			if (w->fp != (uintptr_t)fp || w->hint != hint || w->gen != gen)
				continue;
			uint32_t i = 0, ns = w->nslot;
			while (i < ns && *(const uintptr_t *)w->slot[i].a == w->slot[i].v)
				i++;
			if (i < ns)
				continue;
			int n = w->n;
			*hash = w->hash;
			*cached = 1;
			atomic_signal_fence(memory_order_seq_cst);
			sc->busy = 0;
			return n;
		}
		rec = &sc->e[set * SC_WAYS + sc->next[set]++ % SC_WAYS];
		rec->fp = 0;
	}
	uint32_t ns = 0;
	/* a word the walk read and depends on, recorded while there is room */
#define SC_REC(addr, val)                                                      \
	do {                                                                   \
		if (rec) {                                                     \
			if (ns < SC_SLOTS) {                                   \
				rec->slot[ns].a = (addr);                      \
				rec->slot[ns].v = (val);                       \
			}                                                      \
			ns++;                                                  \
		}                                                              \
	} while (0)
	/* RBP matters only to a frame whose CFA is RBP-based: the slot it was
	 * read from (rbp_at, 0 once recorded) is recorded then, so that a
	 * saved RBP the walk never uses (a program built without frame
	 * pointers, where RBP holds data) does not make the stack a miss.
	 * Recorded later than read, it is still compared after every word its
	 * address was computed from. */
	uintptr_t rsp = (uintptr_t)(fp + 2), rbp_at = (uintptr_t)&fp[0];
	uintptr_t rbp = fp[0], rip = fp[1];
	SC_REC((uintptr_t)&fp[1], rip);
	uintptr_t slo = G.self_lo, sn = G.self_hi - slo, ulo = G.unw_lo, un = G.unw_hi - ulo;
	int raw = 0, n = 0, max = G.depth + 24, keep = G.depth, top = 1, r;
	uint64_t h = STACK_SEED;
	while (raw < max && n < keep && rip >= 0x4000) {
		raw++;
		int self = rip - slo < sn;
		if (top && !self && rip - ulo >= un)
			top = 0;
		if (!top && !self) {
			out[n++] = (void *)rip;
			h = stack_mix(h, rip);
		}
		const struct fu_ent *e = fu_find(t, rip);
		if (unlikely(!e)) {
			*miss = rip;
			r = raw == 1 ? -3 : -1;
			goto out;
		}
		if (e->type != FU_STD) {
			if (e->type == FU_LAST)
				break;
			r = -2;
			goto out;
		}
		if (!e->cfa_rsp && rbp_at) {
			SC_REC(rbp_at, rbp);
			rbp_at = 0;
		}
		uintptr_t cfa = (e->cfa_rsp ? rsp : rbp) + (intptr_t)e->cfa_off;
		if (unlikely(cfa <= rsp)) {
			r = -2;
			goto out;
		}
		rip = *(const uintptr_t *)(cfa - 8);
		SC_REC(cfa - 8, rip);
		if (e->rbp_saved) {
			rbp_at = cfa + (intptr_t)e->rbp_off;
			rbp = *(const uintptr_t *)rbp_at;
		}
		rsp = cfa;
	}
#undef SC_REC
	*hash = stack_end(h, n);
	r = n;
	if (rec && ns <= SC_SLOTS) {
		rec->hash = *hash;
		rec->n = (uint16_t)n;
		rec->nslot = (uint16_t)ns;
		rec->gen = gen;
		rec->hint = hint;
		rec->fp = (uintptr_t)fp;
	}
out:
	if (rec) {
		atomic_signal_fence(memory_order_seq_cst);
		sc->busy = 0;
	}
	return r;
}

/* -- the CFI subset -- */

static int cfi_uleb(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;
	for (unsigned sh = 0; p < end && sh < 64; sh += 7) {
		uint8_t b = *p++;
		r |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80)) {
			*pp = p;
			*v = r;
			return 0;
		}
	}
	return -1;
}

static int cfi_sleb(const uint8_t **pp, const uint8_t *end, int64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;
	for (unsigned sh = 0; p < end && sh < 64;) {
		uint8_t b = *p++;
		r |= (uint64_t)(b & 0x7f) << sh;
		sh += 7;
		if (!(b & 0x80)) {
			if (sh < 64 && (b & 0x40))
				r |= ~(uint64_t)0 << sh;
			*pp = p;
			*v = (int64_t)r;
			return 0;
		}
	}
	return -1;
}

/* A DW_EH_PE-encoded pointer; pcrel and datarel (base `data`) applied,
 * indirect refused. */
static int cfi_ptr(const uint8_t **pp, const uint8_t *end, uint8_t enc, uintptr_t data, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x;
	if (enc == 0xff || (enc & 0x80))
		return -1;
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c:
		if (end - p < 8)
			return -1;
		memcpy(&x, p, 8);
		p += 8;
		break;
	case 0x02: { uint16_t u; if (end - p < 2) return -1; memcpy(&u, p, 2); x = u; p += 2; break; }
	case 0x0a: { int16_t s; if (end - p < 2) return -1; memcpy(&s, p, 2); x = (uint64_t)(int64_t)s; p += 2; break; }
	case 0x03: { uint32_t u; if (end - p < 4) return -1; memcpy(&u, p, 4); x = u; p += 4; break; }
	case 0x0b: { int32_t s; if (end - p < 4) return -1; memcpy(&s, p, 4); x = (uint64_t)(int64_t)s; p += 4; break; }
	case 0x01:
		if (cfi_uleb(&p, end, &x))
			return -1;
		break;
	case 0x09: {
		int64_t s;
		if (cfi_sleb(&p, end, &s))
			return -1;
		x = (uint64_t)s;
		break;
	}
	default:
		return -1;
	}
	switch (enc & 0x70) {
	case 0x00: break;
	case 0x10: x += (uintptr_t)*pp; break;
	case 0x30: x += data; break;
	default: return -1;
	}
	*pp = p;
	*v = x;
	return 0;
}

enum { CW_SAME = 0, CW_UNDEF, CW_CFAREL, CW_OTHER };
struct cfi_regs {
	uint8_t cfa_ok, cfa_reg;
	int64_t cfa_off;
	uint8_t w[3];                   /* rbp, rsp, return address */
	int64_t v[3];
};

static int cfi_col(uint64_t reg, uint64_t ra)
{
	return reg == 6 ? 0 : reg == 7 ? 1 : reg == ra ? 2 : -1;
}

/* Runs a CFA program up to (and including the row at) target. Returns 0,
 * -1 on anything outside the subset. */
static int cfi_run(const uint8_t *p, const uint8_t *end, uintptr_t loc, uintptr_t target, uint64_t code_al,
		   int64_t data_al, uint64_t ra, struct cfi_regs *s, const struct cfi_regs *init)
{
	struct cfi_regs stack[8];
	int depth = 0;
	while (p < end && loc <= target) {
		uint8_t op = *p++, lo = op & 0x3f;
		uint64_t reg, u, delta = 0;
		int64_t sv;
		int c;
		switch (op >> 6) {
		case 1:
			loc += lo * code_al;
			continue;
		case 2:
			if (cfi_uleb(&p, end, &u))
				return -1;
			if ((c = cfi_col(lo, ra)) >= 0) {
				s->w[c] = CW_CFAREL;
				s->v[c] = (int64_t)u * data_al;
			}
			continue;
		case 3:
			if ((c = cfi_col(lo, ra)) >= 0) {
				if (!init)
					return -1;
				s->w[c] = init->w[c];
				s->v[c] = init->v[c];
			}
			continue;
		}
		switch (op) {
		case 0x00:   /* nop */
			break;
		case 0x02: if (end - p < 1) return -1; delta = p[0]; p += 1; loc += delta * code_al; break;
		case 0x03: { uint16_t d; if (end - p < 2) return -1; memcpy(&d, p, 2); p += 2; loc += d * code_al; break; }
		case 0x04: { uint32_t d; if (end - p < 4) return -1; memcpy(&d, p, 4); p += 4; loc += d * code_al; break; }
		case 0x05:   /* offset_extended */
		case 0x11:   /* offset_extended_sf */
		case 0x2f:   /* GNU_negative_offset_extended */
			if (cfi_uleb(&p, end, &reg))
				return -1;
			if (op == 0x11) {
				if (cfi_sleb(&p, end, &sv))
					return -1;
			} else {
				if (cfi_uleb(&p, end, &u))
					return -1;
				sv = op == 0x2f ? -(int64_t)u : (int64_t)u;
			}
			if ((c = cfi_col(reg, ra)) >= 0) {
				s->w[c] = CW_CFAREL;
				s->v[c] = sv * data_al;
			}
			break;
		case 0x06:   /* restore_extended */
			if (cfi_uleb(&p, end, &reg))
				return -1;
			if ((c = cfi_col(reg, ra)) >= 0) {
				if (!init)
					return -1;
				s->w[c] = init->w[c];
				s->v[c] = init->v[c];
			}
			break;
		case 0x07:   /* undefined */
		case 0x08:   /* same_value */
			if (cfi_uleb(&p, end, &reg))
				return -1;
			if ((c = cfi_col(reg, ra)) >= 0)
				s->w[c] = op == 0x07 ? CW_UNDEF : CW_SAME;
			break;
		case 0x09:   /* register */
			if (cfi_uleb(&p, end, &reg) || cfi_uleb(&p, end, &u))
				return -1;
			if ((c = cfi_col(reg, ra)) >= 0)
				s->w[c] = CW_OTHER;
			break;
		case 0x0a:   /* remember_state */
			if (depth >= 8)
				return -1;
			stack[depth++] = *s;
			break;
		case 0x0b:   /* restore_state */
			if (!depth)
				return -1;
			*s = stack[--depth];
			break;
		case 0x0c:   /* def_cfa */
			if (cfi_uleb(&p, end, &reg) || cfi_uleb(&p, end, &u))
				return -1;
			s->cfa_ok = 1;
			s->cfa_reg = reg < 256 ? (uint8_t)reg : 255;
			s->cfa_off = (int64_t)u;
			break;
		case 0x12:   /* def_cfa_sf */
			if (cfi_uleb(&p, end, &reg) || cfi_sleb(&p, end, &sv))
				return -1;
			s->cfa_ok = 1;
			s->cfa_reg = reg < 256 ? (uint8_t)reg : 255;
			s->cfa_off = sv * data_al;
			break;
		case 0x0d:   /* def_cfa_register */
			if (cfi_uleb(&p, end, &reg))
				return -1;
			s->cfa_ok = 1;
			s->cfa_reg = reg < 256 ? (uint8_t)reg : 255;
			break;
		case 0x0e:   /* def_cfa_offset */
			if (cfi_uleb(&p, end, &u))
				return -1;
			s->cfa_off = (int64_t)u;
			break;
		case 0x13:   /* def_cfa_offset_sf */
			if (cfi_sleb(&p, end, &sv))
				return -1;
			s->cfa_off = sv * data_al;
			break;
		case 0x0f:   /* def_cfa_expression */
			if (cfi_uleb(&p, end, &u) || u > (uint64_t)(end - p))
				return -1;
			p += u;
			s->cfa_ok = 0;
			break;
		case 0x10:   /* expression */
		case 0x16:   /* val_expression */
			if (cfi_uleb(&p, end, &reg) || cfi_uleb(&p, end, &u) || u > (uint64_t)(end - p))
				return -1;
			p += u;
			if ((c = cfi_col(reg, ra)) >= 0)
				s->w[c] = CW_OTHER;
			break;
		case 0x14:   /* val_offset */
		case 0x15:   /* val_offset_sf */
			if (cfi_uleb(&p, end, &reg))
				return -1;
			if (op == 0x14 ? cfi_uleb(&p, end, &u) : cfi_sleb(&p, end, &sv))
				return -1;
			if ((c = cfi_col(reg, ra)) >= 0)
				s->w[c] = CW_OTHER;
			break;
		case 0x2e:   /* GNU_args_size */
			if (cfi_uleb(&p, end, &u))
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* The rule for the frame whose return address is ra, from its module's
 * .eh_frame_hdr and .eh_frame, in *r: FU_STD, FU_LAST (the return address
 * is undefined: the outermost frame) or FU_NONE. */
static void cfi_rule(uintptr_t ra, struct fu_ent *r)
{
	r->type = FU_NONE;
	uintptr_t pc = ra - 1;
	struct dl_find_object fo;
	if (!find_object || find_object((void *)pc, &fo) != 0 || !fo.dlfo_eh_frame)
		return;
	/* .eh_frame_hdr: version 1 and a sorted table of datarel sdata4 pairs */
	const uint8_t *hdr = fo.dlfo_eh_frame, *p = hdr + 4, *lim = hdr + (1u << 30);
	uint64_t ehp, count;
	if (hdr[0] != 1 || hdr[3] != 0x3b || cfi_ptr(&p, lim, hdr[1], (uintptr_t)hdr, &ehp) ||
	    cfi_ptr(&p, lim, hdr[2], (uintptr_t)hdr, &count) || !count)
		return;
	const int32_t *tab = (const int32_t *)(const void *)p;
	uint64_t lo = 0, hi = count;
	while (hi - lo > 1) {
		uint64_t mid = (lo + hi) / 2;
		if ((uintptr_t)hdr + (intptr_t)tab[2 * mid] <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if ((uintptr_t)hdr + (intptr_t)tab[2 * lo] > pc)
		return;
	/* the FDE */
	const uint8_t *fde = hdr + tab[2 * lo + 1];
	uint32_t len, cie_ptr;
	memcpy(&len, fde, 4);
	if (len == 0 || len >= 0xfffffff0u)
		return;
	const uint8_t *fend = fde + 4 + len;
	p = fde + 4;
	memcpy(&cie_ptr, p, 4);
	if (!cie_ptr)
		return;
	const uint8_t *cie = p - cie_ptr;
	p += 4;
	/* its CIE */
	uint32_t clen, cid;
	memcpy(&clen, cie, 4);
	if (clen == 0 || clen >= 0xfffffff0u)
		return;
	const uint8_t *cend = cie + 4 + clen, *q = cie + 4;
	memcpy(&cid, q, 4);
	q += 4;
	if (cid != 0 || q >= cend)
		return;
	uint8_t version = *q++;
	if (version != 1 && version != 3)
		return;
	const char *aug = (const char *)q;
	size_t alen = strnlen(aug, (size_t)(cend - q));
	if (q + alen >= cend)
		return;
	q += alen + 1;
	uint64_t code_al, ra_col, u;
	int64_t data_al;
	if (cfi_uleb(&q, cend, &code_al) || cfi_sleb(&q, cend, &data_al))
		return;
	if (version == 1) {
		if (q >= cend)
			return;
		ra_col = *q++;
	} else if (cfi_uleb(&q, cend, &ra_col)) {
		return;
	}
	if (ra_col != 16)
		return;
	uint8_t fde_enc = 0;
	int has_z = aug[0] == 'z';
	if (has_z) {
		if (cfi_uleb(&q, cend, &u) || u > (uint64_t)(cend - q))
			return;
		const uint8_t *aend = q + u, *a = q;
		for (size_t i = 1; i < alen; i++) {
			if (a >= aend)
				return;
			if (aug[i] == 'R') {
				fde_enc = *a++;
			} else if (aug[i] == 'L') {
				a++;
			} else if (aug[i] == 'P') {
				uint8_t penc = *a++;
				uint64_t dummy;
				if (cfi_ptr(&a, aend, penc & 0x7f, 0, &dummy))
					return;
			} else {
				return;   /* 'S' (a signal frame) and anything unknown */
			}
		}
		q = aend;
	} else if (alen) {
		return;
	}
	/* the FDE's range */
	uint64_t start, range;
	if (cfi_ptr(&p, fend, fde_enc, 0, &start) || cfi_ptr(&p, fend, fde_enc & 0x0f, 0, &range))
		return;
	if (pc < start || pc - start >= range)
		return;
	if (has_z) {
		if (cfi_uleb(&p, fend, &u) || u > (uint64_t)(fend - p))
			return;
		p += u;
	}
	struct cfi_regs s, init;
	memset(&s, 0, sizeof(s));
	if (cfi_run(q, cend, (uintptr_t)start, UINTPTR_MAX, code_al, data_al, ra_col, &s, NULL))
		return;
	init = s;
	if (cfi_run(p, fend, (uintptr_t)start, pc, code_al, data_al, ra_col, &s, &init))
		return;
	if (s.w[2] == CW_UNDEF) {
		r->type = FU_LAST;
		return;
	}
	/* libunwind's standard frame (tdep_stash_frame) */
	if (!s.cfa_ok || (s.cfa_reg != 6 && s.cfa_reg != 7) || s.cfa_off <= -(1 << 28) ||
	    s.cfa_off >= (1 << 28) || s.w[2] != CW_CFAREL || s.v[2] != -8)
		return;
	for (int c = 0; c < 2; c++)
		if (s.w[c] == CW_OTHER ||
		    (s.w[c] == CW_CFAREL && (s.v[c] <= -(1 << 14) || s.v[c] >= (1 << 14) || s.v[c] == -1)))
			return;
	r->type = FU_STD;
	r->cfa_rsp = s.cfa_reg == 7;
	r->cfa_off = (int32_t)s.cfa_off;
	r->rbp_saved = s.w[0] == CW_CFAREL;
	r->rbp_off = (int16_t)(r->rbp_saved ? s.v[0] : 0);
}

/* The rule of return address key, checked against libunwind's step over a
 * frame it holds: from (sp, bp) to (ip2, sp2, bp2); r is what unw_step()
 * returned, sig whether the frame is a signal frame. Cached. */
static void fu_learn_one(uintptr_t key, int r, int sig, uintptr_t sp, uintptr_t bp, uintptr_t ip2,
			 uintptr_t sp2, uintptr_t bp2)
{
	const struct fu_tab *t = atomic_load_explicit(&fu_tab, memory_order_acquire);
	if (key < 0x4000 || (t && fu_find(t, key)))
		return;
	struct fu_ent e;
	memset(&e, 0, sizeof(e));
	cfi_rule(key, &e);
	if (r == 0) {
		/* libunwind's trace takes the frame where unw_step stops for
		 * the last, whatever its rule */
		e.type = FU_LAST;
	} else if (r < 0 || sig) {
		e.type = FU_NONE;
	} else if (e.type == FU_STD) {
		uintptr_t cfa = (e.cfa_rsp ? sp : bp) + (intptr_t)e.cfa_off;
		int ok = cfa == sp2 && cfa > sp && *(const uintptr_t *)(cfa - 8) == ip2;
		if (ok && e.rbp_saved) {
			uintptr_t at = cfa + (intptr_t)e.rbp_off;
			ok = at >= sp && at + 8 <= cfa && *(const uintptr_t *)at == bp2;
		} else if (ok) {
			ok = bp == bp2;
		}
		if (!ok)
			e.type = FU_NONE;
	} else {
		e.type = FU_NONE;
	}
	fu_insert(key, &e);
}

/* A stack met a return address not cached (miss): walk it with unw_step()
 * and cache every new return address's rule, checked against the step
 * libunwind made over that frame. The first frame walked is our caller's;
 * when the miss was the fast walk's first frame (first), that is the same
 * frame at another call, and the miss's rule is checked against the same
 * step. Signals blocked (the table's lock). */
static __attribute__((noinline)) void fu_learn(uintptr_t miss, int first)
{
	unw_context_t uc;
	unw_cursor_t c;
	if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0)
		return;
	/* the first frame (this one) is not at a return address; nor is one
	 * a signal frame interrupted */
	int at_call = 0;
	for (int depth = 0; depth < G.depth + 64 && !fu_off; depth++) {
		unw_word_t ip, sp, bp, ip2 = 0, sp2 = 0, bp2 = 0;
		if (unw_get_reg(&c, UNW_REG_IP, &ip) || unw_get_reg(&c, UNW_REG_SP, &sp) ||
		    unw_get_reg(&c, UNW_X86_64_RBP, &bp))
			break;
		int sig = unw_is_signal_frame(&c) > 0;
		int r = unw_step(&c);
		if (r > 0 && (unw_get_reg(&c, UNW_REG_IP, &ip2) || unw_get_reg(&c, UNW_REG_SP, &sp2) ||
			      unw_get_reg(&c, UNW_X86_64_RBP, &bp2)))
			r = -1;
		if (at_call)
			fu_learn_one(ip, r, sig, sp, bp, ip2, sp2, bp2);
		if (depth == 1 && at_call && first)
			fu_learn_one(miss, r, sig, sp, bp, ip2, sp2, bp2);
		if (r <= 0)
			break;
		at_call = !sig;
	}
	/* not met by the walk (it stopped short): taken by libunwind from now
	 * on rather than learnt again at every event */
	const struct fu_tab *t = atomic_load_explicit(&fu_tab, memory_order_acquire);
	if (!fu_off && (!t || !fu_find(t, miss))) {
		struct fu_ent e;
		memset(&e, 0, sizeof(e));
		e.type = FU_NONE;
		fu_insert(miss, &e);
	}
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

/* Captures the caller's stack without the profiler's own frames: the fast
 * walk, or libunwind. Writes at most G.depth frames to ips and their hash
 * to *hash; returns how many. A hit in sc (the whole-stack cache, NULL for
 * none) sets *cached and gives the hash and count alone. */
static int capture(void **ips, uint64_t *hash, struct rt_sc *sc, uintptr_t hint, int *cached)
{
	uintptr_t miss = 0;
	int n = fu_off ? -2 : fu_walk(ips, &miss, hash, sc, hint, cached);
	if (likely(n >= 0))
		return n;
	void *tmp[G.depth + 24];
	int u = scorch_rt_unwinding;
	scorch_rt_unwinding = 1;
	if (n != -2) {
		/* learnt with signals blocked: the table's lock */
		sigset_t old;
		scorch_rt_sigblock(&old);
		fu_learn(miss, n == -3);
		scorch_rt_sigrestore(&old);
	}
	n = unw_backtrace(tmp, G.depth + 24);
	scorch_rt_unwinding = u;
	int s = 0;
	while (s < n && (((uintptr_t)tmp[s] >= G.self_lo && (uintptr_t)tmp[s] < G.self_hi) ||
			 ((uintptr_t)tmp[s] >= G.unw_lo && (uintptr_t)tmp[s] < G.unw_hi)))
		s++;
	n = scorch_rt_drop_self(tmp + s, n - s);
	if (n > G.depth)
		n = G.depth;
	memcpy(ips, tmp + s, (size_t)n * sizeof(*ips));
	uint64_t h = STACK_SEED;
	for (int i = 0; i < n; i++)
		h = stack_mix(h, (uintptr_t)ips[i]);
	*hash = stack_end(h, n);
	return n;
}

/* The id of the calling code's stack in buffer b, writing a STACK record the
 * first time b sees it. Called without b's lock (it may scan modules) and
 * returns with it held, so the caller writes its event and unlocks. */
uint32_t scorch_rt_stack_id(struct rt_buf *b, int flags)
{
	void *ips[G.depth];
	uint64_t h;
	if (unlikely(!b->sc)) {
		/* signals blocked: a handler's event here would map a second one */
		sigset_t old;
		scorch_rt_sigblock(&old);
		if (!b->sc) {
			struct rt_sc *sc = rt_mmap(sizeof(struct rt_sc));
			if (!sc) {
				sc = &sc_none;
				sc->busy = 1;
			}
			b->sc = sc;
		}
		scorch_rt_sigrestore(&old);
	}
	/* the hook's return address: the program's call site of malloc */
	const struct rt_tls *tl = &scorch_rt_tls;
	uintptr_t hint = 0;
	if (tl->nctx > 0 && tl->nctx <= RT_NEST)
		hint = ((const uintptr_t *)(tl->ctx[tl->nctx - 1] & ~(uintptr_t)1))[1];
	int cached = 0;
	int n = capture(ips, &h, b->sc, hint, &cached);

	/* b's dedup table is touched only by its owner, or by a flush on this
	 * same thread or under the lock: take it for the lookup. */
	scorch_rt_lock(b);
	uint32_t found = stack_find(b, h);
	if (found)
		return found;
	scorch_rt_unlock(b);
	if (cached) {
		/* a hit in the stack cache gives no frames: the same walk
		 * again, without it, for them */
		cached = 0;
		n = capture(ips, &h, NULL, 0, &cached);
	}

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
	uint8_t *p = scorch_rt_reserve(b, RAW_STACK_MAX(n));
	p = raw_put_stack(p, &(struct raw_stack){ .id = id, .flags = flags, .n = (uint32_t)n, .ips = ips });
	scorch_rt_commit(b, p, b->last_time);
	return id;
}
