/* berth-sidecar run: the broker pod's native sidecar. It serves health,
 * readiness and metrics over TCP and the drain and status API on a Unix
 * socket in the volume shared with the broker container (serve/run.h), until
 * SIGTERM, which Kubernetes sends it only after the broker has exited.
 *
 * The hook table below is where the drain engine plugs in: drain
 * (sc_drain_fn), its status, and the readiness it latches; and, for every
 * engine, the check that skips a drain while the cluster is being deleted
 * (serve/teardown_mark.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "broker/pod_contract.h"
#include "cmd.h"
#include "engine/drain.h"
#include "engine/kafka/engine.h"
#include "engine/redpanda/engine.h"
#include "init/configmap.h"
#include "init/flavor.h"
#include "init/render.h"
#include "kube/config.h"
#include "serve/broker_opts.h"
#include "serve/probe.h"
#include "serve/run.h"
#include "serve/teardown_mark.h"
#include "util/log.h"

static const char usage_text[] =
    "usage: " SC_PROG " run [options]\n"
    "\n"
    "Serves GET /healthz, /readyz and /metrics over TCP, and POST /v1/drain and\n"
    "GET /v1/status on a Unix socket (mode 0660) for the drain client, until\n"
    "SIGTERM or SIGINT.\n"
    "\n"
    "  --pod-name NAME         $POD_NAME; \"<cluster>-<ordinal>\", the ordinal is the\n"
    "                          broker id\n"
    "  --broker-id ID          the broker id, if not from the pod name\n"
    "  --http-addr ADDR        address for the TCP server ($POD_IP, else every\n"
    "                          address)\n"
    "  --http-port PORT        port for the TCP server (default 9180; 0: any)\n"
    "  --socket PATH           the drain and status socket (default\n"
    "                          " BROKER_POD_DRAIN_SOCKET ")\n"
    "  --broker HOST:PORT      the broker, on localhost (default localhost:9092)\n" SC_BROKER_USAGE
    "  --probe-interval MS     how often readiness is checked (default 5000)\n"
    "  --probe-timeout MS      connect and call timeout of a check (default 3000)\n"
    "  --lock-wait SECONDS     the most a drain waits for its turn: kafka, the Lease\n"
    "                          <cluster>-drain (then it drains anyway); redpanda, the\n"
    "                          maintenance slot (then it fails). Default: kafka half\n"
    "                          the client's time, redpanda all of it\n"
    "  --drain-timeout SECONDS the most a drain takes once that wait is over\n"
    "                          (default: the rest). Neither goes past the client's\n"
    "                          --timeout\n"
    "  --flavor kafka|redpanda the broker (default kafka)\n"
    "  --admin-url URL         redpanda: the admin API (default " RP_ADMIN_DEFAULT_URL ")\n"
    "  --admin-ca FILE         redpanda: PEM CAs for an https admin API\n"
    "  --admin-user USER       redpanda: basic auth user of the admin API\n"
    "  --admin-password-file FILE  redpanda: that user's password\n"
    "  --kubeconfig PATH       reach the API server with this kubeconfig instead of\n"
    "                          the pod's service account: every drain first reads\n"
    "                          whether the cluster is being deleted (then it does\n"
    "                          not drain); kafka keeps its drain ledger there\n"
    "  --no-throttle           kafka: drain without taking the Lease <cluster>-drain\n"
    "  --handback-batch N      kafka: after a restart, hand leadership back N\n"
    "                          partitions at a time, in 10 steps at most\n"
    "                          (default 50; 0: all at once)\n"
    "  --handback-pause MS     kafka: pause between those steps (default 2000)\n"
    "  --peer-name NAME        kafka: the name other brokers dial this one by (its\n"
    "                          pod DNS name); after a restart, leadership is handed\n"
    "                          back only once NAME has resolved to $POD_IP for\n"
    "                          the longer of --client-dns-cache and the brokers'\n"
    "                          JVM DNS cache (5 s), plus a DNS record's TTL (5 s),\n"
    "                          so no peer or client still dials the pod's old\n"
    "                          address (default: no wait)\n"
    "  --client-dns-cache S    kafka: how long clients may keep a broker's name\n"
    "                          resolved (default 30: the JVM's own cache)\n"
    "  --help                  print this and exit\n"
    "\n"
    "Exit status: 0 stopped by a signal, 1 failure, 2 usage error.\n";

int sc_cmd_run(int argc, char **argv)
{
    enum { O_POD = 256, O_ID, O_ADDR, O_PORT, O_SOCK, O_BROKER, O_PINT, O_PTMO, O_HELP };
    enum { O_LOCKWAIT = 280, O_DRAINTMO };                        /* the drain's budget */
    enum { O_FLAVOR = 300, O_RPURL, O_RPCA, O_RPUSER, O_RPPASS }; /* Redpanda's */
    enum { O_KCFG = 400, O_NOTHROTTLE, O_HBBATCH, O_HBPAUSE, O_PEER, O_CLIENTDNS }; /* Kafka's */
    static const struct option longopts[] = {
        {"pod-name", required_argument, NULL, O_POD},
        {"broker-id", required_argument, NULL, O_ID},
        {"http-addr", required_argument, NULL, O_ADDR},
        {"http-port", required_argument, NULL, O_PORT},
        {"socket", required_argument, NULL, O_SOCK},
        {"broker", required_argument, NULL, O_BROKER},
        {"probe-interval", required_argument, NULL, O_PINT},
        {"probe-timeout", required_argument, NULL, O_PTMO},
        {"help", no_argument, NULL, O_HELP},
        {"lock-wait", required_argument, NULL, O_LOCKWAIT},
        {"drain-timeout", required_argument, NULL, O_DRAINTMO},
        {"flavor", required_argument, NULL, O_FLAVOR},
        {"admin-url", required_argument, NULL, O_RPURL},
        {"admin-ca", required_argument, NULL, O_RPCA},
        {"admin-user", required_argument, NULL, O_RPUSER},
        {"admin-password-file", required_argument, NULL, O_RPPASS},
        {"kubeconfig", required_argument, NULL, O_KCFG},
        {"no-throttle", no_argument, NULL, O_NOTHROTTLE},
        {"handback-batch", required_argument, NULL, O_HBBATCH},
        {"handback-pause", required_argument, NULL, O_HBPAUSE},
        {"peer-name", required_argument, NULL, O_PEER},
        {"client-dns-cache", required_argument, NULL, O_CLIENTDNS},
        SC_BROKER_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    sc_run_config cfg;
    sc_broker_probe probe;
    sc_run *r = NULL;
    util_err err = {{0}};
    long id = -1, port = BROKER_POD_SIDECAR_PORT, pint = SC_RUN_DEFAULT_PROBE_MS, ptmo = 3000;
    long hb_batch = SC_KAFKA_HANDBACK_BATCH, hb_pause = SC_KAFKA_HANDBACK_PAUSE_MS;
    long client_dns_s = SC_KAFKA_CLIENT_DNS_CACHE_S, secs = 0;
    const char *peer_name = NULL, *pod_ip = sc_env("POD_IP", NULL);
    char cluster[256] = "";
    int c, rc;
    const char *flavor = "kafka", *rp_pass_file = NULL;
    sc_flavor fl = SC_FLAVOR_KAFKA;
    sc_rp_engine_config rp_cfg;
    sc_rp_engine *rp = NULL;
    const char *kubeconfig = NULL;
    bool throttle = true;
    kube_config *kc = NULL;
    const char *ns = NULL;
    sc_teardown *td = NULL;
    sc_kafka_engine_config kafka_cfg;
    sc_kafka_engine *kafka = NULL;
    sc_broker_opts bopts = {0};
    sc_broker_dial *dial = NULL;
    char how[512];

    memset(&cfg, 0, sizeof cfg);
    memset(&probe, 0, sizeof probe);
    memset(&rp_cfg, 0, sizeof rp_cfg);
    cfg.pod_name = sc_env("POD_NAME", NULL);
    cfg.http_addr = sc_env("POD_IP", NULL);
    cfg.socket_path = BROKER_POD_DRAIN_SOCKET;
    probe.addr = "localhost:9092";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if ((rc = sc_broker_opts_take(&bopts, c, optarg, &err)) <= 0) {
            if (rc < 0)
                return sc_usage_error("run", "%s", err.msg);
            continue;
        }
        switch (c) {
        case O_POD:
            cfg.pod_name = optarg;
            break;
        case O_ID:
            rc = sc_parse_long("--broker-id", optarg, 0, SC_MAX_BROKER_ID, &id, &err);
            break;
        case O_ADDR:
            cfg.http_addr = optarg;
            break;
        case O_PORT:
            rc = sc_parse_long("--http-port", optarg, 0, 65535, &port, &err);
            break;
        case O_SOCK:
            cfg.socket_path = optarg;
            break;
        case O_BROKER:
            probe.addr = optarg;
            break;
        case O_PINT:
            rc = sc_parse_long("--probe-interval", optarg, 50, 3600000, &pint, &err);
            break;
        case O_PTMO:
            rc = sc_parse_long("--probe-timeout", optarg, 10, 600000, &ptmo, &err);
            break;
        case O_HELP:
            fputs(usage_text, stdout);
            return SC_EXIT_OK;
        case O_LOCKWAIT:
            rc = sc_parse_long("--lock-wait", optarg, 0, 86400, &secs, &err);
            cfg.drain_budget.lock_wait_set = true;
            cfg.drain_budget.lock_wait_ms = secs * 1000LL;
            break;
        case O_DRAINTMO:
            rc = sc_parse_long("--drain-timeout", optarg, 1, 86400, &secs, &err);
            cfg.drain_budget.drain_timeout_set = true;
            cfg.drain_budget.drain_timeout_ms = secs * 1000LL;
            break;
        case O_FLAVOR:
            flavor = optarg;
            break;
        case O_RPURL:
            rp_cfg.admin.base_url = optarg;
            break;
        case O_RPCA:
            rp_cfg.admin.ca_file = optarg;
            break;
        case O_RPUSER:
            rp_cfg.admin.username = optarg;
            break;
        case O_RPPASS:
            rp_pass_file = optarg;
            break;
        case O_KCFG:
            kubeconfig = optarg;
            break;
        case O_NOTHROTTLE:
            throttle = false;
            break;
        case O_HBBATCH:
            rc = sc_parse_long("--handback-batch", optarg, 0, 1000000, &hb_batch, &err);
            break;
        case O_HBPAUSE:
            rc = sc_parse_long("--handback-pause", optarg, 0, 600000, &hb_pause, &err);
            break;
        case O_PEER:
            peer_name = optarg;
            break;
        case O_CLIENTDNS:
            rc = sc_parse_long("--client-dns-cache", optarg, 0, 600, &client_dns_s, &err);
            break;
        default:
            return sc_usage_error("run", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
        if (err.msg[0] != '\0')
            return sc_usage_error("run", "%s", err.msg);
    }
    if (optind < argc)
        return sc_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (sc_flavor_parse(flavor, &fl) != 0)
        return sc_usage_error("run", "--flavor: '%s' is neither kafka nor redpanda", flavor);
    if (fl == SC_FLAVOR_REDPANDA && sc_broker_opts_given(&bopts) != NULL)
        return sc_usage_error("run", "%s is for --flavor kafka (redpanda: --admin-*)",
                              sc_broker_opts_given(&bopts));
    if (sc_broker_opts_check(&bopts, &err) != 0)
        return sc_usage_error("run", "%s", err.msg);
    if (peer_name != NULL && fl != SC_FLAVOR_KAFKA)
        return sc_usage_error("run", "--peer-name is for --flavor kafka");
    if (peer_name != NULL && pod_ip == NULL)
        return sc_usage_error("run", "--peer-name needs this pod's IP in $POD_IP");
    if (cfg.pod_name != NULL &&
        sc_cluster_from_pod(cfg.pod_name, cluster, sizeof cluster, &err) != 0)
        return sc_usage_error("run", "%s", err.msg);
    if (id < 0) {
        int bid;

        if (cfg.pod_name == NULL)
            return sc_usage_error("run", "the broker id is needed (--pod-name, $POD_NAME or "
                                         "--broker-id)");
        if (sc_broker_id_from_pod(cluster, cfg.pod_name, &bid, &err) != 0)
            return sc_usage_error("run", "%s", err.msg);
        id = bid;
    }
    cfg.broker_id = (int)id;
    cfg.http_port = (int)port;
    cfg.probe_interval_ms = pint;

    /* Every connection to a Kafka broker dials it this one way. */
    if (fl == SC_FLAVOR_KAFKA) {
        if (sc_broker_dial_new(&bopts, "berth-sidecar", &dial, &err) != 0) {
            util_error("run: %s", err.msg);
            return SC_EXIT_FAIL;
        }
        sc_broker_opts_describe(&bopts, how, sizeof how);
        util_info("run: broker %s: %s", probe.addr, how);
        if (bopts.sasl && bopts.mechanism == KAFKA_SASL_PLAIN && bopts.ca_file == NULL)
            util_warn("run: SASL PLAIN without --broker-ca sends the password unencrypted");
        probe.dial = sc_broker_dial_opts(dial);
    }

    /* The hook table: readiness, drain and its status. */
    probe.timeout_ms = (int)ptmo;
    cfg.ready = sc_probe_broker_ready;
    cfg.ready_user = &probe;
    cfg.drain = sc_drain_not_implemented;
    cfg.drain_user = NULL;
    cfg.drain_status = NULL;

    /* Redpanda: its own drain, restore and readiness over the admin API. */
    if (fl == SC_FLAVOR_REDPANDA &&
        sc_rp_engine_for_run(&cfg, &rp_cfg, rp_pass_file, &rp, &err) != 0)
        return sc_usage_error("run", "%s", err.msg);

    /* The API server: every drain first reads the operator's deletion mark
     * there (serve/teardown_mark.h), and the Kafka engine keeps its ledger and
     * Lease there. Without a way to reach it (no kubeconfig and not in a
     * pod) there is no check, and a Kafka drain stays refused rather than
     * running unrecorded. */
    if (kubeconfig != NULL || sc_env("KUBERNETES_SERVICE_HOST", NULL) != NULL) {
        if (fl == SC_FLAVOR_KAFKA && cluster[0] == '\0') {
            sc_broker_dial_free(dial);
            return sc_usage_error(
                "run", "kafka drain needs the cluster name: give --pod-name or $POD_NAME");
        }
        if ((kubeconfig != NULL ? kube_config_load(kubeconfig, NULL, &kc, &err)
                                : kube_config_in_cluster(NULL, &kc, &err)) != 0) {
            /* A Redpanda pod drains on without the check; Kafka cannot
             * without its ledger, and a --kubeconfig given must work. */
            if (fl == SC_FLAVOR_KAFKA || kubeconfig != NULL) {
                util_error("run: %s", err.msg);
                sc_rp_engine_free(rp);
                sc_broker_dial_free(dial);
                return SC_EXIT_FAIL;
            }
            util_warn("run: %s; drains do not check whether the cluster is being deleted", err.msg);
        }
    } else if (fl == SC_FLAVOR_KAFKA) {
        util_warn("run: no Kubernetes API (no --kubeconfig, not in a pod): drain is refused");
    }
    ns = sc_env("POD_NAMESPACE", NULL); /* NULL: the kubeconfig's */
    if (kc != NULL && cluster[0] == '\0')
        util_warn("run: no cluster name (--pod-name or $POD_NAME): drains do not check whether "
                  "the cluster is being deleted");
    else if (kc != NULL && sc_teardown_new(kc, ns, cluster, &td, &err) != 0)
        goto fail;
    cfg.teardown = td != NULL ? sc_teardown_check : NULL;
    cfg.teardown_user = td;

    /* Kafka: reorder + preferred election with the drain ledger. */
    if (fl == SC_FLAVOR_KAFKA && kc != NULL) {
        memset(&kafka_cfg, 0, sizeof kafka_cfg);
        kafka_cfg.broker_addr = probe.addr;
        kafka_cfg.dial = probe.dial;
        kafka_cfg.kube = kc;
        kafka_cfg.cluster = cluster;
        kafka_cfg.ns = ns;
        kafka_cfg.throttle = throttle;
        kafka_cfg.identity = cfg.pod_name;
        kafka_cfg.probe_timeout_ms = (int)ptmo;
        kafka_cfg.handback_batch = (int32_t)hb_batch;
        kafka_cfg.handback_pause_ms = (int)hb_pause;
        kafka_cfg.peer_name = peer_name;
        kafka_cfg.pod_ip = pod_ip;
        kafka_cfg.peer_dns_settle_ms = sc_kafka_peer_dns_settle_ms(client_dns_s);
        if (sc_kafka_engine_for_run(&cfg, &kafka_cfg, &kafka, &err) != 0)
            goto fail;
    }
    kube_config_free(kc); /* the engine and the check keep copies */
    kc = NULL;

    if (sc_run_new(&cfg, &r, &err) != 0)
        goto fail;
    sc_on_stop(sc_run_stop, r);
    rc = sc_run_serve(r, &err);
    sc_on_stop(NULL, NULL);
    if (rc != 0)
        util_error("run: %s", err.msg);
    else
        util_info("run: stopped");
    sc_run_free(r);
    sc_teardown_free(td);
    sc_rp_engine_free(rp);
    sc_kafka_engine_free(kafka);
    sc_broker_dial_free(dial);
    return rc == 0 ? SC_EXIT_OK : SC_EXIT_FAIL;
fail:
    util_error("run: %s", err.msg);
    kube_config_free(kc);
    sc_teardown_free(td);
    sc_rp_engine_free(rp);
    sc_kafka_engine_free(kafka);
    sc_broker_dial_free(dial);
    return SC_EXIT_FAIL;
}
