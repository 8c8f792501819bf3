/* The drain ledger (drain/ledger.c): its JSON survives a round trip, bad
 * JSON is refused with an error naming the entry and field, and the merge
 * steps record the original once, keep the wanted order a function of the
 * original and the demoted set alone (so demotes and restores commute), and
 * leave alone an order berth never wrote. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "drain/ledger.h"

static drain_ledger *parse_ok(const char *json)
{
    drain_ledger *l;
    util_err err;

    ck_assert_msg(drain_ledger_parse(json, strlen(json), &l, &err) == 0, "%s", err.msg);
    return l;
}

static void parse_fails(const char *json, const char *want)
{
    drain_ledger *l = (drain_ledger *)1;
    util_err err;

    ck_assert_int_eq(drain_ledger_parse(json, strlen(json), &l, &err), -1);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(err.msg, want) != NULL, "error '%s' lacks '%s'", err.msg, want);
}

static void ids_eq(const int32_t *got, const int32_t *want, int32_t n)
{
    int32_t i;

    for (i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "id %d: got %d, want %d", (int)i, (int)got[i],
                      (int)want[i]);
}

START_TEST(test_empty_and_round_trip)
{
    const char *json = "{\"version\":1,\"partitions\":[{\"topic\":\"b\",\"partition\":2,"
                       "\"original\":[1,2,3],\"demoted\":[1],\"written\":[2,3,1],"
                       "\"wrote\":[[2,3,1]]},{\"topic\":\"a\",\"partition\":7,"
                       "\"original\":[3,1,2],\"demoted\":[],\"written\":[3,1,2],\"wrote\":[]}]}";
    drain_ledger *l = parse_ok(""), *again;
    drain_ledger_entry *e;
    char *out, *out2;
    util_err err;

    ck_assert_int_eq(l->n, 0);
    drain_ledger_free(l);

    l = parse_ok(json);
    ck_assert_int_eq(l->n, 2);
    /* Sorted by topic, then partition. */
    ck_assert_str_eq(l->entries[0].topic, "a");
    e = drain_ledger_find(l, "b", 2);
    ck_assert_ptr_nonnull(e);
    ids_eq(e->written, (int32_t[]){2, 3, 1}, 3);
    ck_assert(drain_ledger_is_demoted(e, 1));
    ck_assert(!drain_ledger_is_demoted(e, 2));
    ck_assert_ptr_null(drain_ledger_find(l, "b", 3));

    ck_assert_msg(drain_ledger_format(l, &out, &err) == 0, "%s", err.msg);
    again = parse_ok(out);
    ck_assert_msg(drain_ledger_format(again, &out2, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(out, out2);
    free(out);
    free(out2);
    drain_ledger_free(again);
    drain_ledger_free(l);
}
END_TEST

START_TEST(test_bad_json_is_named)
{
    parse_fails("{", "not valid JSON");
    parse_fails("[]", "not a JSON object");
    parse_fails("{\"version\":2,\"partitions\":[]}", "version");
    parse_fails("{\"version\":1}", "partitions: not an array");
    parse_fails("{\"version\":1,\"partitions\":[1]}", "partitions[0]: not an object");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"\",\"partition\":0}]}", "topic");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":-1}]}",
                "partition: not a partition index");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,"
                "\"original\":[1,1],\"demoted\":[],\"written\":[1,1]}]}",
                "t-0: original: broker 1 listed twice");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,"
                "\"original\":[1,2],\"demoted\":[],\"written\":[1,3]}]}",
                "t-0: written: not the replica set of original");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,"
                "\"original\":[1,2],\"demoted\":[4],\"written\":[1,2]}]}",
                "demoted: broker 4 is not a replica");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,"
                "\"original\":[1,2],\"demoted\":[],\"written\":[1,2],\"wrote\":[[2]]}]}",
                "wrote: not the replica set");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,"
                "\"original\":[1.5],\"demoted\":[],\"written\":[1]}]}",
                "original: element 0 is not a broker id");
    parse_fails("{\"version\":1,\"partitions\":["
                "{\"topic\":\"t\",\"partition\":0,\"original\":[1],\"demoted\":[],\"written\":[1]},"
                "{\"topic\":\"t\",\"partition\":0,\"original\":[1],\"demoted\":[],\"written\":[1]}"
                "]}",
                "t-0: listed twice");
    parse_fails("{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,"
                "\"original\":[],\"demoted\":[],\"written\":[]}]}",
                "original: empty");
}
END_TEST

START_TEST(test_arrange_moves_demoted_last)
{
    int32_t out[4];

    drain_order_arrange((int32_t[]){1, 2, 3, 4}, 4, (int32_t[]){3, 1}, 2, out);
    ids_eq(out, (int32_t[]){2, 4, 1, 3}, 4);
    drain_order_arrange((int32_t[]){1, 2, 3}, 3, NULL, 0, out);
    ids_eq(out, (int32_t[]){1, 2, 3}, 3);
}
END_TEST

START_TEST(test_first_demoter_records_original)
{
    drain_ledger *l = drain_ledger_new();
    int32_t order[3];
    util_err err;
    drain_ledger_entry *e;

    ck_assert_int_eq(drain_ledger_demote(l, "t", 0, (int32_t[]){1, 2, 3}, 3, 1, order, &err),
                     DRAIN_STEP_WRITE);
    ids_eq(order, (int32_t[]){2, 3, 1}, 3);
    /* The second broker sees broker 1's order in Kafka: the original stays. */
    ck_assert_int_eq(drain_ledger_demote(l, "t", 0, (int32_t[]){2, 3, 1}, 3, 2, order, &err),
                     DRAIN_STEP_WRITE);
    ids_eq(order, (int32_t[]){3, 1, 2}, 3);
    e = drain_ledger_find(l, "t", 0);
    ids_eq(e->original, (int32_t[]){1, 2, 3}, 3);
    ck_assert_int_eq(e->n_demoted, 2);
    /* Repeating a drain changes nothing. */
    ck_assert_int_eq(drain_ledger_demote(l, "t", 0, (int32_t[]){3, 1, 2}, 3, 2, order, &err),
                     DRAIN_STEP_KEEP);
    /* Restores in the other order end at the original. */
    ck_assert_int_eq(drain_ledger_undemote(l, "t", 0, (int32_t[]){3, 1, 2}, 3, 1, order, &err),
                     DRAIN_STEP_WRITE);
    ids_eq(order, (int32_t[]){1, 3, 2}, 3);
    ck_assert_int_eq(drain_ledger_undemote(l, "t", 0, (int32_t[]){1, 3, 2}, 3, 2, order, &err),
                     DRAIN_STEP_WRITE);
    ids_eq(order, (int32_t[]){1, 2, 3}, 3);
    ck_assert_int_eq(drain_ledger_undemote(l, "t", 0, (int32_t[]){1, 2, 3}, 3, 2, order, &err),
                     DRAIN_STEP_NONE);
    drain_ledger_free(l);
}
END_TEST

START_TEST(test_foreign_order_left_alone)
{
    drain_ledger *l = drain_ledger_new();
    int32_t order[3];
    util_err err;

    ck_assert_int_eq(drain_ledger_demote(l, "t", 0, (int32_t[]){1, 2, 3}, 3, 1, order, &err),
                     DRAIN_STEP_WRITE);
    ck_assert_int_eq(drain_ledger_demote(l, "t", 0, (int32_t[]){2, 3, 1}, 3, 3, order, &err),
                     DRAIN_STEP_WRITE);
    ids_eq(order, (int32_t[]){2, 1, 3}, 3);
    /* A rebalancer wrote 3,2,1, an order berth never wrote: restore keeps it. */
    ck_assert_int_eq(drain_ledger_undemote(l, "t", 0, (int32_t[]){3, 2, 1}, 3, 1, order, &err),
                     DRAIN_STEP_FOREIGN);
    ck_assert(!drain_ledger_is_demoted(drain_ledger_find(l, "t", 0), 1));
    /* Another replica set: the entry is dropped. */
    ck_assert_int_eq(drain_ledger_undemote(l, "t", 0, (int32_t[]){4, 2, 3}, 3, 3, order, &err),
                     DRAIN_STEP_FOREIGN);
    ck_assert_ptr_null(drain_ledger_find(l, "t", 0));
    /* A drain of a non-replica is refused. */
    ck_assert_int_eq(drain_ledger_demote(l, "t", 0, (int32_t[]){1, 2, 3}, 3, 9, order, &err), -1);
    ck_assert(strstr(err.msg, "broker 9 is not a replica") != NULL);
    drain_ledger_free(l);
}
END_TEST

/* Every order of demotes and restores of brokers 1..3 on a partition ends
 * with the same ledger state for the same demoted set. */
START_TEST(test_steps_commute)
{
    static const int32_t perms[6][3] = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3},
                                        {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
    int p, a, b;

    for (p = 0; p < 6; p++)
        for (a = 1; a <= 3; a++)
            for (b = 1; b <= 3; b++) {
                drain_ledger *l1, *l2;
                int32_t o1[3], o2[3], cur1[3], cur2[3];
                util_err err;
                if (a == b)
                    continue;
                l1 = drain_ledger_new();
                l2 = drain_ledger_new();
                memcpy(cur1, perms[p], sizeof cur1);
                memcpy(cur2, perms[p], sizeof cur2);
                /* l1: a then b; l2: b then a, each applying its own writes. */
                ck_assert(drain_ledger_demote(l1, "t", 0, cur1, 3, a, o1, &err) >= 0);
                memcpy(cur1, o1, sizeof cur1);
                ck_assert(drain_ledger_demote(l1, "t", 0, cur1, 3, b, o1, &err) >= 0);
                memcpy(cur1, o1, sizeof cur1);
                ck_assert(drain_ledger_demote(l2, "t", 0, cur2, 3, b, o2, &err) >= 0);
                memcpy(cur2, o2, sizeof cur2);
                ck_assert(drain_ledger_demote(l2, "t", 0, cur2, 3, a, o2, &err) >= 0);
                memcpy(cur2, o2, sizeof cur2);
                ids_eq(cur1, cur2, 3);
                /* Restore a from l1 and b from l2 first, then the other. */
                ck_assert(drain_ledger_undemote(l1, "t", 0, cur1, 3, a, o1, &err) >= 0);
                memcpy(cur1, o1, sizeof cur1);
                ck_assert(drain_ledger_undemote(l1, "t", 0, cur1, 3, b, o1, &err) >= 0);
                ck_assert(drain_ledger_undemote(l2, "t", 0, cur2, 3, b, o2, &err) >= 0);
                memcpy(cur2, o2, sizeof cur2);
                ck_assert(drain_ledger_undemote(l2, "t", 0, cur2, 3, a, o2, &err) >= 0);
                ids_eq(o1, perms[p], 3);
                ids_eq(o2, perms[p], 3);
                drain_ledger_free(l1);
                drain_ledger_free(l2);
            }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("drain_ledger");
    TCase *tc = tcase_create("ledger");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_empty_and_round_trip);
    tcase_add_test(tc, test_bad_json_is_named);
    tcase_add_test(tc, test_arrange_moves_demoted_last);
    tcase_add_test(tc, test_first_demoter_records_original);
    tcase_add_test(tc, test_foreign_order_left_alone);
    tcase_add_test(tc, test_steps_commute);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
