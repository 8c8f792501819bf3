/* Heap string formatting and copies; see str.h. */
#include "util/str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *util_vprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    char *s;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
        return NULL;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *util_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = util_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

char *util_strndup(const char *s, size_t n)
{
    char *d = n < SIZE_MAX ? malloc(n + 1) : NULL;

    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *util_strdup(const char *s)
{
    return s == NULL ? NULL : util_strndup(s, strlen(s));
}

char *util_strdup_opt(const char *s, bool *oom)
{
    char *d;

    if (s == NULL || s[0] == '\0')
        return NULL;
    d = util_strdup(s);
    if (d == NULL)
        *oom = true;
    return d;
}
