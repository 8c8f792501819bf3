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

bool util_str_ends_with(const char *s, const char *suffix)
{
    size_t n = s != NULL ? strlen(s) : 0, k = strlen(suffix);

    return s != NULL && n >= k && strcmp(s + n - k, suffix) == 0;
}

void util_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long util_unhex(const char *s, unsigned char *out, size_t size)
{
    size_t len = strlen(s);

    if (len % 2 != 0 || len / 2 > size)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(len / 2);
}
