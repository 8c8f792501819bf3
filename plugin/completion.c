/* Shell completion for `kubectl berth`, the way kubectl completes its
 * plugins: on TAB after `kubectl berth`, kubectl runs the executable
 * `kubectl_complete-berth` from PATH (a two-line script `make install` puts
 * beside kubectl-berth) with the words typed after `berth`, the last one
 * being the word under completion ("" for a new one), and shows the lines
 * printed as candidates. The last line is cobra's directive: ":4" (no file
 * names) here, ":0" after --kubeconfig (the shell completes file names).
 *
 * Candidates: the commands, the options, the output formats after -o, the
 * namespaces after -n, the KafkaClusters of the namespace (addresses,
 * health, roll) and their broker pods (drain-plan). Asking the API server
 * is best effort: whatever fails (no kubeconfig, no right to list) gives no
 * candidate and no message, since anything on a terminal would garble the
 * command line being typed. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kube/verbs.h"
#include "operator/cluster.h"
#include "plugin.h"

/* cobra's ShellCompDirective: NoFileComp, and Default (files). */
#define DIRECTIVE_NO_FILES 4
#define DIRECTIVE_FILES    0

/* How long the API server may take to list, in all: completion must not
 * hang a shell. */
#define LIST_TIMEOUT_MS 3000

static void offer(const char *candidate, const char *prefix)
{
    if (strncmp(candidate, prefix, strlen(prefix)) == 0)
        printf("%s\n", candidate);
}

static bool is_command(const char *w)
{
    for (const pl_command *c = pl_commands; c->name != NULL; c++)
        if (strcmp(c->name, w) == 0)
            return true;
    return false;
}

/* Whether option word w (e.g. "-n", "--output") takes the next word as
 * its value. */
static bool takes_value(const char *w)
{
    for (const struct option *o = pl_long_options; o->name != NULL; o++) {
        if (o->has_arg != required_argument)
            continue;
        if ((w[1] == '-' && strcmp(w + 2, o->name) == 0) ||
            (o->val < 128 && w[1] == (char)o->val && w[2] == '\0'))
            return true;
    }
    return false;
}

/* What the words before the one under completion say. */
typedef struct typed {
    const char *command;    /* the first word that is not an option, or NULL */
    int positionals;        /* words after the command that are not options */
    const char *namespace;  /* -n/--namespace's value */
    const char *kubeconfig; /* --kubeconfig's value */
    const char *context;    /* --context's value */
    const char *pending;    /* the option whose value is under completion, or NULL */
} typed;

static void read_typed(int n, char **words, typed *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n; i++) {
        const char *w = words[i], *eq = strchr(w, '=');

        if (w[0] == '-' && eq == NULL && takes_value(w)) {
            const char *v = i + 1 < n ? words[++i] : NULL;

            if (v == NULL)
                t->pending = w;
            else if (strcmp(w, "-n") == 0 || strcmp(w, "--namespace") == 0)
                t->namespace = v;
            else if (strcmp(w, "--kubeconfig") == 0)
                t->kubeconfig = v;
            else if (strcmp(w, "--context") == 0)
                t->context = v;
        } else if (strncmp(w, "--namespace=", 12) == 0) {
            t->namespace = eq + 1;
        } else if (strncmp(w, "--kubeconfig=", 13) == 0) {
            t->kubeconfig = eq + 1;
        } else if (strncmp(w, "--context=", 10) == 0) {
            t->context = eq + 1;
        } else if (w[0] != '-') {
            if (t->command == NULL)
                t->command = w;
            else
                t->positionals++;
        }
    }
}

/* The names of the objects listed at the collection path (with a label
 * selector, or NULL), offered when they start with prefix. */
static void offer_listed(const typed *t, const char *api_version, const char *resource,
                         const char *selector, const char *prefix)
{
    kube_client_options co = {.timeout_ms = LIST_TIMEOUT_MS};
    kube_list_opts lo = {.label_selector = selector};
    char path[KUBE_PATH_MAX];
    kube_config *cfg = NULL;
    kube_client *client = NULL;
    util_err err = {{0}};
    cJSON *list = NULL;
    const cJSON *it;
    const char *ns;

    if (kube_config_load(t->kubeconfig, t->context, &cfg, &err) != 0)
        return;
    ns = strcmp(resource, "namespaces") == 0 ? NULL
         : t->namespace != NULL              ? t->namespace
                                             : cfg->namespace;
    if (kube_path(path, sizeof path, api_version, resource, ns, NULL, NULL) == 0 &&
        kube_client_new(cfg, &co, &client, &err) == 0 &&
        kube_list(client, path, &lo, &list, NULL, &err) == 0)
        cJSON_ArrayForEach(it, pl_member(list, "items"))
        {
            const char *name = pl_str(pl_member(it, "metadata"), "name");

            if (name != NULL)
                offer(name, prefix);
        }
    cJSON_Delete(list);
    kube_client_free(client);
    kube_config_free(cfg);
}

int pl_complete(int argc, char **argv)
{
    const char *word = argc > 0 ? argv[argc - 1] : "";
    int directive = DIRECTIVE_NO_FILES;
    typed t;

    if (freopen("/dev/null", "w", stderr) == NULL) /* nothing on the terminal */
        return PL_EXIT_ERROR;
    read_typed(argc > 0 ? argc - 1 : 0, argv, &t);
    if (t.pending != NULL) {
        if (strcmp(t.pending, "-o") == 0 || strcmp(t.pending, "--output") == 0)
            for (const pl_format *f = pl_formats; f->name != NULL; f++)
                offer(f->name, word);
        else if (strcmp(t.pending, "-n") == 0 || strcmp(t.pending, "--namespace") == 0)
            offer_listed(&t, "v1", "namespaces", NULL, word);
        else if (strcmp(t.pending, "--kubeconfig") == 0)
            directive = DIRECTIVE_FILES;
    } else if (word[0] == '-') {
        for (const struct option *o = pl_long_options; o->name != NULL; o++) {
            char option[64];

            snprintf(option, sizeof option, "--%s", o->name);
            offer(option, word);
        }
    } else if (t.command == NULL) {
        for (const pl_command *c = pl_commands; c->name != NULL; c++)
            offer(c->name, word);
    } else if (t.positionals == 0 && strcmp(t.command, "drain-plan") == 0) {
        offer_listed(&t, "v1", "pods",
                     "app.kubernetes.io/managed-by=" OP_FIELD_MANAGER
                     ",app.kubernetes.io/component=broker",
                     word);
    } else if (t.positionals == 0 && is_command(t.command)) {
        offer_listed(&t, OP_API_VERSION, OP_RESOURCE, NULL, word);
    }
    printf(":%d\n", directive);
    return PL_EXIT_OK;
}
