/* kube_list_each hands a list over page by page, each page's items stamped
 * with apiVersion and kind, and the snapshot's resourceVersion back; when a
 * continue token expires (410 on a later page) it starts over once without
 * paging and says so to the page function; a 410 on the first page is the
 * caller's and comes back as it is; a page function's refusal stops it.
 * The pages come from a loopback server playing scripted answers. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/object.h"
#include "kube/verbs.h"
#include "support/curl_suite.h"
#include "support/http_script.h"

#define GONE                                                                                       \
    HTTP_SCRIPT_STATUS(410, "Gone")                                                                \
    "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"continue expired\"}"
#define PAGE(rv, cont, items)                                                                      \
    HTTP_SCRIPT_OK "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{"              \
                   "\"resourceVersion\":\"" rv "\"" cont "},\"items\":[" items "]}"
#define ITEM(name) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"ns\"}}"

typedef struct pages {
    char lines[8][128];
    int n;
    int refuse_at; /* 1-based page to refuse; 0: none */
} pages;

static int on_page(cJSON *page, bool restart, void *ctx, util_err *err)
{
    pages *p = ctx;
    const cJSON *it;
    char *l;

    if (p->refuse_at != 0 && p->n + 1 == p->refuse_at)
        return util_err_set(err, "page refused on purpose");
    ck_assert_int_lt(p->n, 8);
    l = p->lines[p->n++];
    snprintf(l, 128, "%s", restart ? "restart:" : "");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(page, "items"))
    {
        size_t len = strlen(l);

        snprintf(l + len, 128 - len, " %s/%s/%s",
                 cJSON_GetStringValue(cJSON_GetObjectItem(it, "apiVersion")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind")), kube_meta_name(it));
    }
    return 0;
}

START_TEST(pages_arrive_one_by_one_and_an_expired_continue_starts_over)
{
    http_script s = {.steps = 3,
                     .answers = {
                         PAGE("10", ",\"continue\":\"t1\"", ITEM("a")),
                         GONE,
                         PAGE("12", "", ITEM("a") "," ITEM("b")),
                     }};
    kube_list_opts o = {.limit = 1};
    kube_client *c;
    kube_status st;
    util_err err = {{0}};
    pages p = {0};
    char *rv = NULL;
    int rc;

    http_script_start(&s);
    c = http_script_kube_client(&s);
    rc = kube_list_each(c, "/api/v1/namespaces/ns/configmaps", &o, on_page, &p, &rv, &st, &err);
    ck_assert_msg(rc == 0, "%d %s", rc, err.msg);
    ck_assert_str_eq(rv, "12");
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(p.lines[0], " v1/ConfigMap/a");
    ck_assert_str_eq(p.lines[1], "restart: v1/ConfigMap/a v1/ConfigMap/b");
    ck_assert_str_eq(s.requests[0], "GET /api/v1/namespaces/ns/configmaps?limit=1 HTTP/1.1");
    ck_assert_str_eq(s.requests[1],
                     "GET /api/v1/namespaces/ns/configmaps?limit=1&continue=t1 HTTP/1.1");
    ck_assert_str_eq(s.requests[2], "GET /api/v1/namespaces/ns/configmaps HTTP/1.1");
    free(rv);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

START_TEST(gone_on_the_first_page_is_the_callers)
{
    http_script s = {.steps = 1, .answers = {GONE}};
    kube_list_opts o = {.resource_version = "5"};
    kube_client *c;
    kube_status st;
    util_err err = {{0}};
    pages p = {0};
    char *rv = NULL;

    http_script_start(&s);
    c = http_script_kube_client(&s);
    ck_assert_int_eq(
        kube_list_each(c, "/api/v1/namespaces/ns/configmaps", &o, on_page, &p, &rv, &st, &err),
        KUBE_ERR_STATUS);
    ck_assert_int_eq(st.code, 410);
    ck_assert_ptr_null(rv);
    ck_assert_int_eq(p.n, 0);
    ck_assert_int_eq(s.served, 1);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

START_TEST(a_refused_page_stops_the_list)
{
    http_script s = {.steps = 2,
                     .answers = {
                         PAGE("10", ",\"continue\":\"t1\"", ITEM("a")),
                         PAGE("10", "", ITEM("b")),
                     }};
    kube_client *c;
    util_err err = {{0}};
    pages p = {.refuse_at = 2};
    char *rv = NULL;

    http_script_start(&s);
    c = http_script_kube_client(&s);
    ck_assert_int_eq(
        kube_list_each(c, "/api/v1/namespaces/ns/configmaps", NULL, on_page, &p, &rv, NULL, &err),
        KUBE_ERR);
    ck_assert_str_eq(err.msg, "page refused on purpose");
    ck_assert_ptr_null(rv);
    ck_assert_int_eq(p.n, 1);
    kube_client_free(c);
    http_script_stop(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_list_each");
    TCase *tc = tcase_create("pages");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, pages_arrive_one_by_one_and_an_expired_continue_starts_over);
    tcase_add_test(tc, gone_on_the_first_page_is_the_callers);
    tcase_add_test(tc, a_refused_page_stops_the_list);
    suite_add_tcase(s, tc);

    return curl_suite_run(s);
}
