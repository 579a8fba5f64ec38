/* LEB128 varints and zigzag for the record codecs of both sides. The encoders
 * write into caller-provided memory and never allocate (the runtime uses them
 * inside malloc hooks); the decoder checks every byte against the end. */
#ifndef SCORCH_FORMAT_VARINT_H
#define SCORCH_FORMAT_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX 10

static inline uint8_t *fmt_put_u(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint64_t fmt_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t fmt_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline uint8_t *fmt_put_s(uint8_t *p, int64_t v) { return fmt_put_u(p, fmt_zigzag(v)); }

/* A bounded reader. Any read past the end or any overlong varint sets err and
 * returns 0 from then on, so a decoder can read a whole record and check once. */
struct fmt_reader {
	const uint8_t *p, *end;
	int err;
};

static inline uint64_t fmt_get_u(struct fmt_reader *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end) {
			r->err = 1;
			return 0;
		}
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->err = 1;
	return 0;
}

static inline int64_t fmt_get_s(struct fmt_reader *r) { return fmt_unzigzag(fmt_get_u(r)); }

static inline const uint8_t *fmt_get_bytes(struct fmt_reader *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = 1;
		return NULL;
	}
	const uint8_t *s = r->p;
	r->p += n;
	return s;
}

static inline uint32_t fmt_get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t fmt_get_u64le(const uint8_t *p)
{
	return (uint64_t)fmt_get_u32le(p) | (uint64_t)fmt_get_u32le(p + 4) << 32;
}

static inline void fmt_put_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void fmt_put_u64le(uint8_t *p, uint64_t v)
{
	fmt_put_u32le(p, (uint32_t)v);
	fmt_put_u32le(p + 4, (uint32_t)(v >> 32));
}

/* The raw chunk checksum: header bytes 0..11 and 16..23, then the payload,
 * hashed 8 bytes at a time (multiply-xor-shift; the tail byte-wise) and
 * folded to 32 bits. It only has to catch torn and overwritten chunks, and
 * it runs over every byte the runtime writes, so it must be cheap. */
static inline uint64_t fmt_sum_step(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static inline uint64_t fmt_sum_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		__builtin_memcpy(&w, p + i, 8);
		h = fmt_sum_step(h, w);
	}
	for (; i < n; i++)
		h = fmt_sum_step(h, p[i] | 0x100u);
	return h;
}

static inline uint32_t fmt_chunk_sum(const uint8_t *hdr, const uint8_t *payload, size_t n)
{
	uint64_t h = fmt_sum_bytes(0x243f6a8885a308d3ULL ^ n, hdr, 12);
	h = fmt_sum_bytes(h, hdr + 16, 8);
	h = fmt_sum_bytes(h, payload, n);
	return (uint32_t)(h ^ (h >> 32));
}

/* The same hash in four lanes, for chunks of magic RAW_CHUNK_MAGIC4: the
 * payload's 8-byte words go round-robin to four independent chains (started
 * apart), folded into one after the last whole 32 bytes, then the rest as
 * fmt_sum_bytes: the serial chain waits on each multiply (about 6 cycles
 * per 8 bytes), four overlap (15 -> 5 ms for 72 MB here). */
static inline uint32_t fmt_chunk_sum4(const uint8_t *hdr, const uint8_t *payload, size_t n)
{
	uint64_t h = fmt_sum_bytes(0x243f6a8885a308d3ULL ^ n, hdr, 12);
	h = fmt_sum_bytes(h, hdr + 16, 8);
	uint64_t a = h, b = h ^ 0x13198a2e03707344ULL, c = h ^ 0xa4093822299f31d0ULL, d = h ^ 0x082efa98ec4e6c89ULL;
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		uint64_t w[4];
		__builtin_memcpy(w, payload + i, 32);
		a = fmt_sum_step(a, w[0]);
		b = fmt_sum_step(b, w[1]);
		c = fmt_sum_step(c, w[2]);
		d = fmt_sum_step(d, w[3]);
	}
	h = fmt_sum_step(fmt_sum_step(fmt_sum_step(a, b), c), d);
	h = fmt_sum_bytes(h, payload + i, n - i);
	return (uint32_t)(h ^ (h >> 32));
}

#endif
