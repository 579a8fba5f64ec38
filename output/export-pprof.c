/* The pprof writer of export-pprof.h. profile.proto is encoded by hand:
 * varints, length-delimited submessages and packed repeated scalars are all
 * it needs. Every repeated field of Profile goes to a buffer of its own as
 * it is made (proto decoders accept a message's fields in any order), the
 * string table last, since everything before it interns strings into it. */
#include "export-pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../analysis/demangle.h"
#include "../analysis/heap.h"
#include "../lib/die.h"
#include "../lib/hashmap.h"
#include "../lib/strbuf.h"
#include "report-heap.h"

/* ---- protobuf encoding ---- */

enum { PB_VARINT = 0, PB_LEN = 2 };

/* Field numbers of profile.proto (github.com/google/pprof/proto/profile.proto). */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
};
enum { VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3 };
enum {
	MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4 };

static void pb_varint(struct strbuf *b, uint64_t v)
{
	unsigned char buf[10];
	size_t n = 0;
	do {
		buf[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			buf[n] |= 0x80;
		n++;
	} while (v);
	sb_add(b, buf, n);
}

static size_t pb_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >>= 7)
		n++;
	return n;
}

static void pb_key(struct strbuf *b, unsigned field, unsigned wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

/* A varint field (uint64, int64 or bool); zero is the default and left out. */
static void pb_uint(struct strbuf *b, unsigned field, uint64_t v)
{
	if (!v)
		return;
	pb_key(b, field, PB_VARINT);
	pb_varint(b, v);
}

/* A length-delimited field: a string, or an encoded submessage. */
static void pb_bytes(struct strbuf *b, unsigned field, const void *data, size_t n)
{
	pb_key(b, field, PB_LEN);
	pb_varint(b, n);
	if (n)
		sb_add(b, data, n);
}

static void pb_msg(struct strbuf *b, unsigned field, const struct strbuf *m)
{
	pb_bytes(b, field, m->buf, m->len);
}

/* A packed repeated varint field; left out when empty. */
static void pb_packed(struct strbuf *b, unsigned field, const uint64_t *v, size_t n)
{
	if (!n)
		return;
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += pb_varint_len(v[i]);
	pb_key(b, field, PB_LEN);
	pb_varint(b, len);
	for (size_t i = 0; i < n; i++)
		pb_varint(b, v[i]);
}

/* ---- the profile ---- */

/* One pprof Sample: samples of one stack on one thread (and, in wall-clock
 * profiles, one CPU state). */
struct agg {
	uint32_t stack;
	uint32_t thread;
	uint8_t offcpu;
	uint64_t v[4];
};

struct pp {
	const struct sc_profile *p;
	int names;                  /* export_options.names */
	struct stack_pick pick;
	/* string table */
	struct strmap strs;
	uint32_t nstrs;
	struct strbuf strtab;       /* encoded string_table entries, in index order */
	/* encoded repeated fields of Profile */
	struct strbuf samples, locations, functions, mappings;
	struct strbuf m, line, fn;  /* scratch submessages */
	/* locations and functions */
	uint32_t *loc_id;           /* per scorch location: its pprof id, 0 = not made */
	struct u64map addr_id;      /* address -> the first location id made for it */
	int32_t *id_module;         /* per location id: its module (to tell apart reused addresses) */
	uint32_t *map_id;           /* per module: its Mapping's id, 1.. in the order written (main first) */
	uint32_t nlocs, cap_locs;
	uint32_t nostack;           /* id of the "[no stack]" location, 0 = not made */
	struct strmap funcs;        /* "name\x1f" "file" -> function id */
	uint32_t nfuncs;
	/* per module: in the samples, and what some location of it lacks */
	uint8_t *mod_used, *mod_lacks;
	/* aggregated samples */
	struct agg *aggs;
	size_t naggs, cap_aggs;
	struct u64map agg_of;       /* (stack, thread, offcpu) -> index + 1 */
	uint64_t *ids;              /* scratch: a sample's location ids */
	size_t cap_ids;
};

/* The index of s in the string table, adding it when new. */
static int64_t str(struct pp *x, const char *s)
{
	bool isnew;
	uint32_t id = strmap_intern(&x->strs, s, x->nstrs, &isnew);
	if (isnew) {
		x->nstrs++;
		pb_bytes(&x->strtab, PROFILE_STRING_TABLE, s, strlen(s));
	}
	return id;
}

/* The id of function (name, file), emitting it when new. */
static uint32_t function_id(struct pp *x, const char *name, const char *file)
{
	struct strbuf key = STRBUF_INIT;
	sb_adds(&key, name);
	sb_addc(&key, '\x1f');
	sb_adds(&key, file);
	bool isnew;
	uint32_t id = strmap_intern(&x->funcs, key.buf, x->nfuncs + 1, &isnew);
	sb_release(&key);
	if (!isnew)
		return id;
	x->nfuncs++;
	/* pprof's model: name the short, readable one (demangle_short(), or
	 * the full one with --names=full), system_name the full one */
	int64_t n = str(x, name);
	struct arena a = { 0 };
	const char *sh = x->names != EXPORT_NAMES_FULL ? demangle_short(name, &a) : NULL;
	int64_t shn = sh ? str(x, sh) : n;
	arena_release(&a);
	sb_reset(&x->fn);
	pb_uint(&x->fn, FUNCTION_ID, id);
	pb_uint(&x->fn, FUNCTION_NAME, (uint64_t)shn);
	pb_uint(&x->fn, FUNCTION_SYSTEM_NAME, (uint64_t)n);
	pb_uint(&x->fn, FUNCTION_FILENAME, (uint64_t)str(x, file));
	pb_msg(&x->functions, PROFILE_FUNCTION, &x->fn);
	return id;
}

/* A function named by module and offset ("[lib.so+0x1a200]": no symbol,
 * the start of its FDE, symbolize.c) is unknown here as "??" is: pprof
 * tools group such locations under their mapping or symbolize them. */
static bool line_known(const struct sc_line *ln)
{
	const char *f = ln->func;
	if (!f || !f[0] || !strcmp(f, "??"))
		return false;
	size_t n = strlen(f);
	return !(f[0] == '[' && f[n - 1] == ']' && strstr(f, "+0x"));   /* not "[off-CPU]" */
}

/* A new location id; its module is remembered for address reuse checks. */
static uint32_t new_location(struct pp *x, int32_t module)
{
	if (x->nlocs + 1 >= x->cap_locs) {
		x->cap_locs = x->cap_locs ? x->cap_locs * 2 : 256;
		x->id_module = xrealloc(x->id_module, x->cap_locs * sizeof(*x->id_module));
	}
	x->id_module[++x->nlocs] = module;
	return x->nlocs;
}

/* What a location can lack, for its mapping's has_* flags. */
enum { LACKS_FUNCTIONS = 1, LACKS_FILENAMES = 2, LACKS_LINE_NUMBERS = 4 };

/* The pprof location of scorch location l, emitting it when new: one per
 * address, its inlined functions as Lines innermost first. An unsymbolized
 * location ("??": no symbol, no debug info) has no Lines and no invented
 * function, so pprof tools group it under its mapping or symbolize it
 * themselves from the mapping's file. */
static uint32_t location_id(struct pp *x, uint32_t l)
{
	if (x->loc_id[l])
		return x->loc_id[l];
	const struct sc_profile *p = x->p;
	const struct sc_location *loc = &p->locations[l];
	int32_t mod = loc->module >= 0 && (size_t)loc->module < p->nmodules ? loc->module : -1;
	bool isnew;
	uint64_t *slot = u64map_put(&x->addr_id, loc->addr, &isnew);
	if (!isnew && x->id_module[*slot] == mod)
		return x->loc_id[l] = (uint32_t)*slot;
	uint32_t id = new_location(x, mod);
	if (isnew)
		*slot = id;   /* a different module at a reused address keeps its own id */
	x->loc_id[l] = id;

	sb_reset(&x->m);
	pb_uint(&x->m, LOCATION_ID, id);
	pb_uint(&x->m, LOCATION_MAPPING_ID, mod >= 0 ? (uint64_t)x->map_id[mod] : 0);
	pb_uint(&x->m, LOCATION_ADDRESS, loc->addr);
	bool any = false;
	uint8_t lacks = 0;
	for (uint32_t j = 0; j < loc->nlines; j++) {
		const struct sc_line *ln = &loc->lines[j];
		if (!line_known(ln)) {
			lacks |= LACKS_FUNCTIONS;
			continue;
		}
		if (!ln->file || !ln->file[0])
			lacks |= LACKS_FILENAMES;
		if (!ln->line)
			lacks |= LACKS_LINE_NUMBERS;
		uint32_t f = function_id(x, ln->func, ln->file ? ln->file : "");
		sb_reset(&x->line);
		pb_uint(&x->line, LINE_FUNCTION_ID, f);
		pb_uint(&x->line, LINE_LINE, ln->line);
		pb_msg(&x->m, LOCATION_LINE, &x->line);
		any = true;
	}
	pb_msg(&x->locations, PROFILE_LOCATION, &x->m);
	if (mod >= 0) {
		x->mod_used[mod] = 1;
		x->mod_lacks[mod] |= any ? lacks : LACKS_FUNCTIONS | LACKS_FILENAMES | LACKS_LINE_NUMBERS;
	}
	return id;
}

/* The location standing for an empty stack, so its weight stays visible. */
static uint32_t nostack_id(struct pp *x)
{
	if (x->nostack)
		return x->nostack;
	x->nostack = new_location(x, -1);
	sb_reset(&x->line);
	pb_uint(&x->line, LINE_FUNCTION_ID, function_id(x, "[no stack]", ""));
	sb_reset(&x->m);
	pb_uint(&x->m, LOCATION_ID, x->nostack);
	pb_msg(&x->m, LOCATION_LINE, &x->line);
	pb_msg(&x->locations, PROFILE_LOCATION, &x->m);
	return x->nostack;
}

/* The aggregate of (stack, thread, offcpu), made when new. */
static struct agg *agg_get(struct pp *x, uint32_t stack, uint32_t thread, bool offcpu)
{
	uint64_t key = (uint64_t)stack << 32 | (uint64_t)thread << 1 | offcpu;
	bool isnew;
	uint64_t *slot = u64map_put(&x->agg_of, key, &isnew);
	if (isnew) {
		if (x->naggs == x->cap_aggs) {
			x->cap_aggs = x->cap_aggs ? x->cap_aggs * 2 : 256;
			x->aggs = xrealloc(x->aggs, x->cap_aggs * sizeof(*x->aggs));
		}
		x->aggs[x->naggs] = (struct agg){ .stack = stack, .thread = thread, .offcpu = offcpu };
		*slot = ++x->naggs;
	}
	return &x->aggs[*slot - 1];
}

static void label_str(struct pp *x, const char *key, const char *val)
{
	sb_reset(&x->line);
	pb_uint(&x->line, LABEL_KEY, (uint64_t)str(x, key));
	pb_uint(&x->line, LABEL_STR, (uint64_t)str(x, val));
	pb_msg(&x->m, SAMPLE_LABEL, &x->line);
}

static void label_num(struct pp *x, const char *key, uint64_t num)
{
	sb_reset(&x->line);
	pb_uint(&x->line, LABEL_KEY, (uint64_t)str(x, key));
	pb_uint(&x->line, LABEL_NUM, num);
	pb_msg(&x->m, SAMPLE_LABEL, &x->line);
}

/* Encodes every aggregate as a Sample with nvalues values. */
static void emit_samples(struct pp *x, size_t nvalues, bool wall)
{
	const struct sc_profile *p = x->p;
	for (size_t i = 0; i < x->naggs; i++) {
		const struct agg *a = &x->aggs[i];
		const struct sc_stack *st = a->stack < p->nstacks ? &p->stacks[a->stack] : NULL;
		size_t n = 0, need = st && st->nlocs ? st->nlocs : 1;
		if (need > x->cap_ids) {
			x->cap_ids = need * 2;
			x->ids = xrealloc(x->ids, x->cap_ids * sizeof(*x->ids));
		}
		for (uint32_t k = 0; st && k < st->nlocs; k++)
			if (st->locs[k] < p->nlocations)
				x->ids[n++] = location_id(x, st->locs[k]);
		if (!n)
			x->ids[n++] = nostack_id(x);
		sb_reset(&x->m);
		pb_packed(&x->m, SAMPLE_LOCATION_ID, x->ids, n);
		pb_packed(&x->m, SAMPLE_VALUE, a->v, nvalues);
		label_str(x, "thread", export_thread_name(p, a->thread));
		label_num(x, "thread_id", export_thread_tid(p, a->thread));
		if (wall)
			label_str(x, "state", a->offcpu ? "off-cpu" : "on-cpu");
		pb_msg(&x->samples, PROFILE_SAMPLE, &x->m);
	}
}

/* CPU: samples and their weights per (stack, thread, state). */
static void collect_cpu(struct pp *x)
{
	const struct sc_profile *p = x->p;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sc_sample *s = &p->samples[i];
		if (!stack_pick(&x->pick, s->stack))
			continue;
		struct agg *a = agg_get(x, s->stack, s->thread, (p->flags & PROF_WALL) && s->offcpu);
		a->v[0]++;
		a->v[1] += s->weight;
	}
}

/* Heap: allocations and their bytes per (stack, thread), and what is still
 * live at the end, from the heap model's figures per (stack, thread) (its
 * replay: an allocation at a live address retires the old block, a free of
 * an address not live changes nothing). 0, or -EIO when the events could not
 * be read (said on stderr). */
static int collect_heap(struct pp *x)
{
	char err[256];
	struct heap_options ho = { .by_thread = true, .totals_only = true,
				   .err = err, .errlen = sizeof(err) };
	struct heap_result *r;
	int rc = heap_analyze(x->p, &ho, &r);
	if (rc) {
		error("%s", err);
		return rc;
	}
	for (size_t i = 0; i < r->nby_thread; i++) {
		const struct heap_stack_thread *e = &r->by_thread[i];
		if (!stack_pick(&x->pick, e->stack))
			continue;
		struct agg *a = agg_get(x, e->stack, e->thread, false);
		a->v[0] += e->allocations;
		a->v[1] += e->bytes;
		a->v[2] += e->leaked_blocks;
		a->v[3] += e->leaked_bytes;
	}
	heap_result_free(r);
	return 0;
}

static void value_type(struct pp *x, struct strbuf *out, unsigned field, const char *type,
		       const char *unit)
{
	sb_reset(&x->line);
	pb_uint(&x->line, VALUETYPE_TYPE, (uint64_t)str(x, type));
	pb_uint(&x->line, VALUETYPE_UNIT, (uint64_t)str(x, unit));
	pb_msg(out, field, &x->line);
}

static void hex(struct strbuf *sb, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_addf(sb, "%02x", b[i]);
}

/* Every module as a Mapping, the executable first (pprof takes the first
 * mapping for the main binary), ids 1, 2, ... in that order (map_id: Parca
 * refuses a profile whose mapping ids are not sequential). Each has_* flag is
 * set only when every location of the mapping in the samples has it: a
 * function (has_functions), a file (has_filenames), a line number, which
 * only debug info gives (has_line_numbers, and has_inline_frames, since the
 * same debug info was searched for inlined functions). A flag claimed in
 * error would stop pprof from symbolizing the mapping itself. */
static void emit_mappings(struct pp *x)
{
	const struct sc_profile *p = x->p;
	struct strbuf bid = STRBUF_INIT;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < p->nmodules; i++) {
			const struct sc_module *md = &p->modules[i];
			if (md->is_main != (pass == 0))
				continue;
			sb_reset(&bid);
			hex(&bid, md->build_id, md->build_id_len < sizeof(md->build_id) ?
			    md->build_id_len : sizeof(md->build_id));
			const char *file = md->path && md->path[0] ? md->path : md->name ? md->name : "";
			bool used = x->mod_used[i];
			uint8_t lacks = x->mod_lacks[i];
			sb_reset(&x->m);
			pb_uint(&x->m, MAPPING_ID, x->map_id[i]);
			pb_uint(&x->m, MAPPING_MEMORY_START, md->lo);
			pb_uint(&x->m, MAPPING_MEMORY_LIMIT, md->hi);
			/* lo is where the first PT_LOAD, at file offset 0, is mapped */
			pb_uint(&x->m, MAPPING_FILE_OFFSET, 0);
			pb_uint(&x->m, MAPPING_FILENAME, (uint64_t)str(x, file));
			pb_uint(&x->m, MAPPING_BUILD_ID, (uint64_t)str(x, sb_str(&bid)));
			pb_uint(&x->m, MAPPING_HAS_FUNCTIONS, used && !(lacks & LACKS_FUNCTIONS));
			pb_uint(&x->m, MAPPING_HAS_FILENAMES,
				used && !(lacks & (LACKS_FUNCTIONS | LACKS_FILENAMES)));
			pb_uint(&x->m, MAPPING_HAS_LINE_NUMBERS,
				used && !(lacks & (LACKS_FUNCTIONS | LACKS_LINE_NUMBERS)));
			pb_uint(&x->m, MAPPING_HAS_INLINE_FRAMES,
				used && !(lacks & (LACKS_FUNCTIONS | LACKS_LINE_NUMBERS)));
			pb_msg(&x->mappings, PROFILE_MAPPING, &x->m);
		}
	}
	sb_release(&bid);
}

/* Writes data gzip-compressed to f. Returns 0 or -errno. */
static int write_gzip(FILE *f, const void *data, size_t n)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	unsigned char out[1 << 16];
	const unsigned char *in = data;
	int rc = 0, zr;
	do {
		size_t chunk = n > (1u << 30) ? (1u << 30) : n;
		z.next_in = (unsigned char *)in;
		z.avail_in = (uInt)chunk;
		in += chunk;
		n -= chunk;
		int flush = n ? Z_NO_FLUSH : Z_FINISH;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			zr = deflate(&z, flush);
			if (zr == Z_STREAM_ERROR) {
				rc = -EIO;
				break;
			}
			size_t have = sizeof(out) - z.avail_out;
			if (have && fwrite(out, 1, have, f) != have) {
				rc = errno ? -errno : -EIO;
				break;
			}
		} while (z.avail_out == 0);
	} while (!rc && n);
	deflateEnd(&z);
	if (!rc && zr != Z_STREAM_END)
		rc = -EIO;
	if (!rc && fflush(f))
		rc = errno ? -errno : -EIO;
	if (!rc && ferror(f))
		rc = -EIO;
	return rc;
}

static void pp_release(struct pp *x)
{
	stack_pick_release(&x->pick);
	strmap_release(&x->strs);
	strmap_release(&x->funcs);
	sb_release(&x->strtab);
	sb_release(&x->samples);
	sb_release(&x->locations);
	sb_release(&x->functions);
	sb_release(&x->mappings);
	sb_release(&x->m);
	sb_release(&x->line);
	sb_release(&x->fn);
	free(x->loc_id);
	u64map_release(&x->addr_id);
	free(x->id_module);
	free(x->mod_used);
	free(x->mod_lacks);
	free(x->map_id);
	free(x->aggs);
	u64map_release(&x->agg_of);
	free(x->ids);
}

int pprof_write(FILE *f, const struct sc_profile *p, const struct export_options *o)
{
	struct pp x;
	memset(&x, 0, sizeof(x));
	x.p = p;
	x.names = o->names;
	if (stack_pick_init(&x.pick, p, o->filter))
		return -EINVAL;
	strmap_init(&x.strs);
	strmap_init(&x.funcs);
	str(&x, "");   /* string_table[0] must be "" */
	x.loc_id = xcalloc(p->nlocations + 1, sizeof(*x.loc_id));
	u64map_init(&x.addr_id, p->nlocations);
	u64map_init(&x.agg_of, 1024);
	x.mod_used = xcalloc(p->nmodules + 1, 1);
	x.mod_lacks = xcalloc(p->nmodules + 1, 1);
	x.map_id = xcalloc(p->nmodules + 1, sizeof(*x.map_id));
	uint32_t nmap = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->nmodules; i++)
			if (p->modules[i].is_main == (pass == 0))
				x.map_id[i] = ++nmap;
	x.cap_locs = 256;
	x.id_module = xmalloc(x.cap_locs * sizeof(*x.id_module));

	bool cpu = o->kinds & EXPORT_CPU, wall = cpu && (p->flags & PROF_WALL);
	struct strbuf head = STRBUF_INIT;   /* sample types, period, times, comments */
	uint64_t period;
	if (cpu) {
		value_type(&x, &head, PROFILE_SAMPLE_TYPE, "samples", "count");
		value_type(&x, &head, PROFILE_SAMPLE_TYPE, wall ? "wall" : "cpu", "nanoseconds");
		value_type(&x, &head, PROFILE_PERIOD_TYPE, wall ? "wall" : "cpu", "nanoseconds");
		period = p->sample_hz ? 1000000000ull / p->sample_hz :
			 p->nsamples ? p->samples[0].weight : 0;
		collect_cpu(&x);
	} else {
		value_type(&x, &head, PROFILE_SAMPLE_TYPE, "alloc_objects", "count");
		value_type(&x, &head, PROFILE_SAMPLE_TYPE, "alloc_space", "bytes");
		value_type(&x, &head, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
		value_type(&x, &head, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
		/* every allocation is recorded: Go's convention for MemProfileRate=1;
		 * sampled, the values are already scaled, as Go's are, and the
		 * period is the sampling rate, as Go's MemProfileRate */
		value_type(&x, &head, PROFILE_PERIOD_TYPE, "space", "bytes");
		period = p->heap_sample ? p->heap_sample : 1;
		int rc = collect_heap(&x);
		if (rc) {
			sb_release(&head);
			pp_release(&x);
			return rc;
		}
	}
	pb_uint(&head, PROFILE_PERIOD, period);
	pb_uint(&head, PROFILE_TIME_NANOS, p->start_wall);
	pb_uint(&head, PROFILE_DURATION_NANOS, p->duration);
	struct strbuf c = STRBUF_INIT;
	sb_addf(&c, "recorded by scorch %s", p->scorch_version ? p->scorch_version : "?");
	if (p->host && p->host[0])
		sb_addf(&c, " on %s", p->host);
	pb_uint(&head, PROFILE_COMMENT, (uint64_t)str(&x, c.buf));
	sb_reset(&c);
	sb_addf(&c, "command: %s (pid %u)", p->cmdline ? p->cmdline : "?", p->pid);
	pb_uint(&head, PROFILE_COMMENT, (uint64_t)str(&x, c.buf));
	if (o->filter) {
		sb_reset(&c);
		sb_addf(&c, "filter: %s", o->filter);
		pb_uint(&head, PROFILE_COMMENT, (uint64_t)str(&x, c.buf));
	}
	sb_reset(&c);
	if (!cpu && report_heap_sampled(&c, p)) {
		sb_adds(&c, ": every heap value is estimated");
		pb_uint(&head, PROFILE_COMMENT, (uint64_t)str(&x, c.buf));
	}
	sb_release(&c);

	emit_samples(&x, cpu ? 2 : 4, wall);
	emit_mappings(&x);

	struct strbuf all = STRBUF_INIT;
	sb_add(&all, sb_str(&head), head.len);
	sb_add(&all, sb_str(&x.samples), x.samples.len);
	sb_add(&all, sb_str(&x.mappings), x.mappings.len);
	sb_add(&all, sb_str(&x.locations), x.locations.len);
	sb_add(&all, sb_str(&x.functions), x.functions.len);
	sb_add(&all, sb_str(&x.strtab), x.strtab.len);
	sb_release(&head);
	pp_release(&x);
	int rc = write_gzip(f, sb_str(&all), all.len);
	sb_release(&all);
	return rc;
}
