/* The writes of one reconcile to its owned objects (see
 * reconcile_apply.h). */
#include "reconcile_apply.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "diff.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "ledger_gc.h"
#include "reconcile_status.h"
#include "scale_down.h"
#include "secret_summary.h"
#include "util/log.h"

op_outcome op_run_guard_scale_down(op_run *w, util_err *err)
{
    const cJSON *sts = op_run_live_of(w, "StatefulSet", NULL), *rep;
    char msg[512], why[UTIL_ERR_MAX + 160];
    util_err cerr = {{0}};
    op_admin *admin = NULL;
    int have, rc;

    rep =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"), "replicas");
    if (w->leaving_empty || !cJSON_IsNumber(rep) || (have = rep->valueint) <= w->c.replicas)
        return OP_RECONCILE_DONE;
    /* Broker 0 stays. */
    rc = op_run_admin_open(w, 0, OP_SCALE_DOWN_MAX_FRAME, &admin, &cerr);
    if (rc == 0 && (rc = op_scale_down_check(admin->conn, admin->av, w->c.replicas, have, msg,
                                             sizeof msg, &cerr)) < 0)
        util_err_prefix(&cerr, "%s", admin->hostport);
    op_admin_free(admin);
    if (rc == 0) {
        util_info("%s/%s: brokers %d..%d hold no replicas: scaling down", w->c.namespace, w->c.name,
                  w->c.replicas, have - 1);
        return OP_RECONCILE_DONE;
    }
    if (rc > 0)
        snprintf(why, sizeof why,
                 "scale-down from %d to %d brokers refused while leaving brokers hold data "
                 "(move it first): %s",
                 have, w->c.replicas, msg);
    else
        snprintf(why, sizeof why,
                 "scale-down from %d to %d brokers refused: cannot check the leaving brokers' "
                 "replicas: %s",
                 have, w->c.replicas, cerr.msg);
    return op_run_refuse(w, rc > 0 ? OP_REASON_SCALE_DOWN_BLOCKED : OP_REASON_SCALE_DOWN_UNVERIFIED,
                         why, err);
}

/* Appends ", <kind> <name>" (or "<kind> <name>" first) to a list that
 * ends up in one Event, cut with "..." when it would not fit. */
static void list_add(char *buf, size_t size, const char *kind, const char *name)
{
    size_t n = strlen(buf);
    int w;

    if (n + 4 >= size || (n > 3 && strcmp(buf + n - 3, "...") == 0))
        return;
    w = snprintf(buf + n, size - n, "%s%s %s", n > 0 ? ", " : "", kind, name);
    if (w < 0 || (size_t)w >= size - n)
        snprintf(buf + n, size - n, "%s...", n > 0 ? ", " : "");
}

/* Records the apply of d that failed with st/aerr as the run's failure:
 * its reason by the API server's answer, and a message that names the
 * object and carries the server's own words. */
static void apply_failed(op_run *w, const cJSON *d, const kube_status *st, const util_err *aerr)
{
    const char *kind = cJSON_GetObjectItem(d, "kind")->valuestring;
    bool port = st->code == 422 && strstr(st->message, "port") != NULL &&
                strstr(st->message, "allocated") != NULL;

    w->apply_failed = true;
    w->apply_reason = port              ? OP_REASON_NODE_PORT_CONFLICT
                      : st->code == 422 ? OP_REASON_INVALID
                                        : OP_REASON_APPLY_FAILED;
    if (st->code != 0)
        snprintf(w->apply_message, sizeof w->apply_message, "apply %s %s: %d %s%s%s", kind,
                 kube_meta_name(d), st->code, st->reason, st->message[0] != '\0' ? ": " : "",
                 st->message);
    else
        snprintf(w->apply_message, sizeof w->apply_message, "apply %s %s: %.400s", kind,
                 kube_meta_name(d), aerr->msg);
}

int op_run_apply(op_run *w)
{
    const cJSON *d, *l = w->live->child;
    char created_list[KUBE_EVENTS_NOTE_MAX - 16] = "", updated_list[KUBE_EVENTS_NOTE_MAX - 32] = "";

    cJSON_ArrayForEach(d, w->desired)
    {
        char path[KUBE_PATH_MAX];
        kube_status st = {0};
        util_err aerr = {{0}};
        bool created = cJSON_IsNull(l);
        const char *kind = cJSON_GetObjectItem(d, "kind")->valuestring;

        if (!created && op_subset(d, l)) {
            l = l->next;
            continue;
        }
        l = l->next;
        if (op_run_object_path(d, path, sizeof path) != 0)
            continue;
        if (op_secret_has_stub(d)) {
            /* A summary's stub where the value belongs: never written. */
            util_err_set(&aerr, "refused to write a summary of the Secret's values");
            util_warn("apply %s: %s; the objects after it wait", path, aerr.msg);
            apply_failed(w, d, &st, &aerr);
            break;
        }
        op_run_count(w, "apply");
        w->res->writes++;
        if (kube_apply(w->client, path, d, OP_FIELD_MANAGER, true, NULL, &st, &aerr) != 0) {
            /* The objects after it may depend on it (the StatefulSet's
             * pods on everything before it): they wait for the retry. */
            util_warn("apply %s: %s; the objects after it wait", path, aerr.msg);
            apply_failed(w, d, &st, &aerr);
            break;
        }
        util_info("applied %s %s/%s", kind, w->c.namespace, kube_meta_name(d));
        if (created)
            list_add(created_list, sizeof created_list, kind, kube_meta_name(d));
        else
            list_add(updated_list, sizeof updated_list, kind, kube_meta_name(d));
    }
    /* One Event per kind of change, not one per object: a new cluster is
     * a dozen objects, and the recorder writes about one Event a second. */
    if (created_list[0] != '\0')
        op_run_event(w, KUBE_EVENT_NORMAL, "Created", "created %s", created_list);
    if (updated_list[0] != '\0')
        op_run_event(w, KUBE_EVENT_NORMAL, "Updated", "updated %s to match the spec", updated_list);
    return w->apply_failed ? -1 : 0;
}

int op_run_prune(op_run *w, util_err *err)
{
    const cJSON *s;

    cJSON_ArrayForEach(s, w->services)
    {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(s, "metadata");
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(m, "labels");
        const cJSON *comp = cJSON_GetObjectItemCaseSensitive(labels, "app.kubernetes.io/component");
        const char *name = kube_meta_name(s), *owner = kube_meta_controller_uid(s);
        kube_delete_opts opts = {0};
        char path[KUBE_PATH_MAX];
        kube_status st = {0};
        bool wanted = false;
        const cJSON *d;

        if (!cJSON_IsString(comp) || strcmp(comp->valuestring, "broker-external") != 0 ||
            owner == NULL || strcmp(owner, w->c.uid) != 0 || name == NULL)
            continue;
        cJSON_ArrayForEach(d, w->desired)
        {
            const op_kind *k = op_run_kind(d);
            const char *dn = kube_meta_name(d);

            if (k != NULL && strcmp(k->kind, "Service") == 0 && strcmp(dn, name) == 0)
                wanted = true;
        }
        if (wanted ||
            kube_path(path, sizeof path, "v1", "services", w->c.namespace, name, NULL) != 0)
            continue;
        opts.uid = kube_meta_uid(s);
        op_run_count(w, "delete");
        w->res->writes++;
        if (kube_delete_with(w->client, path, &opts, NULL, &st, err) != 0 && st.code != 404)
            return -1;
        util_info("deleted Service %s/%s: no longer wanted", w->c.namespace, name);
        op_run_event(w, KUBE_EVENT_NORMAL, "Deleted", "deleted Service %s: no longer wanted", name);
    }
    return 0;
}

int op_run_clear_reformat(op_run *w, util_err *err)
{
    char path[KUBE_PATH_MAX];
    cJSON *patch;
    int rc;

    if (kube_path(path, sizeof path, OP_API_VERSION, OP_RESOURCE, w->c.namespace, w->c.name,
                  NULL) != 0)
        return util_err_set(err, "bad name");
    patch = cJSON_CreateObject();
    cJSON_AddNullToObject(
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"), "annotations"),
        OP_REFORMAT_ANNOTATION);
    op_run_count(w, "patch");
    w->res->writes++;
    rc = kube_merge_patch(w->client, path, patch, NULL, NULL, err);
    cJSON_Delete(patch);
    if (rc == 0)
        op_run_event(w, KUBE_EVENT_NORMAL, "VoterReformatted",
                     "the voters named by %s are Ready again; the annotation is removed",
                     OP_REFORMAT_ANNOTATION);
    return rc == 0 ? 0 : -1;
}

int op_run_clean_ledger(op_run *w, util_err *err)
{
    char name[OP_NAME_MAX + 16];
    int dropped = 0;

    op_name(&w->c, "-drain", name, sizeof name);
    if (!op_ledger_names_removed(op_run_live_of(w, "ConfigMap", name), w->c.replicas))
        return 0;
    op_run_count(w, "get");
    if (op_ledger_gc(w->client, w->c.namespace, name, w->c.replicas, &dropped, err) != 0)
        return -1;
    if (dropped > 0) {
        op_run_count(w, "update");
        w->res->writes++;
        util_info("%s/%s: removed %d drain-ledger entries of broker ids %d and above",
                  w->c.namespace, w->c.name, dropped, w->c.replicas);
        op_run_event(w, KUBE_EVENT_NORMAL, "LedgerCleaned",
                     "removed %d drain-ledger entries that name broker ids %d and above, which no "
                     "longer exist",
                     dropped, w->c.replicas);
    }
    return 0;
}
