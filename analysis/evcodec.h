/* The columnar codec of a profile's heap events (docs/format.md, EVENT_BLOCK):
 * blocks of up to EVC_BLOCK_MAX events, each stored as separate columns
 * (kind and function, thread, time ticks, stacks and sizes of allocations,
 * frees by position), each column bit-packed against its best predictor.
 * Addresses are not stored: a free names its allocation by how many
 * allocations were made since, and the decoder gives every allocation a
 * synthetic address of its own (its ordinal + 1) that its frees repeat.
 * Pure: no I/O; the encoder and decoder each keep the state that runs across
 * the blocks of one profile (ordinals, live blocks, the previous time). */
#ifndef SCORCH_ANALYSIS_EVCODEC_H
#define SCORCH_ANALYSIS_EVCODEC_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/strbuf.h"
#include "profile.h"

#define EVC_BLOCK_MAX 65536u            /* events in one block */
#define EVC_BYTES_MAX (8u << 20)        /* one block's encoding is never longer */
/* Synthetic address of the free of an address that was not live (never
 * allocated in the profile, or freed already): this bit | a serial number,
 * so that it never equals an allocation's address. */
#define EVC_UNMATCHED_BIT (1ull << 63)

/* The encoder. time_unit is the ns per time tick the blocks store (1 keeps
 * times exact to the ns; 1000 keeps them to the us, rounded down). */
struct evc_encoder;
struct evc_encoder *evc_encoder_new(uint32_t time_unit);
/* Appends the block of ev[0..n) to out: 1 <= n <= EVC_BLOCK_MAX, in time
 * order and not before the last event of the previous block; thread,
 * stack, kind and func as in struct sc_event. 0, or -EINVAL (nothing
 * appended, the state unchanged) when those do not hold. */
int evc_encode(struct evc_encoder *e, const struct sc_event *ev, size_t n, struct strbuf *out);
/* Events encoded so far. */
uint64_t evc_encoder_events(const struct evc_encoder *e);
/* Calls fn for every allocation still live after the blocks encoded so far:
 * its real address and its ordinal (0 for the first allocation encoded),
 * whose synthetic address the decoder gives it (or the one it replaced). */
void evc_encoder_live(const struct evc_encoder *e, void (*fn)(void *ctx, uint64_t addr, uint64_t ordinal),
		      void *ctx);
void evc_encoder_free(struct evc_encoder *e);

/* The decoder: blocks must be given in the order they were encoded. Every
 * index is checked against nthreads and nstacks, every count against the
 * bytes present; nothing is allocated by a claim (its memory is a few
 * columns of EVC_BLOCK_MAX values and the allocations that replaced a live
 * block without a free between, while they are live). */
struct evc_decoder;
struct evc_decoder *evc_decoder_new(size_t nthreads, size_t nstacks);
/* Decodes the block p[0..len) into out (room for EVC_BLOCK_MAX events).
 * Returns how many events it held (>= 1), or -1 when it is corrupt: then
 * evc_decoder_error() says why, and the decoder takes no more blocks. */
long evc_decode(struct evc_decoder *d, const uint8_t *p, size_t len, struct sc_event *out);
const char *evc_decoder_error(const struct evc_decoder *d);
void evc_decoder_free(struct evc_decoder *d);

#endif
