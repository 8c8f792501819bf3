/* berth-sidecar init: the broker pod's init container. It learns who it is
 * from the Downward API (pod name, hence broker id; node name; pod UID for
 * the logs), reads the <cluster>-brokers ConfigMap the operator keeps
 * (docs/addressing.md), renders the broker's configuration into the shared
 * config volume, checks the data volume may be used (init/storage.h), and copies
 * the static drain client there for the broker container's preStop hook.
 * Kafka's log.dirs is a subdirectory of the volume, or its root where Kafka
 * was formatted before (meta.properties there): init looks before it
 * renders (sc_render_input.kafka_root_formatted).
 *
 * While an address it needs is unknown (no ConfigMap yet, the node not
 * described yet, a load balancer without ingress) it waits and says why,
 * without a fatal timeout: the pod start must not fail just because the
 * operator is a little behind. Bad data is different: it fails at once,
 * naming the key, and the kubelet retries the container with back-off. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "broker/pod_contract.h"
#include "cmd.h"
#include "files.h"
#include "init/cluster_tls.h"
#include "init/configmap.h"
#include "init/render.h"
#include "init/storage.h"
#include "init/tls_bundle.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/verbs.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/log.h"

#define DEFAULT_DRAIN_CLIENT "/usr/local/bin/berth-drain"
#define DEFAULT_POLL_MS      5000
/* A waiting reason is repeated this often even when it does not change. */
#define REPEAT_MS 60000

static const char usage_text[] =
    "usage: " SC_PROG " init [options]\n"
    "\n"
    "Renders this broker's configuration (Kafka server.properties or Redpanda\n"
    "redpanda.yaml) from the ConfigMap <cluster>-brokers into the config directory,\n"
    "and copies the drain client there. Waits, saying why, while an address it\n"
    "needs is not known yet.\n"
    "\n"
    "Who this pod is (the Downward API provides the environment variables):\n"
    "  --pod-name NAME        $POD_NAME; \"<cluster>-<ordinal>\", the ordinal is the\n"
    "                         broker id\n"
    "  --pod-uid UID          $POD_UID (for the logs)\n"
    "  --node-name NAME       $NODE_NAME; the node this pod runs on\n"
    "  --namespace NS         $POD_NAMESPACE, else the API configuration's\n"
    "  --cluster NAME         the cluster (default: the pod name without -<ordinal>)\n"
    "\n"
    "Where things are:\n"
    "  --kubeconfig PATH      use this kubeconfig instead of the pod's service account\n"
    "  --config-dir DIR       write the configuration here (default " BROKER_POD_CONFIG_DIR ")\n"
    "  --data-dir DIR         the broker's data volume (default: the flavor's,\n"
    "                         " BROKER_POD_KAFKA_DATA " or " BROKER_POD_REDPANDA_DATA ");\n"
    "                         Kafka's log.dirs is its " BROKER_POD_KAFKA_LOG_SUBDIR
    "/, or the volume\n"
    "                         itself if meta.properties is there (formatted there)\n"
    "  --tls-dir DIR          TLS Secrets, one directory per listener (default\n"
    "                         " BROKER_POD_TLS_DIR ")\n"
    "  --credentials-dir DIR  files username and password: the inter-broker SASL\n"
    "                         login (needed when the internal listener uses SASL)\n"
    "  --drain-client PATH    the static drain client to copy (default\n"
    "                         " DEFAULT_DRAIN_CLIENT ")\n"
    "\n"
    "Timing:\n"
    "  --poll-interval MS     how often to look again while waiting (default 5000)\n"
    "  --wait-timeout SECONDS give up waiting after this long (default 0: never)\n"
    "\n"
    "  --help                 print this and exit\n"
    "\n"
    "Exit status: 0 rendered, 1 failure (bad data, refused volume, I/O), 2 usage.\n";

typedef struct init_opts {
    const char *pod, *pod_uid, *node, *ns, *cluster, *kubeconfig;
    const char *config_dir, *data_dir, *tls_dir, *creds_dir, *drain_client;
    long poll_ms, wait_s;
    char cluster_buf[256];
    char cm_name[256];
} init_opts;

typedef enum attempt_rc { ATTEMPT_DONE, ATTEMPT_WAIT, ATTEMPT_FAIL } attempt_rc;

/* dir/name through sc_file_read_secret; NULL on failure with err set. */
static char *read_secret(const char *dir, const char *name, util_err *err)
{
    char path[1024], *buf = NULL;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return sc_file_read_secret(path, &buf, err) == 0 ? buf : NULL;
}

/* Whether Kafka was formatted at the root of its data volume (volume):
 * meta.properties is there (sc_render_input.kafka_root_formatted). A
 * volume that cannot be looked at counts as not, with a warning: the
 * broker's own log directory is then read, and fails, in write_outputs. */
static bool kafka_root_formatted(const char *volume)
{
    char path[1024];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s", volume, SC_META_PROPERTIES);
    if (lstat(path, &st) == 0)
        return true;
    if (errno != ENOENT && errno != ENOTDIR)
        util_warn("init: %s: %s", path, strerror(errno));
    return false;
}

/* Checks the volume, then writes everything the broker container needs. */
static int write_outputs(const init_opts *o, const sc_render_result *r, util_err *err)
{
    const char *data_dir = r->data_dir;
    char path[1024], *meta_text = NULL;
    sc_meta meta;
    int rc;

    if (r->flavor == SC_FLAVOR_KAFKA) {
        snprintf(path, sizeof path, "%s/%s", data_dir, SC_META_PROPERTIES);
        rc = util_file_read(path, 65536, 0, &meta_text, NULL, err);
        if (rc < 0)
            return -1;
        if (rc == 0 && sc_meta_parse(meta_text, &meta, err) != 0) {
            free(meta_text);
            return util_err_prefix(err, "%s", path);
        }
        free(meta_text);
        if (sc_storage_check(r, rc == 0 ? &meta : NULL, data_dir, err) != 0)
            return -1;
        if (rc == 0)
            util_info("data directory %s: formatted for cluster %s, node %d", data_dir,
                      meta.cluster_id, meta.node_id);
        else
            util_info("data directory %s: empty; the broker container formats it", data_dir);
    }
    if (sc_mkdirs(o->config_dir, err) != 0)
        return -1;
    if (r->flavor == SC_FLAVOR_KAFKA)
        for (int i = 0; i < r->ntls; i++)
            if (sc_tls_bundle_write(o->tls_dir, o->config_dir, r->tls_listeners[i], err) != 0)
                return util_err_prefix(err, "listener \"%s\"", r->tls_listeners[i]);

    if (r->flavor == SC_FLAVOR_KAFKA) {
        char id[80];

        snprintf(id, sizeof id, "%s\n", r->cluster_id);
        snprintf(path, sizeof path, "%s/" BROKER_POD_CLUSTER_ID_FILE, o->config_dir);
        if (sc_file_write(path, id, strlen(id), 0644, err) != 0)
            return -1;
        snprintf(path, sizeof path, "%s/%s", o->config_dir, BROKER_POD_KAFKA_JAVA_SEC_FILE);
        if (sc_file_write(path, r->java_security, strlen(r->java_security), 0644, err) != 0)
            return -1;
        snprintf(path, sizeof path, "%s/" BROKER_POD_KAFKA_CONFIG_FILE, o->config_dir);
    } else {
        snprintf(path, sizeof path, "%s/.bootstrap.yaml", o->config_dir);
        if (sc_file_write(path, r->bootstrap, strlen(r->bootstrap), 0640, err) != 0)
            return -1;
        snprintf(path, sizeof path, "%s/" BROKER_POD_REDPANDA_CONFIG_FILE, o->config_dir);
    }
    /* Group-readable only: it may hold the inter-broker password. */
    if (sc_file_write(path, r->text, strlen(r->text), 0640, err) != 0)
        return -1;
    util_info("rendered %s for broker %d of %s/%s (%s%s)", path, r->broker_id, r->namespace,
              r->cluster, sc_flavor_name(r->flavor), r->voter ? ", KRaft voter" : "");
    {
        const char *adv = strstr(r->text, "advertised.listeners=");
        if (adv != NULL)
            util_info("%.*s", (int)strcspn(adv, "\n"), adv);
    }

    snprintf(path, sizeof path, "%s/" BROKER_POD_DRAIN_CLIENT_FILE, o->config_dir);
    if (sc_file_copy(o->drain_client, path, 0755, err) != 0)
        return util_err_prefix(err, "copying the drain client");
    util_info("copied the drain client %s to %s", o->drain_client, path);
    return 0;
}

/* The broker's certificate for the cluster's mutual TLS (init/cluster_tls.h):
 * 0 written, 1 waiting with why set, -1 failed. */
static int take_cluster_tls(const init_opts *o, kube_client *kc, const sc_render_result *r,
                            char *why, size_t why_size, util_err *err)
{
    char path[KUBE_PATH_MAX];
    kube_status st;
    cJSON *secret = NULL;
    int rc;

    if (kube_path(path, sizeof path, "v1", "secrets", o->ns, r->cluster_tls_secret, NULL) != 0)
        return util_err_set(err, "Secret %s/%s: not a valid name", o->ns, r->cluster_tls_secret);
    memset(&st, 0, sizeof st);
    rc = kube_get(kc, path, &secret, &st, err);
    if (rc != 0) {
        if (rc == KUBE_ERR_STATUS && st.code == 404)
            snprintf(why, why_size, "Secret %s/%s does not exist yet", o->ns,
                     r->cluster_tls_secret);
        else
            snprintf(why, why_size, "cannot read the Secret %s/%s: %.200s", o->ns,
                     r->cluster_tls_secret, err->msg);
        return 1;
    }
    {
        const char *hosts[SC_MAX_LISTENERS + 1];
        size_t n = 0;

        hosts[n++] = r->pod_dns;
        for (int i = 0; i < r->ncert_hosts; i++)
            hosts[n++] = r->cert_hosts[i];
        rc = sc_cluster_tls_take(secret, o->pod, hosts, n, (long long)time(NULL), o->config_dir,
                                 why, why_size, err);
    }
    cJSON_Delete(secret);
    if (rc == 0)
        util_info("took this broker's certificate for %s from the Secret %s/%s", r->pod_dns, o->ns,
                  r->cluster_tls_secret);
    return rc;
}

/* One try: read the ConfigMap, render, and write if everything is known. */
static attempt_rc attempt(const init_opts *o, kube_client *kc, const sc_render_input *base,
                          char *why, size_t why_size, util_err *err)
{
    char path[KUBE_PATH_MAX];
    sc_render_input in = *base;
    sc_render_result r;
    sc_brokers_docs docs;
    kube_status st;
    cJSON *cm = NULL;
    attempt_rc out = ATTEMPT_FAIL;
    int rc;

    if (kube_path(path, sizeof path, "v1", "configmaps", o->ns, o->cm_name, NULL) != 0) {
        util_err_set(err, "ConfigMap %s/%s: not a valid name", o->ns, o->cm_name);
        return ATTEMPT_FAIL;
    }
    memset(&st, 0, sizeof st);
    rc = kube_get(kc, path, &cm, &st, err);
    if (rc == KUBE_ERR_STATUS && st.code == 404) {
        snprintf(why, why_size, "ConfigMap %s/%s does not exist yet", o->ns, o->cm_name);
        return ATTEMPT_WAIT;
    }
    if (rc != 0) {
        /* The API may be briefly away or still granting access: wait. */
        snprintf(why, why_size, "cannot read the ConfigMap: %.400s", err->msg);
        return ATTEMPT_WAIT;
    }
    if (sc_brokers_cm_docs(cm, &docs, err) != 0) {
        util_err_prefix(err, "ConfigMap %s/%s", o->ns, o->cm_name);
        goto done;
    }
    in.cluster_json = docs.cluster_json;
    in.nodes_json = docs.nodes_json;
    in.brokers_json = docs.brokers_json;
    rc = sc_render(&in, &r, err);
    if (rc == SC_RENDER_WAITING) {
        snprintf(why, why_size, "%s", err->msg);
        out = ATTEMPT_WAIT;
    } else if (rc != 0) {
        util_err_prefix(err, "ConfigMap %s/%s", o->ns, o->cm_name);
    } else if (strcmp(r.cluster, o->cluster) != 0 || strcmp(r.namespace, o->ns) != 0) {
        util_err_set(err, "ConfigMap %s/%s: cluster.json describes cluster %s/%s, not %s/%s", o->ns,
                     o->cm_name, r.namespace, r.cluster, o->ns, o->cluster);
    } else if (r.cluster_tls_secret[0] != '\0' &&
               (rc = take_cluster_tls(o, kc, &r, why, why_size, err)) != 0) {
        out = rc > 0 ? ATTEMPT_WAIT : ATTEMPT_FAIL;
    } else if (write_outputs(o, &r, err) == 0) {
        out = ATTEMPT_DONE;
    }
    sc_render_result_clear(&r);
done:
    cJSON_Delete(cm);
    return out;
}

static int parse_args(int argc, char **argv, init_opts *o)
{
    enum {
        O_POD = 256,
        O_UID,
        O_NODE,
        O_NS,
        O_CLUSTER,
        O_KCFG,
        O_CFG,
        O_DATA,
        O_TLS,
        O_CREDS,
        O_DRAIN,
        O_POLL,
        O_WAIT,
        O_HELP
    };
    static const struct option longopts[] = {
        {"pod-name", required_argument, NULL, O_POD},
        {"pod-uid", required_argument, NULL, O_UID},
        {"node-name", required_argument, NULL, O_NODE},
        {"namespace", required_argument, NULL, O_NS},
        {"cluster", required_argument, NULL, O_CLUSTER},
        {"kubeconfig", required_argument, NULL, O_KCFG},
        {"config-dir", required_argument, NULL, O_CFG},
        {"data-dir", required_argument, NULL, O_DATA},
        {"tls-dir", required_argument, NULL, O_TLS},
        {"credentials-dir", required_argument, NULL, O_CREDS},
        {"drain-client", required_argument, NULL, O_DRAIN},
        {"poll-interval", required_argument, NULL, O_POLL},
        {"wait-timeout", required_argument, NULL, O_WAIT},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    util_err err = {{0}};
    int c;

    memset(o, 0, sizeof *o);
    o->pod = sc_env("POD_NAME", NULL);
    o->pod_uid = sc_env("POD_UID", NULL);
    o->node = sc_env("NODE_NAME", NULL);
    o->ns = sc_env("POD_NAMESPACE", NULL);
    o->config_dir = BROKER_POD_CONFIG_DIR;
    o->tls_dir = BROKER_POD_TLS_DIR;
    o->drain_client = DEFAULT_DRAIN_CLIENT;
    o->poll_ms = DEFAULT_POLL_MS;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case O_POD:
            o->pod = optarg;
            break;
        case O_UID:
            o->pod_uid = optarg;
            break;
        case O_NODE:
            o->node = optarg;
            break;
        case O_NS:
            o->ns = optarg;
            break;
        case O_CLUSTER:
            o->cluster = optarg;
            break;
        case O_KCFG:
            o->kubeconfig = optarg;
            break;
        case O_CFG:
            o->config_dir = optarg;
            break;
        case O_DATA:
            o->data_dir = optarg;
            break;
        case O_TLS:
            o->tls_dir = optarg;
            break;
        case O_CREDS:
            o->creds_dir = optarg;
            break;
        case O_DRAIN:
            o->drain_client = optarg;
            break;
        case O_POLL:
            if (sc_parse_long("--poll-interval", optarg, 10, 3600000, &o->poll_ms, &err) != 0)
                return sc_usage_error("init", "%s", err.msg);
            break;
        case O_WAIT:
            if (sc_parse_long("--wait-timeout", optarg, 0, 100000000, &o->wait_s, &err) != 0)
                return sc_usage_error("init", "%s", err.msg);
            break;
        case O_HELP:
            fputs(usage_text, stdout);
            return -1;
        default:
            return sc_usage_error("init", "unknown option or missing value: '%s'",
                                  argv[optind - 1]);
        }
    }
    if (optind < argc)
        return sc_usage_error("init", "unexpected argument '%s'", argv[optind]);
    if (o->pod == NULL)
        return sc_usage_error("init", "the pod name is needed (--pod-name or $POD_NAME)");
    if (o->node == NULL)
        return sc_usage_error("init", "the node name is needed (--node-name or $NODE_NAME)");
    if (o->cluster == NULL) {
        if (sc_cluster_from_pod(o->pod, o->cluster_buf, sizeof o->cluster_buf, &err) != 0)
            return sc_usage_error("init", "%s; give --cluster", err.msg);
        o->cluster = o->cluster_buf;
    }
    if (sc_brokers_cm_name(o->cluster, o->cm_name, sizeof o->cm_name) != 0)
        return sc_usage_error("init", "cluster name \"%.64s\" is too long", o->cluster);
    return 0;
}

int sc_cmd_init(int argc, char **argv)
{
    init_opts o;
    sc_render_input in;
    kube_config *cfg = NULL;
    kube_client *kc = NULL;
    char why[UTIL_ERR_MAX] = "", last_why[UTIL_ERR_MAX] = "";
    char *user = NULL, *pass = NULL;
    long long start = util_mono_ms(), last_log = 0;
    util_err err = {{0}};
    int rc = SC_EXIT_FAIL;

    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? SC_EXIT_OK : rc;
    rc = SC_EXIT_FAIL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if ((o.kubeconfig != NULL ? kube_config_load(o.kubeconfig, NULL, &cfg, &err)
                              : kube_config_in_cluster(NULL, &cfg, &err)) != 0) {
        util_error("init: API configuration: %s", err.msg);
        goto out;
    }
    if (o.ns == NULL)
        o.ns = cfg->namespace;
    if (kube_client_new(cfg, NULL, &kc, &err) != 0) {
        util_error("init: %s", err.msg);
        goto out;
    }
    if (o.creds_dir != NULL && ((user = read_secret(o.creds_dir, "username", &err)) == NULL ||
                                (pass = read_secret(o.creds_dir, "password", &err)) == NULL)) {
        util_error("init: SASL credentials: %s", err.msg);
        goto out;
    }
    memset(&in, 0, sizeof in);
    in.pod_name = o.pod;
    in.node_name = o.node;
    in.data_dir = o.data_dir;
    in.kafka_root_formatted =
        kafka_root_formatted(o.data_dir != NULL ? o.data_dir : BROKER_POD_KAFKA_DATA);
    in.config_dir = o.config_dir;
    in.tls_dir = o.tls_dir;
    in.sasl_username = user;
    in.sasl_password = pass;
    util_info("init: pod %s/%s (uid %s) on node %s, cluster %s, reading ConfigMap %s", o.ns, o.pod,
              o.pod_uid != NULL ? o.pod_uid : "unknown", o.node, o.cluster, o.cm_name);

    for (;;) {
        attempt_rc a;

        util_err_clear(&err);
        a = attempt(&o, kc, &in, why, sizeof why, &err);
        if (a == ATTEMPT_DONE) {
            rc = SC_EXIT_OK;
            break;
        }
        if (a == ATTEMPT_FAIL) {
            util_error("init: %s", err.msg);
            break;
        }
        if (strcmp(why, last_why) != 0 || util_mono_ms() - last_log >= REPEAT_MS) {
            util_warn("init: waiting: %s", why);
            snprintf(last_why, sizeof last_why, "%s", why);
            last_log = util_mono_ms();
        }
        if (o.wait_s > 0 && util_mono_ms() - start >= o.wait_s * 1000) {
            util_error("init: gave up after --wait-timeout %lds: %s", o.wait_s, why);
            break;
        }
        if (sc_sleep_ms(o.poll_ms)) {
            util_error("init: stopped while waiting: %s", why);
            break;
        }
    }
out:
    free(user);
    sc_secret_free(pass);
    kube_client_free(kc);
    kube_config_free(cfg);
    curl_global_cleanup();
    return rc;
}
