/* Pushing pprof profiles to Pyroscope (see push.h): the HTTP request with
 * libcurl (loaded with dlopen when the first push is made, so that the other
 * commands map none of its ~28 libraries: TLS, Kerberos, LDAP...), the names of the spool's files, and the pusher process that
 * empties the spool with retries and backoff. The pusher is a process, not
 * a thread, so that a hung connection or a slow server can delay nothing but
 * itself; it is niced so that the profiled program keeps the CPU. */
#include "push.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* for its types and constants only: the functions come from dlopen */
#include <curl/curl.h>
#include <zlib.h>

#include "../lib/die.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"

int push_check_app(const char *app)
{
	if (!*app || strlen(app) > 200)
		return -1;
	for (const char *s = app; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return -1;
	return 0;
}

char *push_app_from(const char *s)
{
	const char *slash = strrchr(s, '/');
	char *a = xstrdup(slash ? slash + 1 : s);
	for (char *q = a; *q; q++)
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
			*q = '_';
	if (!*a) {
		free(a);
		a = xstrdup("scorch");
	}
	return a;
}

int push_add_label(char **labels, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv) {
		snprintf(err, errlen, "--label takes KEY=VALUE, not '%s'", kv);
		return -1;
	}
	for (const char *s = kv; s < eq; s++)
		if (!(isalpha((unsigned char)*s) || *s == '_' || (s > kv && isdigit((unsigned char)*s)))) {
			snprintf(err, errlen, "--label '%s': a key is letters, digits and '_', not starting with a digit", kv);
			return -1;
		}
	if (!eq[1]) {
		snprintf(err, errlen, "--label '%s': the value is empty", kv);
		return -1;
	}
	for (const char *s = eq + 1; *s; s++)
		if (strchr("{},=\"'\\", *s) || (unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(err, errlen, "--label '%s': a value cannot hold '{', '}', ',', '=', quotes or control characters", kv);
			return -1;
		}
	struct strbuf sb = STRBUF_INIT;
	if (*labels && **labels) {
		/* a key given twice: the last one wins, as the server would not say */
		size_t klen = (size_t)(eq - kv);
		char *copy = xstrdup(*labels), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (!strncmp(t, kv, klen) && t[klen] == '=')
				continue;
			if (sb.len)
				sb_addc(&sb, ',');
			sb_adds(&sb, t);
		}
		free(copy);
	}
	if (sb.len)
		sb_addc(&sb, ',');
	sb_adds(&sb, kv);
	free(*labels);
	*labels = sb_detach(&sb);
	return 0;
}

/* parca+http://... and parca+https://...: a Parca server; the HTTP URL
 * after the "parca+" */
static const char *parca_base(const char *url)
{
	return !strncmp(url, "parca+", 6) ? url + 6 : NULL;
}

int push_check_url(const char *url)
{
	if (parca_base(url))
		url = parca_base(url);
	const char *h = !strncmp(url, "http://", 7) ? url + 7 : !strncmp(url, "https://", 8) ? url + 8 : NULL;
	return h && *h && *h != '/' ? 0 : -1;
}

struct body {
	char buf[512];
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb, room = sizeof(b->buf) - 1 - b->len;
	memcpy(b->buf + b->len, ptr, n < room ? n : room);
	b->len += n < room ? n : room;
	b->buf[b->len] = 0;
	return n;
}

/* The curl functions push_post uses, resolved from libcurl.so.4 at run time.
 * curl_easy_setopt is called through a plain variadic pointer: curl.h wraps
 * the name in type-checking macros under gcc. */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;
static int curl_ready; /* 0: not tried, 1: loaded and initialized, -1: failed */
static char curl_why[300];

/* Loads and initializes libcurl once; on failure err says why. */
static int curl_load(char *err, size_t errlen)
{
	if (curl_ready == 0) {
		curl_ready = -1;
		char why4[200] = "not found";
		void *so = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
		if (!so) {
			/* the error about libcurl.so.4, the name that matters */
			const char *e = dlerror();
			if (e)
				snprintf(why4, sizeof(why4), "%s", e);
			so = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
		}
		if (!so) {
			snprintf(curl_why, sizeof(curl_why), "scorch push needs libcurl (libcurl.so.4): install libcurl4 (%s)",
				 why4);
			goto out;
		}
		static const struct {
			const char *name;
			void **slot;
		} syms[] = {
			{ "curl_global_init", (void **)&cu.global_init },
			{ "curl_easy_init", (void **)&cu.easy_init },
			{ "curl_easy_setopt", (void **)&cu.easy_setopt },
			{ "curl_easy_perform", (void **)&cu.easy_perform },
			{ "curl_easy_getinfo", (void **)&cu.easy_getinfo },
			{ "curl_easy_strerror", (void **)&cu.easy_strerror },
			{ "curl_easy_cleanup", (void **)&cu.easy_cleanup },
			{ "curl_easy_escape", (void **)&cu.easy_escape },
			{ "curl_free", (void **)&cu.free },
			{ "curl_slist_append", (void **)&cu.slist_append },
			{ "curl_slist_free_all", (void **)&cu.slist_free_all },
		};
		for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
			void *f = dlsym(so, syms[i].name);
			if (!f) {
				snprintf(curl_why, sizeof(curl_why),
					 "scorch push needs libcurl (libcurl.so.4): install libcurl4 (the loaded one lacks %s)",
					 syms[i].name);
				dlclose(so);
				goto out;
			}
			*syms[i].slot = f;
		}
		if (cu.global_init(CURL_GLOBAL_DEFAULT) != 0) {
			snprintf(curl_why, sizeof(curl_why), "cannot initialize libcurl");
			goto out;
		}
		curl_ready = 1;
	}
out:
	if (curl_ready > 0)
		return 0;
	snprintf(err, errlen, "%s", curl_why);
	return -1;
}

int push_curl_check(char *err, size_t errlen)
{
	return curl_load(err, errlen);
}

/* The options every POST of ours sets on h: url, body, headers, no signals,
 * 5 s to connect, 30 s in all. */
static void post_setup(CURL *h, const char *url, const void *body, size_t n, struct curl_slist *hdr)
{
	cu.easy_setopt(h, CURLOPT_URL, url);
	cu.easy_setopt(h, CURLOPT_POST, 1L);
	cu.easy_setopt(h, CURLOPT_POSTFIELDS, body);
	cu.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	cu.easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	cu.easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
	cu.easy_setopt(h, CURLOPT_USERAGENT, "scorch/" SCORCH_VERSION);
}

/* POSTs body to url (c->url's HTTP form, with its path) as ctype; the
 * return value, err and *retry as push_post's. */
static int http_post(const struct push_conf *c, CURL *h, const char *url, const char *ctype, const void *data,
		     size_t n, char *err, size_t errlen, int *retry)
{
	struct strbuf ct = STRBUF_INIT;
	sb_addf(&ct, "Content-Type: %s", ctype);
	struct curl_slist *hdr = cu.slist_append(NULL, ct.buf);
	sb_release(&ct);
	struct body b = { .len = 0 };
	b.buf[0] = 0;
	post_setup(h, url, data, n, hdr);
	cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	cu.easy_setopt(h, CURLOPT_WRITEDATA, &b);
	CURLcode rc = cu.easy_perform(h);
	long status = 0;
	int ret = -1;
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", c->url, cu.easy_strerror(rc));
	} else {
		cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			ret = 0;
		} else {
			/* the server's one-line reason, if it gave one */
			for (char *q = b.buf; *q; q++)
				if (*q == '\n' || *q == '\r')
					*q = ' ';
			snprintf(err, errlen, "%s answered HTTP %ld%s%.200s", c->url, status, b.len ? ": " : "", b.buf);
			/* Pyroscope answers 400 for a profile it cannot take, and
			 * 422 for whatever failed inside it (its ingesters
			 * unreachable, its ring still empty while it starts) */
			*retry = status >= 500 || status == 429 || status == 408 || status == 422;
		}
	}
	cu.slist_free_all(hdr);
	return ret;
}

/* Inflates the gzip data gz[0..n) into a new buffer (*out, *outlen; the
 * caller frees it). 0, or -1 when it is not whole gzip data or would pass
 * 2 GiB. */
int push_gunzip(const void *gz, size_t n, unsigned char **out, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	size_t cap = n * 4 + 4096, len = 0;
	unsigned char *buf = xmalloc(cap);
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)n;
	int rc;
	do {
		if (len == cap) {
			if (cap > (1ul << 31))
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		z.next_out = buf + len;
		z.avail_out = (uInt)(cap - len);
		rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
	} while (rc == Z_OK);
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* The pprof profile's period type ("cpu", "wall", "space"), gzipped or
 * not, into out; 0, or -1 when data is not a pprof profile that has one. */
static int pprof_period_type(const void *data, size_t n, char *out, size_t outlen)
{
	const unsigned char *in = data;
	unsigned char *buf = NULL;
	size_t len = n;
	if (n >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
		if (push_gunzip(in, n, &buf, &len) != 0)
			return -1;
		in = buf;
	}
	/* the string table (field 6) and period_type (11: ValueType, its type
	 * the string index in field 1) */
	VEC(const unsigned char *) strs = { 0 };
	VEC(size_t) lens = { 0 };
	uint64_t ptype = 0;
	int have = 0, bad = 0;
	const unsigned char *p = in, *end = in + len;
	while (p < end && !bad) {
		uint64_t key = 0, v = 0;
		unsigned shift = 0;
		while (p < end && shift < 64) {
			key |= (uint64_t)(*p & 0x7f) << shift;
			shift += 7;
			if (!(*p++ & 0x80))
				break;
		}
		unsigned wire = key & 7;
		if (wire == 0 || wire == 2) {
			shift = 0;
			int done = 0;
			while (p < end && shift < 64) {
				v |= (uint64_t)(*p & 0x7f) << shift;
				shift += 7;
				if (!(*p++ & 0x80)) {
					done = 1;
					break;
				}
			}
			if (!done || (wire == 2 && v > (uint64_t)(end - p))) {
				bad = 1;
				break;
			}
			if (wire == 0)
				continue;
			if (key >> 3 == 6) {
				VEC_PUSH(&strs, p);
				VEC_PUSH(&lens, (size_t)v);
			} else if (key >> 3 == 11) {
				/* ValueType: field 1, varint */
				const unsigned char *q = p, *qe = p + v;
				if (q < qe && *q == 0x08) {
					uint64_t t = 0;
					shift = 0;
					for (q++; q < qe && shift < 64; shift += 7) {
						t |= (uint64_t)(*q & 0x7f) << shift;
						if (!(*q++ & 0x80))
							break;
					}
					ptype = t;
					have = 1;
				}
			}
			p += v;
		} else if (wire == 1 && end - p >= 8) {
			p += 8;
		} else if (wire == 5 && end - p >= 4) {
			p += 4;
		} else {
			bad = 1;
		}
	}
	int ret = -1;
	if (!bad && have && ptype > 0 && ptype < strs.len) {
		snprintf(out, outlen, "%.*s", (int)lens.data[ptype], (const char *)strs.data[ptype]);
		ret = 0;
	}
	VEC_FREE(&strs);
	VEC_FREE(&lens);
	free(buf);
	return ret;
}

/* protobuf: a varint, and a length-delimited field (key, length, bytes) */
static void pb_varint(struct strbuf *sb, uint64_t v)
{
	while (v >= 0x80) {
		char c = (char)(v | 0x80);
		sb_add(sb, &c, 1);
		v >>= 7;
	}
	char c = (char)v;
	sb_add(sb, &c, 1);
}

static void pb_lenfield(struct strbuf *sb, unsigned field, const void *data, size_t n)
{
	pb_varint(sb, (uint64_t)field << 3 | 2);
	pb_varint(sb, n);
	sb_add(sb, data, n);
}

/* Label{name = 1, value = 2} as field 1 of a LabelSet */
static void pb_label(struct strbuf *set, const char *name, size_t nl, const char *value, size_t vl)
{
	struct strbuf m = STRBUF_INIT;
	pb_lenfield(&m, 1, name, nl);
	pb_lenfield(&m, 2, value, vl);
	pb_lenfield(set, 1, m.buf, m.len);
	sb_release(&m);
}

/* The gRPC status of a gRPC-web answer: from the headers (a trailers-only
 * answer) or the trailer frame at the end of the body. */
struct grpcweb {
	int status;               /* -1: none seen */
	char message[200];
	struct strbuf body;
};

static void grpc_fields(struct grpcweb *g, const char *s, size_t n)
{
	/* lines "grpc-status: N" and "grpc-message: TEXT" */
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t ll = nl ? (size_t)(nl - s) : n;
		size_t l = ll;
		while (l && (s[l - 1] == '\r' || s[l - 1] == ' '))
			l--;
		if (l > 12 && !strncasecmp(s, "grpc-status:", 12)) {
			g->status = atoi(s + 12);
		} else if (l > 13 && !strncasecmp(s, "grpc-message:", 13)) {
			const char *m = s + 13;
			while (m < s + l && *m == ' ')
				m++;
			snprintf(g->message, sizeof(g->message), "%.*s", (int)(s + l - m), m);
		}
		if (!nl)
			break;
		n -= ll + 1;
		s += ll + 1;
	}
}

static size_t on_grpc_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	grpc_fields(ud, ptr, size * nmemb);
	return size * nmemb;
}

static size_t on_grpc_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct grpcweb *g = ud;
	if (g->body.len < 65536)
		sb_add(&g->body, ptr, size * nmemb);
	return size * nmemb;
}

/* Parca: its ProfileStoreService's WriteRaw over HTTP as gRPC-web (the
 * server answers gRPC-web on its HTTP port, at /SERVICE/METHOD: its REST
 * gateway's paths go to its web UI instead), one WriteRawRequest with one
 * series: labels __name__ (the kind of profile: process_cpu, wall or
 * memory, from the pprof's period type), job (the application name, unless
 * a --label gives job) and the --label ones, and the pprof bytes as they are
 * (Parca takes them gzipped). The profile's time is the pprof's time_nanos. */
static int parca_post(const struct push_conf *c, CURL *h, const void *data, size_t n, char *err, size_t errlen,
		      int *retry)
{
	char ptype[64];
	if (pprof_period_type(data, n, ptype, sizeof(ptype)) != 0) {
		snprintf(err, errlen, "not a pprof profile with its period type: Parca could not name it");
		*retry = 0;
		return -1;
	}
	const char *kind = !strcmp(ptype, "cpu") ? "process_cpu" : !strcmp(ptype, "wall") ? "wall" :
			   !strcmp(ptype, "space") ? "memory" : NULL;
	if (!kind) {
		snprintf(err, errlen, "a pprof profile of '%s': scorch pushes CPU, wall-clock and heap profiles to Parca",
			 ptype);
		*retry = 0;
		return -1;
	}
	const char *labels = c->labels ? c->labels : "";
	int has_job = !strncmp(labels, "job=", 4) || strstr(labels, ",job=") != NULL;
	struct strbuf set = STRBUF_INIT, series = STRBUF_INIT, sample = STRBUF_INIT, req = STRBUF_INIT;
	pb_label(&set, "__name__", 8, kind, strlen(kind));
	if (!has_job)
		pb_label(&set, "job", 3, c->app, strlen(c->app));
	for (const char *l = labels; *l;) {
		const char *eq = strchr(l, '='), *comma = strchr(l, ',');
		if (!comma)
			comma = l + strlen(l);
		pb_label(&set, l, (size_t)(eq - l), eq + 1, (size_t)(comma - eq - 1));
		l = *comma ? comma + 1 : comma;
	}
	pb_lenfield(&sample, 1, data, n);              /* RawSample.raw_profile */
	pb_lenfield(&series, 1, set.buf, set.len);     /* RawProfileSeries.labels */
	pb_lenfield(&series, 2, sample.buf, sample.len); /* .samples */
	/* the gRPC-web frame: flags 0, big-endian length, WriteRawRequest
	 * {series = 2} */
	struct strbuf msg = STRBUF_INIT;
	pb_lenfield(&msg, 2, series.buf, series.len);
	unsigned char fh[5] = { 0, (unsigned char)(msg.len >> 24), (unsigned char)(msg.len >> 16),
				(unsigned char)(msg.len >> 8), (unsigned char)msg.len };
	sb_add(&req, fh, 5);
	sb_add(&req, msg.buf, msg.len);
	sb_release(&msg);
	sb_release(&set);
	sb_release(&series);
	sb_release(&sample);

	const char *base = parca_base(c->url);
	size_t ul = strlen(base);
	while (ul && base[ul - 1] == '/')
		ul--;
	struct strbuf url = STRBUF_INIT;
	sb_addf(&url, "%.*s/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw", (int)ul, base);
	struct grpcweb g = { .status = -1, .message = "", .body = STRBUF_INIT };
	struct curl_slist *hdr = cu.slist_append(NULL, "Content-Type: application/grpc-web+proto");
	hdr = cu.slist_append(hdr, "X-Grpc-Web: 1");
	post_setup(h, url.buf, req.buf, req.len, hdr);
	cu.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_grpc_header);
	cu.easy_setopt(h, CURLOPT_HEADERDATA, &g);
	cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_grpc_data);
	cu.easy_setopt(h, CURLOPT_WRITEDATA, &g);
	CURLcode rc = cu.easy_perform(h);
	long status = 0;
	int ret = -1;
	*retry = 1;
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", c->url, cu.easy_strerror(rc));
	} else {
		cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		/* the frames: data (flag 0), then the trailers (flag 0x80) */
		const unsigned char *p = (const unsigned char *)g.body.buf, *end = p + g.body.len;
		while (g.body.len && end - p >= 5) {
			size_t fl = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
			if (fl > (size_t)(end - p - 5))
				break;
			if (p[0] & 0x80)
				grpc_fields(&g, (const char *)p + 5, fl);
			p += 5 + fl;
		}
		if (status == 200 && g.status == 0) {
			ret = 0;
		} else if (status == 200 && g.status > 0) {
			snprintf(err, errlen, "%s answered gRPC status %d%s%s", c->url, g.status, g.message[0] ? ": " : "",
				 g.message);
			/* INVALID_ARGUMENT and the like: this profile is refused;
			 * UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
			 * INTERNAL, UNAVAILABLE: the server's trouble, try again */
			*retry = g.status == 1 || g.status == 2 || g.status == 4 || g.status == 8 || g.status == 10 ||
				 g.status == 13 || g.status == 14;
		} else if (status == 200) {
			snprintf(err, errlen, "%s answered HTTP 200 without a gRPC status: not a Parca server's gRPC-web",
				 c->url);
			*retry = 0;
		} else {
			snprintf(err, errlen, "%s answered HTTP %ld%s%s", c->url, status, g.message[0] ? ": " : "",
				 g.message);
			*retry = status >= 500 || status == 429 || status == 408;
		}
	}
	cu.slist_free_all(hdr);
	sb_release(&g.body);
	sb_release(&url);
	sb_release(&req);
	return ret;
}

int push_post(const struct push_conf *c, const void *data, size_t n, uint64_t from_ns, uint64_t until_ns,
	      char *err, size_t errlen, int *retry)
{
	*retry = 1;
	if (curl_load(err, errlen) < 0) {
		*retry = 0;
		return -1;
	}
	CURL *h = cu.easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot initialize libcurl");
		return -1;
	}
	if (parca_base(c->url)) {
		int ret = parca_post(c, h, data, n, err, errlen, retry);
		cu.easy_cleanup(h);
		return ret;
	}
	/* name=APP{k=v,...}: Pyroscope's application name with its labels */
	struct strbuf name = STRBUF_INIT, url = STRBUF_INIT;
	sb_addf(&name, "%s{%s}", c->app, c->labels ? c->labels : "");
	char *ename = cu.easy_escape(h, name.buf, (int)name.len);
	size_t ul = strlen(c->url);
	while (ul && c->url[ul - 1] == '/')
		ul--;
	sb_addf(&url, "%.*s/ingest?name=%s&from=%019llu&until=%019llu&format=pprof&spyName=scorch", (int)ul, c->url,
		ename ? ename : "", (unsigned long long)from_ns, (unsigned long long)until_ns);
	cu.free(ename);
	int ret = http_post(c, h, url.buf, "application/octet-stream", data, n, err, errlen, retry);
	cu.easy_cleanup(h);
	sb_release(&name);
	sb_release(&url);
	return ret;
}

void push_spool_name(const char *spool, uint64_t from_ns, uint64_t until_ns, int pid, char *out, char *tmp)
{
	snprintf(out, PATH_MAX, "%s/%019llu-%019llu.%d.pb.gz", spool, (unsigned long long)from_ns,
		 (unsigned long long)until_ns, pid);
	snprintf(tmp, PATH_MAX, "%s/.tmp.%019llu.%d.%d", spool, (unsigned long long)from_ns, pid, (int)getpid());
}

int push_spool_parse(const char *path, uint64_t *from_ns, uint64_t *until_ns)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	unsigned long long f, u;
	int pid, k = 0;
	if (sscanf(base, "%19llu-%19llu.%d.pb.gz%n", &f, &u, &pid, &k) != 3 || base[k] || u < f)
		return -1;
	*from_ns = f;
	*until_ns = u;
	return 0;
}

/* ---- the pusher process ---- */

struct pusher {
	pid_t pid;
	int fd;                   /* write end: closed when the last interval is queued */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef VEC(char *) namevec;

/* The spool's complete profiles, oldest first. */
static void list_spool(const char *spool, namevec *v)
{
	for (size_t i = 0; i < v->len; i++)
		free(v->data[i]);
	v->len = 0;
	DIR *d = opendir(spool);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		uint64_t f, u;
		if (push_spool_parse(e->d_name, &f, &u) == 0)
			VEC_PUSH(v, xstrdup(e->d_name));
	}
	if (d)
		closedir(d);
	if (v->len > 1)
		qsort(v->data, v->len, sizeof(char *), name_cmp);
}

static int read_all(const char *path, char **out, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	char *buf = xmalloc((unsigned long)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*out = buf;
	*n = got;
	return 0;
}

/* The pusher's loop; fd reads EOF once the parent has queued the last
 * interval. Never returns. */
static void pusher_main(const struct push_conf *c, int fd, unsigned wait_ms_unused)
{
	(void)wait_ms_unused;
	if (nice(10) == -1 && errno)
		errno = 0;
	namevec names = { 0 };
	uint64_t sent = 0, dropped = 0, refused = 0, failures = 0, away_since = 0;
	uint64_t backoff = 0, next_try = 0, deadline = 0;
	int closing = 0, away = 0;
	char err[768];
	for (;;) {
		uint64_t now = now_ms();
		/* sleep until the next try (or a scan for new intervals), waking
		 * at once when the parent says it is done */
		if (!closing) {
			uint64_t wake = next_try > now ? next_try - now : 200;
			if (wake > 200)
				wake = 200;
			struct pollfd pfd = { fd, POLLIN, 0 };
			if (poll(&pfd, 1, (int)wake) > 0) {
				char buf[64];
				ssize_t r = read(fd, buf, sizeof(buf));
				if (r <= 0) {
					closing = 1;
					/* the parent writes the time it allows as "ms\n" before closing */
					deadline = now_ms() + 10000;
				} else {
					buf[r < (ssize_t)sizeof(buf) ? r : (ssize_t)sizeof(buf) - 1] = 0;
					deadline = now_ms() + strtoull(buf, NULL, 10);
					closing = 1;
				}
			}
		} else if (next_try > now) {
			uint64_t s = next_try - now;
			if (now + s > deadline)
				s = deadline > now ? deadline - now : 0;
			struct timespec ts = { (time_t)(s / 1000), (long)(s % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		now = now_ms();
		list_spool(c->spool, &names);
		/* the bound: the oldest intervals go first */
		size_t first = 0;
		while (names.len - first > c->spool_max) {
			struct strbuf p = STRBUF_INIT;
			sb_addf(&p, "%s/%s", c->spool, names.data[first]);
			if (unlink(p.buf) == 0)
				dropped++;
			sb_release(&p);
			first++;
		}
		if (closing && (first == names.len || now >= deadline))
			break;
		if (now < next_try)
			continue;
		for (size_t i = first; i < names.len; i++) {
			struct strbuf p = STRBUF_INIT;
			sb_addf(&p, "%s/%s", c->spool, names.data[i]);
			uint64_t f = 0, u = 0;
			char *data = NULL;
			size_t n = 0;
			int retry = 0, rc;
			push_spool_parse(names.data[i], &f, &u);
			if (read_all(p.buf, &data, &n) != 0) {
				sb_release(&p);
				continue;   /* gone meanwhile */
			}
			rc = push_post(c, data, n, f, u, err, sizeof(err), &retry);
			free(data);
			if (rc == 0) {
				unlink(p.buf);
				sent++;
				if (away)
					fprintf(stderr, "scorch: push: %s is back after %.1f s; sending the queued intervals\n",
						c->url, (double)(now_ms() - away_since) / 1e3);
				if (c->verbose)
					fprintf(stderr, "scorch: push: sent %s\n", names.data[i]);
				away = 0;
				backoff = 0;
				sb_release(&p);
				continue;
			}
			if (!retry) {
				fprintf(stderr, "scorch: push: %s refused: %s\n", names.data[i], err);
				unlink(p.buf);
				refused++;
				sb_release(&p);
				continue;
			}
			failures++;
			if (!away) {
				fprintf(stderr, "scorch: push: %s; keeping the intervals in %s (at most %zu) and retrying\n",
					err, c->spool, c->spool_max);
				away = 1;
				away_since = now_ms();
			}
			backoff = backoff ? backoff * 2 : 1000;
			if (backoff > 30000)
				backoff = 30000;
			next_try = now_ms() + backoff;
			sb_release(&p);
			break;
		}
	}
	list_spool(c->spool, &names);
	fprintf(stderr, "scorch: push: %llu interval profile%s sent to %s as %s{%s}",
		(unsigned long long)sent, sent == 1 ? "" : "s", c->url, c->app, c->labels ? c->labels : "");
	if (failures)
		fprintf(stderr, ", %llu failed tr%s", (unsigned long long)failures, failures == 1 ? "y" : "ies");
	fprintf(stderr, "\n");
	if (dropped)
		fprintf(stderr, "scorch: push: %llu interval%s dropped: the server was away for more than %zu intervals (--spool-max)\n",
			(unsigned long long)dropped, dropped == 1 ? "" : "s", c->spool_max);
	if (refused)
		fprintf(stderr, "scorch: push: %llu interval%s refused by the server\n", (unsigned long long)refused,
			refused == 1 ? "" : "s");
	if (names.len)
		fprintf(stderr, "scorch: push: %zu interval%s not sent, kept in %s: send %s later with "
			"'scorch push %s/*.pb.gz %s --app %s'\n", names.len, names.len == 1 ? "" : "s", c->spool,
			names.len == 1 ? "it" : "them", c->spool, c->url, c->app);
	if (!names.len)
		rmdir(c->spool);   /* only when empty: nothing is left to send */
	fflush(stderr);
	_exit(dropped || refused || names.len ? 1 : 0);
}

struct pusher *pusher_start(const struct push_conf *c)
{
	int p[2];
	if (mkdir(c->spool, 0700) != 0 && errno != EEXIST)
		return NULL;
	if (pipe2(p, O_CLOEXEC) != 0)
		return NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p[1]);
		/* ^C at the terminal is for the parent, which then tells us */
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		pusher_main(c, p[0], 0);
	}
	close(p[0]);
	struct pusher *ps = xcalloc(1, sizeof(*ps));
	ps->pid = pid;
	ps->fd = p[1];
	return ps;
}

int pusher_finish(struct pusher *ps, unsigned wait_ms)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%u\n", wait_ms);
	if (write(ps->fd, buf, (size_t)n) != n)
		warning("cannot tell the pusher to finish: %s", strerror(errno));
	close(ps->fd);
	int st = 0;
	while (waitpid(ps->pid, &st, 0) < 0 && errno == EINTR)
		;
	free(ps);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
