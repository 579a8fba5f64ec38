/* Code capture for annotation (code.h): ranks the functions by the weight of
 * the samples whose innermost frame lies in them, copies the code and
 * line rows of the heaviest from their modules' files, then the source
 * lines those rows and the samples' frames name, with a little context. */
#include "code.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/vec.h"

struct cand {
	int32_t mi;
	int handle;
	uint64_t start, size;
	const char *name;
	uint64_t weight;        /* samples innermost in it */
	uint64_t total;         /* samples passing through it */
};

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	if (a->mi != b->mi)
		return a->mi < b->mi ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

static int cand_total_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return cand_cmp(pa, pb);
}

static int code_cmp(const void *pa, const void *pb)
{
	const struct sc_code *a = pa, *b = pb;
	if (a->module != b->module)
		return a->module < b->module ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

struct rowv {
	VEC(struct sc_code_row) v;
};

static void add_row(void *ctx, uint64_t addr, const char *file, uint32_t line)
{
	struct rowv *r = ctx;
	VEC_PUSH(&r->v, ((struct sc_code_row){ addr, file, line }));
}

long code_find(const struct sc_profile *p, int32_t mi, uint64_t addr)
{
	size_t lo = 0, hi = p->ncodes;
	while (lo < hi) {       /* first code after (mi, addr) */
		size_t mid = lo + (hi - lo) / 2;
		const struct sc_code *c = &p->codes[mid];
		if (c->module < mi || (c->module == mi && c->start <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	const struct sc_code *c = &p->codes[lo - 1];
	return c->module == mi && addr - c->start < c->len ? (long)(lo - 1) : -1;
}

/* ---- source lines ---- */

struct want {
	const char *file;
	uint32_t line;
};

struct range {
	uint32_t a, b;          /* lines a to b, both kept */
};

typedef VEC(struct sc_source) source_vec;

static int want_cmp(const void *pa, const void *pb)
{
	const struct want *a = pa, *b = pb;
	int c = a->file == b->file ? 0 : strcmp(a->file, b->file);
	if (c)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int src_cmp(const void *pa, const void *pb)
{
	const struct sc_source *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);
	if (c)
		return c;
	return a->first < b->first ? -1 : a->first > b->first;
}

const char *source_line(const struct sc_profile *p, const char *file, uint32_t line)
{
	if (!file || !*file || !line)
		return NULL;
	size_t lo = 0, hi = p->nsources;
	while (lo < hi) {       /* first excerpt after (file, line) */
		size_t mid = lo + (hi - lo) / 2;
		const struct sc_source *s = &p->sources[mid];
		int c = strcmp(s->file, file);
		if (c < 0 || (c == 0 && s->first <= line))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct sc_source *s = &p->sources[lo - 1];
	return !strcmp(s->file, file) && line - s->first < s->nlines ? s->lines[line - s->first] : NULL;
}

static void add_excerpt(struct sc_profile *p, source_vec *out, const char *file, uint32_t last,
			const char **lines, size_t n)
{
	struct sc_source s = { file, (uint32_t)(last - n + 1), (uint32_t)n,
			       arena_alloc(&p->arena, n * sizeof(char *)) };
	memcpy(s.lines, lines, n * sizeof(char *));
	VEC_PUSH(out, s);
}

/* A copy of s[0, n) in the arena with every byte that does not belong to a
 * valid UTF-8 sequence replaced by '?', so that JSON of it is valid. */
static const char *utf8_copy(struct arena *a, const char *s, size_t n)
{
	char *d = arena_strndup(a, s, n);
	const unsigned char *u = (const unsigned char *)d;
	for (size_t i = 0; i < n;) {
		size_t len = u[i] < 0x80 ? 1 : (u[i] & 0xe0) == 0xc0 ? 2 : (u[i] & 0xf0) == 0xe0 ? 3
			   : (u[i] & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len && i + len <= n && !(len == 2 && u[i] < 0xc2);
		for (size_t k = 1; ok && k < len; k++)
			ok = (u[i + k] & 0xc0) == 0x80;
		if (ok) {
			i += len;
		} else {
			d[i] = '?';
			i++;
		}
	}
	return d;
}

/* Reads the lines of ranges rg (sorted, apart) of one file into excerpts;
 * *budget is the source text still allowed. */
static void read_ranges(struct sc_profile *p, const char *file, const struct range *rg, size_t nrg,
			source_vec *out, size_t *budget)
{
	struct stat st;
	FILE *fp = fopen(file, "r");
	if (!fp)
		return;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return;
	}
	char *buf = NULL;
	size_t cap = 0, k = 0;
	ssize_t n;
	uint32_t ln = 0;
	VEC(const char *) lines = { 0 };
	while (k < nrg && (n = getline(&buf, &cap, fp)) >= 0) {
		ln++;
		if (ln < rg[k].a)
			continue;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		if (n > 1000)
			n = 1000;       /* generated or minified code: enough to recognise it */
		if ((size_t)n + 1 > *budget)
			break;
		*budget -= (size_t)n + 1;
		VEC_PUSH(&lines, utf8_copy(&p->arena, buf, (size_t)n));
		if (ln == rg[k].b) {
			add_excerpt(p, out, file, ln, lines.data, lines.len);
			lines.len = 0;
			k++;
		}
	}
	if (lines.len)          /* the file or the budget ended inside a range */
		add_excerpt(p, out, file, ln, lines.data, lines.len);
	VEC_FREE(&lines);
	free(buf);
	fclose(fp);
}

static void capture_sources(struct sc_profile *p, const uint8_t *on_stack)
{
	VEC(struct want) w = { 0 };
	for (size_t i = 0; i < p->ncodes; i++)
		for (uint32_t j = 0; j < p->codes[i].nrows; j++)
			if (p->codes[i].rows[j].line && *p->codes[i].rows[j].file)
				VEC_PUSH(&w, ((struct want){ p->codes[i].rows[j].file, p->codes[i].rows[j].line }));
	/* the lines the samples' frames name, in kept code or not (callers),
	 * inlined call sites included (they need not be rows of the table) */
	for (size_t i = 0; i < p->nlocations; i++) {
		const struct sc_location *l = &p->locations[i];
		if (!on_stack[i])
			continue;
		for (uint32_t j = 0; j < l->nlines; j++)
			if (l->lines[j].line && *l->lines[j].file)
				VEC_PUSH(&w, ((struct want){ l->lines[j].file, l->lines[j].line }));
	}
	if (w.len)
		qsort(w.data, w.len, sizeof(*w.data), want_cmp);
	source_vec out = { 0 };
	VEC(struct range) rg = { 0 };
	size_t budget = SOURCE_MAX_BYTES;
	for (size_t i = 0; i < w.len;) {
		const char *file = w.data[i].file;
		rg.len = 0;
		for (; i < w.len && !strcmp(w.data[i].file, file); i++) {
			uint32_t l = w.data[i].line;
			struct range r = { l > SOURCE_CONTEXT_BEFORE ? l - SOURCE_CONTEXT_BEFORE : 1,
					   l + SOURCE_CONTEXT_AFTER };
			/* ranges closer than SOURCE_GAP lines are kept as one */
			if (rg.len && r.a <= rg.data[rg.len - 1].b + SOURCE_GAP + 1) {
				if (r.b > rg.data[rg.len - 1].b)
					rg.data[rg.len - 1].b = r.b;
				continue;
			}
			VEC_PUSH(&rg, r);
		}
		read_ranges(p, file, rg.data, rg.len, &out, &budget);
	}
	if (out.len) {
		qsort(out.data, out.len, sizeof(*out.data), src_cmp);
		p->sources = arena_alloc(&p->arena, out.len * sizeof(*p->sources));
		memcpy(p->sources, out.data, out.len * sizeof(*p->sources));
		p->nsources = out.len;
	}
	VEC_FREE(&out);
	VEC_FREE(&rg);
	VEC_FREE(&w);
}

/* ---- branch targets ---- */

bool code_branch_target(uint32_t machine, const char *mn, const char *ops, uint64_t *target)
{
	bool branch = machine == EM_AARCH64 ? (mn[0] == 'b' || !strncmp(mn, "cb", 2) || !strncmp(mn, "tb", 2))
					    : (mn[0] == 'j' || !strncmp(mn, "call", 4));
	const char *hx = strstr(ops, "0x");
	if (!branch || !hx || (hx != ops && hx[-1] != '#'))
		return false;
	char *end;
	*target = strtoull(hx, &end, 16);
	return !*end;
}

static int target_cmp(const void *pa, const void *pb)
{
	const struct sc_code_target *a = pa, *b = pb;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

#define CS_STR_(x) #x
#define CS_STR(x) CS_STR_(x)
#define CS_SONAME "libcapstone.so." CS_STR(CS_API_MAJOR)

const struct code_cs *code_capstone(const char **why)
{
	static struct code_cs cs;
	static int ready;        /* 0: not tried, 1: loaded, -1: failed */
	static char cs_why[400];
	if (ready == 0) {
		ready = -1;
		void *so = dlopen(CS_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!so) {
			const char *e = dlerror();
			snprintf(cs_why, sizeof(cs_why),
				 "disassembling needs capstone (" CS_SONAME "): install libcapstone%d (%s)", CS_API_MAJOR,
				 e ? e : "not found");
			goto out;
		}
		unsigned (*version)(int *, int *) = (unsigned (*)(int *, int *))dlsym(so, "cs_version");
		int major = -1, minor = -1;
		if (version)
			version(&major, &minor);
		static const struct {
			const char *name;
			void **slot;
		} syms[] = {
			{ "cs_open", (void **)&cs.open },
			{ "cs_option", (void **)&cs.option },
			{ "cs_malloc", (void **)&cs.malloc },
			{ "cs_disasm_iter", (void **)&cs.disasm_iter },
			{ "cs_free", (void **)&cs.free },
			{ "cs_close", (void **)&cs.close },
		};
		for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
			if (!(*syms[i].slot = dlsym(so, syms[i].name)))
				major = -2;
		if (major != CS_API_MAJOR) {
			/* cs_insn's layout is the version's: another one would be misread */
			snprintf(cs_why, sizeof(cs_why),
				 "disassembling needs capstone " CS_STR(CS_API_MAJOR) " (" CS_SONAME "): the one loaded %s%d",
				 major == -2 ? "lacks a function of version " : "is version ",
				 major == -2 ? CS_API_MAJOR : major);
			dlclose(so);
			goto out;
		}
		ready = 1;
	}
out:
	if (ready < 0 && why)
		*why = cs_why;
	return ready > 0 ? &cs : NULL;
}

/* Names the places outside code c that its direct calls and jumps lead to:
 * the symbol there (with an offset when inside it), or the PLT entry's
 * function. Decoded with capstone (x86 and AArch64). */
static void capture_targets(struct sc_profile *p, struct sc_code *c, struct symbolizer *sym, int h,
			    uint32_t machine)
{
	csh cs;
	cs_arch arch = machine == EM_AARCH64 ? CS_ARCH_ARM64 : CS_ARCH_X86;
	cs_mode mode = machine == EM_AARCH64 ? CS_MODE_ARM : machine == EM_386 ? CS_MODE_32 : CS_MODE_64;
	if (machine != EM_X86_64 && machine != EM_386 && machine != EM_AARCH64)
		return;
	const char *why;
	const struct code_cs *C = code_capstone(&why);
	if (!C) {
		/* the code is kept all the same: annotate shows it where
		 * capstone is; only the names of its calls' targets are lost */
		static int said;
		if (!said++)
			fprintf(stderr, "scorch: the profile's code names no call targets: %s\n", why);
		return;
	}
	if (C->open(arch, mode, &cs) != CS_ERR_OK)
		return;
	cs_insn *in = C->malloc(cs);
	const uint8_t *b = c->bytes;
	size_t left = c->len;
	uint64_t at = c->start;
	VEC(struct sc_code_target) v = { 0 };
	while (left) {
		if (!C->disasm_iter(cs, &b, &left, &at, in)) {
			b++;    /* not an instruction: on to the next byte */
			left--;
			at++;
			continue;
		}
		uint64_t t;
		if (!code_branch_target(machine, in->mnemonic, in->op_str, &t) || t - c->start < c->len)
			continue;
		bool dup = false;
		for (size_t k = 0; k < v.len && !dup; k++)
			dup = v.data[k].addr == t;
		if (dup)
			continue;
		uint64_t st, sz;
		const char *nm;
		/* a PLT entry first: the symbol before it (_init) is no name for it */
		if (symbolizer_plt_name(sym, h, t, &nm) != 0) {
			if (symbolizer_symbol(sym, h, t, &st, &sz, &nm) != 0 || t - st >= sz)
				continue;
			if (t != st) {
				char buf[600];
				snprintf(buf, sizeof(buf), "%s+%#llx", nm, (unsigned long long)(t - st));
				nm = arena_strdup(&p->arena, buf);
			}
		}
		VEC_PUSH(&v, ((struct sc_code_target){ t, nm }));
	}
	C->free(in, 1);
	C->close(&cs);
	if (v.len) {
		qsort(v.data, v.len, sizeof(*v.data), target_cmp);
		c->targets = arena_alloc(&p->arena, v.len * sizeof(*v.data));
		memcpy(c->targets, v.data, v.len * sizeof(*v.data));
		c->ntargets = (uint32_t)v.len;
	}
	VEC_FREE(&v);
}

/* ---- code ---- */

void code_capture(struct sc_profile *p, struct symbolizer *sym,
		  int (*handle)(void *ctx, int mi), void *ctx)
{
	if (!sym || !p->nsamples || !p->nlocations)
		return;
	/* per location: the weight of the samples innermost there (self) and
	 * passing there (total) */
	uint64_t *sw = xcalloc(p->nstacks, sizeof(uint64_t));
	for (size_t i = 0; i < p->nsamples; i++)
		if (p->samples[i].stack < p->nstacks)
			sw[p->samples[i].stack] += (uint64_t)p->samples[i].weight + 1;
	uint64_t *self = xcalloc(p->nlocations, sizeof(uint64_t));
	uint64_t *total = xcalloc(p->nlocations, sizeof(uint64_t));
	for (size_t s = 0; s < p->nstacks; s++) {
		const struct sc_stack *st = &p->stacks[s];
		if (!sw[s] || !st->nlocs)
			continue;
		self[st->locs[0]] += sw[s];
		for (uint32_t j = 0; j < st->nlocs; j++)
			total[st->locs[j]] += sw[s];
	}
	free(sw);
	struct u64map index;
	u64map_init(&index, 256);
	VEC(struct cand) cands = { 0 };
	for (size_t i = 0; i < p->nlocations; i++) {
		const struct sc_location *l = &p->locations[i];
		if (!total[i] || l->module < 0)
			continue;
		int h = handle(ctx, l->module);
		struct cand c = { .mi = l->module, .handle = h, .weight = self[i], .total = total[i] };
		if (h < 0 || symbolizer_symbol(sym, h, l->addr, &c.start, &c.size, &c.name) != 0)
			continue;
		bool isnew;
		uint64_t *slot = u64map_put(&index, (c.start & 0xffffffffffffull) | (uint64_t)(c.mi + 1) << 48,
					    &isnew);
		if (isnew) {
			VEC_PUSH(&cands, c);
			*slot = cands.len - 1;
		} else {
			cands.data[*slot].weight += self[i];
			cands.data[*slot].total += total[i];
		}
	}
	uint8_t *on_stack = xcalloc(p->nlocations, 1);
	for (size_t i = 0; i < p->nlocations; i++)
		on_stack[i] = total[i] != 0;
	free(self);
	free(total);
	u64map_release(&index);
	/* the hottest by self first; callers by total fill the rest */
	if (cands.len)
		qsort(cands.data, cands.len, sizeof(*cands.data), cand_cmp);
	size_t nself = 0;
	while (nself < cands.len && cands.data[nself].weight)
		nself++;
	if (nself > CODE_MAX_SELF_FUNCS) {
		for (size_t i = CODE_MAX_SELF_FUNCS; i < nself; i++)
			cands.data[i].weight = 0;
		nself = CODE_MAX_SELF_FUNCS;
	}
	if (cands.len > nself)
		qsort(cands.data + nself, cands.len - nself, sizeof(*cands.data), cand_total_cmp);

	VEC(struct sc_code) codes = { 0 };
	size_t kept = 0;
	uint32_t machine = 0;
	struct rowv rows = { 0 };
	for (size_t i = 0; i < cands.len && codes.len < CODE_MAX_FUNCS; i++) {
		const struct cand *c = &cands.data[i];
		if (c->size > CODE_MAX_FUNC_BYTES || kept + c->size > CODE_MAX_BYTES)
			continue;
		uint32_t m = (uint32_t)symbolizer_machine(sym, c->handle);
		if (!m || (machine && m != machine))
			continue;
		/* nested symbols: keep the heavier, which came first */
		bool overlap = false;
		for (size_t k = 0; k < codes.len && !overlap; k++)
			overlap = codes.data[k].module == c->mi && c->start < codes.data[k].start + codes.data[k].len &&
				  codes.data[k].start < c->start + c->size;
		if (overlap)
			continue;
		uint8_t *bytes = arena_alloc(&p->arena, c->size);
		ssize_t n = symbolizer_code(sym, c->handle, c->start, bytes, c->size);
		if (n <= 0)
			continue;
		machine = m;
		struct sc_code code = { .module = c->mi, .start = c->start, .len = (uint32_t)n,
					.bytes = bytes, .name = c->name };
		rows.v.len = 0;
		symbolizer_rows(sym, c->handle, c->start, c->start + (uint64_t)n, add_row, &rows);
		if (rows.v.len) {
			size_t nr = rows.v.len;
			struct sc_code_row *r = arena_alloc(&p->arena, nr * sizeof(*r));
			/* a stable sort: insertion, rows come nearly sorted */
			for (size_t k = 0; k < nr; k++) {
				size_t j = k;
				while (j > 0 && r[j - 1].addr > rows.v.data[k].addr) {
					r[j] = r[j - 1];
					j--;
				}
				r[j] = rows.v.data[k];
			}
			size_t out = 0;
			for (size_t k = 0; k < nr; k++) {
				/* several rows at one address: the table's last one holds */
				if (out && r[out - 1].addr == r[k].addr)
					out--;
				/* a row repeating the previous position adds nothing */
				if (out && r[out - 1].line == r[k].line && r[out - 1].file == r[k].file)
					continue;
				r[out++] = r[k];
			}
			code.rows = r;
			code.nrows = (uint32_t)out;
		}
		capture_targets(p, &code, sym, c->handle, m);
		kept += (size_t)n;
		VEC_PUSH(&codes, code);
	}
	VEC_FREE(&rows.v);
	VEC_FREE(&cands);
	if (codes.len) {
		qsort(codes.data, codes.len, sizeof(*codes.data), code_cmp);
		p->codes = arena_alloc(&p->arena, codes.len * sizeof(*p->codes));
		memcpy(p->codes, codes.data, codes.len * sizeof(*p->codes));
		p->ncodes = codes.len;
		p->code_machine = machine;
	}
	VEC_FREE(&codes);
	capture_sources(p, on_stack);
	free(on_stack);
}
