/* The end of every test program whose code under test uses libcurl: curl's
 * global state set up once around the whole run, as curl asks, and the
 * suite's outcome as the exit status. */
#ifndef BERTH_TESTS_CURL_SUITE_H
#define BERTH_TESTS_CURL_SUITE_H

#include <check.h>

/* Runs s (CK_NORMAL) between curl_global_init and curl_global_cleanup;
 * EXIT_SUCCESS when no test failed, else EXIT_FAILURE. */
int curl_suite_run(Suite *s);

#endif
