/* Readiness (sidecar/serve/readiness.c) is latched: before the first "ready" it
 * needs registration, no fencing, every ISR with a live leader, a caught-up
 * voter and restore done, and it says which one is missing; afterwards only
 * registration and fencing count, so an ISR shrink of the same broker
 * process does not flap it. A broker that replicates nothing is ready as
 * soon as it is registered. The latch is the broker process's: once that
 * process is seen to end (its connection closed, its port refusing, or it
 * unregistered or fenced), the broker is unready, saying "broker restarted:
 * ...", until it is back in every ISR and restore has run again for the new
 * process; the restart counts once however long the broker stays away, and
 * a check that merely could not reach it keeps the latch. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/serve/readiness.h"

static sc_ready_facts healthy(void)
{
    sc_ready_facts f;

    memset(&f, 0, sizeof f);
    f.registered = 1;
    f.parts.replicated = 10;
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
    f.parts.out_of_isr = 2;
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
    f.parts.leaderless = 3;
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
    f.parts.out_of_isr = 5;
    f.voter_caught_up = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    /* Fenced: the controller took it out of every ISR; the gate again. */
    f.fenced = 1;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_str_eq(r.reason,
                     "broker restarted: it was fenced by the controller; broker is fenced");
    ck_assert_int_eq(r.latched, 0);
    f.fenced = 0;
    f.registered = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    f.registered = 1;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_ptr_nonnull(strstr(r.reason, "not in the ISR of 5 of 10"));
    f = healthy();
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    ck_assert_int_eq(r.restarts, 1);
}
END_TEST

/* An ISR shrink while the same process runs (no restart seen) keeps a
 * latched broker ready, check after check. */
START_TEST(test_isr_shrink_of_the_same_process_stays_ready)
{
    sc_readiness r = {0};
    sc_ready_facts f = healthy();

    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    for (int i = 0; i < 5; i++) {
        f.parts.out_of_isr = 1 + i;
        strcpy(f.first_out, "t-1");
        f.voter_caught_up = i % 2;
        f.restore_done = 0;
        ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
        ck_assert_str_eq(r.reason, "");
    }
    ck_assert_int_eq(r.latched, 1);
    ck_assert_int_eq(r.restarts, 0);
    ck_assert_str_eq(r.restarted, "");
}
END_TEST

/* Latched, then the broker process ends (its connection closed): unready
 * until it is in every ISR and restore has run for the new process, even
 * when the new process is registered and in every ISR at the very check
 * that saw the old one end. */
START_TEST(test_restart_drops_the_latch_until_isr_and_restore)
{
    sc_readiness r = {0};
    sc_ready_facts f = healthy();

    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    f.gone = 1;
    strcpy(f.gone_why, "it closed the sidecar's connection to localhost:9092");
    /* Quick restart: already back and in every ISR; the restore that was
     * done belongs to the old process. */
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_str_eq(r.reason, "broker restarted: it closed the sidecar's connection to "
                               "localhost:9092; leadership restore still running");
    ck_assert_int_eq(r.latched, 0);
    ck_assert_int_eq(r.restarts, 1);
    f = healthy();
    f.restore_done = 0;
    f.parts.out_of_isr = 4;
    strcpy(f.first_out, "t-2");
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_str_eq(r.reason,
                     "broker restarted: it closed the sidecar's connection to localhost:9092; "
                     "not in the ISR of 4 of 10 partitions it replicates (first: t-2)");
    f.parts.out_of_isr = 0;
    f.voter_caught_up = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_ptr_nonnull(strstr(r.reason, "voter has not caught up"));
    f.voter_caught_up = 1;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_ptr_nonnull(strstr(r.reason, "broker restarted: "));
    ck_assert_ptr_nonnull(strstr(r.reason, "restore still running"));
    f.restore_done = 1;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    ck_assert_int_eq(r.latched, 1);
    ck_assert_str_eq(r.reason, "");
    ck_assert_int_eq(r.restarts, 1);
    /* What showed the restart is kept for the status. */
    ck_assert_str_eq(r.restarted,
                     "broker restarted: it closed the sidecar's connection to localhost:9092");
}
END_TEST

/* Down for several checks (its port refusing each time): one restart. A
 * check that could not reach the broker for another reason (a timeout)
 * keeps the latch. */
START_TEST(test_restart_counts_once_and_timeouts_keep_the_latch)
{
    sc_readiness r = {0};
    sc_ready_facts f = healthy(), down;

    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    memset(&down, 0, sizeof down);
    sc_ready_unreachable(&r, &down, "broker 1 at localhost:9092: ApiVersions: timed out");
    ck_assert_int_eq(r.latched, 1);
    ck_assert_str_eq(r.reason, "broker 1 at localhost:9092: ApiVersions: timed out");
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);

    down.gone = 1;
    strcpy(down.gone_why, "nothing listens on localhost:9092 (connection refused)");
    for (int i = 0; i < 3; i++) {
        sc_ready_unreachable(&r, &down, "connect: Connection refused");
        ck_assert_int_eq(r.latched, 0);
        ck_assert_int_eq(r.restarts, 1);
        ck_assert_str_eq(r.reason, "broker restarted: nothing listens on localhost:9092 "
                                   "(connection refused); connect: Connection refused");
    }
    /* Registered, not yet unfenced: still the same restart. */
    f.fenced = 1;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_int_eq(r.restarts, 1);
    f = healthy();
    ck_assert_int_eq(sc_ready_eval(&r, &f), 1);
    /* A later restart counts again. */
    f.registered = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_int_eq(r.restarts, 2);
    ck_assert_str_eq(r.restarted,
                     "broker restarted: it was no longer registered with the controller");
}
END_TEST

/* Before the broker was ever up, "nothing listens" is no restart: the
 * sidecar starts before its broker. */
START_TEST(test_not_up_yet_is_no_restart)
{
    sc_readiness r = {0};
    sc_ready_facts down, f = healthy();

    memset(&down, 0, sizeof down);
    down.gone = 1;
    strcpy(down.gone_why, "nothing listens on localhost:9092 (connection refused)");
    sc_ready_unreachable(&r, &down, "connect: Connection refused");
    ck_assert_int_eq(r.restarts, 0);
    ck_assert_str_eq(r.reason, "connect: Connection refused");
    f.registered = 0;
    ck_assert_int_eq(sc_ready_eval(&r, &f), 0);
    ck_assert_str_eq(r.reason, "broker not registered with the controller");
    ck_assert_int_eq(r.restarts, 0);
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
    tcase_add_test(tc, test_isr_shrink_of_the_same_process_stays_ready);
    tcase_add_test(tc, test_restart_drops_the_latch_until_isr_and_restore);
    tcase_add_test(tc, test_restart_counts_once_and_timeouts_keep_the_latch);
    tcase_add_test(tc, test_not_up_yet_is_no_restart);
    tcase_add_test(tc, test_new_empty_broker_ready_at_once);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
