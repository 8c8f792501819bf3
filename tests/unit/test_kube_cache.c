/* The informer cache tells adds, updates and deletes apart the way a
 * controller needs: an unchanged resourceVersion is no event, a new uid
 * under the same name is a delete then an add, and a replace by a fresh
 * list reports exactly the objects that vanished, with their last known
 * state. The label and controller indexes follow every write, readers get
 * copies, managedFields is dropped unless kept, and readers in other threads
 * never see a torn object. Leaks are caught by running this under ASan. */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/cache.h"
#include "kube/object.h"
#include "support/kube_test.h"

/* What the change function heard, one line per change:
 * "ADDED ns/a 1", "UPDATED ns/a 1->2", "DELETED ns/a 2", "RESYNC ns/a 2". */
typedef struct journal {
    char lines[64][512];
    int n;
} journal;

static void record(kube_cache_change ch, const cJSON *old, const cJSON *obj, void *ctx)
{
    journal *j = ctx;
    char key[KUBE_KEY_MAX] = "?";
    const char *names[] = {"ADDED", "UPDATED", "DELETED", "RESYNC"};

    ck_assert_ptr_nonnull(obj);
    ck_assert_int_eq(kube_obj_key(obj, key, sizeof key), 0);
    ck_assert_int_lt(j->n, 64);
    if (ch == KUBE_CACHE_UPDATED)
        snprintf(j->lines[j->n++], sizeof j->lines[0], "%s %s %s->%s", names[ch], key,
                 kube_meta_resource_version(old), kube_meta_resource_version(obj));
    else
        snprintf(j->lines[j->n++], sizeof j->lines[0], "%s %s %s", names[ch], key,
                 kube_meta_resource_version(obj));
}

static cJSON *obj(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static cJSON *obj(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    cJSON *j;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    j = cJSON_Parse(buf);
    ck_assert_msg(j != NULL, "bad test JSON: %s", buf);
    return j;
}

/* A Pod-like object: name, uid, resourceVersion, label app, and a
 * controller uid (NULL: none). */
static cJSON *pod(const char *name, const char *uid, const char *rv, const char *app,
                  const char *owner)
{
    char refs[256] = "";

    if (owner != NULL)
        snprintf(refs, sizeof refs,
                 ",\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"x\",\"uid\":\"other\"},"
                 "{\"kind\":\"StatefulSet\",\"name\":\"s\",\"uid\":\"%s\",\"controller\":true}]",
                 owner);
    return obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
               "\"namespace\":\"ns\",\"uid\":\"%s\",\"resourceVersion\":\"%s\","
               "\"labels\":{\"app\":\"%s\",\"tier\":\"data\"},"
               "\"managedFields\":[{\"manager\":\"m\"}]%s},\"spec\":{}}",
               name, uid, rv, app, refs);
}

static kube_cache *new_cache(const kube_cache_opts *opts)
{
    kube_cache *c = NULL;
    util_err err = {{0}};

    ck_assert_msg(kube_cache_new(opts, &c, &err) == 0, "%s", err.msg);
    return c;
}

static void apply(kube_cache *c, kube_watch_event_type t, cJSON *o, journal *j)
{
    util_err err = {{0}};

    ck_assert_msg(kube_cache_apply(c, t, o, j != NULL ? record : NULL, j, &err) == 0, "%s",
                  err.msg);
    cJSON_Delete(o);
}

START_TEST(events_become_add_update_delete_and_repeats_are_silent)
{
    kube_cache *c = new_cache(NULL);
    journal j = {0};
    cJSON *got;

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), &j); /* same rv */
    apply(c, KUBE_WATCH_MODIFIED, pod("a", "u1", "2", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_MODIFIED, pod("b", "u2", "3", "kafka", NULL), &j); /* unseen: add */
    apply(c, KUBE_WATCH_BOOKMARK, obj("{\"metadata\":{\"resourceVersion\":\"9\"}}"), &j);
    apply(c, KUBE_WATCH_DELETED, pod("a", "u1", "4", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_DELETED, pod("zz", "u9", "5", "kafka", NULL), &j); /* unknown */

    ck_assert_int_eq(j.n, 4);
    ck_assert_str_eq(j.lines[0], "ADDED ns/a 1");
    ck_assert_str_eq(j.lines[1], "UPDATED ns/a 1->2");
    ck_assert_str_eq(j.lines[2], "ADDED ns/b 3");
    ck_assert_str_eq(j.lines[3], "DELETED ns/a 4");
    ck_assert_uint_eq(kube_cache_len(c), 1);
    ck_assert_ptr_null(kube_cache_get(c, "ns/a"));
    got = kube_cache_get(c, "ns/b");
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(kube_meta_resource_version(got), "3");
    cJSON_Delete(got);
    kube_cache_free(c);
}
END_TEST

START_TEST(new_uid_under_the_same_name_is_a_delete_then_an_add)
{
    kube_cache *c = new_cache(NULL);
    journal j = {0};

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_MODIFIED, pod("a", "u2", "7", "kafka", NULL), &j);
    ck_assert_int_eq(j.n, 3);
    ck_assert_str_eq(j.lines[1], "DELETED ns/a 1");
    ck_assert_str_eq(j.lines[2], "ADDED ns/a 7");
    kube_cache_free(c);
}
END_TEST

START_TEST(replace_reports_what_vanished_with_its_last_known_state)
{
    kube_cache *c = new_cache(NULL);
    journal j = {0};
    util_err err = {{0}};
    cJSON *list = obj("{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"20\"},"
                      "\"items\":[]}");
    cJSON *items = cJSON_GetObjectItem(list, "items"), *keys;

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_ADDED, pod("b", "u2", "2", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_ADDED, pod("c", "u3", "3", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_ADDED, pod("d", "u4", "4", "kafka", NULL), &j);
    j.n = 0;
    /* Meanwhile: a unchanged, b updated, c and d deleted, e created. */
    cJSON_AddItemToArray(items, pod("a", "u1", "1", "kafka", NULL));
    cJSON_AddItemToArray(items, pod("b", "u2", "12", "kafka", NULL));
    cJSON_AddItemToArray(items, pod("e", "u5", "15", "kafka", NULL));
    ck_assert_msg(kube_cache_replace(c, list, record, &j, &err) == 0, "%s", err.msg);
    cJSON_Delete(list);

    ck_assert_int_eq(j.n, 4);
    ck_assert_str_eq(j.lines[0], "UPDATED ns/b 2->12");
    ck_assert_str_eq(j.lines[1], "ADDED ns/e 15");
    ck_assert_str_eq(j.lines[2], "DELETED ns/c 3");
    ck_assert_str_eq(j.lines[3], "DELETED ns/d 4");
    keys = kube_cache_keys(c);
    ck_assert_int_eq(cJSON_GetArraySize(keys), 3);
    ck_assert_str_eq(cJSON_GetArrayItem(keys, 0)->valuestring, "ns/a");
    ck_assert_str_eq(cJSON_GetArrayItem(keys, 2)->valuestring, "ns/e");
    cJSON_Delete(keys);

    /* The same list again is no news at all. */
    j.n = 0;
    list = obj("{\"items\":[]}");
    items = cJSON_GetObjectItem(list, "items");
    cJSON_AddItemToArray(items, pod("a", "u1", "1", "kafka", NULL));
    cJSON_AddItemToArray(items, pod("b", "u2", "12", "kafka", NULL));
    cJSON_AddItemToArray(items, pod("e", "u5", "15", "kafka", NULL));
    ck_assert_msg(kube_cache_replace(c, list, record, &j, &err) == 0, "%s", err.msg);
    cJSON_Delete(list);
    ck_assert_int_eq(j.n, 0);
    kube_cache_free(c);
}
END_TEST

START_TEST(a_paged_replace_that_starts_over_forgets_its_first_pages)
{
    kube_cache *c = new_cache(NULL);
    journal j = {0};
    util_err err = {{0}};
    cJSON *page = cJSON_CreateArray();

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), &j);
    apply(c, KUBE_WATCH_ADDED, pod("b", "u2", "2", "kafka", NULL), &j);
    j.n = 0;
    kube_cache_replace_begin(c);
    cJSON_AddItemToArray(page, pod("a", "u1", "1", "kafka", NULL));
    cJSON_AddItemToArray(page, pod("b", "u2", "2", "kafka", NULL));
    ck_assert_msg(kube_cache_replace_add(c, page, record, &j, &err) == 0, "%s", err.msg);
    cJSON_Delete(page);
    /* The continue token expired: the list starts over and now b is gone. */
    kube_cache_replace_begin(c);
    page = cJSON_CreateArray();
    cJSON_AddItemToArray(page, pod("a", "u1", "1", "kafka", NULL));
    ck_assert_msg(kube_cache_replace_add(c, page, record, &j, &err) == 0, "%s", err.msg);
    cJSON_Delete(page);
    page = cJSON_CreateArray();
    cJSON_AddItemToArray(page, pod("c", "u3", "3", "kafka", NULL));
    ck_assert_msg(kube_cache_replace_add(c, page, record, &j, &err) == 0, "%s", err.msg);
    cJSON_Delete(page);
    ck_assert_msg(kube_cache_replace_end(c, record, &j, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(j.n, 2);
    ck_assert_str_eq(j.lines[0], "ADDED ns/c 3");
    ck_assert_str_eq(j.lines[1], "DELETED ns/b 2");
    ck_assert_uint_eq(kube_cache_len(c), 2);
    kube_cache_free(c);
}
END_TEST

START_TEST(replace_with_a_nameless_item_fails_and_deletes_nothing)
{
    kube_cache *c = new_cache(NULL);
    journal j = {0};
    util_err err = {{0}};
    cJSON *list = obj("{\"items\":[{\"metadata\":{\"namespace\":\"ns\"}}]}");

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), &j);
    ck_assert_int_eq(kube_cache_replace(c, list, record, &j, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "item 0 has no metadata.name"));
    ck_assert_uint_eq(kube_cache_len(c), 1);
    cJSON_Delete(list);
    list = obj("{\"items\":{}}");
    ck_assert_int_eq(kube_cache_replace(c, list, record, &j, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "items is not an array"));
    cJSON_Delete(list);
    ck_assert_int_eq(
        kube_cache_apply(c, KUBE_WATCH_ADDED, list = obj("{\"kind\":\"Pod\"}"), record, &j, &err),
        -1);
    cJSON_Delete(list);
    ck_assert_int_eq(j.n, 1);
    kube_cache_free(c);
}
END_TEST

START_TEST(label_and_owner_indexes_follow_every_write)
{
    kube_cache *c = new_cache(NULL);
    char buf[256];

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", "sts1"), NULL);
    apply(c, KUBE_WATCH_ADDED, pod("b", "u2", "2", "kafka", "sts1"), NULL);
    apply(c, KUBE_WATCH_ADDED, pod("c", "u3", "3", "redpanda", "sts2"), NULL);
    apply(c, KUBE_WATCH_ADDED, pod("d", "u4", "4", "kafka", NULL), NULL);

    kt_names_of(kube_cache_by_label(c, "app", "kafka"), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,b,d,");
    kt_names_of(kube_cache_by_label(c, "tier", "data"), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,b,c,d,");
    kt_names_of(kube_cache_by_owner(c, "sts1"), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,b,");
    /* Only the controller counts, not every owner. */
    kt_names_of(kube_cache_by_owner(c, "other"), buf, sizeof buf);
    ck_assert_str_eq(buf, "");

    /* a changes app and loses its owner; b goes. */
    apply(c, KUBE_WATCH_MODIFIED, pod("a", "u1", "5", "redpanda", NULL), NULL);
    apply(c, KUBE_WATCH_DELETED, pod("b", "u2", "6", "kafka", "sts1"), NULL);
    kt_names_of(kube_cache_by_label(c, "app", "kafka"), buf, sizeof buf);
    ck_assert_str_eq(buf, "d,");
    kt_names_of(kube_cache_by_label(c, "app", "redpanda"), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,c,");
    kt_names_of(kube_cache_by_owner(c, "sts1"), buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    kt_names_of(kube_cache_by_owner(c, "sts2"), buf, sizeof buf);
    ck_assert_str_eq(buf, "c,");
    kt_names_of(kube_cache_by_label(c, "app", "none"), buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    kt_names_of(kube_cache_list(c), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,c,d,");
    kube_cache_free(c);
}
END_TEST

START_TEST(only_the_chosen_label_keys_are_indexed)
{
    const char *keys[] = {"tier", NULL};
    kube_cache_opts o = {.index_label_keys = keys};
    kube_cache *c = new_cache(&o);
    char buf[64];

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), NULL);
    kt_names_of(kube_cache_by_label(c, "app", "kafka"), buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    kt_names_of(kube_cache_by_label(c, "tier", "data"), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,");
    kube_cache_free(c);
}
END_TEST

START_TEST(without_the_owner_index_owners_find_nothing_and_cost_nothing)
{
    kube_cache_opts o = {.no_owner_index = true};
    kube_cache *c = new_cache(&o), *k = new_cache(NULL);
    char buf[64];

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", "sts1"), NULL);
    apply(k, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", "sts1"), NULL);
    kt_names_of(kube_cache_by_owner(c, "sts1"), buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    kt_names_of(kube_cache_by_owner(k, "sts1"), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,");
    kt_names_of(kube_cache_by_label(c, "app", "kafka"), buf, sizeof buf);
    ck_assert_str_eq(buf, "a,");
    ck_assert_uint_lt(kube_cache_bytes(c), kube_cache_bytes(k));
    apply(c, KUBE_WATCH_DELETED, pod("a", "u1", "2", "kafka", "sts1"), NULL);
    ck_assert_uint_eq(kube_cache_len(c), 0);
    kube_cache_free(c);
    kube_cache_free(k);
}
END_TEST

START_TEST(managed_fields_are_dropped_unless_kept_and_readers_get_copies)
{
    kube_cache_opts keep = {.keep_managed_fields = true};
    kube_cache *c = new_cache(NULL), *k = new_cache(&keep);
    cJSON *got, *again;
    size_t small, big;

    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), NULL);
    apply(k, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), NULL);
    got = kube_cache_get(c, "ns/a");
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(got, "metadata"), "managedFields"));
    /* A reader's copy is its own. */
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(got, "metadata"), "name",
                              cJSON_CreateString("changed"));
    again = kube_cache_get(c, "ns/a");
    ck_assert_str_eq(kube_meta_name(again), "a");
    cJSON_Delete(got);
    cJSON_Delete(again);
    got = kube_cache_get(k, "ns/a");
    ck_assert_ptr_nonnull(
        cJSON_GetObjectItem(cJSON_GetObjectItem(got, "metadata"), "managedFields"));
    cJSON_Delete(got);
    small = kube_cache_bytes(c);
    big = kube_cache_bytes(k);
    ck_assert_uint_gt(big, small);
    kube_cache_free(c);
    kube_cache_free(k);
}
END_TEST

static void drop_spec(cJSON *o)
{
    cJSON_DeleteItemFromObject(o, "spec");
}

static void no_spec(kube_cache_change ch, const cJSON *old, const cJSON *o, void *ctx)
{
    (void)ch;
    (void)ctx;
    ck_assert_ptr_null(cJSON_GetObjectItem(o, "spec"));
    ck_assert_ptr_null(cJSON_GetObjectItem(old, "spec"));
}

/* The owner's trim runs on what is stored, listed and reported, on every
 * path in. */
START_TEST(the_trim_function_shapes_what_is_stored_and_reported)
{
    kube_cache_opts o = {.trim = drop_spec};
    kube_cache *c = new_cache(&o);
    util_err err = {{0}};
    cJSON *a = pod("a", "u1", "1", "kafka", NULL), *list, *got;

    ck_assert(kube_cache_apply(c, KUBE_WATCH_ADDED, a, no_spec, NULL, &err) == 0);
    cJSON_Delete(a);
    a = pod("a", "u1", "2", "kafka", NULL);
    ck_assert(kube_cache_apply(c, KUBE_WATCH_MODIFIED, a, no_spec, NULL, &err) == 0);
    cJSON_Delete(a);
    list = obj("{\"items\":[]}");
    cJSON_AddItemToArray(cJSON_GetObjectItem(list, "items"), pod("b", "u2", "3", "kafka", NULL));
    ck_assert(kube_cache_replace(c, list, no_spec, NULL, &err) == 0);
    cJSON_Delete(list);
    got = kube_cache_list(c);
    ck_assert_int_eq(cJSON_GetArraySize(got), 1);
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(got, 0), "spec"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetArrayItem(got, 0), "metadata"));
    cJSON_Delete(got);
    kube_cache_free(c);
}
END_TEST

START_TEST(resync_visits_every_object_in_key_order)
{
    kube_cache *c = new_cache(NULL);
    journal j = {0};

    apply(c, KUBE_WATCH_ADDED, pod("b", "u2", "2", "kafka", NULL), NULL);
    apply(c, KUBE_WATCH_ADDED, pod("a", "u1", "1", "kafka", NULL), NULL);
    kube_cache_resync(c, record, &j);
    ck_assert_int_eq(j.n, 2);
    ck_assert_str_eq(j.lines[0], "RESYNC ns/a 1");
    ck_assert_str_eq(j.lines[1], "RESYNC ns/b 2");
    kube_cache_free(c);
}
END_TEST

START_TEST(cluster_scoped_objects_are_keyed_by_name)
{
    kube_cache *c = new_cache(NULL);
    cJSON *got;

    apply(c, KUBE_WATCH_ADDED,
          obj("{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"resourceVersion\":\"1\"}}"),
          NULL);
    got = kube_cache_get(c, "n1");
    ck_assert_ptr_nonnull(got);
    cJSON_Delete(got);
    kube_cache_free(c);
}
END_TEST

/* A writer churns objects (growing the tables through several sizes) while
 * readers list and look up: every object a reader sees is whole. */
typedef struct churn {
    kube_cache *c;
    atomic_int stop;
} churn;

static void *reader(void *arg)
{
    churn *ch = arg;
    unsigned long seen = 0;

    while (!atomic_load(&ch->stop)) {
        cJSON *all = kube_cache_by_label(ch->c, "app", "kafka"), *it;

        ck_assert_ptr_nonnull(all);
        cJSON_ArrayForEach(it, all)
        {
            ck_assert_ptr_nonnull(kube_meta_uid(it));
            seen++;
        }
        cJSON_Delete(all);
        cJSON_Delete(kube_cache_get(ch->c, "ns/p7"));
    }
    return (void *)seen;
}

START_TEST(readers_in_other_threads_see_whole_objects)
{
    churn ch = {.c = new_cache(NULL)};
    pthread_t t[2];
    char name[32], uid[32], rv[32];
    int i, round;

    for (i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, reader, &ch);
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 300; i++) {
            snprintf(name, sizeof name, "p%d", i);
            snprintf(uid, sizeof uid, "u%d", i);
            snprintf(rv, sizeof rv, "%d", round * 1000 + i);
            apply(ch.c, KUBE_WATCH_MODIFIED, pod(name, uid, rv, "kafka", "sts"), NULL);
        }
        for (i = 0; i < 300; i += 2) {
            snprintf(name, sizeof name, "p%d", i);
            snprintf(uid, sizeof uid, "u%d", i);
            apply(ch.c, KUBE_WATCH_DELETED, pod(name, uid, "x", "kafka", "sts"), NULL);
        }
    }
    atomic_store(&ch.stop, 1);
    for (i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(kube_cache_len(ch.c), 150);
    kube_cache_free(ch.c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_cache");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, events_become_add_update_delete_and_repeats_are_silent);
    tcase_add_test(tc, without_the_owner_index_owners_find_nothing_and_cost_nothing);
    tcase_add_test(tc, new_uid_under_the_same_name_is_a_delete_then_an_add);
    tcase_add_test(tc, replace_reports_what_vanished_with_its_last_known_state);
    tcase_add_test(tc, a_paged_replace_that_starts_over_forgets_its_first_pages);
    tcase_add_test(tc, replace_with_a_nameless_item_fails_and_deletes_nothing);
    tcase_add_test(tc, label_and_owner_indexes_follow_every_write);
    tcase_add_test(tc, only_the_chosen_label_keys_are_indexed);
    tcase_add_test(tc, managed_fields_are_dropped_unless_kept_and_readers_get_copies);
    tcase_add_test(tc, the_trim_function_shapes_what_is_stored_and_reported);
    tcase_add_test(tc, resync_visits_every_object_in_key_order);
    tcase_add_test(tc, cluster_scoped_objects_are_keyed_by_name);
    tcase_add_test(tc, readers_in_other_threads_see_whole_objects);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
