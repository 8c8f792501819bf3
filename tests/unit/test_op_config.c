/* The pure half of config changes (operator/config_change.h): values are
 * fingerprinted, not kept; the same config gives the same record and hash
 * whatever its key order; a changed, added or removed key is found and an
 * unchanged one is not; a record berth did not write reads as none; a
 * StatefulSet's roll is done only once the controller saw its generation
 * and every replica runs the update revision. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "operator/config_change.h"

static cJSON *J(const char *s)
{
    cJSON *j = cJSON_Parse(s);

    ck_assert_msg(j != NULL, "bad JSON: %s", s);
    return j;
}

static char *text_of(const cJSON *j)
{
    return cJSON_PrintUnformatted(j);
}

START_TEST(the_record_keeps_fingerprints_sorted_and_no_values)
{
    cJSON *a = J("{\"z.key\":\"secret-value\",\"a.key\":\"1\"}");
    cJSON *b = J("{\"a.key\":\"1\",\"z.key\":\"secret-value\"}");
    cJSON *ra = op_config_rolled_new(a), *rb = op_config_rolled_new(b), *none = J("[]");
    char *ta = op_config_state_print(ra, none, none), *tb = op_config_state_print(rb, none, none);
    char ha[OP_CONFIG_FP_SIZE], hb[OP_CONFIG_FP_SIZE], fp[OP_CONFIG_FP_SIZE];

    ck_assert_str_eq(ta, tb);
    ck_assert_ptr_null(strstr(ta, "secret-value"));
    ck_assert_ptr_nonnull(strstr(ta, "\"a.key\""));
    ck_assert_int_lt(strstr(ta, "a.key") - ta, strstr(ta, "z.key") - ta);
    op_config_fingerprint("1", fp);
    ck_assert_int_eq((int)strlen(fp), 16);
    ck_assert_ptr_nonnull(strstr(ta, fp));
    op_config_hash(ra, ha);
    op_config_hash(rb, hb);
    ck_assert_str_eq(ha, hb);
    /* Another value, another hash: the template changes, the pods roll. */
    cJSON_ReplaceItemInObject(b, "a.key", cJSON_CreateString("2"));
    cJSON_Delete(rb);
    rb = op_config_rolled_new(b);
    op_config_hash(rb, hb);
    ck_assert_str_ne(ha, hb);
    free(ta);
    free(tb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(ra);
    cJSON_Delete(rb);
    cJSON_Delete(none);
}
END_TEST

START_TEST(the_record_reads_back_and_foreign_text_reads_as_none)
{
    cJSON *cfg = J("{\"x\":\"1\"}"), *rolled = op_config_rolled_new(cfg);
    cJSON *live = J("[\"b\",\"a\",\"b\"]"), *rolling = J("[\"x\"]"), *s;
    char *t = op_config_state_print(rolled, live, rolling), *t2;

    s = op_config_state_parse(t);
    ck_assert_ptr_nonnull(s);
    t2 = text_of(cJSON_GetObjectItem(s, "live"));
    ck_assert_str_eq(t2, "[\"a\",\"b\"]");
    free(t2);
    ck_assert(op_config_has(cJSON_GetObjectItem(s, "rolling"), "x"));
    cJSON_Delete(s);
    ck_assert_ptr_null(op_config_state_parse(NULL));
    ck_assert_ptr_null(op_config_state_parse("not json"));
    ck_assert_ptr_null(op_config_state_parse("{\"rolled\":{\"k\":1}}"));
    ck_assert_ptr_null(op_config_state_parse("{\"rolled\":{},\"live\":[1]}"));
    s = op_config_state_parse("{\"rolled\":{}}");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "live")), 0);
    cJSON_Delete(s);
    free(t);
    cJSON_Delete(cfg);
    cJSON_Delete(rolled);
    cJSON_Delete(live);
    cJSON_Delete(rolling);
}
END_TEST

START_TEST(changed_added_and_removed_keys_are_found)
{
    cJSON *was = J("{\"same\":\"1\",\"changes\":\"a\",\"goes\":\"x\"}");
    cJSON *now = J("{\"same\":\"1\",\"changes\":\"b\",\"comes\":\"y\"}");
    cJSON *rolled = op_config_rolled_new(was), *changed, *removed;
    char *c, *r;

    op_config_changes(now, rolled, &changed, &removed);
    c = text_of(changed);
    r = text_of(removed);
    ck_assert_str_eq(c, "[\"changes\",\"comes\"]");
    ck_assert_str_eq(r, "[\"goes\"]");
    free(c);
    free(r);
    cJSON_Delete(changed);
    cJSON_Delete(removed);
    /* Against itself: nothing. NULL config: every key removed. */
    op_config_changes(was, rolled, &changed, &removed);
    ck_assert_int_eq(cJSON_GetArraySize(changed) + cJSON_GetArraySize(removed), 0);
    cJSON_Delete(changed);
    cJSON_Delete(removed);
    op_config_changes(NULL, rolled, &changed, &removed);
    ck_assert_int_eq(cJSON_GetArraySize(removed), 3);
    cJSON_Delete(changed);
    cJSON_Delete(removed);
    cJSON_Delete(was);
    cJSON_Delete(now);
    cJSON_Delete(rolled);
}
END_TEST

START_TEST(a_roll_is_done_once_every_replica_runs_the_update_revision)
{
    static const struct {
        const char *sts;
        bool done;
    } cases[] = {
        {"{\"metadata\":{\"generation\":3},\"spec\":{\"replicas\":3},\"status\":{"
         "\"observedGeneration\":3,\"currentRevision\":\"r2\",\"updateRevision\":\"r2\","
         "\"updatedReplicas\":3}}",
         true},
        /* The controller has not seen the new template yet. */
        {"{\"metadata\":{\"generation\":4},\"spec\":{\"replicas\":3},\"status\":{"
         "\"observedGeneration\":3,\"currentRevision\":\"r2\",\"updateRevision\":\"r2\","
         "\"updatedReplicas\":3}}",
         false},
        {"{\"metadata\":{\"generation\":4},\"spec\":{\"replicas\":3},\"status\":{"
         "\"observedGeneration\":4,\"currentRevision\":\"r2\",\"updateRevision\":\"r3\","
         "\"updatedReplicas\":1}}",
         false},
        {"{\"metadata\":{\"generation\":4},\"spec\":{\"replicas\":3},\"status\":{"
         "\"observedGeneration\":4,\"currentRevision\":\"r3\",\"updateRevision\":\"r3\","
         "\"updatedReplicas\":2}}",
         false},
        {"{\"metadata\":{\"generation\":1},\"spec\":{\"replicas\":3}}", false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *s = J(cases[i].sts);

        ck_assert_msg(op_config_roll_done(s) == cases[i].done, "case %zu", i);
        cJSON_Delete(s);
    }
}
END_TEST

START_TEST(key_lists_stay_sorted_unique_and_print_cut)
{
    cJSON *a = cJSON_CreateArray();
    char buf[12];

    op_config_add(a, "m");
    op_config_add(a, "a");
    op_config_add(a, "z");
    op_config_add(a, "m");
    ck_assert_str_eq(op_config_list(a, buf, sizeof buf), "a, m, z");
    op_config_add(a, "log.retention.ms");
    ck_assert_str_eq(op_config_list(a, buf, sizeof buf), "a, log.r...");
    cJSON_Delete(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_config");
    TCase *tc = tcase_create("pure");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, the_record_keeps_fingerprints_sorted_and_no_values);
    tcase_add_test(tc, the_record_reads_back_and_foreign_text_reads_as_none);
    tcase_add_test(tc, changed_added_and_removed_keys_are_found);
    tcase_add_test(tc, a_roll_is_done_once_every_replica_runs_the_update_revision);
    tcase_add_test(tc, key_lists_stay_sorted_unique_and_print_cut);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
