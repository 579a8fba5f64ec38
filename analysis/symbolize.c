/* Address -> function, file:line and inline frames for the modules of a
 * process that has exited, with elfutils libdw. Each module is reported
 * offline to a Dwfl of its own, since one file may be mapped at several
 * biases over a run. Lookups go through indexes built on first use (function
 * symbols, functions per CU, CU ranges where .debug_aranges is missing):
 * dwfl_module_addrinfo() and dwarf_getscopes() scan linearly on every call. */
#include "symbolize.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "debug-cache.h"
#include "demangle.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"

/* DIE nesting followed when indexing a CU or descending into a function;
 * real code nests a few levels (namespaces, classes, blocks, inlines). */
#define MAX_DIE_DEPTH 64
/* Index entries scanned back from the binary search hit, for functions
 * whose ranges enclose others' (GNU C nested functions, odd DWARF). */
#define MAX_ENCLOSING 32
/* Tags a name-cache entry whose string does not demangle. */
#define NOT_MANGLED ((uint64_t)1)
/* Symbols scanned back from the binary search hit: aliases, and sized
 * symbols nested in others. */
#define MAX_SYM_SCAN 64

/* One address range of a function with code. */
struct fn_range {
	Dwarf_Addr lo, hi;      /* DWARF addresses: run-time address - bias */
	Dwarf_Die die;          /* its DW_TAG_subprogram */
};

struct cu_index {
	struct fn_range *fns;   /* sorted by lo */
	size_t nfns;
	Dwarf_Files *files;     /* resolves DW_AT_call_file; NULL if unreadable */
	size_t nfiles;
	const char *comp_dir;   /* absolute DW_AT_comp_dir, else NULL */
};

/* One address range [lo, hi) of a compilation unit: from .debug_aranges,
 * the unit at header offset `off` (in .debug_info); from the units' own
 * ranges, for files without .debug_aranges (clang does not emit them by
 * default), the unit's DIE `cu`. */
struct cu_range {
	Dwarf_Addr lo, hi;
	Dwarf_Die cu;
	Dwarf_Off off;
};

/* A function symbol of the ELF symbol table. */
struct sym {
	uint64_t addr, size;    /* run-time address */
	const char *name;       /* owned by libelf */
	uint8_t type, bind;
};

/* One ELF file reported at one bias; handles registered with the same path
 * and bias share it. */
struct image {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	const char *path;       /* in the strings arena */
	uint64_t bias;
	bool syms_loaded;
	struct sym *syms;       /* by address, the best of aliases last */
	size_t nsyms;
	struct u64map cu_by_die;        /* CU DIE address -> index in cus + 1 */
	VEC(struct cu_index) cus;
	bool cu_ranges_loaded;
	struct cu_range *cu_ranges;     /* sorted by lo */
	size_t ncu_ranges;
	int aranges_state;              /* 0 not read, 1 read (own table), -1 libdw's */
	struct cu_range *aranges;       /* sorted by lo */
	size_t naranges;
	/* qualified names of functions without a linkage name (scope_prefix()) */
	struct u64map scoped_cus;       /* CU DIE address -> 1 once its scopes are indexed */
	struct u64map scope_of;         /* function DIE address -> interned "ns::Class" */
	bool new_cu;                    /* a unit was indexed since the last image_trim() */
};

struct module {
	struct image *img;
	const char *base;       /* basename: the module's name for libdwfl */
	uint64_t bias, lo, hi;
};

/* Set of strings in the arena, so equal names share one copy. */
struct strset {
	const char **keys;
	uint64_t *hashes;
	size_t cap, len;
};

struct symbolizer {
	struct arena *strings;
	VEC(struct module) mods;
	VEC(struct image *) imgs;
	struct strset interned;
	/* libdw/libelf strings live as long as their Dwfl, so they can key
	 * caches by address: each name is demangled and interned once. */
	struct u64map names;    /* symbol or DIE name -> demangled+interned */
	struct u64map files;    /* absolute line-table file name -> interned */
	struct strbuf path;     /* scratch for joining relative file names */
};

/* The user data of a module whose debug file is a cache entry. */
static const char from_cache = 1;

/* Separate debug info: the decompressed copy from the cache when the
 * installed file's DWARF is compressed (debug-cache.h), else where libdwfl
 * looks for it. The cache is asked first: libdwfl's search opens the file
 * it finds itself, and libdw would inflate that one. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	/* libdwfl asks for a dwz supplementary file (.gnu_debugaltlink) the
	 * same way, with its name and no CRC: the module's build id is not
	 * that file's */
	bool alt = debuglink_file && !debuglink_crc;
	int n = alt ? 0 : dwfl_module_build_id(mod, &bits, &vaddr);
	int fd = n > 0 ? debug_cache_open(bits, n, debuginfo_file_name) : -1;
	if (fd >= 0) {
		*userdata = (void *)&from_cache;       /* see image_trim() */
		return fd;
	}
	return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					    debuglink_file, debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* ---- strings ------------------------------------------------------------ */

/* Returns the interned copy of s[0, n). When `owned` is already in the
 * arena (a demangler result) it becomes the copy instead of a new one. */
static const char *intern(struct symbolizer *s, const char *str, size_t n, const char *owned)
{
	struct strset *set = &s->interned;
	if ((set->len + 1) * 10 > set->cap * 7) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		const char **keys = xcalloc(cap, sizeof(*keys));
		uint64_t *hashes = xcalloc(cap, sizeof(*hashes));
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->keys[i])
				continue;
			size_t j = set->hashes[i] & (cap - 1);
			while (keys[j])
				j = (j + 1) & (cap - 1);
			keys[j] = set->keys[i];
			hashes[j] = set->hashes[i];
		}
		free(set->keys);
		free(set->hashes);
		set->keys = keys;
		set->hashes = hashes;
		set->cap = cap;
	}
	uint64_t h = hash_bytes(str, n, 0);
	size_t i = h & (set->cap - 1);
	for (; set->keys[i]; i = (i + 1) & (set->cap - 1))
		if (set->hashes[i] == h && !strncmp(set->keys[i], str, n) && !set->keys[i][n])
			return set->keys[i];
	set->keys[i] = owned ? owned : arena_strndup(s->strings, str, n);
	set->hashes[i] = h;
	set->len++;
	return set->keys[i];
}

static const char *intern_str(struct symbolizer *s, const char *str)
{
	return intern(s, str, strlen(str), NULL);
}

/* Demangled, interned form of a libdw-owned name; NULL when `demangled_only`
 * and it is not a mangled name. Symbol versions ("realpath@@GLIBC_2.3", as
 * the .symtab of versioned libraries spells some names) are dropped. */
static const char *cached_name(struct symbolizer *s, const char *name, bool demangled_only)
{
	bool isnew;
	uint64_t *slot = u64map_put(&s->names, (uint64_t)(uintptr_t)name, &isnew);
	if (isnew) {
		const char *at = strchr(name, '@');
		size_t len = at && at != name ? (size_t)(at - name) : strlen(name);
		char *plain = name[len] ? strndup(name, len) : NULL;
		const char *key = plain ? plain : name;
		/* when an equal name was interned before, d stays unused in the
		 * arena: rare, as each distinct source string gets here once */
		char *d = demangle(key, s->strings);
		if (d)
			*slot = (uint64_t)(uintptr_t)intern(s, d, strlen(d), d);
		else    /* interned strings are 16-byte aligned: bit 0 is free */
			*slot = (uint64_t)(uintptr_t)intern_str(s, key) | NOT_MANGLED;
		free(plain);
	}
	if (demangled_only && (*slot & NOT_MANGLED))
		return NULL;
	return (const char *)(uintptr_t)(*slot & ~NOT_MANGLED);
}

/* Interned full path of a line-table file name. DWARF 5 directory entries
 * may be relative to the unit's compilation directory (gcc writes
 * "tests/unit" for a file compiled as tests/unit/foo.c), which libdw leaves
 * as it is; joined here so that reports can open the file. */
static const char *cached_file(struct symbolizer *s, const char *file, const char *comp_dir)
{
	if (file[0] != '/' && comp_dir) {
		/* the result depends on the unit: interned by content */
		sb_reset(&s->path);
		sb_adds(&s->path, comp_dir);
		if (s->path.len && s->path.buf[s->path.len - 1] != '/')
			sb_addc(&s->path, '/');
		sb_adds(&s->path, file[0] == '.' && file[1] == '/' ? file + 2 : file);
		return intern(s, s->path.buf, s->path.len, NULL);
	}
	bool isnew;
	uint64_t *slot = u64map_put(&s->files, (uint64_t)(uintptr_t)file, &isnew);
	if (isnew)
		*slot = (uint64_t)(uintptr_t)intern_str(s, file);
	return (const char *)(uintptr_t)*slot;
}

/* ---- lifecycle ---------------------------------------------------------- */

struct symbolizer *symbolizer_new(struct arena *strings)
{
	if (!strings)
		return NULL;
	struct symbolizer *s = xcalloc(1, sizeof(*s));
	s->strings = strings;
	u64map_init(&s->names, 1024);
	u64map_init(&s->files, 256);
	return s;
}

static void image_free(struct image *img)
{
	for (size_t i = 0; i < img->cus.len; i++)
		free(img->cus.data[i].fns);
	VEC_FREE(&img->cus);
	u64map_release(&img->cu_by_die);
	u64map_release(&img->scoped_cus);
	u64map_release(&img->scope_of);
	free(img->cu_ranges);
	free(img->aranges);
	free(img->syms);
	dwfl_end(img->dwfl);
	free(img);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->imgs.len; i++)
		image_free(s->imgs.data[i]);
	VEC_FREE(&s->imgs);
	VEC_FREE(&s->mods);
	free(s->interned.keys);
	free(s->interned.hashes);
	u64map_release(&s->names);
	u64map_release(&s->files);
	sb_release(&s->path);
	free(s);
}

/* Reports `path` at `bias`. With add_p_vaddr = true libdwfl takes `base` as
 * the load bias itself, for ET_DYN whatever the first PT_LOAD's p_vaddr; with
 * false it would take base as the address of that first segment, which is
 * the bias only when p_vaddr is 0 (it is not for prelinked libraries or
 * -Ttext-segment builds). For ET_EXEC libdwfl ignores base: the bias is 0. */
static int image_open(struct image *img, const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	img->dwfl = dwfl_begin(&offline_callbacks);
	if (!img->dwfl) {
		close(fd);
		return -ENOMEM;
	}
	dwfl_report_begin(img->dwfl);
	/* on success libdwfl owns fd; on failure it is still ours */
	img->mod = dwfl_report_elf(img->dwfl, name, path, fd, img->bias, true);
	dwfl_report_end(img->dwfl, NULL, NULL);
	if (!img->mod) {
		close(fd);
		dwfl_end(img->dwfl);
		img->dwfl = NULL;
		return -ENOEXEC;
	}
	return 0;
}

int symbolizer_add_module(struct symbolizer *s, const char *path, uint64_t bias,
			  uint64_t lo, uint64_t hi)
{
	if (!s || !path || !*path)
		return -EINVAL;
	if (s->mods.len >= INT32_MAX)
		return -ENOSPC;
	const char *slash = strrchr(path, '/');
	struct module m = {
		.base = intern_str(s, slash && slash[1] ? slash + 1 : path),
		.bias = bias,
		.lo = lo,
		.hi = hi,
	};
	for (size_t i = 0; i < s->imgs.len && !m.img; i++)
		if (s->imgs.data[i]->bias == bias && !strcmp(s->imgs.data[i]->path, path))
			m.img = s->imgs.data[i];
	if (!m.img) {
		struct image *img = xcalloc(1, sizeof(*img));
		img->bias = bias;
		img->path = intern_str(s, path);
		int err = image_open(img, path, m.base);
		if (err) {
			free(img);
			return err;
		}
		u64map_init(&img->cu_by_die, 64);
		u64map_init(&img->scoped_cus, 16);
		u64map_init(&img->scope_of, 64);
		VEC_PUSH(&s->imgs, img);
		m.img = img;
	}
	VEC_PUSH(&s->mods, m);
	return (int)(s->mods.len - 1);
}

/* ---- symbol table index ------------------------------------------------- */

/* Which of two aliases at one address names it best: functions over
 * untyped labels, then the vDSO's own names (its clock_gettime is a weak
 * alias of __vdso_clock_gettime, which is what perf calls it, and which
 * tells it apart from libc's clock_gettime that calls it), then fewer
 * leading underscores, since libraries export the public name as an alias
 * of an internal one (getpid is a weak alias of __getpid, malloc one of
 * __libc_malloc), then global over weak over local, then the shorter name.
 * Returns > 0 when a is better. */
static int sym_better(const struct sym *a, const struct sym *b)
{
	static const int bind_rank[] = { [STB_LOCAL] = 1, [STB_GLOBAL] = 3, [STB_WEAK] = 2 };
	bool fa = a->type != STT_NOTYPE, fb = b->type != STT_NOTYPE;
	if (fa != fb)
		return fa ? 1 : -1;
	bool va = !strncmp(a->name, "__vdso_", 7), vb = !strncmp(b->name, "__vdso_", 7);
	if (va != vb)
		return va ? 1 : -1;
	size_t ua = strspn(a->name, "_"), ub = strspn(b->name, "_");
	if (ua != ub)
		return ua < ub ? 1 : -1;
	int ra = a->bind <= STB_WEAK ? bind_rank[a->bind] : 0;
	int rb = b->bind <= STB_WEAK ? bind_rank[b->bind] : 0;
	if (ra != rb)
		return ra - rb;
	size_t la = strlen(a->name), lb = strlen(b->name);
	if (la != lb)
		return la < lb ? 1 : -1;
	return 0;
}

static int cmp_sym(const void *pa, const void *pb)
{
	const struct sym *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	/* the best alias last: the backward scan meets it first */
	int r = sym_better(a, b);
	return r ? r : (a->name < b->name ? -1 : a->name > b->name);
}

/* Sorts v as qsort(v, n, sizeof(*v), cmp_sym) does (glibc's is a stable
 * merge sort here, so the result is the same): by address with a stable
 * radix sort on the bits where addresses differ (11 at a time), then each
 * run of one address by cmp_sym. qsort's 10^5 calls of cmp_sym on libc's
 * 8,000 function symbols were 10-14% of the launcher's CPU under a short
 * sampled heap profile. */
static void sym_sort(struct sym *v, size_t n)
{
	if (n < 2)
		return;
	uint64_t all = ~(uint64_t)0, any = 0;
	for (size_t i = 0; i < n; i++) {
		all &= v[i].addr;
		any |= v[i].addr;
	}
	uint64_t varies = all ^ any;
	struct sym *tmp = xmalloc(n * sizeof(*tmp)), *src = v, *dst = tmp;
	for (unsigned shift = 0; shift < 64; shift += 11) {
		if (!((varies >> shift) & 0x7ff))
			continue;
		size_t count[2048] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[(src[i].addr >> shift) & 0x7ff]++;
		for (size_t d = 0, at = 0; d < 2048; d++) {
			size_t c = count[d];
			count[d] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].addr >> shift) & 0x7ff]++] = src[i];
		struct sym *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && v[j].addr == v[i].addr; j++)
			;
		if (j - i > 16) {
			qsort(v + i, j - i, sizeof(*v), cmp_sym);
			continue;
		}
		for (size_t k = i + 1; k < j; k++) {   /* insertion: stable */
			struct sym e = v[k];
			size_t m = k;
			for (; m > i && cmp_sym(&v[m - 1], &e) > 0; m--)
				v[m] = v[m - 1];
			v[m] = e;
		}
	}
}

static bool in_exec_section(Elf *elf, GElf_Word shndx)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = elf ? elf_getscn(elf, shndx) : NULL;
	return scn && gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_EXECINSTR);
}

/* dwfl_module_addrinfo() scans the whole symbol table on every call (75 us
 * per lookup with 8000 symbols); this sorts the function symbols once. */
static void sym_index_load(struct image *img)
{
	img->syms_loaded = true;
	int n = dwfl_module_getsymtab(img->mod);
	VEC(struct sym) v = { 0 };
	for (int i = 1; i < n; i++) {
		GElf_Sym es;
		GElf_Addr addr;
		GElf_Word shndx;
		Elf *elf;
		Dwarf_Addr bias;
		const char *name = dwfl_module_getsym_info(img->mod, i, &es, &addr, &shndx, &elf, &bias);
		int type = GELF_ST_TYPE(es.st_info);
		if (!name || !*name || name[0] == '$' || shndx == SHN_UNDEF || shndx == SHN_ABS)
			continue;
		/* hand-written assembly often leaves functions untyped */
		if (type != STT_FUNC && type != STT_GNU_IFUNC &&
		    !(type == STT_NOTYPE && in_exec_section(elf, shndx)))
			continue;
		VEC_PUSH(&v, ((struct sym){ .addr = addr, .size = es.st_size, .name = name,
					    .type = (uint8_t)type,
					    .bind = (uint8_t)GELF_ST_BIND(es.st_info) }));
	}
	sym_sort(v.data, v.len);
	img->syms = v.data;
	img->nsyms = v.len;
}

/* The symbol naming the function at run-time address `addr`: the best
 * sized symbol containing it, else the nearest sizeless one before it
 * unless a sized symbol ends in between (the address is in padding). */
static const struct sym *sym_find_entry(struct image *img, uint64_t addr, uint64_t *end)
{
	if (!img->syms_loaded)
		sym_index_load(img);
	size_t lo = 0, hi = img->nsyms;
	while (lo < hi) {       /* first symbol after addr */
		size_t mid = lo + (hi - lo) / 2;
		if (img->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct sym *sizeless = NULL;
	bool gap = false;
	for (size_t i = lo, k = 0; i-- > 0 && k < MAX_SYM_SCAN; k++) {
		const struct sym *e = &img->syms[i];
		if (!e->size) {
			if (!gap && !sizeless)
				sizeless = e;
			continue;
		}
		if (addr - e->addr < e->size) {
			*end = e->addr + e->size;
			return e;
		}
		gap = true;
	}
	/* a sizeless symbol runs to the next symbol after the address */
	*end = lo < img->nsyms ? img->syms[lo].addr : addr + 1;
	return sizeless;
}

static const char *sym_find(struct image *img, uint64_t addr)
{
	uint64_t end;
	const struct sym *e = sym_find_entry(img, addr, &end);
	return e ? e->name : NULL;
}

/* ---- per-CU function index ---------------------------------------------- */

typedef VEC(struct fn_range) fn_vec;

static void index_ranges(fn_vec *v, Dwarf_Die *die)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		/* Functions the linker dropped keep their DWARF with low_pc 0
		 * (or -1/-2 tombstones in DWARF 5): no real code lives there. */
		if (lo == 0 || hi <= lo || lo >= (Dwarf_Addr)-2)
			continue;
		VEC_PUSH(v, ((struct fn_range){ .lo = lo, .hi = hi, .die = *die }));
	}
}

/* Collects the subprograms with code under `parent`: at CU level, in
 * namespaces and modules (Rust, Fortran), in classes, and nested in other
 * functions. Concrete code never lives in dwz partial units, so imported
 * units are not followed. */
static void index_scope(fn_vec *v, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;
	if (depth > MAX_DIE_DEPTH || dwarf_child(parent, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			/* its code, then nested functions and local classes */
			index_ranges(v, &child);
			/* fall through */
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_interface_type:
		case DW_TAG_lexical_block:
			index_scope(v, &child, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int cmp_range(const void *a, const void *b)
{
	const struct fn_range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	/* enclosing ranges first, so the scan back meets inner ones first */
	return x->hi > y->hi ? -1 : x->hi < y->hi;
}

static int cmp_cu_range(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void cu_ranges_load(struct image *img, Dwarf *dw)
{
	VEC(struct cu_range) v = { 0 };
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t type;
	img->cu_ranges_loaded = true;
	while (dwarf_get_units(dw, cu, &cu, NULL, &type, &cudie, NULL) == 0) {
		if (type != DW_UT_compile && type != DW_UT_skeleton)
			continue;
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0)
			if (lo && hi > lo && lo < (Dwarf_Addr)-2)
				VEC_PUSH(&v, ((struct cu_range){ .lo = lo, .hi = hi, .cu = cudie }));
	}
	if (v.len)
		qsort(v.data, v.len, sizeof(*v.data), cmp_cu_range);
	img->cu_ranges = v.data;
	img->ncu_ranges = v.len;
}

static uint64_t rd_le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* The file's .debug_aranges read into a table of its own. libdw's
 * dwarf_addrdie() reads them through dwarf_getaranges(), which reads every
 * unit's header as well and keeps a node per unit: 2.5-3.8 ms of CPU (and
 * 1.3-2.1 ms more in dwarf_end()) on libc's debug file (2,063 units), to
 * name the two libc frames of every sampled heap stack. Here the ranges
 * alone are read (a few us), and only the unit found is opened
 * (dwarf_offdie). Returns false when libdw is to do it (no readable
 * section in the byte order and form read here: big-endian, segmented or
 * compressed data, or a malformed set). */
static bool aranges_load(struct image *img, Dwarf *dw)
{
	img->aranges_state = -1;
	Elf *elf = dwarf_getelf(dw);
	size_t shstr;
	GElf_Ehdr eh;
	if (!elf || !gelf_getehdr(elf, &eh) || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    elf_getshdrstrndx(elf, &shstr) != 0)
		return false;
	Elf_Scn *scn = NULL;
	Elf_Data *d = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *nm;
		if (!gelf_getshdr(scn, &sh) || !(nm = elf_strptr(elf, shstr, sh.sh_name)) ||
		    strcmp(nm, ".debug_aranges"))
			continue;
		if ((sh.sh_flags & SHF_COMPRESSED) || sh.sh_type == SHT_NOBITS)
			return false;
		d = elf_getdata(scn, NULL);
		break;
	}
	if (!scn) {             /* none: the units' own ranges (cu_find) */
		img->aranges_state = 1;
		return true;
	}
	if (!d || !d->d_buf)
		return false;
	VEC(struct cu_range) v = { 0 };
	const unsigned char *base = d->d_buf, *p = base, *end = base + d->d_size;
	while (end - p >= 4) {
		const unsigned char *set = p;
		uint64_t len = rd_le(p, 4);
		unsigned osz = 4;
		p += 4;
		if (len == 0xffffffffu) {
			if (end - p < 8)
				goto bad;
			len = rd_le(p, 8);
			osz = 8;
			p += 8;
		} else if (len >= 0xfffffff0u) {
			goto bad;
		}
		if (len > (uint64_t)(end - p) || len < 2 + osz + 2)
			goto bad;
		const unsigned char *next = p + len;
		unsigned version = (unsigned)rd_le(p, 2);
		uint64_t cuoff = rd_le(p + 2, osz);
		unsigned asz = p[2 + osz], ssz = p[3 + osz];
		if (version != 2 || ssz != 0 || (asz != 4 && asz != 8))
			goto bad;
		/* tuples start at a multiple of their size from the set's start */
		size_t tup = 2u * asz, hdr = (size_t)(p + 4 + osz - set);
		const unsigned char *q = set + (hdr + tup - 1) / tup * tup;
		for (; next - q >= (ptrdiff_t)tup; q += tup) {
			uint64_t a = rd_le(q, asz), l = rd_le(q + asz, asz);
			if (a == 0 && l == 0)
				break;
			if (l == 0 || a + l < a)
				continue;
			VEC_PUSH(&v, ((struct cu_range){ .lo = a, .hi = a + l, .off = cuoff }));
		}
		p = next;
	}
	if (v.len)
		qsort(v.data, v.len, sizeof(*v.data), cmp_cu_range);
	img->aranges = v.data;
	img->naranges = v.len;
	img->aranges_state = 1;
	return true;
bad:
	VEC_FREE(&v);
	return false;
}

/* The range of t[0..n) (sorted by lo) that holds pc, or NULL. */
static const struct cu_range *cu_range_find(const struct cu_range *t, size_t n, Dwarf_Addr pc)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && pc < t[lo - 1].hi ? &t[lo - 1] : NULL;
}

/* The unit whose range holds pc in the table aranges_load() read. */
static bool aranges_find(struct image *img, Dwarf *dw, Dwarf_Addr pc, Dwarf_Die *cu)
{
	const struct cu_range *r = cu_range_find(img->aranges, img->naranges, pc);
	if (!r)
		return false;
	Dwarf_Off off = r->off, next;
	size_t hsize;
	return dwarf_next_unit(dw, off, &next, &hsize, NULL, NULL, NULL, NULL, NULL, NULL) == 0 &&
	       dwarf_offdie(dw, off + hsize, cu) != NULL;
}

/* Finds the unit holding DWARF address pc: through .debug_aranges when the
 * file has them, else through the units' own ranges. */
static bool cu_find(struct image *img, Dwarf *dw, Dwarf_Addr pc, Dwarf_Die *cu)
{
	if (img->aranges_state == 0)
		aranges_load(img, dw);
	if (img->aranges_state > 0) {
		if (aranges_find(img, dw, pc, cu))
			return true;
	} else if (dwarf_addrdie(dw, pc, cu)) {
		return true;
	}
	if (!img->cu_ranges_loaded)
		cu_ranges_load(img, dw);
	const struct cu_range *r = cu_range_find(img->cu_ranges, img->ncu_ranges, pc);
	if (r) {
		*cu = r->cu;
		return true;
	}
	return false;
}

/* The DIE tree holding a unit's functions: with split DWARF (-gsplit-dwarf)
 * the skeleton in the executable has only the line table, the rest is in
 * the .dwo file, which libdw finds next to the compilation directory. */
static Dwarf_Die unit_full_die(Dwarf_Die *cu)
{
	uint8_t type;
	Dwarf_Die sub;
	if (dwarf_cu_info(cu->cu, NULL, &type, NULL, &sub, NULL, NULL, NULL) == 0 &&
	    type == DW_UT_skeleton && sub.addr)
		return sub;
	return *cu;
}

/* The function index of unit `cu` (as found by address: a skeleton with
 * split DWARF), built on first use. */
static struct cu_index *cu_index_get(struct image *img, Dwarf_Die *cu)
{
	/* the DIE's address in the mapped debug data is unique across the
	 * main and any split or supplementary files */
	bool isnew;
	uint64_t *slot = u64map_put(&img->cu_by_die, (uint64_t)(uintptr_t)cu->addr, &isnew);
	if (!isnew)
		return &img->cus.data[*slot - 1];

	struct cu_index ci = { 0 };
	Dwarf_Attribute attr;
	const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
	ci.comp_dir = dir && dir[0] == '/' ? dir : NULL;
	Dwarf_Die full = unit_full_die(cu);
	Dwarf_Die *cudie = &full;
	fn_vec v = { 0 };
	index_scope(&v, cudie, 0);
	if (v.len)
		qsort(v.data, v.len, sizeof(*v.data), cmp_range);
	ci.fns = v.data;
	ci.nfns = v.len;
	if (dwarf_getsrcfiles(cudie, &ci.files, &ci.nfiles) != 0) {
		ci.files = NULL;
		ci.nfiles = 0;
	}
	VEC_PUSH(&img->cus, ci);
	img->new_cu = true;
	*slot = img->cus.len;
	return &img->cus.data[img->cus.len - 1];
}

/* Gives back the pages of a cache entry (debug-cache.h) that lookups read
 * once and need no more. libdw maps the debug file whole and reads every
 * unit's header on the first lookup by address (dwarf_getaranges interns
 * all units: libc's 5.6 MB of .debug_info resident for two frames); later
 * lookups read the units they name, a few pages each. The entry is a file
 * libdw only reads (uncompressed, not relocated), so its pages come back
 * from the page cache unchanged when touched again. */
static void image_trim(struct image *img)
{
	void **userdata = NULL;
	Dwarf_Addr bias;
	img->new_cu = false;
	if (!dwfl_module_info(img->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL) ||
	    !userdata || *userdata != (void *)&from_cache)
		return;
	Dwarf *dw = dwfl_module_getdwarf(img->mod, &bias);
	Elf *elf = dw ? dwarf_getelf(dw) : NULL;
	size_t size = 0;
	char *raw = elf ? elf_rawfile(elf, &size) : NULL;
	long page = sysconf(_SC_PAGESIZE);
	if (!raw || !size || page <= 0)
		return;
	uintptr_t lo = (uintptr_t)raw & ~(uintptr_t)(page - 1);
	uintptr_t hi = ((uintptr_t)raw + size + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
	madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* The innermost indexed function containing pc, or NULL. */
static Dwarf_Die *cu_index_find(struct cu_index *ci, Dwarf_Addr pc)
{
	size_t lo = 0, hi = ci->nfns;
	while (lo < hi) {       /* first entry with lo > pc */
		size_t mid = lo + (hi - lo) / 2;
		if (ci->fns[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, k = 0; i-- > 0 && k < MAX_ENCLOSING; k++)
		if (pc < ci->fns[i].hi)
			return &ci->fns[i].die;
	return NULL;
}

/* From the function containing pc, follows the lexical blocks and inlined
 * subroutines that contain it. chain[0] = the function, then each inlined
 * subroutine, outermost first. Returns the number of entries. */
static int inline_chain(Dwarf_Die *fn, Dwarf_Addr pc, Dwarf_Die *chain, int max)
{
	int n = 0;
	chain[n++] = *fn;
	Dwarf_Die cur = *fn, child;
	for (int depth = 0; depth < MAX_DIE_DEPTH && n < max; depth++) {
		bool found = false;
		if (dwarf_child(&cur, &child) != 0)
			break;
		do {
			int tag = dwarf_tag(&child);
			if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block &&
			    tag != DW_TAG_try_block && tag != DW_TAG_catch_block)
				continue;
			if (dwarf_haspc(&child, pc) > 0) {
				found = true;
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
		if (!found)
			break;
		cur = child;
		if (dwarf_tag(&cur) == DW_TAG_inlined_subroutine)
			chain[n++] = cur;
	}
	return n;
}

/* ---- names -------------------------------------------------------------- */

static const char *die_string(Dwarf_Die *die, int name)
{
	Dwarf_Attribute attr;
	/* integrate: follows DW_AT_abstract_origin and DW_AT_specification,
	 * where inlined and out-of-class definitions keep their names */
	return dwarf_formstring(dwarf_attr_integrate(die, name, &attr));
}

/* Records the namespace/class prefix ("std", "std::vector<int>") of each
 * function declared under parent, which is at depth `depth`; prefix holds
 * parent's qualified name. Only namespaces and types are entered: functions
 * are declared there, not inside other functions' bodies. */
static void index_scopes(struct symbolizer *s, struct image *img, Dwarf_Die *parent,
			 struct strbuf *prefix, int depth)
{
	Dwarf_Die child;
	if (depth >= MAX_DIE_DEPTH || dwarf_child(parent, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_subprogram) {
			if (prefix->len) {
				bool isnew;
				uint64_t *v = u64map_put(&img->scope_of, (uint64_t)(uintptr_t)child.addr, &isnew);
				*v = (uint64_t)(uintptr_t)intern(s, prefix->buf, prefix->len, NULL);
			}
		} else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
			   tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
			if (!dwarf_haschildren(&child))
				continue;
			const char *nm = dwarf_diename(&child);
			size_t keep = prefix->len;
			if (prefix->len)
				sb_adds(prefix, "::");
			sb_adds(prefix, nm ? nm : tag == DW_TAG_namespace ? "(anonymous namespace)" :
				"{unnamed type}");
			index_scopes(s, img, &child, prefix, depth + 1);
			prefix->len = keep;
			if (prefix->buf)
				prefix->buf[keep] = '\0';
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The namespaces and classes a function DIE is declared in, "" for none:
 * its abstract origin's or specification's (an inlined instance or an
 * out-of-class definition points to the declaration), looked up in a map
 * made once per compilation unit by walking its namespaces and types. */
static const char *scope_prefix(struct symbolizer *s, struct image *img, Dwarf_Die *die)
{
	Dwarf_Die cur = *die, next;
	Dwarf_Attribute attr;
	for (int hops = 0; hops < 8; hops++) {
		if (dwarf_attr(&cur, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &next))
			cur = next;
		else if (dwarf_attr(&cur, DW_AT_specification, &attr) && dwarf_formref_die(&attr, &next))
			cur = next;
		else
			break;
	}
	Dwarf_Die cu;
	if (!dwarf_diecu(&cur, &cu, NULL, NULL))
		return "";
	bool isnew;
	uint64_t *done = u64map_put(&img->scoped_cus, (uint64_t)(uintptr_t)cu.addr, &isnew);
	if (isnew) {
		*done = 1;
		struct strbuf prefix = STRBUF_INIT;
		index_scopes(s, img, &cu, &prefix, 0);
		sb_release(&prefix);
	}
	uint64_t *v = u64map_get(&img->scope_of, (uint64_t)(uintptr_t)cur.addr);
	return v ? (const char *)(uintptr_t)*v : "";
}

/* A function DIE's name: the demangled linkage name when there is one (so
 * C++ and Rust get qualified names), else DW_AT_name qualified with the
 * namespaces and classes it is declared in (GCC leaves the linkage name out
 * of some inlined-only functions: std::sort<...>, not sort<...>, beside the
 * qualified names of the functions around it). */
static const char *die_func_name(struct symbolizer *s, struct image *img, Dwarf_Die *die)
{
	const char *link = die_string(die, DW_AT_linkage_name);
	if (!link)
		link = die_string(die, DW_AT_MIPS_linkage_name);
	const char *d = link ? cached_name(s, link, true) : NULL;
	if (d)
		return d;
	const char *name = die_string(die, DW_AT_name);
	if (name) {
		const char *scope = link ? "" : scope_prefix(s, img, die);
		if (!*scope)
			return cached_name(s, name, false);
		struct strbuf q = STRBUF_INIT;
		sb_addf(&q, "%s::%s", scope, name);
		const char *r = intern(s, q.buf, q.len, NULL);
		sb_release(&q);
		return r;
	}
	return link ? cached_name(s, link, false) : NULL;
}

/* The name of a function nothing names. No name is made up (such as
 * "libfoo.so+0x1f310"): the profile says "unknown" and each view names the
 * frame by its module and offset ("[libfoo.so+0x1f310]", docs/json.md), and
 * pprof leaves the location without Lines, so pprof tools group it under
 * its mapping or symbolize it themselves. */
static const char unknown_name[] = "??";

/* ---- lookup ------------------------------------------------------------- */

/* The data of m's section holding ELF address va (an allocated one), and
 * that section's address; NULL when none does or it is named otherwise. */
static const uint8_t *sec_data(Elf *elf, const char *want, uint64_t va, uint64_t *sec_va, size_t *size)
{
	size_t shstr;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(elf, &shstr) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *nm;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !(sh.sh_flags & SHF_ALLOC) ||
		    !(nm = elf_strptr(elf, shstr, sh.sh_name)) || strcmp(nm, want))
			continue;
		if (va != UINT64_MAX && (va < sh.sh_addr || va - sh.sh_addr >= sh.sh_size))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != sh.sh_size)
			return NULL;
		*sec_va = sh.sh_addr;
		*size = d->d_size;
		return d->d_buf;
	}
	return NULL;
}

static int32_t le32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

/* A function that neither a symbol nor DWARF names (a static function of a
 * stripped library, which keeps only .dynsym) by the start of the .eh_frame
 * FDE covering addr: "[liblzma.so.5+0x1a200]", the offset in the module as
 * views give it for an unknown frame, so that all addresses of one function
 * make one frame instead of one each. The location keeps its own address
 * (annotate's instructions). The FDE is found in .eh_frame_hdr's sorted
 * table in the encodings every x86-64 toolchain writes (the table datarel
 * sdata4, FDE pointers pcrel sdata4, checked against the table); NULL when
 * there is none, it is encoded otherwise or no FDE covers addr.
 * (libdw's dwarf_frame_info gives the range of a CFI row, not of its FDE.) */
static const char *fde_name(struct symbolizer *s, struct module *m, uint64_t addr)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(m->img->mod, &bias);
	uint64_t hva, fva;
	size_t hn, fn;
	if (!elf || addr < bias)
		return NULL;
	uint64_t va = addr - bias;
	const uint8_t *h = sec_data(elf, ".eh_frame_hdr", UINT64_MAX, &hva, &hn);
	/* version 1; eh_frame_ptr pcrel sdata4, count udata4, table datarel sdata4 */
	if (!h || hn < 12 || h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
		return NULL;
	uint64_t nfde = (uint32_t)le32(h + 8);
	if (nfde == 0 || nfde > (hn - 12) / 8)
		return NULL;
	const uint8_t *tab = h + 12;
	size_t lo = 0, hi = nfde;     /* first entry starting after va */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uint64_t)((int64_t)hva + le32(tab + 8 * mid)) <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	uint64_t start = (uint64_t)((int64_t)hva + le32(tab + 8 * (lo - 1)));
	uint64_t fde = (uint64_t)((int64_t)hva + le32(tab + 8 * (lo - 1) + 4));
	const uint8_t *f = sec_data(elf, ".eh_frame", fde, &fva, &fn);
	if (!f || fde - fva + 16 > fn)
		return NULL;
	f += fde - fva;
	/* length (32-bit form), CIE pointer, pc_begin pcrel sdata4, pc_range */
	if ((uint32_t)le32(f) < 12 || (uint32_t)le32(f) == 0xffffffffu || !le32(f + 4) ||
	    (uint64_t)((int64_t)(fde + 8) + le32(f + 8)) != start)
		return NULL;
	uint64_t range = (uint32_t)le32(f + 12);
	if (va - start >= range || start + bias < m->bias)
		return NULL;
	char nm[320];
	snprintf(nm, sizeof(nm), "[%s+0x%llx]", m->base, (unsigned long long)(start + bias - m->bias));
	return intern_str(s, nm);
}

/* Whether run-time address addr is in a PLT section of module m (.plt,
 * .plt.sec, .plt.got), and the start of its entry there. No symbol covers
 * a PLT: the nearest one before it (_init) would take its frames. */
static bool plt_entry(struct module *m, uint64_t addr, uint64_t *entry)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(m->img->mod, &bias);
	size_t shstr;
	if (!elf || addr < bias || elf_getshdrstrndx(elf, &shstr) != 0)
		return false;
	uint64_t va = addr - bias;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *nm;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) || va < sh.sh_addr ||
		    va - sh.sh_addr >= sh.sh_size)
			continue;
		if (!(nm = elf_strptr(elf, shstr, sh.sh_name)) || strncmp(nm, ".plt", 4))
			return false;
		uint64_t es = sh.sh_entsize ? sh.sh_entsize : 16;
		*entry = bias + sh.sh_addr + (va - sh.sh_addr) / es * es;
		return true;
	}
	return false;
}

/* Moves (file, line) from a position inside inlined subroutine `inl` to its
 * call site in the caller. */
static void call_site(struct symbolizer *s, Dwarf_Die *inl, struct cu_index *ci,
		      const char **file, uint32_t *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	*file = "";
	*line = 0;
	if (ci && ci->files && dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &attr), &v) == 0 &&
	    v < ci->nfiles) {
		const char *f = dwarf_filesrc(ci->files, v, NULL, NULL);
		if (f)
			*file = cached_file(s, f, ci->comp_dir);
	}
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &attr), &v) == 0 && v <= UINT32_MAX)
		*line = (uint32_t)v;
}

int symbolizer_lookup(struct symbolizer *s, int mod, uint64_t addr,
		      struct sc_line *out, int max)
{
	if (!s || !out || max < 1)
		return -EINVAL;
	struct module *m = mod >= 0 && (size_t)mod < s->mods.len ? &s->mods.data[mod] : NULL;
	/* no module, or outside its span: nothing to name it by */
	if (!m) {
		out[0] = (struct sc_line){ unknown_name, "", 0, false };
		return 1;
	}
	if (m->hi > m->lo && (addr < m->lo || addr >= m->hi)) {
		out[0] = (struct sc_line){ unknown_name, "", 0, false };
		return 1;
	}

	const char *file = "";
	uint32_t line = 0;
	Dwarf_Die chain[MAX_DIE_DEPTH + 1];
	int nchain = 0;
	struct cu_index *ci = NULL;
	Dwarf_Addr dbias;
	Dwarf_Die cu;
	Dwarf *dw = dwfl_module_getdwarf(m->img->mod, &dbias);
	if (dw && addr >= dbias && cu_find(m->img, dw, addr - dbias, &cu)) {
		Dwarf_Addr pc = addr - dbias;
		ci = cu_index_get(m->img, &cu);
		Dwarf_Line *dl = dwarf_getsrc_die(&cu, pc);
		int ln = 0;
		const char *f = dl ? dwarf_linesrc(dl, NULL, NULL) : NULL;
		if (f)
			file = cached_file(s, f, ci->comp_dir);
		if (dl && dwarf_lineno(dl, &ln) == 0 && ln > 0)
			line = (uint32_t)ln;

		Dwarf_Die *fn = cu_index_find(ci, pc);
		if (fn)
			nchain = inline_chain(fn, pc, chain, MAX_DIE_DEPTH + 1);
	}

	/* Innermost inlined function first. Each takes the position inside it
	 * and hands its call site to the next one out. Past max - 1 frames the
	 * innermost are kept: the containing function always comes last. */
	int n = 0;
	for (int i = nchain - 1; i >= 1; i--) {
		if (n < max - 1) {
			const char *name = die_func_name(s, m->img, &chain[i]);
			out[n++] = (struct sc_line){ name ? name : "??", file, line, true };
		}
		call_site(s, &chain[i], ci, &file, &line);
	}

	/* The containing function: the ELF symbol tells clones and split parts
	 * (foo.cold) apart where DWARF names them all alike. A PLT entry is
	 * named by the function it jumps to ("malloc@plt"), as objdump does. */
	const char *name = NULL, *symname = NULL;
	uint64_t entry;
	if (!nchain && plt_entry(m, addr, &entry)) {
		if (symbolizer_plt_name(s, mod, entry, &name) != 0)
			name = NULL;
	} else if ((symname = sym_find(m->img, addr))) {
		name = cached_name(s, symname, false);
	}
	if (!name && nchain)
		name = die_func_name(s, m->img, &chain[0]);
	if (!name && (name = fde_name(s, m, addr)) != NULL) {
		file = "";
		line = 0;
	}
	if (!name) {
		name = unknown_name;
		file = "";
		line = 0;
	}
	out[n++] = (struct sc_line){ name, file, line, false };
	if (m->img->new_cu)
		image_trim(m->img);
	return n;
}

/* ---- code and line rows, for annotation ---------------------------------- */

static struct module *module_of(struct symbolizer *s, int mod)
{
	return s && mod >= 0 && (size_t)mod < s->mods.len ? &s->mods.data[mod] : NULL;
}

int symbolizer_symbol(struct symbolizer *s, int mod, uint64_t addr, uint64_t *start,
		      uint64_t *size, const char **name)
{
	struct module *m = module_of(s, mod);
	if (!m)
		return -EINVAL;
	uint64_t end;
	const struct sym *e = sym_find_entry(m->img, addr, &end);
	if (!e || end <= e->addr)
		return -ENOENT;
	*start = e->addr;
	*size = end - e->addr;
	*name = cached_name(s, e->name, false);
	return 0;
}

int symbolizer_machine(struct symbolizer *s, int mod)
{
	struct module *m = module_of(s, mod);
	Dwarf_Addr bias;
	Elf *elf = m ? dwfl_module_getelf(m->img->mod, &bias) : NULL;
	GElf_Ehdr eh;
	return elf && gelf_getehdr(elf, &eh) ? eh.e_machine : 0;
}

ssize_t symbolizer_code(struct symbolizer *s, int mod, uint64_t start, uint8_t *buf, size_t len)
{
	struct module *m = module_of(s, mod);
	Dwarf_Addr bias;
	Elf *elf = m ? dwfl_module_getelf(m->img->mod, &bias) : NULL;
	if (!elf || start < bias)
		return -ENOENT;
	uint64_t va = start - bias;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || va < sh.sh_addr || va - sh.sh_addr >= sh.sh_size)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		uint64_t off = va - sh.sh_addr;
		if (!d || !d->d_buf || off >= d->d_size)
			return -EIO;
		size_t n = d->d_size - off < len ? (size_t)(d->d_size - off) : len;
		memcpy(buf, (const uint8_t *)d->d_buf + off, n);
		return (ssize_t)n;
	}
	return -ENOENT;
}

int symbolizer_rows(struct symbolizer *s, int mod, uint64_t lo, uint64_t hi,
		    void (*fn)(void *ctx, uint64_t addr, const char *file, uint32_t line), void *ctx)
{
	struct module *m = module_of(s, mod);
	if (!m)
		return -EINVAL;
	Dwarf_Addr dbias;
	Dwarf *dw = dwfl_module_getdwarf(m->img->mod, &dbias);
	Dwarf_Die cu;
	if (!dw || lo < dbias || !cu_find(m->img, dw, lo - dbias, &cu))
		return -ENOENT;
	struct cu_index *ci = cu_index_get(m->img, &cu);
	Dwarf_Lines *lines;
	size_t n;
	if (dwarf_getsrclines(&cu, &lines, &n) != 0)
		return -ENOENT;
	int rows = 0;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Line *dl = dwarf_onesrcline(lines, i);
		Dwarf_Addr a;
		bool endseq = false;
		int ln = 0;
		if (!dl || dwarf_lineaddr(dl, &a) != 0 || dwarf_lineendsequence(dl, &endseq) != 0)
			continue;
		a += dbias;
		if (a < lo || a >= hi)
			continue;
		const char *f = dwarf_linesrc(dl, NULL, NULL);
		if (dwarf_lineno(dl, &ln) != 0 || ln < 0)
			ln = 0;
		/* an end of sequence marks where code stops: no line from there */
		fn(ctx, a, endseq || !f ? "" : cached_file(s, f, ci->comp_dir), endseq ? 0 : (uint32_t)ln);
		rows++;
	}
	return rows;
}

/* x86-64 PLT entries jump through their GOT slot: "jmp *disp32(%rip)"
 * (ff 25), after an endbr64 and a bnd prefix in IBT layouts (.plt.sec).
 * The slot's R_X86_64_JUMP_SLOT (or, in .plt.got, GLOB_DAT) relocation
 * names the function. */
int symbolizer_plt_name(struct symbolizer *s, int mod, uint64_t addr, const char **name)
{
	struct module *m = module_of(s, mod);
	Dwarf_Addr bias;
	Elf *elf = m ? dwfl_module_getelf(m->img->mod, &bias) : NULL;
	GElf_Ehdr eh;
	size_t shstr;
	if (!elf || addr < bias || !gelf_getehdr(elf, &eh) || eh.e_machine != EM_X86_64 ||
	    elf_getshdrstrndx(elf, &shstr) != 0)
		return -ENOENT;
	uint64_t va = addr - bias, slot = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) && !slot) {
		GElf_Shdr sh;
		const char *nm;
		if (!gelf_getshdr(scn, &sh) || va < sh.sh_addr || va - sh.sh_addr >= sh.sh_size ||
		    !(nm = elf_strptr(elf, shstr, sh.sh_name)) || strncmp(nm, ".plt", 4))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		uint64_t off = va - sh.sh_addr;
		if (!d || !d->d_buf || off >= d->d_size)
			return -ENOENT;
		const uint8_t *b = (const uint8_t *)d->d_buf + off;
		size_t n = d->d_size - off < 16 ? (size_t)(d->d_size - off) : 16;
		for (size_t i = 0; i + 6 <= n; i++)
			if (b[i] == 0xff && b[i + 1] == 0x25) {
				int32_t disp = (int32_t)((uint32_t)b[i + 2] | (uint32_t)b[i + 3] << 8 |
							 (uint32_t)b[i + 4] << 16 | (uint32_t)b[i + 5] << 24);
				slot = va + i + 6 + (uint64_t)(int64_t)disp;
				break;
			}
	}
	if (!slot)
		return -ENOENT;
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
		GElf_Shdr symsh;
		Elf_Data *syms = symscn ? elf_getdata(symscn, NULL) : NULL;
		if (!d || !syms || !gelf_getshdr(symscn, &symsh) || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			const char *nm;
			/* .plt.got entries jump through GLOB_DAT slots (a function
			 * whose address the program also takes) */
			if (!gelf_getrela(d, (int)i, &r) || r.r_offset != slot ||
			    (GELF_R_TYPE(r.r_info) != R_X86_64_JUMP_SLOT &&
			     GELF_R_TYPE(r.r_info) != R_X86_64_GLOB_DAT) ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) ||
			    !(nm = elf_strptr(elf, symsh.sh_link, sym.st_name)) || !*nm)
				continue;
			char buf[512];
			snprintf(buf, sizeof(buf), "%s@plt", nm);
			*name = intern_str(s, buf);
			return 0;
		}
	}
	return -ENOENT;
}

int symbolizer_symbol_named(struct symbolizer *s, int mod, const char *name, uint64_t *addr)
{
	struct module *m = module_of(s, mod);
	if (!m || !name || !*name)
		return -EINVAL;
	if (!m->img->syms_loaded)
		sym_index_load(m->img);
	for (size_t i = 0; i < m->img->nsyms; i++) {
		const struct sym *e = &m->img->syms[i];
		if (!strcmp(e->name, name) || !strcmp(cached_name(s, e->name, false), name)) {
			*addr = e->addr;
			return 0;
		}
	}
	return -ENOENT;
}

int symbolizer_build_id(struct symbolizer *s, int mod, const uint8_t **bits)
{
	struct module *m = module_of(s, mod);
	GElf_Addr vaddr;
	const unsigned char *b = NULL;
	int n = m ? dwfl_module_build_id(m->img->mod, &b, &vaddr) : -1;
	if (n <= 0)
		return 0;
	*bits = b;
	return n;
}
