/* When partitions move (operator/rebalance.h): each scaling case and mode
 * gives the job it should, a stale or missing status.rebalance included;
 * and the mover's step (lib/balance/move.h) on a broker announcing answers
 * larger than the operator accepts fails from the size prefix, so a
 * hostile tenant's broker cannot make the operator read them. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "balance/move.h"
#include "operator/kafka_admin.h"
#include "operator/rebalance.h"
#include "operator/scale_down.h"
#include "support/oversized_broker.h"

static op_balance_job decide(op_rebalance_mode mode, int have, int want, const char *old_json,
                             const char *request)
{
    cJSON *old = old_json != NULL ? cJSON_Parse(old_json) : NULL;
    op_balance_view v = {true, mode, have, want, old, request};
    op_balance_job j;

    ck_assert(old_json == NULL || old != NULL);
    j = op_balance_decide(&v);
    cJSON_Delete(old);
    return j;
}

START_TEST(scale_down_decommissions_unless_off)
{
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 5, 3, NULL, NULL), OP_BALANCE_DECOMMISSION);
    ck_assert_int_eq(decide(OP_REBALANCE_MANUAL, 5, 3, NULL, NULL), OP_BALANCE_DECOMMISSION);
    ck_assert_int_eq(decide(OP_REBALANCE_OFF, 5, 3, NULL, NULL), OP_BALANCE_NONE);
    /* Under way: it goes on, whatever the status says. */
    ck_assert_int_eq(
        decide(OP_REBALANCE_ON_SCALE_UP, 5, 3, "{\"phase\":\"Rebalancing\",\"brokers\":5}", NULL),
        OP_BALANCE_DECOMMISSION);
}
END_TEST

START_TEST(scaling_back_up_calls_a_decommission_off)
{
    const char *dec = "{\"phase\":\"Decommissioning\",\"brokers\":5,\"targetBrokers\":3}";

    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 5, 5, dec, NULL), OP_BALANCE_CANCEL);
    ck_assert_int_eq(decide(OP_REBALANCE_OFF, 5, 5, dec, NULL), OP_BALANCE_CANCEL);
    /* Further up than it was: the cancel first, the rebalance after. */
    ck_assert_int_eq(decide(OP_REBALANCE_MANUAL, 5, 7, dec, NULL), OP_BALANCE_CANCEL);
    /* Down to 4 of a 5 -> 3 decommission (the StatefulSet at 4): broker 3
     * stays, its moves are called off. */
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 4, 4, dec, NULL), OP_BALANCE_CANCEL);
}
END_TEST

/* The pass that shrank the StatefulSet wrote Balanced; the next one read
 * the KafkaCluster from a cache that had not seen it. That is no cancel
 * (it would rebalance while the removed brokers still shut down). */
START_TEST(a_finished_decommission_read_late_is_finished)
{
    const char *dec = "{\"phase\":\"Decommissioning\",\"brokers\":5,\"targetBrokers\":3}";

    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 3, 3, dec, NULL), OP_BALANCE_FINISHED);
    ck_assert_int_eq(decide(OP_REBALANCE_OFF, 3, 3, dec, NULL), OP_BALANCE_FINISHED);
    /* No target recorded: nothing says it finished. */
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 3, 3,
                            "{\"phase\":\"Decommissioning\",\"brokers\":5}", NULL),
                     OP_BALANCE_CANCEL);
}
END_TEST

START_TEST(scale_up_rebalances_once_the_statefulset_has_grown)
{
    const char *three = "{\"phase\":\"Balanced\",\"brokers\":3}";

    /* The StatefulSet still at 3: its new pods come first. */
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 3, 5, three, NULL), OP_BALANCE_NONE);
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 5, 5, three, NULL), OP_BALANCE_REBALANCE);
    ck_assert_int_eq(decide(OP_REBALANCE_MANUAL, 5, 5, three, NULL), OP_BALANCE_NONE);
    ck_assert_int_eq(decide(OP_REBALANCE_OFF, 5, 5, three, NULL), OP_BALANCE_NONE);
    /* Balanced over 5 already, or a smaller cluster: nothing. */
    ck_assert_int_eq(
        decide(OP_REBALANCE_ON_SCALE_UP, 5, 5, "{\"phase\":\"Balanced\",\"brokers\":5}", NULL),
        OP_BALANCE_NONE);
    ck_assert_int_eq(
        decide(OP_REBALANCE_ON_SCALE_UP, 3, 3, "{\"phase\":\"Balanced\",\"brokers\":5}", NULL),
        OP_BALANCE_NONE);
    /* No record (a cluster from before berth moved data): nothing to
     * compare with, so nothing moves. */
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 5, 5, NULL, NULL), OP_BALANCE_NONE);
    /* A rebalance under way goes on, until the step says done. */
    ck_assert_int_eq(
        decide(OP_REBALANCE_MANUAL, 5, 5, "{\"phase\":\"Rebalancing\",\"brokers\":3}", NULL),
        OP_BALANCE_REBALANCE);
    ck_assert_int_eq(
        decide(OP_REBALANCE_OFF, 5, 5, "{\"phase\":\"Rebalancing\",\"brokers\":3}", NULL),
        OP_BALANCE_NONE);
}
END_TEST

START_TEST(the_annotation_asks_once_per_value)
{
    const char *handled = "{\"phase\":\"Balanced\",\"brokers\":3,\"request\":\"a\"}";

    ck_assert_int_eq(decide(OP_REBALANCE_MANUAL, 3, 3, handled, "b"), OP_BALANCE_REBALANCE);
    ck_assert_int_eq(decide(OP_REBALANCE_MANUAL, 3, 3, handled, "a"), OP_BALANCE_NONE);
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, 3, 3, "{\"brokers\":3}", "x"),
                     OP_BALANCE_REBALANCE);
    ck_assert_int_eq(decide(OP_REBALANCE_OFF, 3, 3, handled, "b"), OP_BALANCE_NONE);
    /* Not while the cluster changes size. */
    ck_assert_int_eq(decide(OP_REBALANCE_MANUAL, 3, 4, handled, "b"), OP_BALANCE_NONE);
}
END_TEST

START_TEST(nothing_moves_without_a_statefulset_or_for_redpanda)
{
    op_balance_view v = {false, OP_REBALANCE_ON_SCALE_UP, 5, 3, NULL, "x"};

    ck_assert_int_eq(op_balance_decide(&v), OP_BALANCE_NONE);
    ck_assert_int_eq(decide(OP_REBALANCE_ON_SCALE_UP, -1, 3, NULL, "x"), OP_BALANCE_NONE);
}
END_TEST

START_TEST(a_range_of_ordinals_reads_as_one)
{
    char buf[32];

    ck_assert_str_eq(op_balance_range(3, 4, buf, sizeof buf), "3");
    ck_assert_str_eq(op_balance_range(3, 5, buf, sizeof buf), "3..4");
}
END_TEST

START_TEST(an_oversized_answer_stops_the_step_unread)
{
    static const int32_t leaving[1] = {2};
    balance_move_opts o = {.leaving = leaving, .n_leaving = 1, .max_moves = 4, .timeout_ms = 2000};
    balance_progress p;
    ob_broker s;
    char want[128];
    util_err err = {{0}};
    op_admin_target t = {0};
    op_admin *a = NULL;

    ob_start(&s, OP_SCALE_DOWN_MAX_FRAME + 1);
    t.bootstrap = s.addr;
    t.max_frame_bytes = OP_SCALE_DOWN_MAX_FRAME;
    ck_assert_int_eq(op_admin_open(&t, 0, 0, &a, &err), 0);
    ck_assert_int_eq(balance_step(a->conn, a->av, &o, &p, &err), -1);
    snprintf(want, sizeof want, "frame of %u bytes exceeds the limit of %u bytes",
             OP_SCALE_DOWN_MAX_FRAME + 1, OP_SCALE_DOWN_MAX_FRAME);
    ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
    ck_assert_int_eq(p.started, 0);
    op_admin_free(a);
    ob_stop(&s);
}
END_TEST

START_TEST(a_step_with_bad_bounds_is_refused)
{
    balance_move_opts o = {.max_moves = 0, .timeout_ms = 1000};
    balance_progress p;
    util_err err = {{0}};

    ck_assert_int_eq(balance_step(NULL, NULL, &o, &p, &err), -1);
    ck_assert_msg(strstr(err.msg, "max_moves 0") != NULL, "%s", err.msg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("op_rebalance");
    TCase *tc = tcase_create("decide");

    tcase_add_test(tc, scale_down_decommissions_unless_off);
    tcase_add_test(tc, scaling_back_up_calls_a_decommission_off);
    tcase_add_test(tc, a_finished_decommission_read_late_is_finished);
    tcase_add_test(tc, scale_up_rebalances_once_the_statefulset_has_grown);
    tcase_add_test(tc, the_annotation_asks_once_per_value);
    tcase_add_test(tc, nothing_moves_without_a_statefulset_or_for_redpanda);
    tcase_add_test(tc, a_range_of_ordinals_reads_as_one);
    tcase_add_test(tc, an_oversized_answer_stops_the_step_unread);
    tcase_add_test(tc, a_step_with_bad_bounds_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
