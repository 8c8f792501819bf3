/* A growable text buffer with a size bound, in the spirit of curl's dynbuf:
 * builders of files and requests, and sinks of HTTP bodies, append freely
 * and check one result at the end. The first failure is sticky: once an
 * append runs out of memory or would take the text past the buffer's max,
 * that append and every later one does nothing, and util_buf_take reports
 * it. What was appended before the failure stays readable in data. */
#ifndef BERTH_UTIL_BUF_H
#define BERTH_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Why a buffer stopped growing. */
typedef enum util_buf_fail {
    UTIL_BUF_OK = 0,
    UTIL_BUF_NOMEM,   /* an allocation failed */
    UTIL_BUF_TOO_BIG, /* an append would have passed max */
} util_buf_fail;

typedef struct util_buf {
    char *data; /* the text, NUL-terminated; NULL until something was added; owned */
    size_t len; /* bytes of text, without the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* len never passes this */
    util_buf_fail fail;
} util_buf;

/* No bound beyond memory. */
#define UTIL_BUF_NOMAX SIZE_MAX

#define UTIL_BUF_INIT(max_)                                                                        \
    {                                                                                              \
        NULL, 0, 0, (max_), UTIL_BUF_OK                                                            \
    }

/* An empty buffer whose text may grow to max bytes. */
void util_buf_init(util_buf *b, size_t max);

/* Append n bytes of s, a string, or printf-formatted text. Each returns 0,
 * or -1 if the buffer has failed (now or before); the failure is kept in
 * b->fail. */
int util_buf_add(util_buf *b, const void *s, size_t n);
int util_buf_adds(util_buf *b, const char *s);
int util_buf_addf(util_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands over the text (a new string for free(); "" if nothing was added)
 * and empties b, which keeps its max. NULL if the buffer had failed (its
 * text is freed then) or out of memory. */
char *util_buf_take(util_buf *b) UTIL_MUST_CHECK;

/* Frees the text and clears the failure; b keeps its max and may be
 * reused. */
void util_buf_reset(util_buf *b);

#endif
