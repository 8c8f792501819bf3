/* util_metrics renders the Prometheus text format exactly (golden text
 * below, histograms' cumulative buckets, _sum and _count included), treats
 * label order as irrelevant, escapes what the format says, refuses invalid
 * names, counters going down and histogram misuse, and counts correctly
 * from several threads at once. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/metrics.h"

static util_metrics *m;

static void setup(void)
{
    util_err err;
    ck_assert_int_eq(util_metrics_new(&m, &err), 0);
}

static void teardown(void)
{
    util_metrics_free(m);
    m = NULL;
}

static char *render(void)
{
    util_err err;
    char *out;
    size_t len;

    ck_assert_int_eq(util_metrics_render(m, &out, &len, &err), 0);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

START_TEST(renders_the_exposition_format)
{
    util_err err;
    char *out;

    ck_assert_int_eq(util_metrics_define(m, "berth_drains_total", UTIL_METRIC_COUNTER,
                                         "Drains by result.", &err),
                     0);
    ck_assert_int_eq(util_metrics_define(m, "berth_ready", UTIL_METRIC_GAUGE,
                                         "1 when ready; see \\readyz\nlatched.", &err),
                     0);
    ck_assert_int_eq(util_metrics_define(m, "berth_unused", UTIL_METRIC_GAUGE, "", &err), 0);
    ck_assert_int_eq(util_metrics_add(m, "berth_drains_total",
                                      (const char *[]){"result", "ok", "broker", "1", NULL}, 1,
                                      &err),
                     0);
    /* Same labels in another order: the same series. */
    ck_assert_int_eq(util_metrics_add(m, "berth_drains_total",
                                      (const char *[]){"broker", "1", "result", "ok", NULL}, 2,
                                      &err),
                     0);
    ck_assert_int_eq(util_metrics_add(m, "berth_drains_total",
                                      (const char *[]){"result", "fail \"x\"\\\n", NULL}, 0.5,
                                      &err),
                     0);
    ck_assert_int_eq(util_metrics_set(m, "berth_ready", NULL, 1, &err), 0);
    out = render();
    ck_assert_str_eq(out, "# HELP berth_drains_total Drains by result.\n"
                          "# TYPE berth_drains_total counter\n"
                          "berth_drains_total{broker=\"1\",result=\"ok\"} 3\n"
                          "berth_drains_total{result=\"fail \\\"x\\\"\\\\\\n\"} 0.5\n"
                          "# HELP berth_ready 1 when ready; see \\\\readyz\\nlatched.\n"
                          "# TYPE berth_ready gauge\n"
                          "berth_ready 1\n"
                          "# HELP berth_unused \n"
                          "# TYPE berth_unused gauge\n");
    free(out);
}
END_TEST

START_TEST(special_values_and_large_numbers)
{
    util_err err;
    double v;
    char *out;

    ck_assert_int_eq(util_metrics_define(m, "g", UTIL_METRIC_GAUGE, "h", &err), 0);
    ck_assert_int_eq(util_metrics_set(m, "g", (const char *[]){"k", "nan", NULL}, NAN, &err), 0);
    ck_assert_int_eq(util_metrics_set(m, "g", (const char *[]){"k", "inf", NULL}, INFINITY, &err),
                     0);
    ck_assert_int_eq(util_metrics_set(m, "g", (const char *[]){"k", "ninf", NULL}, -INFINITY, &err),
                     0);
    ck_assert_int_eq(util_metrics_set(m, "g", (const char *[]){"k", "big", NULL}, 1e20, &err), 0);
    ck_assert_int_eq(util_metrics_set(m, "g", (const char *[]){"k", "neg", NULL}, -42, &err), 0);
    out = render();
    ck_assert_ptr_nonnull(strstr(out, "g{k=\"nan\"} NaN\n"));
    ck_assert_ptr_nonnull(strstr(out, "g{k=\"inf\"} +Inf\n"));
    ck_assert_ptr_nonnull(strstr(out, "g{k=\"ninf\"} -Inf\n"));
    ck_assert_ptr_nonnull(strstr(out, "g{k=\"big\"} 1e+20\n"));
    ck_assert_ptr_nonnull(strstr(out, "g{k=\"neg\"} -42\n"));
    free(out);
    ck_assert_int_eq(util_metrics_get(m, "g", (const char *[]){"k", "neg", NULL}, &v, &err), 0);
    ck_assert(v == -42);
    ck_assert_int_ne(util_metrics_get(m, "g", (const char *[]){"k", "none", NULL}, &v, &err), 0);
}
END_TEST

START_TEST(refuses_what_the_format_or_the_type_forbids)
{
    util_err err;

    ck_assert_int_ne(util_metrics_define(m, "1bad", UTIL_METRIC_GAUGE, "", &err), 0);
    ck_assert_int_ne(util_metrics_define(m, "bad-name", UTIL_METRIC_GAUGE, "", &err), 0);
    ck_assert_int_ne(util_metrics_define(m, "", UTIL_METRIC_GAUGE, "", &err), 0);
    ck_assert_int_eq(util_metrics_define(m, "ns:c_total", UTIL_METRIC_COUNTER, "", &err), 0);
    ck_assert_int_ne(util_metrics_define(m, "ns:c_total", UTIL_METRIC_GAUGE, "", &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "defined twice"));
    ck_assert_int_ne(util_metrics_add(m, "ns:c_total", NULL, -1, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot go down"));
    ck_assert_int_ne(util_metrics_add(m, "ns:c_total", NULL, NAN, &err), 0);
    ck_assert_int_ne(util_metrics_set(m, "ns:c_total", NULL, 5, &err), 0);
    ck_assert_int_ne(util_metrics_add(m, "nope", NULL, 1, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "not defined"));
    ck_assert_int_ne(util_metrics_add(m, "ns:c_total", (const char *[]){"a:b", "x", NULL}, 1, &err),
                     0);
    ck_assert_int_ne(util_metrics_add(m, "ns:c_total", (const char *[]){"__x", "x", NULL}, 1, &err),
                     0);
    ck_assert_int_ne(
        util_metrics_add(m, "ns:c_total", (const char *[]){"a", "1", "a", "2", NULL}, 1, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
    ck_assert_int_ne(util_metrics_add(m, "ns:c_total", (const char *[]){"a", NULL}, 1, &err), 0);
    /* Nothing half-made was left behind. */
    {
        char *out = render();
        ck_assert_str_eq(out, "# HELP ns:c_total \n# TYPE ns:c_total counter\n");
        free(out);
    }
    util_metrics_free(NULL);
}
END_TEST

START_TEST(renders_histograms)
{
    static const double bounds[] = {0.005, 0.1, 1, 2.5};
    util_err err;
    double n;
    char *out;

    ck_assert_int_eq(util_metrics_define_histogram(m, "op_seconds", "Time taken.", bounds, 4, &err),
                     0);
    ck_assert_int_eq(util_metrics_define(m, "g", UTIL_METRIC_GAUGE, "", &err), 0);
    /* Defined, never observed: only HELP and TYPE. */
    out = render();
    ck_assert_str_eq(out, "# HELP op_seconds Time taken.\n# TYPE op_seconds histogram\n"
                          "# HELP g \n# TYPE g gauge\n");
    free(out);
    /* A value on a bound counts in that bucket (le: less or equal). */
    ck_assert_int_eq(util_metrics_observe(m, "op_seconds", NULL, 0.005, &err), 0);
    ck_assert_int_eq(util_metrics_observe(m, "op_seconds", NULL, 0.25, &err), 0);
    ck_assert_int_eq(util_metrics_observe(m, "op_seconds", NULL, 30, &err), 0);
    ck_assert_int_eq(
        util_metrics_observe(m, "op_seconds", (const char *[]){"result", "error", NULL}, 1, &err),
        0);
    out = render();
    ck_assert_str_eq(out, "# HELP op_seconds Time taken.\n"
                          "# TYPE op_seconds histogram\n"
                          "op_seconds_bucket{le=\"0.005\"} 1\n"
                          "op_seconds_bucket{le=\"0.1\"} 1\n"
                          "op_seconds_bucket{le=\"1\"} 2\n"
                          "op_seconds_bucket{le=\"2.5\"} 2\n"
                          "op_seconds_bucket{le=\"+Inf\"} 3\n"
                          "op_seconds_sum 30.254999999999999\n"
                          "op_seconds_count 3\n"
                          "op_seconds_bucket{result=\"error\",le=\"0.005\"} 0\n"
                          "op_seconds_bucket{result=\"error\",le=\"0.1\"} 0\n"
                          "op_seconds_bucket{result=\"error\",le=\"1\"} 1\n"
                          "op_seconds_bucket{result=\"error\",le=\"2.5\"} 1\n"
                          "op_seconds_bucket{result=\"error\",le=\"+Inf\"} 1\n"
                          "op_seconds_sum{result=\"error\"} 1\n"
                          "op_seconds_count{result=\"error\"} 1\n"
                          "# HELP g \n# TYPE g gauge\n");
    free(out);
    /* get reads a histogram's count. */
    ck_assert_int_eq(util_metrics_get(m, "op_seconds", NULL, &n, &err), 0);
    ck_assert(n == 3);
    /* Histograms take observations only, and only they do. */
    ck_assert_int_ne(util_metrics_add(m, "op_seconds", NULL, 1, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "only takes observations"));
    ck_assert_int_ne(util_metrics_set(m, "op_seconds", NULL, 1, &err), 0);
    ck_assert_int_ne(util_metrics_observe(m, "g", NULL, 1, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "only a histogram"));
    ck_assert_int_ne(util_metrics_observe(m, "op_seconds", NULL, NAN, &err), 0);
    /* Bounds must be finite, ascending, 1 to UTIL_METRICS_MAX_BUCKETS. */
    ck_assert_int_ne(util_metrics_define_histogram(m, "h1", "", (const double[]){1, 1}, 2, &err),
                     0);
    ck_assert_int_ne(
        util_metrics_define_histogram(m, "h2", "", (const double[]){1, INFINITY}, 2, &err), 0);
    ck_assert_int_ne(util_metrics_define_histogram(m, "h3", "", bounds, 0, &err), 0);
    ck_assert_int_ne(util_metrics_define(m, "h4", UTIL_METRIC_HISTOGRAM, "", &err), 0);
    ck_assert_int_ne(util_metrics_define_histogram(m, "op_seconds", "", bounds, 4, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "defined twice"));
}
END_TEST

static void *observe_many(void *arg)
{
    util_err err;

    (void)arg;
    for (int i = 0; i < 10000; i++)
        util_metrics_observe(m, "lat_seconds", NULL, i % 2 ? 0.5 : 2, &err);
    return NULL;
}

START_TEST(observes_from_several_threads)
{
    pthread_t t[4];
    util_err err;
    char *out;

    ck_assert_int_eq(
        util_metrics_define_histogram(m, "lat_seconds", "", (const double[]){1}, 1, &err), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, observe_many, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    out = render();
    ck_assert_ptr_nonnull(strstr(out, "lat_seconds_bucket{le=\"1\"} 20000\n"
                                      "lat_seconds_bucket{le=\"+Inf\"} 40000\n"
                                      "lat_seconds_sum 50000\n"
                                      "lat_seconds_count 40000\n"));
    free(out);
}
END_TEST

static void *bump(void *arg)
{
    util_err err;
    int i;

    (void)arg;
    for (i = 0; i < 10000; i++) {
        util_metrics_add(m, "hits_total", (const char *[]){"path", i % 2 ? "/a" : "/b", NULL}, 1,
                         &err);
    }
    return NULL;
}

START_TEST(counts_from_several_threads)
{
    pthread_t t[4];
    util_err err;
    double a, b;
    int i;

    ck_assert_int_eq(util_metrics_define(m, "hits_total", UTIL_METRIC_COUNTER, "", &err), 0);
    for (i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, bump, NULL), 0);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(
        util_metrics_get(m, "hits_total", (const char *[]){"path", "/a", NULL}, &a, &err), 0);
    ck_assert_int_eq(
        util_metrics_get(m, "hits_total", (const char *[]){"path", "/b", NULL}, &b, &err), 0);
    ck_assert(a == 20000 && b == 20000);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_metrics");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, renders_the_exposition_format);
    tcase_add_test(tc, special_values_and_large_numbers);
    tcase_add_test(tc, refuses_what_the_format_or_the_type_forbids);
    tcase_add_test(tc, counts_from_several_threads);
    tcase_add_test(tc, renders_histograms);
    tcase_add_test(tc, observes_from_several_threads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
