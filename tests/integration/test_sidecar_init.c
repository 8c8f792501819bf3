/* berth-sidecar init, the real program, against the real API server of the
 * test ground: the <cluster>-brokers ConfigMap is created in a throwaway
 * namespace (sid-*), init runs with Downward-API-like environment (POD_NAME,
 * POD_NAMESPACE, POD_UID, NODE_NAME) and the ground's kubeconfig, and the
 * files it writes are read back. Proves: the rendered server.properties
 * advertises the node's address with the broker's node port; the drain
 * client and cluster ID land beside it; init waits (saying why, no files
 * yet) while the ConfigMap is missing and while its node is not in
 * nodes.json, and renders as soon as the ConfigMap gains it; bad data fails
 * at once naming the key; a formatted voter with an empty volume is refused;
 * --wait-timeout gives up with the reason; and Kafka's own storage tool
 * ($BERTH_KAFKA_SH) formats a volume with the rendered file: a fresh
 * volume in its subdirectory kafka-logs, while a volume formatted at its
 * root keeps its root. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kube/verbs.h"
#include "sidecar/files.h"
#include "support/kube_test.h"
#include "support/pki.h"
#include "support/props.h"
#include "support/tmpdir.h"
#include "util/file.h"

static kube_config *cfg;
static kube_client *kc;
static char ns[64];
static char bindir[PATH_MAX];

#define CLUSTER_ID "MkU3OEVBNTcwNTJENDM2Qg"

/* The programs beside this test's build directory. */
static void find_bins(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    /* <build>/tests/integration/test_sidecar_init -> <build> */
    snprintf(bindir, sizeof bindir, "%s", dirname(dirname(dirname(exe))));
}

static char *bin(const char *name)
{
    char *p = tmpdir_path(bindir, name);

    ck_assert_msg(access(p, X_OK) == 0, "%s: %s (make all builds it)", p, strerror(errno));
    return p;
}

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    find_bins();
    cfg = kt_admin_config();
    kc = kt_client(cfg);
    kt_random_name(ns, sizeof ns, "sid");
    kt_create_namespace(kc, ns, "sidecar-init");
}

static void teardown(void)
{
    util_err err = {{0}};

    if (kt_delete_namespace(kc, ns, &err) != 0)
        fprintf(stderr, "cleanup: %s\n", err.msg);
    kube_client_free(kc);
    kube_config_free(cfg);
    curl_global_cleanup();
}

/* ---- the ConfigMap ---- */

static const char *cluster_json(const char *extra)
{
    static char buf[2048];

    snprintf(buf, sizeof buf,
             "{\"name\":\"demo\",\"namespace\":\"%s\",\"flavor\":\"kafka\","
             "\"clusterID\":\"" CLUSTER_ID "\",\"controllers\":3,"
             "\"clusterDomain\":\"cluster.local\",\"controllerPort\":9093,"
             "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\","
             "\"securityProtocol\":\"PLAINTEXT\"},{\"name\":\"external\",\"port\":9094,"
             "\"type\":\"nodeport\",\"securityProtocol\":\"PLAINTEXT\"}],"
             "\"config\":{\"min.insync.replicas\":\"2\"}%s}",
             ns, extra);
    return buf;
}

#define NODES_A "{\"node-a\":{\"rack\":\"zone-a\",\"addresses\":{\"external\":\"203.0.113.10\"}}}"
#define NODES_AB                                                                                   \
    "{\"node-a\":{\"rack\":\"zone-a\",\"addresses\":{\"external\":\"203.0.113.10\"}},"             \
    "\"node-b\":{\"rack\":\"zone-b\",\"addresses\":{\"external\":\"203.0.113.11\"}}}"
#define BROKERS                                                                                    \
    "{\"0\":{\"external\":{\"port\":31090}},\"1\":{\"external\":{\"port\":31091}},"                \
    "\"2\":{\"external\":{\"port\":31092}}}"

static char cm_path[KUBE_PATH_MAX];

static void put_configmap(const char *cluster, const char *nodes, const char *brokers)
{
    cJSON *cm = cJSON_CreateObject(), *meta, *data;
    kube_status st;
    util_err err = {{0}};

    ck_assert_int_eq(
        kube_path(cm_path, sizeof cm_path, "v1", "configmaps", ns, "demo-brokers", NULL), 0);
    cJSON_AddStringToObject(cm, "apiVersion", "v1");
    cJSON_AddStringToObject(cm, "kind", "ConfigMap");
    meta = cJSON_AddObjectToObject(cm, "metadata");
    cJSON_AddStringToObject(meta, "name", "demo-brokers");
    data = cJSON_AddObjectToObject(cm, "data");
    cJSON_AddStringToObject(data, "cluster.json", cluster);
    cJSON_AddStringToObject(data, "nodes.json", nodes);
    cJSON_AddStringToObject(data, "brokers.json", brokers);
    ck_assert_msg(kube_apply(kc, cm_path, cm, "berth-operator", true, NULL, &st, &err) == 0, "%s",
                  err.msg);
    cJSON_Delete(cm);
}

/* ---- running init ---- */

typedef struct proc {
    pid_t pid;
    char *dir; /* its scratch: config/, data/, init.log */
    char *log;
} proc;

/* Starts init for pod on node, with Downward-API-like environment; meta,
 * if not NULL, is put on the data volume first. */
static proc start_init_in(char *dir, const char *pod, const char *node, const char *wait_timeout,
                          const char *meta)
{
    char *sidecar = bin("berth-sidecar"), *drain = bin("berth-drain");
    proc p;

    p.dir = dir;
    if (meta != NULL)
        tmpdir_writef(p.dir, "data/meta.properties", "%s", meta);
    p.log = tmpdir_path(p.dir, "init.log");
    p.pid = fork();
    ck_assert_int_ge(p.pid, 0);
    if (p.pid == 0) {
        char cfgdir[PATH_MAX], datadir[PATH_MAX], tlsdir[PATH_MAX], creds[PATH_MAX];
        int fd = open(p.log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

        dup2(fd, 1);
        dup2(fd, 2);
        snprintf(cfgdir, sizeof cfgdir, "%s/config", p.dir);
        snprintf(tlsdir, sizeof tlsdir, "%s/tls", p.dir);
        snprintf(creds, sizeof creds, "%s/creds", p.dir);
        snprintf(datadir, sizeof datadir, "%s/data", p.dir);
        setenv("POD_NAME", pod, 1);
        setenv("POD_NAMESPACE", ns, 1);
        setenv("POD_UID", "0b7e2c58-4b0c-4c1e-9c3e-5a2f1d0e9a11", 1);
        setenv("NODE_NAME", node, 1);
        {
            const char *argv[] = {sidecar,
                                  "init",
                                  "--kubeconfig",
                                  getenv("BERTH_KUBECONFIG"),
                                  "--config-dir",
                                  cfgdir,
                                  "--data-dir",
                                  datadir,
                                  "--drain-client",
                                  drain,
                                  "--poll-interval",
                                  "100",
                                  "--wait-timeout",
                                  wait_timeout,
                                  "--tls-dir",
                                  tlsdir,
                                  "--credentials-dir",
                                  creds,
                                  NULL};
            /* Credentials only where the test put some. */
            if (access(creds, F_OK) != 0)
                argv[16] = NULL;
            execv(sidecar, (char *const *)argv);
        }
        _exit(127);
    }
    free(sidecar);
    free(drain);
    return p;
}

static char *slurp(const char *dir, const char *name)
{
    char *path = tmpdir_path(dir, name), *buf = NULL;
    util_err err = {{0}};

    if (util_file_read(path, 1 << 20, UTIL_FILE_FOLLOW, &buf, NULL, &err) != 0)
        buf = NULL;
    free(path);
    return buf;
}

static proc start_init(const char *pod, const char *node, const char *wait_timeout,
                       const char *meta)
{
    return start_init_in(tmpdir_new(), pod, node, wait_timeout, meta);
}

/* Waits for the process to exit; returns its exit status. */
static int wait_exit(proc *p)
{
    int status;

    ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Waits until the log holds needle while the process keeps running. */
static void wait_log(proc *p, const char *needle)
{
    double end = kt_now() + 60;

    while (kt_now() < end) {
        char *log = slurp(p->dir, "init.log");
        int found = log != NULL && strstr(log, needle) != NULL, status;

        free(log);
        if (found)
            return;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            log = slurp(p->dir, "init.log");
            ck_abort_msg("init exited (%d) before logging \"%s\":\n%s", status, needle, log);
        }
        usleep(50000);
    }
    ck_abort_msg("init did not log \"%s\" within 60 s", needle);
}

static void end_proc(proc *p)
{
    if (p->pid > 0 && waitpid(p->pid, NULL, WNOHANG) == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    free(p->log);
    tmpdir_remove(p->dir);
}

/* ---- tests ---- */

START_TEST(renders_from_the_configmap)
{
    proc p;
    char *props, *id, *jvm, *drain_copy, want[512], v[1024];
    struct stat st;
    int rc;

    put_configmap(cluster_json(""), NODES_A, BROKERS);
    p = start_init("demo-1", "node-a", "60", NULL);
    rc = wait_exit(&p);
    props = slurp(p.dir, "config/server.properties");
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    ck_assert_ptr_nonnull(props);
    ck_assert_str_eq(props_get(props, "node.id", v, sizeof v), "1");
    ck_assert_str_eq(props_get(props, "process.roles", v, sizeof v), "broker,controller");
    snprintf(want, sizeof want,
             "INTERNAL://demo-1.demo-brokers.%s.svc.cluster.local:9092,"
             "EXTERNAL://203.0.113.10:31091,"
             "CONTROLLER://demo-1.demo-brokers.%s.svc.cluster.local:9093",
             ns, ns);
    ck_assert_str_eq(props_get(props, "advertised.listeners", v, sizeof v), want);
    ck_assert_str_eq(props_get(props, "broker.rack", v, sizeof v), "zone-a");
    ck_assert_str_eq(props_get(props, "min.insync.replicas", v, sizeof v), "2");
    /* A fresh volume: Kafka's log directory is a subdirectory of it. */
    snprintf(want, sizeof want, "%s/data/kafka-logs", p.dir);
    ck_assert_str_eq(props_get(props, "log.dirs", v, sizeof v), want);
    id = slurp(p.dir, "config/cluster.id");
    ck_assert_str_eq(id, CLUSTER_ID "\n");
    /* The broker JVM's DNS cache, as short as the cluster DNS's TTL. */
    jvm = slurp(p.dir, "config/java.security");
    ck_assert_ptr_nonnull(jvm);
    ck_assert_str_eq(props_get(jvm, "networkaddress.cache.ttl", v, sizeof v), "5");
    ck_assert_str_eq(props_get(jvm, "networkaddress.cache.negative.ttl", v, sizeof v), "5");
    drain_copy = tmpdir_path(p.dir, "config/berth-drain");
    ck_assert_int_eq(stat(drain_copy, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0755);
    free(props);
    free(id);
    free(jvm);
    free(drain_copy);
    end_proc(&p);
}
END_TEST

START_TEST(renders_redpanda)
{
    char cluster[2048], *yaml, *boot, want[512];
    proc p;
    int rc;

    snprintf(cluster, sizeof cluster,
             "{\"name\":\"demo\",\"namespace\":\"%s\",\"flavor\":\"redpanda\","
             "\"controllers\":3,\"clusterDomain\":\"cluster.local\",\"controllerPort\":33145,"
             "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\","
             "\"securityProtocol\":\"PLAINTEXT\"},{\"name\":\"external\",\"port\":9094,"
             "\"type\":\"nodeport\",\"securityProtocol\":\"PLAINTEXT\"}],"
             "\"config\":{\"log_retention_ms\":\"604800000\"}}",
             ns);
    put_configmap(cluster, NODES_A, BROKERS);
    p = start_init("demo-2", "node-a", "60", NULL);
    rc = wait_exit(&p);
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    yaml = slurp(p.dir, "config/redpanda.yaml");
    boot = slurp(p.dir, "config/.bootstrap.yaml");
    ck_assert_ptr_nonnull(yaml);
    ck_assert_ptr_nonnull(boot);
    ck_assert_ptr_nonnull(strstr(yaml, "  node_id: 2\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "      address: 203.0.113.10\n      port: 31092\n"));
    snprintf(want, sizeof want, "address: demo-0.demo-brokers.%s.svc.cluster.local\n", ns);
    ck_assert_ptr_nonnull(strstr(yaml, want));
    ck_assert_ptr_nonnull(strstr(boot, "log_retention_ms: \"604800000\"\n"));
    /* No KRaft files for Redpanda. */
    ck_assert_ptr_null(slurp(p.dir, "config/server.properties"));
    ck_assert_ptr_null(slurp(p.dir, "config/cluster.id"));
    free(yaml);
    free(boot);
    end_proc(&p);
}
END_TEST

START_TEST(waits_until_the_node_is_known)
{
    proc p;
    char *props, *none, v[512];
    int rc;

    /* No ConfigMap yet: waits, and says so. */
    p = start_init("demo-2", "node-b", "0", NULL);
    wait_log(&p, "waiting: ConfigMap");
    wait_log(&p, "does not exist yet");
    /* The ConfigMap, but not node-b: still waits, naming the node. */
    put_configmap(cluster_json(""), NODES_A, BROKERS);
    wait_log(&p, "waiting: node \"node-b\" is not in nodes.json yet");
    none = slurp(p.dir, "config/server.properties");
    ck_assert_ptr_null(none);
    ck_assert_int_eq(waitpid(p.pid, NULL, WNOHANG), 0);
    /* The operator learns about node-b: init renders and ends. */
    put_configmap(cluster_json(""), NODES_AB, BROKERS);
    rc = wait_exit(&p);
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    props = slurp(p.dir, "config/server.properties");
    ck_assert_ptr_nonnull(props);
    ck_assert_ptr_nonnull(strstr(props_get(props, "advertised.listeners", v, sizeof v),
                                 "EXTERNAL://203.0.113.11:31092"));
    ck_assert_str_eq(props_get(props, "broker.rack", v, sizeof v), "zone-b");
    free(props);
    end_proc(&p);
}
END_TEST

START_TEST(bad_data_fails_naming_the_key)
{
    proc p;
    char *log;
    int rc;

    put_configmap(cluster_json(""), NODES_A, "{\"1\":{\"external\":{\"port\":\"31091\"}}}");
    p = start_init("demo-1", "node-a", "60", NULL);
    rc = wait_exit(&p);
    log = slurp(p.dir, "init.log");
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(log, "brokers.json: broker \"1\": external.port: must be an integer") !=
                      NULL,
                  "%s", log);
    ck_assert_ptr_nonnull(strstr(log, "demo-brokers"));
    ck_assert_ptr_null(slurp(p.dir, "config/server.properties"));
    free(log);
    end_proc(&p);
}
END_TEST

START_TEST(formatted_voter_with_empty_volume_is_refused)
{
    proc p;
    char *log;
    int rc;

    put_configmap(cluster_json(",\"formattedVoters\":[0,1,2]"), NODES_A, BROKERS);
    p = start_init("demo-0", "node-a", "60", NULL);
    rc = wait_exit(&p);
    log = slurp(p.dir, "init.log");
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(log, "voter 0's volume") != NULL && strstr(log, "KIP-853") != NULL, "%s",
                  log);
    ck_assert_ptr_null(slurp(p.dir, "config/server.properties"));
    free(log);
    end_proc(&p);

    /* Its own formatted volume: fine. */
    p = start_init("demo-0", "node-a", "60", "node.id=0\ncluster.id=" CLUSTER_ID "\nversion=1\n");
    rc = wait_exit(&p);
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    end_proc(&p);

    /* Another node's volume: refused. */
    p = start_init("demo-0", "node-a", "60", "node.id=2\ncluster.id=" CLUSTER_ID "\n");
    rc = wait_exit(&p);
    ck_assert_int_eq(rc, 1);
    end_proc(&p);

    /* A reformat allowed for voter 0: an empty volume is fine again. */
    put_configmap(cluster_json(",\"formattedVoters\":[0,1,2],\"reformatVoters\":[0]"), NODES_A,
                  BROKERS);
    p = start_init("demo-0", "node-a", "60", NULL);
    rc = wait_exit(&p);
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    end_proc(&p);
}
END_TEST

/* Runs the broker container's format step (kafka-storage format
 * --ignore-formatted) with the config init rendered in dir, or with
 * config, a file of dir, instead. */
static void kafka_format(const char *dir, const char *config)
{
    const char *kafka_sh = getenv("BERTH_KAFKA_SH");
    char cmd[4096], *log;
    int rc;

    if (kafka_sh == NULL || kafka_sh[0] == '\0')
        ck_abort_msg("BERTH_KAFKA_SH is not set: run through tests/integration/run.sh");
    snprintf(cmd, sizeof cmd,
             "bash '%s' tool kafka.tools.StorageTool format -c '%s/%s' "
             "-t \"$(cat '%s/config/cluster.id')\" --ignore-formatted >'%s/format.log' 2>&1",
             kafka_sh, dir, config != NULL ? config : "config/server.properties", dir, dir);
    rc = system(cmd);
    log = slurp(dir, "format.log");
    ck_assert_msg(rc == 0, "kafka-storage format failed (%d):\n%s", rc, log);
    free(log);
}

/* Kafka's own storage tool accepts the rendered file (KafkaConfig checks
 * roles, listeners, quorum and security settings) and formats the log
 * directory it names: on a fresh volume (lost+found at its root, as ext4
 * makes it) the subdirectory kafka-logs, the root left alone; init then
 * accepts that volume for a formatted voter. */
START_TEST(kafka_formats_with_the_rendered_config)
{
    char *dir, *meta, *log;
    proc p;
    int rc;

    put_configmap(cluster_json(""), NODES_A, BROKERS);
    dir = tmpdir_new();
    tmpdir_writef(dir, "data/lost+found/.keep", "%s", "");
    p = start_init_in(dir, "demo-0", "node-a", "60", NULL);
    rc = wait_exit(&p);
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    kafka_format(p.dir, NULL);
    ck_assert_ptr_null(slurp(p.dir, "data/meta.properties"));
    meta = slurp(p.dir, "data/kafka-logs/meta.properties");
    ck_assert_ptr_nonnull(meta);
    ck_assert_ptr_nonnull(strstr(meta, "node.id=0"));
    ck_assert_ptr_nonnull(strstr(meta, "cluster.id=" CLUSTER_ID));
    free(meta);

    /* The voter is now formatted: init accepts its volume. */
    put_configmap(cluster_json(",\"formattedVoters\":[0]"), NODES_A, BROKERS);
    dir = p.dir;
    free(p.log);
    p = start_init_in(dir, "demo-0", "node-a", "60", NULL);
    rc = wait_exit(&p);
    log = slurp(p.dir, "init.log");
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, log);
    ck_assert_ptr_nonnull(strstr(log, "formatted for cluster " CLUSTER_ID ", node 0"));
    free(log);
    end_proc(&p);
}
END_TEST

/* A volume Kafka formatted at its root, as berth's brokers did before
 * log.dirs moved into kafka-logs: init keeps log.dirs at the root, finds
 * the voter formatted there, and the format step leaves it as it is (no
 * kafka-logs made), so the broker starts on its data. */
START_TEST(kafka_volume_formatted_at_its_root_keeps_its_root)
{
    char *dir = tmpdir_new(), *props, *log, want[PATH_MAX], v[PATH_MAX + 128];
    struct stat st;
    proc p;
    int rc;

    /* The old layout: the rendered config with log.dirs at the root. */
    put_configmap(cluster_json(""), NODES_A, BROKERS);
    p = start_init_in(dir, "demo-0", "node-a", "60", NULL);
    rc = wait_exit(&p);
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    props = slurp(dir, "config/server.properties");
    ck_assert_ptr_nonnull(props);
    snprintf(want, sizeof want, "%s/data", dir);
    tmpdir_writef(dir, "old.properties", "%s\nlog.dirs=%s\n", props, want);
    free(props);
    free(p.log);
    kafka_format(dir, "old.properties");
    log = slurp(dir, "data/meta.properties");
    ck_assert_msg(log != NULL && strstr(log, "node.id=0") != NULL,
                  "no meta.properties at the root");
    free(log);

    put_configmap(cluster_json(",\"formattedVoters\":[0]"), NODES_A, BROKERS);
    p = start_init_in(dir, "demo-0", "node-a", "60", NULL);
    rc = wait_exit(&p);
    log = slurp(dir, "init.log");
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, log);
    snprintf(v, sizeof v, "data directory %s: formatted for cluster " CLUSTER_ID ", node 0", want);
    ck_assert_msg(strstr(log, v) != NULL, "%s not in:\n%s", v, log);
    free(log);
    props = slurp(dir, "config/server.properties");
    ck_assert_str_eq(props_get(props, "log.dirs", v, sizeof v), want);
    free(props);
    kafka_format(dir, NULL);
    snprintf(want, sizeof want, "%s/data/kafka-logs", dir);
    ck_assert_msg(stat(want, &st) != 0 && errno == ENOENT, "%s was made", want);
    end_proc(&p);
}
END_TEST

/* TLS and SCRAM listeners: init turns the mounted Secret into Kafka's PEM
 * key stores and the inter-broker login into the JAAS entry, and Kafka's
 * storage tool accepts the result (and adds the SCRAM credential). */
START_TEST(kafka_formats_with_tls_and_scram)
{
    const char *kafka_sh = getenv("BERTH_KAFKA_SH");
    char cluster[4096], cmd[4096], *dir = tmpdir_new(), *cert, *key, *props, *log, v[1024];
    proc p;
    int rc;

    if (kafka_sh == NULL || kafka_sh[0] == '\0')
        ck_abort_msg("BERTH_KAFKA_SH is not set: run through tests/integration/run.sh");
    snprintf(cluster, sizeof cluster,
             "{\"name\":\"demo\",\"namespace\":\"%s\",\"flavor\":\"kafka\","
             "\"clusterID\":\"" CLUSTER_ID "\",\"controllers\":1,"
             "\"clusterDomain\":\"cluster.local\",\"controllerPort\":9093,"
             "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\","
             "\"securityProtocol\":\"SASL_SSL\",\"saslMechanism\":\"SCRAM-SHA-512\"},"
             "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\","
             "\"securityProtocol\":\"SSL\"}]}",
             ns);
    put_configmap(cluster, NODES_A, BROKERS);
    pki_self_signed("*.demo-brokers.svc.cluster.local", &cert, &key);
    for (int i = 0; i < 2; i++) {
        const char *l = i == 0 ? "internal" : "external";
        char name[64];

        snprintf(name, sizeof name, "tls/%s/tls.crt", l);
        tmpdir_writef(dir, name, "%s", cert);
        snprintf(name, sizeof name, "tls/%s/tls.key", l);
        tmpdir_writef(dir, name, "%s", key);
    }
    tmpdir_writef(dir, "creds/username", "berth-admin\n");
    tmpdir_writef(dir, "creds/password", "s3cret \"quoted\"\n");
    p = start_init_in(dir, "demo-0", "node-a", "60", NULL);
    rc = wait_exit(&p);
    ck_assert_msg(rc == 0, "init exited %d:\n%s", rc, slurp(p.dir, "init.log"));
    props = slurp(p.dir, "config/server.properties");
    ck_assert_ptr_nonnull(props);
    ck_assert_str_eq(props_get(props, "sasl.mechanism.inter.broker.protocol", v, sizeof v),
                     "SCRAM-SHA-512");
    snprintf(cmd, sizeof cmd, "%s/config/tls/external-keystore.pem", p.dir);
    ck_assert_str_eq(props_get(props, "listener.name.external.ssl.keystore.location", v, sizeof v),
                     cmd);
    free(props);
    props = slurp(p.dir, "config/tls/internal-keystore.pem");
    ck_assert_ptr_nonnull(props);
    ck_assert_ptr_nonnull(strstr(props, "BEGIN PRIVATE KEY"));
    free(props);
    snprintf(cmd, sizeof cmd,
             "bash '%s' tool kafka.tools.StorageTool format -c '%s/config/server.properties' "
             "-t " CLUSTER_ID " --add-scram 'SCRAM-SHA-512=[name=berth-admin,password=x]' "
             ">'%s/format.log' 2>&1",
             kafka_sh, p.dir, p.dir);
    rc = system(cmd);
    log = slurp(p.dir, "format.log");
    ck_assert_msg(rc == 0, "kafka-storage format failed (%d):\n%s", rc, log);
    free(log);
    free(cert);
    free(key);
    end_proc(&p);
}
END_TEST

START_TEST(wait_timeout_gives_up_with_the_reason)
{
    proc p;
    char *log;
    int rc;

    put_configmap(cluster_json(""), NODES_A, "{}");
    p = start_init("demo-1", "node-a", "1", NULL);
    rc = wait_exit(&p);
    log = slurp(p.dir, "init.log");
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(log, "gave up after --wait-timeout 1s: broker 1 has no node port for "
                              "listener \"external\"") != NULL,
                  "%s", log);
    free(log);
    end_proc(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_init_ground");
    TCase *tc = tcase_create("init");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, renders_from_the_configmap);
    tcase_add_test(tc, renders_redpanda);
    tcase_add_test(tc, waits_until_the_node_is_known);
    tcase_add_test(tc, bad_data_fails_naming_the_key);
    tcase_add_test(tc, formatted_voter_with_empty_volume_is_refused);
    tcase_add_test(tc, wait_timeout_gives_up_with_the_reason);
    tcase_add_test(tc, kafka_formats_with_the_rendered_config);
    tcase_add_test(tc, kafka_volume_formatted_at_its_root_keeps_its_root);
    tcase_add_test(tc, kafka_formats_with_tls_and_scram);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
