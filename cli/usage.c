/* Usage errors and shared option values of the subcommands (see usage.h). */
#include "usage.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_bad_usage(const char *cmd, usage_fn usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "scorch %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	(void)usage;    /* one line pointing at the help, not the whole help */
	cli_see_help(cmd);
	return 2;
}

void cli_see_help(const char *cmd)
{
	fprintf(stderr, "see 'scorch %s --help' (or 'scorch help %s')\n", cmd, cmd);
}

size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	if (n > 64 || m > 64)
		return SIZE_MAX;
	size_t d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

/* An unknown or ambiguous long option (arg "--name" or "--name=value"):
 * the command's long options, read from its own --help text, that start
 * with name (glibc found it ambiguous) or, failing that, the closest ones
 * within 2 edits: "; did you mean --merge?". Empty when none is close. */
static void suggest_option(usage_fn usage, const char *arg, char *out, size_t outlen)
{
	out[0] = '\0';
	const char *name = arg + 2;
	size_t n = strcspn(name, "=");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f || !n)
		goto done;
	usage(f);
	if (fclose(f)) {
		f = NULL;
		goto done;
	}
	f = NULL;
	enum { MAXO = 64 };
	const char *opt[MAXO];
	size_t olen[MAXO], no = 0;
	for (const char *s = text; (s = strstr(s, "--")) && no < MAXO; ) {
		s += 2;
		size_t l = 0;
		while ((s[l] >= 'a' && s[l] <= 'z') || (s[l] >= '0' && s[l] <= '9') || (s[l] == '-' && l))
			l++;
		while (l && s[l - 1] == '-')
			l--;
		bool dup = l < 2;
		for (size_t k = 0; k < no && !dup; k++)
			dup = olen[k] == l && !memcmp(opt[k], s, l);
		if (!dup) {
			opt[no] = s;
			olen[no++] = l;
		}
		s += l;
	}
	/* a prefix of several: glibc's "ambiguous" */
	size_t used = 0, hits = 0;
	for (size_t k = 0; k < no; k++)
		if (olen[k] > n && !memcmp(opt[k], name, n)) {
			int w = snprintf(out + used, outlen - used, "%s--%.*s", hits++ ? ", " : "; it could be ",
					 (int)olen[k], opt[k]);
			if (w < 0 || (size_t)w >= outlen - used)
				break;
			used += (size_t)w;
		}
	if (hits > 1)
		goto done;
	out[0] = '\0';
	size_t best = SIZE_MAX;
	for (size_t k = 0; k < no; k++) {
		size_t d = edit_distance(name, n, opt[k], olen[k]);
		if (d < best)
			best = d;
	}
	if (best > 2 || best * 3 > n)
		goto done;
	used = 0;
	hits = 0;
	for (size_t k = 0; k < no; k++)
		if (edit_distance(name, n, opt[k], olen[k]) == best) {
			int w = snprintf(out + used, outlen - used, "%s--%.*s", hits++ ? " or " : "; did you mean ",
					 (int)olen[k], opt[k]);
			if (w < 0 || (size_t)w >= outlen - used)
				break;
			used += (size_t)w;
		}
	if (used && used + 1 < outlen)
		out[used++] = '?', out[used] = '\0';
done:
	if (f)
		fclose(f);
	free(text);
}

int cli_getopt_end(int c, const char *cmd, usage_fn usage, char **argv)
{
	if (c == 'h') {
		usage(stdout);
		return 0;
	}
	if (c == ':')
		return cli_bad_usage(cmd, usage, "option '%s' needs a value", argv[optind - 1]);
	const char *arg = argv[optind - 1];
	if (optopt && !strncmp(arg, "--", 2) && strchr(arg, '='))
		/* glibc names the option by its value: say it by name */
		return cli_bad_usage(cmd, usage, "option '%s' takes no value", arg);
	if (optopt && optopt != '?') {
		/* a short option, maybe inside a cluster: argv names the cluster */
		char o[3] = { '-', (char)optopt, 0 };
		return cli_bad_usage(cmd, usage, "unknown option '%s'", o);
	}
	if (!strncmp(arg, "--", 2) && arg[2]) {
		char hint[256], msg[512];
		suggest_option(usage, arg, hint, sizeof(hint));
		snprintf(msg, sizeof(msg), "%s option '%.*s'%s",
			 !strncmp(hint, "; it could be", 13) ? "ambiguous" : "unknown",
			 (int)strcspn(arg, "="), arg, hint);
		return cli_bad_usage(cmd, usage, "%s", msg);
	}
	return cli_bad_usage(cmd, usage, "unknown option '%s'", arg);
}

int cli_auto_color(void)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(1) && !(nc && *nc);
}
