/* kubectl-berth's output and input: the addresses report made from a
 * KafkaCluster's status and its nodes, the table's columns, YAML that reads
 * back as the same document (strings that look like another type stay
 * strings), and durations as kubectl's flags take them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

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
    tcase_add_test(tc, yaml_keeps_strings_strings);
    tcase_add_test(tc, durations_read_as_kubectl_flags_take_them);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
