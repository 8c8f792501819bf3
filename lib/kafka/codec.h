/* The Kafka wire primitives: a growable writer and a bounds-checked reader.
 *
 * Every request berth sends and every response it reads is built from these
 * few types (big-endian integers, varints, length-prefixed strings, bytes and
 * arrays, UUIDs, tagged-field sections), in a "classic" form and, from each
 * API's first flexible version on, a "compact" form. Keeping them here means
 * the API codecs (api_versions.c, metadata.c, ...) only describe field order.
 *
 * Both sides use a sticky failure: once an operation fails, later ones do
 * nothing, so a codec may check once at the end. The reader records the first
 * failure only, naming the field by its path ("api_keys[3].max_version"). */
#ifndef BERTH_KAFKA_CODEC_H
#define BERTH_KAFKA_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Longest string either side accepts; the protocol's own limit (int16). */
#define KAFKA_STRING_MAX INT16_MAX

/* ---- writer ---- */

/* A byte buffer that grows as fields are appended. Lives wherever the caller
 * puts it (usually the stack): kafka_writer_init before use and
 * kafka_writer_release after. */
typedef struct kafka_writer {
    unsigned char *buf; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    const char *failure; /* static text of the first failure, or NULL */
} kafka_writer;

void kafka_writer_init(kafka_writer *w);

/* Frees the buffer and leaves w initialised and empty. */
void kafka_writer_release(kafka_writer *w);

/* Empties w and clears its failure, keeping the buffer for reuse. */
void kafka_writer_reset(kafka_writer *w);

/* 0 if every append so far succeeded; otherwise -1 with err naming why
 * ("encode: out of memory"). */
int kafka_writer_status(const kafka_writer *w, util_err *err) UTIL_MUST_CHECK;

/* Marks the writer failed with a static reason, unless it failed already;
 * for codecs that find their own input unencodable. */
void kafka_writer_fail(kafka_writer *w, const char *why);

void kafka_put_raw(kafka_writer *w, const void *p, size_t n);
void kafka_put_i8(kafka_writer *w, int8_t v);
void kafka_put_i16(kafka_writer *w, int16_t v);
void kafka_put_i32(kafka_writer *w, int32_t v);
void kafka_put_i64(kafka_writer *w, int64_t v);
void kafka_put_uvarint(kafka_writer *w, uint32_t v);
void kafka_put_varint(kafka_writer *w, int32_t v); /* zig-zag */
void kafka_put_uuid(kafka_writer *w, const unsigned char uuid[16]);

/* Overwrites four bytes already written at off (a size prefix, say). */
void kafka_put_i32_at(kafka_writer *w, size_t off, int32_t v);

/* Strings are NUL-terminated C strings; NULL writes a null string. */
void kafka_put_string(kafka_writer *w, const char *s);
void kafka_put_compact_string(kafka_writer *w, const char *s);

/* NULL p writes null bytes (n ignored). */
void kafka_put_bytes(kafka_writer *w, const void *p, size_t n);
void kafka_put_compact_bytes(kafka_writer *w, const void *p, size_t n);

/* Array lengths; a negative n writes a null array. */
void kafka_put_array_len(kafka_writer *w, int32_t n);
void kafka_put_compact_array_len(kafka_writer *w, int32_t n);

/* An empty tagged-field section: berth sends no tagged fields. */
void kafka_put_empty_tags(kafka_writer *w);

/* ---- reader ---- */

/* A string or bytes field, borrowed from the reader's input (so valid as long
 * as that input is). ptr is NULL for a null field and non-NULL, maybe with len
 * 0, for an empty one. Strings are not NUL-terminated. */
typedef struct kafka_str {
    const char *ptr;
    size_t len;
} kafka_str;

typedef struct kafka_bytes {
    const unsigned char *ptr;
    size_t len;
} kafka_bytes;

typedef struct kafka_uuid {
    unsigned char b[16];
} kafka_uuid;

typedef enum kafka_nullable {
    KAFKA_NOT_NULL,
    KAFKA_NULLABLE,
} kafka_nullable;

#define KAFKA_READER_DEPTH 8

/* Reads fields from a borrowed byte range. The path stack names where the
 * reader is inside nested arrays, for error messages only. */
typedef struct kafka_reader {
    const unsigned char *data;
    size_t len;
    size_t pos;
    int failed;
    util_err *err; /* may be NULL */
    int depth;
    struct {
        const char *name;
        int32_t index;
    } path[KAFKA_READER_DEPTH];
} kafka_reader;

/* Reads data[0..len), which must outlive the reader; err (may be NULL)
 * receives the first failure. */
void kafka_reader_init(kafka_reader *r, const void *data, size_t len, util_err *err);

/* 0, or -1 if any read failed (err already holds the first failure). */
int kafka_reader_status(const kafka_reader *r);

size_t kafka_reader_remaining(const kafka_reader *r);

/* Enters element index of the array name (index < 0: a plain struct), so
 * that failures inside read "name[index].field". Pair with kafka_reader_leave.
 * Beyond KAFKA_READER_DEPTH levels the path is shortened, never overrun. */
void kafka_reader_enter(kafka_reader *r, const char *name, int32_t index);
void kafka_reader_leave(kafka_reader *r);

/* Fails the reader at field with a message of the caller's (printf format),
 * unless it failed already. For checks the wire format cannot express
 * ("min_version 5 above max_version 3"). Returns -1. */
int kafka_reader_fail(kafka_reader *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fails the reader unless it has consumed its input exactly. */
int kafka_reader_expect_end(kafka_reader *r);

/* Each read returns 0, or -1 after the reader failed (now or before). On
 * failure the output is zeroed (NULL ptr, length 0), so a decoder that checks
 * only at the end still never uses garbage. field names what is read. */
int kafka_read_i8(kafka_reader *r, const char *field, int8_t *out);
int kafka_read_i16(kafka_reader *r, const char *field, int16_t *out);
int kafka_read_i32(kafka_reader *r, const char *field, int32_t *out);
int kafka_read_i64(kafka_reader *r, const char *field, int64_t *out);
int kafka_read_bool(kafka_reader *r, const char *field, int *out);
int kafka_read_uvarint(kafka_reader *r, const char *field, uint32_t *out);
int kafka_read_varint(kafka_reader *r, const char *field, int32_t *out);
int kafka_read_uuid(kafka_reader *r, const char *field, kafka_uuid *out);
int kafka_read_skip(kafka_reader *r, const char *field, size_t n);

int kafka_read_string(kafka_reader *r, const char *field, kafka_nullable nullable, kafka_str *out);
int kafka_read_compact_string(kafka_reader *r, const char *field, kafka_nullable nullable,
                              kafka_str *out);
int kafka_read_bytes(kafka_reader *r, const char *field, kafka_nullable nullable, kafka_bytes *out);
int kafka_read_compact_bytes(kafka_reader *r, const char *field, kafka_nullable nullable,
                             kafka_bytes *out);

/* Array lengths: *n is the element count, or -1 for a null array. A count
 * larger than the bytes left is refused (no element is smaller than a byte),
 * so the caller may allocate *n elements without trusting the input further.
 * kafka_read_count is the form decoders of structs use: either form (by
 * flexible), refusing a count the bytes left could not hold at
 * min_elem_bytes per element (the element's smallest wire size), so what a
 * decoder allocates stays within a small multiple of its input. */
int kafka_read_array_len(kafka_reader *r, const char *field, kafka_nullable nullable, int32_t *n);
int kafka_read_compact_array_len(kafka_reader *r, const char *field, kafka_nullable nullable,
                                 int32_t *n);

int kafka_read_count(kafka_reader *r, int flexible, const char *field, kafka_nullable nullable,
                     size_t min_elem_bytes, int32_t *n);

/* Skips a whole tagged-field section: berth reads no tagged field yet. */
int kafka_read_skip_tags(kafka_reader *r, const char *field);

/* ---- either form ----
 * An API's versions before its first flexible one use the classic forms,
 * the rest the compact forms and a tagged-field section at the end of every
 * struct. These pick by flexible, so a codec names each field once; the tag
 * helpers do nothing when flexible is 0. */
void kafka_put_flex_string(kafka_writer *w, int flexible, const char *s);
void kafka_put_flex_array_len(kafka_writer *w, int flexible, int32_t n);
void kafka_put_flex_tags(kafka_writer *w, int flexible);
int kafka_read_flex_string(kafka_reader *r, int flexible, const char *field,
                           kafka_nullable nullable, kafka_str *out);
int kafka_read_flex_tags(kafka_reader *r, int flexible, const char *field);

#endif
