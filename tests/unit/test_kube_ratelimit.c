/* The token bucket that paces the client's requests and the Events
 * recorder's writes, driven by hand-set times: a full bucket lets `burst`
 * actions through at once, then one per 1/qps; reservations queue up in
 * order; try never goes into debt; idle time refills only up to the burst;
 * a clock that steps back refills nothing; nonsense settings are refused.
 * Also the client's own limit: its options are checked when it is made. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "kube/client.h"
#include "kube/ratelimit.h"

#define MS 1000000LL
#define S  (1000 * MS)

static kube_bucket bucket(double qps, unsigned burst, int64_t now)
{
    kube_bucket b;
    util_err err = {{0}};

    ck_assert_msg(kube_bucket_init(&b, qps, burst, now, &err) == 0, "%s", err.msg);
    return b;
}

START_TEST(full_bucket_allows_burst_then_one_per_period)
{
    kube_bucket b = bucket(10, 3, 5 * S); /* a token every 100 ms */

    ck_assert_int_eq(kube_bucket_tokens(&b, 5 * S), 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(kube_bucket_try(&b, 5 * S), 0);
    /* Empty: the next token is a whole period away, and try takes nothing. */
    ck_assert_int_eq(kube_bucket_try(&b, 5 * S), 100 * MS);
    ck_assert_int_eq(kube_bucket_try(&b, 5 * S + 40 * MS), 60 * MS);
    ck_assert_int_eq(kube_bucket_tokens(&b, 5 * S + 40 * MS), 0);
    ck_assert_int_eq(kube_bucket_try(&b, 5 * S + 100 * MS), 0);
    ck_assert_int_eq(kube_bucket_try(&b, 5 * S + 100 * MS), 100 * MS);
}
END_TEST

START_TEST(reservations_queue_up_in_order)
{
    kube_bucket b = bucket(4, 2, 0); /* 250 ms a token */

    ck_assert_int_eq(kube_bucket_reserve(&b, 0), 0);
    ck_assert_int_eq(kube_bucket_reserve(&b, 0), 0);
    ck_assert_int_eq(kube_bucket_reserve(&b, 0), 250 * MS);
    ck_assert_int_eq(kube_bucket_reserve(&b, 0), 500 * MS);
    ck_assert_int_eq(kube_bucket_tokens(&b, 0), -2);
    /* 600 ms later the 500 ms of debt are paid and 100 ms of a token
     * earned: the next reservation waits the remaining 150 ms. */
    ck_assert_int_eq(kube_bucket_reserve(&b, 600 * MS), 150 * MS);
    /* try never borrows: 150 ms of debt plus a whole token. */
    ck_assert_int_eq(kube_bucket_try(&b, 600 * MS), 400 * MS);
    ck_assert_int_eq(kube_bucket_tokens(&b, 600 * MS), -1);
}
END_TEST

START_TEST(idle_time_refills_only_up_to_the_burst)
{
    kube_bucket b = bucket(1, 5, 0);

    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(kube_bucket_try(&b, 0), 0);
    ck_assert_int_eq(kube_bucket_tokens(&b, 2 * S), 2);
    ck_assert_int_eq(kube_bucket_tokens(&b, 3600 * S), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(kube_bucket_try(&b, 3600 * S), 0);
    ck_assert_int_gt(kube_bucket_try(&b, 3600 * S), 0);
}
END_TEST

START_TEST(clock_going_back_refills_nothing)
{
    kube_bucket b = bucket(1, 1, 10 * S);

    ck_assert_int_eq(kube_bucket_try(&b, 10 * S), 0);
    ck_assert_int_eq(kube_bucket_try(&b, 5 * S), S);
    ck_assert_int_eq(kube_bucket_try(&b, 10 * S + 500 * MS), 500 * MS);
    ck_assert_int_eq(kube_bucket_try(&b, 11 * S), 0);
}
END_TEST

START_TEST(no_qps_means_no_limit)
{
    kube_bucket b = bucket(0, 0, 0);

    for (int i = 0; i < 100000; i++)
        ck_assert_int_eq(kube_bucket_reserve(&b, 0), 0);
    b = bucket(-1, 7, 0);
    ck_assert_int_eq(kube_bucket_try(&b, 0), 0);
}
END_TEST

START_TEST(nonsense_settings_are_refused)
{
    kube_bucket b;
    util_err err = {{0}};

    ck_assert_int_eq(kube_bucket_init(&b, NAN, 1, 0, &err), -1);
    ck_assert_str_eq(err.msg, "rate limit: qps is not a number");
    ck_assert_int_eq(kube_bucket_init(&b, 5, 0, 0, &err), -1);
    ck_assert_str_eq(err.msg, "rate limit: burst must be at least 1 with qps 5");
    ck_assert_int_eq(kube_bucket_init(&b, 1e12, 1, 0, &err), -1);
    ck_assert_int_eq(kube_bucket_init(&b, 1e-9, 100, 0, &err), -1);
    ck_assert_str_eq(err.msg, "rate limit: qps 1e-09 with burst 100 is out of range");
}
END_TEST

START_TEST(client_refuses_a_bad_rate_limit)
{
    kube_config cfg = {.server = "https://127.0.0.1:1", .namespace = "default"};
    kube_client_options opts = {.qps = NAN};
    kube_client *c = NULL;
    util_err err = {{0}};

    ck_assert_int_eq(kube_client_new(&cfg, &opts, &c, &err), -1);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(err.msg,
                     "kube client for https://127.0.0.1:1: rate limit: qps is not a number");
    opts = (kube_client_options){.qps = -1};
    ck_assert_msg(kube_client_new(&cfg, &opts, &c, &err) == 0, "%s", err.msg);
    kube_client_free(c);
    ck_assert_msg(kube_client_new(&cfg, NULL, &c, &err) == 0, "%s", err.msg);
    kube_client_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_ratelimit");
    TCase *tc = tcase_create("bucket");

    tcase_add_test(tc, full_bucket_allows_burst_then_one_per_period);
    tcase_add_test(tc, reservations_queue_up_in_order);
    tcase_add_test(tc, idle_time_refills_only_up_to_the_burst);
    tcase_add_test(tc, clock_going_back_refills_nothing);
    tcase_add_test(tc, no_qps_means_no_limit);
    tcase_add_test(tc, nonsense_settings_are_refused);
    tcase_add_test(tc, client_refuses_a_bad_rate_limit);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
