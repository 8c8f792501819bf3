/* The Events recorder on the real API server. Repeats of one event become
 * one events.k8s.io/v1 Event whose series.count says how often it happened,
 * and a later repeat raises that count on the same object; distinct events
 * (another reason, type or message) become distinct Events. They are found
 * the way `kubectl describe` finds them, by a field selector on the object
 * they regard, through both Event APIs. The writes are paced: a recorder
 * allowed one write every five seconds cannot have written three distinct
 * events after one second. An Event deleted by hand comes back with the
 * repeat after the one that found it gone. Events about a cluster-scoped
 * object (a Node) go to "default". Everything else lives in a namespace of its own. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/events.h"
#include "kube/verbs.h"
#include "support/curl_suite.h"
#include "support/kube_test.h"

/* The Events listed at collection path whose field selector matches. */
static cJSON *list_events(kube_client *api, const char *path, const char *selector)
{
    kube_list_opts o = {.field_selector = selector};
    cJSON *list = NULL;
    util_err err = {{0}};

    if (kube_list(api, path, &o, &list, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    return list;
}

/* The item of list whose field (a dotted path) is value. */
static const cJSON *find_item(const cJSON *list, const char *field, const char *value)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "items"))
    {
        const char *v = kt_str(it, field);
        if (v != NULL && strcmp(v, value) == 0)
            return it;
    }
    ck_abort_msg("no Event with %s=%s", field, value);
    return NULL;
}

static int series_count(const cJSON *ev)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "series"), "count");

    return cJSON_IsNumber(c) ? c->valueint : 0;
}

static kube_event_recorder *recorder(const kube_config *cfg, double qps, unsigned burst)
{
    kube_event_recorder_options o = {
        .controller = "berth.io/test", .instance = "lea-events", .qps = qps, .burst = burst};
    kube_event_recorder *r = NULL;
    util_err err = {{0}};

    if (kube_event_recorder_new(cfg, &o, &r, &err) != 0)
        ck_abort_msg("%s", err.msg);
    return r;
}

START_TEST(repeats_are_one_event_with_a_series_and_distinct_events_are_distinct)
{
    kube_config *cfg = kt_admin_config();
    kube_client *api = kt_client(cfg);
    kube_event_recorder *r = recorder(cfg, 50, 100);
    char ns[64], path[KUBE_PATH_MAX], sel[512], cpath[KUBE_PATH_MAX];
    cJSON *cm, *created = NULL, *list;
    kube_event_stats st;
    util_err err = {{0}};

    kt_random_name(ns, sizeof ns, "lea-events");
    kt_create_namespace(api, ns, "kube-events");
    cm = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"demo\"}}");
    ck_assert_int_eq(kube_path(path, sizeof path, "v1", "configmaps", ns, NULL, NULL), 0);
    if (kube_create(api, path, cm, &created, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    kube_event_ref ref = {.api_version = "v1",
                          .kind = "ConfigMap",
                          .namespace = ns,
                          .name = "demo",
                          .uid = kt_str(created, "metadata.uid"),
                          .resource_version = kt_str(created, "metadata.resourceVersion")};

    for (int i = 0; i < 5; i++)
        kube_event_record(r, &ref, KUBE_EVENT_NORMAL, "Testing", "the same thing %d", 42);
    kube_event_record(r, &ref, KUBE_EVENT_WARNING, "Testing", "the same thing %d", 42);
    kube_event_record(r, &ref, KUBE_EVENT_NORMAL, "Testing", "another thing");
    ck_assert_msg(kube_event_recorder_flush(r, 60000, &err) == 0, "%s", err.msg);

    /* events.k8s.io, selected on what they regard. */
    ck_assert_int_eq(kube_path(path, sizeof path, "events.k8s.io/v1", "events", ns, NULL, NULL), 0);
    snprintf(sel, sizeof sel, "regarding.kind=ConfigMap,regarding.name=demo,regarding.uid=%s",
             ref.uid);
    list = list_events(api, path, sel);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 3);
    const cJSON *rep = find_item(list, "type", "Normal"), *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "items"))
    {
        const char *note = kt_str(it, "note");
        ck_assert_ptr_nonnull(note);
        if (strcmp(note, "the same thing 42") == 0 && strcmp(kt_str(it, "type"), "Normal") == 0)
            rep = it;
    }
    ck_assert_str_eq(kt_str(rep, "note"), "the same thing 42");
    ck_assert_int_eq(series_count(rep), 5);
    ck_assert_str_eq(kt_str(rep, "reason"), "Testing");
    ck_assert_str_eq(kt_str(rep, "reportingController"), "berth.io/test");
    ck_assert_str_eq(kt_str(rep, "reportingInstance"), "lea-events");
    ck_assert_str_eq(kt_str(rep, "regarding.resourceVersion"), ref.resource_version);
    ck_assert_ptr_nonnull(kt_str(rep, "series.lastObservedTime"));
    char rep_name[256];
    snprintf(rep_name, sizeof rep_name, "%s", kt_str(rep, "metadata.name"));
    ck_assert_int_eq(strncmp(rep_name, "demo.", 5), 0);
    ck_assert_int_eq(series_count(find_item(list, "type", "Warning")), 0);
    ck_assert_int_eq(series_count(find_item(list, "note", "another thing")), 0);
    cJSON_Delete(list);

    /* The core API, as kubectl describe asks for them. */
    ck_assert_int_eq(kube_path(cpath, sizeof cpath, "v1", "events", ns, NULL, NULL), 0);
    snprintf(sel, sizeof sel,
             "involvedObject.kind=ConfigMap,involvedObject.name=demo,involvedObject.namespace=%s,"
             "involvedObject.uid=%s",
             ns, ref.uid);
    list = list_events(api, cpath, sel);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 3);
    ck_assert_int_eq(series_count(find_item(list, "metadata.name", rep_name)), 5);
    ck_assert_str_eq(kt_str(find_item(list, "metadata.name", rep_name), "message"),
                     "the same thing 42");
    cJSON_Delete(list);

    /* A later repeat raises the count of the same Event. */
    kube_event_record(r, &ref, KUBE_EVENT_NORMAL, "Testing", "the same thing %d", 42);
    ck_assert_msg(kube_event_recorder_flush(r, 60000, &err) == 0, "%s", err.msg);
    snprintf(sel, sizeof sel, "regarding.name=demo,type=Normal");
    list = list_events(api, path, sel);
    ck_assert_int_eq(series_count(find_item(list, "metadata.name", rep_name)), 6);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 2);
    cJSON_Delete(list);

    kube_event_recorder_stats(r, &st);
    ck_assert_uint_eq(st.recorded, 8);
    ck_assert_uint_eq(st.created, 3);
    ck_assert_uint_ge(st.updated, 1); /* repeats recorded before the first write coalesce into it */
    ck_assert_uint_eq(st.failed, 0);
    ck_assert_uint_eq(st.dropped, 0);

    /* Deleted by hand: the repeat that finds it gone writes nothing (the
     * recorder kept only where the Event was, not its text), the next one
     * brings the text again and the series goes on in a new Event. */
    char ev[KUBE_PATH_MAX];
    ck_assert_int_eq(kube_path(ev, sizeof ev, "events.k8s.io/v1", "events", ns, rep_name, NULL), 0);
    ck_assert_msg(kube_delete(api, ev, NULL, &err) == 0, "%s", err.msg);
    kube_event_record(r, &ref, KUBE_EVENT_NORMAL, "Testing", "the same thing %d", 42);
    ck_assert_msg(kube_event_recorder_flush(r, 60000, &err) == 0, "%s", err.msg);
    list = list_events(api, path, "regarding.name=demo,type=Normal");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 1);
    cJSON_Delete(list);
    kube_event_record(r, &ref, KUBE_EVENT_NORMAL, "Testing", "the same thing %d", 42);
    ck_assert_msg(kube_event_recorder_flush(r, 60000, &err) == 0, "%s", err.msg);
    list = list_events(api, path, "regarding.name=demo,type=Normal");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 2);
    const cJSON *again = find_item(list, "note", "the same thing 42");
    ck_assert_int_eq(series_count(again), 8);
    ck_assert_str_eq(kt_str(again, "regarding.uid"), ref.uid);
    cJSON_Delete(list);
    kube_event_recorder_stats(r, &st);
    ck_assert_uint_eq(st.created, 4);

    kube_event_recorder_free(r);
    ck_assert_msg(kt_delete_namespace(api, ns, &err) == 0, "%s", err.msg);
    cJSON_Delete(cm);
    cJSON_Delete(created);
    kube_client_free(api);
    kube_config_free(cfg);
}
END_TEST

START_TEST(events_about_cluster_scoped_objects_go_to_default)
{
    kube_config *cfg = kt_admin_config();
    kube_client *api = kt_client(cfg);
    kube_event_recorder *r = recorder(cfg, 50, 100);
    char token[64], path[KUBE_PATH_MAX], ev[KUBE_PATH_MAX];
    cJSON *list;
    util_err err = {{0}};

    kt_random_name(token, sizeof token, "lea-node-event");
    kube_event_ref node = {.api_version = "v1", .kind = "Node", .name = "kwok-node-0"};
    kube_event_record(r, &node, KUBE_EVENT_WARNING, "LeaTest", "%s", token);
    ck_assert_msg(kube_event_recorder_flush(r, 60000, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(
        kube_path(path, sizeof path, "events.k8s.io/v1", "events", "default", NULL, NULL), 0);
    list = list_events(api, path, "regarding.kind=Node,regarding.name=kwok-node-0");
    const cJSON *e = find_item(list, "note", token);
    ck_assert_str_eq(kt_str(e, "metadata.namespace"), "default");
    ck_assert_ptr_null(kt_str(e, "regarding.namespace"));
    ck_assert_str_eq(kt_str(e, "type"), "Warning");
    ck_assert_int_eq(kube_path(ev, sizeof ev, "events.k8s.io/v1", "events", "default",
                               kt_str(e, "metadata.name"), NULL),
                     0);
    ck_assert_msg(kube_delete(api, ev, NULL, &err) == 0, "%s", err.msg);
    cJSON_Delete(list);
    kube_event_recorder_free(r);
    kube_client_free(api);
    kube_config_free(cfg);
}
END_TEST

START_TEST(writes_are_paced_by_the_token_bucket)
{
    kube_config *cfg = kt_admin_config();
    kube_client *api = kt_client(cfg);
    kube_event_recorder *r = recorder(cfg, 0.2, 1);
    char ns[64];
    kube_event_stats st;
    util_err err = {{0}};

    kt_random_name(ns, sizeof ns, "lea-events");
    kt_create_namespace(api, ns, "kube-events");
    kube_event_ref ref = {.api_version = "v1", .kind = "ConfigMap", .namespace = ns, .name = "x"};
    for (int i = 0; i < 3; i++)
        kube_event_record(r, &ref, KUBE_EVENT_NORMAL, "Paced", "event %d", i);
    /* One write now, the next only five seconds later. */
    ck_assert_int_eq(kube_event_recorder_flush(r, 1000, &err), -1);
    ck_assert_msg(strstr(err.msg, "series still to be written") != NULL, "%s", err.msg);
    kube_event_recorder_stats(r, &st);
    ck_assert_uint_le(st.created, 1);
    kube_event_recorder_free(r);
    ck_assert_msg(kt_delete_namespace(api, ns, &err) == 0, "%s", err.msg);
    kube_client_free(api);
    kube_config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_events_ground");
    TCase *tc = tcase_create("apiserver");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, repeats_are_one_event_with_a_series_and_distinct_events_are_distinct);
    tcase_add_test(tc, events_about_cluster_scoped_objects_go_to_default);
    tcase_add_test(tc, writes_are_paced_by_the_token_bucket);
    suite_add_tcase(s, tc);
    return curl_suite_run(s);
}
