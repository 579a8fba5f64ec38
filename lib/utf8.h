/* UTF-8 decoding for the writers whose output must be well-formed UTF-8
 * (every JSON document) or safe on a terminal (text reports): names come
 * from the profiled program or an imported file and may hold any bytes. */
#ifndef SCORCH_LIB_UTF8_H
#define SCORCH_LIB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the well-formed UTF-8 sequence at s, its code point in
 * *cp; 0 if s does not start one (overlong forms, surrogates, code points
 * past U+10FFFF, stray continuation bytes, a sequence cut short). s is
 * NUL-terminated: a NUL is never a continuation byte, so a sequence cut by
 * the end of the string is 0, and nothing past the NUL is read. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp);

#endif
