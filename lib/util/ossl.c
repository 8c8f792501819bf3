/* OpenSSL errors and PEM passwords; see ossl.h. */
#include "util/ossl.h"

#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

int util_ossl_fail(util_err *err, const char *fmt, ...)
{
    unsigned long e = ERR_get_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    char what[UTIL_ERR_MAX], code[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* Some errors have no reason text registered: the packed code then. */
    if (e != 0 && reason == NULL) {
        ERR_error_string_n(e, code, sizeof code);
        reason = code;
    }
    ERR_clear_error();
    if (reason == NULL)
        return util_err_set(err, "%s", what);
    return util_err_set(err, "%s: %s", what, reason);
}

int util_ossl_no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}
