/* The words of kubectl-berth's command line (see plugin.h): the commands,
 * the output formats and the options, which main.c parses and
 * completion.c offers, kept here once so that the two cannot drift. */
#include "plugin.h"

const pl_command pl_commands[] = {
    {"addresses", pl_cmd_addresses},
    {"drain-plan", pl_cmd_drain_plan},
    {"health", pl_cmd_health},
    {"roll", pl_cmd_roll},
    {NULL, NULL},
};

const pl_format pl_formats[] = {
    {"wide", PL_OUT_WIDE},
    {"json", PL_OUT_JSON},
    {"yaml", PL_OUT_YAML},
    {NULL, PL_OUT_TABLE},
};

const struct option pl_long_options[] = {
    {"namespace", required_argument, NULL, 'n'},
    {"all-namespaces", no_argument, NULL, 'A'},
    {"output", required_argument, NULL, 'o'},
    {"kubeconfig", required_argument, NULL, PL_OPT_KUBECONFIG},
    {"context", required_argument, NULL, PL_OPT_CONTEXT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, PL_OPT_VERSION},
    {"no-wait", no_argument, NULL, PL_OPT_NO_WAIT},
    {"timeout", required_argument, NULL, PL_OPT_TIMEOUT},
    {"check", no_argument, NULL, PL_OPT_CHECK},
    {"listener", required_argument, NULL, PL_OPT_LISTENER},
    {"direct", no_argument, NULL, PL_OPT_DIRECT},
    {NULL, 0, NULL, 0},
};
