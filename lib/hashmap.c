/* Hash maps: linear probing, power-of-two capacity, load kept under 70%. */
#include "hashmap.h"
#include "die.h"

#include <stddef.h>
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
	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->cap = cap;
	m->len = m->tombs = 0;
	m->has_zero = false;
	m->zero_val = 0;
}

void u64map_release(struct u64map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static void u64map_rehash(struct u64map *m, size_t cap)
{
	struct u64map_slot *old = m->slots;
	size_t oldcap = m->cap;
	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->cap = cap;
	m->tombs = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		size_t j = hash_u64(old[i].key) & (cap - 1);
		while (m->slots[j].key)
			j = (j + 1) & (cap - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

uint64_t *u64map_put(struct u64map *m, uint64_t key, bool *isnew)
{
	if (!m->cap)
		u64map_init(m, 16);
	if (!key) {
		if (isnew)
			*isnew = !m->has_zero;
		if (!m->has_zero) {
			m->has_zero = true;
			m->zero_val = 0;
			m->len++;
		}
		return &m->zero_val;
	}
	if ((m->len + m->tombs + 1) * 10 > m->cap * 7)
		u64map_rehash(m, m->len * 2 * 10 > m->cap * 7 ? m->cap * 2 : m->cap);
	size_t mask = m->cap - 1, i = hash_u64(key) & mask, tomb = (size_t)-1;
	for (;;) {
		struct u64map_slot *sl = &m->slots[i];
		if (sl->key == key) {
			if (isnew)
				*isnew = false;
			return &sl->val;
		}
		if (!sl->key) {
			if (!sl->val)
				break;
			if (tomb == (size_t)-1)
				tomb = i;
		}
		i = (i + 1) & mask;
	}
	if (tomb != (size_t)-1) {
		i = tomb;
		m->tombs--;
	}
	m->slots[i].key = key;
	m->slots[i].val = 0;
	m->len++;
	if (isnew)
		*isnew = true;
	return &m->slots[i].val;
}

uint64_t *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	if (!key)
		return m->has_zero ? (uint64_t *)&m->zero_val : NULL;
	size_t mask = m->cap - 1, i = hash_u64(key) & mask;
	for (;;) {
		struct u64map_slot *sl = &m->slots[i];
		if (sl->key == key)
			return &sl->val;
		if (!sl->key && !sl->val)
			return NULL;
		i = (i + 1) & mask;
	}
}

bool u64map_del(struct u64map *m, uint64_t key, uint64_t *oldval)
{
	uint64_t *v = u64map_get(m, key);
	if (!v)
		return false;
	if (oldval)
		*oldval = *v;
	m->len--;
	if (!key) {
		m->has_zero = false;
		return true;
	}
	struct u64map_slot *sl = (struct u64map_slot *)((char *)v - offsetof(struct u64map_slot, val));
	sl->key = 0;
	sl->val = 1;   /* deleted */
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
