/* The pure parts of the Events recorder. The aggregation key tells apart
 * every field of an event (and only those: the regarded object's
 * resourceVersion is not part of it), and no two different events share a
 * key even when their fields run into each other. Event names are valid and
 * at most 253 characters. Reasons and notes are cut to the API's limits
 * without splitting a UTF-8 character. The series cache counts repeats within
 * the window, starts a new series after a quiet window, stays within its
 * size by dropping the least recently seen series, and hands out due writes
 * oldest first, holding back those in backoff. Finally the recorder refuses
 * options the API would refuse. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/event_cache.h"
#include "kube/events.h"

#define MS 1000000LL
#define S  (1000 * MS)

/* The entry for key, found as the recorder finds it: by its digest. */
static kube_event_entry *find(kube_event_cache *c, const void *key, size_t len)
{
    unsigned char d[KUBE_EVENT_DIGEST_LEN];

    ck_assert_int_eq(kube_event_digest(key, len, d), 0);
    return kube_event_cache_find_digest(c, d);
}

static const kube_event_ref pod = {.api_version = "v1",
                                   .kind = "Pod",
                                   .namespace = "ns",
                                   .name = "demo-0",
                                   .uid = "u-1",
                                   .resource_version = "100"};

/* The key of an event, compared by bytes. */
typedef struct key {
    char *p;
    size_t len;
} key;

static key make_key(const kube_event_ref *obj, kube_event_type type, const char *reason,
                    const char *msg)
{
    key k;
    util_err err = {{0}};

    ck_assert_msg(kube_event_key(obj, type, reason, msg, &k.p, &k.len, &err) == 0, "%s", err.msg);
    return k;
}

static bool key_eq(key a, key b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

START_TEST(key_differs_in_every_field_but_resource_version)
{
    key base = make_key(&pod, KUBE_EVENT_NORMAL, "Draining", "moving leaders");
    kube_event_ref o = pod;
    key k;

    o.resource_version = "101";
    k = make_key(&o, KUBE_EVENT_NORMAL, "Draining", "moving leaders");
    ck_assert(key_eq(base, k));
    free(k.p);

    for (int i = 0; i < 5; i++) {
        o = pod;
        switch (i) {
        case 0:
            o.api_version = "other";
            break;
        case 1:
            o.kind = "other";
            break;
        case 2:
            o.namespace = "other";
            break;
        case 3:
            o.name = "other";
            break;
        default:
            o.uid = "other";
            break;
        }
        k = make_key(&o, KUBE_EVENT_NORMAL, "Draining", "moving leaders");
        ck_assert_msg(!key_eq(base, k), "object field %d is not part of the key", i);
        free(k.p);
    }
    k = make_key(&pod, KUBE_EVENT_WARNING, "Draining", "moving leaders");
    ck_assert(!key_eq(base, k));
    free(k.p);
    k = make_key(&pod, KUBE_EVENT_NORMAL, "Drained", "moving leaders");
    ck_assert(!key_eq(base, k));
    free(k.p);
    k = make_key(&pod, KUBE_EVENT_NORMAL, "Draining", "moving leader");
    ck_assert(!key_eq(base, k));
    free(k.p);
    free(base.p);
}
END_TEST

START_TEST(key_fields_cannot_run_into_each_other)
{
    kube_event_ref a = {.kind = "Pod", .name = "ab"}, b = {.kind = "Pod", .name = "a"};
    key ka = make_key(&a, KUBE_EVENT_NORMAL, "c", "m");
    key kb = make_key(&b, KUBE_EVENT_NORMAL, "bc", "m");

    ck_assert(!key_eq(ka, kb));
    free(ka.p);
    free(kb.p);
    /* NULL and "" are the same. */
    a = (kube_event_ref){.kind = "Node", .name = "n1", .namespace = NULL};
    b = (kube_event_ref){.kind = "Node", .name = "n1", .namespace = ""};
    ka = make_key(&a, KUBE_EVENT_NORMAL, "r", "m");
    kb = make_key(&b, KUBE_EVENT_NORMAL, "r", "m");
    ck_assert(key_eq(ka, kb));
    /* Eight fields, each with its NUL. */
    ck_assert_uint_eq(ka.len, strlen("Node") + strlen("n1") + strlen("Normal") + 2 + 8);
    free(ka.p);
    free(kb.p);
}
END_TEST

START_TEST(event_name_is_object_name_and_hex_time)
{
    char out[300], longname[260];

    kube_event_name("demo-0", 0x17d3a1b2c3d4e5f6LL, out, sizeof out);
    ck_assert_str_eq(out, "demo-0.17d3a1b2c3d4e5f6");
    memset(longname, 'a', 253);
    longname[253] = '\0';
    kube_event_name(longname, 0x1234, out, sizeof out);
    ck_assert_uint_eq(strlen(out), 253);
    ck_assert_str_eq(out + 253 - 5, ".1234");
    ck_assert_int_eq(out[0], 'a');
    /* A small buffer is never overrun. */
    kube_event_name("demo-0", 0x1234, out, 8);
    ck_assert_str_eq(out, "demo-0.");
}
END_TEST

START_TEST(cut_keeps_utf8_characters_whole)
{
    char s[32];

    strcpy(s, "abcdef");
    kube_event_cut(s, 10);
    ck_assert_str_eq(s, "abcdef");
    kube_event_cut(s, 3);
    ck_assert_str_eq(s, "abc");
    /* "é" is two bytes, "€" three: a cut inside either drops it whole. */
    strcpy(s, "ab\xc3\xa9");
    kube_event_cut(s, 3);
    ck_assert_str_eq(s, "ab");
    strcpy(s, "a\xe2\x82\xac");
    kube_event_cut(s, 3);
    ck_assert_str_eq(s, "a");
    strcpy(s, "a\xe2\x82\xac");
    kube_event_cut(s, 4);
    ck_assert_str_eq(s, "a\xe2\x82\xac");
    strcpy(s, "\xe2\x82\xac");
    kube_event_cut(s, 2);
    ck_assert_str_eq(s, "");
    kube_event_cut(s, 0);
    ck_assert_str_eq(s, "");
}
END_TEST

static kube_event_cache *cache(size_t cap, int64_t window)
{
    kube_event_cache *c = NULL;
    util_err err = {{0}};

    ck_assert_msg(kube_event_cache_new(cap, window, &c, &err) == 0, "%s", err.msg);
    return c;
}

static kube_event_entry *seen(kube_event_cache *c, const char *k, int64_t mono)
{
    kube_event_entry *e = kube_event_cache_observe(c, k, strlen(k), mono, mono + 1000 * S, NULL);

    ck_assert_ptr_nonnull(e);
    return e;
}

START_TEST(repeats_within_the_window_are_one_series)
{
    kube_event_cache *c = cache(8, 60 * S);
    kube_event_entry *e = seen(c, "a", 1 * S);
    uint64_t id = e->id;

    ck_assert_uint_eq(e->count, 1);
    ck_assert_ptr_null(e->event);
    ck_assert_uint_eq(e->written, 0);
    e = seen(c, "a", 30 * S);
    e = seen(c, "a", 90 * S); /* 60 s after the last, not the first */
    ck_assert_uint_eq(e->id, id);
    ck_assert_uint_eq(e->count, 3);
    ck_assert_int_eq(e->first_wall, 1001 * S);
    ck_assert_int_eq(e->last_wall, 1090 * S);
    ck_assert_uint_eq(kube_event_cache_len(c), 1);
    kube_event_cache_free(c);
}
END_TEST

/* The cache knows a series by its key's digest and keeps no copy of the
 * key: the recorder keeps the text only until the Event exists. */
START_TEST(series_are_found_by_the_digest_of_their_key)
{
    kube_event_cache *c = cache(8, 60 * S);
    kube_event_entry *e = kube_event_cache_observe(c, "a\0b", 3, S, S, NULL);
    unsigned char d[KUBE_EVENT_DIGEST_LEN], other[KUBE_EVENT_DIGEST_LEN];

    ck_assert_ptr_null(e->text);
    ck_assert_int_eq(kube_event_digest("a\0b", 3, d), 0);
    ck_assert_int_eq(kube_event_digest("a\0c", 3, other), 0);
    ck_assert_mem_eq(e->digest, d, sizeof d);
    ck_assert_ptr_eq(kube_event_cache_find_digest(c, d), e);
    ck_assert_ptr_eq(find(c, "a\0b", 3), e);
    ck_assert_ptr_null(kube_event_cache_find_digest(c, other));
    ck_assert_ptr_null(find(c, "a", 1)); /* a prefix is another key */
    kube_event_cache_free(c);
}
END_TEST

START_TEST(repeat_after_a_quiet_window_starts_a_new_series)
{
    kube_event_cache *c = cache(8, 60 * S);
    kube_event_entry *e = seen(c, "a", 1 * S);
    uint64_t id = e->id;

    seen(c, "a", 2 * S);
    e->event = strdup("ns/pod.1");
    e->written = 2;
    e = seen(c, "a", 62 * S + 1);
    ck_assert_uint_ne(e->id, id);
    ck_assert_uint_eq(e->count, 1);
    ck_assert_ptr_null(e->event);
    ck_assert_uint_eq(e->written, 0);
    ck_assert_int_eq(e->first_wall, 1062 * S + 1);
    ck_assert_uint_eq(kube_event_cache_len(c), 1);
    kube_event_cache_free(c);
}
END_TEST

/* A burst's series go once their window lapsed, if written: a repeat would
 * start a new series anyway. One with a write due stays for the writer. */
START_TEST(quiet_written_series_are_forgotten)
{
    kube_event_cache *c = cache(8, 60 * S);
    kube_event_entry *e;

    e = seen(c, "a", 1 * S);
    e->written = 1;
    seen(c, "b", 2 * S); /* never written */
    e = seen(c, "c", 3 * S);
    e->written = 1;
    seen(c, "d", 50 * S);
    ck_assert_uint_eq(kube_event_cache_len(c), 4);
    seen(c, "e", 70 * S);
    /* a went; b (write due) stays, and c, behind it, with it. */
    ck_assert_ptr_null(find(c, "a", 1));
    ck_assert_ptr_nonnull(find(c, "b", 1));
    ck_assert_ptr_nonnull(find(c, "c", 1));
    ck_assert_uint_eq(kube_event_cache_len(c), 4);
    find(c, "b", 1)->written = 1;
    find(c, "d", 1)->written = 1;
    seen(c, "f", 200 * S);
    /* b, c, d went; e's write is still due. */
    ck_assert_uint_eq(kube_event_cache_len(c), 2);
    ck_assert_ptr_nonnull(find(c, "e", 1));
    ck_assert_ptr_nonnull(find(c, "f", 1));
    kube_event_cache_free(c);
}
END_TEST

START_TEST(full_cache_drops_the_least_recently_seen)
{
    kube_event_cache *c = cache(2, 60 * S);
    kube_event_entry *e;
    bool dropped = true;

    seen(c, "a", 1 * S);
    e = seen(c, "b", 2 * S);
    e->written = 1;
    seen(c, "a", 3 * S); /* a is now more recent than b */
    e = kube_event_cache_observe(c, "c", 1, 4 * S, 4 * S, &dropped);
    ck_assert_ptr_nonnull(e);
    ck_assert(!dropped); /* b was written */
    ck_assert_uint_eq(kube_event_cache_len(c), 2);
    ck_assert_ptr_null(find(c, "b", 1));
    ck_assert_ptr_nonnull(find(c, "a", 1));
    /* Now a is the oldest, and not written: its loss is reported. */
    seen(c, "c", 5 * S);
    kube_event_cache_observe(c, "d", 1, 6 * S, 6 * S, &dropped);
    ck_assert(dropped);
    ck_assert_ptr_null(find(c, "a", 1));
    ck_assert_uint_eq(kube_event_cache_len(c), 2);
    kube_event_cache_free(c);
}
END_TEST

START_TEST(due_writes_come_oldest_first_and_backoff_holds_them)
{
    kube_event_cache *c = cache(8, 60 * S);
    kube_event_entry *a = seen(c, "a", 1 * S), *b = seen(c, "b", 2 * S), *e;
    int64_t next = 0;

    ck_assert_uint_eq(kube_event_cache_unwritten(c), 2);
    e = kube_event_cache_due(c, 2 * S, &next);
    ck_assert_ptr_eq(e, a);
    a->written = a->count;
    ck_assert_ptr_eq(kube_event_cache_due(c, 2 * S, NULL), b);
    b->retry_mono = 10 * S;
    ck_assert_ptr_null(kube_event_cache_due(c, 3 * S, &next));
    ck_assert_int_eq(next, 10 * S);
    ck_assert_uint_eq(kube_event_cache_unwritten(c), 1);
    ck_assert_ptr_eq(kube_event_cache_due(c, 10 * S, &next), b);
    b->written = 1;
    ck_assert_ptr_null(kube_event_cache_due(c, 10 * S, &next));
    ck_assert_int_eq(next, INT64_MAX);
    /* A repeat of a written series makes it due again. */
    seen(c, "a", 11 * S);
    ck_assert_ptr_eq(kube_event_cache_due(c, 11 * S, NULL), a);
    ck_assert_uint_eq(a->count, 2);
    ck_assert_uint_eq(a->written, 1);
    kube_event_cache_free(c);
}
END_TEST

START_TEST(cache_refuses_zero_capacity)
{
    kube_event_cache *c = (kube_event_cache *)1;
    util_err err = {{0}};

    ck_assert_int_eq(kube_event_cache_new(0, 1, &c, &err), -1);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.msg, "event cache: need cap >= 1 and window >= 0");
}
END_TEST

START_TEST(recorder_refuses_what_the_api_would)
{
    kube_config cfg = {.server = "https://127.0.0.1:1", .namespace = "default"};
    kube_event_recorder_options o = {0};
    kube_event_recorder *r = NULL;
    util_err err = {{0}};
    char big[200];

    ck_assert_int_eq(kube_event_recorder_new(&cfg, &o, &r, &err), -1);
    ck_assert_str_eq(err.msg, "event recorder: reportingController is required");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    o.controller = "berth.io/operator";
    o.instance = big;
    ck_assert_int_eq(kube_event_recorder_new(&cfg, &o, &r, &err), -1);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(err.msg, "must be 1 to 128 characters"));
    o.instance = "op-0";
    o.qps = -1;
    ck_assert_msg(kube_event_recorder_new(&cfg, &o, &r, &err) == 0, "%s", err.msg);
    /* Events without a kind, name or reason are not recorded at all. */
    kube_event_record(r, &(kube_event_ref){.kind = "Pod"}, KUBE_EVENT_NORMAL, "R", "m");
    kube_event_record(r, &pod, KUBE_EVENT_NORMAL, "", "m");
    kube_event_stats st;
    kube_event_recorder_stats(r, &st);
    ck_assert_uint_eq(st.recorded, 0);
    ck_assert_uint_eq(st.series, 0);
    ck_assert_int_eq(kube_event_recorder_flush(r, 0, &err), 0);
    /* One that is: a series with its write due (this server never
     * answers). */
    kube_event_record(r, &pod, KUBE_EVENT_NORMAL, "Started", "m");
    kube_event_recorder_stats(r, &st);
    ck_assert_uint_eq(st.recorded, 1);
    ck_assert_uint_eq(st.series, 1);
    ck_assert_uint_eq(st.unwritten, 1);
    kube_event_recorder_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_events");
    TCase *helpers = tcase_create("helpers");
    TCase *series = tcase_create("cache");

    tcase_add_test(helpers, key_differs_in_every_field_but_resource_version);
    tcase_add_test(helpers, key_fields_cannot_run_into_each_other);
    tcase_add_test(helpers, event_name_is_object_name_and_hex_time);
    tcase_add_test(helpers, cut_keeps_utf8_characters_whole);
    tcase_add_test(helpers, recorder_refuses_what_the_api_would);
    suite_add_tcase(s, helpers);

    tcase_add_test(series, repeats_within_the_window_are_one_series);
    tcase_add_test(series, series_are_found_by_the_digest_of_their_key);
    tcase_add_test(series, repeat_after_a_quiet_window_starts_a_new_series);
    tcase_add_test(series, quiet_written_series_are_forgotten);
    tcase_add_test(series, full_cache_drops_the_least_recently_seen);
    tcase_add_test(series, due_writes_come_oldest_first_and_backoff_holds_them);
    tcase_add_test(series, cache_refuses_zero_capacity);
    suite_add_tcase(s, series);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
