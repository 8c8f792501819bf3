/* Formatting into and copying of heap strings, once for every module (each
 * used to carry its own printf-to-malloc and strdup wrappers). Every result
 * is a new string for free(); NULL means out of memory (or, for the
 * copies, that there was nothing to copy). */
#ifndef BERTH_UTIL_STR_H
#define BERTH_UTIL_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* The printf-formatted text as a new string, or NULL out of memory (or on
 * a format error). */
char *util_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2))) UTIL_MUST_CHECK;
char *util_vprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0))) UTIL_MUST_CHECK;

/* A copy of s, or NULL when s is NULL or out of memory. */
char *util_strdup(const char *s) UTIL_MUST_CHECK;

/* A copy of s[0..n) plus a NUL, or NULL out of memory. s must hold n
 * readable bytes; they are copied as they are, a NUL among them included
 * (unlike POSIX strndup), so a caller checking text for an embedded NUL
 * still finds it. */
char *util_strndup(const char *s, size_t n) UTIL_MUST_CHECK;

/* For optional fields: a copy of s, or NULL when s is NULL or "" (which
 * mean the same there). Out of memory sets *oom to true and returns NULL,
 * so a caller copies several fields and checks once. */
char *util_strdup_opt(const char *s, bool *oom) UTIL_MUST_CHECK;

/* Whether s (NULL: no) ends with suffix. */
bool util_str_ends_with(const char *s, const char *suffix);

/* The n bytes at b as lower-case hex into out, which holds 2n + 1 bytes
 * (NUL-terminated). */
void util_hex(const unsigned char *b, size_t n, char *out);

/* The bytes of the hex text s (either case, even length) into out, which
 * holds size bytes; their count, or -1 when s is not hex or does not fit. */
long util_unhex(const char *s, unsigned char *out, size_t size);

#endif
