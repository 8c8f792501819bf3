/* `kubectl berth addresses [CLUSTER]`: where each broker can be reached,
 * from the status berth-operator keeps (status.brokers, status.bootstrap)
 * and, with -o wide|json|yaml, the addresses of the nodes the pods run on;
 * with --check, whether each address answers as its broker does
 * (addresses_check.h). */
#include <stdio.h>
#include <string.h>

#include "addresses_check.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "output.h"
#include "plugin.h"

/* Node name's addresses as {"InternalIP": "...", ...}, or NULL. */
static cJSON *node_addresses(const cJSON *nodes, const char *name)
{
    const cJSON *node = name != NULL ? kube_find_by_name(nodes, name) : NULL, *a;
    cJSON *out = NULL;

    cJSON_ArrayForEach(a, pl_member(pl_member(node, "status"), "addresses"))
    {
        const cJSON *type = pl_member(a, "type"), *addr = pl_member(a, "address");

        if (!cJSON_IsString(type) || !cJSON_IsString(addr))
            continue;
        if (out == NULL)
            out = cJSON_CreateObject();
        if (pl_member(out, type->valuestring) == NULL)
            cJSON_AddStringToObject(out, type->valuestring, addr->valuestring);
    }
    return out;
}

cJSON *pl_addresses_report(const cJSON *cr, const cJSON *nodes)
{
    const cJSON *st = pl_member(cr, "status"), *b;
    cJSON *r = cJSON_CreateObject(), *brokers;

    cJSON_AddStringToObject(r, "cluster", kube_meta_name(cr));
    cJSON_AddStringToObject(r, "namespace", kube_meta_namespace(cr));
    if (pl_member(st, "bootstrap") != NULL)
        cJSON_AddItemToObject(r, "bootstrap", cJSON_Duplicate(pl_member(st, "bootstrap"), 1));
    brokers = cJSON_AddArrayToObject(r, "brokers");
    cJSON_ArrayForEach(b, pl_member(st, "brokers"))
    {
        static const char *const keep[] = {
            "id", "pod", "node", "ready", "listeners", "addressFallback", NULL};
        cJSON *e = cJSON_CreateObject(), *na;

        for (const char *const *k = keep; *k != NULL; k++)
            if (pl_member(b, *k) != NULL)
                cJSON_AddItemToObject(e, *k, cJSON_Duplicate(pl_member(b, *k), 1));
        na = nodes != NULL ? node_addresses(nodes, cJSON_GetStringValue(pl_member(b, "node")))
                           : NULL;
        if (na != NULL)
            cJSON_AddItemToObject(e, "nodeAddresses", na);
        cJSON_AddItemToArray(brokers, e);
    }
    return r;
}

/* "InternalIP=10.0.0.1,ExternalIP=..." of a broker's nodeAddresses into
 * buf, or NULL. */
static const char *node_text(const cJSON *broker, char *buf, size_t size)
{
    const cJSON *a;
    size_t n = 0;

    buf[0] = '\0';
    cJSON_ArrayForEach(a, pl_member(broker, "nodeAddresses"))
    {
        if (cJSON_IsString(a) && n < size)
            n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", n > 0 ? "," : "", a->string,
                                  a->valuestring);
    }
    return buf[0] != '\0' ? buf : NULL;
}

/* One row per broker and listener of report into t. */
/* all: the first column is the namespace (-A). */
static int add_rows(pl_table *t, const cJSON *report, bool all)
{
    const cJSON *b, *l;

    cJSON_ArrayForEach(b, pl_member(report, "brokers"))
    {
        char id[16], nodes[512];
        const char *pod = cJSON_GetStringValue(pl_member(b, "pod"));
        const char *node = cJSON_GetStringValue(pl_member(b, "node"));
        const cJSON *fb = pl_member(b, "addressFallback");

        snprintf(id, sizeof id, "%d",
                 pl_member(b, "id") != NULL ? pl_member(b, "id")->valueint : -1);
        cJSON_ArrayForEach(l, pl_member(b, "listeners"))
        {
            const char *fallback = cJSON_GetStringValue(pl_member(fb, l->string));
            const char *cells[] = {cJSON_GetStringValue(pl_member(report, "namespace")),
                                   cJSON_GetStringValue(pl_member(report, "cluster")),
                                   id,
                                   pod,
                                   node,
                                   l->string,
                                   cJSON_GetStringValue(l),
                                   fallback != NULL ? fallback : "",
                                   node_text(b, nodes, sizeof nodes)};

            /* A narrow table takes the first six of the cluster's. */
            if (pl_table_add(t, all ? cells : cells + 1) != 0)
                return -1;
        }
    }
    return 0;
}

/* One row per address checked of report into t (--check). */
static int add_check_rows(pl_table *t, const cJSON *report, bool all)
{
    const cJSON *b, *c;

    cJSON_ArrayForEach(b, pl_member(report, "brokers"))
    {
        char id[16], result[1200];

        snprintf(id, sizeof id, "%d",
                 pl_member(b, "id") != NULL ? pl_member(b, "id")->valueint : -1);
        cJSON_ArrayForEach(c, pl_member(b, "check"))
        {
            const char *detail = pl_str(c, "detail");
            const char *cells[] = {pl_str(report, "namespace"),
                                   pl_str(report, "cluster"),
                                   id,
                                   c->string,
                                   pl_str(pl_member(b, "listeners"), c->string),
                                   result};

            snprintf(result, sizeof result, "%s%s%s", pl_str(c, "result"),
                     detail != NULL ? ": " : "", detail != NULL ? detail : "");
            if (pl_table_add(t, all ? cells : cells + 1) != 0)
                return -1;
        }
    }
    return 0;
}

static void print_check(const cJSON *reports, bool all)
{
    static const char *const headers[] = {"namespace", "cluster", "broker",
                                          "listener",  "address", "result"};
    pl_table *t = pl_table_new(5 + all, all ? headers : headers + 1);
    const cJSON *c;
    bool ok = t != NULL;

    cJSON_ArrayForEach(c, reports)
    {
        if (ok && add_check_rows(t, c, all) != 0)
            ok = false;
    }
    printf("\n");
    pl_table_done(t, ok, stdout);
}

/* Runs --check on every report: PL_EXIT_OK all ok, PL_EXIT_UNHEALTHY an
 * address is not, PL_EXIT_ERROR a cluster could not be checked (said on
 * stderr; the others are still checked). */
static int check_all(const pl_ctx *ctx, cJSON *reports)
{
    cJSON *c;
    int rc = PL_EXIT_OK;

    cJSON_ArrayForEach(c, reports)
    {
        util_err err = {{0}};
        int bad = pl_addresses_check(ctx, c, ctx->opts->listener, &err);

        if (bad < 0) {
            fprintf(stderr, "kubectl-berth: addresses --check: %s\n", err.msg);
            rc = PL_EXIT_ERROR;
        } else if (bad > 0 && rc == PL_EXIT_OK) {
            rc = PL_EXIT_UNHEALTHY;
        }
    }
    return rc;
}

static void print_bootstrap(const cJSON *report)
{
    const cJSON *boot = pl_member(report, "bootstrap"), *e;
    const char *internal = cJSON_GetStringValue(pl_member(boot, "internal"));

    printf("\n%s: bootstrap inside the cluster: %s\n",
           cJSON_GetStringValue(pl_member(report, "cluster")),
           internal != NULL ? internal : "(not known yet)");
    if (cJSON_GetArraySize(pl_member(boot, "external")) > 0) {
        printf("%s: bootstrap outside the cluster: ",
               cJSON_GetStringValue(pl_member(report, "cluster")));
        cJSON_ArrayForEach(e, pl_member(boot, "external"))
        {
            printf("%s%s", e != pl_member(boot, "external")->child ? "," : "",
                   cJSON_GetStringValue(e));
        }
        printf("\n");
    }
}

/* Every Node (a list's items, new), or NULL after a note on stderr: the
 * node columns are extra, so a user without the right to list Nodes
 * still gets the rest. */
static cJSON *list_nodes(const pl_ctx *ctx)
{
    char path[KUBE_PATH_MAX];
    cJSON *list = NULL, *items;
    util_err err = {{0}};

    if (kube_path(path, sizeof path, "v1", "nodes", NULL, NULL, NULL) != 0 ||
        kube_list(ctx->client, path, NULL, &list, NULL, &err) != 0) {
        fprintf(stderr, "kubectl-berth: no node addresses: %s\n", err.msg);
        return NULL;
    }
    items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
    cJSON_Delete(list);
    return items;
}

static void warn_stale(const cJSON *cr)
{
    const cJSON *gen = pl_member(pl_member(cr, "metadata"), "generation");
    const cJSON *seen = pl_member(pl_member(cr, "status"), "observedGeneration");

    if (pl_member(cr, "status") == NULL)
        fprintf(stderr,
                "kubectl-berth: KafkaCluster %s has no status yet: is berth-operator running?\n",
                kube_meta_name(cr));
    else if (cJSON_IsNumber(gen) && cJSON_IsNumber(seen) && seen->valuedouble < gen->valuedouble)
        fprintf(stderr,
                "kubectl-berth: KafkaCluster %s: the status is of generation %.0f, the spec is at "
                "%.0f: berth-operator has not caught up yet\n",
                kube_meta_name(cr), seen->valuedouble, gen->valuedouble);
}

int pl_cmd_addresses(const pl_ctx *ctx, int argc, char **argv)
{
    static const char *const headers[] = {"namespace", "cluster",  "broker",
                                          "pod",       "node",     "listener",
                                          "address",   "fallback", "node addresses"};
    bool all = ctx->namespace == NULL;
    bool is_wide = ctx->opts->output == PL_OUT_WIDE;
    cJSON *got = NULL, *nodes = NULL, *reports = cJSON_CreateArray(), *c;
    pl_table *t = NULL;
    util_err err = {{0}};
    int rc;

    if (argc > 1 || ctx->opts->direct || (ctx->opts->listener != NULL && !ctx->opts->check)) {
        fprintf(stderr, "kubectl-berth: %s\n",
                argc > 1            ? "addresses takes at most one KafkaCluster name"
                : ctx->opts->direct ? "--direct is for health and drain-plan"
                                    : "--listener goes with --check");
        cJSON_Delete(reports);
        return PL_EXIT_USAGE;
    }
    rc = pl_get_clusters(ctx, argc == 1 ? argv[0] : NULL, &got);
    if (rc != PL_EXIT_OK) {
        cJSON_Delete(reports);
        return rc;
    }
    if (argc == 0 && cJSON_GetArraySize(got) == 0) {
        if (ctx->namespace == NULL)
            fprintf(stderr, "kubectl-berth: no KafkaClusters in any namespace\n");
        else
            fprintf(stderr, "kubectl-berth: no KafkaClusters in namespace \"%s\"\n",
                    ctx->namespace);
        cJSON_Delete(got);
        cJSON_Delete(reports);
        return PL_EXIT_ERROR;
    }
    if (ctx->opts->output != PL_OUT_TABLE)
        nodes = list_nodes(ctx);
    if (argc == 1) {
        warn_stale(got);
        cJSON_AddItemToArray(reports, pl_addresses_report(got, nodes));
    } else {
        cJSON_ArrayForEach(c, got)
        {
            warn_stale(c);
            cJSON_AddItemToArray(reports, pl_addresses_report(c, nodes));
        }
    }
    if (ctx->opts->check)
        rc = check_all(ctx, reports);
    if (ctx->opts->output == PL_OUT_JSON || ctx->opts->output == PL_OUT_YAML) {
        cJSON *doc = argc == 1 ? cJSON_Duplicate(reports->child, 1) : cJSON_CreateObject();

        if (argc != 1)
            cJSON_AddItemToObject(doc, "items", cJSON_Duplicate(reports, 1));
        if (pl_print_doc(doc, ctx->opts->output == PL_OUT_YAML, stdout, &err) != 0) {
            fprintf(stderr, "kubectl-berth: %s\n", err.msg);
            rc = PL_EXIT_ERROR;
        }
        cJSON_Delete(doc);
    } else {
        bool filled;

        t = pl_table_new((is_wide ? 8 : 6) + all, all ? headers : headers + 1);
        filled = t != NULL;
        cJSON_ArrayForEach(c, reports)
        {
            if (filled && add_rows(t, c, all) != 0)
                filled = false;
        }
        if (!filled) {
            fprintf(stderr, "kubectl-berth: out of memory\n");
            rc = PL_EXIT_ERROR;
        } else {
            pl_table_print(t, stdout);
            cJSON_ArrayForEach(c, reports)
            {
                print_bootstrap(c);
            }
            if (ctx->opts->check)
                print_check(reports, all);
        }
        pl_table_free(t);
    }
    cJSON_Delete(got);
    cJSON_Delete(nodes);
    cJSON_Delete(reports);
    return rc;
}
