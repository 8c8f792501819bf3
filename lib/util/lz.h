/* Text packed against a dictionary (LZ77 with a preset window): a cache
 * that keeps thousands of objects of one kind, nearly the same text but for
 * names, uids and versions, keeps each as its differences from one
 * reference text of that kind, a tenth or less of its size. Made for text
 * this process packed itself: unpacking checks every length and distance
 * and refuses what does not add up, but nothing here is meant for bytes
 * from outside.
 *
 * Format: varint(length of the text), then tokens until the text is whole:
 * varint(n << 1) and n literal bytes, or varint((len - UTIL_LZ_MIN) << 1 |
 * 1) and varint(distance), a copy of len bytes starting distance bytes back
 * in dictionary + text (it may overlap the bytes it makes). */
#ifndef BERTH_UTIL_LZ_H
#define BERTH_UTIL_LZ_H

#include <stddef.h>

#include "util/err.h"

#define UTIL_LZ_MIN 4 /* shortest copy */

/* src (n bytes) packed against dict (dict_len bytes; may be NULL and 0)
 * into a new buffer *out (free) of *out_len bytes. 0, or -1 out of
 * memory. */
int util_lz_pack(const char *dict, size_t dict_len, const char *src, size_t n, char **out,
                 size_t *out_len) UTIL_MUST_CHECK;

/* The text packed (packed_len bytes) against dict, as a new NUL-terminated
 * buffer (free) of *n bytes (not counting the NUL); NULL when packed is
 * not a whole packing against a dictionary of that length, or out of
 * memory. */
char *util_lz_unpack(const char *dict, size_t dict_len, const char *packed, size_t packed_len,
                     size_t *n) UTIL_MUST_CHECK;

#endif
