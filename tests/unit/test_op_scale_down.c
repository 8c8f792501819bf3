/* The operator's scale-down check (operator/scale_down.h) over its admin
 * connection (operator/kafka_admin.h) to a scripted broker on loopback: a
 * Metadata answer announced larger than OP_SCALE_DOWN_MAX_FRAME is refused
 * from its size prefix, before any of it is read or allocated, and the
 * error says so; an unreachable address is named. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "operator/kafka_admin.h"
#include "operator/scale_down.h"
#include "support/oversized_broker.h"

START_TEST(an_oversized_metadata_answer_is_refused_unread)
{
    ob_broker s;
    char msg[256], want[128];
    util_err err = {{0}};
    op_admin_target t = {0};
    op_admin *a = NULL;

    ob_start(&s, OP_SCALE_DOWN_MAX_FRAME + 1);
    t.bootstrap = s.addr;
    t.max_frame_bytes = OP_SCALE_DOWN_MAX_FRAME;
    ck_assert_int_eq(op_admin_open(&t, 0, 0, &a, &err), 0);
    ck_assert_int_eq(a->node_id, -1);
    ck_assert_int_eq(op_scale_down_check(a->conn, a->av, 3, 5, msg, sizeof msg, &err), -1);
    snprintf(want, sizeof want, "frame of %u bytes exceeds the limit of %u bytes",
             OP_SCALE_DOWN_MAX_FRAME + 1, OP_SCALE_DOWN_MAX_FRAME);
    ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
    op_admin_free(a);
    ob_stop(&s);
}
END_TEST

START_TEST(an_unreachable_address_is_named)
{
    util_err err = {{0}};
    op_admin_target t = {0};
    op_admin *a = NULL;

    t.bootstrap = "127.0.0.1:1";
    ck_assert_int_eq(op_admin_open(&t, 0, 0, &a, &err), -1);
    ck_assert_ptr_null(a);
    ck_assert_msg(strstr(err.msg, "127.0.0.1:1") != NULL, "%s", err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_scale_down");
    TCase *tc = tcase_create("check");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, an_oversized_metadata_answer_is_refused_unread);
    tcase_add_test(tc, an_unreachable_address_is_named);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
