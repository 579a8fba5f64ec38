/* `scorch annotate` views (annotate.h). The source view lists a function's
 * lines with the CPU model's self and total at each; the assembly view
 * disassembles the code the profile keeps with capstone and puts each
 * instruction's samples beside it, under the line-table position it comes
 * from. Shares are of all the selected samples, as in `scorch report`. */
#include "annotate.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/annotate.h"
#include "../analysis/code.h"
#include "../lib/die.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"
#include "json.h"
#include "term.h"

/* Lines of a source view kept around each line with samples, and the widest
 * gap between two kept lines shown whole; a function spanning at most
 * WHOLE_SPAN lines is shown whole. */
#define CTX_BEFORE 3
#define CTX_AFTER 1
#define GAP 8
#define WHOLE_SPAN 80
/* A line or instruction with at least this permille of its function's self
 * samples is hot (red), at least WARM_PERMILLE warm (yellow). */
#define HOT_PERMILLE 100
#define WARM_PERMILLE 20

/* ---- source text: kept in the profile, else (optionally) from disk ---- */

struct disk_file {
	const char *path;
	char **lines;
	size_t nlines;
	bool usable;            /* read, and agrees with every line the profile keeps of it */
};

struct texts {
	const struct sc_profile *p;
	bool disk;
	VEC(struct disk_file) files;
};

/* Does the file on disk still read as the lines the profile keeps of it? */
static bool agrees(const struct sc_profile *p, const struct disk_file *d)
{
	for (size_t i = 0; i < p->nsources; i++) {
		const struct sc_source *s = &p->sources[i];
		if (strcmp(s->file, d->path))
			continue;
		for (uint32_t k = 0; k < s->nlines; k++) {
			size_t l = (size_t)s->first + k;
			/* kept lines are cut at 1000 bytes */
			if (l > d->nlines || strncmp(d->lines[l - 1], s->lines[k], 1000))
				return false;
		}
	}
	return true;
}

static const struct disk_file *disk_load(struct texts *t, const char *file)
{
	for (size_t i = 0; i < t->files.len; i++)
		if (!strcmp(t->files.data[i].path, file))
			return &t->files.data[i];
	struct disk_file d = { file, NULL, 0, false };
	FILE *fp = fopen(file, "r");
	if (fp) {
		VEC(char *) v = { 0 };
		char *buf = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&buf, &cap, fp)) >= 0) {
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
				buf[--n] = 0;
			VEC_PUSH(&v, xstrdup(buf));
		}
		free(buf);
		fclose(fp);
		d.lines = v.data;
		d.nlines = v.len;
		d.usable = d.nlines && agrees(t->p, &d);
	}
	VEC_PUSH(&t->files, d);
	return &t->files.data[t->files.len - 1];
}

/* The text of file:line, NULL when unknown: as the profile keeps it, else
 * from the file on disk when that agrees with every line kept of it; *disk
 * says it was read from disk now. */
static const char *text_of(struct texts *t, const char *file, uint32_t line, bool *disk)
{
	*disk = false;
	if (!file || !*file || !line)
		return NULL;
	const char *s = source_line(t->p, file, line);
	if (s || !t->disk)
		return s;
	const struct disk_file *d = disk_load(t, file);
	if (!d->usable || line > d->nlines)
		return NULL;
	*disk = true;
	return d->lines[line - 1];
}

static void texts_release(struct texts *t)
{
	for (size_t i = 0; i < t->files.len; i++) {
		for (size_t k = 0; k < t->files.data[i].nlines; k++)
			free(t->files.data[i].lines[k]);
		free(t->files.data[i].lines);
	}
	VEC_FREE(&t->files);
}

/* ---- shared ---- */

struct ctx {
	FILE *f;
	const struct sc_profile *p;
	const struct cpu_result *r;
	const struct annotate_options *o;
	const struct term_colors *c;
	struct texts texts;
	uint64_t base;              /* 100%: the selected samples */
	struct strbuf sb;
	struct json j;
	bool disk_used;
};

static uint64_t amount(const struct ctx *x, const struct cpu_count *c)
{
	return cpu_amount(&x->r->t, c);
}

/* "12.3%" right-aligned in 7 columns, blank for nothing. */
static void pct_col(struct ctx *x, const struct cpu_count *c)
{
	struct strbuf t = STRBUF_INIT;
	if (c->samples)
		term_percent(&t, amount(x, c), x->base);
	term_pad(&x->sb, sb_str(&t), 7, true);
	sb_release(&t);
}

static const char *heat(const struct ctx *x, const struct cpu_count *c, uint64_t fself)
{
	uint64_t v = amount(x, c);
	if (!fself || !v)
		return "";
	if (v * 1000 >= fself * HOT_PERMILLE)
		return x->c->red;
	if (v * 1000 >= fself * WARM_PERMILLE)
		return x->c->yellow;
	return "";
}

static void flush(struct ctx *x)
{
	fwrite(x->sb.buf ? x->sb.buf : "", 1, x->sb.len, x->f);
	sb_reset(&x->sb);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void json_count(struct json *j, const char *key, const struct cpu_count *c)
{
	json_open_obj(j, key);
	json_u64(j, "samples", c->samples);
	json_u64(j, "ns", c->ns);
	json_close_obj(j);
}

/* ---- source view ---- */

static int line_cmp(const void *pa, const void *pb)
{
	const struct cpu_line *a = *(const struct cpu_line *const *)pa, *b = *(const struct cpu_line *const *)pb;
	int c = strcmp(a->file, b->file);
	if (c)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

struct span {
	uint32_t a, b;
};

/* One line of the source view: text (NULL unknown) and counts (NULL: none).
 * JSON gets every line shown; text gets a heat colour and aligned columns. */
static void source_row(struct ctx *x, const char *file, uint32_t line, const char *text,
		       const struct cpu_line *cl, uint64_t fself)
{
	static const struct cpu_count zero = { 0, 0 };
	const struct cpu_count *self = cl ? &cl->self : &zero, *total = cl ? &cl->total : &zero;
	if (x->o->json) {
		json_open_obj(&x->j, NULL);
		json_str(&x->j, "file", file);
		json_u64(&x->j, "line", line);
		json_str(&x->j, "text", text);
		if (self->samples || !x->o->compact)
			json_count(&x->j, "self", self);
		if (total->samples || !x->o->compact)
			json_count(&x->j, "total", total);
		json_close_obj(&x->j);
		return;
	}
	const char *h = cl ? heat(x, self, fself) : "";
	sb_addf(&x->sb, "  %s", h);
	pct_col(x, self);
	sb_addc(&x->sb, ' ');
	pct_col(x, total);
	if (line)
		sb_addf(&x->sb, " %6u  %s%s\n", line, text ? term_safe(text) : "", *h ? x->c->reset : "");
	else
		sb_addf(&x->sb, "      ?  %s(no line information)%s\n", x->c->dim, x->c->reset);
}

/* The lines of one file to show: the whole function when it spans at most
 * WHOLE_SPAN lines (its code's rows widen the view), else each line with
 * samples and a little around it. ls[0..n) are the function's lines of
 * this file, by line, none 0. */
static void spans_of(const struct sc_code *code, const char *file, const struct cpu_line **ls, size_t n,
		     void *vsp)
{
	VEC(struct span) *sp = vsp;
	sp->len = 0;
	if (!n)
		return;
	uint32_t lo = ls[0]->line, hi = ls[n - 1]->line;
	for (uint32_t q = 0; code && q < code->nrows; q++) {
		const struct sc_code_row *rw = &code->rows[q];
		if (!rw->line || strcmp(rw->file, file))
			continue;
		uint32_t nlo = rw->line < lo ? rw->line : lo, nhi = rw->line > hi ? rw->line : hi;
		if (nhi - nlo <= WHOLE_SPAN) {
			lo = nlo;
			hi = nhi;
		}
	}
	if (hi - lo <= WHOLE_SPAN) {
		struct span s = { lo > CTX_BEFORE ? lo - CTX_BEFORE : 1, hi + CTX_AFTER };
		VEC_PUSH(sp, s);
		return;
	}
	for (size_t m = 0; m < n; m++) {
		uint32_t l = ls[m]->line;
		struct span s = { l > CTX_BEFORE ? l - CTX_BEFORE : 1, l + CTX_AFTER };
		if (sp->len && s.a <= sp->data[sp->len - 1].b + GAP + 1)
			sp->data[sp->len - 1].b = s.b;
		else
			VEC_PUSH(sp, s);
	}
}

static void source_view(struct ctx *x, const struct cpu_func *fn)
{
	const struct cpu_result *r = x->r;
	const struct sc_code *code = annot_code_of(x->p, fn);
	uint64_t fself = amount(x, &fn->self);
	size_t n = fn->nlines;
	const struct cpu_line **ls = xmalloc((n ? n : 1) * sizeof(*ls));
	for (size_t i = 0; i < n; i++)
		ls[i] = &r->lines[fn->first_line + i];
	qsort(ls, n, sizeof(*ls), line_cmp);
	if (x->o->json)
		json_open_arr(&x->j, "source");
	else
		sb_addf(&x->sb, "\n  %s   self   total   line  source%s\n", x->c->bold, x->c->reset);
	VEC(struct span) sp = { 0 };
	for (size_t i = 0; i < n;) {
		const char *file = ls[i]->file;
		size_t k = i;
		while (k < n && !strcmp(ls[k]->file, file))
			k++;
		if (!x->o->json)
			sb_addf(&x->sb, "  %s%*s%s%s\n", x->c->cyan, 25, "", *file ? term_safe(file) : "(no line information)",
				x->c->reset);
		size_t m = i;
		if (ls[m]->line == 0)           /* samples with no line: first by the sort */
			source_row(x, file, 0, NULL, ls[m++], fself);
		spans_of(code, file, ls + m, k - m, &sp);
		int shown = 0, missing = 0;
		for (size_t q = 0; q < sp.len; q++) {
			if (q && !x->o->json)
				sb_addf(&x->sb, "  %s%25s...%s\n", x->c->dim, "", x->c->reset);
			for (uint32_t l = sp.data[q].a; l <= sp.data[q].b; l++) {
				while (m < k && ls[m]->line < l)
					m++;
				const struct cpu_line *cl = m < k && ls[m]->line == l ? ls[m] : NULL;
				bool disk;
				const char *t = text_of(&x->texts, file, l, &disk);
				x->disk_used |= disk;
				if (!t && !cl)
					continue;       /* past the end of the file, or not kept */
				source_row(x, file, l, t, cl, fself);
				shown++;
				missing += !t;
			}
		}
		if (shown && missing == shown && !x->o->json)
			sb_addf(&x->sb, "  %s%25s(the source is not in the profile and cannot be read here)%s\n",
				x->c->dim, "", x->c->reset);
		if (!x->o->json)
			flush(x);
		i = k;
	}
	VEC_FREE(&sp);
	free(ls);
	if (x->o->json)
		json_close_arr(&x->j);
}

/* ---- assembly view ---- */

const char *annotate_arch_name(uint32_t machine)
{
	switch (machine) {
	case EM_X86_64: return "x86-64";
	case EM_386: return "i386";
	case EM_AARCH64: return "aarch64";
	default: return NULL;
	}
}

static int cs_start(const struct code_cs *C, uint32_t machine, bool intel, csh *h)
{
	cs_arch arch;
	cs_mode mode;
	switch (machine) {
	case EM_X86_64: arch = CS_ARCH_X86; mode = CS_MODE_64; break;
	case EM_386: arch = CS_ARCH_X86; mode = CS_MODE_32; break;
	case EM_AARCH64: arch = CS_ARCH_ARM64; mode = CS_MODE_ARM; break;
	default: return -ENOTSUP;
	}
	if (C->open(arch, mode, h) != CS_ERR_OK)
		return -ENOTSUP;
	if (arch == CS_ARCH_X86 && !intel)
		C->option(*h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	return 0;
}

/* " <name+0x12>" for a branch or call to a hex address: inside this
 * function " <+0x12>"; elsewhere the name kept for it (a symbol or a PLT
 * entry) or the kept code there; else "". */
static void target_name(const struct sc_profile *p, const struct sc_code *code, uint64_t bias,
			const char *mn, const char *ops, char *out, size_t outlen)
{
	out[0] = 0;
	uint64_t t;
	if (!code_branch_target(p->code_machine, mn, ops, &t))
		return;
	uint64_t rt = t + bias;
	if (rt - code->start < code->len) {
		snprintf(out, outlen, " <+%#llx>", (unsigned long long)(rt - code->start));
		return;
	}
	size_t lo = 0, hi = code->ntargets;
	while (lo < hi) {       /* the names kept for this code's branches */
		size_t mid = lo + (hi - lo) / 2;
		if (code->targets[mid].addr < rt)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < code->ntargets && code->targets[lo].addr == rt) {
		snprintf(out, outlen, " <%s>", code->targets[lo].name);
		return;
	}
	long k = code_find(p, code->module, rt);
	if (k < 0)
		return;
	const struct sc_code *c = &p->codes[k];
	if (rt == c->start)
		snprintf(out, outlen, " <%s>", c->name);
	else
		snprintf(out, outlen, " <%s+%#llx>", c->name, (unsigned long long)(rt - c->start));
}

/* The first address after rt (run-time) known to start an instruction: a
 * line-table row, or an interrupted instruction of a sample; rt + 1 when
 * none is within 15 bytes (the longest x86 instruction) or `left`. */
static uint64_t next_boundary(const struct sc_code *code, const struct annot_counts *ac, uint64_t rt,
			      size_t left)
{
	uint64_t best = rt + (left < 15 ? left : 15) + 1;
	for (uint32_t i = 0; i < code->nrows; i++)
		if (code->rows[i].addr > rt && code->rows[i].addr < best)
			best = code->rows[i].addr;
	for (uint64_t a = rt + 1; a < best && a - code->start < code->len; a++)
		if (ac->self[a - code->start].samples) {
			best = a;
			break;
		}
	return best <= rt + left ? best : rt + 1;
}

/* Why an inlined function has no assembly, and where its instructions are:
 * the kept code its samples' frames ran in (three at most). */
static void inlined_into(const struct sc_profile *p, const struct cpu_func *fn, struct strbuf *why)
{
	const char *into[3];
	size_t n = 0;
	bool more = false;
	for (size_t i = 0; i < p->nlocations; i++) {
		const struct sc_location *l = &p->locations[i];
		bool has = false;
		for (uint32_t j = 0; j + 1 < l->nlines && !has; j++)
			has = !strcmp(l->lines[j].func, fn->name);
		long k = has ? code_find(p, l->module, l->addr) : -1;
		if (k < 0)
			continue;
		bool seen = false;
		for (size_t m = 0; m < n && !seen; m++)
			seen = into[m] == p->codes[k].name;
		if (!seen && n < 3)
			into[n++] = p->codes[k].name;
		else if (!seen)
			more = true;
	}
	sb_adds(why, "it has no code of its own: it ran inlined");
	for (size_t m = 0; m < n; m++)
		sb_addf(why, "%s%s", m ? "; " : " into ", into[m]);
	if (more)
		sb_adds(why, "; and more");
	if (n)
		sb_adds(why, " (annotate those for its instructions)");
}

/* Why a function that ran has no kept code, as annot_missing_why() tells. */
static void missing_why(const struct sc_profile *p, const struct cpu_func *fn, struct strbuf *why)
{
	const char *mod = fn->module >= 0 && (size_t)fn->module < p->nmodules ? p->modules[fn->module].name : "";
	switch (annot_missing_why(p, fn)) {
	case ANNOT_NOTHING_KEPT:
		sb_adds(why, "the profile keeps no code (recorded with --no-code, imported, or from an older scorch)");
		break;
	case ANNOT_NO_MODULE:
		sb_adds(why, "its address is in no file the program loaded (JIT-compiled or anonymous code): "
			     "there was no code to keep");
		break;
	case ANNOT_STRIPPED:
		sb_addf(why, "%s has no symbol for this address: the file is stripped (only its exported functions "
			     "have names), so scorch cannot tell where this function begins and ends and keeps no code "
			     "for it; install %s's debug symbols (its -dbgsym or -debuginfo package) or profile an "
			     "unstripped build", mod, mod);
		break;
	case ANNOT_NO_SYMBOLS:
		sb_addf(why, "no frame of %s has a name: scorch read no symbols from its file when the profile was "
			     "written (it has none, or it was unreadable, deleted or %s), so no code of it was kept; "
			     "profile a build with symbols", mod,
			p->flags & PROF_STALE ? "another build: the profile says a module changed on disk"
					      : "replaced");
		break;
	case ANNOT_NOT_HOT:
		sb_addf(why, "the profile keeps the code of the hottest functions only (up to %u, %u KiB in all), "
			     "not this one", CODE_MAX_FUNCS, CODE_MAX_BYTES >> 10);
		break;
	}
}

static void no_code_note(struct ctx *x, const char *why)
{
	if (x->o->json) {
		json_str(&x->j, "assembly_missing", why);
		return;
	}
	sb_addf(&x->sb, "\n  %sno assembly: %s%s\n", x->c->dim, term_safe(why), x->c->reset);
	flush(x);
}

static void asm_view(struct ctx *x, const struct cpu_func *fn)
{
	const struct sc_profile *p = x->p;
	const struct sc_code *code = annot_code_of(p, fn);
	if (!code) {
		struct strbuf why = STRBUF_INIT;
		if (fn->inlined)
			inlined_into(p, fn, &why);
		else
			missing_why(p, fn, &why);
		no_code_note(x, sb_str(&why));
		sb_release(&why);
		return;
	}
	const char *arch = annotate_arch_name(p->code_machine);
	const char *cs_why;
	const struct code_cs *C = code_capstone(&cs_why);
	if (!C) {
		/* said once on stderr too: the views go on without assembly */
		static int said;
		if (!said++)
			fprintf(stderr, "scorch: no assembly view: %s\n", cs_why);
		no_code_note(x, cs_why);
		return;
	}
	csh h;
	if (!arch || cs_start(C, p->code_machine, x->o->intel, &h) != 0) {
		char why[96];
		snprintf(why, sizeof(why), "no disassembler for ELF machine %u", p->code_machine);
		no_code_note(x, why);
		return;
	}
	struct annot_counts ac;
	annot_counts_build(p, x->r, code, &ac);
	uint64_t bias = code->module >= 0 && (size_t)code->module < p->nmodules ? p->modules[code->module].bias : 0;
	uint64_t fself = amount(x, &fn->self);
	bool att = !x->o->intel && p->code_machine != EM_AARCH64;
	if (x->o->json) {
		json_open_obj(&x->j, "assembly");
		json_str(&x->j, "arch", arch);
		json_str(&x->j, "syntax", p->code_machine == EM_AARCH64 ? "arm" : att ? "att" : "intel");
		json_u64(&x->j, "start", code->start - bias);
		json_u64(&x->j, "size", code->len);
		json_count(&x->j, "self", &ac.sum_self);
		json_open_arr(&x->j, "instructions");
	} else {
		struct strbuf t = STRBUF_INIT;
		term_percent(&t, amount(x, &ac.sum_self), x->base);
		sb_addf(&x->sb, "\n  %sassembly%s  %#llx-%#llx in %s (%u bytes, %s%s): %s of the samples ran in this code\n",
			x->c->bold, x->c->reset, (unsigned long long)(code->start - bias),
			(unsigned long long)(code->start - bias + code->len), term_safe(p->modules[code->module].name),
			code->len, arch, p->code_machine == EM_AARCH64 ? "" : att ? ", AT&T" : ", Intel", sb_str(&t));
		sb_release(&t);
		sb_addf(&x->sb, "  %s   self   total   address  instruction%s\n", x->c->bold, x->c->reset);
	}
	cs_insn *insn = C->malloc(h);
	const uint8_t *bytes = code->bytes;
	size_t size = code->len;
	uint64_t vaddr = code->start - bias;
	uint32_t ri = 0;
	long shown_row = -1;
	struct strbuf hex = STRBUF_INIT;
	while (size > 0) {
		uint64_t at = vaddr;
		const uint8_t *b0 = bytes;
		char mn[32], ops[160], tgt[160];
		size_t isz;
		if (C->disasm_iter(h, &bytes, &size, &vaddr, insn)) {
			isz = insn->size;
			snprintf(mn, sizeof(mn), "%s", insn->mnemonic);
			snprintf(ops, sizeof(ops), "%s", insn->op_str);
		} else {
			/* Not an instruction capstone knows (data, or an
			 * extension newer than it: Debian 12's capstone 4 lacks
			 * much of AVX-512): the bytes up to the next address
			 * known to start an instruction, so that decoding picks
			 * up in step again. */
			isz = next_boundary(code, &ac, at + bias, size) - (at + bias);
			snprintf(mn, sizeof(mn), ".byte");
			size_t o = 0;
			for (size_t k = 0; k < isz && o + 8 < sizeof(ops); k++)
				o += (size_t)snprintf(ops + o, sizeof(ops) - o, "%s0x%02x", k ? "," : "", bytes[k]);
			bytes += isz;
			size -= isz;
			vaddr += isz;
		}
		target_name(p, code, bias, mn, ops, tgt, sizeof(tgt));
		uint64_t off = at - (code->start - bias);
		struct cpu_count self = { 0, 0 }, total = { 0, 0 };
		for (size_t k = off; k < off + isz && k < code->len; k++) {
			self.samples += ac.self[k].samples;
			self.ns += ac.self[k].ns;
			total.samples += ac.total[k].samples;
			total.ns += ac.total[k].ns;
		}
		uint64_t rt = at + bias;
		while (ri + 1 < code->nrows && code->rows[ri + 1].addr <= rt)
			ri++;
		const struct sc_code_row *row = code->nrows && code->rows[ri].addr <= rt ? &code->rows[ri] : NULL;
		if (x->o->json) {
			json_open_obj(&x->j, NULL);
			json_u64(&x->j, "addr", at);
			sb_reset(&hex);
			for (size_t k = 0; k < isz; k++)
				sb_addf(&hex, "%02x", b0[k]);
			if (!x->o->compact)
				json_str(&x->j, "bytes", sb_str(&hex));
			sb_reset(&hex);
			sb_addf(&hex, "%s%s%s", mn, *ops ? " " : "", ops);
			json_str(&x->j, "asm", sb_str(&hex));
			if (*tgt) {
				sb_reset(&hex);
				sb_add(&hex, tgt + 2, strlen(tgt) - 3);
				json_str(&x->j, "target", sb_str(&hex));
			}
			/* compact: the position only where it changes */
			if (!x->o->compact || (long)ri != shown_row || !row) {
				json_str(&x->j, "file", row && row->line ? row->file : NULL);
				json_u64(&x->j, "line", row ? row->line : 0);
				shown_row = row ? (long)ri : -1;
			}
			if (self.samples || !x->o->compact)
				json_count(&x->j, "self", &self);
			if (total.samples || !x->o->compact)
				json_count(&x->j, "total", &total);
			json_close_obj(&x->j);
		} else {
			if (row && row->line && (long)ri != shown_row) {
				bool disk;
				const char *t = text_of(&x->texts, row->file, row->line, &disk);
				x->disk_used |= disk;
				sb_addf(&x->sb, "  %s%25s%s:%u  %s%s\n", x->c->cyan, "", term_safe(base_name(row->file)), row->line,
					t ? term_safe(t) : "", x->c->reset);
				shown_row = (long)ri;
			}
			const char *hc = heat(x, &self, fself);
			sb_addf(&x->sb, "  %s", hc);
			pct_col(x, &self);
			sb_addc(&x->sb, ' ');
			pct_col(x, &total);
			sb_addf(&x->sb, " %9llx:  %-7s %s%s%s%s%s\n", (unsigned long long)at, mn, ops, x->c->dim, term_safe(tgt),
				x->c->reset, *hc ? x->c->reset : "");
			if (x->sb.len > 65536)
				flush(x);
		}
	}
	sb_release(&hex);
	C->free(insn, 1);
	C->close(&h);
	if (x->o->json) {
		json_close_arr(&x->j);
		json_close_obj(&x->j);
	} else {
		flush(x);
	}
	annot_counts_release(&ac);
}

/* ---- the document ---- */

static void func_header(struct ctx *x, const struct cpu_func *fn)
{
	const struct sc_profile *p = x->p;
	const char *mod = fn->module >= 0 && (size_t)fn->module < p->nmodules ? p->modules[fn->module].name : "?";
	if (x->o->json) {
		json_str(&x->j, "name", fn->name);
		json_str(&x->j, "module", mod);
		json_str(&x->j, "file", *fn->file ? fn->file : NULL);
		json_u64(&x->j, "line", fn->line);
		json_bool(&x->j, "inlined", fn->inlined);
		json_count(&x->j, "self", &fn->self);
		json_count(&x->j, "total", &fn->total);
		return;
	}
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	term_percent(&a, amount(x, &fn->self), x->base);
	term_percent(&b, amount(x, &fn->total), x->base);
	sb_addf(&x->sb, "\n%s%s%s  in %s%s%s%s\n", x->c->bold, term_safe(fn->name), x->c->reset, term_safe(mod),
		*fn->file ? "  " : "", term_safe(fn->file), fn->inlined ? "  [inlined]" : "");
	sb_addf(&x->sb, "  self %s (", sb_str(&a));
	term_count(&x->sb, fn->self.samples);
	sb_addf(&x->sb, " samples), total %s (", sb_str(&b));
	term_count(&x->sb, fn->total.samples);
	sb_addf(&x->sb, " samples)\n");
	sb_release(&a);
	sb_release(&b);
	flush(x);
}

int annotate_write(FILE *f, const struct sc_profile *p, const struct cpu_result *r,
		   const uint32_t *funcs, size_t n, const struct annotate_options *o)
{
	struct ctx x = { .f = f, .p = p, .r = r, .o = o, .c = term_colors(o->color && !o->json) };
	x.texts.p = p;
	x.texts.disk = o->disk_source;
	x.base = cpu_amount(&r->t, &r->t.total);
	if (o->json) {
		/* compact: the HTML page's block, on one line, safe inside <script> */
		if (o->compact)
			json_init_ex(&x.j, f, NULL, 0, JSON_HTML | JSON_NO_NEWLINE, 0);
		else
			json_init(&x.j, f, 3);
		json_open_obj(&x.j, NULL);
		json_str(&x.j, "file", o->file);
		json_str(&x.j, "share_of", r->t.total.ns ? "cpu-ns" : "samples");
		json_count(&x.j, "total", &r->t.total);
		json_open_arr(&x.j, "functions");
	} else {
		sb_addf(&x.sb, "scorch annotate: %s (pid %u)\n",
			term_safe(p->cmdline && *p->cmdline ? p->cmdline : p->exe), p->pid);
		sb_addf(&x.sb, "  file      %s\n  samples   ", term_safe(o->file));
		term_count(&x.sb, r->t.total.samples);
		if (r->t.total.ns) {
			sb_addf(&x.sb, " (");
			term_duration(&x.sb, r->t.total.ns);
			sb_addf(&x.sb, "); every share is of their %s", r->wall ? "time" : "CPU time");
		}
		sb_addc(&x.sb, '\n');
		flush(&x);
	}
	for (size_t i = 0; i < n; i++) {
		const struct cpu_func *fn = &r->funcs[funcs[i]];
		if (o->json)
			json_open_obj(&x.j, NULL);
		func_header(&x, fn);
		if (o->source)
			source_view(&x, fn);
		if (o->assembly)
			asm_view(&x, fn);
		if (o->json)
			json_close_obj(&x.j);
	}
	int err = 0;
	if (o->json) {
		json_close_arr(&x.j);
		json_bool(&x.j, "source_from_disk", x.disk_used);
		json_close_obj(&x.j);
		err = json_end(&x.j);
	} else {
		if (x.disk_used)
			sb_addf(&x.sb, "\n%snote: some source lines were read from disk now, not kept in the profile: "
				"they may differ from what ran%s\n", x.c->dim, x.c->reset);
		flush(&x);
	}
	texts_release(&x.texts);
	sb_release(&x.sb);
	errno = 0;
	if (!err && (fflush(f) != 0 || ferror(f)))
		err = errno ? -errno : -EIO;
	return err;
}
