/* The Kafka codec writes exactly the bytes the protocol defines and reads
 * them back; the reader refuses truncated, oversized and malformed input
 * with an error naming the field, never reading outside its input; request
 * framing and the ApiVersions codec produce and accept the golden bytes built
 * by hand from the protocol's message definitions, the supported and
 * finalized features included. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/api_versions.h"
#include "kafka/codec.h"
#include "kafka/frame.h"
#include "kafka/proto.h"
#include "support/kafka_bytes.h"
#include "util/version.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static void assert_written(const kafka_writer *w, const unsigned char *want, size_t n)
{
    ck_assert_ptr_null(w->failure);
    ck_assert_uint_eq(w->len, n);
    if (n > 0)
        ck_assert_mem_eq(w->buf, want, n);
}

/* ---- writer golden bytes ---- */

START_TEST(fixed_width_integers_are_big_endian)
{
    static const unsigned char want[] = {
        0x7f,                                           /* i8 127 */
        0x80,                                           /* i8 -128 */
        0xff, 0xfe,                                     /* i16 -2 */
        0x01, 0x02, 0x03, 0x04,                         /* i32 0x01020304 */
        0x80, 0x00, 0x00, 0x00,                         /* i32 INT32_MIN */
        0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* i64 INT64_MIN */
        0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, /* i64 0x0102030405 */
    };
    kafka_writer w;

    kafka_writer_init(&w);
    kafka_put_i8(&w, 127);
    kafka_put_i8(&w, -128);
    kafka_put_i16(&w, -2);
    kafka_put_i32(&w, 0x01020304);
    kafka_put_i32(&w, INT32_MIN);
    kafka_put_i64(&w, INT64_MIN);
    kafka_put_i64(&w, 0x0102030405LL);
    assert_written(&w, want, sizeof want);
    kafka_writer_release(&w);
}
END_TEST

static const struct {
    uint32_t v;
    unsigned char bytes[5];
    size_t n;
} uvarints[] = {
    {0, {0x00}, 1},
    {1, {0x01}, 1},
    {127, {0x7f}, 1},
    {128, {0x80, 0x01}, 2},
    {300, {0xac, 0x02}, 2},
    {16383, {0xff, 0x7f}, 2},
    {16384, {0x80, 0x80, 0x01}, 3},
    {0x0fffffff, {0xff, 0xff, 0xff, 0x7f}, 4},
    {0x10000000, {0x80, 0x80, 0x80, 0x80, 0x01}, 5},
    {UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
};

START_TEST(uvarint_golden_bytes_both_ways)
{
    size_t i;

    for (i = 0; i < LEN(uvarints); i++) {
        kafka_writer w;
        kafka_reader r;
        uint32_t got;

        kafka_writer_init(&w);
        kafka_put_uvarint(&w, uvarints[i].v);
        assert_written(&w, uvarints[i].bytes, uvarints[i].n);
        kafka_reader_init(&r, w.buf, w.len, NULL);
        ck_assert_int_eq(kafka_read_uvarint(&r, "v", &got), 0);
        ck_assert_uint_eq(got, uvarints[i].v);
        ck_assert_uint_eq(kafka_reader_remaining(&r), 0);
        kafka_writer_release(&w);
    }
}
END_TEST

static const struct {
    int32_t v;
    unsigned char bytes[5];
    size_t n;
} varints[] = {
    {0, {0x00}, 1},
    {-1, {0x01}, 1},
    {1, {0x02}, 1},
    {-2, {0x03}, 1},
    {63, {0x7e}, 1},
    {-64, {0x7f}, 1},
    {64, {0x80, 0x01}, 2},
    {INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5},
    {INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
};

START_TEST(zigzag_varint_golden_bytes_both_ways)
{
    size_t i;

    for (i = 0; i < LEN(varints); i++) {
        kafka_writer w;
        kafka_reader r;
        int32_t got;

        kafka_writer_init(&w);
        kafka_put_varint(&w, varints[i].v);
        assert_written(&w, varints[i].bytes, varints[i].n);
        kafka_reader_init(&r, w.buf, w.len, NULL);
        ck_assert_int_eq(kafka_read_varint(&r, "v", &got), 0);
        ck_assert_int_eq(got, varints[i].v);
        kafka_writer_release(&w);
    }
}
END_TEST

START_TEST(strings_null_empty_and_text)
{
    static const unsigned char want[] = {
        0x00, 0x03, 'a', 'b', 'c', /* string "abc" */
        0x00, 0x00,                /* string "" */
        0xff, 0xff,                /* string null */
        0x04, 'a',  'b', 'c',      /* compact "abc": length + 1 */
        0x01,                      /* compact "" */
        0x00,                      /* compact null */
    };
    kafka_writer w;

    kafka_writer_init(&w);
    kafka_put_string(&w, "abc");
    kafka_put_string(&w, "");
    kafka_put_string(&w, NULL);
    kafka_put_compact_string(&w, "abc");
    kafka_put_compact_string(&w, "");
    kafka_put_compact_string(&w, NULL);
    assert_written(&w, want, sizeof want);
    kafka_writer_release(&w);
}
END_TEST

START_TEST(bytes_arrays_uuid_and_tags)
{
    static const unsigned char uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const unsigned char want[] = {
        0x00, 0x00, 0x00, 0x02, 0xde, 0xad, /* bytes */
        0xff, 0xff, 0xff, 0xff,             /* null bytes */
        0x03, 0xde, 0xad,                   /* compact bytes */
        0x00,                               /* compact null bytes */
        0x00, 0x00, 0x00, 0x02,             /* array of 2 */
        0xff, 0xff, 0xff, 0xff,             /* null array */
        0x03,                               /* compact array of 2 */
        0x01,                               /* compact empty array */
        0x00,                               /* compact null array */
        1,    2,    3,    4,    5,    6,    7, 8, 9, 10, 11, 12, 13, 14, 15, 16, /* uuid */
        0x00, /* empty tagged fields */
    };
    static const unsigned char two[] = {0xde, 0xad};
    kafka_writer w;

    kafka_writer_init(&w);
    kafka_put_bytes(&w, two, 2);
    kafka_put_bytes(&w, NULL, 0);
    kafka_put_compact_bytes(&w, two, 2);
    kafka_put_compact_bytes(&w, NULL, 0);
    kafka_put_array_len(&w, 2);
    kafka_put_array_len(&w, -1);
    kafka_put_compact_array_len(&w, 2);
    kafka_put_compact_array_len(&w, 0);
    kafka_put_compact_array_len(&w, -1);
    kafka_put_uuid(&w, uuid);
    kafka_put_empty_tags(&w);
    assert_written(&w, want, sizeof want);
    kafka_writer_release(&w);
}
END_TEST

START_TEST(writer_refuses_overlong_string_and_stays_failed)
{
    char *big = malloc(KAFKA_STRING_MAX + 2);
    kafka_writer w;
    util_err err;

    ck_assert_ptr_nonnull(big);
    memset(big, 'x', KAFKA_STRING_MAX + 1);
    big[KAFKA_STRING_MAX + 1] = '\0';
    kafka_writer_init(&w);
    kafka_put_i8(&w, 1);
    ck_assert_int_eq(kafka_writer_status(&w, &err), 0);
    kafka_put_compact_string(&w, big);
    kafka_put_i32(&w, 7); /* ignored after the failure */
    ck_assert_int_eq(kafka_writer_status(&w, &err), -1);
    ck_assert_str_eq(err.msg, "encode: string longer than 32767 bytes");
    ck_assert_uint_eq(w.len, 1);
    kafka_writer_release(&w);
    ck_assert_ptr_null(w.buf);
    free(big);
}
END_TEST

/* ---- reader ---- */

START_TEST(reader_reads_integers_and_uuid)
{
    static const unsigned char in[] = {
        0x80, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfd, 0x80, 0,  0,  0,  0,  0,  0,  0x01, 1,
        2,    3,    4,    5,    6,    7,    8,    9,    10, 11, 12, 13, 14, 15, 16,
    };
    unsigned char *buf = kb_exact_copy(in, sizeof in);
    kafka_reader r;
    util_err err;
    int8_t a;
    int16_t b;
    int32_t c;
    int64_t d;
    int flag;
    kafka_uuid u;

    kafka_reader_init(&r, buf, sizeof in, &err);
    kafka_read_i8(&r, "a", &a);
    kafka_read_i16(&r, "b", &b);
    kafka_read_i32(&r, "c", &c);
    kafka_read_i64(&r, "d", &d);
    kafka_read_uuid(&r, "u", &u);
    ck_assert_int_eq(kafka_reader_expect_end(&r), 0);
    ck_assert_int_eq(a, -128);
    ck_assert_int_eq(b, -2);
    ck_assert_int_eq(c, -3);
    ck_assert(d == INT64_MIN + 1);
    ck_assert_int_eq(u.b[0], 1);
    ck_assert_int_eq(u.b[15], 16);
    /* Nothing left: the next read fails, names its field, zeroes its output. */
    ck_assert_int_eq(kafka_read_bool(&r, "flag", &flag), -1);
    ck_assert_int_eq(flag, 0);
    ck_assert_str_eq(err.msg, "flag: truncated at offset 31");
    free(buf);
}
END_TEST

START_TEST(uvarint_longer_than_32_bits_is_refused)
{
    static const unsigned char five_big[] = {0xff, 0xff, 0xff, 0xff, 0x10};
    static const unsigned char six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    static const unsigned char cut[] = {0x80, 0x80};
    kafka_reader r;
    util_err err;
    uint32_t v;

    kafka_reader_init(&r, five_big, sizeof five_big, &err);
    ck_assert_int_eq(kafka_read_uvarint(&r, "n", &v), -1);
    ck_assert_str_eq(err.msg, "n: varint at offset 0 exceeds 32 bits");
    kafka_reader_init(&r, six, sizeof six, &err);
    ck_assert_int_eq(kafka_read_uvarint(&r, "n", &v), -1);
    ck_assert_str_eq(err.msg, "n: varint at offset 0 exceeds 32 bits");
    kafka_reader_init(&r, cut, sizeof cut, &err);
    ck_assert_int_eq(kafka_read_uvarint(&r, "n", &v), -1);
    ck_assert_str_eq(err.msg, "n: truncated at offset 2");
    ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(reader_tells_null_from_empty_strings)
{
    static const unsigned char in[] = {0x00, 0x01, 0x00, 0x02, 'h', 'i',
                                       0xff, 0xff, 0x00, 0x00, 0x01};
    kafka_reader r;
    kafka_str s;
    util_err err;

    kafka_reader_init(&r, in, sizeof in, &err);
    ck_assert_int_eq(kafka_read_compact_string(&r, "null", KAFKA_NULLABLE, &s), 0);
    ck_assert_ptr_null(s.ptr);
    ck_assert_int_eq(kafka_read_compact_string(&r, "empty", KAFKA_NULLABLE, &s), 0);
    ck_assert_ptr_nonnull(s.ptr);
    ck_assert_uint_eq(s.len, 0);
    ck_assert_int_eq(kafka_read_string(&r, "hi", KAFKA_NOT_NULL, &s), 0);
    ck_assert_uint_eq(s.len, 2);
    ck_assert_mem_eq(s.ptr, "hi", 2);
    ck_assert_int_eq(kafka_read_string(&r, "null", KAFKA_NULLABLE, &s), 0);
    ck_assert_ptr_null(s.ptr);
    ck_assert_int_eq(kafka_read_string(&r, "empty", KAFKA_NOT_NULL, &s), 0);
    ck_assert_ptr_nonnull(s.ptr);
    ck_assert_uint_eq(s.len, 0);
    ck_assert_int_eq(kafka_read_compact_string(&r, "empty", KAFKA_NOT_NULL, &s), 0);
    ck_assert_ptr_nonnull(s.ptr);
    ck_assert_int_eq(kafka_reader_expect_end(&r), 0);
}
END_TEST

START_TEST(reader_refuses_bad_lengths)
{
    static const unsigned char null16[] = {0xff, 0xff};
    static const unsigned char neg16[] = {0xff, 0xfe};
    static const unsigned char long16[] = {0x00, 0x05, 'a', 'b'};
    static const unsigned char cnull[] = {0x00};
    static const unsigned char chuge[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    static const unsigned char cover[] = {0x81, 0x80, 0x02}; /* 32768 + 1 */
    static const unsigned char negb[] = {0x80, 0x00, 0x00, 0x00};
    kafka_reader r;
    kafka_str s;
    kafka_bytes b;
    util_err err;

    kafka_reader_init(&r, null16, sizeof null16, &err);
    ck_assert_int_eq(kafka_read_string(&r, "name", KAFKA_NOT_NULL, &s), -1);
    ck_assert_str_eq(err.msg, "name: null, but the field is not nullable");
    kafka_reader_init(&r, neg16, sizeof neg16, &err);
    ck_assert_int_eq(kafka_read_string(&r, "name", KAFKA_NULLABLE, &s), -1);
    ck_assert_str_eq(err.msg, "name: negative length -2");
    kafka_reader_init(&r, long16, sizeof long16, &err);
    ck_assert_int_eq(kafka_read_string(&r, "name", KAFKA_NULLABLE, &s), -1);
    ck_assert_str_eq(err.msg, "name: length 5 exceeds the 2 bytes left at offset 2");
    ck_assert_ptr_null(s.ptr);
    kafka_reader_init(&r, cnull, sizeof cnull, &err);
    ck_assert_int_eq(kafka_read_compact_string(&r, "name", KAFKA_NOT_NULL, &s), -1);
    ck_assert_str_eq(err.msg, "name: null, but the field is not nullable");
    kafka_reader_init(&r, chuge, sizeof chuge, &err);
    ck_assert_int_eq(kafka_read_compact_bytes(&r, "data", KAFKA_NULLABLE, &b), -1);
    ck_assert_str_eq(err.msg, "data: length 4294967294 exceeds the limit 2147483647");
    kafka_reader_init(&r, cover, sizeof cover, &err);
    ck_assert_int_eq(kafka_read_compact_string(&r, "name", KAFKA_NULLABLE, &s), -1);
    ck_assert_str_eq(err.msg, "name: length 32768 exceeds the limit 32767");
    kafka_reader_init(&r, negb, sizeof negb, &err);
    ck_assert_int_eq(kafka_read_bytes(&r, "data", KAFKA_NULLABLE, &b), -1);
    ck_assert_str_eq(err.msg, "data: negative length -2147483648");
    ck_assert_ptr_null(b.ptr);
}
END_TEST

START_TEST(reader_refuses_array_counts_the_input_cannot_hold)
{
    static const unsigned char big[] = {0x7f, 0xff, 0xff, 0xff, 0x00};
    static const unsigned char neg[] = {0xff, 0xff, 0xff, 0xfe};
    static const unsigned char null32[] = {0xff, 0xff, 0xff, 0xff};
    static const unsigned char chuge[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    static const unsigned char cnull[] = {0x00};
    static const unsigned char ok[] = {0x03, 0xaa, 0xbb};
    kafka_reader r;
    util_err err;
    int32_t n;

    kafka_reader_init(&r, big, sizeof big, &err);
    ck_assert_int_eq(kafka_read_array_len(&r, "items", KAFKA_NOT_NULL, &n), -1);
    ck_assert_str_eq(err.msg, "items: count 2147483647 exceeds the 1 bytes left at offset 4");
    ck_assert_int_eq(n, 0);
    kafka_reader_init(&r, neg, sizeof neg, &err);
    ck_assert_int_eq(kafka_read_array_len(&r, "items", KAFKA_NULLABLE, &n), -1);
    ck_assert_str_eq(err.msg, "items: negative count -2");
    kafka_reader_init(&r, null32, sizeof null32, &err);
    ck_assert_int_eq(kafka_read_array_len(&r, "items", KAFKA_NULLABLE, &n), 0);
    ck_assert_int_eq(n, -1);
    kafka_reader_init(&r, null32, sizeof null32, &err);
    ck_assert_int_eq(kafka_read_array_len(&r, "items", KAFKA_NOT_NULL, &n), -1);
    ck_assert_str_eq(err.msg, "items: null, but the array is not nullable");
    kafka_reader_init(&r, chuge, sizeof chuge, &err);
    ck_assert_int_eq(kafka_read_compact_array_len(&r, "items", KAFKA_NOT_NULL, &n), -1);
    ck_assert_str_eq(err.msg, "items: count 4294967294 exceeds the 1 bytes left at offset 5");
    kafka_reader_init(&r, cnull, sizeof cnull, &err);
    ck_assert_int_eq(kafka_read_compact_array_len(&r, "items", KAFKA_NULLABLE, &n), 0);
    ck_assert_int_eq(n, -1);
    kafka_reader_init(&r, ok, sizeof ok, &err);
    ck_assert_int_eq(kafka_read_compact_array_len(&r, "items", KAFKA_NOT_NULL, &n), 0);
    ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(tagged_fields_are_skipped_whatever_they_hold)
{
    static const unsigned char in[] = {
        0x02,                   /* two tagged fields */
        0x00, 0x03, 1,    2, 3, /* tag 0, 3 bytes */
        0x85, 0x01, 0x00,       /* tag 133, empty */
        0x2a,                   /* the next field */
    };
    static const unsigned char cut[] = {0x01, 0x07, 0x05, 1, 2};
    static const unsigned char many[] = {0x7f, 0x00, 0x00};
    kafka_reader r;
    util_err err;
    int8_t next;

    kafka_reader_init(&r, in, sizeof in, &err);
    ck_assert_int_eq(kafka_read_skip_tags(&r, "tagged_fields"), 0);
    kafka_read_i8(&r, "next", &next);
    ck_assert_int_eq(kafka_reader_expect_end(&r), 0);
    ck_assert_int_eq(next, 42);

    kafka_reader_init(&r, cut, sizeof cut, &err);
    ck_assert_int_eq(kafka_read_skip_tags(&r, "tagged_fields"), -1);
    ck_assert_str_eq(err.msg, "tagged_fields[0].data: truncated at offset 3");
    kafka_reader_init(&r, many, sizeof many, &err);
    ck_assert_int_eq(kafka_read_skip_tags(&r, "tagged_fields"), -1);
    ck_assert_str_eq(err.msg, "tagged_fields: count 127 exceeds the 2 bytes left at offset 1");
}
END_TEST

START_TEST(sticky_failure_keeps_the_first_field)
{
    static const unsigned char in[] = {0x00, 0x01, 0x00};
    kafka_reader r;
    util_err err;
    int16_t a, b;
    int32_t c;

    kafka_reader_init(&r, in, sizeof in, &err);
    kafka_reader_enter(&r, "outer", -1);
    kafka_reader_enter(&r, "items", 4);
    kafka_read_i16(&r, "a", &a);
    kafka_read_i16(&r, "b", &b); /* fails here */
    kafka_reader_leave(&r);
    kafka_read_i32(&r, "c", &c); /* would fail too; must not overwrite */
    kafka_reader_leave(&r);
    ck_assert_int_eq(kafka_reader_status(&r), -1);
    ck_assert_int_eq(a, 1);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(c, 0);
    ck_assert_str_eq(err.msg, "outer.items[4].b: truncated at offset 2");
    ck_assert_int_eq(kafka_reader_fail(&r, "x", "later"), -1);
    ck_assert_str_eq(err.msg, "outer.items[4].b: truncated at offset 2");
}
END_TEST

START_TEST(deep_paths_are_shortened_not_overrun)
{
    kafka_reader r;
    util_err err;
    int8_t v;
    int i;

    kafka_reader_init(&r, NULL, 0, &err);
    for (i = 0; i < KAFKA_READER_DEPTH + 3; i++)
        kafka_reader_enter(&r, "l", i);
    ck_assert_int_eq(kafka_read_i8(&r, "leaf", &v), -1);
    ck_assert_str_eq(err.msg, "l[0].l[1].l[2].l[3].l[4].l[5].l[6].l[7].(3 more).leaf: "
                              "truncated at offset 0");
    for (i = 0; i < KAFKA_READER_DEPTH + 4; i++)
        kafka_reader_leave(&r);
    ck_assert_int_eq(r.depth, 0);

    /* Names too long for the message: the levels are cut, the field kept. */
    kafka_reader_init(&r, NULL, 0, &err);
    for (i = 0; i < KAFKA_READER_DEPTH; i++)
        kafka_reader_enter(&r, "level_with_a_rather_long_name_for_this_test", i);
    ck_assert_int_eq(kafka_read_i8(&r, "leaf", &v), -1);
    ck_assert(strstr(err.msg, "...leaf: truncated at offset 0") != NULL);
}
END_TEST

START_TEST(trailing_bytes_are_refused)
{
    static const unsigned char in[] = {0x00, 0x01, 0x02};
    kafka_reader r;
    util_err err;
    int16_t a;

    kafka_reader_init(&r, in, sizeof in, &err);
    kafka_read_i16(&r, "a", &a);
    ck_assert_int_eq(kafka_reader_expect_end(&r), -1);
    ck_assert_str_eq(err.msg, "1 unexpected bytes after the last field, at offset 2");
}
END_TEST

/* ---- framing ---- */

START_TEST(api_versions_v3_request_golden_bytes)
{
    /* size, then request header v2: api_key 18, api_version 3, correlation
     * id 7, client_id "berth" as a classic string, no tagged fields; then the
     * body: compact "berth", compact version, no tagged fields. */
    static const unsigned char head[] = {
        0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0x00, 0x05, 'b',
        'e',  'r',  't',  'h',  0x00, 0x06, 'b',  'e',  'r',  't',  'h',
    };
    unsigned char want[64];
    size_t vlen = strlen(BERTH_VERSION), n = 0;
    kafka_request_header h = {KAFKA_API_API_VERSIONS, 3, 7, "berth"};
    kafka_writer w;
    util_err err;
    size_t start;
    int req_hv, resp_hv;

    ck_assert_uint_lt(vlen, 32);
    n = 4;
    memcpy(want + n, head, sizeof head);
    n += sizeof head;
    want[n++] = (unsigned char)(vlen + 1);
    memcpy(want + n, BERTH_VERSION, vlen);
    n += vlen;
    want[n++] = 0x00;
    want[0] = want[1] = want[2] = 0;
    want[3] = (unsigned char)(n - 4);

    kafka_header_versions(KAFKA_API_API_VERSIONS, 1, &req_hv, &resp_hv);
    ck_assert_int_eq(req_hv, 2);
    ck_assert_int_eq(resp_hv, 0); /* ApiVersions answers with header v0, always */

    kafka_writer_init(&w);
    start = kafka_frame_begin(&w);
    kafka_put_request_header(&w, req_hv, &h);
    ck_assert_int_eq(kafka_api_versions_encode(&w, 3, &err), 0);
    kafka_frame_end(&w, start);
    assert_written(&w, want, n);
    kafka_writer_release(&w);
}
END_TEST

START_TEST(request_header_v1_with_null_client_id)
{
    static const unsigned char want[] = {
        0x00, 0x00, 0x00, 0x0a, 0x00, 0x03, 0x00, 0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    kafka_request_header h = {KAFKA_API_METADATA, 2, INT32_MAX, NULL};
    kafka_writer w;
    util_err err;
    size_t start;
    int req_hv, resp_hv;

    kafka_header_versions(KAFKA_API_METADATA, 0, &req_hv, &resp_hv);
    ck_assert_int_eq(req_hv, 1);
    ck_assert_int_eq(resp_hv, 0);
    kafka_header_versions(KAFKA_API_METADATA, 1, &req_hv, &resp_hv);
    ck_assert_int_eq(req_hv, 2);
    ck_assert_int_eq(resp_hv, 1);

    kafka_writer_init(&w);
    start = kafka_frame_begin(&w);
    kafka_put_request_header(&w, 1, &h);
    kafka_frame_end(&w, start);
    assert_written(&w, want, sizeof want);
    kafka_put_request_header(&w, 3, &h);
    ck_assert_int_eq(kafka_writer_status(&w, &err), -1);
    ck_assert_str_eq(err.msg, "encode: request header version must be 1 or 2");
    kafka_writer_release(&w);
}
END_TEST

START_TEST(response_headers_v0_and_v1)
{
    static const unsigned char v0[] = {0x00, 0x00, 0x01, 0x00, 0xee};
    static const unsigned char v1[] = {0x00, 0x00, 0x00, 0x09, 0x01, 0x00, 0x01, 0x55, 0xee};
    kafka_reader r;
    util_err err;
    int32_t corr;

    kafka_reader_init(&r, v0, sizeof v0, &err);
    ck_assert_int_eq(kafka_read_response_header(&r, 0, &corr), 0);
    ck_assert_int_eq(corr, 256);
    ck_assert_uint_eq(kafka_reader_remaining(&r), 1);
    kafka_reader_init(&r, v1, sizeof v1, &err);
    ck_assert_int_eq(kafka_read_response_header(&r, 1, &corr), 0);
    ck_assert_int_eq(corr, 9);
    ck_assert_uint_eq(kafka_reader_remaining(&r), 1);
    kafka_reader_init(&r, v1, 7, &err);
    ck_assert_int_eq(kafka_read_response_header(&r, 1, &corr), -1);
    ck_assert_str_eq(err.msg, "response_header.tagged_fields[0].data: truncated at offset 7");
}
END_TEST

START_TEST(frame_size_prefix_is_checked)
{
    static const unsigned char ok[] = {0x00, 0x00, 0x01, 0x00};
    static const unsigned char neg[] = {0xff, 0xff, 0xff, 0xfc};
    static const unsigned char big[] = {0x06, 0x40, 0x00, 0x01};
    util_err err;
    size_t size;

    ck_assert_int_eq(kafka_frame_size(ok, 256, &size, &err), 0);
    ck_assert_uint_eq(size, 256);
    ck_assert_int_eq(kafka_frame_size(ok, 255, &size, &err), -1);
    ck_assert_str_eq(err.msg, "frame of 256 bytes exceeds the limit of 255 bytes");
    ck_assert_int_eq(kafka_frame_size(neg, 1000, &size, &err), -1);
    ck_assert_str_eq(err.msg, "frame size prefix is negative (0xfffffffc)");
    ck_assert_int_eq(kafka_frame_size(big, 100u * 1024 * 1024, &size, &err), -1);
    ck_assert_uint_eq(size, 0);
}
END_TEST

/* ---- ApiVersions ---- */

/* A v3 response body as a 4.x broker would send it, built by hand from the
 * message definition: error_code, compact api_keys (each with an empty tag
 * section), throttle_time_ms, then tagged fields SupportedFeatures (tag 0)
 * and FinalizedFeaturesEpoch (tag 1). */
static const unsigned char v3_body[] = {
    0x00, 0x00,                                          /* error_code 0 */
    0x04,                                                /* api_keys: 3 entries */
    0x00, 0x03, 0x00, 0x00,                              /* Metadata 0..13 */
    0x00, 0x0d, 0x00,                                    /*   max, tagged fields */
    0x00, 0x12, 0x00, 0x00,                              /* ApiVersions 0..4 */
    0x00, 0x04, 0x00,                                    /*   max, tagged fields */
    0x00, 0x2b, 0x00, 0x00,                              /* ElectLeaders 0..2 */
    0x00, 0x02, 0x00,                                    /*   max, tagged fields */
    0x00, 0x00, 0x00, 0x05,                              /* throttle_time_ms 5 */
    0x02,                                                /* two tagged fields */
    0x00, 0x0f,                                          /* tag 0, 15 bytes: SupportedFeatures */
    0x02,                                                /*   one feature */
    0x09, 'k',  'r',  'a',  'f',  't',  '.',  'v',  'e', /* "kraft.ve" */
    0x00, 0x00, 0x00, 0x01,                              /*   min 0, max 1 */
    0x00,                                                /*   tagged fields */
    0x01, 0x08, /* tag 1, 8 bytes: FinalizedFeaturesEpoch */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
};

/* v0: classic array, no throttle time; v1/v2 add throttle_time_ms. */
static const unsigned char v0_body[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02,
};
static const unsigned char v1_body[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x63,
};

/* What a 4.1 broker sent to an ApiVersions v99 request: UNSUPPORTED_VERSION
 * in the v0 layout, listing its own ApiVersions range 0..4. */
static const unsigned char unsupported_body[] = {
    0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04,
};

START_TEST(api_versions_v3_golden_response)
{
    unsigned char *buf = kb_exact_copy(v3_body, sizeof v3_body);
    kafka_api_versions *v;
    const kafka_api_range *a;
    util_err err;

    ck_assert_msg(kafka_api_versions_decode(buf, sizeof v3_body, 3, &v, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(v->version, 3);
    ck_assert_int_eq(v->error_code, 0);
    ck_assert_int_eq(v->throttle_time_ms, 5);
    ck_assert_int_eq(v->n_apis, 3);
    a = kafka_api_versions_find(v, KAFKA_API_METADATA);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->min_version, 0);
    ck_assert_int_eq(a->max_version, 13);
    a = kafka_api_versions_find(v, KAFKA_API_ELECT_LEADERS);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->max_version, 2);
    ck_assert_ptr_null(kafka_api_versions_find(v, KAFKA_API_DESCRIBE_QUORUM));
    ck_assert_int_eq(v->n_supported, 1);
    ck_assert_str_eq(v->supported[0].name, "kraft.ve");
    ck_assert_int_eq(v->supported[0].min_level, 0);
    ck_assert_int_eq(v->supported[0].max_level, 1);
    ck_assert_int_eq(v->finalized_epoch, 42);
    ck_assert_int_eq(v->n_finalized, 0);
    ck_assert_ptr_null(kafka_api_versions_finalized(v, "kraft.ve"));
    kafka_api_versions_free(v);
    kafka_api_versions_free(NULL);
    free(buf);
}
END_TEST

/* What Apache Kafka 4.4.0's own serializer (ApiVersionsResponseData, v3)
 * writes for a broker that supports metadata.version 7..30 in a cluster
 * finalized at 30 (epoch 57), then with ZkMigrationReady (tag 3) set too:
 * the three feature fields are read, the unknown tag skipped. The finalized
 * entries carry the max level before the min level. */
#define MV_NAME 0x11, 'm', 'e', 't', 'a', 'd', 'a', 't', 'a', '.', 'v', 'e', 'r', 's', 'i', 'o', 'n'
static const unsigned char features_v3_body[] = {
    I16(0), 0x02, I16(18), I16(0),  I16(4),  0x00,    I32(0), 0x04, /* four tagged fields */
    0x00,   0x17, 0x02,    MV_NAME, I16(7),  I16(30), 0x00,         /* supported 7..30 */
    0x01,   0x08, I64(57),                                          /* finalized epoch */
    0x02,   0x17, 0x02,    MV_NAME, I16(30), I16(30), 0x00,         /* finalized 30 (max, min) */
    0x03,   0x01, 0x01,                                             /* ZkMigrationReady: skipped */
};

START_TEST(api_versions_v3_features_supported_and_finalized)
{
    unsigned char *buf = kb_exact_copy(features_v3_body, sizeof features_v3_body);
    const kafka_feature_range *f;
    kafka_api_versions *v;
    util_err err;

    ck_assert_msg(kafka_api_versions_decode(buf, sizeof features_v3_body, 3, &v, &err) == 0, "%s",
                  err.msg);
    f = kafka_api_versions_supported(v, KAFKA_FEATURE_METADATA_VERSION);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->min_level, 7);
    ck_assert_int_eq(f->max_level, 30);
    ck_assert_int_eq(v->finalized_epoch, 57);
    f = kafka_api_versions_finalized(v, KAFKA_FEATURE_METADATA_VERSION);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->max_level, 30);
    ck_assert_int_eq(f->min_level, 30);
    ck_assert_ptr_null(kafka_api_versions_supported(v, "kraft.version"));
    kafka_api_versions_free(v);
    free(buf);
    /* Without tagged fields: no features, the epoch unknown. */
    ck_assert_int_eq(kafka_api_versions_decode(v1_body, sizeof v1_body, 1, &v, &err), 0);
    ck_assert_int_eq(v->finalized_epoch, -1);
    ck_assert_int_eq(v->n_supported, 0);
    ck_assert_ptr_null(kafka_api_versions_supported(v, KAFKA_FEATURE_METADATA_VERSION));
    kafka_api_versions_free(v);
}
END_TEST

START_TEST(api_versions_feature_tags_must_fit_and_ascend)
{
    unsigned char body[sizeof features_v3_body];
    kafka_api_versions *v;
    util_err err;
    size_t i;

    /* The supported features' tag announces a byte more than they take. */
    memcpy(body, features_v3_body, sizeof body);
    body[16] = 0x18;
    ck_assert_int_eq(kafka_api_versions_decode(body, sizeof body, 3, &v, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions v3 response: tagged_fields[0].data: tag 0: 23 bytes "
                              "read, 24 announced");
    /* Tag 1 written as tag 0 again. */
    memcpy(body, features_v3_body, sizeof body);
    for (i = 0; body[i] != 0x01 || body[i + 1] != 0x08; i++)
        ;
    body[i] = 0x00;
    ck_assert_int_eq(kafka_api_versions_decode(body, sizeof body, 3, &v, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions v3 response: tagged_fields[1].tag: tag 0 after tag 0: "
                              "tags must ascend");
}
END_TEST

START_TEST(api_versions_v0_to_v2_golden_responses)
{
    kafka_api_versions *v;
    util_err err;
    int16_t ver;

    ck_assert_int_eq(kafka_api_versions_decode(v0_body, sizeof v0_body, 0, &v, &err), 0);
    ck_assert_int_eq(v->n_apis, 2);
    ck_assert_int_eq(v->apis[1].api_key, 18);
    ck_assert_int_eq(v->apis[1].max_version, 2);
    ck_assert_int_eq(v->throttle_time_ms, 0);
    kafka_api_versions_free(v);
    for (ver = 1; ver <= 2; ver++) {
        ck_assert_int_eq(kafka_api_versions_decode(v1_body, sizeof v1_body, ver, &v, &err), 0);
        ck_assert_int_eq(v->version, ver);
        ck_assert_int_eq(v->n_apis, 1);
        ck_assert_int_eq(v->apis[0].min_version, 1);
        ck_assert_int_eq(v->throttle_time_ms, 99);
        kafka_api_versions_free(v);
    }
    /* The v0 body read as v1 lacks throttle_time_ms. */
    ck_assert_int_eq(kafka_api_versions_decode(v0_body, sizeof v0_body, 1, &v, &err), -1);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(err.msg, "ApiVersions v1 response: throttle_time_ms: truncated at offset 18");
    ck_assert_int_eq(kafka_api_versions_decode(v0_body, sizeof v0_body, 4, &v, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions response: version 4 not spoken (0..3)");
}
END_TEST

START_TEST(unsupported_version_answer_is_read_as_v0)
{
    kafka_api_versions *v;
    util_err err;
    int16_t ver, picked;

    for (ver = 0; ver <= 3; ver++) {
        ck_assert_msg(kafka_api_versions_decode(unsupported_body, sizeof unsupported_body, ver, &v,
                                                &err) == 0,
                      "v%d: %s", ver, err.msg);
        ck_assert_int_eq(v->version, 0);
        ck_assert_int_eq(v->error_code, KAFKA_ERR_UNSUPPORTED_VERSION);
        ck_assert_int_eq(kafka_api_versions_pick(v, KAFKA_API_API_VERSIONS, 0, 3, &picked, &err),
                         0);
        ck_assert_int_eq(picked, 3);
        kafka_api_versions_free(v);
    }
}
END_TEST

START_TEST(every_prefix_of_a_response_fails_cleanly)
{
    static const struct {
        const unsigned char *body;
        size_t len;
        int16_t version;
    } cases[] = {
        {v0_body, sizeof v0_body, 0},
        {v1_body, sizeof v1_body, 1},
        {v1_body, sizeof v1_body, 2},
        {v3_body, sizeof v3_body, 3},
        {features_v3_body, sizeof features_v3_body, 3},
        {unsupported_body, sizeof unsupported_body, 3},
    };
    size_t c, n;

    for (c = 0; c < LEN(cases); c++) {
        for (n = 0; n < cases[c].len; n++) {
            unsigned char *buf = kb_exact_copy(cases[c].body, n);
            kafka_api_versions dummy, *v = &dummy; /* the decoder must reset it */
            util_err err;

            err.msg[0] = '\0';
            ck_assert_int_eq(kafka_api_versions_decode(buf, n, cases[c].version, &v, &err), -1);
            ck_assert_ptr_null(v);
            ck_assert_msg(strncmp(err.msg, "ApiVersions v", 13) == 0, "case %zu len %zu: %s", c, n,
                          err.msg);
            free(buf);
        }
    }
}
END_TEST

START_TEST(truncation_names_the_failing_field)
{
    kafka_api_versions *v;
    util_err err;

    /* Cut inside the third entry's max_version. */
    ck_assert_int_eq(kafka_api_versions_decode(v3_body, 22, 3, &v, &err), -1);
    ck_assert_str_eq(err.msg,
                     "ApiVersions v3 response: api_keys[2].max_version: truncated at offset 21");
    /* Cut inside FinalizedFeaturesEpoch's data. */
    ck_assert_int_eq(kafka_api_versions_decode(v3_body, sizeof v3_body - 1, 3, &v, &err), -1);
    ck_assert_str_eq(err.msg,
                     "ApiVersions v3 response: tagged_fields[1].data: truncated at offset 48");
}
END_TEST

START_TEST(hostile_counts_and_trailing_bytes_are_refused)
{
    static const unsigned char huge_compact[] = {0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
                                                 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00};
    static const unsigned char huge_classic[] = {0x00, 0x00, 0x7f, 0xff, 0xff, 0xff};
    static const unsigned char null_classic[] = {0x00, 0x00, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char varint6[] = {0x00, 0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00};
    unsigned char extra[sizeof v3_body + 1];
    kafka_api_versions *v;
    util_err err;

    ck_assert_int_eq(kafka_api_versions_decode(huge_compact, sizeof huge_compact, 3, &v, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions v3 response: api_keys: count 4294967294 exceeds the 5 "
                              "bytes left at offset 7");
    ck_assert_int_eq(kafka_api_versions_decode(huge_classic, sizeof huge_classic, 2, &v, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions v2 response: api_keys: count 2147483647 exceeds the 0 "
                              "bytes left at offset 6");
    ck_assert_int_eq(kafka_api_versions_decode(null_classic, sizeof null_classic, 0, &v, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions v0 response: api_keys: null, but the array is not "
                              "nullable");
    ck_assert_int_eq(kafka_api_versions_decode(varint6, sizeof varint6, 3, &v, &err), -1);
    ck_assert_str_eq(err.msg,
                     "ApiVersions v3 response: api_keys: varint at offset 2 exceeds 32 bits");

    memcpy(extra, v3_body, sizeof v3_body);
    extra[sizeof v3_body] = 0;
    ck_assert_int_eq(kafka_api_versions_decode(extra, sizeof extra, 3, &v, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions v3 response: 1 unexpected bytes after the last field, "
                              "at offset 56");
}
END_TEST

START_TEST(negotiation_picks_the_highest_common_version)
{
    kafka_api_versions *v;
    util_err err;
    int16_t picked;

    ck_assert_int_eq(kafka_api_versions_decode(v3_body, sizeof v3_body, 3, &v, &err), 0);
    ck_assert_int_eq(kafka_api_versions_pick(v, KAFKA_API_METADATA, 0, 12, &picked, &err), 0);
    ck_assert_int_eq(picked, 12);
    ck_assert_int_eq(kafka_api_versions_pick(v, KAFKA_API_METADATA, 9, 20, &picked, &err), 0);
    ck_assert_int_eq(picked, 13);
    ck_assert_int_eq(kafka_api_versions_pick(v, KAFKA_API_ELECT_LEADERS, 2, 2, &picked, &err), 0);
    ck_assert_int_eq(picked, 2);
    ck_assert_int_eq(kafka_api_versions_pick(v, KAFKA_API_METADATA, 14, 15, &picked, &err), -1);
    ck_assert_int_eq(picked, -1);
    ck_assert_str_eq(err.msg,
                     "Metadata (key 3): no common version (broker v0..v13, berth v14..v15)");
    ck_assert_int_eq(kafka_api_versions_pick(v, KAFKA_API_DESCRIBE_QUORUM, 0, 2, &picked, &err),
                     -1);
    ck_assert_str_eq(err.msg, "DescribeQuorum (key 55): the broker does not offer it");
    kafka_api_versions_free(v);
}
END_TEST

START_TEST(request_encoding_per_version)
{
    kafka_writer w;
    util_err err;
    int16_t ver;

    kafka_writer_init(&w);
    for (ver = 0; ver <= 2; ver++) {
        ck_assert_int_eq(kafka_api_versions_encode(&w, ver, &err), 0);
        ck_assert_uint_eq(w.len, 0); /* v0..v2 requests have no fields */
    }
    ck_assert_int_eq(kafka_api_versions_encode(&w, 4, &err), -1);
    ck_assert_str_eq(err.msg, "ApiVersions request: version 4 not spoken (0..3)");
    kafka_writer_release(&w);
    ck_assert_str_eq(kafka_error_name(35), "UNSUPPORTED_VERSION");
    ck_assert_str_eq(kafka_error_name(-1), "UNKNOWN_SERVER_ERROR");
    ck_assert_str_eq(kafka_error_name(1234), "unknown");
    ck_assert_str_eq(kafka_api_name(45), "AlterPartitionReassignments");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_codec");
    TCase *prim = tcase_create("primitives");
    TCase *frame = tcase_create("frame");
    TCase *av = tcase_create("api_versions");
    SRunner *sr;
    int failed;

    tcase_add_test(prim, fixed_width_integers_are_big_endian);
    tcase_add_test(prim, uvarint_golden_bytes_both_ways);
    tcase_add_test(prim, zigzag_varint_golden_bytes_both_ways);
    tcase_add_test(prim, strings_null_empty_and_text);
    tcase_add_test(prim, bytes_arrays_uuid_and_tags);
    tcase_add_test(prim, writer_refuses_overlong_string_and_stays_failed);
    tcase_add_test(prim, reader_reads_integers_and_uuid);
    tcase_add_test(prim, uvarint_longer_than_32_bits_is_refused);
    tcase_add_test(prim, reader_tells_null_from_empty_strings);
    tcase_add_test(prim, reader_refuses_bad_lengths);
    tcase_add_test(prim, reader_refuses_array_counts_the_input_cannot_hold);
    tcase_add_test(prim, tagged_fields_are_skipped_whatever_they_hold);
    tcase_add_test(prim, sticky_failure_keeps_the_first_field);
    tcase_add_test(prim, deep_paths_are_shortened_not_overrun);
    tcase_add_test(prim, trailing_bytes_are_refused);
    suite_add_tcase(s, prim);

    tcase_add_test(frame, api_versions_v3_request_golden_bytes);
    tcase_add_test(frame, request_header_v1_with_null_client_id);
    tcase_add_test(frame, response_headers_v0_and_v1);
    tcase_add_test(frame, frame_size_prefix_is_checked);
    suite_add_tcase(s, frame);

    tcase_add_test(av, api_versions_v3_golden_response);
    tcase_add_test(av, api_versions_v3_features_supported_and_finalized);
    tcase_add_test(av, api_versions_feature_tags_must_fit_and_ascend);
    tcase_add_test(av, api_versions_v0_to_v2_golden_responses);
    tcase_add_test(av, unsupported_version_answer_is_read_as_v0);
    tcase_add_test(av, every_prefix_of_a_response_fails_cleanly);
    tcase_add_test(av, truncation_names_the_failing_field);
    tcase_add_test(av, hostile_counts_and_trailing_bytes_are_refused);
    tcase_add_test(av, negotiation_picks_the_highest_common_version);
    tcase_add_test(av, request_encoding_per_version);
    suite_add_tcase(s, av);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
