/* kubectl-berth, the kubectl plugin (`kubectl berth ...`): what its
 * commands share. Each command is a function of one file (cmd_*.c) that
 * gets the parsed options and the connection to the API server made from
 * the user's kubeconfig, prints its answer to stdout (as a table, or as the
 * JSON or YAML document the table is made from) and its problems to
 * stderr, and returns the exit status. */
#ifndef BERTH_PL_PLUGIN_H
#define BERTH_PL_PLUGIN_H

#include <getopt.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/status.h"
#include "util/err.h"

/* Exit statuses: answered (and, for a command that judges, all is well);
 * could not answer (an error, named on stderr); the command line is wrong;
 * a command that judges answered, and what it judged is not well (health:
 * the cluster is not healthy; drain-plan: restarting the broker now is not
 * safe). */
#define PL_EXIT_OK        0
#define PL_EXIT_ERROR     1
#define PL_EXIT_USAGE     2
#define PL_EXIT_UNHEALTHY 3

typedef enum pl_output {
    PL_OUT_TABLE, /* the default: columns for a terminal */
    PL_OUT_WIDE,  /* more columns */
    PL_OUT_JSON,
    PL_OUT_YAML,
} pl_output;

/* The options every command takes, as kubectl spells them. */
typedef struct pl_options {
    const char *kubeconfig; /* --kubeconfig; NULL: $KUBECONFIG, else ~/.kube/config */
    const char *context;    /* --context; NULL: the current one */
    const char *namespace;  /* -n/--namespace; NULL: the context's */
    bool all_namespaces;    /* -A/--all-namespaces: lists span every namespace */
    pl_output output;       /* -o/--output */
    bool no_wait;           /* --no-wait (roll) */
    long timeout_s;         /* --timeout (roll); default 30 minutes */
    bool check;             /* --check (addresses): dial each address */
    const char *listener;   /* --listener: the listener addresses --check checks, or
                               --direct dials */
    bool direct;            /* --direct (health, drain-plan): dial the broker's advertised
                               address, not a port-forward (broker_link.h) */
} pl_options;

/* A command's view of the world. cfg and client are made by main.c and
 * borrowed by the command; namespace is the one to work in. */
typedef struct pl_ctx {
    const pl_options *opts;
    kube_config *cfg;
    kube_client *client;
    const char *namespace; /* NULL with -A */
    const char *command;   /* the command's name, for messages; NULL: "kubectl berth" */
} pl_ctx;

/* The words of the command line, in one place (cli_words.c): main.c
 * parses with them and completion.c offers them. Each table ends with an
 * entry whose name is NULL. */
typedef int (*pl_command_fn)(const pl_ctx *ctx, int argc, char **argv);
typedef struct pl_command {
    const char *name;
    pl_command_fn run;
} pl_command;
extern const pl_command pl_commands[];

typedef struct pl_format {
    const char *name; /* -o's value */
    pl_output value;
} pl_format;
extern const pl_format pl_formats[];

/* getopt_long's table of the long options (its val: the short option's
 * letter, or one of these), and the short options' getopt string. */
enum {
    PL_OPT_KUBECONFIG = 256,
    PL_OPT_CONTEXT,
    PL_OPT_VERSION,
    PL_OPT_NO_WAIT,
    PL_OPT_TIMEOUT,
    PL_OPT_CHECK,
    PL_OPT_LISTENER,
    PL_OPT_DIRECT
};
extern const struct option pl_long_options[];
#define PL_SHORT_OPTIONS ":n:o:hA"

/* `kubectl berth addresses [CLUSTER]`: each broker's advertised address
 * per listener, where its pod runs, and the bootstrap lists; with --check,
 * whether each address answers as its broker (addresses_check.h):
 * PL_EXIT_OK every address checked is right, PL_EXIT_UNHEALTHY not. argv
 * holds the command's positional arguments. */
int pl_cmd_addresses(const pl_ctx *ctx, int argc, char **argv);

/* `kubectl berth roll CLUSTER`: a drained rolling restart of the brokers,
 * followed to its end (unless --no-wait). */
int pl_cmd_roll(const pl_ctx *ctx, int argc, char **argv);

/* `kubectl-berth __complete WORD...`, as kubectl_complete-berth runs it for
 * kubectl's shell completion: prints the candidates for the last word (the
 * one under completion, "" for a new one) and cobra's directive line. */
int pl_complete(int argc, char **argv);

/* `kubectl berth health CLUSTER`: asks a broker of the cluster (through
 * the API server's port-forward, with the cluster's own mutual TLS, or
 * with --direct at its advertised address) and
 * the API server how the cluster stands, and judges it (health.h):
 * PL_EXIT_OK healthy, PL_EXIT_UNHEALTHY not. */
int pl_cmd_health(const pl_ctx *ctx, int argc, char **argv);

/* `kubectl berth drain-plan POD`: the drain of the broker of POD (a
 * KafkaCluster's broker pod "<cluster>-<id>") as the sidecar would plan
 * it now, computed by the drain's own planner (drain/plan.h) on what a
 * broker (another one first) and the API server answer, writing nothing
 * (drain_plan.h): PL_EXIT_OK safe to restart it now, PL_EXIT_UNHEALTHY
 * not. */
int pl_cmd_drain_plan(const pl_ctx *ctx, int argc, char **argv);

/* Seconds of a duration as kubectl's flags take it ("90", "90s", "15m",
 * "1h"), or -1. */
long pl_duration_parse(const char *s);

/* What `addresses` prints of one KafkaCluster (a new object, the -o json
 * document): cluster, namespace, status.bootstrap, and per broker of
 * status.brokers its id, pod, node, readiness, address per listener and
 * address fallbacks, plus its node's addresses by type when nodes (a
 * Node list's items) is not NULL. */
cJSON *pl_addresses_report(const cJSON *cr, const cJSON *nodes);

/* o's member key (NULL when o is NULL or has none), and the same when it
 * is a string, else NULL: the plain reads every command makes. */
const cJSON *pl_member(const cJSON *o, const char *key);
const char *pl_str(const cJSON *o, const char *key);

/* The KafkaCluster name in ns (a new object, *out), or every one of them
 * when name is NULL (a list's items). PL_EXIT_OK, or PL_EXIT_ERROR after
 * saying on stderr what is missing. */
int pl_get_clusters(const pl_ctx *ctx, const char *name, cJSON **out);

/* GETs object name of the core (v1) resource in ctx's namespace into *out
 * (a new object); what is "<namespace>/<name>", kind names it in messages
 * and holds (NULL: nothing) says what it holds. 0, or -1 with *st the
 * answer and err saying why: for a 403 the right it takes ("not allowed
 * to get <kind> <what> (<holds>): <command> needs get on <resource> in
 * namespace <ns>"), for a 404 "<kind> <what> not found", which a caller
 * may say more fully, else the failure prefixed with "<kind> <what>". */
int pl_get_named(const pl_ctx *ctx, const char *resource, const char *kind, const char *name,
                 const char *holds, const char *what, cJSON **out, kube_status *st,
                 util_err *err) UTIL_MUST_CHECK;

#endif
