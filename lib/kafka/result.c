/* Arena and copy-out reads for decoded responses; see result.h. */
#include "kafka/result.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 2048

struct kafka_arena_chunk {
    kafka_arena_chunk *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
};

void kafka_arena_init(kafka_arena *a)
{
    a->head = NULL;
}

void kafka_arena_release(kafka_arena *a)
{
    while (a->head != NULL) {
        kafka_arena_chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

void *kafka_arena_alloc(kafka_arena *a, size_t count, size_t size)
{
    const size_t align = alignof(max_align_t);
    kafka_arena_chunk *c = a->head;
    size_t n;
    void *p;

    if (count == 0 || size == 0 || count > (SIZE_MAX / 2) / size)
        return NULL;
    n = (count * size + align - 1) / align * align;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = calloc(1, sizeof *c + cap);
        if (c == NULL)
            return NULL;
        c->cap = cap;
        /* A big block gets its own chunk behind the current one, so the
         * current one's free space is not lost. */
        if (a->head != NULL && n > CHUNK_MIN) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = (unsigned char *)c->data + c->used;
    c->used += n;
    return p;
}

char *kafka_arena_strndup(kafka_arena *a, const char *s, size_t n)
{
    char *p = kafka_arena_alloc(a, n + 1, 1);

    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void kafka_arena_adopt(kafka_arena *dst, kafka_arena *src)
{
    kafka_arena_chunk *tail = src->head;

    if (tail == NULL)
        return;
    while (tail->next != NULL)
        tail = tail->next;
    /* src's newest chunk stays dst's head only if dst is empty, so dst keeps
     * bumping into its own free space. */
    if (dst->head == NULL) {
        dst->head = src->head;
    } else {
        tail->next = dst->head->next;
        dst->head->next = src->head;
    }
    src->head = NULL;
}

void *kafka_read_alloc(kafka_reader *r, kafka_arena *a, const char *field, int32_t n, size_t size)
{
    void *p;

    if (n <= 0 || kafka_reader_status(r) < 0)
        return NULL;
    p = kafka_arena_alloc(a, (size_t)n, size);
    if (p == NULL)
        kafka_reader_fail(r, field, "%ld entries: out of memory", (long)n);
    return p;
}

int kafka_read_dup_string(kafka_reader *r, kafka_arena *a, int flexible, const char *field,
                          kafka_nullable nullable, const char **out)
{
    kafka_str s;
    char *copy;

    *out = NULL;
    if (kafka_read_flex_string(r, flexible, field, nullable, &s) < 0 || s.ptr == NULL)
        return kafka_reader_status(r);
    copy = kafka_arena_strndup(a, s.ptr, s.len);
    if (copy == NULL)
        return kafka_reader_fail(r, field, "out of memory");
    *out = copy;
    return 0;
}

int kafka_read_int32_array(kafka_reader *r, kafka_arena *a, int flexible, const char *field,
                           kafka_nullable nullable, int32_t **out, int32_t *n)
{
    int32_t i, *v;

    *out = NULL;
    if (kafka_read_count(r, flexible, field, nullable, 4, n) < 0)
        return -1;
    v = kafka_read_alloc(r, a, field, *n, sizeof *v);
    for (i = 0; i < *n && kafka_reader_status(r) == 0; i++) {
        kafka_reader_enter(r, field, i);
        kafka_read_i32(r, NULL, &v[i]);
        kafka_reader_leave(r);
    }
    if (kafka_reader_status(r) < 0) {
        *n = 0;
        return -1;
    }
    *out = v;
    return 0;
}

void kafka_put_int32_array(kafka_writer *w, int flexible, const int32_t *ids, int32_t n)
{
    int32_t i;

    if (ids == NULL && n < 0) {
        kafka_put_flex_array_len(w, flexible, -1);
        return;
    }
    if (n < 0 || (n > 0 && ids == NULL)) {
        kafka_writer_fail(w, "int32 array without its values");
        return;
    }
    kafka_put_flex_array_len(w, flexible, n);
    for (i = 0; i < n; i++)
        kafka_put_i32(w, ids[i]);
}
