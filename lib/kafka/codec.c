/* Kafka wire primitives; see codec.h. The reader treats its input as hostile:
 * every length is checked against what is left before anything is touched,
 * and the first failure is the one reported. */
#include "kafka/codec.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writer ---- */

void kafka_writer_init(kafka_writer *w)
{
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
    w->failure = NULL;
}

void kafka_writer_release(kafka_writer *w)
{
    free(w->buf);
    kafka_writer_init(w);
}

void kafka_writer_reset(kafka_writer *w)
{
    w->len = 0;
    w->failure = NULL;
}

int kafka_writer_status(const kafka_writer *w, util_err *err)
{
    if (w->failure == NULL)
        return 0;
    return util_err_set(err, "encode: %s", w->failure);
}

void kafka_writer_fail(kafka_writer *w, const char *why)
{
    if (w->failure == NULL)
        w->failure = why;
}

/* Returns room for n more bytes at the end, or NULL after a failure. */
static unsigned char *writer_grow(kafka_writer *w, size_t n)
{
    if (w->failure != NULL)
        return NULL;
    if (n > SIZE_MAX / 2 - w->len) {
        kafka_writer_fail(w, "message too large");
        return NULL;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        unsigned char *nb;
        while (cap < w->len + n)
            cap *= 2;
        nb = realloc(w->buf, cap);
        if (nb == NULL) {
            kafka_writer_fail(w, "out of memory");
            return NULL;
        }
        w->buf = nb;
        w->cap = cap;
    }
    assert(w->len + n <= w->cap);
    return w->buf + w->len;
}

void kafka_put_raw(kafka_writer *w, const void *p, size_t n)
{
    unsigned char *dst;

    if (n == 0)
        return;
    dst = writer_grow(w, n);
    if (dst == NULL)
        return;
    memcpy(dst, p, n);
    w->len += n;
    assert(w->len <= w->cap);
}

/* Big-endian, whatever the host order. */
static void put_be(kafka_writer *w, uint64_t v, size_t n)
{
    unsigned char *dst = writer_grow(w, n);
    size_t i;

    if (dst == NULL)
        return;
    for (i = 0; i < n; i++)
        dst[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
    w->len += n;
    assert(w->len <= w->cap);
}

void kafka_put_i8(kafka_writer *w, int8_t v)
{
    put_be(w, (uint8_t)v, 1);
}

void kafka_put_i16(kafka_writer *w, int16_t v)
{
    put_be(w, (uint16_t)v, 2);
}

void kafka_put_i32(kafka_writer *w, int32_t v)
{
    put_be(w, (uint32_t)v, 4);
}

void kafka_put_i64(kafka_writer *w, int64_t v)
{
    put_be(w, (uint64_t)v, 8);
}

void kafka_put_i32_at(kafka_writer *w, size_t off, int32_t v)
{
    uint32_t u = (uint32_t)v;

    if (w->failure != NULL)
        return;
    if (off > w->len || w->len - off < 4) {
        kafka_writer_fail(w, "patch outside the message");
        return;
    }
    w->buf[off] = (unsigned char)(u >> 24);
    w->buf[off + 1] = (unsigned char)(u >> 16);
    w->buf[off + 2] = (unsigned char)(u >> 8);
    w->buf[off + 3] = (unsigned char)u;
}

void kafka_put_uvarint(kafka_writer *w, uint32_t v)
{
    unsigned char tmp[5];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (unsigned char)v;
    kafka_put_raw(w, tmp, n);
}

void kafka_put_varint(kafka_writer *w, int32_t v)
{
    /* Zig-zag maps small magnitudes of either sign to small codes. */
    uint32_t u = v < 0 ? ((uint32_t)(-(v + 1)) << 1) | 1u : (uint32_t)v << 1;
    kafka_put_uvarint(w, u);
}

void kafka_put_uuid(kafka_writer *w, const unsigned char uuid[16])
{
    kafka_put_raw(w, uuid, 16);
}

void kafka_put_string(kafka_writer *w, const char *s)
{
    size_t n;

    if (s == NULL) {
        kafka_put_i16(w, -1);
        return;
    }
    n = strlen(s);
    if (n > KAFKA_STRING_MAX) {
        kafka_writer_fail(w, "string longer than 32767 bytes");
        return;
    }
    kafka_put_i16(w, (int16_t)n);
    kafka_put_raw(w, s, n);
}

void kafka_put_compact_string(kafka_writer *w, const char *s)
{
    size_t n;

    if (s == NULL) {
        kafka_put_uvarint(w, 0);
        return;
    }
    n = strlen(s);
    if (n > KAFKA_STRING_MAX) {
        kafka_writer_fail(w, "string longer than 32767 bytes");
        return;
    }
    kafka_put_uvarint(w, (uint32_t)n + 1);
    kafka_put_raw(w, s, n);
}

void kafka_put_bytes(kafka_writer *w, const void *p, size_t n)
{
    if (p == NULL) {
        kafka_put_i32(w, -1);
        return;
    }
    if (n > INT32_MAX) {
        kafka_writer_fail(w, "bytes longer than 2^31-1");
        return;
    }
    kafka_put_i32(w, (int32_t)n);
    kafka_put_raw(w, p, n);
}

void kafka_put_compact_bytes(kafka_writer *w, const void *p, size_t n)
{
    if (p == NULL) {
        kafka_put_uvarint(w, 0);
        return;
    }
    if (n >= INT32_MAX) {
        kafka_writer_fail(w, "bytes longer than 2^31-2");
        return;
    }
    kafka_put_uvarint(w, (uint32_t)n + 1);
    kafka_put_raw(w, p, n);
}

void kafka_put_array_len(kafka_writer *w, int32_t n)
{
    kafka_put_i32(w, n < 0 ? -1 : n);
}

void kafka_put_compact_array_len(kafka_writer *w, int32_t n)
{
    kafka_put_uvarint(w, n < 0 ? 0 : (uint32_t)n + 1);
}

void kafka_put_empty_tags(kafka_writer *w)
{
    kafka_put_uvarint(w, 0);
}

/* ---- reader ---- */

void kafka_reader_init(kafka_reader *r, const void *data, size_t len, util_err *err)
{
    r->data = data;
    r->len = data != NULL ? len : 0;
    r->pos = 0;
    r->failed = 0;
    r->err = err;
    r->depth = 0;
}

int kafka_reader_status(const kafka_reader *r)
{
    return r->failed ? -1 : 0;
}

size_t kafka_reader_remaining(const kafka_reader *r)
{
    return r->len - r->pos;
}

void kafka_reader_enter(kafka_reader *r, const char *name, int32_t index)
{
    if (r->depth < KAFKA_READER_DEPTH) {
        r->path[r->depth].name = name;
        r->path[r->depth].index = index;
    }
    r->depth++;
}

void kafka_reader_leave(kafka_reader *r)
{
    if (r->depth > 0)
        r->depth--;
}

/* Formats the enclosing levels as "outer.items[4]." into buf, always
 * NUL-terminated; a path too long for buf ends in "...". */
static void reader_levels(const kafka_reader *r, char *buf, size_t size)
{
    size_t used = 0;
    int i, shown = r->depth < KAFKA_READER_DEPTH ? r->depth : KAFKA_READER_DEPTH;

    buf[0] = '\0';
    for (i = 0; i <= shown && used < size; i++) {
        int n;
        if (i == shown)
            n = r->depth > shown ? snprintf(buf + used, size - used, "(%d more).", r->depth - shown)
                                 : 0;
        else if (r->path[i].index >= 0)
            n = snprintf(buf + used, size - used, "%s[%ld].", r->path[i].name,
                         (long)r->path[i].index);
        else
            n = snprintf(buf + used, size - used, "%s.", r->path[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

__attribute__((format(printf, 3, 0))) static int reader_vfail(kafka_reader *r, const char *field,
                                                              const char *fmt, va_list ap)
{
    char levels[160], why[256];
    size_t n;

    if (r->failed)
        return -1;
    r->failed = 1;
    if (r->err == NULL)
        return -1;
    reader_levels(r, levels, sizeof levels);
    vsnprintf(why, sizeof why, fmt, ap);
    n = strlen(levels);
    if (field == NULL && n > 0 && levels[n - 1] == '.')
        levels[--n] = '\0';
    if (field == NULL && n == 0)
        return util_err_set(r->err, "%s", why);
    return util_err_set(r->err, "%s%s: %s", levels, field ? field : "", why);
}

int kafka_reader_fail(kafka_reader *r, const char *field, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = reader_vfail(r, field, fmt, ap);
    va_end(ap);
    return rc;
}

int kafka_reader_expect_end(kafka_reader *r)
{
    if (r->failed)
        return -1;
    if (r->pos != r->len)
        return kafka_reader_fail(r, NULL,
                                 "%zu unexpected bytes after the last field, at offset %zu",
                                 r->len - r->pos, r->pos);
    return 0;
}

/* Returns a pointer to the next n bytes and consumes them, or NULL after
 * failing the reader. */
static const unsigned char *take(kafka_reader *r, const char *field, size_t n)
{
    const unsigned char *p;

    if (r->failed)
        return NULL;
    if (r->len - r->pos < n) {
        kafka_reader_fail(r, field, "truncated at offset %zu", r->pos);
        return NULL;
    }
    p = r->data + r->pos;
    r->pos += n;
    assert(r->pos <= r->len);
    return p;
}

static int read_be(kafka_reader *r, const char *field, size_t n, uint64_t *out)
{
    const unsigned char *p = take(r, field, n);
    uint64_t v = 0;
    size_t i;

    *out = 0;
    if (p == NULL)
        return -1;
    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    *out = v;
    return 0;
}

/* Reads a two's complement value of the given width arithmetically, so no
 * implementation-defined unsigned-to-signed cast is involved. */
static int64_t to_signed(uint64_t v, unsigned bits)
{
    uint64_t sign = (uint64_t)1 << (bits - 1);
    uint64_t low = v & (sign - 1);

    if ((v & sign) == 0)
        return (int64_t)low;
    return (int64_t)low - (int64_t)(sign - 1) - 1;
}

int kafka_read_i8(kafka_reader *r, const char *field, int8_t *out)
{
    uint64_t v;
    int rc = read_be(r, field, 1, &v);
    *out = (int8_t)to_signed(v, 8);
    return rc;
}

int kafka_read_i16(kafka_reader *r, const char *field, int16_t *out)
{
    uint64_t v;
    int rc = read_be(r, field, 2, &v);
    *out = (int16_t)to_signed(v, 16);
    return rc;
}

int kafka_read_i32(kafka_reader *r, const char *field, int32_t *out)
{
    uint64_t v;
    int rc = read_be(r, field, 4, &v);
    *out = (int32_t)to_signed(v, 32);
    return rc;
}

int kafka_read_i64(kafka_reader *r, const char *field, int64_t *out)
{
    uint64_t v;
    int rc = read_be(r, field, 8, &v);
    *out = to_signed(v, 64);
    return rc;
}

int kafka_read_bool(kafka_reader *r, const char *field, int *out)
{
    int8_t v;
    int rc = kafka_read_i8(r, field, &v);
    *out = v != 0;
    return rc;
}

int kafka_read_uvarint(kafka_reader *r, const char *field, uint32_t *out)
{
    uint32_t v = 0;
    unsigned shift;

    *out = 0;
    if (r->failed)
        return -1;
    for (shift = 0; shift < 35; shift += 7) {
        const unsigned char *p = take(r, field, 1);
        if (p == NULL)
            return -1;
        /* The fifth byte may carry only the top four bits of 32. */
        if (shift == 28 && *p > 0x0f)
            return kafka_reader_fail(r, field, "varint at offset %zu exceeds 32 bits", r->pos - 5);
        v |= (uint32_t)(*p & 0x7f) << shift;
        if ((*p & 0x80) == 0) {
            *out = v;
            return 0;
        }
    }
    return -1; /* not reached: the fifth byte always ends the loop above */
}

int kafka_read_varint(kafka_reader *r, const char *field, int32_t *out)
{
    uint32_t u;
    int rc = kafka_read_uvarint(r, field, &u);

    /* u >> 1 fits in int32; -(x) - 1 reaches INT32_MIN without overflow. */
    *out = (u & 1) ? -(int32_t)(u >> 1) - 1 : (int32_t)(u >> 1);
    return rc;
}

int kafka_read_uuid(kafka_reader *r, const char *field, kafka_uuid *out)
{
    const unsigned char *p = take(r, field, 16);

    if (p == NULL) {
        memset(out->b, 0, sizeof out->b);
        return -1;
    }
    memcpy(out->b, p, 16);
    return 0;
}

int kafka_read_skip(kafka_reader *r, const char *field, size_t n)
{
    return take(r, field, n) != NULL ? 0 : -1;
}

/* Common tail of every length-prefixed read: len is the decoded length, -1
 * for null. Checks it and takes the payload. */
static int take_sized(kafka_reader *r, const char *field, kafka_nullable nullable, int64_t len,
                      int64_t max, const unsigned char **ptr, size_t *outlen)
{
    size_t at = r->pos;

    *ptr = NULL;
    *outlen = 0;
    if (r->failed)
        return -1;
    if (len == -1) {
        if (nullable == KAFKA_NOT_NULL)
            return kafka_reader_fail(r, field, "null, but the field is not nullable");
        return 0;
    }
    if (len < 0)
        return kafka_reader_fail(r, field, "negative length %lld", (long long)len);
    if (len > max)
        return kafka_reader_fail(r, field, "length %lld exceeds the limit %lld", (long long)len,
                                 (long long)max);
    if ((uint64_t)len > r->len - r->pos)
        return kafka_reader_fail(r, field, "length %lld exceeds the %zu bytes left at offset %zu",
                                 (long long)len, r->len - r->pos, at);
    /* A zero-length take still yields a non-NULL pointer: empty, not null. */
    *ptr = r->data + r->pos;
    *outlen = (size_t)len;
    r->pos += (size_t)len;
    assert(r->pos <= r->len);
    return 0;
}

int kafka_read_string(kafka_reader *r, const char *field, kafka_nullable nullable, kafka_str *out)
{
    int16_t n;
    const unsigned char *p;
    int rc;

    kafka_read_i16(r, field, &n);
    rc = take_sized(r, field, nullable, n, KAFKA_STRING_MAX, &p, &out->len);
    out->ptr = (const char *)p;
    return rc;
}

int kafka_read_compact_string(kafka_reader *r, const char *field, kafka_nullable nullable,
                              kafka_str *out)
{
    uint32_t u;
    const unsigned char *p;
    int rc;

    kafka_read_uvarint(r, field, &u);
    rc = take_sized(r, field, nullable, (int64_t)u - 1, KAFKA_STRING_MAX, &p, &out->len);
    out->ptr = (const char *)p;
    return rc;
}

int kafka_read_bytes(kafka_reader *r, const char *field, kafka_nullable nullable, kafka_bytes *out)
{
    int32_t n;

    kafka_read_i32(r, field, &n);
    return take_sized(r, field, nullable, n, INT32_MAX, &out->ptr, &out->len);
}

int kafka_read_compact_bytes(kafka_reader *r, const char *field, kafka_nullable nullable,
                             kafka_bytes *out)
{
    uint32_t u;

    kafka_read_uvarint(r, field, &u);
    return take_sized(r, field, nullable, (int64_t)u - 1, INT32_MAX, &out->ptr, &out->len);
}

/* Checks an element count (-1 null) against what is left: each element
 * takes at least min_elem bytes (1 when the caller knows no better). at is
 * the offset just after the count. */
static int check_count(kafka_reader *r, const char *field, kafka_nullable nullable, int64_t n,
                       size_t min_elem, int32_t *out)
{
    size_t left = r->len - r->pos;

    *out = 0;
    if (r->failed)
        return -1;
    if (n == -1) {
        if (nullable == KAFKA_NOT_NULL)
            return kafka_reader_fail(r, field, "null, but the array is not nullable");
        *out = -1;
        return 0;
    }
    if (n < 0)
        return kafka_reader_fail(r, field, "negative count %lld", (long long)n);
    if (min_elem <= 1 && ((uint64_t)n > left || n > INT32_MAX))
        return kafka_reader_fail(r, field, "count %lld exceeds the %zu bytes left at offset %zu",
                                 (long long)n, left, r->pos);
    /* n <= UINT32_MAX and min_elem is a small constant: no overflow. */
    if (min_elem > 1 && ((uint64_t)n > left / min_elem || n > INT32_MAX))
        return kafka_reader_fail(r, field,
                                 "count %lld needs at least %llu bytes, %zu left at offset %zu",
                                 (long long)n, (unsigned long long)n * min_elem, left, r->pos);
    *out = (int32_t)n;
    return 0;
}

int kafka_read_array_len(kafka_reader *r, const char *field, kafka_nullable nullable, int32_t *n)
{
    return kafka_read_count(r, 0, field, nullable, 1, n);
}

int kafka_read_compact_array_len(kafka_reader *r, const char *field, kafka_nullable nullable,
                                 int32_t *n)
{
    return kafka_read_count(r, 1, field, nullable, 1, n);
}

int kafka_read_count(kafka_reader *r, int flexible, const char *field, kafka_nullable nullable,
                     size_t min_elem_bytes, int32_t *n)
{
    if (flexible) {
        uint32_t u;

        kafka_read_uvarint(r, field, &u);
        return check_count(r, field, nullable, (int64_t)u - 1, min_elem_bytes, n);
    } else {
        int32_t v;

        kafka_read_i32(r, field, &v);
        return check_count(r, field, nullable, v, min_elem_bytes, n);
    }
}

int kafka_read_skip_tags(kafka_reader *r, const char *field)
{
    uint32_t count, i;

    if (kafka_read_uvarint(r, field, &count) < 0)
        return -1;
    /* Each tagged field takes at least two bytes (tag and size). */
    if (count > kafka_reader_remaining(r) / 2)
        return kafka_reader_fail(r, field, "count %lu exceeds the %zu bytes left at offset %zu",
                                 (unsigned long)count, kafka_reader_remaining(r), r->pos);
    for (i = 0; i < count && !r->failed; i++) {
        uint32_t tag, size;

        kafka_reader_enter(r, field, (int32_t)i);
        kafka_read_uvarint(r, "tag", &tag);
        kafka_read_uvarint(r, "size", &size);
        kafka_read_skip(r, "data", size);
        kafka_reader_leave(r);
    }
    return kafka_reader_status(r);
}

/* ---- either form ---- */

void kafka_put_flex_string(kafka_writer *w, int flexible, const char *s)
{
    if (flexible)
        kafka_put_compact_string(w, s);
    else
        kafka_put_string(w, s);
}

void kafka_put_flex_array_len(kafka_writer *w, int flexible, int32_t n)
{
    if (flexible)
        kafka_put_compact_array_len(w, n);
    else
        kafka_put_array_len(w, n);
}

void kafka_put_flex_tags(kafka_writer *w, int flexible)
{
    if (flexible)
        kafka_put_empty_tags(w);
}

int kafka_read_flex_string(kafka_reader *r, int flexible, const char *field,
                           kafka_nullable nullable, kafka_str *out)
{
    if (flexible)
        return kafka_read_compact_string(r, field, nullable, out);
    return kafka_read_string(r, field, nullable, out);
}

int kafka_read_flex_tags(kafka_reader *r, int flexible, const char *field)
{
    if (flexible)
        return kafka_read_skip_tags(r, field);
    return kafka_reader_status(r);
}
