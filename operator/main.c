/* berth-operator: the controller process. It wires the pieces of the
 * controller pattern together and owns their lifetimes:
 *
 *   resync (lists KafkaClusters every --resync seconds, until informers
 *   feed the queue) → work queue → workers → op_reconcile(key)
 *
 * With --leader-elect only the holder of the Lease berth-operator runs the
 * queue; a replica that loses the Lease stops its workers at once. SIGTERM
 * or SIGINT: the queue stops handing out keys, workers finish the reconcile
 * in hand, the Lease is released so a standby takes over without waiting
 * for it to expire, and the process exits 0. /healthz, /readyz and
 * /metrics are served on their own addresses. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "http/server.h"
#include "informers.h"
#include "kube/events.h"
#include "kube/lease.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "kube/workqueue.h"
#include "reconcile.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/version.h"

#define MAX_WORKERS 16

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
    "  --admin-bootstrap-annotation  the scale-down check dials the host:port of a\n"
    "                            KafkaCluster's annotation berth.io/admin-bootstrap\n"
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
    const char *namespace; /* NULL: all */
    op_options opts;
    int workers;
    int resync_s;
    util_metrics *metrics;
    kube_event_recorder *events;

    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stopping;   /* SIGTERM seen */
    bool lost_lease; /* the Lease was lost while running */
    bool running;    /* the queue and workers are up */
    kube_workqueue *queue;
    pthread_t worker_threads[MAX_WORKERS];
    pthread_t resync_thread;
    bool use_informers;      /* else: list every --resync seconds, read from the API */
    op_informers *informers; /* while running with informers */
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

static void *worker_main(void *arg)
{
    operator_ctx *o = arg;
    kube_client *client = NULL;
    op_api_lister lister;
    op_reconciler r;
    util_err err = {{0}};
    const char *key;

    if (kube_client_new(o->cfg, NULL, &client, &err) != 0) {
        util_error("worker: %s", err.msg);
        return NULL;
    }
    op_api_lister_init(&lister, client, o->metrics);
    r.client = client;
    r.lister = o->informers != NULL ? op_informers_lister(o->informers) : &lister.base;
    r.opts = o->opts;
    r.metrics = o->metrics;
    r.events = o->events;
    while (kube_workqueue_get(o->queue, &key) == KUBE_WQ_OK) {
        op_reconcile_result res;
        struct timespec t0, t1;
        int rc;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        util_err_clear(&err);
        rc = op_reconcile(&r, key, &res, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        util_metrics_add(o->metrics, "berth_operator_reconcile_duration_seconds_total", NULL,
                         (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, NULL);
        util_metrics_add(o->metrics, "berth_operator_reconcile_total",
                         (const char *[]){"result", rc == 0 ? "ok" : "error", NULL}, 1, NULL);
        if (rc != 0) {
            util_warn("%s", err.msg);
            util_metrics_add(o->metrics, "berth_operator_reconcile_errors_total", NULL, 1, NULL);
            kube_workqueue_add_rate_limited(o->queue, key, NULL);
        } else {
            kube_workqueue_forget(o->queue, key);
            if (res.requeue_after_ms > 0)
                kube_workqueue_add_after(o->queue, key, (uint64_t)res.requeue_after_ms * 1000000ULL,
                                         NULL);
            if (res.writes > 0)
                util_info("reconciled %s: %d writes", key, res.writes);
        }
        util_metrics_set(o->metrics, "berth_operator_queue_depth", NULL,
                         (double)kube_workqueue_len(o->queue), NULL);
        kube_workqueue_done(o->queue, key, NULL);
    }
    kube_client_free(client);
    return NULL;
}

/* Lists every KafkaCluster and queues its key. */
static void resync_once(operator_ctx *o, kube_client *client)
{
    char path[KUBE_PATH_MAX], key[KUBE_KEY_MAX];
    cJSON *list = NULL, *items, *it;
    util_err err = {{0}};

    if (kube_path(path, sizeof path, OP_API_VERSION, OP_RESOURCE, o->namespace, NULL, NULL) != 0)
        return;
    util_metrics_add(o->metrics, "berth_operator_api_requests_total",
                     (const char *[]){"verb", "list", NULL}, 1, NULL);
    if (kube_list(client, path, NULL, &list, NULL, &err) != 0) {
        util_warn("resync: %s", err.msg);
        return;
    }
    atomic_store(&o->ready, true);
    items = cJSON_GetObjectItemCaseSensitive(list, "items");
    cJSON_ArrayForEach(it, items)
    {
        if (kube_obj_key(it, key, sizeof key) == 0)
            kube_workqueue_add(o->queue, key, NULL);
    }
    util_metrics_set(o->metrics, "berth_operator_queue_depth", NULL,
                     (double)kube_workqueue_len(o->queue), NULL);
    cJSON_Delete(list);
}

static void *resync_main(void *arg)
{
    operator_ctx *o = arg;
    kube_client *client = NULL;
    util_err err = {{0}};

    if (kube_client_new(o->cfg, NULL, &client, &err) != 0) {
        util_error("resync: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&o->mu);
    while (o->running) {
        struct timespec until;

        pthread_mutex_unlock(&o->mu);
        resync_once(o, client);
        pthread_mutex_lock(&o->mu);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += o->resync_s;
        while (o->running && pthread_cond_timedwait(&o->cond, &o->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&o->mu);
    kube_client_free(client);
    return NULL;
}

/* Starts the queue, the workers and the resync. Called with o->mu held. */
static void controller_start(operator_ctx *o)
{
    util_err err = {{0}};

    if (o->running || o->stopping)
        return;
    if (kube_workqueue_new(NULL, &o->queue, &err) != 0) {
        util_error("work queue: %s", err.msg);
        return;
    }
    if (o->use_informers) {
        if (op_informers_new(o->cfg, o->namespace, (long)o->resync_s * 1000, o->queue, o->metrics,
                             &o->informers, &err) != 0 ||
            op_informers_start(o->informers, &err) != 0) {
            util_error("informers: %s", err.msg);
            op_informers_free(o->informers);
            o->informers = NULL;
            kube_workqueue_shutdown(o->queue);
            kube_workqueue_free(o->queue);
            o->queue = NULL;
            return;
        }
        atomic_store(&o->ready, true);
    }
    o->running = true;
    for (int i = 0; i < o->workers; i++)
        pthread_create(&o->worker_threads[i], NULL, worker_main, o);
    /* Without informers a periodic list stands in for their events. */
    if (!o->use_informers)
        pthread_create(&o->resync_thread, NULL, resync_main, o);
    util_info("controller started: %d workers, %s every %d s, namespace %s", o->workers,
              o->use_informers ? "informers, resync" : "no informers, list", o->resync_s,
              o->namespace != NULL ? o->namespace : "(all)");
}

/* Stops them: workers finish the key in hand. Called without o->mu. */
static void controller_stop(operator_ctx *o)
{
    pthread_mutex_lock(&o->mu);
    if (!o->running) {
        pthread_mutex_unlock(&o->mu);
        return;
    }
    o->running = false;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->mu);
    kube_workqueue_shutdown(o->queue);
    for (int i = 0; i < o->workers; i++)
        pthread_join(o->worker_threads[i], NULL);
    if (!o->use_informers)
        pthread_join(o->resync_thread, NULL);
    op_informers_free(o->informers); /* their handlers add to the queue */
    o->informers = NULL;
    kube_workqueue_free(o->queue);
    o->queue = NULL;
    util_info("controller stopped");
}

static void on_started_leading(void *ctx)
{
    operator_ctx *o = ctx;

    util_info("leader election: leading");
    util_metrics_set(o->metrics, "berth_operator_leader", NULL, 1, NULL);
    pthread_mutex_lock(&o->mu);
    controller_start(o);
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

static int handle_metrics(const http_request *req, http_response *resp, void *user)
{
    operator_ctx *o = user;
    util_err err = {{0}};

    (void)req;
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

static int define_metrics(util_metrics *m, util_err *err)
{
    if (util_metrics_define(m, "berth_operator_reconcile_total", UTIL_METRIC_COUNTER,
                            "Reconciles run, by result.", err) != 0 ||
        util_metrics_define(m, "berth_operator_reconcile_errors_total", UTIL_METRIC_COUNTER,
                            "Reconciles that failed and were requeued.", err) != 0 ||
        util_metrics_define(m, "berth_operator_reconcile_duration_seconds_total",
                            UTIL_METRIC_COUNTER, "Time spent reconciling.", err) != 0 ||
        util_metrics_define(m, "berth_operator_queue_depth", UTIL_METRIC_GAUGE,
                            "Keys waiting in the work queue.", err) != 0 ||
        util_metrics_define(m, "berth_operator_api_requests_total", UTIL_METRIC_COUNTER,
                            "Kubernetes API requests, by verb.", err) != 0 ||
        util_metrics_define(m, "berth_operator_leader", UTIL_METRIC_GAUGE,
                            "1 while this replica holds the leader Lease.", err) != 0)
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

    memset(&o, 0, sizeof o);
    o.workers = 2;
    o.resync_s = 30;
    o.use_informers = true;
    o.opts.sidecar_image = getenv("BERTH_SIDECAR_IMAGE");
    if (o.opts.sidecar_image == NULL || o.opts.sidecar_image[0] == '\0')
        o.opts.sidecar_image = "localhost/berth-sidecar:" BERTH_VERSION;
    o.opts.cluster_domain = "cluster.local";
    o.opts.certs = op_cert_policy_default;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'k':
            kubeconfig = optarg;
            break;
        case 'n':
            o.namespace = optarg[0] != '\0' ? optarg : NULL;
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
            o.opts.sidecar_image = optarg;
            break;
        case 'd':
            o.opts.cluster_domain = optarg;
            break;
        case 'r':
            o.resync_s = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || o.resync_s < 1 || o.resync_s > 86400) {
                fprintf(stderr, "berth-operator: --resync: whole seconds from 1 to 86400\n");
                return 2;
            }
            break;
        case 'w':
            o.workers = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || o.workers < 1 || o.workers > MAX_WORKERS) {
                fprintf(stderr, "berth-operator: --workers: from 1 to %d\n", MAX_WORKERS);
                return 2;
            }
            break;
        case 'I':
            o.use_informers = false;
            break;
        case 'A':
            o.opts.admin_bootstrap_annotation = true;
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
                o.opts.certs.validity_s = v;
            } else {
                o.opts.certs.renew_before_s = v;
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
    if (!renew_given && o.opts.certs.renew_before_s >= o.opts.certs.validity_s)
        o.opts.certs.renew_before_s = o.opts.certs.validity_s / 3;
    if (o.opts.certs.renew_before_s >= o.opts.certs.validity_s) {
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
    pthread_cond_init(&o.cond, NULL);
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
        if (kube_event_recorder_new(o.cfg, &eo, &o.events, &err) != 0)
            goto out;
    }
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
        pthread_mutex_lock(&o.mu);
        controller_start(&o);
        pthread_mutex_unlock(&o.mu);
    }

    sigwait(&sigs, &sig);
    pthread_mutex_lock(&o.mu);
    o.stopping = true;
    rc = o.lost_lease ? 1 : 0;
    pthread_mutex_unlock(&o.mu);
    util_info("%s: finishing in-flight reconciles", rc != 0          ? "Lease lost"
                                                    : sig == SIGTERM ? "SIGTERM"
                                                                     : "SIGINT");
    controller_stop(&o);
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
    kube_event_recorder_free(o.events);
    util_metrics_free(o.metrics);
    kube_config_free(o.cfg);
    pthread_cond_destroy(&o.cond);
    pthread_mutex_destroy(&o.mu);
    curl_global_cleanup();
    return rc;
}
