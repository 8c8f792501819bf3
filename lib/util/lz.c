/* LZ77 against a preset dictionary (see lz.h). The packer finds copies
 * through hash chains over dictionary + text, a few candidates deep: the
 * caches' objects are small and alike, so the first good copy is nearly
 * always the best. */
#include "util/lz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BITS 13
#define CHAIN_MAX 16        /* candidates tried per position */
#define LEN_MAX   (1 << 16) /* longest copy, so a token stays short */

typedef struct out_buf {
    unsigned char *p;
    size_t len, cap;
    int fail;
} out_buf;

static void put(out_buf *o, const void *src, size_t n)
{
    if (o->fail)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap * 2 + n + 64;
        unsigned char *p = realloc(o->p, cap);

        if (p == NULL) {
            o->fail = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, src, n);
    o->len += n;
}

static void put_varint(out_buf *o, size_t v)
{
    unsigned char b[10];
    size_t n = 0;

    do {
        b[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
    put(o, b, n);
}

static uint32_t hash4(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void put_literals(out_buf *o, const unsigned char *p, size_t n)
{
    if (n == 0)
        return;
    put_varint(o, n << 1);
    put(o, p, n);
}

int util_lz_pack(const char *dict, size_t dict_len, const char *src, size_t n, char **out,
                 size_t *out_len)
{
    size_t total = dict_len + n, pos, lit, i;
    unsigned char *win = malloc(total > 0 ? total : 1);
    int32_t *head = malloc(sizeof *head << HASH_BITS);
    int32_t *prev = malloc((total > 0 ? total : 1) * sizeof *prev);
    out_buf o = {0};

    *out = NULL;
    *out_len = 0;
    if (win == NULL || head == NULL || prev == NULL || total > INT32_MAX) {
        free(win);
        free(head);
        free(prev);
        return -1;
    }
    if (dict_len > 0)
        memcpy(win, dict, dict_len);
    if (n > 0)
        memcpy(win + dict_len, src, n);
    for (i = 0; i < (size_t)1 << HASH_BITS; i++)
        head[i] = -1;
    /* The dictionary's positions, then the text's as it is passed. */
    for (pos = 0; pos + UTIL_LZ_MIN <= dict_len; pos++) {
        uint32_t h = hash4(win + pos);

        prev[pos] = head[h];
        head[h] = (int32_t)pos;
    }
    put_varint(&o, n);
    lit = dict_len;
    pos = dict_len;
    while (pos < total) {
        size_t best_len = 0, best_at = 0, room = total - pos;

        if (room >= UTIL_LZ_MIN) {
            uint32_t h = hash4(win + pos);
            int32_t cand = head[h];

            for (int depth = 0; cand >= 0 && depth < CHAIN_MAX; depth++) {
                size_t c = (size_t)cand, len = 0, max = room < LEN_MAX ? room : LEN_MAX;

                while (len < max && win[c + len] == win[pos + len])
                    len++;
                if (len > best_len) {
                    best_len = len;
                    best_at = c;
                    if (len == max)
                        break;
                }
                cand = prev[c];
            }
            prev[pos] = head[h];
            head[h] = (int32_t)pos;
        }
        if (best_len < UTIL_LZ_MIN) {
            pos++;
            continue;
        }
        put_literals(&o, win + lit, pos - lit);
        put_varint(&o, (best_len - UTIL_LZ_MIN) << 1 | 1);
        put_varint(&o, pos - best_at);
        /* The copied positions join the chains too (but the first). */
        for (i = 1; i < best_len && pos + i + UTIL_LZ_MIN <= total; i++) {
            uint32_t h = hash4(win + pos + i);

            prev[pos + i] = head[h];
            head[h] = (int32_t)(pos + i);
        }
        pos += best_len;
        lit = pos;
    }
    put_literals(&o, win + lit, total - lit);
    free(win);
    free(head);
    free(prev);
    if (o.fail) {
        free(o.p);
        return -1;
    }
    /* Exactly its size: a cache keeps thousands of these. */
    if (o.len > 0 && o.len < o.cap) {
        unsigned char *p = realloc(o.p, o.len);

        if (p != NULL)
            o.p = p;
    }
    *out = (char *)o.p;
    *out_len = o.len;
    return 0;
}

/* The varint at *p (before end), moving *p past it: 0, or -1 when it is
 * cut short or too long. */
static int get_varint(const unsigned char **p, const unsigned char *end, size_t *v)
{
    size_t r = 0;

    for (unsigned shift = 0; *p < end && shift < 63; shift += 7) {
        unsigned char b = *(*p)++;

        r |= (size_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

char *util_lz_unpack(const char *dict, size_t dict_len, const char *packed, size_t packed_len,
                     size_t *n)
{
    const unsigned char *p = (const unsigned char *)packed, *end = p + packed_len;
    const unsigned char *d = (const unsigned char *)dict;
    size_t want, have = 0;
    char *text;

    if (get_varint(&p, end, &want) != 0 || want > packed_len * 2 * LEN_MAX + packed_len ||
        (text = malloc(want + 1)) == NULL)
        return NULL;
    while (have < want) {
        size_t tag, len, dist;

        if (get_varint(&p, end, &tag) != 0)
            goto bad;
        len = tag >> 1;
        if ((tag & 1) == 0) {
            if (len == 0 || len > want - have || len > (size_t)(end - p))
                goto bad;
            memcpy(text + have, p, len);
            p += len;
            have += len;
            continue;
        }
        len += UTIL_LZ_MIN;
        if (get_varint(&p, end, &dist) != 0 || dist == 0 || dist > dict_len + have ||
            len > want - have)
            goto bad;
        /* Byte by byte: a copy may start in the dictionary and run into
         * the text, or overlap the bytes it makes. */
        for (size_t i = 0; i < len; i++) {
            size_t from = dict_len + have - dist;

            text[have] = from < dict_len ? (char)d[from] : text[from - dict_len];
            have++;
        }
    }
    if (p != end)
        goto bad;
    text[want] = '\0';
    *n = want;
    return text;
bad:
    free(text);
    return NULL;
}
