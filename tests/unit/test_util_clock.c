/* The clock readings agree with each other and move forward,
 * util_mono_deadline gives a normalised time the given distance ahead, and
 * util_sleep_ms sleeps at least that long (none for a distance <= 0). */
#include <check.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"

START_TEST(mono_readings_agree_and_advance)
{
    int64_t ns = util_mono_ns(), ms = util_mono_ms();
    util_time t = util_time_now(NULL);
    struct timespec w;

    ck_assert(ms >= ns / UTIL_NS_PER_MS && ms - ns / UTIL_NS_PER_MS < 1000);
    ck_assert(t.mono >= ns);
    clock_gettime(CLOCK_REALTIME, &w);
    ck_assert(t.wall / UTIL_NS_PER_SEC <= (int64_t)w.tv_sec &&
              (int64_t)w.tv_sec - t.wall / UTIL_NS_PER_SEC < 5);
}
END_TEST

START_TEST(deadline_is_ahead_and_normalised)
{
    int64_t before = util_mono_ns();
    struct timespec d = util_mono_deadline(1999);
    int64_t at = (int64_t)d.tv_sec * UTIL_NS_PER_SEC + d.tv_nsec;

    ck_assert(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    ck_assert(at - before >= 1999 * UTIL_NS_PER_MS);
    ck_assert(at - before < 2999 * UTIL_NS_PER_MS);
    d = util_mono_deadline(-5);
    ck_assert((int64_t)d.tv_sec * UTIL_NS_PER_SEC + d.tv_nsec >= before);
}
END_TEST

START_TEST(sleep_lasts_at_least_its_time)
{
    int64_t t0 = util_mono_ms();

    util_sleep_ms(25);
    ck_assert_int_ge(util_mono_ms() - t0, 25);
    util_sleep_ms(0);
    util_sleep_ms(-10);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_clock");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mono_readings_agree_and_advance);
    tcase_add_test(tc, deadline_is_ahead_and_normalised);
    tcase_add_test(tc, sleep_lasts_at_least_its_time);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}