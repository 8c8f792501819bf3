/* How a drain splits its time (sidecar/engine/drain_budget.c, `run --lock-wait`
 * and `--drain-timeout`): unset, neither the wait for the drain's turn nor
 * the drain has a bound of its own but the deadline; set, the wait ends
 * lock-wait after it began and the drain drain-timeout after the wait
 * ended, however early the turn came; a lock wait of 0 is one try; and
 * nothing ever ends past the deadline (the preStop client's time less
 * run's margin), also when the deadline has already passed. */
#include <check.h>
#include <stdlib.h>

#include "sidecar/engine/drain.h"

#define NOW 1000000LL
#define S   1000LL

static const sc_drain_budget unset = {false, 0, false, 0};
/* The operator's defaults: 60 s lock wait, 120 s drain; the client gets
 * their sum, 180 s, of which run keeps 2 s back. */
static const sc_drain_budget dflt = {true, 60 * S, true, 120 * S};

START_TEST(unset_leaves_everything_to_the_deadline)
{
    long long deadline = NOW + 178 * S;

    ck_assert_int_eq(sc_drain_wait_until(&unset, NOW, deadline), deadline);
    ck_assert_int_eq(sc_drain_work_until(&unset, NOW + 5 * S, deadline), deadline);
    ck_assert_int_eq(sc_drain_wait_until(NULL, NOW, deadline), deadline);
    ck_assert_int_eq(sc_drain_work_until(NULL, NOW, deadline), deadline);
}
END_TEST

START_TEST(each_part_gets_its_own_time)
{
    long long deadline = NOW + 178 * S;

    ck_assert_int_eq(sc_drain_wait_until(&dflt, NOW, deadline), NOW + 60 * S);
    /* The turn came after 5 s: the drain still gets its whole 120 s. */
    ck_assert_int_eq(sc_drain_work_until(&dflt, NOW + 5 * S, deadline), NOW + 125 * S);
    /* It came only as the wait ran out: 120 s more, within the deadline. */
    ck_assert_int_eq(sc_drain_work_until(&dflt, NOW + 60 * S, deadline), NOW + 180 * S - 2 * S);
}
END_TEST

START_TEST(a_zero_lock_wait_is_one_try)
{
    sc_drain_budget b = {true, 0, false, 0};

    ck_assert_int_eq(sc_drain_wait_until(&b, NOW, NOW + 10 * S), NOW);
    ck_assert_int_eq(sc_drain_work_until(&b, NOW, NOW + 10 * S), NOW + 10 * S);
}
END_TEST

START_TEST(nothing_ends_past_the_deadline)
{
    long long deadline = NOW + 30 * S;

    ck_assert_int_eq(sc_drain_wait_until(&dflt, NOW, deadline), deadline);
    ck_assert_int_eq(sc_drain_work_until(&dflt, NOW + 20 * S, deadline), deadline);
    /* Already past it: the deadline itself, never later. */
    ck_assert_int_eq(sc_drain_wait_until(&dflt, deadline + 5 * S, deadline), deadline);
    ck_assert_int_eq(sc_drain_work_until(&dflt, deadline + 5 * S, deadline), deadline);
    ck_assert_int_eq(sc_drain_wait_until(&unset, deadline + 5 * S, deadline), deadline);
    /* Any budget, any start: between the start and the deadline. */
    srand(7);
    for (int i = 0; i < 10000; i++) {
        sc_drain_budget b = {rand() % 2 == 0, (long long)(rand() % 4000) * S, rand() % 2 == 0,
                             (long long)(rand() % 4000 + 1) * S};
        long long start = NOW + rand() % 100000, end = start + rand() % 4000000;
        long long w = sc_drain_wait_until(&b, start, end), d = sc_drain_work_until(&b, w, end);

        ck_assert(start <= w && w <= d && d <= end);
        ck_assert(!b.lock_wait_set || w - start <= b.lock_wait_ms);
        ck_assert(!b.drain_timeout_set || d - w <= b.drain_timeout_ms);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_drain_budget");
    TCase *tc = tcase_create("budget");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, unset_leaves_everything_to_the_deadline);
    tcase_add_test(tc, each_part_gets_its_own_time);
    tcase_add_test(tc, a_zero_lock_wait_is_one_try);
    tcase_add_test(tc, nothing_ends_past_the_deadline);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
