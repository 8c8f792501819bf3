/* util_file_read reads whole regular files up to a bound, says which path
 * failed and why, tells a missing file (1) from other failures (-1),
 * refuses FIFOs at once instead of blocking, and refuses a symbolic link
 * unless asked to follow it. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/tmpdir.h"
#include "util/file.h"

START_TEST(reads_whole_file)
{
    char *dir = tmpdir_new(), *p = tmpdir_path(dir, "f"), *out;
    util_err err = {{0}};
    size_t len;

    tmpdir_writef(dir, "f", "line one\nline two\n");
    ck_assert_int_eq(util_file_read(p, 100, 0, &out, &len, &err), 0);
    ck_assert_str_eq(out, "line one\nline two\n");
    ck_assert_uint_eq(len, 18);
    free(out);
    /* Exactly max bytes is allowed; len may be NULL. */
    ck_assert_int_eq(util_file_read(p, 18, 0, &out, NULL, &err), 0);
    free(out);
    free(p);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(empty_file_is_empty_string)
{
    char *dir = tmpdir_new(), *p = tmpdir_path(dir, "e"), *out;
    util_err err = {{0}};
    size_t len = 9;

    tmpdir_writef(dir, "e", "%s", "");
    ck_assert_int_eq(util_file_read(p, 10, 0, &out, &len, &err), 0);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(len, 0);
    free(out);
    free(p);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(too_large_is_refused)
{
    char *dir = tmpdir_new(), *p = tmpdir_path(dir, "big"), *out;
    util_err err = {{0}};

    tmpdir_writef(dir, "big", "0123456789");
    ck_assert_int_eq(util_file_read(p, 9, 0, &out, NULL, &err), -1);
    ck_assert_ptr_null(out);
    ck_assert(strncmp(err.msg, p, strlen(p)) == 0);
    ck_assert_ptr_nonnull(strstr(err.msg, ": too large (over 9 bytes)"));
    free(p);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(missing_file_returns_one)
{
    char *dir = tmpdir_new(), *p = tmpdir_path(dir, "none"), *out;
    util_err err = {{0}};

    ck_assert_int_eq(util_file_read(p, 10, 0, &out, NULL, &err), 1);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_ptr_nonnull(strstr(err.msg, "No such file or directory"));
    free(p);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(fifo_and_directory_are_refused)
{
    char *dir = tmpdir_new(), *p = tmpdir_path(dir, "fifo"), *out;
    util_err err = {{0}};

    ck_assert_int_eq(mkfifo(p, 0600), 0);
    ck_assert_int_eq(util_file_read(p, 10, 0, &out, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ": not a regular file"));
    ck_assert_int_eq(util_file_read(dir, 10, 0, &out, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ": not a regular file"));
    free(p);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(link_is_followed_only_when_asked)
{
    char *dir = tmpdir_new(), *t = tmpdir_path(dir, "target"), *l = tmpdir_path(dir, "link");
    util_err err = {{0}};
    char *out;

    tmpdir_writef(dir, "target", "data");
    ck_assert_int_eq(symlink(t, l), 0);
    ck_assert_int_eq(util_file_read(l, 10, 0, &out, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ": a symbolic link, refused"));
    ck_assert_int_eq(util_file_read(l, 10, UTIL_FILE_FOLLOW, &out, NULL, &err), 0);
    ck_assert_str_eq(out, "data");
    free(out);
    free(t);
    free(l);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(proc_file_of_size_zero_is_read)
{
    util_err err = {{0}};
    char *out;
    size_t len;

    /* /proc files report size 0 and still have text. */
    ck_assert_int_eq(
        util_file_read("/proc/self/status", 1 << 20, UTIL_FILE_FOLLOW, &out, &len, &err), 0);
    ck_assert(len > 0 && strstr(out, "Name:") != NULL);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util_file");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, reads_whole_file);
    tcase_add_test(tc, empty_file_is_empty_string);
    tcase_add_test(tc, too_large_is_refused);
    tcase_add_test(tc, missing_file_returns_one);
    tcase_add_test(tc, fifo_and_directory_are_refused);
    tcase_add_test(tc, link_is_followed_only_when_asked);
    tcase_add_test(tc, proc_file_of_size_zero_is_read);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}