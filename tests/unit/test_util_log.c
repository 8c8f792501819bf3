/* The logger (lib/util/log.h): whatever a message holds (a broker's error
 * text with newlines, a terminal escape), each call writes exactly one
 * line, in text and in JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Logs msg in format with stderr sent to a file; what was written. */
static char *logged(util_log_format format, const char *msg)
{
    char path[] = "/tmp/berth-log-XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    static char out[4096];
    FILE *f;
    size_t n;

    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    dup2(fd, 2);
    util_log_setup(format, UTIL_LOG_DEBUG);
    util_info("%s", msg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    rewind(f);
    n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(path);
    util_log_setup(UTIL_LOG_TEXT, UTIL_LOG_INFO);
    return out;
}

static int lines(const char *s)
{
    int n = 0;

    for (; *s != '\0'; s++)
        n += *s == '\n';
    return n;
}

START_TEST(text_keeps_one_line_whatever_the_message)
{
    const char *out = logged(UTIL_LOG_TEXT, "broker said: no\n2026-01-01T00:00:00.000Z error  "
                                            "forged\r\x1b[31mred\t\x7f");

    ck_assert_int_eq(lines(out), 1);
    ck_assert_msg(strstr(out, "info  broker said: no\\n2026-01-01T00:00:00.000Z error  "
                              "forged\\r\\x1b[31mred\\t\\x7f\n") != NULL,
                  "%s", out);
}
END_TEST

START_TEST(json_keeps_one_line_whatever_the_message)
{
    const char *out = logged(UTIL_LOG_JSON, "a \"quote\"\nb\x01");

    ck_assert_int_eq(lines(out), 1);
    ck_assert_msg(strstr(out, "\"msg\":\"a \\\"quote\\\"\\nb\\u0001\"}") != NULL, "%s", out);
}
END_TEST

START_TEST(utf8_is_kept_as_it_is)
{
    const char *out = logged(UTIL_LOG_TEXT, "größe 1 GiB");

    ck_assert_ptr_nonnull(strstr(out, "größe 1 GiB\n"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_log");
    TCase *tc = tcase_create("log");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, text_keeps_one_line_whatever_the_message);
    tcase_add_test(tc, json_keeps_one_line_whatever_the_message);
    tcase_add_test(tc, utf8_is_kept_as_it_is);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
