/* Standard base64 (RFC 4648, with padding), as Kubernetes stores Secret
 * data and kubeconfigs hold certificates, once for every module. */
#ifndef BERTH_UTIL_BASE64_H
#define BERTH_UTIL_BASE64_H

#include <stddef.h>

#include "util/err.h"

/* The base64 of data[0..len) on one line: a new string for free(), or NULL
 * when out of memory. */
char *util_base64_encode(const void *data, size_t len) UTIL_MUST_CHECK;

/* Decodes in[0..len). Line breaks are skipped (as Go's decoder, which
 * kubectl uses, skips them); anything else outside the alphabet, a length
 * that is not a multiple of four, data after padding, or no data at all is
 * refused. On success returns 0 with *out a new NUL-terminated buffer for
 * free() and *outlen its length without the NUL; -1 otherwise (also when
 * out of memory), *out NULL. */
int util_base64_decode(const char *in, size_t len, char **out, size_t *outlen) UTIL_MUST_CHECK;

#endif
