/* berth-operator: the process. It reads the flags, serves /healthz,
 * /readyz and /metrics on their own addresses, and decides when the
 * controller (controller.h: informers → work queue → workers →
 * op_reconcile) runs.
 *
 * With --leader-elect only the holder of the Lease berth-operator runs the
 * controller; a replica that loses the Lease stops its workers at once.
 * SIGTERM or SIGINT: the queue stops handing out keys, workers finish the
 * reconcile in hand, the Lease is released so a standby takes over without
 * waiting for it to expire, and the process exits 0. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "controller.h"
#include "http/server.h"
#include "kube/events.h"
#include "kube/lease.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/version.h"

/* Events written per second, sustained and in a burst (see where the
 * recorder is made). */
#define OP_EVENTS_QPS    10.0
#define OP_EVENTS_BURST  50
#define OP_MALLOC_ARENAS 2
/* The heap is trimmed every 30 s when at least 1 MiB is held free. */
#define OP_TRIM_INTERVAL_S 30
#define OP_TRIM_MIN_FREE   ((size_t)1 << 20)

static const char usage_text[] =
    "usage: berth-operator [options]\n"
    "\n"
    "Reconciles KafkaCluster resources (berth.io/v1alpha1) into broker StatefulSets,\n"
    "per-broker Services and advertised addresses.\n"
    "\n"
    "  --kubeconfig PATH         kubeconfig to use (default: in-cluster service account,\n"
    "                            else $KUBECONFIG or ~/.kube/config)\n"
    "  --namespace NS            watch only this namespace (default: all)\n"
    "  --leader-elect            run only while holding the Lease berth-operator\n"
    "  --leader-elect-namespace NS  the Lease's namespace (default: the config's)\n"
    "  --metrics-addr ADDR:PORT  serve /metrics here (default :8080; 0 disables; port 0\n"
    "                            picks a free one, logged at start)\n"
    "  --health-addr ADDR:PORT   serve /healthz and /readyz here (default :8081; 0 disables)\n"
    "  --log-format text|json    log line format (default text)\n"
    "  --sidecar-image IMAGE     berth-sidecar image for clusters that name none\n"
    "                            (default $BERTH_SIDECAR_IMAGE, else\n"
    "                            localhost/berth-sidecar:" BERTH_VERSION ")\n"
    "  --cluster-domain DOMAIN   the cluster's DNS domain (default cluster.local)\n"
    "  --resync SECONDS          reconcile every KafkaCluster this often even when\n"
    "                            nothing changed (default 30)\n"
    "  --no-informers            no watches: list KafkaClusters every --resync seconds\n"
    "                            and read everything from the API server\n"
    "  --workers N               reconciles in parallel (default 2)\n"
    "  --admin-bootstrap-annotation  admin calls to a cluster's brokers dial the\n"
    "                            host:port of its annotation berth.io/admin-bootstrap\n"
    "                            (an operator outside the cluster network); without\n"
    "                            it the annotation is ignored\n"
    "  --cert-validity SECONDS   how long the certificates of a cluster's mutual\n"
    "                            TLS live (default 31536000, a year)\n"
    "  --cert-renew-before SECONDS  renew them this long before they expire\n"
    "                            (default 2592000, 30 days, or a third of a shorter\n"
    "                            --cert-validity; less than the validity)\n"
    "  --help                    print this and exit\n";

typedef struct operator_ctx {
    kube_config *cfg;
    op_controller_config ctl; /* the flags' settings for the controller */
    op_controller *controller;
    util_metrics *metrics;
    kube_event_recorder *events;

    pthread_mutex_t mu;
    bool stopping;   /* SIGTERM seen: the controller does not start again */
    bool lost_lease; /* the Lease was lost while running */
    atomic_bool ready;
} operator_ctx;

static int parse_addr(const char *s, char *host, size_t size, int *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long p;

    if (strcmp(s, "0") == 0) {
        *port = -1;
        return 0;
    }
    if (colon == NULL || (size_t)(colon - s) >= size)
        return -1;
    p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535 || end == colon + 1)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (host[0] == '[') { /* [::1]:8080 */
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']')
            return -1;
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    *port = (int)p;
    return 0;
}

static void on_started_leading(void *ctx)
{
    operator_ctx *o = ctx;

    util_info("leader election: leading");
    util_metrics_set(o->metrics, "berth_operator_leader", NULL, 1, NULL);
    pthread_mutex_lock(&o->mu);
    if (!o->stopping)
        op_controller_start(o->controller);
    pthread_mutex_unlock(&o->mu);
}

/* Losing the Lease means another replica may already be reconciling: the
 * work must stop now. Like client-go's controllers, the process then ends
 * (non-zero) and is restarted as a fresh candidate, rather than trying to
 * restart its own threads; the shutdown path is the same as for SIGTERM. */
static void on_stopped_leading(void *ctx)
{
    operator_ctx *o = ctx;
    bool stopping;

    util_metrics_set(o->metrics, "berth_operator_leader", NULL, 0, NULL);
    pthread_mutex_lock(&o->mu);
    stopping = o->stopping;
    if (!stopping)
        o->lost_lease = true;
    pthread_mutex_unlock(&o->mu);
    if (stopping)
        return;
    util_warn("leader election: no longer leading; stopping");
    kill(getpid(), SIGTERM);
}

static int handle_healthz(const http_request *req, http_response *resp, void *user)
{
    (void)req;
    (void)user;
    return http_response_printf(resp, 200, "ok\n");
}

static int handle_readyz(const http_request *req, http_response *resp, void *user)
{
    operator_ctx *o = user;

    (void)req;
    if (!atomic_load(&o->ready))
        return http_response_printf(resp, 503, "not ready\n");
    return http_response_printf(resp, 200, "ok\n");
}

/* The allocator's view of the heap (glibc's mallinfo2): bytes handed
 * out, bytes it holds free (freed but not given back: fragmentation and
 * the threads' arenas), and bytes in mmap'd blocks, for the memory
 * accounting of docs/operations.md. */
static void account_heap(util_metrics *m)
{
    struct mallinfo2 mi = mallinfo2();

    util_metrics_set(m, "berth_operator_heap_bytes", (const char *[]){"part", "in_use", NULL},
                     (double)mi.uordblks + (double)mi.hblkhd, NULL);
    util_metrics_set(m, "berth_operator_heap_bytes", (const char *[]){"part", "free", NULL},
                     (double)mi.fordblks, NULL);
    util_metrics_set(m, "berth_operator_heap_bytes", (const char *[]){"part", "mmap", NULL},
                     (double)mi.hblkhd, NULL);
}

/* Gives the pages malloc holds free back to the system (glibc's
 * malloc_trim, which also releases whole free pages inside its heaps and
 * every thread's arena): what a burst of reconciles freed stays held
 * otherwise, counted in the RSS a memory limit is set against. Skipped
 * while little is held. */
static void trim_heap(void)
{
    if (mallinfo2().fordblks >= OP_TRIM_MIN_FREE)
        malloc_trim(0);
}

static int handle_metrics(const http_request *req, http_response *resp, void *user)
{
    operator_ctx *o = user;
    util_err err = {{0}};

    (void)req;
    op_controller_account(o->controller);
    account_heap(o->metrics);
    if (o->events != NULL) {
        kube_event_stats es;

        kube_event_recorder_stats(o->events, &es);
        util_metrics_set(o->metrics, "berth_operator_events_unwritten", NULL, (double)es.unwritten,
                         NULL);
        util_metrics_set(o->metrics, "berth_operator_event_series", NULL, (double)es.series, NULL);
    }
    if (util_metrics_render(o->metrics, &resp->body, &resp->body_len, &err) != 0)
        return -1;
    resp->content_type = UTIL_METRICS_CONTENT_TYPE;
    return 0;
}

static void *http_main(void *arg)
{
    util_err err = {{0}};

    if (http_server_run(arg, &err) != 0)
        util_error("http: %s", err.msg);
    return NULL;
}

/* Seconds: a no-op reconcile from the informers' caches takes
 * milliseconds; one that applies objects or asks the brokers (scale-down)
 * up to seconds. */
static const double reconcile_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static int define_metrics(util_metrics *m, util_err *err)
{
    if (util_metrics_define(m, "berth_operator_reconcile_total", UTIL_METRIC_COUNTER,
                            "Reconciles run, by result.", err) != 0 ||
        util_metrics_define(m, "berth_operator_reconcile_errors_total", UTIL_METRIC_COUNTER,
                            "Reconciles that failed and were requeued.", err) != 0 ||
        util_metrics_define_histogram(
            m, "berth_operator_reconcile_duration_seconds", "How long one reconcile took.",
            reconcile_buckets, sizeof reconcile_buckets / sizeof *reconcile_buckets, err) != 0 ||
        util_metrics_define(m, "berth_operator_queue_depth", UTIL_METRIC_GAUGE,
                            "Keys waiting in the work queue.", err) != 0 ||
        util_metrics_define(m, "berth_operator_api_requests_total", UTIL_METRIC_COUNTER,
                            "Kubernetes API requests, by verb.", err) != 0 ||
        util_metrics_define(m, "berth_operator_leader", UTIL_METRIC_GAUGE,
                            "1 while this replica holds the leader Lease.", err) != 0 ||
        util_metrics_define(m, "berth_operator_cache_bytes", UTIL_METRIC_GAUGE,
                            "Bytes each informer's cache holds (objects, keys, indexes), by "
                            "resource.",
                            err) != 0 ||
        util_metrics_define(m, "berth_operator_cache_objects", UTIL_METRIC_GAUGE,
                            "Objects in each informer's cache, by resource.", err) != 0 ||
        util_metrics_define(m, "berth_operator_events_unwritten", UTIL_METRIC_GAUGE,
                            "Event series with a write still due (the recorder paces its "
                            "writes).",
                            err) != 0 ||
        util_metrics_define(m, "berth_operator_event_series", UTIL_METRIC_GAUGE,
                            "Event series the recorder remembers for aggregation.", err) != 0 ||
        util_metrics_define(m, "berth_operator_heap_bytes", UTIL_METRIC_GAUGE,
                            "The allocator's heap: in_use (handed out, mmap included), free "
                            "(held but unused), mmap.",
                            err) != 0)
        return -1;
    return 0;
}

static int listen_on(http_server *srv, const char *spec, const char *what, operator_ctx *o,
                     util_err *err)
{
    char host[128];
    int port;
    http_listener *l;

    if (parse_addr(spec, host, sizeof host, &port) != 0)
        return util_err_set(err, "--%s: \"%s\" is not ADDR:PORT", what, spec);
    if (port < 0)
        return 0;
    if (http_server_listen_tcp(srv, host[0] != '\0' ? host : NULL, port, &l, err) != 0)
        return util_err_prefix(err, "--%s %s", what, spec);
    util_info("serving %s on %s:%d", strcmp(what, "metrics-addr") == 0 ? "/metrics" : "/healthz",
              host[0] != '\0' ? host : "*", http_listener_port(l));
    if (strcmp(what, "metrics-addr") == 0)
        return http_listener_route(l, "GET", "/metrics", handle_metrics, o, err);
    if (http_listener_route(l, "GET", "/healthz", handle_healthz, o, err) != 0 ||
        http_listener_route(l, "GET", "/readyz", handle_readyz, o, err) != 0)
        return -1;
    return 0;
}

/* Whether SIGINT was ignored when the process started. */
static bool sigint_ignored(void)
{
    struct sigaction cur;

    return sigaction(SIGINT, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"kubeconfig", required_argument, NULL, 'k'},
        {"namespace", required_argument, NULL, 'n'},
        {"leader-elect", no_argument, NULL, 'l'},
        {"leader-elect-namespace", required_argument, NULL, 'L'},
        {"metrics-addr", required_argument, NULL, 'm'},
        {"health-addr", required_argument, NULL, 'H'},
        {"log-format", required_argument, NULL, 'f'},
        {"sidecar-image", required_argument, NULL, 's'},
        {"cluster-domain", required_argument, NULL, 'd'},
        {"resync", required_argument, NULL, 'r'},
        {"workers", required_argument, NULL, 'w'},
        {"no-informers", no_argument, NULL, 'I'},
        {"admin-bootstrap-annotation", no_argument, NULL, 'A'},
        {"cert-validity", required_argument, NULL, 'V'},
        {"cert-renew-before", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *kubeconfig = NULL, *metrics_addr = ":8080", *health_addr = ":8081";
    const char *lease_ns = NULL;
    bool leader_elect = false, renew_given = false;
    util_log_format fmt = UTIL_LOG_TEXT;
    http_server_config http_cfg = {.idle_timeout_s = HTTP_PROBE_IDLE_TIMEOUT_S,
                                   .max_conns = HTTP_PROBE_MAX_CONNS};
    operator_ctx o;
    http_server *srv = NULL;
    pthread_t http_thread;
    bool http_started = false;
    kube_lease *lease = NULL;
    util_err err = {{0}};
    sigset_t sigs;
    int opt, sig, rc = 1;
    char *end;

    /* Few malloc arenas: glibc gives each thread that allocates its own,
     * up to eight per core, and what each holds free is held for good;
     * the operator's threads mostly wait on the network, so they gain
     * little from arenas of their own (docs/operations.md, "Sizing the
     * operator"). MALLOC_ARENA_MAX in the environment still decides. */
    if (getenv("MALLOC_ARENA_MAX") == NULL)
        mallopt(M_ARENA_MAX, OP_MALLOC_ARENAS);
    memset(&o, 0, sizeof o);
    o.ctl.workers = 2;
    o.ctl.resync_s = 30;
    o.ctl.use_informers = true;
    o.ctl.opts.sidecar_image = getenv("BERTH_SIDECAR_IMAGE");
    if (o.ctl.opts.sidecar_image == NULL || o.ctl.opts.sidecar_image[0] == '\0')
        o.ctl.opts.sidecar_image = "localhost/berth-sidecar:" BERTH_VERSION;
    o.ctl.opts.cluster_domain = "cluster.local";
    o.ctl.opts.certs = op_cert_policy_default;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'k':
            kubeconfig = optarg;
            break;
        case 'n':
            o.ctl.namespace = optarg[0] != '\0' ? optarg : NULL;
            break;
        case 'l':
            leader_elect = true;
            break;
        case 'L':
            lease_ns = optarg;
            break;
        case 'm':
            metrics_addr = optarg;
            break;
        case 'H':
            health_addr = optarg;
            break;
        case 'f':
            if (util_log_parse_format(optarg, &fmt) != 0) {
                fprintf(stderr, "berth-operator: --log-format: \"%s\" is not text or json\n",
                        optarg);
                return 2;
            }
            break;
        case 's':
            o.ctl.opts.sidecar_image = optarg;
            break;
        case 'd':
            o.ctl.opts.cluster_domain = optarg;
            break;
        case 'r':
            o.ctl.resync_s = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || o.ctl.resync_s < 1 || o.ctl.resync_s > 86400) {
                fprintf(stderr, "berth-operator: --resync: whole seconds from 1 to 86400\n");
                return 2;
            }
            break;
        case 'w':
            o.ctl.workers = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || o.ctl.workers < 1 || o.ctl.workers > OP_CONTROLLER_MAX_WORKERS) {
                fprintf(stderr, "berth-operator: --workers: from 1 to %d\n",
                        OP_CONTROLLER_MAX_WORKERS);
                return 2;
            }
            break;
        case 'I':
            o.ctl.use_informers = false;
            break;
        case 'A':
            o.ctl.opts.admin_bootstrap_annotation = true;
            break;
        case 'V':
        case 'R': {
            long long v = strtoll(optarg, &end, 10);

            if (*end != '\0' || v < 60 || v > 100LL * 365 * 86400) {
                fprintf(stderr, "berth-operator: --%s: whole seconds from 60 to 100 years\n",
                        opt == 'V' ? "cert-validity" : "cert-renew-before");
                return 2;
            }
            if (opt == 'V') {
                o.ctl.opts.certs.validity_s = v;
            } else {
                o.ctl.opts.certs.renew_before_s = v;
                renew_given = true;
            }
            break;
        }
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 2;
        }
    }
    /* A validity given alone keeps a third of it for renewal when the
     * default 30 days would not fit. */
    if (!renew_given && o.ctl.opts.certs.renew_before_s >= o.ctl.opts.certs.validity_s)
        o.ctl.opts.certs.renew_before_s = o.ctl.opts.certs.validity_s / 3;
    if (o.ctl.opts.certs.renew_before_s >= o.ctl.opts.certs.validity_s) {
        fprintf(stderr, "berth-operator: --cert-renew-before must be less than --cert-validity\n");
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "berth-operator: unexpected argument \"%s\"\n%s", argv[optind], usage_text);
        return 2;
    }
    util_log_setup(fmt, UTIL_LOG_INFO);

    /* Signals are taken by sigwait in this thread only. A SIGINT ignored by
     * whoever started us (a script's background job) stays ignored, as Unix
     * programs do: Ctrl-C is then the script's to handle. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    if (!sigint_ignored())
        sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_init(&o.mu, NULL);
    if (kubeconfig != NULL) {
        if (kube_config_load(kubeconfig, NULL, &o.cfg, &err) != 0)
            goto out;
    } else if (getenv("KUBERNETES_SERVICE_HOST") != NULL) {
        if (kube_config_in_cluster(NULL, &o.cfg, &err) != 0)
            goto out;
    } else if (kube_config_load(NULL, NULL, &o.cfg, &err) != 0) {
        goto out;
    }
    if (util_metrics_new(&o.metrics, &err) != 0 || define_metrics(o.metrics, &err) != 0)
        goto out;
    {
        kube_event_recorder_options eo = {0};

        eo.controller = "berth.io/operator";
        /* One operator serves many clusters: a new cluster costs about six
         * Events (Created, one BrokerAddress per broker, Updated), so the
         * library's default of one a second would leave 100 clusters made
         * at once telling their story for ten minutes. */
        eo.qps = OP_EVENTS_QPS;
        eo.burst = OP_EVENTS_BURST;
        if (kube_event_recorder_new(o.cfg, &eo, &o.events, &err) != 0)
            goto out;
    }
    o.ctl.cfg = o.cfg;
    o.ctl.metrics = o.metrics;
    o.ctl.events = o.events;
    o.ctl.ready = &o.ready;
    if (op_controller_new(&o.ctl, &o.controller, &err) != 0)
        goto out;
    if (http_server_new(&http_cfg, &srv, &err) != 0 ||
        listen_on(srv, metrics_addr, "metrics-addr", &o, &err) != 0 ||
        listen_on(srv, health_addr, "health-addr", &o, &err) != 0)
        goto out;
    if (pthread_create(&http_thread, NULL, http_main, srv) != 0) {
        util_err_set(&err, "http: cannot start a thread");
        goto out;
    }
    http_started = true;
    util_info("berth-operator %s: API %s", BERTH_VERSION, o.cfg->server);

    if (leader_elect) {
        kube_lease_options lo = {0};

        lo.namespace = lease_ns != NULL ? lease_ns : o.cfg->namespace;
        lo.name = "berth-operator";
        lo.on_started_leading = on_started_leading;
        lo.on_stopped_leading = on_stopped_leading;
        lo.ctx = &o;
        if (kube_lease_new(o.cfg, &lo, &lease, &err) != 0 || kube_lease_start(lease, &err) != 0)
            goto out;
        util_info("leader election: candidate %s for Lease %s/berth-operator",
                  kube_lease_identity(lease), lo.namespace);
        /* A standby is ready too: it is up and waiting for the Lease. */
        atomic_store(&o.ready, true);
    } else {
        op_controller_start(o.controller);
    }

    /* The main thread waits for a signal, and trims the heap meanwhile. */
    for (;;) {
        struct timespec every = {.tv_sec = OP_TRIM_INTERVAL_S};

        if ((sig = sigtimedwait(&sigs, NULL, &every)) > 0)
            break;
        if (errno == EAGAIN)
            trim_heap();
    }
    pthread_mutex_lock(&o.mu);
    o.stopping = true;
    rc = o.lost_lease ? 1 : 0;
    pthread_mutex_unlock(&o.mu);
    util_info("%s: finishing in-flight reconciles", rc != 0          ? "Lease lost"
                                                    : sig == SIGTERM ? "SIGTERM"
                                                                     : "SIGINT");
    op_controller_stop(o.controller);
    if (lease != NULL) {
        kube_lease_stop(lease); /* releases the Lease if we hold it */
        util_info("leader election: Lease released");
    }
    if (kube_event_recorder_flush(o.events, 3000, &err) != 0)
        util_warn("events: %s", err.msg);
    goto done;
out:
    util_error("berth-operator: %s", err.msg);
done:
    kube_lease_free(lease);
    if (http_started) {
        http_server_stop(srv);
        pthread_join(http_thread, NULL);
    }
    http_server_free(srv);
    op_controller_free(o.controller);
    kube_event_recorder_free(o.events);
    util_metrics_free(o.metrics);
    kube_config_free(o.cfg);
    pthread_mutex_destroy(&o.mu);
    curl_global_cleanup();
    return rc;
}
