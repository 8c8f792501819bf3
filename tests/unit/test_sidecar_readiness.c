/* Readiness (sidecar/readiness.c) is latched: before the first "ready" it
 * needs registration, no fencing, every ISR with a live leader, a caught-up
 * voter and restore done, and it says which one is missing; afterwards only
 * registration and fencing count, so an ISR shrink does not flap it. A
 * broker that replicates nothing is ready as soon as it is registered. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/readiness.h"

static sc_ready_facts healthy(void)
{
    sc_ready_facts f;

    memset(&f, 0, sizeof f);
    f.registered = 1;
    f.replicated = 10;
    f.voter = 1;
    f.voter_caught_up = 1;
    f.restore_done = 1;
    return f;
}

static void not_ready(sc_readiness *r, const sc_ready_facts *f, const char *why)
{
    ck_assert_int_eq(sc_ready_eval(r, f), 0);
    ck_assert_msg(strstr(r->reason, why) != NULL, "reason '%s' lacks '%s'", r->reason, why);
    ck_assert_int_eq(r->latched, 0);
}

START_TEST(test_each_gate_blocks_before_latch)
{
    sc_readiness r = {0};
    sc_ready_facts f = healthy();

    f.registered = 0;
    not_ready(&r, &f, "not registered");
    f = healthy();
    f.fenced = 1;
    not_ready(&r, &f, "fenced");
    f = healthy();
    f.out_of_isr = 2;
    strcpy(f.first_out, "t-4");
    not_ready(&r, &f, "not in the ISR of 2 of 10 partitions it replicates (first: t-4)");
    f = healthy();
    f.voter_caught_up = 0;
    not_ready(&r, &f, "voter has not caught up");
    f = healthy();
    f.restore_done = 0;
    not_ready(&r, &f, "restore still running");
    /* Leaderless partitions are not waited for; a non-voter has no quorum gate. */
    f = healthy();
    f.leaderless = 3;
    f.voter = 0;
    f.voter_caught_up = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    ck_assert_int_eq(r.latched, 1);
    ck_assert_str_eq(r.reason, "");
}
END_TEST

START_TEST(test_latched_only_checks_registration)
{
    sc_readiness r = {0};
    sc_ready_facts f = healthy();

    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    f.out_of_isr = 5;
    f.voter_caught_up = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    f.fenced = 1;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_str_eq(r.reason, "broker is fenced");
    f.fenced = 0;
    f.registered = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    f.registered = 1;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
}
END_TEST

START_TEST(test_new_empty_broker_ready_at_once)
{
    sc_readiness r = {0};
    sc_ready_facts f;

    memset(&f, 0, sizeof f);
    f.registered = 1;
    f.restore_done = 1; /* nothing to restore */
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_readiness");
    TCase *tc = tcase_create("readiness");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_each_gate_blocks_before_latch);
    tcase_add_test(tc, test_latched_only_checks_registration);
    tcase_add_test(tc, test_new_empty_broker_ready_at_once);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
