/* Kernel symbols: /proc/kallsyms read once into a table sorted by address,
 * for naming the kernel frames of attached samples (analysis/finalize.c). */
#include "kallsyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/die.h"
#include "../lib/strbuf.h"
#include "../lib/vec.h"

struct ksym {
	uint64_t addr;
	size_t name;                 /* offset into names */
};

static VEC(struct ksym) syms;
static struct strbuf names = STRBUF_INIT;
static int loaded;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load(void)
{
	loaded = 1;
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256], mod[128];
		mod[0] = 0;
		int n = sscanf(line, "%llx %c %255s %127s", &a, &type, name, mod);
		/* functions only; all zeros: addresses are hidden from us */
		if (n < 3 || !a || (type != 't' && type != 'T' && type != 'w' && type != 'W'))
			continue;
		struct ksym k = { a, names.len };
		sb_adds(&names, name);
		if (n == 4 && mod[0] == '[')
			sb_addf(&names, " %s", mod);
		sb_addc(&names, 0);
		VEC_PUSH(&syms, k);
	}
	fclose(f);
	if (syms.len)
		qsort(syms.data, syms.len, sizeof(*syms.data), ksym_cmp);
}

const char *kallsyms_name(uint64_t addr)
{
	if (!loaded)
		load();
	size_t lo = 0, hi = syms.len;
	while (lo < hi) {   /* the last symbol at or below addr */
		size_t mid = lo + (hi - lo) / 2;
		if (syms.data[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* past the last symbol by more than any function's size: not text */
	if (lo == syms.len && addr - syms.data[lo - 1].addr > (1u << 20))
		return NULL;
	return names.buf + syms.data[lo - 1].name;
}
