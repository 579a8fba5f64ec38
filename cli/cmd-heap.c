/* `scorch heap`: run a program with every heap allocation recorded, then
 * print a short summary of each profile written. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../analysis/events.h"
#include "../analysis/heap.h"
#include "../lib/hashmap.h"
#include "../lib/die.h"
#include "../lib/parse.h"
#include "../lib/strbuf.h"
#include "../output/notes.h"
#include "../output/report-heap.h"
#include "../output/term.h"
#include "cmds.h"
#include "session.h"
#include "usage.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch heap [-o FILE] [--depth N] [--no-follow] [--sample[=BYTES]] [--] PROGRAM [ARGS...]\n"
		"\n"
		"Runs PROGRAM with every malloc-family call recorded with its stack, and\n"
		"writes PROGRAM.PID.scorch (one profile per process: forked children and\n"
		"exec'd programs get their own). View it with 'scorch report FILE'.\n"
		"\n"
		"  -o, --output FILE  write the program's profile to FILE\n"
		"      --depth N      keep at most N frames per stack (1-1024, default 128)\n"
		"      --no-follow    do not record forked children\n"
		"      --sample[=BYTES]  record one allocation per BYTES allocated on average\n"
		"                     (512K when no value; units K, M, G: KiB, MiB, GiB), weighted\n"
		"                     back so that counts and bytes are estimates; unsampled calls\n"
		"                     cost a counter update (production use). Default: every call\n"
		"  -h, --help         show this help\n");
}

/* --sample's value: bytes, with an optional unit K, M or G (powers of 1024,
 * "KiB" and "k" accepted). 0, or -1 when it is not one from 1 to 2^40. */
static int parse_sample(const char *s, uint64_t *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	int shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	} else if (!strcmp(end, "B")) {
		end++;
	}
	if (*end || v == 0 || v > (1ull << 40) >> shift)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* The totals of a sampled profile, whose few events are in memory: each
 * sample weighed as the event iterator weighs it (the same copies), without
 * handing the copies out, whose replay would cost what an exact profile's
 * does. Temporaries cannot be told from samples: left 0, and not shown. */
static void sampled_totals(const struct sc_profile *p, struct heap_totals *t)
{
	struct u64map copies, sizes;
	uint64_t live = 0, blocks = 0;
	memset(t, 0, sizeof(*t));
	t->peak_event = HEAP_NO_EVENT;
	u64map_init(&copies, 1024);
	u64map_init(&sizes, 1024);
	for (size_t i = 0; i < p->nevents; i++) {
		const struct sc_event *ev = &p->events[i];
		uint64_t *k = ev->addr ? u64map_get(&copies, ev->addr) : NULL;
		if (k) {
			/* a sample's free, or an allocation where it still lived */
			uint64_t c = *k, s = 0;
			u64map_del(&copies, ev->addr, NULL);
			u64map_del(&sizes, ev->addr, &s);
			t->frees += c;
			live -= c * s;
			blocks -= c;
		}
		if (ev->kind != EV_ALLOC || !ev->addr)
			continue;
		uint64_t c = sc_event_copies(ev->size, p->heap_sample, i);
		bool isnew;
		*u64map_put(&copies, ev->addr, &isnew) = c;
		*u64map_put(&sizes, ev->addr, &isnew) = ev->size;
		t->allocations += c;
		t->bytes += c * ev->size;
		live += c * ev->size;
		blocks += c;
		if (live > t->peak_bytes) {
			t->peak_bytes = live;
			t->peak_blocks = blocks;
			t->peak_time = ev->time;
			t->peak_event = i;
		}
	}
	t->leaked_bytes = live;
	t->leaked_blocks = blocks;
	for (size_t i = 0; i < p->nrss; i++)
		if (p->rss[i].bytes > t->peak_rss)
			t->peak_rss = p->rss[i].bytes;
	u64map_release(&copies);
	u64map_release(&sizes);
}

/* The end-of-run summary of one profile (runs while the profile is written). */
static char *summarize(const struct sc_profile *p, const struct heap_totals *precomputed)
{
	struct heap_result *h = NULL;
	struct heap_options ho = { .totals_only = true };
	struct heap_totals st;
	if (p->heap_sample && !p->lazy) {
		sampled_totals(p, &st);
		precomputed = &st;
	}
	if (!precomputed && heap_analyze(p, &ho, &h) != 0)
		return NULL;
	const struct heap_totals *t = precomputed ? precomputed : &h->t;
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "scorch: ");
	term_esc(&sb, p->argc ? p->argv[0] : p->exe);   /* names from the program: escaped */
	sb_addf(&sb, " (pid %u)", p->pid);
	if (p->exit_kind == EXIT_NORMAL)
		sb_addf(&sb, ", exit status %d", p->exit_value);
	else if (p->exit_kind == EXIT_SIGNAL)
		sb_addf(&sb, ", killed by signal %d (%s)", p->exit_value, strsignal(p->exit_value));
	else if (p->exit_kind == EXIT_EXEC)
		sb_adds(&sb, ", replaced by exec");
	if (p->heap_sample) {
		sb_adds(&sb, "\nscorch:   sampled: one allocation per ");
		term_bytes(&sb, p->heap_sample);
		sb_adds(&sb, " on average; the figures below are estimated");
	}
	sb_adds(&sb, "\nscorch:   ");
	term_count(&sb, t->allocations);
	sb_adds(&sb, t->allocations == 1 ? " allocation, " : " allocations, ");
	term_bytes(&sb, t->bytes);
	sb_adds(&sb, " in total; ");
	term_count(&sb, t->frees);
	sb_adds(&sb, t->frees == 1 ? " free\nscorch:   peak heap " : " frees\nscorch:   peak heap ");
	term_bytes(&sb, t->peak_bytes);
	if (t->peak_bytes) {
		sb_adds(&sb, " in ");
		term_count(&sb, t->peak_blocks);
		sb_adds(&sb, t->peak_blocks == 1 ? " block at " : " blocks at ");
		term_duration(&sb, t->peak_time);
	}
	sb_adds(&sb, "; leaked at exit ");
	term_bytes(&sb, t->leaked_bytes);
	sb_adds(&sb, " in ");
	term_count(&sb, t->leaked_blocks);
	sb_adds(&sb, t->leaked_blocks == 1 ? " block" : " blocks");
	if (!p->heap_sample) {
		sb_adds(&sb, "\nscorch:   temporary allocations ");
		term_count(&sb, t->temporary);
	}
	if (!p->heap_sample && t->allocations) {
		sb_adds(&sb, " (");
		term_percent(&sb, t->temporary, t->allocations);
		sb_adds(&sb, ")");
	}
	if (t->peak_rss) {
		sb_adds(&sb, "; peak RSS ");
		term_bytes(&sb, t->peak_rss);
	}
	sb_addc(&sb, '\n');
	if (p->flags & PROF_STALE)
		sb_adds(&sb, "scorch:   warning: a binary or library changed on disk while the program ran (its build id differs): its frames are named by module and offset\n");
	notes_text(&sb, p, "scorch:   ", term_colors(false));
	report_lost_events(&sb, p, "scorch:   ", term_colors(false));
	if (p->flags & PROF_TRUNCATED)
		sb_addf(&sb, "scorch:   warning: the profile is truncated: %s; counts are lower bounds\n",
			p->lost_chunks ? "some event chunks could not be written (disk full?)"
				       : "the recording stops short (disk full, or a write cut off)");
	else if (p->flags & PROF_INCOMPLETE)
		sb_adds(&sb, "scorch:   warning: the process ended without a final flush (SIGKILL, or an exit straight through the exit_group system call, as Go programs end); "
			     "the last buffered events of each thread are missing\n");
	heap_result_free(h);
	return sb_detach(&sb);
}

int cmd_heap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "depth", required_argument, NULL, 'd' },
		{ "no-follow", no_argument, NULL, 'F' },
		{ "sample", optional_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct session_opts so = { .mode = "heap", .depth = 128, .follow = 1, .summarize = summarize };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			so.output = optarg;
			break;
		case 'd': {
			uint64_t d;
			if (parse_count(optarg, 1, 1024, &d))
				die("--depth takes a number of frames from 1 to 1024, not '%s'", optarg);
			so.depth = (int)d;
			break;
		}
		case 'F':
			so.follow = 0;
			break;
		case 'S':
			if (!optarg)
				so.heap_sample = 512 * 1024;
			else if (parse_sample(optarg, &so.heap_sample))
				die("--sample takes a number of bytes from 1 to 1T, with K, M or G for KiB, MiB, GiB (512K), not '%s'",
				    optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli_getopt_end(c, "heap", usage, argv);
		}
	}
	if (optind >= argc)
		return cli_bad_usage("heap", usage, "%s", "no program given");
	so.argv = argv + optind;
	struct session_result r;
	session_run(&so, &r);
	session_print(&r);
	int code = r.exit_code;
	session_result_release(&r);
	return code;
}
