/* Bounded growable text buffer; see buf.h. */
#include "util/buf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void util_buf_init(util_buf *b, size_t max)
{
    *b = (util_buf)UTIL_BUF_INIT(max);
}

/* Makes room for n more bytes plus the NUL, or records why not. */
static int reserve(util_buf *b, size_t n)
{
    size_t want, cap;
    char *p;

    if (b->fail != UTIL_BUF_OK)
        return -1;
    if (n > b->max || b->len > b->max - n) {
        b->fail = UTIL_BUF_TOO_BIG;
        return -1;
    }
    if (n > SIZE_MAX / 2 - b->len) {
        b->fail = UTIL_BUF_NOMEM;
        return -1;
    }
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    cap = b->cap != 0 ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL) {
        b->fail = UTIL_BUF_NOMEM;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int util_buf_add(util_buf *b, const void *s, size_t n)
{
    if (reserve(b, n) != 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    assert(b->len < b->cap && b->len <= b->max);
    return 0;
}

int util_buf_adds(util_buf *b, const char *s)
{
    return util_buf_add(b, s, strlen(s));
}

int util_buf_addf(util_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->fail != UTIL_BUF_OK)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->fail = UTIL_BUF_NOMEM;
        return -1;
    }
    if (reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    /* reserve made room for the text and its NUL, and vsnprintf wrote both. */
    assert(b->len < b->cap && b->len <= b->max && b->data[b->len] == '\0');
    return 0;
}

char *util_buf_take(util_buf *b)
{
    char *s;

    if (b->fail != UTIL_BUF_OK) {
        util_buf_reset(b);
        return NULL;
    }
    s = b->data != NULL ? b->data : strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void util_buf_reset(util_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->fail = UTIL_BUF_OK;
}
