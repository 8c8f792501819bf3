/* kubectl-berth: kubectl finds it on PATH and runs it for `kubectl berth
 * ...`. Parses the options kubectl users know (--kubeconfig, --context,
 * -n, -o) wherever they stand, connects to the API server as kubectl would,
 * and hands over to the command. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "util/log.h"
#include "util/version.h"

static const char usage_text[] =
    "usage: kubectl berth COMMAND [ARGS] [options]\n"
    "\n"
    "Answers questions about berth's Kafka clusters (KafkaCluster, berth.io/v1alpha1).\n"
    "\n"
    "Commands:\n"
    "  addresses [CLUSTER]       each broker's advertised address per listener, the node\n"
    "                            its pod runs on, and the bootstrap lists (all clusters\n"
    "                            of the namespace without CLUSTER). --check: dial each\n"
    "                            address from here (5 s a step) and check that Metadata\n"
    "                            answered there lists it under that broker's id: ok,\n"
    "                            wrong broker, not advertised, unreachable, or not\n"
    "                            checked (SASL, or TLS with a user's certificate);\n"
    "                            --listener NAME checks that listener only\n"
    "  drain-plan POD            the drain of the broker of POD (\"<cluster>-<id>\") as the\n"
    "                            sidecar would plan it now, by the drain's own planner on\n"
    "                            what the cluster answers (another broker asked first):\n"
    "                            leaderships to move, replica orders to write, partitions\n"
    "                            reported (only in-sync replica, below\n"
    "                            min.insync.replicas once it stops, under reassignment,\n"
    "                            no successor); -o wide lists every partition. A dry\n"
    "                            run: nothing is written, neither the drain ledger nor\n"
    "                            Kafka. It counts; it does not estimate time;\n"
    "                            --direct: the broker at its advertised address\n"
    "  health CLUSTER            ask the cluster (one broker, through a port-forward,\n"
    "                            with the cluster's own TLS) and the API server how it\n"
    "                            stands: partitions offline, under min.insync.replicas\n"
    "                            or under-replicated, leaders per broker, the KRaft\n"
    "                            quorum, reassignments, the drain ledger, the pods;\n"
    "                            --direct: the broker at its advertised address\n"
    "  roll CLUSTER              restart the brokers one at a time, each drained first,\n"
    "                            and follow the roll to its end (--no-wait: start it\n"
    "                            only; --timeout DURATION, default 30m)\n"
    "\n"
    "Options:\n"
    "  -n, --namespace NS        the namespace (default: the context's)\n"
    "  -A, --all-namespaces      every namespace (for the commands that list)\n"
    "  -o, --output FORMAT       wide, json or yaml (default: a table)\n"
    "      --kubeconfig PATH     kubeconfig to use (default: $KUBECONFIG, else\n"
    "                            ~/.kube/config)\n"
    "      --context NAME        the kubeconfig context to use (default: its current one)\n"
    "      --direct              (health, drain-plan) reach the broker at its advertised\n"
    "                            address (the KafkaCluster's status) instead of through\n"
    "                            the API server's port-forward, where those addresses\n"
    "                            answer (in the cluster's network, node ports open): on\n"
    "                            --listener NAME, else the first listener that is\n"
    "                            PLAINTEXT or SSL with the cluster's certificate (then\n"
    "                            verified against the cluster CA); SASL is refused\n"
    "  -h, --help                print this and exit (COMMAND --help: the same)\n"
    "      --version             print the version and exit\n"
    "\n"
    "Exit status: 0 answered (health: the cluster is healthy; drain-plan: the broker\n"
    "is safe to restart now; addresses --check: every address checked is ok), 1\n"
    "could not answer (the reason is on stderr), 2 a wrong command line, 3 answered\n"
    "and not well: health, the cluster is not healthy; drain-plan, restarting the\n"
    "broker now is not safe, as a partition would go offline (this broker is its\n"
    "only in-sync replica) or fall below min.insync.replicas; addresses --check, an\n"
    "address is unreachable, not advertised or answered by the wrong broker (the\n"
    "problems are in the answer).\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "kubectl-berth: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun 'kubectl berth --help' for usage.\n");
    return PL_EXIT_USAGE;
}

static int parse_output(const char *s, pl_output *out)
{
    for (const pl_format *f = pl_formats; f->name != NULL; f++)
        if (strcmp(s, f->name) == 0) {
            *out = f->value;
            return 0;
        }
    return -1;
}

/* Parses argv into opts; the command and its arguments are left in
 * argv[optind..argc) (getopt moves options before them). PL_EXIT_OK, a
 * usage error, or -1 when --help or --version was answered. */
static int parse(int argc, char **argv, pl_options *opts)
{
    int ch;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, PL_SHORT_OPTIONS, pl_long_options, NULL)) != -1) {
        switch (ch) {
        case 'n':
            opts->namespace = optarg;
            break;
        case 'A':
            opts->all_namespaces = true;
            break;
        case 'o':
            if (parse_output(optarg, &opts->output) != 0)
                return usage_error("unknown output format \"%s\" (wide, json or yaml)", optarg);
            break;
        case PL_OPT_KUBECONFIG:
            opts->kubeconfig = optarg;
            break;
        case PL_OPT_CONTEXT:
            opts->context = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return -1;
        case PL_OPT_NO_WAIT:
            opts->no_wait = true;
            break;
        case PL_OPT_TIMEOUT:
            if ((opts->timeout_s = pl_duration_parse(optarg)) <= 0)
                return usage_error("--timeout %s: not a duration (90s, 15m, 1h)", optarg);
            break;
        case PL_OPT_CHECK:
            opts->check = true;
            break;
        case PL_OPT_LISTENER:
            opts->listener = optarg;
            break;
        case PL_OPT_DIRECT:
            opts->direct = true;
            break;
        case PL_OPT_VERSION:
            printf("kubectl-berth %s\n", BERTH_VERSION);
            return -1;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    return PL_EXIT_OK;
}

int main(int argc, char **argv)
{
    pl_options opts = {.timeout_s = 30 * 60};
    pl_ctx ctx = {0};
    util_err err = {{0}};
    pl_command_fn run = NULL;
    int rc;

    util_log_setup(UTIL_LOG_TEXT, UTIL_LOG_WARN);
    if (argc >= 2 && strcmp(argv[1], "__complete") == 0) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return PL_EXIT_ERROR;
        rc = pl_complete(argc - 2, argv + 2);
        curl_global_cleanup();
        return rc;
    }
    rc = parse(argc, argv, &opts);
    if (rc != PL_EXIT_OK)
        return rc < 0 ? PL_EXIT_OK : rc;
    if (optind >= argc)
        return usage_error("no command given");
    for (const pl_command *c = pl_commands; c->name != NULL; c++)
        if (strcmp(argv[optind], c->name) == 0)
            run = c->run;
    if (run == NULL)
        return usage_error("unknown command \"%s\"", argv[optind]);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "kubectl-berth: libcurl failed to start\n");
        return PL_EXIT_ERROR;
    }
    if (kube_config_load(opts.kubeconfig, opts.context, &ctx.cfg, &err) != 0 ||
        kube_client_new(ctx.cfg, NULL, &ctx.client, &err) != 0) {
        fprintf(stderr, "kubectl-berth: %s\n", err.msg);
        rc = PL_EXIT_ERROR;
    } else {
        ctx.opts = &opts;
        ctx.command = argv[optind];
        ctx.namespace = opts.all_namespaces      ? NULL
                        : opts.namespace != NULL ? opts.namespace
                                                 : ctx.cfg->namespace;
        rc = run(&ctx, argc - optind - 1, argv + optind + 1);
    }
    kube_client_free(ctx.client);
    kube_config_free(ctx.cfg);
    curl_global_cleanup();
    return rc;
}
