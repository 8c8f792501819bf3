/* Growable text buffer; see strbuf.h. */
#include "init/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for n more bytes plus the NUL. */
static bool reserve(sc_strbuf *b, size_t n)
{
    size_t want, cap;
    char *p;

    if (b->oom)
        return false;
    if (n > ((size_t)-1) / 2 - b->len) {
        b->oom = true;
        return false;
    }
    want = b->len + n + 1;
    if (want <= b->cap)
        return true;
    cap = b->cap != 0 ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void sc_strbuf_append_len(sc_strbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sc_strbuf_append(sc_strbuf *b, const char *s)
{
    sc_strbuf_append_len(b, s, strlen(s));
}

void sc_strbuf_appendf(sc_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *sc_strbuf_take(sc_strbuf *b)
{
    char *s;

    if (b->oom) {
        sc_strbuf_reset(b);
        return NULL;
    }
    s = b->data != NULL ? b->data : strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void sc_strbuf_reset(sc_strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}
