/* Running a Check suite inside curl's global setup; see curl_suite.h. */
#include "support/curl_suite.h"

#include <stdlib.h>

#include <curl/curl.h>

int curl_suite_run(Suite *s)
{
    SRunner *sr;
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
