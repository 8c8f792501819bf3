/* berth-sidecar run: the broker pod's native sidecar. It serves health,
 * readiness and metrics over TCP and the drain and status API on a Unix
 * socket in the volume shared with the broker container (run.h), until
 * SIGTERM, which Kubernetes sends it only after the broker has exited.
 *
 * The hook table below is where the drain engine plugs in: drain
 * (sc_drain_fn), its status, and the readiness it latches. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "configmap.h"
#include "drain.h"
#include "probe.h"
#include "render.h"
#include "run.h"
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
    "                          " SC_RUN_DEFAULT_SOCKET ")\n"
    "  --broker HOST:PORT      the broker, on localhost (default localhost:9092)\n"
    "  --probe-interval MS     how often readiness is checked (default 5000)\n"
    "  --probe-timeout MS      connect and call timeout of a check (default 3000)\n"
    "  --help                  print this and exit\n"
    "\n"
    "Exit status: 0 stopped by a signal, 1 failure, 2 usage error.\n";

int sc_cmd_run(int argc, char **argv)
{
    enum { O_POD = 256, O_ID, O_ADDR, O_PORT, O_SOCK, O_BROKER, O_PINT, O_PTMO, O_HELP };
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
        {NULL, 0, NULL, 0},
    };
    sc_run_config cfg;
    sc_broker_probe probe;
    sc_run *r = NULL;
    util_err err = {{0}};
    long id = -1, port = 9180, pint = SC_RUN_DEFAULT_PROBE_MS, ptmo = 3000;
    char cluster[256];
    int c, rc;

    memset(&cfg, 0, sizeof cfg);
    memset(&probe, 0, sizeof probe);
    cfg.pod_name = sc_env("POD_NAME", NULL);
    cfg.http_addr = sc_env("POD_IP", NULL);
    cfg.socket_path = SC_RUN_DEFAULT_SOCKET;
    probe.addr = "localhost:9092";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
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
        default:
            return sc_usage_error("run", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
        if (err.msg[0] != '\0')
            return sc_usage_error("run", "%s", err.msg);
    }
    if (optind < argc)
        return sc_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (id < 0) {
        int bid;

        if (cfg.pod_name == NULL)
            return sc_usage_error("run", "the broker id is needed (--pod-name, $POD_NAME or "
                                         "--broker-id)");
        if (sc_cluster_from_pod(cfg.pod_name, cluster, sizeof cluster, &err) != 0 ||
            sc_broker_id_from_pod(cluster, cfg.pod_name, &bid, &err) != 0)
            return sc_usage_error("run", "%s", err.msg);
        id = bid;
    }
    cfg.broker_id = (int)id;
    cfg.http_port = (int)port;
    cfg.probe_interval_ms = pint;

    /* The hook table: readiness, drain and its status. */
    probe.broker_id = cfg.broker_id;
    probe.timeout_ms = (int)ptmo;
    probe.registered = NULL; /* Metadata: not in lib/kafka yet */
    cfg.ready = sc_probe_broker_ready;
    cfg.ready_user = &probe;
    cfg.drain = sc_drain_not_implemented;
    cfg.drain_user = NULL;
    cfg.drain_status = NULL;

    if (sc_run_new(&cfg, &r, &err) != 0) {
        util_error("run: %s", err.msg);
        return SC_EXIT_FAIL;
    }
    sc_on_stop(sc_run_stop, r);
    rc = sc_run_serve(r, &err);
    sc_on_stop(NULL, NULL);
    if (rc != 0)
        util_error("run: %s", err.msg);
    else
        util_info("run: stopped");
    sc_run_free(r);
    return rc == 0 ? SC_EXIT_OK : SC_EXIT_FAIL;
}
