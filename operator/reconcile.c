/* One KafkaCluster's reconcile (see reconcile.h for the order of work). */
#include "reconcile.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "diff.h"
#include "kube/clock.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "ledger_gc.h"
#include "readdress.h"
#include "scale_down.h"
#include "status.h"
#include "teardown.h"
#include "util/log.h"

/* Where each kind berth owns lives in the API. */
static const struct {
    const char *kind;
    const char *api_version;
    const char *resource;
} kinds[] = {
    {"Secret", "v1", "secrets"},
    {"ServiceAccount", "v1", "serviceaccounts"},
    {"Role", "rbac.authorization.k8s.io/v1", "roles"},
    {"RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings"},
    {"ConfigMap", "v1", "configmaps"},
    {"Lease", "coordination.k8s.io/v1", "leases"},
    {"Service", "v1", "services"},
    {"StatefulSet", "apps/v1", "statefulsets"},
    {"PodDisruptionBudget", "policy/v1", "poddisruptionbudgets"},
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

/* What one reconcile works on; everything here is freed by run_free. */
typedef struct run {
    op_reconciler *r;
    op_reconcile_result *res;
    cJSON *cr;
    op_cluster c;
    cJSON *nodes, *pods, *services;
    cJSON *desired; /* array, in apply order */
    cJSON *live;    /* array parallel to desired: the object or null */
    char cluster_id[23];
    bool have_id;
    char now[32];
    unsigned reformat_asked; /* voters named by berth.io/reformat-voter */
    bool reformat_done;      /* ... and every one of them is Ready again */
    op_cluster_tls tls;      /* the cluster CA and when each broker's certificate was issued */
} run;

static void run_free(run *w)
{
    cJSON_Delete(w->cr);
    cJSON_Delete(w->nodes);
    cJSON_Delete(w->pods);
    cJSON_Delete(w->services);
    cJSON_Delete(w->desired);
    cJSON_Delete(w->live);
    op_cluster_tls_clear(&w->tls);
}

static void count(op_reconciler *r, const char *verb)
{
    if (r->metrics != NULL)
        util_metrics_add(r->metrics, "berth_operator_api_requests_total",
                         (const char *[]){"verb", verb, NULL}, 1, NULL);
}

static int kind_index(const cJSON *obj)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");

    for (size_t i = 0; i < NKINDS; i++)
        if (cJSON_IsString(k) && strcmp(k->valuestring, kinds[i].kind) == 0)
            return (int)i;
    return -1;
}

static int object_path(const cJSON *obj, char *path, size_t size)
{
    int k = kind_index(obj);

    if (k < 0)
        return -1;
    return kube_path(path, size, kinds[k].api_version, kinds[k].resource, kube_meta_namespace(obj),
                     kube_meta_name(obj), NULL);
}

static void now_rfc3339(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void event(run *w, kube_event_type type, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void event(run *w, kube_event_type type, const char *reason, const char *fmt, ...)
{
    kube_event_ref ref = {0};
    char msg[KUBE_EVENTS_NOTE_MAX];
    va_list ap;

    if (w->r->events == NULL || w->cr == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ref.api_version = OP_API_VERSION;
    ref.kind = OP_KIND;
    ref.namespace = kube_meta_namespace(w->cr);
    ref.name = kube_meta_name(w->cr);
    ref.uid = kube_meta_uid(w->cr);
    kube_event_record(w->r->events, &ref, type, reason, "%s", msg);
}

static const cJSON *condition(const cJSON *status, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");

        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
            return c;
    }
    return NULL;
}

/* An Event for every condition whose status or reason changed: what a user
 * reading `kubectl describe` wants to see, once per change. */
static void condition_events(run *w, const cJSON *old, const cJSON *now)
{
    static const char *const types[] = {"Reconciled", "Ready", "Degraded"};

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const cJSON *o = condition(old, types[i]), *n = condition(now, types[i]);
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(n, "status");
        const cJSON *nr = cJSON_GetObjectItemCaseSensitive(n, "reason");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(n, "message");
        bool bad;

        if (!cJSON_IsString(ns) || !cJSON_IsString(nr) || !cJSON_IsString(nm))
            continue;
        if (o != NULL && cJSON_Compare(cJSON_GetObjectItemCaseSensitive(o, "status"), ns, 1) &&
            cJSON_Compare(cJSON_GetObjectItemCaseSensitive(o, "reason"), nr, 1))
            continue;
        /* Reconciled=False and Degraded=True are warnings; the rest news. */
        bad = (strcmp(types[i], "Degraded") == 0) == (strcmp(ns->valuestring, "True") == 0);
        if (strcmp(types[i], "Ready") == 0)
            bad = false;
        event(w, bad ? KUBE_EVENT_WARNING : KUBE_EVENT_NORMAL, nr->valuestring, "%s: %s", types[i],
              nm->valuestring);
    }
}

/* An Event for every broker that advertises an address it did not at the
 * last status: where a new or moved broker is now reachable. */
static void address_events(run *w, const cJSON *old, const cJSON *now)
{
    const cJSON *b;
    char msg[KUBE_EVENTS_NOTE_MAX];

    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(now, "brokers"))
    {
        if (op_status_address_news(old, b, msg, sizeof msg))
            event(w, KUBE_EVENT_NORMAL, "BrokerAddress", "%s", msg);
    }
}

/* Writes status if it differs from what the object has: 1 written, 0 it
 * was already so, -1 on failure. Takes status. */
static int write_status(run *w, cJSON *status, util_err *err)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(w->cr, "status");
    char path[KUBE_PATH_MAX];
    cJSON *obj, *m;
    int rc;

    if (old != NULL && cJSON_Compare(status, old, 1)) {
        cJSON_Delete(status);
        return 0;
    }
    if (kube_path(path, sizeof path, OP_API_VERSION, OP_RESOURCE, kube_meta_namespace(w->cr),
                  kube_meta_name(w->cr), NULL) != 0) {
        cJSON_Delete(status);
        return util_err_set(err, "status: bad name");
    }
    obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "apiVersion", OP_API_VERSION);
    cJSON_AddStringToObject(obj, "kind", OP_KIND);
    m = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(m, "name", kube_meta_name(w->cr));
    cJSON_AddStringToObject(m, "namespace", kube_meta_namespace(w->cr));
    cJSON_AddItemToObject(obj, "status", status);
    count(w->r, "apply_status");
    w->res->writes++;
    rc = kube_apply_status(w->r->client, path, obj, OP_FIELD_MANAGER, true, NULL, NULL, err);
    if (rc == 0) {
        condition_events(w, old, status);
        address_events(w, old, status);
    }
    cJSON_Delete(obj);
    return rc == 0 ? 1 : -1;
}

/* Reports a refusal in status and ends the reconcile without applying
 * anything: retrying cannot help until the spec or the cluster changes. */
static int refuse(run *w, const char *reason, const char *message, util_err *err)
{
    cJSON *st;
    int rc;

    st = op_status_refused(cJSON_GetObjectItemCaseSensitive(w->cr, "status"),
                           op_cluster_generation(w->cr), reason, message, w->now);
    rc = write_status(w, st, err);
    /* Said once, when the status takes it in; a resync repeats nothing. */
    if (rc > 0)
        util_warn("reconcile %s/%s: %s: %s", kube_meta_namespace(w->cr), kube_meta_name(w->cr),
                  reason, message);
    return rc < 0 ? -1 : 0;
}

int op_owner_conflict(const cJSON *live, const char *uid, const char *kind, const char *name,
                      char *msg, size_t size)
{
    const char *owner;

    if (live == NULL || cJSON_IsNull(live))
        return 0;
    owner = kube_meta_controller_uid(live);
    if (owner != NULL && uid != NULL && strcmp(owner, uid) == 0)
        return 0;
    if (owner != NULL)
        snprintf(msg, size, "%s %s already exists and is controlled by another owner", kind, name);
    else
        snprintf(msg, size,
                 "%s %s already exists and is not owned by this KafkaCluster; berth does not "
                 "take over objects it did not create: delete or rename it",
                 kind, name);
    return 1;
}

/* Refuses (NameConflict) when live, the object kind/name, is not this
 * cluster's to write: see op_owner_conflict. Returns 0 to go on, 1 after
 * refusing, or -1. */
static int refuse_foreign(run *w, const cJSON *live, const char *kind, const char *name,
                          util_err *err)
{
    char msg[512];

    if (op_owner_conflict(live, w->c.uid, kind, name, msg, sizeof msg) == 0)
        return 0;
    return refuse(w, "NameConflict", msg, err) == 0 ? 1 : -1;
}

/* The cluster ID: the one the brokers ConfigMap records (the brokers were
 * formatted with it), else spec.clusterID, else the one in status, else a
 * new one. Returns 0, 1 after refusing (mismatch), or -1. */
static int choose_cluster_id(run *w, const cJSON *brokers_cm, util_err *err)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(w->cr, "status");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(st, "clusterID");
    char msg[256];
    int rc;

    if (w->c.flavor != OP_FLAVOR_KAFKA)
        return 0;
    if (brokers_cm != NULL) {
        rc = op_brokers_cm_cluster_id(brokers_cm, w->cluster_id, sizeof w->cluster_id);
        if (rc < 0) {
            snprintf(msg, sizeof msg,
                     "ConfigMap %s-brokers holds no valid clusterID; fix or "
                     "delete it",
                     w->c.name);
            return refuse(w, "ClusterIDUnreadable", msg, err) == 0 ? 1 : -1;
        }
        w->have_id = rc == 0;
    }
    if (w->have_id && w->c.cluster_id != NULL && strcmp(w->c.cluster_id, w->cluster_id) != 0) {
        snprintf(msg, sizeof msg,
                 "spec.clusterID %s differs from %s, the ID the brokers were formatted with",
                 w->c.cluster_id, w->cluster_id);
        return refuse(w, "ClusterIDMismatch", msg, err) == 0 ? 1 : -1;
    }
    if (w->have_id)
        return 0;
    if (w->c.cluster_id != NULL)
        snprintf(w->cluster_id, sizeof w->cluster_id, "%s", w->c.cluster_id);
    else if (cJSON_IsString(sid) && strlen(sid->valuestring) == 22)
        snprintf(w->cluster_id, sizeof w->cluster_id, "%s", sid->valuestring);
    else if (op_cluster_id_new(w->cluster_id, sizeof w->cluster_id, err) != 0)
        return -1;
    w->have_id = true;
    return 0;
}

static void add_all(cJSON *dst, cJSON *src)
{
    cJSON *e;

    while (src != NULL && (e = cJSON_DetachItemViaPointer(src, src->child)) != NULL)
        cJSON_AddItemToArray(dst, e);
    cJSON_Delete(src);
}

static const cJSON *find_named(const cJSON *items, const char *name)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, items)
    {
        const char *n = kube_meta_name(o);

        if (n != NULL && strcmp(n, name) == 0)
            return o;
    }
    return NULL;
}

/* The voters whose pod is Ready now, as a bit mask. */
static unsigned ready_voters(const run *w)
{
    unsigned m = 0;

    for (int id = 0; id < w->c.controllers && id < 9; id++) {
        char name[OP_NAME_MAX + 16];
        const cJSON *pod, *cond;

        snprintf(name, sizeof name, "%s-%d", w->c.name, id);
        pod = find_named(w->pods, name);
        if (pod == NULL || kube_meta_str(pod, "deletionTimestamp") != NULL)
            continue;
        cJSON_ArrayForEach(cond, cJSON_GetObjectItemCaseSensitive(
                                     cJSON_GetObjectItemCaseSensitive(pod, "status"), "conditions"))
        {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(cond, "type");
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(cond, "status");

            if (cJSON_IsString(t) && strcmp(t->valuestring, "Ready") == 0 && cJSON_IsString(st) &&
                strcmp(st->valuestring, "True") == 0)
                m |= 1u << id;
        }
    }
    return m;
}

/* The voter ids of the annotation berth.io/reformat-voter ("1" or "0,2"),
 * as a bit mask; ids that are not voters are ignored with a warning. */
static unsigned reformat_annotation(const run *w)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(w->cr, "metadata");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "annotations");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, OP_REFORMAT_ANNOTATION);
    unsigned mask = 0;
    const char *p;

    if (!cJSON_IsString(v))
        return 0;
    for (p = v->valuestring; *p != '\0';) {
        char *end;
        long id = strtol(p, &end, 10);

        if (end == p || id < 0 || id >= w->c.controllers) {
            util_warn("%s/%s: annotation %s: \"%.32s\" is not a list of voter ids (0..%d)",
                      w->c.namespace, w->c.name, OP_REFORMAT_ANNOTATION, v->valuestring,
                      w->c.controllers - 1);
            return 0;
        }
        mask |= 1u << id;
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0')
            return 0;
    }
    return mask;
}

/* Builds the desired objects in apply order: the sidecar's identity first,
 * then its data, the Services, the StatefulSet, the budget. Returns 0, or
 * 1 after refusing. */
/* The cluster CA's Secrets, first in w->desired: init steps wait for
 * their broker's certificate in them. Returns 0, 1 after refusing (the
 * live CA cannot be used), or -1. */
static int build_tls(run *w, util_err *err)
{
    char ca_name[OP_NAME_MAX + 32], certs_name[OP_NAME_MAX + 32], msg[UTIL_ERR_MAX + 128];
    cJSON *live_ca = NULL, *live_certs = NULL, *secrets;
    util_err terr = {{0}};
    int rc;

    /* spec.clusterCA names the user's own CA Secret; else berth's. */
    if (w->c.ca_secret != NULL)
        snprintf(ca_name, sizeof ca_name, "%s", w->c.ca_secret);
    else
        op_name(&w->c, OP_CA_SECRET_SUFFIX, ca_name, sizeof ca_name);
    op_name(&w->c, OP_CERTS_SECRET_SUFFIX, certs_name, sizeof certs_name);
    if (w->r->lister->get(w->r->lister, "v1", "secrets", w->c.namespace, ca_name, &live_ca, err) <
            0 ||
        w->r->lister->get(w->r->lister, "v1", "secrets", w->c.namespace, certs_name, &live_certs,
                          err) < 0) {
        cJSON_Delete(live_ca);
        return -1;
    }
    /* A CA key in a Secret berth did not write is never trusted, nor
     * reported as an invalid CA: it is a name conflict (unless the spec
     * names it as the user's CA). */
    rc = w->c.ca_secret != NULL ? 0 : refuse_foreign(w, live_ca, "Secret", ca_name, err);
    if (rc == 0)
        rc = refuse_foreign(w, live_certs, "Secret", certs_name, err);
    if (rc != 0) {
        cJSON_Delete(live_ca);
        cJSON_Delete(live_certs);
        return rc;
    }
    rc = op_cluster_tls_build(&w->c, w->r->opts.cluster_domain, &w->r->opts.certs, live_ca,
                              live_certs, w->pods, w->nodes, w->services, (long long)time(NULL),
                              &w->tls, &secrets, &terr);
    cJSON_Delete(live_ca);
    cJSON_Delete(live_certs);
    if (rc > 0) {
        snprintf(msg, sizeof msg, "Secret %s%s: %s", ca_name,
                 w->c.ca_secret != NULL ? " (spec.clusterCA)" : "", terr.msg);
        return refuse(w, "ClusterCAInvalid", msg, err) == 0 ? 1 : -1;
    }
    if (rc < 0)
        return util_err_set(err, "cluster CA: %s", terr.msg);
    if (w->tls.reissued > 0)
        util_info("%s/%s: issued %d certificate%s (first %s)", w->c.namespace, w->c.name,
                  w->tls.reissued, w->tls.reissued == 1 ? "" : "s", w->tls.why);
    add_all(w->desired, secrets);
    return 0;
}

static int build_desired(run *w, const cJSON *brokers_cm, util_err *err)
{
    const char *id = w->c.flavor == OP_FLAVOR_KAFKA ? w->cluster_id : NULL;
    cJSON *o;
    util_err berr = {{0}};
    int rc;

    if ((rc = choose_cluster_id(w, brokers_cm, err)) != 0)
        return rc;
    w->desired = cJSON_CreateArray();
    if ((rc = build_tls(w, err)) != 0)
        return rc;
    add_all(w->desired, op_desired_rbac(&w->c, &berr));
    if ((o = op_desired_brokers_cm(&w->c, &w->r->opts, id, w->nodes, w->services, &berr)) == NULL)
        return refuse(w, "InvalidSpec", berr.msg, err) == 0 ? 1 : -1;
    if (w->c.flavor == OP_FLAVOR_KAFKA) {
        op_voters v = {0, 0};
        unsigned ready = ready_voters(w);

        if (brokers_cm != NULL)
            op_brokers_cm_voters(brokers_cm, &v);
        v.formatted |= ready;
        w->reformat_asked = reformat_annotation(w);
        v.reformat = w->reformat_asked & ~ready;
        w->reformat_done = w->reformat_asked != 0 && v.reformat == 0;
        if (op_brokers_cm_voters_put(o, &v, &berr) != 0) {
            cJSON_Delete(o);
            return util_err_set(err, "%s", berr.msg);
        }
    }
    cJSON_AddItemToArray(w->desired, o);
    add_all(w->desired, op_desired_drain(&w->c, &berr));
    add_all(w->desired, op_desired_services(&w->c, &berr));
    if ((o = op_desired_statefulset(&w->c, &w->r->opts, &berr)) == NULL)
        return refuse(w, "InvalidSpec", berr.msg, err) == 0 ? 1 : -1;
    cJSON_AddItemToArray(w->desired, o);
    cJSON_AddItemToArray(w->desired, op_desired_pdb(&w->c, &berr));
    return 0;
}

/* Reads the live counterpart of every desired object and refuses when one
 * exists that this cluster does not control (op_owner_conflict): nothing
 * is applied while any does. Returns 0, 1 after refusing, or -1. */
static int read_live(run *w, util_err *err)
{
    const cJSON *d;

    w->live = cJSON_CreateArray();
    cJSON_ArrayForEach(d, w->desired)
    {
        int k = kind_index(d);
        const char *name = kube_meta_name(d);
        cJSON *live = NULL;
        int rc;

        if (strcmp(kinds[k].kind, "Service") == 0) {
            const cJSON *s = find_named(w->services, name);
            live = s != NULL ? cJSON_Duplicate(s, 1) : NULL;
            /* Services outside our label selector are still ours to check. */
            if (live == NULL &&
                w->r->lister->get(w->r->lister, kinds[k].api_version, kinds[k].resource,
                                  w->c.namespace, name, &live, err) < 0)
                return -1;
        } else if (w->r->lister->get(w->r->lister, kinds[k].api_version, kinds[k].resource,
                                     w->c.namespace, name, &live, err) < 0) {
            return -1;
        }
        if ((rc = refuse_foreign(w, live, kinds[k].kind, name, err)) != 0) {
            cJSON_Delete(live);
            return rc;
        }
        cJSON_AddItemToArray(w->live, live != NULL ? live : cJSON_CreateNull());
    }
    return 0;
}

/* The live object of the desired kind named name (any name when NULL),
 * borrowed from w->live; NULL when it does not exist yet. */
static const cJSON *live_of(const run *w, const char *kind, const char *name)
{
    const cJSON *d, *l = w->live->child, *found = NULL;

    cJSON_ArrayForEach(d, w->desired)
    {
        int k = kind_index(d);

        if (k >= 0 && strcmp(kinds[k].kind, kind) == 0 && !cJSON_IsNull(l) &&
            (name == NULL || strcmp(kube_meta_name(d), name) == 0))
            found = l;
        l = l->next;
    }
    return found;
}

/* op_scale_down_check over the cluster's mutual TLS, as berth-operator. */
static int scale_down_check_tls(run *w, const char *hostport, int have, char *msg, size_t size,
                                util_err *err)
{
    char *cert = NULL, *key = NULL;
    kafka_tls *tls = NULL;
    kafka_tls_opts o = {0};
    int rc = -1;

    if (op_cluster_tls_operator_cert(&w->tls, (long long)time(NULL), &cert, &key, err) == 0) {
        o.ca_pem = w->tls.ca_cert_pem;
        o.cert_pem = cert;
        o.key_pem = key;
        if (kafka_tls_new(&o, &tls, err) == 0)
            rc = op_scale_down_check(hostport, tls, w->c.replicas, have, msg, size, err);
    }
    kafka_tls_free(tls);
    free(cert);
    free(key);
    return rc;
}

/* Refuses a scale-down while the leaving brokers hold partition replicas
 * (scale_down.h). Returns 0 to go on, 1 after refusing, -1. */
static int guard_scale_down(run *w, util_err *err)
{
    const cJSON *sts = live_of(w, "StatefulSet", NULL), *rep, *m, *a, *ann;
    char hostport[600], msg[512], why[UTIL_ERR_MAX + 160];
    util_err cerr = {{0}};
    int have, rc;

    rep =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"), "replicas");
    if (!cJSON_IsNumber(rep) || (have = rep->valueint) <= w->c.replicas)
        return 0;
    m = cJSON_GetObjectItemCaseSensitive(w->cr, "metadata");
    a = cJSON_GetObjectItemCaseSensitive(m, "annotations");
    ann = cJSON_GetObjectItemCaseSensitive(a, OP_ADMIN_BOOTSTRAP_ANNOTATION);
    if (cJSON_IsString(ann) && w->r->opts.admin_bootstrap_annotation) {
        snprintf(hostport, sizeof hostport, "%s", ann->valuestring);
        rc = op_scale_down_check(hostport, NULL, w->c.replicas, have, msg, sizeof msg, &cerr);
    } else {
        /* Broker 0 stays; its REPLICATION listener takes the operator's
         * own client certificate. */
        char dns[512];

        op_pod_dns(&w->c, 0, w->r->opts.cluster_domain, dns, sizeof dns);
        snprintf(hostport, sizeof hostport, "%s:%d", dns, w->c.replication_port);
        rc = scale_down_check_tls(w, hostport, have, msg, sizeof msg, &cerr);
    }
    if (rc == 0) {
        util_info("%s/%s: brokers %d..%d hold no replicas: scaling down", w->c.namespace, w->c.name,
                  w->c.replicas, have - 1);
        return 0;
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
    return refuse(w, rc > 0 ? "ScaleDownBlocked" : "ScaleDownUnverified", why, err) == 0 ? 1 : -1;
}

/* Applies what differs. The first failure's reason and message go to
 * *reason/msg; others are still attempted, so one bad Service does not
 * hold back the rest. Returns the number of failures. */
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

static int apply_changes(run *w, const char **reason, char *msg, size_t msg_size)
{
    const cJSON *d, *l = w->live->child;
    char created_list[KUBE_EVENTS_NOTE_MAX - 16] = "", updated_list[KUBE_EVENTS_NOTE_MAX - 32] = "";
    int failures = 0;

    cJSON_ArrayForEach(d, w->desired)
    {
        char path[KUBE_PATH_MAX];
        kube_status st = {0};
        util_err aerr = {{0}};
        bool created = cJSON_IsNull(l);

        if (!created && op_subset(d, l)) {
            l = l->next;
            continue;
        }
        l = l->next;
        if (object_path(d, path, sizeof path) != 0)
            continue;
        count(w->r, "apply");
        w->res->writes++;
        if (kube_apply(w->r->client, path, d, OP_FIELD_MANAGER, true, NULL, &st, &aerr) == 0) {
            const char *kind = cJSON_GetObjectItem(d, "kind")->valuestring;

            util_info("applied %s %s/%s", kind, w->c.namespace, kube_meta_name(d));
            if (created)
                list_add(created_list, sizeof created_list, kind, kube_meta_name(d));
            else
                list_add(updated_list, sizeof updated_list, kind, kube_meta_name(d));
            continue;
        }
        util_warn("apply %s: %s", path, aerr.msg);
        if (failures++ == 0) {
            bool port = st.code == 422 && strstr(st.message, "port") != NULL &&
                        strstr(st.message, "allocated") != NULL;
            *reason = port ? "NodePortConflict" : st.code == 422 ? "Invalid" : "ApplyFailed";
            snprintf(msg, msg_size, "%s", aerr.msg);
        }
    }
    /* One Event per kind of change, not one per object: a new cluster is
     * a dozen objects, and the recorder writes about one Event a second. */
    if (created_list[0] != '\0')
        event(w, KUBE_EVENT_NORMAL, "Created", "created %s", created_list);
    if (updated_list[0] != '\0')
        event(w, KUBE_EVENT_NORMAL, "Updated", "updated %s to match the spec", updated_list);
    return failures;
}

/* Deletes berth's per-broker Services that are no longer wanted. */
static int prune_services(run *w, util_err *err)
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
            const char *dn = kube_meta_name(d);
            if (kind_index(d) >= 0 && strcmp(kinds[kind_index(d)].kind, "Service") == 0 &&
                strcmp(dn, name) == 0)
                wanted = true;
        }
        if (wanted ||
            kube_path(path, sizeof path, "v1", "services", w->c.namespace, name, NULL) != 0)
            continue;
        opts.uid = kube_meta_uid(s);
        count(w->r, "delete");
        w->res->writes++;
        if (kube_delete_with(w->r->client, path, &opts, NULL, &st, err) != 0 && st.code != 404)
            return -1;
        util_info("deleted Service %s/%s: no longer wanted", w->c.namespace, name);
        event(w, KUBE_EVENT_NORMAL, "Deleted", "deleted Service %s: no longer wanted", name);
    }
    return 0;
}

/* Removes berth.io/reformat-voter once every voter it named is Ready
 * again: the recovery is over, and a later empty volume is refused again. */
static int clear_reformat(run *w, util_err *err)
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
    count(w->r, "patch");
    w->res->writes++;
    rc = kube_merge_patch(w->r->client, path, patch, NULL, NULL, err);
    cJSON_Delete(patch);
    if (rc == 0)
        event(w, KUBE_EVENT_NORMAL, "VoterReformatted",
              "the voters named by %s are Ready again; the annotation is removed",
              OP_REFORMAT_ANNOTATION);
    return rc == 0 ? 0 : -1;
}

/* Drops the drain-ledger entries of broker ids the cluster no longer has
 * (ledger_gc.h); asks the API server only when the cached ledger names one. */
static int clean_ledger(run *w, util_err *err)
{
    char name[OP_NAME_MAX + 16];
    int dropped = 0;

    op_name(&w->c, "-drain", name, sizeof name);
    if (!op_ledger_names_removed(live_of(w, "ConfigMap", name), w->c.replicas))
        return 0;
    count(w->r, "get");
    if (op_ledger_gc(w->r->client, w->c.namespace, name, w->c.replicas, &dropped, err) != 0)
        return -1;
    if (dropped > 0) {
        count(w->r, "update");
        w->res->writes++;
        util_info("%s/%s: removed %d drain-ledger entries of broker ids %d and above",
                  w->c.namespace, w->c.name, dropped, w->c.replicas);
        event(w, KUBE_EVENT_NORMAL, "LedgerCleaned",
              "removed %d drain-ledger entries that name broker ids %d and above, which no "
              "longer exist",
              dropped, w->c.replicas);
    }
    return 0;
}

static int split_key(const char *key, char *ns, size_t ns_size, char *name, size_t name_size)
{
    const char *slash = strchr(key, '/');

    if (slash == NULL || slash == key || slash[1] == '\0' || (size_t)(slash - key) >= ns_size ||
        strlen(slash + 1) >= name_size)
        return -1;
    memcpy(ns, key, (size_t)(slash - key));
    ns[slash - key] = '\0';
    snprintf(name, name_size, "%s", slash + 1);
    return 0;
}

/* A KafkaCluster marked for deletion: one pass of teardown.h's steps. */
static int tear_down(run *w, util_err *err)
{
    op_teardown_result t;
    kube_time now = kube_time_now(NULL);

    if (op_teardown(w->r->client, w->r->lister, w->cr, now.wall, &t, err) != 0)
        return -1;
    w->res->writes += t.writes;
    w->res->requeue_after_ms = t.requeue_after_ms;
    if (t.stopping)
        event(w, KUBE_EVENT_NORMAL, "Deleting",
              "stopping every broker at once, with no drain: the cluster is being deleted");
    if (t.gave_up)
        event(w, KUBE_EVENT_WARNING, "BrokersOutlivedGrace",
              "%d broker pods still there past their grace period; deletion goes on without "
              "them",
              t.pods_left);
    if (t.released && t.writes > 0)
        util_info("reconcile %s/%s: brokers stopped; the garbage collector takes the rest",
                  kube_meta_namespace(w->cr), kube_meta_name(w->cr));
    return 0;
}

static int reconcile(run *w, const char *key, util_err *err)
{
    op_reconciler *r = w->r;
    char ns[64], name[256], sel[256], cm_name[OP_NAME_MAX + 16], msg[UTIL_ERR_MAX];
    char restart[4096];
    const char *reason = NULL;
    cJSON *brokers_cm = NULL, *status;
    util_err perr = {{0}};
    op_status_input in = {0};
    int rc;

    if (split_key(key, ns, sizeof ns, name, sizeof name) != 0)
        return util_err_set(err, "key \"%.64s\" is not namespace/name", key);
    rc = r->lister->get(r->lister, OP_API_VERSION, OP_RESOURCE, ns, name, &w->cr, err);
    if (rc != 0)
        return rc > 0 ? 0 : -1; /* gone: the garbage collector cleans up */
    if (kube_meta_str(w->cr, "deletionTimestamp") != NULL)
        return tear_down(w, err);
    if (op_teardown_hold(r->client, w->cr, &w->res->writes, err) != 0)
        return -1;
    if (op_cluster_parse(w->cr, &w->c, &perr) != 0)
        return refuse(w, "InvalidSpec", perr.msg, err);

    if (r->lister->list(r->lister, "v1", "nodes", NULL, NULL, &w->nodes, err) != 0)
        return -1;
    snprintf(sel, sizeof sel,
             "app.kubernetes.io/name=%s,app.kubernetes.io/instance=%s,"
             "app.kubernetes.io/component=broker",
             op_flavor_name(w->c.flavor), w->c.name);
    if (r->lister->list(r->lister, "v1", "pods", ns, sel, &w->pods, err) != 0)
        return -1;
    if (op_owned_selector(&w->c, sel, sizeof sel) != 0 ||
        r->lister->list(r->lister, "v1", "services", ns, sel, &w->services, err) != 0)
        return -1;
    rc = r->lister->get(r->lister, "v1", "configmaps", ns,
                        op_name(&w->c, "-brokers", cm_name, sizeof cm_name), &brokers_cm, err);
    if (rc < 0)
        return -1;
    /* Its clusterID is believed only when berth wrote it. */
    if ((rc = refuse_foreign(w, brokers_cm, "ConfigMap", cm_name, err)) != 0) {
        cJSON_Delete(brokers_cm);
        return rc > 0 ? 0 : -1;
    }
    rc = build_desired(w, brokers_cm, err);
    cJSON_Delete(brokers_cm);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    if ((rc = read_live(w, err)) != 0)
        return rc > 0 ? 0 : -1;
    if ((rc = guard_scale_down(w, err)) != 0)
        return rc > 0 ? 0 : -1;

    if (apply_changes(w, &reason, msg, sizeof msg) == 0 && prune_services(w, err) != 0)
        return -1;
    if (reason == NULL && clean_ledger(w, err) != 0)
        return -1;
    if (reason == NULL) {
        rc =
            op_readdress(r->client, r->metrics, &w->c, r->opts.cluster_domain, w->pods, w->nodes,
                         w->services, w->tls.issued, &w->res->writes, restart, sizeof restart, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            in.restart_message = restart;
        if (rc == 2)
            event(w, KUBE_EVENT_NORMAL, "Restarting", "%s", restart);
    }

    in.c = &w->c;
    in.o = &r->opts;
    in.cluster_id = w->c.flavor == OP_FLAVOR_KAFKA ? w->cluster_id : NULL;
    in.pods = w->pods;
    in.nodes = w->nodes;
    in.services = w->services;
    in.old_status = cJSON_GetObjectItemCaseSensitive(w->cr, "status");
    in.apply_reason = reason;
    in.apply_message = reason != NULL ? msg : NULL;
    in.now = w->now;
    status = op_status_build(&in);
    {
        const cJSON *ready = cJSON_GetObjectItemCaseSensitive(status, "readyReplicas");
        const cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions"), *c;

        if (!cJSON_IsNumber(ready) || ready->valueint != w->c.replicas)
            w->res->requeue_after_ms = 15000;
        if (in.restart_message != NULL)
            w->res->requeue_after_ms = 3000;
        cJSON_ArrayForEach(c, conds)
        {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");

            if (strcmp(t->valuestring, "Degraded") == 0 && strcmp(s->valuestring, "True") == 0)
                w->res->requeue_after_ms = 15000;
        }
    }
    if (write_status(w, status, err) < 0)
        return -1;
    if (w->reformat_done && clear_reformat(w, err) != 0)
        return -1;
    if (reason != NULL && strcmp(reason, "NodePortConflict") != 0 && strcmp(reason, "Invalid") != 0)
        return util_err_set(err, "%s", msg);
    return 0;
}

int op_reconcile(op_reconciler *r, const char *key, op_reconcile_result *res, util_err *err)
{
    run w;
    int rc;

    memset(&w, 0, sizeof w);
    memset(res, 0, sizeof *res);
    w.r = r;
    w.res = res;
    now_rfc3339(w.now, sizeof w.now);
    rc = reconcile(&w, key, err);
    if (rc != 0)
        util_err_prefix(err, "reconcile %s", key);
    run_free(&w);
    return rc;
}
