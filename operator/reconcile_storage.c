/* The storage growth step of a reconcile: its reads and writes (see
 * reconcile_storage.h; the decisions are storage.c's). */
#include "reconcile_storage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kube/object.h"
#include "kube/verbs.h"
#include "storage.h"
#include "util/clock.h"
#include "util/log.h"

/* How long a reconcile waits for the orphaning delete of the StatefulSet
 * to finish (the garbage collector drops the orphan finalizer, usually
 * within a second) before it leaves the create to a later pass. */
#define GONE_WAIT_MS 15000
#define GONE_POLL_MS 200

/* Position of the desired StatefulSet in w->desired (and so of its live
 * counterpart in w->live); -1 if none. */
static int sts_index(const op_run *w)
{
    const cJSON *d;
    int i = 0;

    cJSON_ArrayForEach(d, w->desired)
    {
        const op_kind *k = op_run_kind(d);

        if (k != NULL && strcmp(k->kind, "StatefulSet") == 0)
            return i;
        i++;
    }
    return -1;
}

/* The StatefulSet is not applied on this pass: it is being deleted. */
static void hold(op_run *w, int i)
{
    cJSON_DeleteItemFromArray(w->desired, i);
    cJSON_DeleteItemFromArray(w->live, i);
    w->sts_held = true;
}

/* The spec's size is not applied, for reason (status and the outcome). */
static void not_applied(op_run *w, op_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void not_applied(op_run *w, op_reason reason, const char *fmt, ...)
{
    va_list ap;

    w->storage_failed = true;
    w->storage_reason = reason;
    va_start(ap, fmt);
    vsnprintf(w->storage_message, sizeof w->storage_message, fmt, ap);
    va_end(ap);
}

/* Each broker's data claim that exists, ordinals 0 to the larger of the
 * spec's and the StatefulSet's replicas, into a new array. 0, or -1. */
static int read_claims(op_run *w, const cJSON *live, cJSON **claims, util_err *err)
{
    const cJSON *rep = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(live, "spec"), "replicas");
    int n = w->c.replicas;

    if (cJSON_IsNumber(rep) && rep->valueint > n)
        n = rep->valueint;
    *claims = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        char name[OP_NAME_MAX + 32];
        cJSON *pvc = NULL;
        int rc = w->lister->get(w->lister, "v1", "persistentvolumeclaims", w->c.namespace,
                                op_storage_claim_name(&w->c, i, name, sizeof name), &pvc, err);

        if (rc < 0)
            return -1;
        if (rc == 0)
            cJSON_AddItemToArray(*claims, pvc);
    }
    return 0;
}

/* Whether the claims' StorageClass allows expansion: 1 yes, 0 no (the
 * reason set), -1 on failure. The class is the spec's, else the one the
 * claims were given (the cluster's default class when they were made). */
static int class_expands(op_run *w, const cJSON *claims, const char *have, util_err *err)
{
    const char *name = w->c.storage_class;
    cJSON *class = NULL;
    int rc, ok;

    if (name == NULL) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(claims->child, "spec"), "storageClassName");

        name = cJSON_IsString(s) ? s->valuestring : NULL;
    }
    if (name == NULL || name[0] == '\0') {
        not_applied(w, OP_REASON_STORAGE_NOT_EXPANDABLE,
                    "spec.storage.size %s not applied: the claims have no StorageClass, so "
                    "nothing can expand them; they stay at %s",
                    w->c.storage_size, have);
        return 0;
    }
    rc = w->lister->get(w->lister, "storage.k8s.io/v1", "storageclasses", NULL, name, &class, err);
    if (rc < 0)
        return -1;
    ok = rc == 0 && op_storage_class_expands(class);
    cJSON_Delete(class);
    if (!ok)
        not_applied(w, OP_REASON_STORAGE_NOT_EXPANDABLE,
                    "spec.storage.size %s not applied: StorageClass \"%s\" %s, so the claims "
                    "cannot grow; they stay at %s",
                    w->c.storage_size, name,
                    rc == 1 ? "does not exist" : "does not allow volume expansion", have);
    return ok ? 1 : 0;
}

/* spec.resources.requests of claim, borrowed. */
static cJSON *requests(const cJSON *claim)
{
    return cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(claim, "spec"),
                                         "resources"),
        "requests");
}

/* Adds claim to w->storage_resizing if its volume is smaller than asked. */
static void resizing_add(op_run *w, const cJSON *claim)
{
    cJSON *e = op_storage_resizing_new(claim);

    if (w->storage_resizing == NULL)
        w->storage_resizing = cJSON_CreateArray();
    if (e != NULL)
        cJSON_AddItemToArray(w->storage_resizing, e);
}

/* The claims the last status said were still growing, read again: those
 * whose volume is still smaller than asked stay (one that cannot be read
 * now keeps its old entry). Reads nothing when none was. */
static void refresh_resizing(op_run *w)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(
                                  cJSON_GetObjectItemCaseSensitive(w->cr, "status"), "storage"),
                              "resizing"))
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "claim"));
        cJSON *pvc = NULL;
        util_err rerr = {{0}};
        int rc;

        if (name == NULL)
            continue;
        rc = w->lister->get(w->lister, "v1", "persistentvolumeclaims", w->c.namespace, name, &pvc,
                            &rerr);
        if (rc == 0)
            resizing_add(w, pvc);
        else if (rc < 0) {
            if (w->storage_resizing == NULL)
                w->storage_resizing = cJSON_CreateArray();
            cJSON_AddItemToArray(w->storage_resizing, cJSON_Duplicate(e, 1));
        }
        cJSON_Delete(pvc);
    }
}

/* Patches every claim that asks for less than the spec's size, and notes
 * each whose volume is smaller than it now asks. 0, or -1. */
static int grow_claims(op_run *w, cJSON *claims, util_err *err)
{
    char grown[KUBE_EVENTS_NOTE_MAX - 96] = "";
    cJSON *pvc;
    size_t n = 0;

    cJSON_ArrayForEach(pvc, claims)
    {
        char path[KUBE_PATH_MAX];
        cJSON *patch;
        int rc;

        if (!op_storage_claim_below(pvc, w->c.storage_size))
            continue;
        if (kube_path(path, sizeof path, "v1", "persistentvolumeclaims", w->c.namespace,
                      kube_meta_name(pvc), NULL) != 0)
            return util_err_set(err, "claim %s: bad name", kube_meta_name(pvc));
        patch = cJSON_CreateObject();
        cJSON_AddStringToObject(
            cJSON_AddObjectToObject(
                cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "spec"), "resources"),
                "requests"),
            "storage", w->c.storage_size);
        op_run_count(w, "patch");
        w->res->writes++;
        rc = kube_merge_patch(w->client, path, patch, NULL, NULL, err);
        cJSON_Delete(patch);
        if (rc != 0)
            return util_err_prefix(err, "growing claim %s", kube_meta_name(pvc));
        /* What the claim asks for now, for status.storage.resizing. */
        cJSON_ReplaceItemInObjectCaseSensitive(requests(pvc), "storage",
                                               cJSON_CreateString(w->c.storage_size));
        util_info("%s/%s: claim %s asked to grow to %s", w->c.namespace, w->c.name,
                  kube_meta_name(pvc), w->c.storage_size);
        if (n + strlen(kube_meta_name(pvc)) + 8 < sizeof grown)
            n += (size_t)snprintf(grown + n, sizeof grown - n, "%s%s", n > 0 ? ", " : "",
                                  kube_meta_name(pvc));
    }
    w->storage_resizing = cJSON_CreateArray();
    cJSON_ArrayForEach(pvc, claims)
    {
        resizing_add(w, pvc);
    }
    if (n > 0)
        op_run_event(w, KUBE_EVENT_NORMAL, "StorageExpanding",
                     "claims %s asked to grow to %s; each volume grows once its storage driver "
                     "expands it (kubectl get pvc: status.capacity)",
                     grown, w->c.storage_size);
    return 0;
}

/* Gives the StatefulSet at path, just created again, the field owners live
 * had (op_storage_owners_patch_new). Best effort: without it the
 * StatefulSet still works, so a failure is only logged. */
static void restore_owners(op_run *w, const char *path, const cJSON *live)
{
    cJSON *patch = op_storage_owners_patch_new(live);
    util_err perr = {{0}};

    if (patch == NULL)
        return;
    op_run_count(w, "patch");
    w->res->writes++;
    if (kube_merge_patch(w->client, path, patch, NULL, NULL, &perr) != 0)
        util_warn("%s/%s: StatefulSet created again, but its fields' owners were not restored: %s",
                  w->c.namespace, w->c.name, perr.msg);
    cJSON_Delete(patch);
}

/* Deletes the live StatefulSet (as the server has it) at path with its pods
 * orphaned and creates it again in the collection coll with the new claim
 * size (storage.h step 3): 0 done (*created is the new object), 1 not yet
 * (the delete is still under way, or someone else replaced it: a later
 * pass goes on), -1 on failure. */
static int delete_and_create(op_run *w, const cJSON *live, const char *path, const char *coll,
                             cJSON **created, util_err *err)
{
    kube_delete_opts opts = {0};
    kube_status st = {0};
    int64_t deadline = util_mono_ms() + GONE_WAIT_MS;
    cJSON *sts;
    int rc;

    opts.propagation_policy = "Orphan";
    opts.uid = kube_meta_uid(live);
    op_run_count(w, "delete");
    w->res->writes++;
    if (kube_delete_with(w->client, path, &opts, NULL, &st, err) != 0) {
        if (st.code == 409)
            return 1; /* not the object read: replaced meanwhile */
        if (st.code != 404)
            return util_err_prefix(err, "deleting StatefulSet %s", w->c.name);
    }
    util_info("%s/%s: StatefulSet deleted with its pods orphaned, to be created with claims of %s",
              w->c.namespace, w->c.name, w->c.storage_size);
    for (;;) {
        kube_status gst = {0};

        op_run_count(w, "get");
        rc = kube_get(w->client, path, NULL, &gst, err);
        if (rc == KUBE_ERR_STATUS && gst.code == 404)
            break;
        if (rc != 0 && rc != KUBE_ERR_STATUS)
            return -1;
        if (util_mono_ms() >= deadline)
            return 1;
        util_sleep_ms(GONE_POLL_MS);
    }
    util_err_clear(err);
    if ((sts = op_storage_recreated_new(live, w->c.storage_size)) == NULL)
        return util_err_set(err, "StatefulSet %s: no claim template \"%s\"", w->c.name,
                            OP_STORAGE_CLAIM);
    op_run_count(w, "create");
    w->res->writes++;
    memset(&st, 0, sizeof st);
    rc = kube_create(w->client, coll, sts, created, &st, err);
    cJSON_Delete(sts);
    if (rc != 0 && st.code == 409)
        return 1; /* created meanwhile (another replica, a user) */
    if (rc != 0)
        return util_err_prefix(err, "creating StatefulSet %s again", w->c.name);
    restore_owners(w, path, live);
    return 0;
}

/* delete_and_create on the StatefulSet as the server has it (the informers' cache
 * drops managedFields, which the new one must get back), if it is still
 * the one reconcile read (cached) and not being deleted: else 1. */
static int recreate(op_run *w, const cJSON *cached, cJSON **created, util_err *err)
{
    char path[KUBE_PATH_MAX], coll[KUBE_PATH_MAX];
    kube_status st = {0};
    cJSON *live = NULL;
    const char *uid, *want = kube_meta_uid(cached);
    int rc;

    if (kube_path(path, sizeof path, "apps/v1", "statefulsets", w->c.namespace, w->c.name, NULL) !=
            0 ||
        kube_path(coll, sizeof coll, "apps/v1", "statefulsets", w->c.namespace, NULL, NULL) != 0 ||
        kube_query_add(coll, sizeof coll, "fieldManager", OP_FIELD_MANAGER) != 0)
        return util_err_set(err, "StatefulSet %s: bad name", w->c.name);
    op_run_count(w, "get");
    rc = kube_get(w->client, path, &live, &st, err);
    if (rc == KUBE_ERR_STATUS && st.code == 404)
        return 1; /* gone already: the next pass creates it */
    if (rc != 0)
        return util_err_prefix(err, "reading StatefulSet %s", w->c.name);
    uid = kube_meta_uid(live);
    if (uid == NULL || (want != NULL && strcmp(uid, want) != 0) ||
        kube_meta_str(live, "deletionTimestamp") != NULL)
        rc = 1;
    else
        rc = delete_and_create(w, live, path, coll, created, err);
    cJSON_Delete(live);
    return rc;
}

/* Grows the claims and re-creates the StatefulSet: 0 done, 1 not yet (hold
 * it), 2 not possible (w->storage_* say why), -1 on failure. */
static int grow(op_run *w, int i, const cJSON *live, const char *have, util_err *err)
{
    cJSON *claims = NULL, *created = NULL;
    int rc;

    if (read_claims(w, live, &claims, err) != 0) {
        cJSON_Delete(claims);
        return -1;
    }
    /* No claim yet: nothing to expand, the StatefulSet makes them. */
    rc = cJSON_GetArraySize(claims) == 0 ? 1 : class_expands(w, claims, have, err);
    if (rc == 1)
        rc = grow_claims(w, claims, err) == 0 ? 1 : -1;
    cJSON_Delete(claims);
    if (rc <= 0)
        return rc < 0 ? -1 : 2;
    rc = recreate(w, live, &created, err);
    if (rc != 0)
        return rc;
    util_info("%s/%s: StatefulSet created again with claims of %s; its pods were kept",
              w->c.namespace, w->c.name, w->c.storage_size);
    op_run_event(w, KUBE_EVENT_NORMAL, "StorageResized",
                 "StatefulSet %s created again with claims of %s (were %s); its pods were kept, "
                 "not restarted",
                 w->c.name, w->c.storage_size, have);
    /* The new object is the live one now (live and have are gone with the
     * old). */
    cJSON_ReplaceItemInArray(w->live, i, created);
    return 0;
}

/* The size change itself: grow, hold, or keep the live size and say why. */
static void grow_or_refuse(op_run *w)
{
    int i = sts_index(w);
    cJSON *d = cJSON_GetArrayItem(w->desired, i);
    const cJSON *live = cJSON_GetArrayItem(w->live, i);
    const char *have;
    util_err gerr = {{0}};
    int rc;

    if (i < 0 || live == NULL || cJSON_IsNull(live))
        return; /* created with the spec's size */
    if (kube_meta_str(live, "deletionTimestamp") != NULL) {
        hold(w, i);
        return;
    }
    have = op_storage_template_size(live);
    switch (op_storage_compare(have, w->c.storage_size)) {
    case OP_STORAGE_SAME:
    case OP_STORAGE_UNKNOWN:
        return;
    case OP_STORAGE_SHRINK:
        not_applied(w, OP_REASON_STORAGE_SHRINK_REFUSED,
                    "spec.storage.size cannot shrink from %s to %s: volumes can only grow; the "
                    "claims stay at %s",
                    have, w->c.storage_size, have);
        break;
    case OP_STORAGE_GROW:
        rc = grow(w, i, live, have, &gerr);
        if (rc == 0)
            return;
        if (rc == 1) {
            hold(w, i);
            return;
        }
        if (rc < 0)
            not_applied(w, OP_REASON_APPLY_FAILED, "spec.storage.size %s: %s", w->c.storage_size,
                        gerr.msg);
        break;
    }
    /* Not now: the StatefulSet keeps the size it has, the rest applies. */
    op_storage_set_template_size(d, have);
}

/* Whether the status reconcile read predates the spec it reconciles: a
 * pass after a spec change, or one whose cached copy of the KafkaCluster
 * does not yet show the status the last pass wrote. */
static bool status_behind(const op_run *w)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(w->cr, "status"), "observedGeneration");

    return !cJSON_IsNumber(g) || (long long)g->valuedouble != w->c.generation;
}

/* Every existing claim whose volume is smaller than it asks, into
 * w->storage_resizing (one that cannot be read now is left out). None
 * before the StatefulSet exists: it makes its claims at the spec's size. */
static void scan_resizing(op_run *w)
{
    int i = sts_index(w);
    const cJSON *live = i < 0 ? NULL : cJSON_GetArrayItem(w->live, i);
    cJSON *claims = NULL, *pvc;
    util_err rerr = {{0}};

    if (live == NULL || cJSON_IsNull(live))
        return;
    if (read_claims(w, live, &claims, &rerr) == 0) {
        cJSON_ArrayForEach(pvc, claims)
        {
            resizing_add(w, pvc);
        }
    }
    cJSON_Delete(claims);
}

op_outcome op_run_storage(op_run *w, util_err *err)
{
    (void)err;
    grow_or_refuse(w);
    /* The claims are read whenever the last status cannot be trusted to
     * list them: otherwise a pass that finds the StatefulSet already made
     * again would carry forward a status from before the growth. */
    if (w->storage_resizing == NULL && status_behind(w))
        scan_resizing(w);
    else if (w->storage_resizing == NULL)
        refresh_resizing(w);
    return OP_RECONCILE_DONE;
}
