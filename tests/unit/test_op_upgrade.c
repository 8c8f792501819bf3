/* The decisions that make an image change a Kafka upgrade (operator/
 * upgrade.h), with no cluster: metadata.version names and levels from
 * Kafka's MetadataVersion enum; the release in an image tag and the highest
 * level it runs; an image refused when its release supports less than the
 * finalized level (or let through, said so, when its tag names none); the
 * roll counted finished only when the StatefulSet and every broker pod are
 * on the new image and Ready; metadata.version raised to the common
 * supported maximum, or to the pinned level, and left alone when the
 * brokers disagree, the pin is beyond them or below the finalized level;
 * spec.metadataVersion read as a name or a number. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "operator/cluster.h"
#include "operator/metadata_version.h"
#include "operator/upgrade.h"

static cJSON *J(const char *s)
{
    cJSON *j = cJSON_Parse(s);

    ck_assert_msg(j != NULL, "bad JSON: %s", s);
    return j;
}

START_TEST(levels_by_name_and_number)
{
    ck_assert_int_eq(op_mv_level("3.3-IV3"), 7);
    ck_assert_int_eq(op_mv_level("4.3-IV0"), 30);
    ck_assert_int_eq(op_mv_level("4.4-IV2"), 33);
    ck_assert_int_eq(op_mv_level("33"), 33);
    ck_assert_int_eq(op_mv_level("32767"), 32767);
    ck_assert_int_eq(op_mv_level("32768"), -1);
    ck_assert_int_eq(op_mv_level("0"), -1);
    ck_assert_int_eq(op_mv_level("33x"), -1);
    ck_assert_int_eq(op_mv_level("4.9-IV0"), -1);
    ck_assert_int_eq(op_mv_level("-3"), -1);
    ck_assert_int_eq(op_mv_level(""), -1);
    ck_assert_int_eq(op_mv_level(NULL), -1);
    ck_assert_str_eq(op_mv_name(30), "4.3-IV0");
    ck_assert_str_eq(op_mv_name(21), "3.9-IV0");
    ck_assert_ptr_null(op_mv_name(34));
}
END_TEST

START_TEST(release_from_the_image_tag)
{
    static const struct {
        const char *image;
        int rc, x, y, z;
    } cases[] = {
        {"localhost/berth-kafka:4.4.0", 0, 4, 4, 0},
        {"apache/kafka:4.1.2", 0, 4, 1, 2},
        {"bitnami/kafka:3.9.0-debian-12-r4", 0, 3, 9, 0},
        {"kafka:v4.3.2", 0, 4, 3, 2},
        {"registry:5000/kafka:4.4.0@sha256:abcd", 0, 4, 4, 0},
        {"registry:5000/kafka", -1, 0, 0, 0}, /* a port, not a tag */
        {"kafka:latest", -1, 0, 0, 0},
        {"kafka", -1, 0, 0, 0},
        {"kafka:4.4", -1, 0, 0, 0},
        {"kafka:14.4.0.1", -1, 0, 0, 0},
        {"kafka@sha256:4.4.0", -1, 0, 0, 0},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int x = -1, y = -1, z = -1;

        ck_assert_msg(op_kafka_release(cases[i].image, &x, &y, &z) == cases[i].rc, "%s",
                      cases[i].image);
        if (cases[i].rc == 0)
            ck_assert_msg(x == cases[i].x && y == cases[i].y && z == cases[i].z, "%s: %d.%d.%d",
                          cases[i].image, x, y, z);
    }
    ck_assert_int_eq(op_mv_release_max(4, 3), 30);
    ck_assert_int_eq(op_mv_release_max(4, 4), 33);
    ck_assert_int_eq(op_mv_release_max(4, 0), 25);
    ck_assert_int_eq(op_mv_release_max(3, 9), 21);
    ck_assert_int_eq(op_mv_release_max(3, 3), 7);
    ck_assert_int_eq(op_mv_release_max(3, 2), -1);
    ck_assert_int_eq(op_mv_release_max(5, 0), 0);
}
END_TEST

START_TEST(downgrade_below_the_finalized_level_is_refused)
{
    char msg[768];

    ck_assert_int_eq(op_upgrade_image_check("localhost/berth-kafka:4.3.2", 33, msg, sizeof msg), 1);
    ck_assert_str_eq(msg, "image localhost/berth-kafka:4.3.2 runs Kafka 4.3.2, which supports "
                          "metadata.version up to 4.3-IV0 (30), below the cluster's finalized "
                          "4.4-IV2 (33): Kafka cannot downgrade it, so the brokers keep their "
                          "image");
    ck_assert_int_eq(op_upgrade_image_check("kafka:3.2.3", 30, msg, sizeof msg), 1);
    ck_assert_ptr_nonnull(strstr(msg, "cannot run metadata.version 4.3-IV0 (30)"));
    /* At or below what the release runs; or nothing finalized yet. */
    ck_assert_int_eq(op_upgrade_image_check("localhost/berth-kafka:4.3.2", 30, msg, sizeof msg), 0);
    ck_assert_int_eq(op_upgrade_image_check("localhost/berth-kafka:4.4.0", 33, msg, sizeof msg), 0);
    ck_assert_int_eq(op_upgrade_image_check("localhost/berth-kafka:4.3.2", -1, msg, sizeof msg), 0);
    /* A tag without a release, or one newer than the table: let through,
     * and said so. */
    ck_assert_int_eq(op_upgrade_image_check("kafka:latest", 33, msg, sizeof msg), 2);
    ck_assert_str_eq(msg, "image kafka:latest: its tag names no Kafka release (X.Y.Z), so it is "
                          "not checked against the finalized metadata.version");
    ck_assert_int_eq(op_upgrade_image_check("kafka:5.0.0", 33, msg, sizeof msg), 2);
}
END_TEST

static const char *const done_sts =
    "{\"metadata\":{\"generation\":4},\"spec\":{\"template\":{\"spec\":{\"containers\":["
    "{\"name\":\"sidecar\",\"image\":\"s:1\"},{\"name\":\"broker\",\"image\":\"k:4.4.0\"}]}}},"
    "\"status\":{\"observedGeneration\":4,\"replicas\":2,\"readyReplicas\":2,"
    "\"updatedReplicas\":2,\"currentRevision\":\"r2\",\"updateRevision\":\"r2\"}}";

#define POD(image, ready)                                                                          \
    "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"broker\",\"image\":"     \
    "\"" image "\"}]},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"" ready         \
    "\"}]}}"

static bool roll_done(const char *sts_patch, const char *pods)
{
    op_cluster c;
    cJSON *sts = J(done_sts), *p = J(pods);
    bool r;

    memset(&c, 0, sizeof c);
    c.image = "k:4.4.0";
    c.replicas = 2;
    if (sts_patch != NULL) {
        cJSON *patch = J(sts_patch), *f;

        cJSON_ArrayForEach(f, patch) cJSON_ReplaceItemInObject(cJSON_GetObjectItem(sts, "status"),
                                                               f->string, cJSON_Duplicate(f, 1));
        cJSON_Delete(patch);
    }
    r = op_upgrade_roll_done(&c, sts, p);
    cJSON_Delete(sts);
    cJSON_Delete(p);
    return r;
}

START_TEST(roll_done_only_when_everything_runs_the_image_and_is_ready)
{
    const char *both = "[" POD("k:4.4.0", "True") "," POD("k:4.4.0", "True") "]";

    ck_assert(roll_done(NULL, both));
    ck_assert(!roll_done(NULL, "[" POD("k:4.4.0", "True") "," POD("k:4.3.2", "True") "]"));
    ck_assert(!roll_done(NULL, "[" POD("k:4.4.0", "True") "," POD("k:4.4.0", "False") "]"));
    ck_assert(!roll_done(NULL, "[" POD("k:4.4.0", "True") "]"));
    ck_assert(!roll_done("{\"currentRevision\":\"r1\"}", both));
    ck_assert(!roll_done("{\"updatedReplicas\":1}", both));
    ck_assert(!roll_done("{\"readyReplicas\":1}", both));
    ck_assert(!roll_done("{\"observedGeneration\":3}", both));
    {
        op_cluster c;
        cJSON *sts = J(done_sts), *p = J(both);

        memset(&c, 0, sizeof c);
        c.image = "k:4.5.0"; /* the StatefulSet not yet updated */
        c.replicas = 2;
        ck_assert(!op_upgrade_roll_done(&c, sts, p));
        c.image = "k:4.4.0";
        cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetArrayItem(p, 1), "metadata"),
                                "deletionTimestamp", "2026-01-01T00:00:00Z");
        ck_assert(!op_upgrade_roll_done(&c, sts, p));
        ck_assert(!op_upgrade_roll_done(&c, NULL, p));
        cJSON_Delete(sts);
        cJSON_Delete(p);
    }
}
END_TEST

START_TEST(metadata_version_raised_to_what_every_broker_supports)
{
    op_mv_broker after[3] = {{7, 33, 30}, {7, 33, 30}, {7, 33, 30}};
    op_mv_broker mixed[3] = {{7, 33, 30}, {7, 30, 30}, {7, 33, 30}};
    op_mv_broker mute[2] = {{7, 33, 30}, {-1, -1, 30}};
    op_mv_broker done[3] = {{7, 33, 33}, {7, 33, 33}, {7, 33, 33}};
    op_mv_plan p;

    op_mv_decide(after, 3, -1, &p);
    ck_assert_int_eq(p.action, OP_MV_RAISE);
    ck_assert_int_eq(p.level, 33);
    ck_assert_int_eq(p.finalized, 30);
    ck_assert_int_eq(p.supported, 33);
    /* Pinned: to the pin, not beyond; at the finalized level, nothing. */
    op_mv_decide(after, 3, 31, &p);
    ck_assert_int_eq(p.action, OP_MV_RAISE);
    ck_assert_int_eq(p.level, 31);
    op_mv_decide(after, 3, 30, &p);
    ck_assert_int_eq(p.action, OP_MV_NOTHING);
    op_mv_decide(after, 3, 29, &p);
    ck_assert_int_eq(p.action, OP_MV_BELOW);
    ck_assert_str_eq(p.msg, "spec.metadataVersion 4.2-IV1 (29) is below the finalized 4.3-IV0 "
                            "(30), which Kafka cannot downgrade: left as it is");
    op_mv_decide(after, 3, 34, &p);
    ck_assert_int_eq(p.action, OP_MV_UNSUPPORTED);
    ck_assert_str_eq(p.msg, "spec.metadataVersion ? (34) is beyond what the brokers support (up "
                            "to 4.4-IV2, 33)");
    /* Not while one broker still runs the old release, or says nothing. */
    op_mv_decide(mixed, 3, -1, &p);
    ck_assert_int_eq(p.action, OP_MV_WAIT);
    ck_assert_str_eq(p.msg, "the brokers support different metadata.version ranges (7..33 on "
                            "broker 0, 7..30 on broker 1): waiting until all run one release");
    op_mv_decide(mute, 2, -1, &p);
    ck_assert_int_eq(p.action, OP_MV_WAIT);
    op_mv_decide(after, 0, -1, &p);
    ck_assert_int_eq(p.action, OP_MV_WAIT);
    op_mv_decide(done, 3, -1, &p);
    ck_assert_int_eq(p.action, OP_MV_NOTHING);
    ck_assert_int_eq(p.finalized, 33);
}
END_TEST

START_TEST(versions_the_pods_run)
{
    cJSON *pods = J("[" POD("k:4.4.0", "True") "," POD("k:4.3.2", "False") "," POD(
        "k:4.4.0", "True") "," POD("k:edge", "True") "]");
    cJSON *v = op_upgrade_versions(pods);
    char *s = cJSON_PrintUnformatted(v);

    ck_assert_str_eq(s, "[\"4.3.2\",\"4.4.0\",\"edge\"]");
    cJSON_free(s);
    cJSON_Delete(v);
    cJSON_Delete(pods);
}
END_TEST

START_TEST(spec_metadata_version_as_name_or_number)
{
    static const char *const base =
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u\"},\"spec\":{\"flavor\":"
        "\"kafka\",\"image\":\"k:4.4.0\",\"listeners\":[{\"name\":\"internal\",\"port\":9092,"
        "\"type\":\"internal\"}]}}";
    static const struct {
        const char *json;
        int rc, level;
    } cases[] = {
        {NULL, 0, -1},    {"\"4.3-IV0\"", 0, 30}, {"\"31\"", 0, 31}, {"32", 0, 32},
        {"\"x\"", -1, 0}, {"0", -1, 0},           {"1.5", -1, 0},    {"true", -1, 0},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *cr = J(base);
        op_cluster c;
        util_err err = {{0}};

        if (cases[i].json != NULL)
            cJSON_AddItemToObject(cJSON_GetObjectItem(cr, "spec"), "metadataVersion",
                                  J(cases[i].json));
        ck_assert_msg(op_cluster_parse(cr, &c, &err) == cases[i].rc, "%s: %s",
                      cases[i].json ? cases[i].json : "(none)", err.msg);
        if (cases[i].rc == 0)
            ck_assert_int_eq(c.metadata_version, cases[i].level);
        else
            ck_assert_msg(strncmp(err.msg, "spec.metadataVersion: ", 22) == 0, "%s", err.msg);
        cJSON_Delete(cr);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_upgrade");
    TCase *tc = tcase_create("upgrade");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, levels_by_name_and_number);
    tcase_add_test(tc, release_from_the_image_tag);
    tcase_add_test(tc, downgrade_below_the_finalized_level_is_refused);
    tcase_add_test(tc, roll_done_only_when_everything_runs_the_image_and_is_ready);
    tcase_add_test(tc, metadata_version_raised_to_what_every_broker_supports);
    tcase_add_test(tc, versions_the_pods_run);
    tcase_add_test(tc, spec_metadata_version_as_name_or_number);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
