/* Error reports that carry their context. A failing function returns a
 * negative int and fills a util_err; each caller on the way up prefixes what
 * it was doing, so the final message reads like
 * "kubeconfig /x/config: user 'admin': client-key-data: invalid base64". */
#ifndef BERTH_UTIL_ERR_H
#define BERTH_UTIL_ERR_H

#include <stddef.h>

#define UTIL_ERR_MAX 512

/* On a function whose result must not be dropped: an error return that a
 * caller ignoring would be a bug, or a new allocation. The compiler warns
 * (and -Werror fails the build) at every call that discards it. A caller
 * that means to ignore one (best effort on a way out) says so with
 * `if (f() < 0) { why }`: GCC is not silenced by a (void) cast. */
#define UTIL_MUST_CHECK __attribute__((warn_unused_result))

typedef struct util_err {
    char msg[UTIL_ERR_MAX];
} util_err;

/* Replaces the message (printf format). Returns -1 so callers can write
 * `return util_err_set(err, ...);`. A NULL err is allowed and ignored. */
int util_err_set(util_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "<context>: " to the current message. Returns -1. */
int util_err_prefix(util_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Empties the message. */
void util_err_clear(util_err *err);

#endif
