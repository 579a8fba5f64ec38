/* Hash maps: linear probing, power-of-two capacity, load kept under 70%. */
#include "hashmap.h"
#include "die.h"

#include <stdlib.h>
#include <string.h>

uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return hash_u64(h);
}

void u64map_init(struct u64map *m, size_t hint)
{
	size_t cap = 16;
	while (cap * 7 / 10 < hint)
		cap *= 2;
	m->keys = xcalloc(cap, sizeof(*m->keys));
	m->vals = xcalloc(cap, sizeof(*m->vals));
	m->used = xcalloc(cap, 1);
	m->cap = cap;
	m->len = m->tombs = 0;
}

void u64map_release(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

static void u64map_rehash(struct u64map *m, size_t cap)
{
	struct u64map n;
	n.keys = xcalloc(cap, sizeof(*n.keys));
	n.vals = xcalloc(cap, sizeof(*n.vals));
	n.used = xcalloc(cap, 1);
	n.cap = cap;
	n.len = n.tombs = 0;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->used[i] != 1)
			continue;
		size_t j = hash_u64(m->keys[i]) & (cap - 1);
		while (n.used[j])
			j = (j + 1) & (cap - 1);
		n.used[j] = 1;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.len++;
	}
	u64map_release(m);
	*m = n;
}

uint64_t *u64map_put(struct u64map *m, uint64_t key, bool *isnew)
{
	if (!m->cap)
		u64map_init(m, 16);
	if ((m->len + m->tombs + 1) * 10 > m->cap * 7)
		u64map_rehash(m, m->len * 2 * 10 > m->cap * 7 ? m->cap * 2 : m->cap);
	size_t mask = m->cap - 1, i = hash_u64(key) & mask, tomb = (size_t)-1;
	for (;;) {
		if (m->used[i] == 0)
			break;
		if (m->used[i] == 1 && m->keys[i] == key) {
			if (isnew)
				*isnew = false;
			return &m->vals[i];
		}
		if (m->used[i] == 2 && tomb == (size_t)-1)
			tomb = i;
		i = (i + 1) & mask;
	}
	if (tomb != (size_t)-1) {
		i = tomb;
		m->tombs--;
	}
	m->used[i] = 1;
	m->keys[i] = key;
	m->vals[i] = 0;
	m->len++;
	if (isnew)
		*isnew = true;
	return &m->vals[i];
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1, i = hash_u64(key) & mask;
	while (m->used[i]) {
		if (m->used[i] == 1 && m->keys[i] == key)
			return &m->vals[i];
		i = (i + 1) & mask;
	}
	return NULL;
}

bool u64map_del(struct u64map *m, uint64_t key, uint64_t *oldval)
{
	uint64_t *v = u64map_get(m, key);
	if (!v)
		return false;
	size_t i = (size_t)(v - m->vals);
	if (oldval)
		*oldval = *v;
	m->used[i] = 2;
	m->len--;
	m->tombs++;
	return true;
}

void strmap_init(struct strmap *m) { memset(m, 0, sizeof(*m)); }

void strmap_release(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	memset(m, 0, sizeof(*m));
}

static void strmap_grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	char **keys = xcalloc(cap, sizeof(*keys));
	uint32_t *vals = xcalloc(cap, sizeof(*vals));
	uint64_t *hashes = xcalloc(cap, sizeof(*hashes));
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = m->hashes[i] & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
		hashes[j] = m->hashes[i];
	}
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	m->keys = keys;
	m->vals = vals;
	m->hashes = hashes;
	m->cap = cap;
}

uint32_t strmap_intern(struct strmap *m, const char *s, uint32_t val_if_new, bool *isnew)
{
	if ((m->len + 1) * 10 > m->cap * 7)
		strmap_grow(m);
	uint64_t h = hash_bytes(s, strlen(s), 0);
	size_t i = h & (m->cap - 1);
	while (m->keys[i]) {
		if (m->hashes[i] == h && strcmp(m->keys[i], s) == 0) {
			if (isnew)
				*isnew = false;
			return m->vals[i];
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->keys[i] = xstrdup(s);
	m->vals[i] = val_if_new;
	m->hashes[i] = h;
	m->len++;
	if (isnew)
		*isnew = true;
	return val_if_new;
}

bool strmap_get(const struct strmap *m, const char *s, uint32_t *val)
{
	if (!m->cap)
		return false;
	uint64_t h = hash_bytes(s, strlen(s), 0);
	size_t i = h & (m->cap - 1);
	while (m->keys[i]) {
		if (m->hashes[i] == h && strcmp(m->keys[i], s) == 0) {
			if (val)
				*val = m->vals[i];
			return true;
		}
		i = (i + 1) & (m->cap - 1);
	}
	return false;
}
