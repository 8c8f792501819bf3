/* The informer through the two disruptions a long-running controller meets:
 *
 * - kube-apiserver restarts in the middle of a watch
 *   (tests/ground/kube.sh restart-apiserver). Changes made right after it
 *   comes back, while the informer is still waiting to reconnect, are all
 *   delivered to the handlers, and the cache ends up equal to a fresh list.
 * - etcd is compacted past the revision the informer watched from
 *   (kube.sh compact), and the watch has to resume from there: the server
 *   answers 410 (a plain watch from there returns KUBE_WATCH_GONE), the
 *   informer lists again and goes on watching; it does not fall into a
 *   loop of relists.
 *
 * These restart the ground's API server, so run them only on a ground of
 * your own or as part of the whole suite; each leaves the API server up
 * and ready (kube.sh waits for /readyz) for the tests that follow. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kube/informer.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "kube/watch.h"
#include "support/kube_test.h"

static char test_ns[64];

static void teardown(void)
{
    kt_drop_namespace(test_ns);
}

/* Runs `bash kube.sh <cmd>` of the ground the test runs on (beside
 * $BERTH_KAFKA_SH, which run.sh exports); its first output line goes to out
 * if wanted. Fails the test if the script fails. */
static void ground(const char *cmd, char *out, size_t size)
{
    const char *kafka = getenv("BERTH_KAFKA_SH");
    char script[4096], line[256] = "", *slash;
    char shell[4400];
    FILE *p;
    int rc;

    snprintf(script, sizeof script, "%s", kafka != NULL ? kafka : "tests/ground/kafka.sh");
    slash = strrchr(script, '/');
    snprintf(slash != NULL ? slash + 1 : script,
             sizeof script - (size_t)(slash != NULL ? slash + 1 - script : 0), "kube.sh");
    snprintf(shell, sizeof shell, "bash '%s' %s", script, cmd);
    p = popen(shell, "r");
    ck_assert_msg(p != NULL, "cannot run %s", shell);
    if (fgets(line, sizeof line, p) != NULL)
        line[strcspn(line, "\n")] = '\0';
    while (fgetc(p) != EOF)
        ;
    rc = pclose(p);
    ck_assert_msg(rc == 0, "%s failed (%d)", shell, rc);
    if (out != NULL)
        snprintf(out, size, "%s", line);
}

typedef struct journal {
    pthread_mutex_t mu;
    char lines[512][160];
    int n;
} journal;

static void note(journal *j, const char *type, const cJSON *obj)
{
    const char *v = kt_str(obj, "data.v");

    pthread_mutex_lock(&j->mu);
    if (j->n < 512)
        snprintf(j->lines[j->n++], sizeof j->lines[0], "%s %s v=%s", type, kube_meta_name(obj),
                 v != NULL ? v : "-");
    pthread_mutex_unlock(&j->mu);
}

static void on_add(const cJSON *obj, void *ctx)
{
    note(ctx, "ADD", obj);
}

static void on_update(const cJSON *old, const cJSON *obj, void *ctx)
{
    if (old != obj)
        note(ctx, "UPDATE", obj);
}

static void on_delete(const cJSON *obj, void *ctx)
{
    note(ctx, "DELETE", obj);
}

/* How many journal lines equal line. */
static int seen(journal *j, const char *line)
{
    int i, k = 0;

    pthread_mutex_lock(&j->mu);
    for (i = 0; i < j->n; i++)
        k += strcmp(j->lines[i], line) == 0;
    pthread_mutex_unlock(&j->mu);
    return k;
}

static void wait_seen(journal *j, const char *line)
{
    double deadline = kt_now() + 120;

    while (seen(j, line) == 0) {
        ck_assert_msg(kt_now() < deadline, "never delivered: %s", line);
        usleep(50 * 1000);
    }
}

/* Writes, retried while the API server is still coming up. */
static void write_retry(const char *what, kube_client *c, const char *method, const char *path,
                        const char *content_type, const cJSON *body)
{
    double deadline = kt_now() + 120;
    util_err err = {{0}};
    kube_status st;
    int rc;

    while ((rc = kube_call(c, method, path, content_type, body, NULL, &st, &err)) != 0) {
        ck_assert_msg(rc == KUBE_ERR || st.code == 429 || st.code >= 500, "%s: %s", what, err.msg);
        ck_assert_msg(kt_now() < deadline, "%s: %s", what, err.msg);
        usleep(100 * 1000);
    }
}

static void create_cm(kube_client *c, const char *coll, const char *name, const char *v)
{
    cJSON *o = kt_json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
                       "\"%s\"},\"data\":{\"v\":\"%s\"}}",
                       name, v);

    write_retry(name, c, "POST", coll, NULL, o);
    cJSON_Delete(o);
}

static void set_cm(kube_client *c, const char *coll, const char *name, const char *v)
{
    char path[KUBE_PATH_MAX + 64];
    cJSON *p = kt_json("{\"data\":{\"v\":\"%s\"}}", v);

    snprintf(path, sizeof path, "%s/%s", coll, name);
    write_retry(name, c, "PATCH", path, "application/merge-patch+json", p);
    cJSON_Delete(p);
}

static void delete_cm(kube_client *c, const char *coll, const char *name)
{
    char path[KUBE_PATH_MAX + 64];

    snprintf(path, sizeof path, "%s/%s", coll, name);
    write_retry(name, c, "DELETE", path, NULL, NULL);
}

/* "name@resourceVersion,..." of a list's items or a cache, in key order. */
static void fingerprint(cJSON *items, char *buf, size_t size)
{
    const cJSON *it;

    buf[0] = '\0';
    cJSON_ArrayForEach(it, items)
    {
        size_t len = strlen(buf);

        snprintf(buf + len, size - len, "%s@%s,", kube_meta_name(it),
                 kube_meta_resource_version(it));
    }
}

/* Waits until the informer's cache equals a fresh list of coll. */
static void wait_cache_equals_list(kube_client *c, const char *coll, kube_informer *inf)
{
    double deadline = kt_now() + 120;
    static char want[16384], got[16384];

    for (;;) {
        cJSON *list = NULL, *cached;
        util_err err = {{0}};

        if (kube_list(c, coll, NULL, &list, NULL, &err) == 0) {
            fingerprint(cJSON_GetObjectItem(list, "items"), want, sizeof want);
            cJSON_Delete(list);
            cached = kube_cache_list(kube_informer_cache(inf));
            fingerprint(cached, got, sizeof got);
            cJSON_Delete(cached);
            if (strcmp(want, got) == 0)
                return;
        }
        ck_assert_msg(kt_now() < deadline, "cache never matched the list:\n list  %s\n cache %s",
                      want, got);
        usleep(200 * 1000);
    }
}

/* An informer on a fresh namespace holding a0..a4, synced. */
static kube_informer *start_informer(kube_client *c, char *coll, size_t size, journal *j,
                                     long backoff_ms)
{
    kube_informer_handlers h = {on_add, on_update, on_delete, j};
    kube_informer_opts io = {.backoff_base_ms = backoff_ms, .backoff_max_ms = 2 * backoff_ms};
    kube_informer *inf = NULL;
    util_err err = {{0}};
    int i;

    kt_random_name(test_ns, sizeof test_ns, "wat");
    kt_create_namespace(c, test_ns, "wat-disrupt");
    ck_assert_int_eq(kube_path(coll, size, "v1", "configmaps", test_ns, NULL, NULL), 0);
    for (i = 0; i < 5; i++) {
        char name[16];

        snprintf(name, sizeof name, "a%d", i);
        create_cm(c, coll, name, "0");
    }
    kt_must(kube_informer_new(c, coll, &io, &h, &inf, &err), &err);
    kt_must(kube_informer_start(inf, &err), &err);
    ck_assert(kube_informer_wait_synced(inf, 60000));
    return inf;
}

START_TEST(informer_across_an_apiserver_restart_misses_nothing)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    journal j = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char coll[KUBE_PATH_MAX];
    kube_informer *inf;
    unsigned long connects;

    /* A long reconnect backoff, so the writes below land while the
     * informer is still away. */
    inf = start_informer(c, coll, sizeof coll, &j, 4000);
    set_cm(c, coll, "a0", "1");
    wait_seen(&j, "UPDATE a0 v=1");
    connects = kube_informer_watch_connects(inf);

    ground("restart-apiserver", NULL, 0);
    create_cm(c, coll, "b1", "1");
    set_cm(c, coll, "a1", "7");
    delete_cm(c, coll, "a2");
    set_cm(c, coll, "a3", "8");
    delete_cm(c, coll, "a3");

    wait_seen(&j, "ADD b1 v=1");
    wait_seen(&j, "UPDATE a1 v=7");
    wait_seen(&j, "DELETE a2 v=0");
    wait_cache_equals_list(c, coll, inf);
    /* a3's update may be folded into its deletion by a relist; its
     * deletion itself must arrive, once, with the last state known. */
    ck_assert_int_eq(seen(&j, "DELETE a3 v=8") + seen(&j, "DELETE a3 v=0"), 1);
    ck_assert_uint_gt(kube_informer_watch_connects(inf), connects);
    /* Nothing twice: each object was added once, a2 deleted once. */
    ck_assert_int_eq(seen(&j, "ADD a4 v=0"), 1);
    ck_assert_int_eq(seen(&j, "ADD b1 v=1"), 1);
    ck_assert_int_eq(seen(&j, "DELETE a2 v=0"), 1);

    /* And it is watching again. */
    set_cm(c, coll, "a4", "9");
    wait_seen(&j, "UPDATE a4 v=9");
    kube_informer_free(inf);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

static int no_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    (void)ev;
    (void)ctx;
    return util_err_set(err, "no event expected from an expired resourceVersion");
}

/* A plain watch from the compacted revision hears 410 and returns it, once,
 * rather than retrying (it may wait while the server warms up). */
static void expect_gone(kube_client *c, const char *coll, long long rv)
{
    kube_watch_opts wo = {.backoff_base_ms = 200, .backoff_max_ms = 1000};
    kube_watch *w = NULL;
    kube_status st;
    util_err err = {{0}};
    char from[32];
    int rc;

    snprintf(from, sizeof from, "%lld", rv);
    kt_must(kube_watch_new(c, coll, &wo, &w, &err), &err);
    rc = kube_watch_run(w, from, no_event, NULL, &st, &err);
    ck_assert_msg(rc == KUBE_WATCH_GONE, "watch from %s: %d %s", from, rc, err.msg);
    ck_assert_int_eq(st.code, 410);
    kube_watch_free(w);
}

START_TEST(compaction_past_the_watched_revision_means_one_relist_not_a_loop)
{
    kube_config *cfg = kt_admin_config();
    kube_client *c = kt_client(cfg);
    journal j = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char coll[KUBE_PATH_MAX], other[KUBE_PATH_MAX], rev[64], name[32];
    cJSON *list = NULL;
    util_err err = {{0}};
    kube_informer *inf;
    unsigned long lists, settled;
    long long watched;
    int i;

    inf = start_informer(c, coll, sizeof coll, &j, 500);
    set_cm(c, coll, "a0", "1");
    wait_seen(&j, "UPDATE a0 v=1");
    lists = kube_informer_lists(inf);
    ck_assert_uint_eq(lists, 1);

    /* Move etcd on past what the informer saw (writes it does not watch),
     * then compact to there. */
    kt_must(kube_list(c, coll, NULL, &list, NULL, &err), &err);
    watched = atoll(kube_meta_resource_version(list));
    cJSON_Delete(list);
    ck_assert_int_eq(kube_path(other, sizeof other, "v1", "configmaps", "default", NULL, NULL), 0);
    kt_random_name(name, sizeof name, "wat-bump");
    create_cm(c, other, name, "0");
    delete_cm(c, other, name);
    ground("compact", rev, sizeof rev);
    ck_assert_msg(atoll(rev) > watched, "compacted to %s, watched %lld", rev, watched);

    /* The watch must now resume from a compacted revision; the restarted
     * server's watch cache starts past it, so it answers 410. */
    ground("restart-apiserver", NULL, 0);
    expect_gone(c, coll, watched);
    set_cm(c, coll, "a1", "5");
    wait_seen(&j, "UPDATE a1 v=5");
    wait_cache_equals_list(c, coll, inf);
    ck_assert_uint_gt(kube_informer_lists(inf), lists);

    /* Settled: further changes come by the watch, with no more lists. */
    settled = kube_informer_lists(inf);
    for (i = 0; i < 5; i++) {
        char v[16];

        snprintf(v, sizeof v, "%d", 10 + i);
        set_cm(c, coll, "a2", v);
        usleep(500 * 1000);
    }
    wait_seen(&j, "UPDATE a2 v=14");
    ck_assert_uint_eq(kube_informer_lists(inf), settled);
    ck_assert_int_eq(seen(&j, "ADD a3 v=0"), 1);
    wait_cache_equals_list(c, coll, inf);
    kube_informer_free(inf);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_disrupt");
    TCase *tc = tcase_create("disrupt");

    tcase_set_timeout(tc, 400);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, informer_across_an_apiserver_restart_misses_nothing);
    tcase_add_test(tc, compaction_past_the_watched_revision_means_one_relist_not_a_loop);
    suite_add_tcase(s, tc);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
