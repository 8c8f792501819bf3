/* The pieces of berth-sidecar init that need no API server: reading the
 * <cluster>-brokers ConfigMap object (a missing or wrong key is named), the
 * cluster name from the pod name, meta.properties, the volume check (a
 * formatted voter never comes back empty unless a reformat was allowed; a
 * volume of another cluster or node is refused), Kafka PEM key stores built
 * from a TLS Secret's files (PKCS#8 key + chain; CA from ca.crt or the
 * chain), and atomic file writes with the mode asked for. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidecar/files.h"
#include "sidecar/init/configmap.h"
#include "sidecar/init/storage.h"
#include "sidecar/init/tls_bundle.h"
#include "support/pki.h"
#include "support/tmpdir.h"
#include "util/file.h"

START_TEST(configmap_docs)
{
    sc_brokers_docs d;
    util_err err = {{0}};
    cJSON *cm;

    cm = cJSON_Parse("{\"data\":{\"cluster.json\":\"{}\",\"nodes.json\":\"{}\","
                     "\"brokers.json\":\"{\\\"0\\\":{}}\"}}");
    ck_assert_int_eq(sc_brokers_cm_docs(cm, &d, &err), 0);
    ck_assert_str_eq(d.brokers_json, "{\"0\":{}}");
    cJSON_Delete(cm);

    cm = cJSON_Parse("{\"data\":{\"cluster.json\":\"{}\",\"brokers.json\":\"{}\"}}");
    ck_assert_int_eq(sc_brokers_cm_docs(cm, &d, &err), -1);
    ck_assert_str_eq(err.msg, "data.\"nodes.json\": missing");
    cJSON_Delete(cm);

    cm = cJSON_Parse(
        "{\"data\":{\"cluster.json\":7,\"nodes.json\":\"{}\",\"brokers.json\":\"{}\"}}");
    ck_assert_int_eq(sc_brokers_cm_docs(cm, &d, &err), -1);
    ck_assert_str_eq(err.msg, "data.\"cluster.json\": not a string");
    cJSON_Delete(cm);

    cm = cJSON_Parse("{\"metadata\":{}}");
    ck_assert_int_eq(sc_brokers_cm_docs(cm, &d, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "data: missing"));
    cJSON_Delete(cm);
    cm = cJSON_Parse("{\"data\":[]}");
    ck_assert_int_eq(sc_brokers_cm_docs(cm, &d, &err), -1);
    ck_assert_str_eq(err.msg, "data: not an object");
    cJSON_Delete(cm);
}
END_TEST

START_TEST(cluster_from_pod)
{
    char buf[64];
    util_err err = {{0}};

    ck_assert_int_eq(sc_cluster_from_pod("my-kafka-12", buf, sizeof buf, &err), 0);
    ck_assert_str_eq(buf, "my-kafka");
    ck_assert_int_eq(sc_cluster_from_pod("kafka", buf, sizeof buf, &err), -1);
    ck_assert_int_eq(sc_cluster_from_pod("kafka-x", buf, sizeof buf, &err), -1);
    ck_assert_int_eq(sc_cluster_from_pod("-1", buf, sizeof buf, &err), -1);
    ck_assert_int_eq(sc_cluster_from_pod("kafka-", buf, sizeof buf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "\"kafka-\""));
    ck_assert_int_eq(sc_brokers_cm_name("demo", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "demo-brokers");
}
END_TEST

START_TEST(meta_properties)
{
    sc_meta m;
    util_err err = {{0}};

    ck_assert_int_eq(sc_meta_parse("#\n#Thu Nov 05 2026\nnode.id=2\ndirectory.id=abc\n"
                                   "version=1\ncluster.id = MkU3OEVBNTcwNTJENDM2Qg \r\n",
                                   &m, &err),
                     0);
    ck_assert_str_eq(m.cluster_id, "MkU3OEVBNTcwNTJENDM2Qg");
    ck_assert_int_eq(m.node_id, 2);
    ck_assert_int_eq(sc_meta_parse("", &m, &err), 0);
    ck_assert_int_eq(m.node_id, -1);
    ck_assert_str_eq(m.cluster_id, "");
    ck_assert_int_eq(sc_meta_parse("version=1\nnonsense\n", &m, &err), -1);
    ck_assert_str_eq(err.msg, "meta.properties: line 2: no '='");
    ck_assert_int_eq(sc_meta_parse("node.id=x1\n", &m, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "node.id: not a number"));
    ck_assert_int_eq(sc_meta_parse("node.id=99999999999\n", &m, &err), -1);
}
END_TEST

static sc_render_result result(int id, bool voter, bool formatted, bool reformat)
{
    sc_render_result r;

    memset(&r, 0, sizeof r);
    r.flavor = SC_FLAVOR_KAFKA;
    r.broker_id = id;
    r.voter = voter;
    r.formatted_voter = formatted;
    r.reformat_allowed = reformat;
    strcpy(r.cluster, "demo");
    strcpy(r.namespace, "kafka");
    strcpy(r.cluster_id, "MkU3OEVBNTcwNTJENDM2Qg");
    return r;
}

START_TEST(storage_check)
{
    sc_render_result r = result(1, true, true, false);
    sc_meta meta = {"MkU3OEVBNTcwNTJENDM2Qg", 1};
    util_err err = {{0}};

    /* Its own volume: fine. */
    ck_assert_int_eq(sc_storage_check(&r, &meta, "/data", &err), 0);
    /* A formatted voter with an empty volume: refused, with the way out. */
    ck_assert_int_eq(sc_storage_check(&r, NULL, "/data", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "voter 1's volume /data is empty"));
    ck_assert_ptr_nonnull(strstr(err.msg, "KIP-853"));
    ck_assert_ptr_nonnull(strstr(err.msg, "berth.io/reformat-voter=1"));
    /* ... unless a reformat was allowed, or it never was formatted. */
    r = result(1, true, true, true);
    ck_assert_int_eq(sc_storage_check(&r, NULL, "/data", &err), 0);
    r = result(1, true, false, false);
    ck_assert_int_eq(sc_storage_check(&r, NULL, "/data", &err), 0);
    /* A broker-only node starts empty any time. */
    r = result(5, false, false, false);
    ck_assert_int_eq(sc_storage_check(&r, NULL, "/data", &err), 0);
    /* Another cluster's or another node's volume: refused. */
    strcpy(meta.cluster_id, "AAAAAAAAAAAAAAAAAAAAAA");
    ck_assert_int_eq(sc_storage_check(&r, &meta, "/data", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "belongs to another cluster"));
    strcpy(meta.cluster_id, "MkU3OEVBNTcwNTJENDM2Qg");
    meta.node_id = 4;
    ck_assert_int_eq(sc_storage_check(&r, &meta, "/data", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "belongs to node 4, but this is broker 5"));
    /* Redpanda has no KRaft volume to check. */
    r = result(1, true, true, false);
    r.flavor = SC_FLAVOR_REDPANDA;
    ck_assert_int_eq(sc_storage_check(&r, NULL, "/data", &err), 0);
}
END_TEST

static char *read_text(const char *path)
{
    char *buf = NULL;
    util_err err = {{0}};

    ck_assert_msg(util_file_read(path, 1 << 20, UTIL_FILE_FOLLOW, &buf, NULL, &err) == 0, "%s",
                  err.msg);
    return buf;
}

START_TEST(tls_bundle)
{
    char *dir = tmpdir_new(), *cert, *key, *ca_cert, *ca_key, *p, *text;
    char cfg[512];
    util_err err = {{0}};
    struct stat st;

    pki_self_signed("demo-0.demo-brokers", &cert, &key);
    snprintf(cfg, sizeof cfg, "%s/config", dir);
    /* Nothing mounted: the missing file is named. */
    ck_assert_int_eq(sc_tls_bundle_write(dir, cfg, "external", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/external/tls.key: missing"));
    tmpdir_writef(dir, "external/tls.key", "not a key\n");
    tmpdir_writef(dir, "external/tls.crt", "%s", cert);
    ck_assert_int_eq(sc_tls_bundle_write(dir, cfg, "external", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "tls.key: not an unencrypted PEM private key"));

    tmpdir_writef(dir, "external/tls.key", "%s", key);
    ck_assert_msg(sc_tls_bundle_write(dir, cfg, "external", &err) == 0, "%s", err.msg);
    p = tmpdir_path(cfg, "tls/external-keystore.pem");
    text = read_text(p);
    ck_assert_ptr_nonnull(strstr(text, "-----BEGIN PRIVATE KEY-----"));
    ck_assert_ptr_nonnull(strstr(text, "-----BEGIN CERTIFICATE-----"));
    ck_assert(strstr(text, "PRIVATE KEY") < strstr(text, "CERTIFICATE"));
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0640);
    free(text);
    free(p);
    /* No ca.crt: the chain is what inter-broker clients trust. */
    p = tmpdir_path(cfg, "tls/external-ca.pem");
    text = read_text(p);
    ck_assert_str_eq(text, cert);
    free(text);

    /* With ca.crt, that is trusted. */
    pki_self_signed("berth test CA", &ca_cert, &ca_key);
    tmpdir_writef(dir, "external/ca.crt", "%s", ca_cert);
    ck_assert_msg(sc_tls_bundle_write(dir, cfg, "external", &err) == 0, "%s", err.msg);
    text = read_text(p);
    ck_assert_str_eq(text, ca_cert);
    free(text);
    tmpdir_writef(dir, "external/ca.crt", "garbage\n");
    ck_assert_int_eq(sc_tls_bundle_write(dir, cfg, "external", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ca.crt: no PEM certificate"));
    free(p);
    free(cert);
    free(key);
    free(ca_cert);
    free(ca_key);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(files)
{
    char *dir = tmpdir_new(), *a, *b, *sub, *buf = NULL;
    util_err err = {{0}};
    struct stat st;
    size_t len;

    a = tmpdir_path(dir, "a");
    b = tmpdir_path(dir, "x/y/b");
    sub = tmpdir_path(dir, "x/y");
    ck_assert_int_eq(util_file_read(a, 100, UTIL_FILE_FOLLOW, &buf, &len, &err), 1);
    ck_assert_ptr_null(buf);
    ck_assert_int_eq(sc_file_write(a, "hello\0world", 11, 0755, &err), 0);
    ck_assert_int_eq(stat(a, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0755);
    ck_assert_int_eq(util_file_read(a, 5, UTIL_FILE_FOLLOW, &buf, &len, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "too large"));
    ck_assert_int_eq(sc_mkdirs(sub, &err), 0);
    ck_assert_int_eq(sc_mkdirs(sub, &err), 0);
    ck_assert_int_eq(sc_file_copy(a, b, 0600, &err), 0);
    ck_assert_int_eq(util_file_read(b, 100, UTIL_FILE_FOLLOW, &buf, &len, &err), 0);
    ck_assert_uint_eq(len, 11);
    ck_assert_int_eq(memcmp(buf, "hello\0world", 11), 0);
    ck_assert_int_eq(stat(b, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    free(buf);
    ck_assert_int_eq(sc_file_copy("/nonexistent/x", b, 0600, &err), -1);
    ck_assert_str_eq(err.msg, "/nonexistent/x: no such file");
    ck_assert_int_eq(sc_file_write("/nonexistent/dir/f", "x", 1, 0600, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/dir/f"));
    /* In the broker's own volume: a symbolic link is refused, not
     * followed; a FIFO is refused at once, not waited on. */
    {
        char *link = tmpdir_path(dir, "meta.properties"), *fifo = tmpdir_path(dir, "fifo");
        ck_assert_int_eq(symlink(a, link), 0);
        ck_assert_int_eq(util_file_read(link, 100, 0, &buf, &len, &err), -1);
        ck_assert_ptr_null(buf);
        ck_assert_ptr_nonnull(strstr(err.msg, "a symbolic link, refused"));
        ck_assert_int_eq(util_file_read(link, 100, UTIL_FILE_FOLLOW, &buf, &len, &err),
                         0); /* Secrets are links */
        free(buf);
        buf = NULL;
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        ck_assert_int_eq(util_file_read(fifo, 100, 0, &buf, &len, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
        free(link);
        free(fifo);
    }
    free(a);
    free(b);
    free(sub);
    tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_init");
    TCase *tc = tcase_create("init");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, configmap_docs);
    tcase_add_test(tc, cluster_from_pod);
    tcase_add_test(tc, meta_properties);
    tcase_add_test(tc, storage_check);
    tcase_add_test(tc, tls_bundle);
    tcase_add_test(tc, files);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
