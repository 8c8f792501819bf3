/* The watch parser yields the same events however the stream is cut: a golden
 * stream split at every byte boundary, fed byte by byte or in odd-sized
 * chunks, always gives the golden events (UTF-8 characters split included).
 * It frames by braces outside strings, so braces and escaped quotes inside
 * strings and events without newlines between them are handled; BOOKMARK
 * carries the resourceVersion and ERROR's Status gives code 410. It refuses,
 * with a message naming what and where, oversize events, bytes between
 * events, invalid JSON and events lacking type or object; failure is sticky
 * until reset. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/watch_parse.h"

/* A watch of Pods as the API server writes it (shortened objects), with a
 * few hostile touches: braces, escaped quotes and backslashes inside strings,
 * multi-byte UTF-8, \u escapes, CRLF and no separator at all between two
 * events. */
static const char golden[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"name\":\"demo-0\",\"namespace\":\"kafka\",\"uid\":\"0b6c0e36-3a43-4a4c-9d8e-"
    "1f3a2b4c5d6e\",\"resourceVersion\":\"1001\",\"labels\":{\"app.kubernetes.io/name\":"
    "\"kafka\",\"statefulset.kubernetes.io/pod-name\":\"demo-0\"},\"annotations\":{"
    "\"note\":\"{not a brace} \\\"quoted {\\\" and \\\\\",\"tmpl\":\"}}}{{{\"}},\"spec\":{"
    "\"nodeName\":\"n1\",\"containers\":[{\"name\":\"kafka\",\"image\":\"apache/kafka:4.1.0\","
    "\"args\":[\"--override\",\"a={b}\"]}]},\"status\":{\"phase\":\"Pending\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"demo-0\","
    "\"namespace\":\"kafka\",\"resourceVersion\":\"1002\",\"annotations\":{\"owner\":"
    "\"zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80\",\"esc\":\"\\u00e9\\u007b\\\\\"}},"
    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":"
    "\"True\"}]}}}\r\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":"
    "{\"resourceVersion\":\"1005\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}"
    "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"demo-0\","
    "\"namespace\":\"kafka\",\"resourceVersion\":\"1007\"},\"x\":\"\\\\\",\"y\":\"\\\\\\\"}\"}}\n"
    "  \n"
    "{ \"object\" : {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
    "\"Failure\",\"message\":\"too old resource version: 1001 (1007)\",\"reason\":"
    "\"Expired\",\"code\":410}, \"type\" : \"ERROR\" }\n";

/* What the golden stream must decode to: type, resourceVersion, object. */
static const char *const golden_events[] = {
    "ADDED 1001 {\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"demo-0\","
    "\"namespace\":\"kafka\",\"uid\":\"0b6c0e36-3a43-4a4c-9d8e-1f3a2b4c5d6e\","
    "\"resourceVersion\":\"1001\",\"labels\":{\"app.kubernetes.io/name\":\"kafka\","
    "\"statefulset.kubernetes.io/pod-name\":\"demo-0\"},\"annotations\":{\"note\":"
    "\"{not a brace} \\\"quoted {\\\" and \\\\\",\"tmpl\":\"}}}{{{\"}},\"spec\":{\"nodeName\":"
    "\"n1\",\"containers\":[{\"name\":\"kafka\",\"image\":\"apache/kafka:4.1.0\",\"args\":"
    "[\"--override\",\"a={b}\"]}]},\"status\":{\"phase\":\"Pending\"}}",
    "MODIFIED 1002 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"demo-0\",\"namespace\":\"kafka\","
    "\"resourceVersion\":\"1002\",\"annotations\":{\"owner\":\"zo\xc3\xab \xe6\x97\xa5\xe6\x9c"
    "\xac \xf0\x9f\x9a\x80\",\"esc\":\"\xc3\xa9{\\\\\"}},\"status\":{\"phase\":\"Running\","
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
    "BOOKMARK 1005 {\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":"
    "\"1005\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}",
    "DELETED 1007 {\"kind\":\"Pod\",\"metadata\":{\"name\":\"demo-0\",\"namespace\":\"kafka\","
    "\"resourceVersion\":\"1007\"},\"x\":\"\\\\\",\"y\":\"\\\\\\\"}\"}",
    "ERROR - {\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"too old resource version: 1001 (1007)\",\"reason\":\"Expired\",\"code\":410}",
};
#define NGOLDEN (sizeof golden_events / sizeof golden_events[0])

#define MAX_SEEN 16

/* Collects events as "TYPE rv object" lines; keeps ERROR statuses. */
typedef struct seen {
    size_t n;
    char *line[MAX_SEEN];
    int status_rc, code; /* the ERROR event's Status, copied: it dies with the event */
    char reason[64], message[KUBE_STATUS_MESSAGE_MAX];
    int fail_at; /* 1-based event number whose callback fails; 0: none */
    cJSON *kept; /* an object taken from the parser, when keep is set */
    int keep;
} seen;

static int collect(kube_watch_event *ev, void *ctx, util_err *err)
{
    seen *s = ctx;
    char *obj = cJSON_PrintUnformatted(ev->object);
    size_t len;

    ck_assert_ptr_nonnull(obj);
    ck_assert_uint_lt(s->n, MAX_SEEN);
    len = strlen(obj) + 64;
    s->line[s->n] = malloc(len);
    snprintf(s->line[s->n], len, "%s %s %s", kube_watch_event_type_name(ev->type),
             ev->resource_version ? ev->resource_version : "-", obj);
    free(obj);
    s->n++;
    if (ev->type == KUBE_WATCH_ERROR) {
        kube_status st;
        s->status_rc = kube_watch_status(ev->object, &st, NULL);
        s->code = st.code;
        snprintf(s->reason, sizeof s->reason, "%s", st.reason);
        snprintf(s->message, sizeof s->message, "%s", st.message);
    }
    if (s->keep && s->kept == NULL) {
        s->kept = ev->object;
        ev->object = NULL;
    }
    if (s->fail_at != 0 && (size_t)s->fail_at == s->n)
        return util_err_set(err, "handler: stop at %zu", s->n);
    return 0;
}

static void seen_clear(seen *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->line[i]);
    cJSON_Delete(s->kept);
    memset(s, 0, sizeof *s);
}

static kube_watch_parser *new_parser(size_t max)
{
    kube_watch_parser_opts o = {.max_event_bytes = max};
    kube_watch_parser *p = NULL;
    util_err err = {{0}};

    ck_assert_msg(kube_watch_parser_new(&o, &p, &err) == 0, "%s", err.msg);
    return p;
}

/* Feeds s in pieces, each copied to its own exact-size heap block so ASan
 * sees any read past a chunk. */
static int feed_copy(kube_watch_parser *p, const char *d, size_t n, seen *s, util_err *err)
{
    char *copy = malloc(n ? n : 1);
    int rc;

    memcpy(copy, d, n);
    rc = kube_watch_parser_feed(p, copy, n, collect, s, err);
    free(copy);
    return rc;
}

static void expect_golden(const seen *s, const char *how)
{
    size_t i;

    ck_assert_msg(s->n == NGOLDEN, "%s: %zu events, want %zu", how, s->n, NGOLDEN);
    for (i = 0; i < NGOLDEN; i++)
        ck_assert_msg(strcmp(s->line[i], golden_events[i]) == 0, "%s: event %zu:\n got %s\nwant %s",
                      how, i, s->line[i], golden_events[i]);
    ck_assert_int_eq(s->status_rc, 0);
    ck_assert_int_eq(s->code, KUBE_STATUS_GONE);
}

START_TEST(golden_stream_in_one_chunk)
{
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};

    ck_assert_msg(feed_copy(p, golden, sizeof golden - 1, &s, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(kube_watch_parser_finish(p, &err), 0);
    expect_golden(&s, "one chunk");
    ck_assert_str_eq(s.reason, "Expired");
    ck_assert_str_eq(s.message, "too old resource version: 1001 (1007)");
    seen_clear(&s);
    kube_watch_parser_free(p);
}
END_TEST

START_TEST(golden_stream_split_at_every_byte_boundary)
{
    const size_t n = sizeof golden - 1;
    char how[64];
    size_t cut;

    for (cut = 0; cut <= n; cut++) {
        kube_watch_parser *p = new_parser(0);
        util_err err = {{0}};
        seen s = {0};

        snprintf(how, sizeof how, "cut at %zu", cut);
        ck_assert_msg(feed_copy(p, golden, cut, &s, &err) == 0, "%s: %s", how, err.msg);
        ck_assert_msg(feed_copy(p, golden + cut, n - cut, &s, &err) == 0, "%s: %s", how, err.msg);
        ck_assert_int_eq(kube_watch_parser_finish(p, &err), 0);
        expect_golden(&s, how);
        seen_clear(&s);
        kube_watch_parser_free(p);
    }
}
END_TEST

START_TEST(golden_stream_in_chunks_of_every_size)
{
    const size_t n = sizeof golden - 1;
    char how[64];
    size_t size, off;

    /* Size 1 puts a boundary at every byte at once, including inside each
     * UTF-8 character and between a backslash and what it escapes. */
    for (size = 1; size <= 64; size++) {
        kube_watch_parser *p = new_parser(0);
        util_err err = {{0}};
        seen s = {0};

        snprintf(how, sizeof how, "chunks of %zu", size);
        for (off = 0; off < n; off += size) {
            size_t len = n - off < size ? n - off : size;
            ck_assert_msg(feed_copy(p, golden + off, len, &s, &err) == 0, "%s: %s", how, err.msg);
        }
        ck_assert_int_eq(kube_watch_parser_finish(p, &err), 0);
        expect_golden(&s, how);
        seen_clear(&s);
        kube_watch_parser_free(p);
    }
}
END_TEST

START_TEST(several_events_in_one_chunk_without_newlines)
{
    static const char in[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":"
                             "\"1\"}}}{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{"
                             "\"resourceVersion\":\"2\"}}}{\"type\":\"DELETED\",\"object\":{}}";
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};

    ck_assert_msg(feed_copy(p, in, sizeof in - 1, &s, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_str_eq(s.line[0], "ADDED 1 {\"metadata\":{\"resourceVersion\":\"1\"}}");
    ck_assert_str_eq(s.line[1], "MODIFIED 2 {\"metadata\":{\"resourceVersion\":\"2\"}}");
    ck_assert_str_eq(s.line[2], "DELETED - {}");
    seen_clear(&s);
    kube_watch_parser_free(p);
}
END_TEST

START_TEST(bookmark_gives_its_resource_version_and_needs_one)
{
    static const char ok[] = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\","
                             "\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"88\"}}}\n";
    static const char bad[] = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\"}}\n";
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};

    ck_assert_int_eq(feed_copy(p, ok, sizeof ok - 1, &s, &err), 0);
    ck_assert_uint_eq(s.n, 1);
    ck_assert(strncmp(s.line[0], "BOOKMARK 88 ", 12) == 0);
    ck_assert_int_lt(feed_copy(p, bad, sizeof bad - 1, &s, &err), 0);
    ck_assert_str_eq(err.msg, "watch event #2 (stream offset 104): BOOKMARK without "
                              "metadata.resourceVersion");
    seen_clear(&s);
    kube_watch_parser_free(p);
}
END_TEST

START_TEST(error_event_surfaces_status_410)
{
    static const char in[] =
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
        "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 5 "
        "(9)\",\"reason\":\"Gone\",\"code\":410}}\n";
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};

    ck_assert_int_eq(feed_copy(p, in, sizeof in - 1, &s, &err), 0);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_int_eq(s.status_rc, 0);
    ck_assert_int_eq(s.code, 410);
    ck_assert_str_eq(s.reason, "Gone");
    ck_assert_str_eq(s.message, "too old resource version: 5 (9)");
    seen_clear(&s);
    kube_watch_parser_free(p);
}
END_TEST

START_TEST(status_helper_checks_types_and_defaults)
{
    cJSON *j = cJSON_Parse("{\"kind\":\"Status\"}");
    kube_status st;
    util_err err = {{0}};

    ck_assert_int_eq(kube_watch_status(j, &st, &err), 0);
    ck_assert_int_eq(st.code, 0);
    ck_assert_str_eq(st.reason, "");
    ck_assert_str_eq(st.message, "");
    cJSON_Delete(j);
    j = cJSON_Parse("{\"code\":\"410\"}");
    ck_assert_int_lt(kube_watch_status(j, &st, &err), 0);
    ck_assert_str_eq(err.msg, "Status: \"code\" is not an HTTP status code");
    cJSON_Delete(j);
    j = cJSON_Parse("{\"code\":410,\"reason\":7}");
    ck_assert_int_lt(kube_watch_status(j, &st, &err), 0);
    ck_assert_str_eq(err.msg, "Status: \"reason\" is not a string");
    cJSON_Delete(j);
    j = cJSON_Parse("[410]");
    ck_assert_int_lt(kube_watch_status(j, &st, &err), 0);
    ck_assert_str_eq(err.msg, "Status: not a JSON object");
    cJSON_Delete(j);
    ck_assert_int_lt(kube_watch_status(NULL, &st, NULL), 0);
}
END_TEST

/* An event of exactly n bytes: {"type":"ADDED","object":{"p":"xxx..."}} */
static char *event_of_size(size_t n)
{
    static const char head[] = "{\"type\":\"ADDED\",\"object\":{\"p\":\"";
    static const char tail[] = "\"}}";
    char *e = malloc(n + 1);

    memcpy(e, head, sizeof head - 1);
    memset(e + sizeof head - 1, 'x', n - (sizeof head - 1) - (sizeof tail - 1));
    memcpy(e + n - (sizeof tail - 1), tail, sizeof tail);
    return e;
}

START_TEST(oversize_event_is_rejected_and_the_limit_itself_is_fine)
{
    char *at_limit = event_of_size(1024), *over = event_of_size(1025);
    kube_watch_parser *p = new_parser(1024);
    util_err err = {{0}};
    seen s = {0};
    size_t off;
    int rc = 0;

    ck_assert_msg(feed_copy(p, at_limit, 1024, &s, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_int_eq(feed_copy(p, "\n", 1, &s, &err), 0);
    /* Over the limit, whether seen whole or while still arriving. */
    for (off = 0; off < 1025 && rc == 0; off += 100)
        rc = feed_copy(p, over + off, 1025 - off < 100 ? 1025 - off : 100, &s, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_uint_eq(off, 1100); /* refused on the byte that crossed it, not before */
    ck_assert_str_eq(err.msg, "watch event #2 (stream offset 1025): larger than the "
                              "1024-byte limit");
    ck_assert(kube_watch_parser_failed(p));
    kube_watch_parser_free(p);

    p = new_parser(1024);
    ck_assert_int_lt(feed_copy(p, over, 1025, &s, &err), 0);
    ck_assert_str_eq(err.msg, "watch event #1 (stream offset 0): larger than the "
                              "1024-byte limit");
    /* Endless input with no closing brace stays bounded. */
    kube_watch_parser_reset(p);
    ck_assert_int_eq(feed_copy(p, "{\"a\":\"", 6, &s, &err), 0);
    rc = 0;
    for (off = 0; off < 100 && rc == 0; off++)
        rc = feed_copy(p, "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{", 32, &s, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_uint_eq(off, 32); /* 6 + 32 * 32 > 1024 */
    seen_clear(&s);
    kube_watch_parser_free(p);
    free(at_limit);
    free(over);
}
END_TEST

/* Feeds bad input to a fresh parser and returns the error message. */
static const char *reject(const char *in, util_err *err)
{
    kube_watch_parser *p = new_parser(0);
    seen s = {0};

    ck_assert_int_lt(feed_copy(p, in, strlen(in), &s, err), 0);
    ck_assert(kube_watch_parser_failed(p));
    seen_clear(&s);
    kube_watch_parser_free(p);
    return err->msg;
}

START_TEST(garbage_is_rejected_saying_what_and_where)
{
    util_err err = {{0}};

    ck_assert_str_eq(reject("<html><body>502 Bad Gateway</body></html>", &err),
                     "watch stream offset 0: unexpected '<' between events (expected '{')");
    ck_assert_str_eq(reject("{\"type\":\"ADDED\",\"object\":{}}\n\x01", &err),
                     "watch stream offset 29: unexpected '\\x01' between events "
                     "(expected '{')");
    ck_assert_str_eq(reject("{\"type\":\"ADDED\",\"object\":{\"a\":tru}}", &err),
                     "watch event #1 (stream offset 0): not valid JSON at byte 30 of the "
                     "event, near 'tru}}'");
    ck_assert_str_eq(reject("{\"object\":{}}", &err),
                     "watch event #1 (stream offset 0): missing \"type\"");
    ck_assert_str_eq(reject("{\"type\":\"ADDED\"}", &err),
                     "watch event #1 (stream offset 0): missing \"object\"");
    ck_assert_str_eq(reject("{\"type\":\"ADDED\",\"object\":[1]}", &err),
                     "watch event #1 (stream offset 0): \"object\" is not a JSON object");
    ck_assert_str_eq(reject("{\"type\":1,\"object\":{}}", &err),
                     "watch event #1 (stream offset 0): \"type\" is not a string");
    ck_assert_str_eq(reject("{\"type\":\"UPSERTED\",\"object\":{}}", &err),
                     "watch event #1 (stream offset 0): unknown type 'UPSERTED'");
    ck_assert_str_eq(reject("{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"pods is "
                            "forbidden\",\"reason\":\"Forbidden\",\"code\":403}",
                            &err),
                     "watch event #1 (stream offset 0): a Status, not an event: code 403, "
                     "reason 'Forbidden': pods is forbidden");
}
END_TEST

START_TEST(failure_is_sticky_until_reset)
{
    static const char good[] = "{\"type\":\"ADDED\",\"object\":{}}\n";
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}}, again = {{0}};
    seen s = {0};

    ck_assert_int_eq(feed_copy(p, good, sizeof good - 1, &s, &err), 0);
    ck_assert_int_lt(feed_copy(p, "nope", 4, &s, &err), 0);
    ck_assert_int_lt(feed_copy(p, good, sizeof good - 1, &s, &again), 0);
    ck_assert_str_eq(again.msg, err.msg);
    ck_assert_int_lt(kube_watch_parser_finish(p, &again), 0);
    ck_assert_str_eq(again.msg, err.msg);
    ck_assert_uint_eq(s.n, 1);
    kube_watch_parser_reset(p);
    ck_assert(!kube_watch_parser_failed(p));
    ck_assert_int_eq(feed_copy(p, good, sizeof good - 1, &s, &err), 0);
    ck_assert_uint_eq(s.n, 2);
    seen_clear(&s);
    kube_watch_parser_free(p);
}
END_TEST

START_TEST(stream_cut_inside_an_event_is_reported_by_finish)
{
    static const char in[] = "{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"MODIF";
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};

    ck_assert_int_eq(feed_copy(p, in, sizeof in - 1, &s, &err), 0);
    ck_assert_int_lt(kube_watch_parser_finish(p, &err), 0);
    ck_assert_str_eq(err.msg, "watch event #2 (stream offset 29): stream ended inside the event");
    seen_clear(&s);
    kube_watch_parser_free(p);
}
END_TEST

START_TEST(strings_with_braces_and_escaped_quotes_do_not_end_an_event)
{
    /* Each value would close the event early if strings were not tracked,
     * or reopen one if escapes were not: \" inside, \\ right before the
     * closing quote, and braces everywhere. */
    static const char in[] = "{\"type\":\"ADDED\",\"object\":{\"a\":\"}\",\"b\":\"\\\"}\","
                             "\"c\":\"\\\\\",\"d\":\"\\\\\\\"{\",\"}{\":\"{{\"}}";
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};
    size_t i;

    /* Byte by byte, so every escape state crosses a chunk boundary. */
    for (i = 0; i < sizeof in - 1; i++)
        ck_assert_msg(feed_copy(p, in + i, 1, &s, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_str_eq(s.line[0], "ADDED - {\"a\":\"}\",\"b\":\"\\\"}\",\"c\":\"\\\\\",\"d\":"
                                "\"\\\\\\\"{\",\"}{\":\"{{\"}");
    ck_assert_int_eq(kube_watch_parser_finish(p, &err), 0);
    seen_clear(&s);
    kube_watch_parser_free(p);
}
END_TEST

START_TEST(callback_may_keep_the_object_or_stop_the_stream)
{
    static const char in[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":"
                             "\"7\"}}}\n{\"type\":\"ADDED\",\"object\":{}}\n"
                             "{\"type\":\"ADDED\",\"object\":{}}\n";
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};

    s.keep = 1;
    s.fail_at = 2;
    ck_assert_int_lt(feed_copy(p, in, sizeof in - 1, &s, &err), 0);
    ck_assert_str_eq(err.msg, "handler: stop at 2");
    ck_assert_uint_eq(s.n, 2); /* the third event was not delivered */
    ck_assert(kube_watch_parser_failed(p));
    /* The kept object outlives the parser and the chunk. */
    kube_watch_parser_free(p);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(s.kept, "metadata"), "resourceVersion")
                         ->valuestring,
                     "7");
    seen_clear(&s);
}
END_TEST

START_TEST(whitespace_only_and_empty_feeds_are_fine)
{
    kube_watch_parser *p = new_parser(0);
    util_err err = {{0}};
    seen s = {0};

    ck_assert_int_eq(kube_watch_parser_feed(p, NULL, 0, collect, &s, &err), 0);
    ck_assert_int_eq(feed_copy(p, " \r\n\t\n", 5, &s, &err), 0);
    ck_assert_int_eq(kube_watch_parser_finish(p, &err), 0);
    ck_assert_uint_eq(s.n, 0);
    kube_watch_parser_free(p);
    kube_watch_parser_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_watch_parse");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, golden_stream_in_one_chunk);
    tcase_add_test(tc, golden_stream_split_at_every_byte_boundary);
    tcase_add_test(tc, golden_stream_in_chunks_of_every_size);
    tcase_add_test(tc, several_events_in_one_chunk_without_newlines);
    tcase_add_test(tc, bookmark_gives_its_resource_version_and_needs_one);
    tcase_add_test(tc, error_event_surfaces_status_410);
    tcase_add_test(tc, status_helper_checks_types_and_defaults);
    tcase_add_test(tc, oversize_event_is_rejected_and_the_limit_itself_is_fine);
    tcase_add_test(tc, garbage_is_rejected_saying_what_and_where);
    tcase_add_test(tc, failure_is_sticky_until_reset);
    tcase_add_test(tc, stream_cut_inside_an_event_is_reported_by_finish);
    tcase_add_test(tc, strings_with_braces_and_escaped_quotes_do_not_end_an_event);
    tcase_add_test(tc, callback_may_keep_the_object_or_stop_the_stream);
    tcase_add_test(tc, whitespace_only_and_empty_feeds_are_fine);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
