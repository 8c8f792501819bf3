/* A growable text buffer for building files in memory. Running out of memory
 * is sticky: later appends do nothing and sc_strbuf_take reports it once, so
 * builders append freely and check one result at the end. */
#ifndef BERTH_SIDECAR_INIT_STRBUF_H
#define BERTH_SIDECAR_INIT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sc_strbuf {
    char *data; /* NUL-terminated once anything was appended; owned */
    size_t len;
    size_t cap;
    bool oom; /* an append failed; the contents are incomplete */
} sc_strbuf;

#define SC_STRBUF_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0, false                                                                          \
    }

void sc_strbuf_append(sc_strbuf *b, const char *s);
void sc_strbuf_append_len(sc_strbuf *b, const char *s, size_t n);
void sc_strbuf_appendf(sc_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands over the text (a new string for free(); "" if nothing was appended)
 * and empties b. NULL if an append ran out of memory. */
char *sc_strbuf_take(sc_strbuf *b);

/* Frees the contents; the struct may be reused. */
void sc_strbuf_reset(sc_strbuf *b);

#endif
