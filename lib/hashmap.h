/* Open-addressing hash maps for the tool side: u64 -> u64, and string ->
 * u32 (interning). Keys of the string map are copied into the map. */
#ifndef SCORCH_LIB_HASHMAP_H
#define SCORCH_LIB_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys and values sit side by side so a lookup touches one cache line.
 * Slot key 0 marks a free slot (val 0: empty, val 1: deleted); the real key
 * 0 lives outside the table. */
struct u64map_slot {
	uint64_t key, val;
};

struct u64map {
	struct u64map_slot *slots;
	size_t cap, len, tombs;
	bool has_zero;
	uint64_t zero_val;
};

void u64map_init(struct u64map *m, size_t hint);
void u64map_release(struct u64map *m);
/* Returns a pointer to the value slot, inserting 0 when absent (*isnew set). */
uint64_t *u64map_put(struct u64map *m, uint64_t key, bool *isnew);
uint64_t *u64map_get(const struct u64map *m, uint64_t key);
bool u64map_del(struct u64map *m, uint64_t key, uint64_t *oldval);

uint64_t hash_u64(uint64_t x);
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

struct strmap {
	char **keys;
	uint32_t *vals;
	uint64_t *hashes;
	size_t cap, len;
};

void strmap_init(struct strmap *m);
void strmap_release(struct strmap *m);
/* Returns the value for s, inserting `val_if_new` when absent. */
uint32_t strmap_intern(struct strmap *m, const char *s, uint32_t val_if_new, bool *isnew);
bool strmap_get(const struct strmap *m, const char *s, uint32_t *val);

#endif
