/* Watches and informers on the real API server ($BERTH_KUBECONFIG): a
 * watch sees a ConfigMap's create, update and delete in that order; when
 * the server ends each request after a second (timeoutSeconds) the watch
 * resumes from the last resourceVersion and delivers every change exactly
 * once; kube_watch_stop from another thread ends a watch that is
 * streaming or waiting to reconnect. An informer lists, watches, calls its
 * handlers, keeps its label and controller indexes and resyncs. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/informer.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "kube/watch.h"
#include "support/curl_suite.h"
#include "support/kube_test.h"

static char test_ns[64];

/* Every namespace gets this ConfigMap from the controller-manager, at a
 * moment of its choosing; the tests watch their own objects only. */
#define NOT_CA "metadata.name!=kube-root-ca.crt"

static void teardown(void)
{
    kt_drop_namespace(test_ns);
}

/* What a watch or an informer reported, one line per event, e.g.
 * "ADDED w1 v=1"; shared with the watching thread. */
typedef struct journal {
    pthread_mutex_t mu;
    char lines[256][160];
    int n;
    int resyncs;
} journal;

static void note(journal *j, const char *type, const cJSON *obj)
{
    const char *v = kt_str(obj, "data.v");

    pthread_mutex_lock(&j->mu);
    if (j->n < 256)
        snprintf(j->lines[j->n++], sizeof j->lines[0], "%s %s v=%s", type, kube_meta_name(obj),
                 v != NULL ? v : "-");
    pthread_mutex_unlock(&j->mu);
}

static int count(journal *j)
{
    int n;

    pthread_mutex_lock(&j->mu);
    n = j->n;
    pthread_mutex_unlock(&j->mu);
    return n;
}

/* Waits until the journal holds at least n lines. */
static void wait_lines(journal *j, int n)
{
    double deadline = kt_now() + 90;

    while (count(j) < n) {
        if (kt_now() > deadline) {
            int i;

            for (i = 0; i < count(j); i++)
                fprintf(stderr, "  event %d: %s\n", i, j->lines[i]);
            ck_abort_msg("only %d of %d events arrived", count(j), n);
        }
        usleep(50 * 1000);
    }
}

static int on_watch_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    (void)err;
    if (ev->type != KUBE_WATCH_BOOKMARK)
        note(ctx, kube_watch_event_type_name(ev->type), ev->object);
    return 0;
}

typedef struct runner {
    kube_watch *w;
    const char *rv;
    journal *j;
    int rc;
    kube_status st;
    util_err err;
} runner;

static void *run_watch(void *arg)
{
    runner *r = arg;

    r->rc = kube_watch_run(r->w, r->rv, on_watch_event, r->j, &r->st, &r->err);
    return NULL;
}

/* A namespace of our own and the resourceVersion to watch it from. */
static void make_ns(kube_client *c, char *coll, size_t size, char *rv, size_t rv_size)
{
    cJSON *list = NULL;
    util_err err = {{0}};

    kt_random_name(test_ns, sizeof test_ns, "wat");
    kt_create_namespace(c, test_ns, "wat-watch");
    ck_assert_int_eq(kube_path(coll, size, "v1", "configmaps", test_ns, NULL, NULL), 0);
    kt_must(kube_list(c, coll, NULL, &list, NULL, &err), &err);
    snprintf(rv, rv_size, "%s", kube_meta_resource_version(list));
    cJSON_Delete(list);
}

static void create_cm(kube_client *c, const char *coll, const char *name, const char *v)
{
    cJSON *o = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                       "\"%s\"},\"data\":{\"v\":\"%s\"}}",
                       name, v);
    util_err err = {{0}};

    kt_must(kube_create(c, coll, o, NULL, NULL, &err), &err);
    cJSON_Delete(o);
}

static void set_cm(kube_client *c, const char *coll, const char *name, const char *v)
{
    char path[KUBE_PATH_MAX + 64];
    cJSON *p = kt_json("{\"data\":{\"v\":\"%s\"}}", v);
    util_err err = {{0}};

    snprintf(path, sizeof path, "%s/%s", coll, name);
    kt_must(kube_merge_patch(c, path, p, NULL, NULL, &err), &err);
    cJSON_Delete(p);
}

static void delete_cm(kube_client *c, const char *coll, const char *name)
{
    char path[KUBE_PATH_MAX + 64];
    util_err err = {{0}};

    snprintf(path, sizeof path, "%s/%s", coll, name);
    kt_must(kube_delete(c, path, NULL, &err), &err);
}

START_TEST(watch_sees_create_update_delete_in_order)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char coll[KUBE_PATH_MAX], rv[64];
    journal j = {.mu = PTHREAD_MUTEX_INITIALIZER};
    runner r = {.j = &j};
    kube_watch_opts wo = {.timeout_seconds = 60, .field_selector = NOT_CA};
    util_err err = {{0}};
    pthread_t t;

    make_ns(c, coll, sizeof coll, rv, sizeof rv);
    kt_must(kube_watch_new(c, coll, &wo, &r.w, &err), &err);
    r.rv = rv;
    pthread_create(&t, NULL, run_watch, &r);
    create_cm(c, coll, "w1", "1");
    set_cm(c, coll, "w1", "2");
    delete_cm(c, coll, "w1");
    wait_lines(&j, 3);
    kube_watch_stop(r.w);
    pthread_join(t, NULL);
    ck_assert_msg(r.rc == 0, "run: %d %s", r.rc, r.err.msg);
    ck_assert_int_eq(j.n, 3);
    ck_assert_str_eq(j.lines[0], "ADDED w1 v=1");
    ck_assert_str_eq(j.lines[1], "MODIFIED w1 v=2");
    ck_assert_str_eq(j.lines[2], "DELETED w1 v=2");
    ck_assert_str_ne(kube_watch_resource_version(r.w), rv);
    kube_watch_free(r.w);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

START_TEST(watch_resumes_across_server_ended_requests_exactly_once)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char coll[KUBE_PATH_MAX], rv[64], name[16], v[16], want[64];
    journal j = {.mu = PTHREAD_MUTEX_INITIALIZER};
    runner r = {.j = &j};
    kube_watch_opts wo = {.timeout_seconds = 1, .field_selector = NOT_CA};
    util_err err = {{0}};
    pthread_t t;
    int i;

    make_ns(c, coll, sizeof coll, rv, sizeof rv);
    kt_must(kube_watch_new(c, coll, &wo, &r.w, &err), &err);
    r.rv = rv;
    pthread_create(&t, NULL, run_watch, &r);
    /* Changes spread over several server-ended requests. */
    for (i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "r%d", i);
        create_cm(c, coll, name, "0");
        usleep(300 * 1000);
        snprintf(v, sizeof v, "%d", i + 1);
        set_cm(c, coll, name, v);
    }
    wait_lines(&j, 24);
    usleep(1500 * 1000); /* room for a duplicate to show up, if any would */
    kube_watch_stop(r.w);
    pthread_join(t, NULL);
    ck_assert_msg(r.rc == 0, "run: %d %s", r.rc, r.err.msg);
    ck_assert_int_eq(j.n, 24);
    for (i = 0; i < 12; i++) {
        snprintf(want, sizeof want, "ADDED r%d v=0", i);
        ck_assert_str_eq(j.lines[2 * i], want);
        snprintf(want, sizeof want, "MODIFIED r%d v=%d", i, i + 1);
        ck_assert_str_eq(j.lines[2 * i + 1], want);
    }
    ck_assert_uint_gt(kube_watch_connects(r.w), 2);
    kube_watch_free(r.w);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

START_TEST(stop_from_another_thread_ends_a_streaming_or_waiting_watch)
{
    kube_config *cfg = kt_admin_config(), *dead_cfg = NULL;
    kube_client *c = kt_client(cfg), *dead;
    char coll[KUBE_PATH_MAX], rv[64];
    journal j = {.mu = PTHREAD_MUTEX_INITIALIZER};
    runner r = {.j = &j}, r2 = {.j = &j};
    kube_watch_opts wo = {.timeout_seconds = 600};
    kube_watch_opts slow = {.backoff_base_ms = 60000, .backoff_max_ms = 60000};
    util_err err = {{0}};
    pthread_t t, t2;

    /* Streaming: an idle watch with ten minutes to go. */
    make_ns(c, coll, sizeof coll, rv, sizeof rv);
    kt_must(kube_watch_new(c, coll, &wo, &r.w, &err), &err);
    r.rv = rv;
    pthread_create(&t, NULL, run_watch, &r);
    while (kube_watch_connects(r.w) == 0)
        usleep(10 * 1000);
    usleep(500 * 1000);
    kube_watch_stop(r.w);
    pthread_join(t, NULL);
    ck_assert_msg(r.rc == 0, "run: %d %s", r.rc, r.err.msg);
    kube_watch_free(r.w);

    /* Waiting: a server that refuses connections, a minute of backoff. */
    kt_must(kube_config_dup(cfg, &dead_cfg, &err), &err);
    free(dead_cfg->server);
    dead_cfg->server = strdup("https://127.0.0.1:1");
    dead = kt_client(dead_cfg);
    kt_must(kube_watch_new(dead, coll, &slow, &r2.w, &err), &err);
    r2.rv = rv;
    pthread_create(&t2, NULL, run_watch, &r2);
    while (kube_watch_connects(r2.w) == 0)
        usleep(10 * 1000);
    usleep(500 * 1000);
    kube_watch_stop(r2.w);
    pthread_join(t2, NULL);
    ck_assert_msg(r2.rc == 0, "run: %d %s", r2.rc, r2.err.msg);
    ck_assert_uint_eq(kube_watch_connects(r2.w), 1);
    /* Stopped stays stopped. */
    ck_assert_int_eq(kube_watch_run(r2.w, rv, on_watch_event, &j, NULL, &err), 0);
    kube_watch_free(r2.w);
    kube_client_free(dead);
    kube_config_free(dead_cfg);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* Informer handlers writing to a journal. */
static void on_add(const cJSON *obj, void *ctx)
{
    note(ctx, "ADD", obj);
}

static void on_update(const cJSON *old, const cJSON *obj, void *ctx)
{
    journal *j = ctx;

    if (old == obj) {
        pthread_mutex_lock(&j->mu);
        j->resyncs++;
        pthread_mutex_unlock(&j->mu);
        return;
    }
    note(ctx, "UPDATE", obj);
}

static void on_delete(const cJSON *obj, void *ctx)
{
    note(ctx, "DELETE", obj);
}

START_TEST(informer_delivers_changes_and_keeps_its_indexes)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    char coll[KUBE_PATH_MAX], rv[64], buf[256], owner_uid[64];
    journal j = {.mu = PTHREAD_MUTEX_INITIALIZER};
    kube_informer_handlers h = {on_add, on_update, on_delete, &j};
    kube_informer_opts io = {.resync_ms = 1000, .list_limit = 2, .field_selector = NOT_CA};
    kube_informer *inf = NULL;
    cJSON *o = NULL;
    util_err err = {{0}};
    double deadline;
    int i;

    make_ns(c, coll, sizeof coll, rv, sizeof rv);
    /* Before the informer starts: found by its list (in pages of 2). */
    for (i = 0; i < 3; i++) {
        char name[16];

        snprintf(name, sizeof name, "pre%d", i);
        create_cm(c, coll, name, "0");
    }
    kt_must(kube_informer_new(c, coll, &io, &h, &inf, &err), &err);
    ck_assert(!kube_informer_has_synced(inf));
    kt_must(kube_informer_start(inf, &err), &err);
    ck_assert(kube_informer_wait_synced(inf, 60000));
    ck_assert_int_eq(count(&j), 3);
    ck_assert_str_eq(j.lines[0], "ADD pre0 v=0");
    ck_assert_str_eq(j.lines[2], "ADD pre2 v=0");

    /* An owner and an object it controls, labelled. */
    create_cm(c, coll, "owner", "0");
    kt_must(kube_get(c, strcat(strcpy(buf, coll), "/owner"), &o, NULL, &err), &err);
    snprintf(owner_uid, sizeof owner_uid, "%s", kube_meta_uid(o));
    cJSON_Delete(o);
    o = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"owned\","
                "\"labels\":{\"app\":\"wat\"},\"ownerReferences\":[{\"apiVersion\":\"v1\","
                "\"kind\":\"ConfigMap\",\"name\":\"owner\",\"uid\":\"%s\",\"controller\":true}]},"
                "\"data\":{\"v\":\"1\"}}",
                owner_uid);
    kt_must(kube_create(c, coll, o, NULL, NULL, &err), &err);
    cJSON_Delete(o);
    set_cm(c, coll, "pre1", "5");
    delete_cm(c, coll, "pre2");
    wait_lines(&j, 7);
    ck_assert_str_eq(j.lines[3], "ADD owner v=0");
    ck_assert_str_eq(j.lines[4], "ADD owned v=1");
    ck_assert_str_eq(j.lines[5], "UPDATE pre1 v=5");
    ck_assert_str_eq(j.lines[6], "DELETE pre2 v=0");

    kt_names_of(kube_cache_list(kube_informer_cache(inf)), buf, sizeof buf);
    ck_assert_str_eq(buf, "owned,owner,pre0,pre1,");
    kt_names_of(kube_cache_by_label(kube_informer_cache(inf), "app", "wat"), buf, sizeof buf);
    ck_assert_str_eq(buf, "owned,");
    kt_names_of(kube_cache_by_owner(kube_informer_cache(inf), owner_uid), buf, sizeof buf);
    ck_assert_str_eq(buf, "owned,");
    o = kube_cache_get(kube_informer_cache(inf), strcat(strcat(strcpy(buf, test_ns), "/"), "pre1"));
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(kt_str(o, "data.v"), "5");
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "managedFields"));
    cJSON_Delete(o);

    /* Resync: every cached object again, as an update to itself. */
    deadline = kt_now() + 30;
    for (;;) {
        pthread_mutex_lock(&j.mu);
        i = j.resyncs;
        pthread_mutex_unlock(&j.mu);
        if (i >= 4)
            break;
        ck_assert_msg(kt_now() < deadline, "no resync");
        usleep(100 * 1000);
    }
    kube_informer_stop(inf);
    i = count(&j);
    create_cm(c, coll, "late", "0");
    usleep(500 * 1000);
    ck_assert_int_eq(count(&j), i); /* no handler after stop */
    ck_assert_uint_eq(kube_informer_lists(inf), 1);
    kube_informer_free(inf);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_watch");
    TCase *tc = tcase_create("watch");

    tcase_set_timeout(tc, 180);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, watch_sees_create_update_delete_in_order);
    tcase_add_test(tc, watch_resumes_across_server_ended_requests_exactly_once);
    tcase_add_test(tc, stop_from_another_thread_ends_a_streaming_or_waiting_watch);
    tcase_add_test(tc, informer_delivers_changes_and_keeps_its_indexes);
    suite_add_tcase(s, tc);

    return curl_suite_run(s);
}
