/* The parts of the Lease elector that need no API server. The record is
 * read from and written into a Lease the way the API (and client-go) spell
 * it, round-trips at microsecond precision, and a field of the wrong type is
 * an error naming it. Expiry is judged on the local monotonic clock from
 * when the record was last seen to change, never from renewTime, so a holder
 * whose wall clock is far off is treated the same. Inconsistent timings are
 * refused. With the clock driven by the test, a candidate that cannot reach
 * the API gives up at its deadline and says why, and a thread that was never
 * leading stops without writing. The MicroTime text form is checked too. */
#include <check.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"
#include "kube/lease.h"
#include "kube/microtime.h"
#include "support/kube_test.h"
#include "util/clock.h"

#define MS UTIL_NS_PER_MS
#define S  UTIL_NS_PER_SEC

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(record_is_read_as_the_api_writes_it)
{
    cJSON *l = json("{\"spec\":{\"holderIdentity\":\"op-1_abc\",\"leaseDurationSeconds\":15,"
                    "\"acquireTime\":\"2026-01-02T03:04:05.000006Z\","
                    "\"renewTime\":\"2026-01-02T03:04:20.123456Z\",\"leaseTransitions\":3}}");
    kube_lease_record rec;
    util_err err = {{0}};

    ck_assert_msg(kube_lease_record_parse(l, &rec, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(rec.holder, "op-1_abc");
    ck_assert_int_eq(rec.duration_s, 15);
    ck_assert_int_eq(rec.transitions, 3);
    ck_assert_int_eq(rec.acquire_ns, 1767323045LL * S + 6000);
    ck_assert_int_eq(rec.renew_ns, 1767323060LL * S + 123456000);
    kube_lease_record_clear(&rec);
    ck_assert_ptr_null(rec.holder);
    cJSON_Delete(l);

    /* A new Lease with an empty spec, or a null holder: nobody holds it. */
    l = json("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"holderIdentity\":null}}");
    ck_assert_msg(kube_lease_record_parse(l, &rec, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(rec.holder, "");
    ck_assert_int_eq(rec.duration_s, 0);
    ck_assert_int_eq(rec.renew_ns, 0);
    kube_lease_record_clear(&rec);
    cJSON_Delete(l);
}
END_TEST

static void expect_parse_error(const char *text, const char *msg)
{
    cJSON *l = json(text);
    kube_lease_record rec;
    util_err err = {{0}};

    ck_assert_int_eq(kube_lease_record_parse(l, &rec, &err), -1);
    ck_assert_str_eq(err.msg, msg);
    ck_assert_ptr_null(rec.holder);
    cJSON_Delete(l);
}

START_TEST(record_of_the_wrong_shape_names_the_field)
{
    expect_parse_error("{\"spec\":[]}", "spec: not an object");
    expect_parse_error("{\"spec\":{\"holderIdentity\":7}}", "spec.holderIdentity: not a string");
    expect_parse_error("{\"spec\":{\"leaseDurationSeconds\":\"15\"}}",
                       "spec.leaseDurationSeconds: not a non-negative 32-bit integer");
    expect_parse_error("{\"spec\":{\"leaseTransitions\":-1}}",
                       "spec.leaseTransitions: not a non-negative 32-bit integer");
    expect_parse_error("{\"spec\":{\"renewTime\":\"yesterday\"}}",
                       "spec.renewTime: 'yesterday' is not an RFC 3339 time");
    expect_parse_error("{\"spec\":{\"acquireTime\":1}}", "spec.acquireTime: not a string");
}
END_TEST

START_TEST(record_round_trips_and_keeps_other_spec_fields)
{
    cJSON *l = json("{\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"9\"},"
                    "\"spec\":{\"strategy\":\"OldestEmulationVersion\",\"renewTime\":\"junk\"}}");
    kube_lease_record rec = {.holder = "me",
                             .duration_s = 4,
                             .transitions = 2,
                             .acquire_ns = 1767323045LL * S + 123456789,
                             .renew_ns = 0},
                      back;
    util_err err = {{0}};

    ck_assert_msg(kube_lease_record_put(&rec, l, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(kt_str(l, "spec.strategy"), "OldestEmulationVersion");
    ck_assert_str_eq(kt_str(l, "spec.acquireTime"), "2026-01-02T03:04:05.123456Z");
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(l, "spec"), "renewTime"));
    ck_assert_str_eq(kt_str(l, "metadata.resourceVersion"), "9");
    ck_assert_msg(kube_lease_record_parse(l, &back, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(back.holder, "me");
    ck_assert_int_eq(back.duration_s, 4);
    ck_assert_int_eq(back.transitions, 2);
    ck_assert_int_eq(back.acquire_ns, rec.acquire_ns / 1000 * 1000); /* microseconds kept */
    ck_assert_int_eq(back.renew_ns, 0);
    kube_lease_record_clear(&back);
    cJSON_Delete(l);

    /* No spec at all, or one that is not an object: replaced. */
    l = json("{\"spec\":\"bad\"}");
    ck_assert_int_eq(kube_lease_record_put(&rec, l, &err), 0);
    ck_assert_str_eq(kt_str(l, "spec.holderIdentity"), "me");
    cJSON_Delete(l);
}
END_TEST

START_TEST(expiry_counts_from_the_last_observed_change_on_our_clock)
{
    kube_lease_record rec = {.holder = "other", .duration_s = 15};
    int64_t seen = 1000 * S;

    /* renewTime plays no part: a holder whose wall clock is a day behind
     * or ahead is judged the same. */
    rec.renew_ns = 1;
    ck_assert(!kube_lease_expired(&rec, seen, seen));
    ck_assert(!kube_lease_expired(&rec, seen, seen + 15 * S - 1));
    ck_assert(kube_lease_expired(&rec, seen, seen + 15 * S));
    rec.renew_ns = INT64_MAX / 2;
    ck_assert(!kube_lease_expired(&rec, seen, seen + 14 * S));
    ck_assert(kube_lease_expired(&rec, seen, seen + 16 * S));

    /* Released (empty holder) or without a duration: free now. */
    rec.holder = "";
    ck_assert(kube_lease_expired(&rec, seen, seen));
    rec.holder = "other";
    rec.duration_s = 0;
    ck_assert(kube_lease_expired(&rec, seen, seen));
}
END_TEST

static kube_config unreachable = {.server = "https://127.0.0.1:1", .namespace = "default"};

static void expect_new_error(kube_lease_options o, const char *msg)
{
    kube_lease *l = (kube_lease *)1;
    util_err err = {{0}};

    ck_assert_int_eq(kube_lease_new(&unreachable, &o, &l, &err), -1);
    ck_assert_ptr_null(l);
    ck_assert_str_eq(err.msg, msg);
}

START_TEST(inconsistent_options_are_refused)
{
    kube_lease_options o = {.namespace = "ns", .name = "op"};
    kube_lease *l = NULL;
    util_err err = {{0}};

    expect_new_error((kube_lease_options){.namespace = "ns"},
                     "lease ns/(null): namespace and name must be Kubernetes names");
    expect_new_error((kube_lease_options){.namespace = "NS", .name = "op"},
                     "lease NS/op: namespace and name must be Kubernetes names");
    expect_new_error((kube_lease_options){.namespace = "ns", .name = "a/b"},
                     "lease ns/a/b: namespace and name must be Kubernetes names");
    o.lease_duration_ms = 4000;
    o.renew_deadline_ms = 4000;
    expect_new_error(o, "lease ns/op: need retry period (2000 ms) < renew deadline (4000 ms) < "
                        "lease duration (4000 ms, whole seconds, at least 1)");
    /* The duration is written in whole seconds: 4.5 s is 4 s. */
    o.lease_duration_ms = 4500;
    o.renew_deadline_ms = 4200;
    expect_new_error(o, "lease ns/op: need retry period (2000 ms) < renew deadline (4200 ms) < "
                        "lease duration (4500 ms, whole seconds, at least 1)");
    o.renew_deadline_ms = 3000;
    o.retry_period_ms = 3000;
    expect_new_error(o, "lease ns/op: need retry period (3000 ms) < renew deadline (3000 ms) < "
                        "lease duration (4500 ms, whole seconds, at least 1)");
    o.retry_period_ms = 0;
    o.identity = "";
    expect_new_error(o, "lease ns/op: identity must be 1 to 1024 characters");

    /* Defaults: a generated identity, "<host>_<16 hex digits>". */
    o = (kube_lease_options){.namespace = "ns", .name = "op"};
    ck_assert_msg(kube_lease_new(&unreachable, &o, &l, &err) == 0, "%s", err.msg);
    const char *id = kube_lease_identity(l), *us = strrchr(id, '_');
    ck_assert_ptr_nonnull(us);
    ck_assert_uint_eq(strlen(us + 1), 16);
    ck_assert_uint_eq(strspn(us + 1, "0123456789abcdef"), 16);
    ck_assert(!kube_lease_is_leader(l));
    ck_assert_ptr_null(kube_lease_leader_dup(l));
    /* Not leading: release writes nothing and succeeds. */
    ck_assert_int_eq(kube_lease_release(l, &err), 0);
    kube_lease_free(l);
}
END_TEST

/* A clock the test drives: every reading moves it on by step. */
typedef struct driven {
    _Atomic int64_t mono, step;
    _Atomic int reads;
} driven;

static util_time driven_now(void *ctx)
{
    driven *d = ctx;

    atomic_fetch_add(&d->reads, 1);
    return (util_time){.mono = atomic_fetch_add(&d->mono, atomic_load(&d->step)),
                       .wall = 1767323045LL * S};
}

START_TEST(candidate_that_cannot_reach_the_api_gives_up_at_its_deadline)
{
    driven clk = {.mono = 100 * S, .step = 300 * MS};
    kube_lease_options o = {.namespace = "ns",
                            .name = "op",
                            .identity = "me",
                            .lease_duration_ms = 1000,
                            .renew_deadline_ms = 500,
                            .retry_period_ms = 10,
                            .now = driven_now,
                            .now_ctx = &clk};
    kube_lease *l = NULL;
    util_err err = {{0}};
    bool leading = true;

    ck_assert_msg(kube_lease_new(&unreachable, &o, &l, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(kube_lease_try_acquire_or_renew(l, &leading, &err), KUBE_ERR);
    ck_assert(!leading);
    ck_assert_ptr_nonnull(strstr(err.msg, "GET /apis/coordination.k8s.io/v1/namespaces/ns/"
                                          "leases/op"));
    /* The deadline is 2 s of the driven clock away: a few attempts, then
     * a timeout that carries the last error. */
    ck_assert_int_eq(kube_lease_acquire_wait(l, atomic_load(&clk.mono) + 2 * S, &err),
                     KUBE_LEASE_TIMEOUT);
    ck_assert_msg(strstr(err.msg,
                         "lease ns/op: not acquired before the deadline; last error: "
                         "GET /apis/coordination.k8s.io/v1/namespaces/ns/leases/op: ") == err.msg,
                  "%s", err.msg);
    ck_assert(!kube_lease_is_leader(l));
    kube_lease_free(l);
}
END_TEST

START_TEST(thread_that_never_led_stops_cleanly)
{
    driven clk = {.mono = 0, .step = 0};
    kube_lease_options o = {
        .namespace = "ns", .name = "op", .retry_period_ms = 50, .now = driven_now, .now_ctx = &clk};
    kube_lease *l = NULL;
    util_err err = {{0}};

    ck_assert_msg(kube_lease_new(&unreachable, &o, &l, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(kube_lease_start(l, &err), 0);
    ck_assert_int_eq(kube_lease_start(l, &err), -1);
    ck_assert_str_eq(err.msg, "lease ns/op: already started");
    while (atomic_load(&clk.reads) < 2)
        ;
    kube_lease_stop(l);
    kube_lease_stop(l);
    ck_assert(!kube_lease_is_leader(l));
    kube_lease_free(l);
}
END_TEST

START_TEST(microtime_is_written_and_read_as_the_api_does)
{
    char buf[KUBE_MICROTIME_LEN];
    int64_t w = 0;
    util_err err = {{0}};

    kube_time_format_micro(1767323045LL * S + 123456789, buf);
    ck_assert_str_eq(buf, "2026-01-02T03:04:05.123456Z");
    kube_time_format_micro(-5, buf);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00.000000Z");
    kube_time_format_micro(951782400LL * S, buf); /* a leap day */
    ck_assert_str_eq(buf, "2000-02-29T00:00:00.000000Z");

    ck_assert_int_eq(kube_time_parse("2026-01-02T03:04:05Z", &w, &err), 0);
    ck_assert_int_eq(w, 1767323045LL * S);
    ck_assert_int_eq(kube_time_parse("2026-01-02T04:04:05.5+01:00", &w, &err), 0);
    ck_assert_int_eq(w, 1767323045LL * S + 500 * MS);
    ck_assert_int_eq(kube_time_parse("2026-01-02T03:04:05.123456789123Z", &w, &err), 0);
    ck_assert_int_eq(w, 1767323045LL * S + 123456789);
    /* Beyond what int64 nanoseconds hold: held at the ends. */
    ck_assert_int_eq(kube_time_parse("2999-01-01T00:00:00Z", &w, &err), 0);
    ck_assert_int_eq(w, INT64_MAX);
    ck_assert_int_eq(kube_time_parse("1000-01-01T00:00:00Z", &w, &err), 0);
    ck_assert_int_eq(w, INT64_MIN);
    const char *bad[] = {"",
                         "2026-01-02",
                         "2026-01-02T03:04:05",
                         "2026-02-30T00:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2026-01-02T24:00:00Z",
                         "2026-01-02T03:04:05.Z",
                         "2026-01-02T03:04:05Zjunk",
                         "2026-01-02T03:04:05+1:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(kube_time_parse(bad[i], &w, &err) == -1, "accepted '%s'", bad[i]);
    ck_assert_str_eq(err.msg, "'2026-01-02T03:04:05+1:00' is not an RFC 3339 time");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_lease");
    TCase *record = tcase_create("record");
    TCase *elector = tcase_create("elector");

    tcase_add_test(record, record_is_read_as_the_api_writes_it);
    tcase_add_test(record, record_of_the_wrong_shape_names_the_field);
    tcase_add_test(record, record_round_trips_and_keeps_other_spec_fields);
    tcase_add_test(record, expiry_counts_from_the_last_observed_change_on_our_clock);
    tcase_add_test(record, microtime_is_written_and_read_as_the_api_does);
    suite_add_tcase(s, record);

    tcase_set_timeout(elector, 60);
    tcase_add_test(elector, inconsistent_options_are_refused);
    tcase_add_test(elector, candidate_that_cannot_reach_the_api_gives_up_at_its_deadline);
    tcase_add_test(elector, thread_that_never_led_stops_cleanly);
    suite_add_tcase(s, elector);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
