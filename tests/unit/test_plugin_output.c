/* kubectl-berth's output and input: the addresses report made from a
 * KafkaCluster's status and its nodes, the table's columns, YAML that reads
 * back as the same document (strings that look like another type stay
 * strings), the health table read from its report alone (the verdict and
 * its problems first, the partitions with a problem up to a limit unless
 * wide), how the tables say the broker asked was reached (a port-forward
 * or --direct's address), and durations as kubectl's flags take them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "plugin/health.h"
#include "plugin/output.h"
#include "plugin/plugin.h"

static cJSON *J(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    ck_assert_msg(j != NULL, "bad JSON in the test: %s", text);
    return j;
}

/* What fn printed into a FILE, as a new string. */
static char *captured(void (*fn)(FILE *f, void *arg), void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    fn(f, arg);
    fclose(f);
    return buf;
}

static const char cr_text[] =
    "{\"metadata\":{\"name\":\"demo\",\"namespace\":\"kafka\",\"generation\":2},"
    "\"status\":{\"observedGeneration\":2,\"bootstrap\":{\"internal\":"
    "\"demo-bootstrap.kafka.svc:9092\",\"external\":[\"203.0.113.10:31090\"]},"
    "\"brokers\":[{\"id\":0,\"pod\":\"demo-0\",\"node\":\"n1\",\"ready\":true,"
    "\"controller\":true,\"listeners\":{\"internal\":\"demo-0.demo-brokers.kafka.svc:9092\","
    "\"external\":\"203.0.113.10:31090\"},\"addressFallback\":{\"external\":\"InternalIP\"}},"
    "{\"id\":1,\"ready\":false,\"listeners\":{}}]}}";

START_TEST(the_report_is_the_status_and_the_nodes)
{
    cJSON *cr = J(cr_text), *nodes = J("[{\"metadata\":{\"name\":\"n1\"},\"status\":{\"addresses\":"
                                       "[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"},"
                                       "{\"type\":\"Hostname\",\"address\":\"n1\"}]}}]");
    cJSON *r = pl_addresses_report(cr, nodes), *b0, *b1;

    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "cluster")), "demo");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(r, "namespace")), "kafka");
    ck_assert(cJSON_Compare(cJSON_GetObjectItem(r, "bootstrap"),
                            cJSON_GetObjectItem(cJSON_GetObjectItem(cr, "status"), "bootstrap"),
                            1));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "brokers")), 2);
    b0 = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "brokers"), 0);
    b1 = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "brokers"), 1);
    ck_assert_str_eq(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(b0, "listeners"), "external")),
        "203.0.113.10:31090");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(b0, "addressFallback"), "external")),
                     "InternalIP");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(b0, "nodeAddresses"), "InternalIP")),
                     "10.0.0.1");
    ck_assert_ptr_null(cJSON_GetObjectItem(b0, "controller")); /* not an address */
    ck_assert_ptr_null(cJSON_GetObjectItem(b1, "nodeAddresses"));
    ck_assert_ptr_null(cJSON_GetObjectItem(b1, "pod"));
    cJSON_Delete(r);
    /* Without nodes (a plain table) no node addresses; without status no
     * brokers. */
    r = pl_addresses_report(cr, NULL);
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "brokers"), 0),
                                           "nodeAddresses"));
    cJSON_Delete(r);
    cJSON_DeleteItemFromObject(cr, "status");
    r = pl_addresses_report(cr, nodes);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "brokers")), 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(r, "bootstrap"));
    cJSON_Delete(r);
    cJSON_Delete(cr);
    cJSON_Delete(nodes);
}
END_TEST

static void print_table(FILE *f, void *arg)
{
    pl_table_print(arg, f);
}

START_TEST(columns_are_as_wide_as_their_widest_cell)
{
    static const char *const headers[] = {"broker", "address"};
    static const char *const r1[] = {"0", "a-long-address:9092"};
    static const char *const r2[] = {"10", NULL};
    pl_table *t = pl_table_new(2, headers);
    char *out;

    ck_assert_int_eq(pl_table_add(t, r1), 0);
    ck_assert_int_eq(pl_table_add(t, r2), 0);
    for (int i = 0; i < 20; i++) /* past the first allocation */
        ck_assert_int_eq(pl_table_add(t, r1), 0);
    out = captured(print_table, t);
    ck_assert_msg(strncmp(out,
                          "BROKER   ADDRESS\n"
                          "0        a-long-address:9092\n"
                          "10       -\n",
                          47) == 0,
                  "%s", out);
    free(out);
    pl_table_free(t);
}
END_TEST

static void done_table(FILE *f, void *arg)
{
    pl_table_done(arg, true, f);
}

START_TEST(a_limited_table_counts_the_rows_it_leaves_out)
{
    static const char *const headers[] = {"n"};
    static const char *const cells[][1] = {{"1"}, {"2"}, {"3"}, {"4"}, {"5"}};
    pl_table *t = pl_table_new(1, headers);
    char *out;

    pl_table_limit(t, 2);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(pl_table_add(t, cells[i]), 0);
    out = captured(done_table, t); /* frees t */
    ck_assert_str_eq(out, "N\n1\n2\n... and 3 more (-o wide or -o json lists them all)\n");
    free(out);
}
END_TEST

static void print_yaml(FILE *f, void *arg)
{
    util_err err = {{0}};

    ck_assert_msg(pl_print_doc(arg, 1, f, &err) == 0, "%s", err.msg);
}

/* The YAML text read back by libyaml as a document of scalars: each
 * scalar's value and whether it was quoted, "value/q" or "value/p",
 * joined by spaces. */
static char *scalars(const char *text)
{
    yaml_parser_t p;
    yaml_event_t ev;
    char *out = calloc(1, 4096);
    size_t n = 0;
    int done = 0;

    ck_assert(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    while (!done) {
        ck_assert_msg(yaml_parser_parse(&p, &ev), "YAML does not parse: %s", text);
        if (ev.type == YAML_SCALAR_EVENT)
            n += (size_t)snprintf(out + n, 4096 - n, "%s%s/%c", n > 0 ? " " : "",
                                  (const char *)ev.data.scalar.value,
                                  ev.data.scalar.plain_implicit ? 'p' : 'q');
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return out;
}

START_TEST(yaml_keeps_strings_strings)
{
    cJSON *doc = J("{\"a\":\"true\",\"b\":\"1.5\",\"c\":\"\",\"d\":\"yes\",\"e\":\"demo-0:9092\","
                   "\"f\":3,\"g\":false,\"h\":null,\"i\":[\"x\",{\"j\":0.5}]}");
    char *text = captured(print_yaml, doc), *s = scalars(text);

    ck_assert_msg(strcmp(s, "a/p true/q b/p 1.5/q c/p /q d/p yes/q e/p demo-0:9092/p f/p 3/p "
                            "g/p false/p h/p null/p i/p x/p j/p 0.5/p") == 0,
                  "%s\n%s", s, text);
    free(s);
    free(text);
    cJSON_Delete(doc);
}
END_TEST

static void print_health(FILE *f, void *arg)
{
    pl_health_print(arg, false, f);
}

static void print_health_wide(FILE *f, void *arg)
{
    pl_health_print(arg, true, f);
}

START_TEST(the_health_table_says_the_verdict_first_and_the_partitions_that_matter)
{
    cJSON *r = J("{\"cluster\":\"demo\",\"namespace\":\"kafka\",\"flavor\":\"kafka\","
                 "\"healthy\":false,\"problems\":[\"25 partitions under-replicated\"],"
                 "\"notes\":[\"1 partition being reassigned\"],\"asked\":{\"id\":0,\"pod\":"
                 "\"demo-0\",\"port\":9091},\"clusterId\":\"abc\",\"controllerId\":1,"
                 "\"brokers\":[{\"id\":0,\"pod\":\"demo-0\",\"podFound\":true,\"ready\":true,"
                 "\"restarts\":0,\"registered\":true,\"leaders\":26,\"preferredLeaders\":25,"
                 "\"replicas\":26,\"demotedPartitions\":0},{\"id\":1,\"pod\":\"demo-1\","
                 "\"podFound\":true,\"ready\":false,\"waiting\":\"kafka: CrashLoopBackOff\","
                 "\"readyMessage\":\"containers with unready status: [kafka]\",\"restarts\":3,"
                 "\"registered\":false,\"leaders\":0,\"preferredLeaders\":1,\"replicas\":26,"
                 "\"demotedPartitions\":0}],\"partitions\":{\"total\":26,\"topics\":1,"
                 "\"underReplicated\":25,\"underMinIsr\":0,\"offline\":0,"
                 "\"notPreferredLeader\":1,\"leaderSkew\":26,\"mostLeaders\":26,"
                 "\"fewestLeaders\":0,\"list\":[{\"topic\":\"t\",\"partition\":99,\"leader\":0,"
                 "\"replicas\":[1,0],\"isr\":[1,0],\"minIsr\":1,\"problems\":"
                 "[\"not-preferred-leader\"]}]},\"quorum\":{\"leaderId\":0,\"leaderEpoch\":3,"
                 "\"highWatermark\":70,\"observers\":0,\"voters\":[{\"id\":0,\"logEndOffset\":70,"
                 "\"lag\":0,\"lastCaughtUpMsAgo\":0,\"caughtUp\":true}]},\"reassignments\":[],"
                 "\"ledger\":{\"partitions\":0,\"demoted\":[]}}");
    cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "partitions"), "list");
    char *out;

    for (int i = 0; i < 25; i++) {
        char text[256];

        snprintf(text, sizeof text,
                 "{\"topic\":\"t\",\"partition\":%d,\"leader\":0,\"replicas\":[0,1],"
                 "\"isr\":[0],\"minIsr\":null,\"problems\":[\"under-replicated\"]}",
                 i);
        cJSON_AddItemToArray(list, J(text));
    }
    out = captured(print_health, r);
    ck_assert_msg(strstr(out, "KafkaCluster kafka/demo (kafka): NOT HEALTHY\n"
                              "  problem: 25 partitions under-replicated\n"
                              "  note: 1 partition being reassigned\n"
                              "Asked broker 0 (pod demo-0, port 9091") == out,
                  "%s", out);
    ck_assert_msg(strstr(out, "\n1        demo-1   no      3          no           0         1    "
                              "       26         0         kafka: CrashLoopBackOff\n") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "TOPIC   PARTITION   LEADER   REPLICAS   ISR   MIN ISR   PROBLEMS\n"
                              "t       0           0        0,1        0     -         "
                              "under-replicated\n") != NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "\nt       19 ") != NULL && strstr(out, "\nt       20 ") == NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "99") == NULL, "%s", out); /* only not led by its preferred */
    ck_assert_msg(strstr(out, "... and 5 more") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "0       70               0     0 ms before the leader   yes\n") !=
                      NULL,
                  "%s", out);
    ck_assert_msg(strstr(out, "\nReassignments: none in progress\n"
                              "Drain ledger: 0 partitions recorded, no broker demoted\n") != NULL,
                  "%s", out);
    free(out);
    out = captured(print_health_wide, r);
    ck_assert_msg(strstr(out, "\nt       24 ") != NULL && strstr(out, "more") == NULL, "%s", out);
    ck_assert_msg(strstr(out, "containers with unready status: [kafka]\n") != NULL, "%s", out);
    free(out);
    /* Redpanda has no KRaft quorum to show. */
    cJSON_ReplaceItemInObject(r, "flavor", cJSON_CreateString("redpanda"));
    cJSON_DeleteItemFromObject(r, "quorum");
    out = captured(print_health, r);
    ck_assert_msg(strstr(out, "KRaft quorum: none (Redpanda") != NULL, "%s", out);
    free(out);
    cJSON_Delete(r);
}
END_TEST

START_TEST(the_tables_say_how_the_broker_was_reached)
{
    cJSON *forwarded = J("{\"id\":0,\"pod\":\"demo-0\",\"port\":9091,\"via\":\"port-forward\"}");
    cJSON *direct = J("{\"id\":0,\"pod\":\"demo-0\",\"port\":32100,\"via\":\"direct\","
                      "\"address\":\"10.0.0.5:32100\",\"listener\":\"external\"}");
    char buf[256];

    ck_assert_str_eq(pl_asked_how(forwarded, buf, sizeof buf), "through a port-forward");
    ck_assert_str_eq(pl_asked_how(direct, buf, sizeof buf),
                     "directly at 10.0.0.5:32100, listener external");
    cJSON_Delete(forwarded);
    cJSON_Delete(direct);
}
END_TEST

START_TEST(durations_read_as_kubectl_flags_take_them)
{
    ck_assert_int_eq(pl_duration_parse("90"), 90);
    ck_assert_int_eq(pl_duration_parse("90s"), 90);
    ck_assert_int_eq(pl_duration_parse("15m"), 900);
    ck_assert_int_eq(pl_duration_parse("1h"), 3600);
    ck_assert_int_eq(pl_duration_parse("0"), 0);
    ck_assert_int_eq(pl_duration_parse("5x"), -1);
    ck_assert_int_eq(pl_duration_parse("m"), -1);
    ck_assert_int_eq(pl_duration_parse(""), -1);
    ck_assert_int_eq(pl_duration_parse("-5"), -1);
    ck_assert_int_eq(pl_duration_parse("99999999h"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plugin_output");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, the_report_is_the_status_and_the_nodes);
    tcase_add_test(tc, columns_are_as_wide_as_their_widest_cell);
    tcase_add_test(tc, a_limited_table_counts_the_rows_it_leaves_out);
    tcase_add_test(tc, yaml_keeps_strings_strings);
    tcase_add_test(tc, the_health_table_says_the_verdict_first_and_the_partitions_that_matter);
    tcase_add_test(tc, the_tables_say_how_the_broker_was_reached);
    tcase_add_test(tc, durations_read_as_kubectl_flags_take_them);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
