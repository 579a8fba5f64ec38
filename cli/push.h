/* Sending pprof profiles to a Pyroscope server over HTTP (libcurl): its
 * ingest endpoint, /ingest?name=APP{LABELS}&from=&until=&format=pprof, or to
 * a Parca server (URL parca+http://...): its WriteRaw API over HTTP, and
 * the spool of `record --every --push`: interval profiles queued on disk
 * and sent by a process of their own, with retries and backoff, so that
 * neither the profiled program nor the sampling ever waits for the network. */
#ifndef SCORCH_CLI_PUSH_H
#define SCORCH_CLI_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct push_conf {
	const char *url;          /* server base URL, e.g. http://127.0.0.1:4040 */
	const char *app;          /* application name: Pyroscope's service_name */
	const char *labels;       /* "k=v,k2=v2" (checked by push_add_label), or "" */
	const char *spool;        /* directory of queued interval profiles */
	size_t spool_max;         /* at most this many queued; older ones dropped */
	int verbose;              /* one line per profile sent */
};

/* Checks an application name (letters, digits, '_', '-', '.'); 0 or -1. */
int push_check_app(const char *app);
/* Appends "k=v" to the comma-separated list *labels (malloc'd, or NULL at
 * first) after checking it: key [A-Za-z_][A-Za-z0-9_]*, value non-empty
 * and without '{', '}', ',', '=', quotes or control characters. Returns 0,
 * or -1 with the reason in err. */
int push_add_label(char **labels, const char *kv, char *err, size_t errlen);
/* Checks that url is http:// or https:// with a host (a Pyroscope
 * server), or the same after "parca+" (a Parca server); 0 or -1. */
int push_check_url(const char *url);
/* A name usable as an application name made from s (a program's name). */
char *push_app_from(const char *s);

/* POSTs one gzipped pprof profile covering [from_ns, until_ns) (CLOCK_REALTIME
 * ns) to the server: Pyroscope's /ingest, or, for a parca+ URL, Parca's
 * ProfileStoreService/WriteRaw as gRPC-web over HTTP (labels __name__,
 * job=APP and the --label ones; the time is the profile's own). Returns 0 when the server took it (HTTP 2xx), else -1
 * with a message in err and *retry set when trying again later may help
 * (no connection, a timeout, 5xx, 429) and clear when the server refused
 * this profile (other 4xx). */
int push_post(const struct push_conf *c, const void *body, size_t n, uint64_t from_ns, uint64_t until_ns,
	      char *err, size_t errlen, int *retry);
/* Loads libcurl (dlopen, at the first call: the tool does not link it) and
 * initializes it; 0, or -1 with the reason in err ("install libcurl4"). */
int push_curl_check(char *err, size_t errlen);
/* gz[0..n) inflated into a new buffer the caller frees; 0, or -1. */
int push_gunzip(const void *gz, size_t n, unsigned char **out, size_t *outlen);

/* The spool: profiles named FROM-UNTIL.PID.pb.gz (ns, zero-padded, so that
 * names sort by time). Puts the name of such a file in out (at least
 * PATH_MAX bytes), and a temporary name beside it in tmp, to write to and
 * rename() so that the pusher never sees half a file. */
void push_spool_name(const char *spool, uint64_t from_ns, uint64_t until_ns, int pid, char *out, char *tmp);
/* Reads FROM and UNTIL back from a spool file's name (any directory);
 * 0, or -1 when the name is not one. */
int push_spool_parse(const char *path, uint64_t *from_ns, uint64_t *until_ns);

/* The pusher: a child process (niced) that sends the spool's files in time
 * order as they appear, with exponential backoff (1 s up to 30 s) while the
 * server is away, and keeps at most c->spool_max of them (dropping the
 * oldest, counted). pusher_finish() tells it the last interval is there,
 * gives it up to wait_ms to send what is left, and waits for it; it prints
 * its summary on stderr (sent, dropped, left in the spool). Returns NULL
 * with errno when it cannot start. */
struct pusher;
struct pusher *pusher_start(const struct push_conf *c);
/* Returns the pusher's exit status: 0 all sent, 1 something dropped or left. */
int pusher_finish(struct pusher *p, unsigned wait_ms);

#endif
