/* `scorch push FILE... URL`: send profiles on disk to a Pyroscope server as
 * pprof (its /ingest API), or to a Parca server (URL parca+http://...: its
 * WriteRaw API as gRPC-web): scorch profiles (converted as `scorch export
 * --format=pprof` does) and pprof files, such as the ones a continuous
 * recording left in its spool when the server was away. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "../analysis/profile-io.h"
#include "../lib/die.h"
#include "../output/export-pprof.h"
#include "cmds.h"
#include "push.h"
#include "usage.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scorch push [--app NAME] [--label K=V]... FILE... URL\n"
		"\n"
		"Sends each FILE to the Pyroscope server at URL (http://HOST:PORT) through\n"
		"its /ingest API as a pprof profile covering the time the profile was taken,\n"
		"or to the Parca server at URL parca+http://HOST:PORT (its\n"
		"ProfileStoreService/WriteRaw as gRPC-web on its HTTP port, 7070 by default;\n"
		"parca+https:// too), labelled __name__=process_cpu (memory for heap\n"
		"profiles), job=APP and the --label ones. FILE is a scorch profile (its CPU\n"
		"samples, or its heap events when it has no samples) or a gzipped pprof file\n"
		"(a continuous recording's spool keeps FROM-UNTIL.PID.pb.gz files; other\n"
		"pprof files give their time in time_nanos and duration_nanos). A server\n"
		"that cannot be reached or answers 5xx (Parca: a gRPC status such as\n"
		"UNAVAILABLE) is tried 4 times, 1, 2 and 4 s apart.\n"
		"\n"
		"      --app NAME   application name (default: the profiled program's name;\n"
		"                   needed for pprof files); Parca: the job label\n"
		"      --label K=V  a label of the series (repeatable)\n"
		"  -q, --quiet      no line per file sent\n"
		"  -h, --help       show this help\n");
}

/* A varint at *p (below end); 0 when it runs past end. */
static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 1;
		}
	}
	return 0;
}

/* time_nanos (field 9) and duration_nanos (field 10) of a gzipped pprof
 * profile; 0 when found, -1 otherwise. */
static int pprof_times(const unsigned char *gz, size_t n, uint64_t *time_ns, uint64_t *dur_ns)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int found = 0;
	*time_ns = *dur_ns = 0;
	if (push_gunzip(gz, n, &buf, &len) == 0) {
		const unsigned char *p = buf, *end = buf + len;
		while (p < end) {
			uint64_t key, v;
			if (!varint(&p, end, &key))
				break;
			unsigned wire = key & 7;
			if (wire == 0) {
				if (!varint(&p, end, &v))
					break;
				if (key >> 3 == 9) {
					*time_ns = v;
					found = 1;
				} else if (key >> 3 == 10) {
					*dur_ns = v;
				}
			} else if (wire == 2) {
				if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
					break;
				p += v;
			} else if (wire == 1) {
				p += 8;
			} else if (wire == 5) {
				p += 4;
			} else {
				break;
			}
		}
	}
	free(buf);
	return found && *time_ns ? 0 : -1;
}

static int read_file(const char *path, char **out, size_t *n)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return -errno;
	size_t cap = 1 << 16, len = 0;
	char *buf = xmalloc(cap);
	size_t r;
	while ((r = fread(buf + len, 1, cap - len, f)) > 0) {
		len += r;
		if (len == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*n = len;
	return 0;
}

/* One file to the server, with the retries; 0 or -1 (said on stderr). */
static int push_file(struct push_conf *c, const char *path, int quiet)
{
	char *data = NULL, err[768];
	size_t n = 0;
	uint64_t from = 0, until = 0;
	char *app = NULL;
	int r = read_file(path, &data, &n);
	if (r)
		return error("cannot read %s: %s", path, strerror(-r));
	if (n >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b) {
		uint64_t t, d;
		if (push_spool_parse(path, &from, &until) != 0) {
			if (pprof_times((unsigned char *)data, n, &t, &d) != 0) {
				free(data);
				return error("%s: a gzipped file that is not a pprof profile with its time (time_nanos)", path);
			}
			from = t;
			until = t + d;
		}
		if (!c->app) {
			free(data);
			return error("%s: a pprof file does not say which program it profiled: give --app NAME", path);
		}
	} else {
		free(data);
		data = NULL;
		struct sc_profile *p = NULL;
		char msg[512];
		if (profile_read(path, &p, msg, sizeof(msg)) != 0)
			return error("%s", msg);
		struct export_options eo = { 0, NULL, EXPORT_NAMES_DEFAULT };
		eo.kinds = (p->flags & PROF_CPU) && p->nsamples ? EXPORT_CPU : (p->flags & PROF_HEAP) ? EXPORT_HEAP : 0;
		if (!eo.kinds) {
			profile_free(p);
			return error("%s has neither CPU samples nor heap events to push", path);
		}
		FILE *m = open_memstream(&data, &n);
		if (!m)
			die("out of memory");
		int wr = pprof_write(m, p, &eo);
		fclose(m);
		if (wr) {
			profile_free(p);
			free(data);
			return error("cannot convert %s to pprof: %s", path, strerror(-wr));
		}
		from = p->start_wall;
		until = p->start_wall + p->duration;
		if (!c->app)
			app = push_app_from(p->exe ? p->exe : "scorch");
		profile_free(p);
	}
	const char *given = c->app;
	if (app)
		c->app = app;
	int retry = 0, rc = -1;
	for (int attempt = 0; attempt < 4; attempt++) {
		if (attempt) {
			struct timespec ts = { 1 << (attempt - 1), 0 };
			nanosleep(&ts, NULL);
		}
		rc = push_post(c, data, n, from, until, err, sizeof(err), &retry);
		if (rc == 0 || !retry)
			break;
	}
	if (rc == 0 && !quiet)
		fprintf(stderr, "scorch: push: %s sent to %s as %s{%s} (%zu bytes of pprof, %.3f s of profile)\n", path,
			c->url, c->app, c->labels, n, (double)(until - from) / 1e9);
	if (rc != 0)
		error("cannot push %s: %s", path, err);
	c->app = given;
	free(app);
	free(data);
	return rc;
}

int cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'A' },
		{ "label", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct push_conf c;
	memset(&c, 0, sizeof(c));
	char *labels = NULL, err[256];
	int ch, quiet = 0;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			if (push_check_app(optarg))
				die("--app takes a name of letters, digits, '_', '-' and '.', not '%s'", optarg);
			c.app = optarg;
			break;
		case 'L':
			if (push_add_label(&labels, optarg, err, sizeof(err)))
				die("%s", err);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cli_getopt_end(ch, "push", usage, argv);
		}
	}
	if (argc - optind < 2)
		return cli_bad_usage("push", usage, "%s", "give one or more profiles and the server's URL");
	c.url = argv[argc - 1];
	if (push_check_url(c.url))
		return cli_bad_usage("push", usage, "the last argument is the server's URL (http://HOST:PORT, "
				     "parca+http://HOST:PORT for Parca), not '%s'",
				     c.url);
	c.labels = labels ? labels : "";
	if (push_curl_check(err, sizeof(err)))
		die("%s", err);
	int failed = 0;
	for (int i = optind; i < argc - 1; i++)
		failed += push_file(&c, argv[i], quiet) != 0;
	free(labels);
	return failed ? 1 : 0;
}
