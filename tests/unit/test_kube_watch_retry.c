/* The watch's decisions about how a connection ended, each forced by a
 * loopback HTTP server that plays a script of answers (the real API server
 * cannot be made to send garbage or a 503 on cue): 410 as an HTTP status and
 * as an ERROR event both come back as KUBE_WATCH_GONE; a 403 comes back at
 * once with its Status; bad bytes, a stream cut inside an event, a 503 and
 * an ERROR event with another code are retried from the last resourceVersion delivered, bookmarks
 * included, never from one the callback refused; the query carries watch,
 * bookmarks, the selectors (escaped) and timeoutSeconds. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/watch.h"
#include "support/curl_suite.h"
#include "support/http_script.h"

#define OK_HEAD HTTP_SCRIPT_OK
#define STATUS  HTTP_SCRIPT_STATUS

#define CM(type, name, rv)                                                                         \
    "{\"type\":\"" type "\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" name     \
    "\",\"resourceVersion\":\"" rv "\"}}}\n"
#define BOOKMARK(rv)                                                                               \
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{"                     \
    "\"resourceVersion\":\"" rv "\"}}}\n"
#define ERROR_EVENT(code, reason)                                                                  \
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"        \
    "\"Failure\",\"message\":\"scripted\",\"reason\":\"" reason "\",\"code\":" #code "}}\n"

typedef struct seen {
    char lines[16][64];
    int n;
    int refuse_at; /* the callback refuses its n-th event (1-based); 0: never */
} seen;

static int on_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    seen *s = ctx;

    if (s->refuse_at != 0 && s->n + 1 == s->refuse_at)
        return util_err_set(err, "refused on purpose");
    ck_assert_int_lt(s->n, 16);
    snprintf(s->lines[s->n++], sizeof s->lines[0], "%s %s", kube_watch_event_type_name(ev->type),
             ev->resource_version);
    return 0;
}

static kube_watch *watch_for(kube_client *c, const kube_watch_opts *o)
{
    kube_watch *w = NULL;
    util_err err = {{0}};

    ck_assert_msg(kube_watch_new(c, "/api/v1/namespaces/ns/configmaps", o, &w, &err) == 0, "%s",
                  err.msg);
    return w;
}

/* The resourceVersion a request line asked for, or "" if none. */
static const char *rv_of(const char *request, char *buf, size_t size)
{
    const char *p = strstr(request, "resourceVersion=");

    buf[0] = '\0';
    if (p != NULL)
        snprintf(buf, size, "%.*s", (int)strcspn(p + 16, "& "), p + 16);
    return buf;
}

START_TEST(gone_as_an_http_status_is_returned_with_the_status)
{
    http_script s = {.steps = 1,
                     .answers = {STATUS(410, "Gone") "{\"kind\":\"Status\",\"code\":410,"
                                                     "\"reason\":\"Expired\",\"message\":"
                                                     "\"too old resource version: 3 (9)\"}"}};
    kube_client *c;
    kube_watch *w;
    kube_status st;
    util_err err = {{0}};
    seen ev = {0};
    int rc;

    http_script_start(&s);
    c = http_script_kube_client(&s);
    w = watch_for(c, NULL);
    rc = kube_watch_run(w, "3", on_event, &ev, &st, &err);
    ck_assert_msg(rc == KUBE_WATCH_GONE, "%d %s", rc, err.msg);
    ck_assert_int_eq(st.code, 410);
    ck_assert_str_eq(st.reason, "Expired");
    ck_assert_ptr_nonnull(strstr(err.msg, "too old resource version"));
    ck_assert_int_eq(ev.n, 0);
    ck_assert_uint_eq(kube_watch_connects(w), 1);
    kube_watch_free(w);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

START_TEST(a_refusal_is_returned_at_once)
{
    http_script s = {.steps = 1,
                     .answers = {STATUS(403, "Forbidden") "{\"kind\":\"Status\",\"code\":"
                                                          "403,\"reason\":\"Forbidden\","
                                                          "\"message\":\"cannot watch "
                                                          "here\"}"}};
    kube_client *c;
    kube_watch *w;
    kube_status st;
    util_err err = {{0}};
    seen ev = {0};

    http_script_start(&s);
    c = http_script_kube_client(&s);
    w = watch_for(c, NULL);
    ck_assert_int_eq(kube_watch_run(w, "3", on_event, &ev, &st, &err), KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 403);
    ck_assert_msg(strstr(err.msg, "403 Forbidden: cannot watch here") != NULL, "%s", err.msg);
    ck_assert_uint_eq(kube_watch_connects(w), 1);
    kube_watch_free(w);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

START_TEST(failures_are_retried_from_the_last_version_delivered)
{
    http_script s = {
        .steps = 5,
        .answers =
            {
                OK_HEAD CM("ADDED", "a", "5") "not an event\n",
                STATUS(503, "Service Unavailable") "{}",
                OK_HEAD ERROR_EVENT(500, "InternalError"),
                OK_HEAD CM("MODIFIED", "a", "7") BOOKMARK("9") "{\"type\":\"ADDED\",\"obj",
                OK_HEAD ERROR_EVENT(410, "Expired"),
            },
    };
    kube_watch_opts o = {.backoff_base_ms = 20,
                         .backoff_max_ms = 40,
                         .timeout_seconds = 30,
                         .label_selector = "app in (a,b)",
                         .field_selector = "metadata.name!=x"};
    kube_client *c;
    kube_watch *w;
    kube_status st;
    util_err err = {{0}};
    seen ev = {0};
    char rv[32];
    int rc;

    http_script_start(&s);
    c = http_script_kube_client(&s);
    w = watch_for(c, &o);
    rc = kube_watch_run(w, "4", on_event, &ev, &st, &err);
    ck_assert_msg(rc == KUBE_WATCH_GONE, "%d %s", rc, err.msg);
    ck_assert_int_eq(st.code, 410);
    ck_assert_int_eq(s.served, 5);
    ck_assert_uint_eq(kube_watch_connects(w), 5);

    ck_assert_int_eq(ev.n, 3);
    ck_assert_str_eq(ev.lines[0], "ADDED 5");
    ck_assert_str_eq(ev.lines[1], "MODIFIED 7");
    ck_assert_str_eq(ev.lines[2], "BOOKMARK 9");
    ck_assert_str_eq(kube_watch_resource_version(w), "9");

    ck_assert_str_eq(rv_of(s.requests[0], rv, sizeof rv), "4");
    ck_assert_str_eq(rv_of(s.requests[1], rv, sizeof rv), "5");
    ck_assert_str_eq(rv_of(s.requests[2], rv, sizeof rv), "5");
    ck_assert_str_eq(rv_of(s.requests[3], rv, sizeof rv), "5");
    ck_assert_str_eq(rv_of(s.requests[4], rv, sizeof rv), "9");
    ck_assert_str_eq(s.requests[0],
                     "GET /api/v1/namespaces/ns/configmaps?watch=1&allowWatchBookmarks=true&"
                     "resourceVersion=4&timeoutSeconds=30&labelSelector=app%20in%20%28a%2Cb%29&"
                     "fieldSelector=metadata.name%21%3Dx HTTP/1.1");
    kube_watch_free(w);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

START_TEST(a_refused_event_stops_the_run_and_is_not_counted_as_seen)
{
    http_script s = {
        .steps = 1,
        .answers = {OK_HEAD CM("ADDED", "a", "5") CM("ADDED", "b", "6") CM("ADDED", "c", "7")}};
    kube_client *c;
    kube_watch *w;
    kube_watch_opts o = {.no_bookmarks = true, .timeout_seconds = 10};
    util_err err = {{0}};
    seen ev = {.refuse_at = 2};
    int rc;

    http_script_start(&s);
    c = http_script_kube_client(&s);
    w = watch_for(c, &o);
    rc = kube_watch_run(w, NULL, on_event, &ev, NULL, &err);
    ck_assert_int_eq(rc, KUBE_ERR);
    ck_assert_msg(strstr(err.msg, "ADDED event: refused on purpose") != NULL, "%s", err.msg);
    ck_assert_int_eq(ev.n, 1);
    ck_assert_str_eq(kube_watch_resource_version(w), "5");
    ck_assert_ptr_null(strstr(s.requests[0], "resourceVersion="));
    ck_assert_ptr_null(strstr(s.requests[0], "allowWatchBookmarks"));
    kube_watch_free(w);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

START_TEST(bad_paths_and_options_are_refused)
{
    http_script s = {.steps = 0};
    kube_watch_opts neg = {.backoff_base_ms = -1};
    kube_client *c;
    kube_watch *w = NULL;
    util_err err = {{0}};

    http_script_start(&s);
    c = http_script_kube_client(&s);
    ck_assert_int_eq(kube_watch_new(c, "api/v1/pods", NULL, &w, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "must start with '/'"));
    ck_assert_int_eq(kube_watch_new(c, "/api/v1/pods?watch=1", NULL, &w, &err), -1);
    ck_assert_int_eq(kube_watch_new(c, "/api/v1/pods", &neg, &w, &err), -1);
    ck_assert_ptr_null(w);
    kube_watch_free(NULL);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_watch_retry");
    TCase *tc = tcase_create("script");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, gone_as_an_http_status_is_returned_with_the_status);
    tcase_add_test(tc, a_refusal_is_returned_at_once);
    tcase_add_test(tc, failures_are_retried_from_the_last_version_delivered);
    tcase_add_test(tc, a_refused_event_stops_the_run_and_is_not_counted_as_seen);
    tcase_add_test(tc, bad_paths_and_options_are_refused);
    suite_add_tcase(s, tc);

    return curl_suite_run(s);
}
