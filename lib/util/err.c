/* Context-carrying error messages; see err.h. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int util_err_set(util_err *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int util_err_prefix(util_err *err, const char *fmt, ...)
{
    char ctx[UTIL_ERR_MAX];
    size_t clen, room;
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    clen = strlen(ctx);
    if (clen > UTIL_ERR_MAX - 3)
        clen = UTIL_ERR_MAX - 3;
    /* Shift the old message right to make room for "<ctx>: ", cutting its
     * tail if the whole no longer fits. */
    room = UTIL_ERR_MAX - 1 - clen - 2;
    memmove(err->msg + clen + 2, err->msg, room);
    err->msg[UTIL_ERR_MAX - 1] = '\0';
    memcpy(err->msg, ctx, clen);
    err->msg[clen] = ':';
    err->msg[clen + 1] = ' ';
    return -1;
}

void util_err_clear(util_err *err)
{
    if (err != NULL)
        err->msg[0] = '\0';
}
