/* The operator's pure parts: a KafkaCluster's spec read with defaults and
 * operator-only checks, the address every broker advertises (several
 * addresses of one type, a node lacking the preferred type, node ports
 * advertised instead of container ports), every desired object pinned by a
 * golden JSON file beside this test (tests/unit/test_op_desired/), and, by
 * meaning, the sidecar's engine and drain budget and Redpanda's --smp and
 * --memory from the broker container's resources.
 *
 * Run with BERTH_UPDATE_GOLDEN=1 to rewrite the goldens after an intended
 * change, then review the diff. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/address.h"
#include "operator/cluster.h"
#include "operator/desired.h"
#include "support/slurp.h"

static const op_options opts = {"localhost/berth-sidecar:0.1.0", "cluster.local", false, {0, 0, 0}};
static const char *const cid = "MkU3OEVBNTcwNTJENDM2Qg";

static char *golden_path(const char *name)
{
    static char path[512];
    const char *file = __FILE__, *slash = strrchr(file, '/');
    int dir = slash != NULL ? (int)(slash - file) : 1;

    snprintf(path, sizeof path, "%.*s/test_op_desired/%s", dir, slash != NULL ? file : ".", name);
    return path;
}

static char *slurp(const char *name)
{
    char *buf = slurp_file(golden_path(name), NULL);

    ck_assert_msg(buf != NULL, "cannot open %s", golden_path(name));
    return buf;
}

static cJSON *load(const char *name)
{
    char *s = slurp(name);
    cJSON *j = cJSON_Parse(s);

    ck_assert_msg(j != NULL, "%s: not JSON", name);
    free(s);
    return j;
}

/* Compares obj, printed, with the golden file; takes obj. */
static void golden(cJSON *obj, const char *name)
{
    char *got, *want;

    ck_assert_ptr_nonnull(obj);
    got = cJSON_Print(obj);
    cJSON_Delete(obj);
    if (getenv("BERTH_UPDATE_GOLDEN") != NULL) {
        FILE *f = fopen(golden_path(name), "wb");

        ck_assert_ptr_nonnull(f);
        fputs(got, f);
        fputc('\n', f);
        fclose(f);
    }
    want = slurp(name);
    want[strcspn(want, "\0")] = '\0';
    if (strlen(want) > 0 && want[strlen(want) - 1] == '\n')
        want[strlen(want) - 1] = '\0';
    ck_assert_msg(strcmp(got, want) == 0, "%s differs from the golden file:\n%s", name, got);
    free(got);
    free(want);
}

static cJSON *parse_cr(const char *file, op_cluster *c)
{
    cJSON *cr = load(file);
    util_err err = {{0}};

    ck_assert_msg(op_cluster_parse(cr, c, &err) == 0, "%s: %s", file, err.msg);
    return cr;
}

START_TEST(nodeport_cluster_objects_match_goldens)
{
    op_cluster c;
    cJSON *cr = parse_cr("nodeport.cr.json", &c), *nodes = load("nodes.json");
    util_err err = {{0}};

    golden(op_desired_statefulset(&c, &opts, &err), "nodeport.statefulset.json");
    golden(op_desired_services(&c, &err), "nodeport.services.json");
    golden(op_desired_brokers_cm(&c, &opts, cid, nodes, NULL, &err), "nodeport.brokers.json");
    golden(op_desired_pdb(&c, &err), "nodeport.pdb.json");
    golden(op_desired_rbac(&c, &err), "nodeport.rbac.json");
    golden(op_desired_drain(&c, &err), "nodeport.drain.json");
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
}
END_TEST

START_TEST(loadbalancer_tls_cluster_objects_match_goldens)
{
    op_cluster c;
    cJSON *cr = parse_cr("lb-tls.cr.json", &c), *nodes = load("nodes.json");
    cJSON *svcs = load("lb-services.json");
    util_err err = {{0}};

    golden(op_desired_statefulset(&c, &opts, &err), "lb-tls.statefulset.json");
    golden(op_desired_services(&c, &err), "lb-tls.services.json");
    golden(op_desired_brokers_cm(&c, &opts, cid, nodes, svcs, &err), "lb-tls.brokers.json");
    golden(op_desired_pdb(&c, &err), "lb-tls.pdb.json");
    cJSON_Delete(svcs);
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
}
END_TEST

START_TEST(redpanda_hostport_cluster_objects_match_goldens)
{
    op_cluster c;
    cJSON *cr = parse_cr("redpanda.cr.json", &c), *nodes = load("nodes.json");
    util_err err = {{0}};

    golden(op_desired_statefulset(&c, &opts, &err), "redpanda.statefulset.json");
    golden(op_desired_services(&c, &err), "redpanda.services.json");
    golden(op_desired_brokers_cm(&c, &opts, NULL, nodes, NULL, &err), "redpanda.brokers.json");
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
}
END_TEST

/* Field values the goldens hold, asserted by meaning, so a careless golden
 * update cannot slip a broken pod spec through. */
START_TEST(statefulset_keeps_its_promises)
{
    op_cluster c;
    cJSON *cr = parse_cr("lb-tls.cr.json", &c);
    util_err err = {{0}};
    cJSON *sts = op_desired_statefulset(&c, &opts, &err);
    const cJSON *spec = cJSON_GetObjectItem(sts, "spec");
    const cJSON *pod = cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "template"), "spec");
    const cJSON *inits = cJSON_GetObjectItem(pod, "initContainers");
    const cJSON *broker = cJSON_GetArrayItem(cJSON_GetObjectItem(pod, "containers"), 0);
    const cJSON *res = cJSON_GetObjectItem(broker, "resources"), *e;
    char *env;

    ck_assert_str_eq(cJSON_GetObjectItem(spec, "podManagementPolicy")->valuestring, "Parallel");
    /* 30 s lock wait + 300 s drain + shutdown budget + margin. */
    ck_assert_int_eq(cJSON_GetObjectItem(pod, "terminationGracePeriodSeconds")->valueint,
                     30 + 300 + OP_SHUTDOWN_BUDGET_S + OP_GRACE_MARGIN_S);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(pod, "automountServiceAccountToken")));
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetArrayItem(inits, 1), "restartPolicy")->valuestring, "Always");
    ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetArrayItem(inits, 0), "restartPolicy"));
    ck_assert_ptr_null(cJSON_GetObjectItem(broker, "livenessProbe"));
    ck_assert_str_eq(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(broker, "readinessProbe"), "httpGet"), "path")
            ->valuestring,
        "/readyz");
    /* Memory request raised to the limit; heap half of 16Gi. */
    ck_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(res, "requests"), "memory")->valuestring, "16Gi");
    env = cJSON_PrintUnformatted(cJSON_GetObjectItem(broker, "env"));
    ck_assert_ptr_nonnull(strstr(env, "-Xms8192m -Xmx8192m"));
    free(env);
    /* The token reaches the sidecar containers only. */
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(broker, "volumeMounts"))
    {
        ck_assert_str_ne(cJSON_GetObjectItem(e, "name")->valuestring, "sidecar-token");
    }
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(pod, "tolerations"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(pod, "nodeSelector"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(pod, "topologySpreadConstraints"));
    cJSON_Delete(sts);
    cJSON_Delete(cr);
}
END_TEST

/* Every pod berth makes passes the restricted Pod Security Standard's
 * checks (bar hostPort, which only a hostport listener asks for and which
 * even baseline refuses): non-root as the broker image's numeric uid,
 * RuntimeDefault seccomp, every container without privilege escalation and
 * with all capabilities dropped, only the volume types restricted allows;
 * berth's own containers have requests, a memory limit and a read-only root
 * filesystem, and a broker its spec's resources. */
START_TEST(pods_meet_the_restricted_standard)
{
    static const struct {
        const char *cr;
        int uid;
    } cases[] = {{"nodeport.cr.json", 1000}, {"lb-tls.cr.json", 1000}, {"redpanda.cr.json", 101}};
    static const char *const lists[] = {"initContainers", "containers"};
    static const char *const allowed[] = {
        "emptyDir", "projected", "secret", "persistentVolumeClaim", "configMap", "downwardAPI"};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        op_cluster c;
        cJSON *cr = parse_cr(cases[i].cr, &c);
        util_err err = {{0}};
        cJSON *sts = op_desired_statefulset(&c, &opts, &err);
        const cJSON *pod = cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(sts, "spec"), "template"), "spec");
        const cJSON *psc = cJSON_GetObjectItem(pod, "securityContext"), *k, *v;
        int n = 0;

        ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(psc, "runAsNonRoot")));
        ck_assert_int_eq(cJSON_GetObjectItem(psc, "runAsUser")->valueint, cases[i].uid);
        ck_assert_int_eq(cJSON_GetObjectItem(psc, "runAsGroup")->valueint, cases[i].uid);
        ck_assert_int_eq(cJSON_GetObjectItem(psc, "fsGroup")->valueint, cases[i].uid);
        ck_assert_str_eq(cJSON_GetObjectItem(psc, "fsGroupChangePolicy")->valuestring,
                         "OnRootMismatch");
        ck_assert_str_eq(
            cJSON_GetObjectItem(cJSON_GetObjectItem(psc, "seccompProfile"), "type")->valuestring,
            "RuntimeDefault");
        ck_assert_ptr_null(cJSON_GetObjectItem(pod, "hostNetwork"));
        ck_assert_ptr_null(cJSON_GetObjectItem(pod, "hostPID"));
        for (int l = 0; l < 2; l++)
            cJSON_ArrayForEach(k, cJSON_GetObjectItem(pod, lists[l]))
            {
                const char *name = cJSON_GetObjectItem(k, "name")->valuestring;
                const cJSON *sc = cJSON_GetObjectItem(k, "securityContext");
                const cJSON *caps = cJSON_GetObjectItem(sc, "capabilities");
                const cJSON *res = cJSON_GetObjectItem(k, "resources");
                char *drop = cJSON_PrintUnformatted(cJSON_GetObjectItem(caps, "drop"));
                int berths = strcmp(name, "broker") != 0;

                ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItem(sc, "allowPrivilegeEscalation")),
                              "%s: %s may escalate", cases[i].cr, name);
                ck_assert_str_eq(drop, "[\"ALL\"]");
                free(drop);
                ck_assert_ptr_null(cJSON_GetObjectItem(caps, "add"));
                ck_assert_ptr_null(cJSON_GetObjectItem(sc, "privileged"));
                ck_assert_ptr_null(cJSON_GetObjectItem(sc, "runAsUser"));
                ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItem(sc, "readOnlyRootFilesystem")),
                                 berths);
                ck_assert_msg(cJSON_GetObjectItem(res, "requests") != NULL ||
                                  (!berths && c.resources == NULL),
                              "%s: %s has no requests", cases[i].cr, name);
                if (berths) {
                    ck_assert_ptr_nonnull(
                        cJSON_GetObjectItem(cJSON_GetObjectItem(res, "limits"), "memory"));
                    ck_assert_ptr_null(
                        cJSON_GetObjectItem(cJSON_GetObjectItem(res, "limits"), "cpu"));
                }
                n++;
            }
        ck_assert_int_eq(n, 3);
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(pod, "volumes"))
        {
            size_t a = 0;

            while (a < sizeof allowed / sizeof allowed[0] &&
                   cJSON_GetObjectItem(v, allowed[a]) == NULL)
                a++;
            ck_assert_msg(a < sizeof allowed / sizeof allowed[0], "%s: volume %s", cases[i].cr,
                          cJSON_GetObjectItem(v, "name")->valuestring);
        }
        cJSON_Delete(sts);
        cJSON_Delete(cr);
    }
}
END_TEST

/* spec.imagePullSecrets reach the broker pods as {name} references, in
 * order; a spec without them gives pods without the field. */
START_TEST(pull_secrets_reach_the_pods_only_when_given)
{
    op_cluster c;
    cJSON *cr = parse_cr("lb-tls.cr.json", &c);
    util_err err = {{0}};
    cJSON *sts = op_desired_statefulset(&c, &opts, &err);
    const cJSON *pod = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(sts, "spec"), "template"), "spec");
    char *got = cJSON_PrintUnformatted(cJSON_GetObjectItem(pod, "imagePullSecrets"));

    ck_assert_str_eq(got, "[{\"name\":\"registry-creds\"},{\"name\":\"mirror.pull-2\"}]");
    free(got);
    cJSON_Delete(sts);
    cJSON_Delete(cr);

    cr = parse_cr("nodeport.cr.json", &c);
    sts = op_desired_statefulset(&c, &opts, &err);
    pod = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sts, "spec"), "template"),
                              "spec");
    ck_assert_ptr_null(cJSON_GetObjectItem(pod, "imagePullSecrets"));
    cJSON_Delete(sts);
    /* An empty list is no list. */
    cJSON_AddItemToObject(cJSON_GetObjectItem(cr, "spec"), "imagePullSecrets", cJSON_CreateArray());
    ck_assert_int_eq(op_cluster_parse(cr, &c, &err), 0);
    sts = op_desired_statefulset(&c, &opts, &err);
    pod = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sts, "spec"), "template"),
                              "spec");
    ck_assert_ptr_null(cJSON_GetObjectItem(pod, "imagePullSecrets"));
    cJSON_Delete(sts);
    cJSON_Delete(cr);
}
END_TEST

START_TEST(builders_are_deterministic)
{
    op_cluster c;
    cJSON *cr = parse_cr("nodeport.cr.json", &c), *nodes = load("nodes.json");
    util_err err = {{0}};
    cJSON *a = op_desired_brokers_cm(&c, &opts, cid, nodes, NULL, &err);
    cJSON *b = op_desired_brokers_cm(&c, &opts, cid, nodes, NULL, &err);

    ck_assert(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
    a = op_desired_statefulset(&c, &opts, &err);
    b = op_desired_statefulset(&c, &opts, &err);
    ck_assert(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(nodes);
    cJSON_Delete(cr);
}
END_TEST

static const cJSON *node_named(const cJSON *nodes, const char *name)
{
    const cJSON *n;

    cJSON_ArrayForEach(n, nodes)
    {
        if (strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(n, "metadata"), "name")->valuestring,
                   name) == 0)
            return n;
    }
    return NULL;
}

START_TEST(node_address_by_preference_with_fallback)
{
    cJSON *nodes = load("nodes.json");
    op_addr_type used;

    /* Several ExternalIPs: the first listed wins. */
    ck_assert_str_eq(op_node_address(node_named(nodes, "node-a"), OP_ADDR_EXTERNAL_IP, &used),
                     "203.0.113.10");
    ck_assert_int_eq(used, OP_ADDR_EXTERNAL_IP);
    ck_assert_str_eq(op_node_address(node_named(nodes, "node-a"), OP_ADDR_INTERNAL_IP, &used),
                     "10.0.0.1");
    ck_assert_str_eq(op_node_address(node_named(nodes, "node-a"), OP_ADDR_HOSTNAME, &used),
                     "node-a.local");
    /* No ExternalIP: InternalIP comes next, before Hostname, whatever the
     * listing order. */
    ck_assert_str_eq(op_node_address(node_named(nodes, "node-c"), OP_ADDR_EXTERNAL_IP, &used),
                     "10.0.0.3");
    ck_assert_int_eq(used, OP_ADDR_INTERNAL_IP);
    /* No Hostname: ExternalIP first among the rest. */
    ck_assert_str_eq(op_node_address(node_named(nodes, "node-b"), OP_ADDR_HOSTNAME, &used),
                     "203.0.113.11");
    ck_assert_int_eq(used, OP_ADDR_EXTERNAL_IP);
    ck_assert_ptr_null(op_node_address(node_named(nodes, "node-empty"), OP_ADDR_EXTERNAL_IP, NULL));
    ck_assert_ptr_null(op_node_address(NULL, OP_ADDR_EXTERNAL_IP, NULL));
    cJSON_Delete(nodes);
}
END_TEST

START_TEST(advertised_addresses_per_listener_type)
{
    op_cluster np, lb;
    cJSON *cr1 = parse_cr("nodeport.cr.json", &np), *cr2 = parse_cr("lb-tls.cr.json", &lb);
    cJSON *nodes = load("nodes.json"), *svcs = load("lb-services.json");
    char buf[OP_ADDR_MAX];

    /* A node port listener advertises nodePortBase + id, not 9094. */
    ck_assert_int_eq(op_advertised_address(&np, &np.listeners[1], 2, "cluster.local",
                                           node_named(nodes, "node-a"), NULL, buf, sizeof buf),
                     0);
    ck_assert_str_eq(buf, "203.0.113.10:31092");
    ck_assert_int_eq(op_advertised_address(&np, &np.listeners[0], 1, "cluster.local", NULL, NULL,
                                           buf, sizeof buf),
                     0);
    ck_assert_str_eq(buf, "demo-1.demo-brokers.kafka.svc.cluster.local:9092");
    /* Not scheduled, or on a node without addresses: not known yet. */
    ck_assert_int_eq(op_advertised_address(&np, &np.listeners[1], 0, "cluster.local", NULL, NULL,
                                           buf, sizeof buf),
                     1);
    ck_assert_int_eq(op_advertised_address(&np, &np.listeners[1], 0, "cluster.local",
                                           node_named(nodes, "node-empty"), NULL, buf, sizeof buf),
                     1);
    ck_assert_ptr_nonnull(strstr(buf, "node-empty"));
    /* Load balancers: the ingress IP or hostname, the listener port. */
    ck_assert_int_eq(op_advertised_address(&lb, &lb.listeners[1], 0, "cluster.local", NULL,
                                           cJSON_GetArrayItem(svcs, 0), buf, sizeof buf),
                     0);
    ck_assert_str_eq(buf, "198.51.100.7:9094");
    ck_assert_int_eq(op_advertised_address(&lb, &lb.listeners[1], 1, "cluster.local", NULL,
                                           cJSON_GetArrayItem(svcs, 1), buf, sizeof buf),
                     0);
    ck_assert_str_eq(buf, "lb-1.example.net:9094");
    ck_assert_int_eq(op_advertised_address(&lb, &lb.listeners[1], 2, "cluster.local", NULL,
                                           cJSON_GetArrayItem(svcs, 2), buf, sizeof buf),
                     1);
    /* A host template with a node port: the template's name, the node port. */
    ck_assert_int_eq(op_advertised_address(&lb, &lb.listeners[2], 3, "cluster.local", NULL, NULL,
                                           buf, sizeof buf),
                     0);
    ck_assert_str_eq(buf, "kafka-3.example.com:32003");
    ck_assert_int_eq(op_host_port("2001:db8::1", 9094, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "[2001:db8::1]:9094");
    cJSON_Delete(svcs);
    cJSON_Delete(nodes);
    cJSON_Delete(cr1);
    cJSON_Delete(cr2);
}
END_TEST

/* Applies a JSON merge patch to the nodeport CR and expects parsing to
 * fail with a message containing want. */
static void refused(const char *patch, const char *want)
{
    cJSON *cr = load("nodeport.cr.json"), *p = cJSON_Parse(patch), *merged;
    op_cluster c;
    util_err err = {{0}};

    ck_assert_ptr_nonnull(p);
    merged = cJSON_Duplicate(cr, 1);
    {
        cJSON *spec = cJSON_GetObjectItem(merged, "spec"), *e;

        cJSON_ArrayForEach(e, p)
        {
            cJSON_DeleteItemFromObject(spec, e->string);
            if (!cJSON_IsNull(e))
                cJSON_AddItemToObject(spec, e->string, cJSON_Duplicate(e, 1));
        }
    }
    ck_assert_int_eq(op_cluster_parse(merged, &c, &err), -1);
    ck_assert_msg(strstr(err.msg, want) != NULL, "\"%s\" does not name %s", err.msg, want);
    cJSON_Delete(merged);
    cJSON_Delete(p);
    cJSON_Delete(cr);
}

START_TEST(bad_specs_are_refused_naming_the_field)
{
    refused("{\"image\": null}", "spec.image");
    refused("{\"replicas\": 0}", "spec.replicas");
    refused("{\"replicas\": 2}", "spec.replicas");
    refused("{\"listeners\": [{\"name\":\"a\",\"port\":9092,\"type\":\"internal\"},"
            "{\"name\":\"a\",\"port\":9093,\"type\":\"internal\"}]}",
            "spec.listeners[1].name");
    refused("{\"listeners\": [{\"name\":\"a\",\"port\":9092,\"type\":\"internal\"},"
            "{\"name\":\"b\",\"port\":9092,\"type\":\"loadbalancer\"}]}",
            "spec.listeners[1].port");
    refused("{\"listeners\": [{\"name\":\"a\",\"port\":9092,\"type\":\"bogus\"}]}",
            "spec.listeners[0]");
    refused("{\"listeners\": [{\"name\":\"a\",\"port\":9092,\"type\":\"loadbalancer\"}]}",
            "exactly one listener");
    refused("{\"listeners\": [{\"name\":\"a\",\"port\":9092,\"type\":\"internal\"},"
            "{\"name\":\"b\",\"port\":9094,\"type\":\"nodeport\",\"nodePortBase\":32766}]}",
            "spec.listeners[1].nodePortBase");
    refused("{\"listeners\": [{\"name\":\"a\",\"port\":9092,\"type\":\"internal\"},"
            "{\"name\":\"b\",\"port\":9094,\"type\":\"nodeport\",\"nodePortBase\":31000},"
            "{\"name\":\"c\",\"port\":9095,\"type\":\"nodeport\",\"nodePortBase\":31002}]}",
            "overlap");
    refused("{\"listeners\": [{\"name\":\"controller\",\"port\":9092,\"type\":\"internal\"}]}",
            "spec.listeners[0].name");
    refused("{\"clusterID\": \"short\"}", "spec.clusterID");
    refused("{\"config\": {\"a\": 1}}", "spec.config.a");
    refused("{\"config\": {\"log.dirs\": \"/x\"}}", "spec.config.log.dirs: set by berth itself");
    refused("{\"config\": {\"listener.name.external.ssl.keystore.location\": \"/x\"}}",
            "spec.config.listener.name.external.ssl.keystore.location: set by berth");
    refused("{\"config\": {\"listener.name.replication.ssl.client.auth\": \"none\"}}",
            "set by berth itself");
    refused("{\"listeners\": [{\"name\":\"replication\",\"port\":9092,\"type\":\"internal\"}]}",
            "spec.listeners[0].name");
    refused("{\"storage\": {\"size\": \"lots\"}}", "spec.storage.size");
    refused("{\"jvm\": {\"heapOverride\": \"0x10\"}}", "spec.jvm.heapOverride");
    refused("{\"jvm\": {\"heapOverride\": \"2Ei\"}}", "from 1Mi to 1Ei");
    refused("{\"resources\": {\"limits\": {\"memory\": \"9e30Gi\"}}}",
            "spec.resources.limits.memory: \"9e30Gi\"");
    refused("{\"resources\": {\"limits\": {\"memory\": true}}}",
            "spec.resources.limits.memory: must be a quantity");
    refused("{\"tolerations\": {}}", "spec.tolerations");
    refused("{\"imagePullSecrets\": {\"name\": \"a\"}}", "spec.imagePullSecrets: must be an array");
    refused("{\"imagePullSecrets\": [\"creds\"]}", "spec.imagePullSecrets[0]: must be an object");
    refused("{\"imagePullSecrets\": [{\"name\": \"ok\"}, {}]}", "spec.imagePullSecrets[1].name");
    refused("{\"imagePullSecrets\": [{\"name\": \"\"}]}", "spec.imagePullSecrets[0].name");
    refused("{\"imagePullSecrets\": [{\"name\": \"Creds\"}]}", "spec.imagePullSecrets[0].name");
    refused("{\"imagePullSecrets\": [{\"name\": \"a..b\"}]}", "spec.imagePullSecrets[0].name");
    refused("{\"imagePullSecrets\": [{\"name\": \"-a\"}]}", "spec.imagePullSecrets[0].name");
    refused("{\"imagePullSecrets\": [{\"name\": \"a.\"}]}", "spec.imagePullSecrets[0].name");
    refused("{\"imagePullSecrets\": [{\"name\": 7}]}", "spec.imagePullSecrets[0].name");
    refused("{\"imagePullSecrets\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
            "spec.imagePullSecrets[1].name: \"a\" is listed twice");
    {
        char many[1024] = "{\"imagePullSecrets\": [";

        for (int i = 0; i <= OP_MAX_PULL_SECRETS; i++)
            snprintf(many + strlen(many), sizeof many - strlen(many), "%s{\"name\": \"s%d\"}",
                     i > 0 ? "," : "", i);
        strcat(many, "]}");
        refused(many, "spec.imagePullSecrets: more than 16");
        /* 253 characters is a name; 254 is not. */
        snprintf(many, sizeof many, "{\"imagePullSecrets\": [{\"name\": \"%0254d\"}]}", 0);
        refused(many, "spec.imagePullSecrets[0].name");
    }
    {
        cJSON *cr = load("nodeport.cr.json"), *a = cJSON_CreateArray(), *ref;
        char name[254];
        op_cluster c;
        util_err err = {{0}};

        memset(name, 'a', 253);
        name[253] = '\0';
        ref = cJSON_CreateObject();
        cJSON_AddStringToObject(ref, "name", name);
        cJSON_AddItemToArray(a, ref);
        cJSON_AddItemToObject(cJSON_GetObjectItem(cr, "spec"), "imagePullSecrets", a);
        ck_assert_msg(op_cluster_parse(cr, &c, &err) == 0, "%s", err.msg);
        cJSON_Delete(cr);
    }
}
END_TEST

START_TEST(names_follow_the_api_servers_rules)
{
    /* A namespace is an RFC 1123 label, as the API server has it: it may
     * begin with a digit. The cluster's and a listener's names begin
     * Service and port names, which RFC 1035 keeps to a letter first. */
    static const struct {
        const char *ns, *name;
        bool ok;
        const char *field;
    } cases[] = {
        {"1team", "demo", true, NULL},
        {"42", "demo", true, NULL},
        {"team-1", "demo", true, NULL},
        {"Team", "demo", false, "metadata.namespace"},
        {"-team", "demo", false, "metadata.namespace"},
        {"team-", "demo", false, "metadata.namespace"},
        {"team.a", "demo", false, "metadata.namespace"},
        {"1team", "1demo", false, "metadata.name"},
        {"1team", "demo-", false, "metadata.name"},
    };
    char long_ns[65];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *cr = load("nodeport.cr.json");
        cJSON *m = cJSON_GetObjectItem(cr, "metadata");
        op_cluster c;
        util_err err = {{0}};
        int rc;

        cJSON_ReplaceItemInObject(m, "namespace", cJSON_CreateString(cases[i].ns));
        cJSON_ReplaceItemInObject(m, "name", cJSON_CreateString(cases[i].name));
        rc = op_cluster_parse(cr, &c, &err);
        if (cases[i].ok) {
            ck_assert_msg(rc == 0, "%s/%s: %s", cases[i].ns, cases[i].name, err.msg);
            ck_assert_str_eq(c.namespace, cases[i].ns);
        } else {
            ck_assert_msg(rc != 0, "%s/%s accepted", cases[i].ns, cases[i].name);
            ck_assert_msg(strstr(err.msg, cases[i].field) != NULL, "%s", err.msg);
        }
        cJSON_Delete(cr);
    }
    /* 63 characters is a namespace, 64 is not. */
    for (int n = 63; n <= 64; n++) {
        cJSON *cr = load("nodeport.cr.json");
        op_cluster c;
        util_err err = {{0}};

        memset(long_ns, '7', (size_t)n);
        long_ns[n] = '\0';
        cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cr, "metadata"), "namespace",
                                  cJSON_CreateString(long_ns));
        ck_assert_int_eq(op_cluster_parse(cr, &c, &err) == 0, n == 63);
        cJSON_Delete(cr);
    }
    refused("{\"listeners\": [{\"name\":\"1ext\",\"port\":9092,\"type\":\"internal\"}]}",
            "spec.listeners[0].name");
}
END_TEST

START_TEST(heap_override_must_leave_room)
{
    op_cluster c;
    cJSON *cr = load("lb-tls.cr.json");
    util_err err = {{0}};

    cJSON_AddItemToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(cr, "spec"), "jvm"),
                          "heapOverride", cJSON_CreateString("16Gi"));
    ck_assert_int_eq(op_cluster_parse(cr, &c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "spec.jvm.heapOverride: 16Gi leaves no room"));
    cJSON_Delete(cr);
}
END_TEST

/* The pod's containers by name: "sidecar" among the init containers, or
 * "broker". */
static const cJSON *container(const cJSON *sts, const char *name)
{
    const cJSON *pod = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(sts, "spec"), "template"), "spec");
    const char *lists[] = {"initContainers", "containers"};
    const cJSON *k;

    for (int i = 0; i < 2; i++)
        cJSON_ArrayForEach(k, cJSON_GetObjectItem(pod, lists[i]))
        {
            if (strcmp(cJSON_GetObjectItem(k, "name")->valuestring, name) == 0)
                return k;
        }
    ck_abort_msg("no container %s", name);
    return NULL;
}

/* The value after flag in a container's command, or NULL. */
static const char *arg_after(const cJSON *k, const char *flag)
{
    const cJSON *a;

    cJSON_ArrayForEach(a, cJSON_GetObjectItem(k, "command"))
    {
        if (strcmp(a->valuestring, flag) == 0)
            return a->next != NULL ? a->next->valuestring : NULL;
    }
    return NULL;
}

/* A Redpanda pod's sidecar runs the Redpanda engine on the admin API that
 * init renders (no --broker: it never dials the Kafka port); every
 * sidecar gets the lock wait and drain timeout apart, and the preStop
 * client their sum. Asserted by meaning beside the goldens. */
START_TEST(sidecars_get_their_engine_and_drain_budget)
{
    op_cluster c;
    cJSON *cr = parse_cr("redpanda.cr.json", &c);
    util_err err = {{0}};
    cJSON *sts = op_desired_statefulset(&c, &opts, &err);
    const cJSON *sc = container(sts, "sidecar"), *broker = container(sts, "broker");
    const cJSON *pre = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(broker, "lifecycle"), "preStop"), "exec");
    const cJSON *a;

    ck_assert_str_eq(arg_after(sc, "--flavor"), "redpanda");
    ck_assert_str_eq(arg_after(sc, "--admin-url"), "http://127.0.0.1:9644");
    ck_assert_ptr_null(arg_after(sc, "--broker"));
    ck_assert_ptr_null(arg_after(sc, "--admin-user"));
    ck_assert_str_eq(arg_after(sc, "--lock-wait"), "60");
    ck_assert_str_eq(arg_after(sc, "--drain-timeout"), "120");
    ck_assert_ptr_null(arg_after(sc, "--client-dns-cache")); /* Kafka's alone */
    a = cJSON_GetObjectItem(pre, "command");
    ck_assert_str_eq(cJSON_GetArrayItem(a, cJSON_GetArraySize(a) - 2)->valuestring, "--timeout");
    ck_assert_str_eq(cJSON_GetArrayItem(a, cJSON_GetArraySize(a) - 1)->valuestring, "180");
    cJSON_Delete(sts);
    cJSON_Delete(cr);

    cr = parse_cr("lb-tls.cr.json", &c);
    sts = op_desired_statefulset(&c, &opts, &err);
    sc = container(sts, "sidecar");
    ck_assert_ptr_null(arg_after(sc, "--flavor")); /* kafka, the default */
    ck_assert_str_eq(arg_after(sc, "--broker"), "localhost:9091");
    ck_assert_str_eq(arg_after(sc, "--lock-wait"), "30");
    ck_assert_str_eq(arg_after(sc, "--drain-timeout"), "300");
    ck_assert_str_eq(arg_after(sc, "--client-dns-cache"), "0");
    cJSON_Delete(sts);
    cJSON_Delete(cr);
}
END_TEST

/* Redpanda's --smp and --memory from the broker container's resources:
 * the limit, else the request; whole cores, at least one (and
 * overprovisioned below one); 80 % of the memory in MiB; nothing given,
 * no flag; nothing at all for Kafka. */
START_TEST(redpanda_is_sized_from_its_container)
{
    static const struct {
        const char *resources;
        int smp;
        bool over;
        long mib;
    } cases[] = {
        {"{\"requests\":{\"cpu\":\"1\",\"memory\":\"4Gi\"},\"limits\":{\"memory\":\"4Gi\"}}", 1,
         false, 3276},
        {"{\"requests\":{\"cpu\":\"2\"},\"limits\":{\"cpu\":\"3500m\",\"memory\":\"1Gi\"}}", 3,
         false, 819},
        {"{\"requests\":{\"cpu\":\"500m\",\"memory\":\"2G\"}}", 1, true, 1525},
        {"{\"requests\":{\"cpu\":4}}", 4, false, 0},
        {"{}", 0, false, 0},
    };
    op_cluster c;
    cJSON *cr = load("redpanda.cr.json"), *spec = cJSON_GetObjectItem(cr, "spec");
    util_err err = {{0}};
    op_redpanda_size rp;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON_ReplaceItemInObject(spec, "resources", cJSON_Parse(cases[i].resources));
        ck_assert_msg(op_cluster_parse(cr, &c, &err) == 0, "%s", err.msg);
        rp = op_redpanda_sizing(&c);
        ck_assert_msg(rp.smp == cases[i].smp && rp.overprovisioned == cases[i].over &&
                          rp.memory_mib == cases[i].mib,
                      "%s: smp %d%s, %ld MiB", cases[i].resources, rp.smp,
                      rp.overprovisioned ? " overprovisioned" : "", rp.memory_mib);
    }
    /* In the broker's command, as rpk takes them. */
    {
        cJSON *sts = op_desired_statefulset(&c, &opts, &err);
        const char *script =
            cJSON_GetArrayItem(cJSON_GetObjectItem(container(sts, "broker"), "command"), 2)
                ->valuestring;

        ck_assert_ptr_null(strstr(script, "--smp")); /* the last case gives nothing */
        cJSON_Delete(sts);
        cJSON_ReplaceItemInObject(spec, "resources", cJSON_Parse(cases[2].resources));
        ck_assert_int_eq(op_cluster_parse(cr, &c, &err), 0);
        sts = op_desired_statefulset(&c, &opts, &err);
        script = cJSON_GetArrayItem(cJSON_GetObjectItem(container(sts, "broker"), "command"), 2)
                     ->valuestring;
        ck_assert_ptr_nonnull(
            strstr(script, " --smp 1 --overprovisioned --memory 1525M --reserve-memory 0M"));
        cJSON_Delete(sts);
    }
    cJSON_Delete(cr);
    cr = parse_cr("lb-tls.cr.json", &c);
    rp = op_redpanda_sizing(&c);
    ck_assert(rp.smp == 0 && !rp.overprovisioned && rp.memory_mib == 0);
    cJSON_Delete(cr);
}
END_TEST

START_TEST(cluster_ids_are_kafka_shaped_and_kept)
{
    char a[23], b[23], back[23];
    op_cluster c;
    cJSON *cr = parse_cr("nodeport.cr.json", &c), *cm;
    util_err err = {{0}};

    ck_assert_int_eq(op_cluster_id_new(a, sizeof a, &err), 0);
    ck_assert_int_eq(op_cluster_id_new(b, sizeof b, &err), 0);
    ck_assert_uint_eq(strlen(a), 22);
    ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                      22);
    ck_assert_int_ne(a[0], '-');
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(op_cluster_id_new(a, 22, &err), -1);
    cm = op_desired_brokers_cm(&c, &opts, b, NULL, NULL, &err);
    ck_assert_int_eq(op_brokers_cm_cluster_id(cm, back, sizeof back), 0);
    ck_assert_str_eq(back, b);
    cJSON_Delete(cm);
    cm = cJSON_Parse("{\"data\":{\"cluster.json\":\"{\\\"clusterID\\\":\\\"x\\\"}\"}}");
    ck_assert_int_eq(op_brokers_cm_cluster_id(cm, back, sizeof back), -1);
    cJSON_Delete(cm);
    cm = cJSON_Parse("{\"data\":{}}");
    ck_assert_int_eq(op_brokers_cm_cluster_id(cm, back, sizeof back), 1);
    cJSON_Delete(cm);
    cJSON_Delete(cr);
}
END_TEST

/* The KRaft voter guards go into cluster.json and read back; empty ones
 * stay out, so a cluster without them renders as before. */
START_TEST(voter_guards_round_trip)
{
    op_cluster c;
    cJSON *cr = parse_cr("nodeport.cr.json", &c), *cm;
    util_err err = {{0}};
    op_voters v = {(1u << 0) | (1u << 2), 1u << 1}, back;

    cm = op_desired_brokers_cm(&c, &opts, cid, NULL, NULL, &err);
    ck_assert_int_eq(op_brokers_cm_voters(cm, &back), 0);
    ck_assert_uint_eq(back.formatted, 0);
    ck_assert_uint_eq(back.reformat, 0);
    ck_assert_ptr_null(
        strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(cm, "data"), "cluster.json")->valuestring,
               "Voters"));
    ck_assert_int_eq(op_brokers_cm_voters_put(cm, &v, &err), 0);
    ck_assert_ptr_nonnull(
        strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(cm, "data"), "cluster.json")->valuestring,
               "\"formattedVoters\":[0,2],\"reformatVoters\":[1]"));
    ck_assert_int_eq(op_brokers_cm_voters(cm, &back), 0);
    ck_assert_uint_eq(back.formatted, v.formatted);
    ck_assert_uint_eq(back.reformat, v.reformat);
    /* The cluster ID is untouched by the rewrite. */
    {
        char id[23];
        ck_assert_int_eq(op_brokers_cm_cluster_id(cm, id, sizeof id), 0);
        ck_assert_str_eq(id, cid);
    }
    cJSON_Delete(cm);
    cJSON_Delete(cr);
}
END_TEST

START_TEST(quantities_parse)
{
    double v;

    ck_assert_int_eq(op_quantity_parse("16Gi", &v), 0);
    ck_assert(v == 16.0 * 1024 * 1024 * 1024);
    ck_assert_int_eq(op_quantity_parse("500m", &v), 0);
    ck_assert(v == 0.5);
    ck_assert_int_eq(op_quantity_parse("1e3", &v), 0);
    ck_assert(v == 1000);
    ck_assert_int_eq(op_quantity_parse("2", &v), 0);
    ck_assert_int_eq(op_quantity_parse("1G", &v), 0);
    ck_assert(v == 1e9);
    ck_assert_int_eq(op_quantity_parse("", &v), -1);
    ck_assert_int_eq(op_quantity_parse("Gi", &v), -1);
    ck_assert_int_eq(op_quantity_parse("1 Gi", &v), -1);
    ck_assert_int_eq(op_quantity_parse("1Gb", &v), -1);
    ck_assert_int_eq(op_quantity_parse("inf", &v), -1);
    ck_assert_int_eq(op_quantity_parse("0x1p3", &v), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_desired");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, nodeport_cluster_objects_match_goldens);
    tcase_add_test(tc, names_follow_the_api_servers_rules);
    tcase_add_test(tc, loadbalancer_tls_cluster_objects_match_goldens);
    tcase_add_test(tc, redpanda_hostport_cluster_objects_match_goldens);
    tcase_add_test(tc, statefulset_keeps_its_promises);
    tcase_add_test(tc, pods_meet_the_restricted_standard);
    tcase_add_test(tc, sidecars_get_their_engine_and_drain_budget);
    tcase_add_test(tc, redpanda_is_sized_from_its_container);
    tcase_add_test(tc, pull_secrets_reach_the_pods_only_when_given);
    tcase_add_test(tc, builders_are_deterministic);
    tcase_add_test(tc, node_address_by_preference_with_fallback);
    tcase_add_test(tc, advertised_addresses_per_listener_type);
    tcase_add_test(tc, bad_specs_are_refused_naming_the_field);
    tcase_add_test(tc, heap_override_must_leave_room);
    tcase_add_test(tc, cluster_ids_are_kafka_shaped_and_kept);
    tcase_add_test(tc, quantities_parse);
    tcase_add_test(tc, voter_guards_round_trip);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
