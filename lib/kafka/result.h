/* Memory for decoded responses, and the reads that fill it.
 *
 * A decoded admin response is a tree of arrays and strings whose sizes come
 * from the wire. Allocating every node on its own would give each decoder a
 * tree-walking failure path and each *_free a tree walk; instead all of one
 * result's memory comes from one arena, released at once. Strings are copied
 * out of the connection's buffer (which the next call reuses) into the arena,
 * NUL-terminated, so a result stays valid after the connection moves on.
 *
 * Decoders size their allocations with kafka_read_count (codec.h), which
 * refuses element counts that the rest of the input could not hold at the
 * element's smallest wire size, so what a decoder allocates stays within a
 * small multiple of its input whatever a hostile count says. */
#ifndef BERTH_KAFKA_RESULT_H
#define BERTH_KAFKA_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/codec.h"

typedef struct kafka_arena_chunk kafka_arena_chunk;

/* Lives inside the result it serves; kafka_arena_init before use. */
typedef struct kafka_arena {
    kafka_arena_chunk *head; /* owned list, newest first */
} kafka_arena;

void kafka_arena_init(kafka_arena *a);

/* Frees everything allocated from a and leaves it empty. */
void kafka_arena_release(kafka_arena *a);

/* count zeroed elements of size bytes, suitably aligned for any type; NULL
 * when count or size is 0, on overflow, or out of memory. */
void *kafka_arena_alloc(kafka_arena *a, size_t count, size_t size);

/* A NUL-terminated copy of s[0..n), or NULL out of memory. */
char *kafka_arena_strndup(kafka_arena *a, const char *s, size_t n);

/* Moves all of src's memory into dst (src is left empty), so pointers into
 * it now live as long as dst: how batched calls merge their results. */
void kafka_arena_adopt(kafka_arena *dst, kafka_arena *src);

/* n zeroed elements of size bytes from a; fails the reader (naming field)
 * when out of memory. NULL without failing when n <= 0 or the reader failed
 * already, so a loop over n elements never touches it. */
void *kafka_read_alloc(kafka_reader *r, kafka_arena *a, const char *field, int32_t n, size_t size);

/* Reads a string and copies it into a; *out is NULL for a null string. */
int kafka_read_dup_string(kafka_reader *r, kafka_arena *a, int flexible, const char *field,
                          kafka_nullable nullable, const char **out);

/* Reads an array of int32 (broker ids, partition indexes) into a; *n is -1
 * and *out NULL for a null array, *out NULL for an empty one. */
int kafka_read_int32_array(kafka_reader *r, kafka_arena *a, int flexible, const char *field,
                           kafka_nullable nullable, int32_t **out, int32_t *n);

/* Writes n int32 values as an array (ids NULL with n < 0: a null array). */
void kafka_put_int32_array(kafka_writer *w, int flexible, const int32_t *ids, int32_t n);

#endif
