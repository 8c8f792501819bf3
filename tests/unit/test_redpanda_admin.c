/* lib/redpanda/admin: the decoders on golden answers shaped like Redpanda's
 * published admin API (tests/unit/golden/redpanda/) and on malformed ones,
 * where the error must name the member at fault; then the client over
 * HTTP against the fake admin API (tests/support/fake_redpanda_admin.c):
 * maintenance on and off, the single maintenance slot (400 -> busy), an
 * unknown broker (404), basic auth, a garbage body, a slow answer past the
 * request timeout, and nobody listening (unreachable, told apart). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redpanda/admin.h"
#include "support/curl_suite.h"
#include "support/fake_redpanda_admin.h"
#include "support/pki.h"
#include "support/slurp.h"
#include "support/tmpdir.h"

static char *golden(const char *name, size_t *len)
{
    const char *here = __FILE__, *slash = strrchr(here, '/');
    int dirlen = slash != NULL ? (int)(slash - here) : 1;
    char path[1024];
    char *buf;

    snprintf(path, sizeof path, "%.*s/golden/redpanda/%s", dirlen, slash != NULL ? here : ".",
             name);
    buf = slurp_file(path, len);
    ck_assert_msg(buf != NULL, "open %s", path);
    return buf;
}

/* ---- decoders ---- */

START_TEST(decodes_a_draining_broker)
{
    size_t len;
    char *body = golden("broker_draining.json", &len);
    util_err err = {{0}};
    rp_broker b;

    ck_assert_int_eq(rp_decode_broker(body, len, &b, &err), 0);
    ck_assert_int_eq(b.node_id, 1);
    ck_assert(b.is_alive);
    ck_assert_str_eq(b.membership_status, "active");
    ck_assert(b.has_maintenance);
    ck_assert(b.maintenance.draining);
    ck_assert(!b.maintenance.finished);
    ck_assert(!b.maintenance.errors);
    ck_assert_int_eq(b.maintenance.partitions, 120);
    ck_assert_int_eq(b.maintenance.eligible, 118);
    ck_assert_int_eq(b.maintenance.transferring, 17);
    ck_assert_int_eq(b.maintenance.failed, 0);
    free(body);
}
END_TEST

START_TEST(absent_drain_counts_read_minus_one)
{
    size_t len;
    char *body = golden("broker_idle.json", &len);
    util_err err = {{0}};
    rp_broker b;

    ck_assert_int_eq(rp_decode_broker(body, len, &b, &err), 0);
    ck_assert_int_eq(b.node_id, 0);
    ck_assert(b.has_maintenance);
    ck_assert(!b.maintenance.draining);
    ck_assert(!b.maintenance.finished);
    ck_assert_int_eq(b.maintenance.partitions, -1);
    ck_assert_int_eq(b.maintenance.failed, -1);
    free(body);
}
END_TEST

START_TEST(decodes_the_broker_list)
{
    size_t len;
    char *body = golden("brokers.json", &len);
    util_err err = {{0}};
    rp_broker_list l;

    ck_assert_int_eq(rp_decode_brokers(body, len, &l, &err), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_int_eq(l.items[1].node_id, 1);
    ck_assert(l.items[1].maintenance.finished);
    ck_assert(l.items[1].maintenance.errors);
    ck_assert_int_eq(l.items[1].maintenance.failed, 3);
    ck_assert_int_eq(l.items[2].node_id, 2);
    ck_assert(!l.items[2].is_alive);
    ck_assert(!l.items[2].has_maintenance);
    ck_assert_str_eq(l.items[2].membership_status, "draining");
    rp_broker_list_clear(&l);
    ck_assert_ptr_null(l.items);
    free(body);
}
END_TEST

START_TEST(decodes_the_local_maintenance_status)
{
    size_t len;
    char *body = golden("maintenance_status.json", &len);
    util_err err = {{0}};
    rp_maintenance_status m;

    ck_assert_int_eq(rp_decode_maintenance_status(body, len, &m, &err), 0);
    ck_assert(m.draining && m.finished && !m.errors);
    ck_assert_int_eq(m.partitions, 64);
    free(body);
}
END_TEST

START_TEST(decodes_health_overviews)
{
    size_t len;
    char *body = golden("health_healthy.json", &len), desc[400];
    util_err err = {{0}};
    rp_health h;

    ck_assert_int_eq(rp_decode_health(body, len, &h, &err), 0);
    ck_assert(h.is_healthy);
    ck_assert_int_eq(h.controller_id, 0);
    ck_assert_uint_eq(h.n_all_nodes, 3);
    ck_assert_uint_eq(h.n_nodes_down, 0);
    ck_assert_uint_eq(h.leaderless, 0);
    rp_health_describe(&h, desc, sizeof desc);
    ck_assert_str_eq(desc, "healthy");
    rp_health_clear(&h);
    free(body);

    body = golden("health_unhealthy.json", &len);
    ck_assert_int_eq(rp_decode_health(body, len, &h, &err), 0);
    ck_assert(!h.is_healthy);
    ck_assert_int_eq(h.controller_id, -1);
    ck_assert_uint_eq(h.n_nodes_down, 1);
    ck_assert(rp_health_node_down(&h, 2));
    ck_assert(!rp_health_node_down(&h, 1));
    ck_assert_uint_eq(h.leaderless, 2);
    ck_assert_uint_eq(h.under_replicated, 3);
    ck_assert_str_eq(h.first_leaderless, "kafka/orders/3");
    rp_health_describe(&h, desc, sizeof desc);
    ck_assert_str_eq(desc,
                     "unhealthy: nodes down [2], 2 leaderless partitions (kafka/orders/3...), "
                     "3 under-replicated partitions (kafka/orders/0...), no controller");
    rp_health_clear(&h);
    free(body);
}
END_TEST

/* Each malformed answer and the words its error must contain. */
static const struct {
    int kind; /* 0 broker, 1 brokers, 2 health, 3 maintenance status */
    const char *body;
    const char *want;
} bad[] = {
    {0, "", "empty body"},
    {0, "<html>502 Bad Gateway</html>", "not JSON"},
    {0, "{\"node_id\": 1, ", "not JSON"},
    {0, "[1]", "body: not an object"},
    {0, "{\"is_alive\": true}", "node_id: missing"},
    {0, "{\"node_id\": \"1\"}", "node_id: not an integer"},
    {0, "{\"node_id\": 1.5}", "node_id: not an integer"},
    {0, "{\"node_id\": -3}", "node_id: -3 out of range"},
    {0, "{\"node_id\": 1e30}", "node_id: "},
    {0, "{\"node_id\": 1, \"is_alive\": \"yes\"}", "is_alive: not a boolean"},
    {0, "{\"node_id\": 1, \"membership_status\": 7}", "membership_status: not a string"},
    {0, "{\"node_id\": 1, \"maintenance_status\": []}", "maintenance_status: not an object"},
    {0, "{\"node_id\": 1, \"maintenance_status\": {}}", "maintenance_status.draining: missing"},
    {0, "{\"node_id\": 1, \"maintenance_status\": {\"draining\": 1}}",
     "maintenance_status.draining: not a boolean"},
    {0, "{\"node_id\": 1, \"maintenance_status\": {\"draining\": true, \"failed\": -1}}",
     "maintenance_status.failed: -1 out of range"},
    {0, "{\"node_id\": 1, \"maintenance_status\": {\"draining\": true, \"finished\": \"no\"}}",
     "maintenance_status.finished: not a boolean"},
    {1, "{}", "not an array of brokers"},
    {1,
     "[{\"node_id\": 0}, {\"node_id\": 1, \"maintenance_status\": {\"draining\": true, "
     "\"transferring\": \"many\"}}]",
     "[1].maintenance_status.transferring: not an integer"},
    {1, "[{\"node_id\": 0}, 5]", "[1].: not an object"},
    {2, "{}", "is_healthy: missing"},
    {2, "{\"is_healthy\": true, \"nodes_down\": {}}", "nodes_down: not an array"},
    {2, "{\"is_healthy\": true, \"nodes_down\": [1, \"2\"]}", "nodes_down[1]: not a node id"},
    {2, "{\"is_healthy\": true, \"all_nodes\": [0.5]}", "all_nodes[0]: not a node id"},
    {2, "{\"is_healthy\": false, \"leaderless_partitions\": [\"a\", 2]}",
     "leaderless_partitions[1]: not a string"},
    {2, "{\"is_healthy\": false, \"under_replicated_partitions\": \"x\"}",
     "under_replicated_partitions: not an array"},
    {2, "{\"is_healthy\": true, \"controller_id\": -2}", "controller_id: -2 out of range"},
    {3, "null", "body: not an object"},
    {3, "{\"draining\": true, \"eligible\": true}", "eligible: not an integer"},
};

START_TEST(malformed_answers_name_the_member)
{
    util_err err = {{0}};
    int rc = 0;

    switch (bad[_i].kind) {
    case 0: {
        rp_broker b;
        rc = rp_decode_broker(bad[_i].body, strlen(bad[_i].body), &b, &err);
        break;
    }
    case 1: {
        rp_broker_list l = {NULL, 0};
        rc = rp_decode_brokers(bad[_i].body, strlen(bad[_i].body), &l, &err);
        ck_assert_ptr_null(l.items);
        break;
    }
    case 2: {
        rp_health h;
        memset(&h, 0, sizeof h);
        rc = rp_decode_health(bad[_i].body, strlen(bad[_i].body), &h, &err);
        ck_assert_ptr_null(h.all_nodes);
        break;
    }
    default: {
        rp_maintenance_status m;
        rc = rp_decode_maintenance_status(bad[_i].body, strlen(bad[_i].body), &m, &err);
        break;
    }
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, bad[_i].want) != NULL, "case %d: '%s' lacks '%s'", _i, err.msg,
                  bad[_i].want);
}
END_TEST

/* ---- the client against the fake ---- */

static rp_admin *client(const char *url, const char *user, const char *pass, long timeout_ms)
{
    rp_admin_config cfg = {
        .base_url = url, .username = user, .password = pass, .timeout_ms = timeout_ms};
    util_err err = {{0}};
    rp_admin *a = NULL;

    ck_assert_msg(rp_admin_new(&cfg, &a, &err) == 0, "%s", err.msg);
    return a;
}

START_TEST(maintenance_on_off_and_status)
{
    fake_rp *f = fake_rp_start(3, 10);
    char url[128];
    util_err err = {{0}};
    rp_admin *a;
    rp_broker b;
    rp_broker_list l;
    rp_health h;

    ck_assert_ptr_nonnull(f);
    snprintf(url, sizeof url, "%s/", fake_rp_url(f)); /* a trailing '/' is dropped */
    a = client(url, NULL, NULL, 0);
    ck_assert_str_eq(rp_admin_url(a), fake_rp_url(f));
    fake_rp_set_drain(f, 2, false);

    ck_assert_int_eq(rp_admin_broker(a, 1, &b, &err), 0);
    ck_assert(b.has_maintenance && !b.maintenance.draining);
    ck_assert_msg(rp_admin_maintenance_on(a, 1, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(fake_rp_maintenance(f), 1);
    ck_assert_int_eq(rp_admin_broker(a, 1, &b, &err), 0);
    ck_assert(b.maintenance.draining && !b.maintenance.finished);
    ck_assert_int_eq(b.maintenance.partitions, 10);
    ck_assert_int_eq(rp_admin_broker(a, 1, &b, &err), 0);
    ck_assert(b.maintenance.draining && b.maintenance.finished && !b.maintenance.errors);

    /* The single slot: a second broker is refused while 1 holds it. */
    ck_assert_int_eq(rp_admin_maintenance_on(a, 2, &err), RP_ERR_BUSY);
    ck_assert_msg(strstr(err.msg, "HTTP 400: Broker 1 is already in maintenance mode") != NULL,
                  "%s", err.msg);
    /* Again for the same broker is fine. */
    ck_assert_int_eq(rp_admin_maintenance_on(a, 1, &err), 0);

    ck_assert_int_eq(rp_admin_brokers(a, &l, &err), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert(l.items[1].maintenance.draining);
    ck_assert(!l.items[0].maintenance.draining);
    rp_broker_list_clear(&l);

    ck_assert_int_eq(rp_admin_health(a, &h, &err), 0);
    ck_assert(h.is_healthy);
    ck_assert_uint_eq(h.n_all_nodes, 3);
    rp_health_clear(&h);

    ck_assert_int_eq(rp_admin_maintenance_off(a, 1, &err), 0);
    ck_assert_int_eq(fake_rp_maintenance(f), -1);
    ck_assert_int_eq(rp_admin_maintenance_on(a, 2, &err), 0);
    ck_assert_int_eq(fake_rp_count(f, "PUT", "/v1/brokers/1/maintenance"), 2);
    ck_assert_int_eq(fake_rp_count(f, "DELETE", "/v1/brokers/1/maintenance"), 1);
    rp_admin_free(a);
    fake_rp_stop(f);
}
END_TEST

START_TEST(unknown_broker_is_not_found)
{
    fake_rp *f = fake_rp_start(3, 10);
    rp_admin *a = client(fake_rp_url(f), NULL, NULL, 0);
    util_err err = {{0}};
    rp_broker b;

    ck_assert_int_eq(rp_admin_maintenance_on(a, 7, &err), RP_ERR_NOT_FOUND);
    ck_assert_msg(strstr(err.msg, "PUT ") != NULL && strstr(err.msg, "/v1/brokers/7/maintenance") &&
                      strstr(err.msg, "HTTP 404: Broker 7 not found"),
                  "%s", err.msg);
    ck_assert_int_eq(rp_admin_broker(a, 7, &b, &err), RP_ERR_NOT_FOUND);
    ck_assert_int_eq(rp_admin_maintenance_off(a, 7, &err), RP_ERR_NOT_FOUND);
    ck_assert_int_eq(rp_admin_broker(a, -1, &b, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "negative"));
    rp_admin_free(a);
    fake_rp_stop(f);
}
END_TEST

START_TEST(basic_auth_is_sent)
{
    fake_rp *f = fake_rp_start(3, 10);
    rp_admin *anon = client(fake_rp_url(f), NULL, NULL, 0);
    rp_admin *bad_pw = client(fake_rp_url(f), "admin", "wrong", 0);
    rp_admin *good = client(fake_rp_url(f), "admin", "s3cr:et", 0);
    util_err err = {{0}};
    rp_broker b;

    fake_rp_set_auth(f, "admin", "s3cr:et");
    ck_assert_int_eq(rp_admin_broker(anon, 0, &b, &err), RP_ERR);
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 401"));
    ck_assert_int_eq(rp_admin_broker(bad_pw, 0, &b, &err), RP_ERR);
    ck_assert_ptr_nonnull(strstr(err.msg, "HTTP 401"));
    ck_assert_msg(rp_admin_broker(good, 0, &b, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(b.node_id, 0);
    rp_admin_free(anon);
    rp_admin_free(bad_pw);
    rp_admin_free(good);
    fake_rp_stop(f);
}
END_TEST

START_TEST(garbage_slow_and_absent_servers_are_clear_errors)
{
    fake_rp *f = fake_rp_start(3, 10);
    rp_admin *a = client(fake_rp_url(f), NULL, NULL, 300);
    rp_admin *nobody;
    util_err err = {{0}};
    rp_broker b;
    rp_health h;

    fake_rp_set_garbage(f, "/v1/brokers/1",
                        "{\"node_id\": 1, \"maintenance_status\": "
                        "{\"draining\": \"yes\"}}");
    ck_assert_int_eq(rp_admin_broker(a, 1, &b, &err), RP_ERR_BAD_ANSWER);
    ck_assert_msg(strstr(err.msg, "/v1/brokers/1: maintenance_status.draining: not a boolean") !=
                      NULL,
                  "%s", err.msg);
    fake_rp_set_garbage(f, "/v1/cluster/health_overview", "\x01\x02 not json");
    ck_assert_int_eq(rp_admin_health(a, &h, &err), RP_ERR_BAD_ANSWER);
    ck_assert_ptr_nonnull(strstr(err.msg, "health_overview: not JSON"));
    fake_rp_set_garbage(f, NULL, NULL);

    /* An answer slower than the request timeout. */
    fake_rp_set_slow(f, 1500);
    ck_assert_int_eq(rp_admin_broker(a, 0, &b, &err), RP_ERR);
    ck_assert_msg(strstr(err.msg, "GET ") != NULL && strstr(err.msg, "timed out") != NULL, "%s",
                  err.msg);
    /* The same with a longer timeout set for the next request. */
    rp_admin_set_timeout(a, 5000);
    ck_assert_msg(rp_admin_broker(a, 0, &b, &err) == 0, "%s", err.msg);
    fake_rp_set_slow(f, 0);

    fake_rp_stop(f);
    nobody = client("http://127.0.0.1:1", NULL, NULL, 0);
    ck_assert_int_eq(rp_admin_maintenance_on(nobody, 0, &err), RP_ERR_UNREACHABLE);
    ck_assert_msg(strstr(err.msg, "PUT http://127.0.0.1:1/v1/brokers/0/maintenance: ") != NULL,
                  "%s", err.msg);
    rp_admin_free(nobody);
    rp_admin_free(a);
}
END_TEST

START_TEST(https_trusts_only_the_given_ca)
{
    char *cert, *key, *other_cert, *other_key, *dir = tmpdir_new(), *ca, *other_ca;
    rp_admin_config cfg = {0};
    util_err err = {{0}};
    rp_admin *a;
    rp_broker b;
    fake_rp *f;

    pki_self_signed("localhost", &cert, &key);
    pki_self_signed("localhost", &other_cert, &other_key);
    tmpdir_writef(dir, "ca.pem", "%s", cert);
    tmpdir_writef(dir, "other.pem", "%s", other_cert);
    ca = tmpdir_path(dir, "ca.pem");
    other_ca = tmpdir_path(dir, "other.pem");
    f = fake_rp_start_tls(3, 10, cert, key);
    ck_assert_ptr_nonnull(f);
    ck_assert(strncmp(fake_rp_url(f), "https://localhost:", 18) == 0);

    cfg.base_url = fake_rp_url(f);
    cfg.ca_file = ca;
    ck_assert_int_eq(rp_admin_new(&cfg, &a, &err), 0);
    ck_assert_msg(rp_admin_broker(a, 2, &b, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(b.node_id, 2);
    ck_assert_msg(rp_admin_maintenance_on(a, 2, &err) == 0, "%s", err.msg);
    rp_admin_free(a);

    /* Another CA, and the system CAs: the certificate is refused. */
    cfg.ca_file = other_ca;
    ck_assert_int_eq(rp_admin_new(&cfg, &a, &err), 0);
    ck_assert_int_eq(rp_admin_broker(a, 2, &b, &err), RP_ERR);
    ck_assert_msg(strstr(err.msg, "certificate") != NULL, "%s", err.msg);
    rp_admin_free(a);
    cfg.ca_file = NULL;
    ck_assert_int_eq(rp_admin_new(&cfg, &a, &err), 0);
    ck_assert_int_eq(rp_admin_broker(a, 2, &b, &err), RP_ERR);
    ck_assert_msg(strstr(err.msg, "certificate") != NULL, "%s", err.msg);
    rp_admin_free(a);

    fake_rp_stop(f);
    free(cert);
    free(key);
    free(other_cert);
    free(other_key);
    free(ca);
    free(other_ca);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(bad_configs_are_refused)
{
    rp_admin_config cfg = {.base_url = "ftp://x"};
    util_err err = {{0}};
    rp_admin *a = NULL;

    ck_assert_int_eq(rp_admin_new(&cfg, &a, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "not http:// or https://"));
    cfg.base_url = "https://x:9644";
    cfg.username = "u";
    ck_assert_int_eq(rp_admin_new(&cfg, &a, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "needs a password"));
    ck_assert_int_eq(rp_admin_new(NULL, &a, &err), 0);
    ck_assert_str_eq(rp_admin_url(a), RP_ADMIN_DEFAULT_URL);
    rp_admin_free(a);
    rp_admin_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("redpanda_admin");
    TCase *dec = tcase_create("decode"), *cli = tcase_create("client");

    tcase_add_test(dec, decodes_a_draining_broker);
    tcase_add_test(dec, absent_drain_counts_read_minus_one);
    tcase_add_test(dec, decodes_the_broker_list);
    tcase_add_test(dec, decodes_the_local_maintenance_status);
    tcase_add_test(dec, decodes_health_overviews);
    tcase_add_loop_test(dec, malformed_answers_name_the_member, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(cli, maintenance_on_off_and_status);
    tcase_add_test(cli, unknown_broker_is_not_found);
    tcase_add_test(cli, basic_auth_is_sent);
    tcase_add_test(cli, garbage_slow_and_absent_servers_are_clear_errors);
    tcase_add_test(cli, https_trusts_only_the_given_ca);
    tcase_add_test(cli, bad_configs_are_refused);
    tcase_set_timeout(cli, 60);
    suite_add_tcase(s, dec);
    suite_add_tcase(s, cli);
    return curl_suite_run(s);
}
