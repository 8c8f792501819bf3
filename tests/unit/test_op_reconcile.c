/* op_reconcile end to end without a cluster: it reads through an in-memory
 * op_lister (the objects a test puts there) and writes to a scripted API
 * server (support/api_script.h) that records every request. Proves the
 * four ways a reconcile ends:
 * - create: nothing of the cluster exists, so every owned object is
 *   applied (server-side apply, PATCH, as berth-operator, forced) and the
 *   status written; the brokers are not Ready yet, so it asks to look again;
 * - no-op: everything the server holds matches, so not one write is sent;
 * - conflict: a 409 on an apply is a failure a retry may fix (RETRY, err
 *   names it), the objects after it are not applied, and the status says
 *   ApplyFailed;
 * - a failed apply stops there: the second object's apply fails, nothing
 *   after it is written, the outcome is a retry (the controller's
 *   backoff), the status and an Event name the object;
 * - refusal: a 422 on an apply is not retried (REFUSED), and the status
 *   says Invalid or NodePortConflict; a spec the operator refuses itself
 *   writes nothing but the status; so does an image whose Kafka release
 *   supports less than the finalized metadata.version (DowngradeRefused,
 *   with a Warning Event), while a newer one is applied. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/config.h"
#include "kube/events.h"
#include "kube/object.h"
#include "operator/reconcile.h"
#include "operator/storage.h"
#include "support/api_script.h"

#define CR_UID "5d1e6c1a-0000-4000-8000-00000000c0de"

static const char *const cr_json =
    "{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
    "\"metadata\":{\"name\":\"demo\",\"namespace\":\"kafka\",\"uid\":\"" CR_UID "\","
    "\"generation\":3,\"resourceVersion\":\"41\",\"finalizers\":[\"berth.io/teardown\"]},"
    "\"spec\":{\"image\":\"apache/kafka:4.4.0\",\"replicas\":3,\"controllers\":1,"
    "\"listeners\":[{\"name\":\"internal\",\"port\":9092,\"type\":\"internal\"},"
    "{\"name\":\"external\",\"port\":9094,\"type\":\"nodeport\",\"nodePortBase\":31090}]}}";

/* ---- the in-memory lister: objects by resource ---------------------- */

typedef struct mem_lister {
    op_lister base;
    cJSON *items; /* [{"resource": r, "object": o}] */
    int gets, lists;
    cJSON *asked; /* "resource/name" of each get, in order */
} mem_lister;

static void mem_put(mem_lister *m, const char *resource, cJSON *obj)
{
    cJSON *e = cJSON_CreateObject();

    cJSON_AddStringToObject(e, "resource", resource);
    cJSON_AddItemToObject(e, "object", obj);
    cJSON_AddItemToArray(m->items, e);
}

static bool labels_match(const cJSON *obj, const char *selector)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
    char buf[512], *save = NULL, *kv;

    if (selector == NULL)
        return true;
    snprintf(buf, sizeof buf, "%s", selector);
    for (kv = strtok_r(buf, ",", &save); kv != NULL; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        const cJSON *v;

        ck_assert_ptr_nonnull(eq); /* reconcile selects by equality only */
        *eq = '\0';
        v = cJSON_GetObjectItemCaseSensitive(labels, kv);
        if (!cJSON_IsString(v) || strcmp(v->valuestring, eq + 1) != 0)
            return false;
    }
    return true;
}

static bool in_scope(const cJSON *e, const char *resource, const char *ns)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "object");
    const char *ons = kube_meta_namespace(o);

    return strcmp(cJSON_GetObjectItemCaseSensitive(e, "resource")->valuestring, resource) == 0 &&
           (ns == NULL || (ons != NULL && strcmp(ons, ns) == 0));
}

static int mem_get(op_lister *l, const char *api_version, const char *resource, const char *ns,
                   const char *name, cJSON **out, util_err *err)
{
    mem_lister *m = l->ctx;
    const cJSON *e;

    char asked[320];

    (void)api_version;
    (void)err;
    m->gets++;
    snprintf(asked, sizeof asked, "%s/%s", resource, name);
    cJSON_AddItemToArray(m->asked, cJSON_CreateString(asked));
    cJSON_ArrayForEach(e, m->items)
    {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "object");

        if (in_scope(e, resource, ns) && strcmp(kube_meta_name(o), name) == 0) {
            *out = cJSON_Duplicate(o, 1);
            return 0;
        }
    }
    return 1;
}

static int mem_list(op_lister *l, const char *api_version, const char *resource, const char *ns,
                    const char *label_selector, cJSON **out, util_err *err)
{
    mem_lister *m = l->ctx;
    const cJSON *e;

    (void)api_version;
    (void)err;
    m->lists++;
    *out = cJSON_CreateArray();
    cJSON_ArrayForEach(e, m->items)
    {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "object");

        if (in_scope(e, resource, ns) && labels_match(o, label_selector))
            cJSON_AddItemToArray(*out, cJSON_Duplicate(o, 1));
    }
    return 0;
}

static void mem_init(mem_lister *m)
{
    memset(m, 0, sizeof *m);
    m->base.get = mem_get;
    m->base.list = mem_list;
    m->base.ctx = m;
    m->items = cJSON_CreateArray();
    m->asked = cJSON_CreateArray();
    mem_put(m, "kafkaclusters", cJSON_Parse(cr_json));
}

static cJSON *mem_object(mem_lister *m, const char *resource, const char *name)
{
    cJSON *e;

    cJSON_ArrayForEach(e, m->items)
    {
        cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "object");

        if (in_scope(e, resource, NULL) && strcmp(kube_meta_name(o), name) == 0)
            return o;
    }
    return NULL;
}

/* Removes obj (as mem_object returned it) from the lister. */
static void mem_drop(mem_lister *m, const cJSON *obj)
{
    int i = 0;
    cJSON *e;

    cJSON_ArrayForEach(e, m->items)
    {
        if (cJSON_GetObjectItemCaseSensitive(e, "object") == obj) {
            cJSON_DeleteItemFromArray(m->items, i);
            return;
        }
        i++;
    }
}

/* ---- one test's world ------------------------------------------------ */

typedef struct world {
    api_script *api;
    kube_client *client;
    mem_lister lister;
    op_reconciler r;
    op_reconcile_result res;
    util_err err;
} world;

static void world_start(world *w)
{
    memset(w, 0, sizeof *w);
    w->api = api_script_start();
    w->client = api_script_kube_client(w->api);
    mem_init(&w->lister);
    w->r.client = w->client;
    w->r.lister = &w->lister.base;
    w->r.opts.sidecar_image = "localhost/berth-sidecar:test";
    w->r.opts.cluster_domain = "cluster.local";
    w->r.opts.certs = op_cert_policy_default;
}

/* Gives the reconciler an Event recorder writing to the scripted server. */
static void world_record_events(world *w)
{
    char srv[64];
    kube_config cfg = {.server = srv, .namespace = (char *)"default"};
    kube_event_recorder_options o = {.controller = "berth.io/operator", .instance = "test"};

    api_script_url(w->api, srv, sizeof srv);
    ck_assert_msg(kube_event_recorder_new(&cfg, &o, &w->r.events, &w->err) == 0, "%s", w->err.msg);
}

/* Waits for the recorder's writes to reach the server. */
static void flush_events(world *w)
{
    ck_assert_msg(kube_event_recorder_flush(w->r.events, 10000, &w->err) == 0, "%s", w->err.msg);
}

static void world_stop(world *w)
{
    kube_event_recorder_free(w->r.events);
    kube_client_free(w->client);
    api_script_stop(w->api);
    cJSON_Delete(w->lister.items);
    cJSON_Delete(w->lister.asked);
}

static op_outcome run(world *w)
{
    util_err_clear(&w->err);
    return op_reconcile(&w->r, "kafka/demo", &w->res, &w->err);
}

/* The resource of an API path's collection: .../<resource>/<name>[?...]. */
static void path_resource(const char *path, char *resource, size_t size, char *name,
                          size_t name_size)
{
    char buf[512], *q, *slash;

    snprintf(buf, sizeof buf, "%s", path);
    if ((q = strchr(buf, '?')) != NULL)
        *q = '\0';
    slash = strrchr(buf, '/');
    ck_assert_ptr_nonnull(slash);
    snprintf(name, name_size, "%s", slash + 1);
    *slash = '\0';
    slash = strrchr(buf, '/');
    ck_assert_ptr_nonnull(slash);
    snprintf(resource, size, "%s", slash + 1);
}

/* The request that wrote path_part (its path contains it), or NULL. */
static const api_request *request_to(world *w, const char *path_part)
{
    for (int i = 0; i < api_script_count(w->api); i++) {
        const api_request *q = api_script_request(w->api, i);

        if (strstr(q->path, path_part) != NULL)
            return q;
    }
    return NULL;
}

/* Condition type of the status body written (a status apply's body). */
static const cJSON *written_condition(const api_request *status_write, const char *type,
                                      cJSON **doc)
{
    const cJSON *c;

    *doc = cJSON_Parse(status_write->body);
    ck_assert_ptr_nonnull(*doc);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(*doc, "status"), "conditions"))
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");

        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0)
            return c;
    }
    return NULL;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Makes the lister hold what the recorded writes applied, as a server
 * would: every applied object, and the status written on the cluster. */
static void accept_writes(world *w)
{
    for (int i = 0; i < api_script_count(w->api); i++) {
        const api_request *q = api_script_request(w->api, i);
        char resource[64], name[256];
        cJSON *body = cJSON_Parse(q->body);

        ck_assert_ptr_nonnull(body);
        if (strstr(q->path, "/apis/events.k8s.io/") != NULL) {
            cJSON_Delete(body);
            continue;
        }
        path_resource(q->path, resource, sizeof resource, name, sizeof name);
        if (strcmp(name, "status") == 0) {
            cJSON *cr = mem_object(&w->lister, "kafkaclusters", "demo");

            cJSON_DeleteItemFromObjectCaseSensitive(cr, "status");
            cJSON_AddItemToObject(cr, "status", cJSON_DetachItemFromObject(body, "status"));
            cJSON_Delete(body);
        } else {
            cJSON *was = mem_object(&w->lister, resource, name);

            if (was != NULL)
                mem_drop(&w->lister, was);
            mem_put(&w->lister, resource, body);
        }
    }
    api_script_reset(w->api);
}

START_TEST(test_create_applies_every_object_and_the_status)
{
    static const char *const wanted[] = {
        "/api/v1/namespaces/kafka/secrets/demo-cluster-ca",
        "/api/v1/namespaces/kafka/serviceaccounts/demo-sidecar",
        "/api/v1/namespaces/kafka/configmaps/demo-brokers",
        "/api/v1/namespaces/kafka/services/demo-brokers",
        "/api/v1/namespaces/kafka/services/demo-bootstrap",
        "/api/v1/namespaces/kafka/services/demo-2-external",
        "/apis/apps/v1/namespaces/kafka/statefulsets/demo",
        "/apis/policy/v1/namespaces/kafka/poddisruptionbudgets/demo",
        "/apis/berth.io/v1alpha1/namespaces/kafka/kafkaclusters/demo/status",
    };
    world w;
    const api_request *sts, *st;
    cJSON *doc, *body;
    const cJSON *c;
    int n;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    n = api_script_count(w.api);
    ck_assert_int_eq(w.res.writes, n);
    ck_assert_int_ge(n, (int)(sizeof wanted / sizeof wanted[0]));
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        ck_assert_msg(request_to(&w, wanted[i]) != NULL, "nothing written to %s", wanted[i]);
    /* Every write is a forced server-side apply as berth-operator. */
    for (int i = 0; i < n; i++) {
        const api_request *q = api_script_request(w.api, i);

        ck_assert_str_eq(q->method, "PATCH");
        ck_assert_str_eq(q->content_type, "application/apply-patch+yaml");
        ck_assert_msg(strstr(q->path, "fieldManager=berth-operator") != NULL &&
                          strstr(q->path, "force=true") != NULL,
                      "%s", q->path);
    }
    /* The StatefulSet as built, owned by the cluster from the first apply. */
    sts = request_to(&w, "/statefulsets/demo");
    body = cJSON_Parse(sts->body);
    ck_assert_str_eq(str(body, "kind"), "StatefulSet");
    ck_assert_int_eq(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "spec"), "replicas")
            ->valueint,
        3);
    ck_assert_str_eq(kube_meta_controller_uid(body), CR_UID);
    cJSON_Delete(body);
    /* The status is written last: applied, brokers not Ready yet. */
    st = api_script_request(w.api, n - 1);
    ck_assert_ptr_nonnull(strstr(st->path, "/kafkaclusters/demo/status?"));
    c = written_condition(st, "Reconciled", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "True");
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(doc, "status"), "observedGeneration")
                         ->valueint,
                     3);
    cJSON_Delete(doc);
    ck_assert_int_eq(w.res.requeue_after_ms, 15000);
    world_stop(&w);
}
END_TEST

/* On a new cluster every owned object misses the caches and is asked of
 * the API server (a name someone else holds would be outside the caches'
 * selector): once per pass, though several steps read some of them, and no
 * claim is read before there is a StatefulSet to make them. */
START_TEST(test_a_pass_asks_for_each_absent_object_once)
{
    world w;
    const cJSON *a, *b;
    int n = 0;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    cJSON_ArrayForEach(a, w.lister.asked)
    {
        n++;
        ck_assert_msg(strncmp(a->valuestring, "persistentvolumeclaims/", 23) != 0,
                      "a claim was read before its StatefulSet existed: %s", a->valuestring);
        for (b = a->next; b != NULL; b = b->next)
            ck_assert_msg(strcmp(a->valuestring, b->valuestring) != 0, "%s asked twice",
                          a->valuestring);
    }
    /* The KafkaCluster, the StatefulSet, the CA Secrets: each was asked. */
    ck_assert_int_ge(n, 4);
    world_stop(&w);
}
END_TEST

START_TEST(test_nothing_changed_writes_nothing)
{
    world w;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_gt(api_script_count(w.api), 0);
    accept_writes(&w);
    /* Everything the server holds is what reconcile wants: not one write,
     * and it still looks again for the brokers to become Ready. */
    w.lister.gets = w.lister.lists = 0;
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_msg(api_script_count(w.api) == 0, "%d writes, first %s %s", api_script_count(w.api),
                  api_script_count(w.api) > 0 ? api_script_request(w.api, 0)->method : "",
                  api_script_count(w.api) > 0 ? api_script_request(w.api, 0)->path : "");
    ck_assert_int_eq(w.res.writes, 0);
    ck_assert_int_eq(w.res.requeue_after_ms, 15000);
    ck_assert_int_gt(w.lister.gets + w.lister.lists, 0);
    world_stop(&w);
}
END_TEST

/* The status write carries the resourceVersion read; a 409 means the
 * KafkaCluster changed since (the cache was a moment behind): no failure,
 * no status from the old read, the reconcile runs again shortly. */
START_TEST(test_a_status_from_a_stale_read_is_refused_and_looked_at_again)
{
    world w;
    const api_request *st;
    cJSON *doc;

    world_start(&w);
    api_script_answer(w.api, "PATCH", "/kafkaclusters/demo/status", 409,
                      "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Conflict\","
                      "\"message\":\"the object has been modified; please apply your changes to "
                      "the latest version and try again\",\"code\":409}",
                      1);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_str_eq(w.err.msg, "");
    ck_assert_int_eq(w.res.requeue_after_ms, 250);
    st = request_to(&w, "/kafkaclusters/demo/status");
    ck_assert_ptr_nonnull(st);
    doc = cJSON_Parse(st->body);
    ck_assert_str_eq(kube_meta_resource_version(doc), "41");
    cJSON_Delete(doc);
    /* Read again (the same version here): written. */
    api_script_reset(w.api);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(w.res.requeue_after_ms, 15000);
    ck_assert_ptr_nonnull(request_to(&w, "/kafkaclusters/demo/status"));
    world_stop(&w);
}
END_TEST

START_TEST(test_conflict_on_apply_is_retried)
{
    world w;
    const api_request *st;
    cJSON *doc;
    const cJSON *c;

    world_start(&w);
    api_script_answer(w.api, "PATCH", "/statefulsets/demo", 409,
                      "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Conflict\","
                      "\"message\":\"Apply failed with 1 conflict: conflict with "
                      "\\\"kubectl\\\": .spec.replicas\",\"code\":409}",
                      1);
    ck_assert_int_eq(run(&w), OP_RECONCILE_RETRY);
    ck_assert_msg(strstr(w.err.msg, "reconcile kafka/demo") != NULL &&
                      strstr(w.err.msg, "409") != NULL,
                  "%s", w.err.msg);
    /* The objects after it wait for the retry; the status says why. */
    ck_assert_ptr_null(request_to(&w, "/poddisruptionbudgets/demo"));
    st = request_to(&w, "/kafkaclusters/demo/status");
    ck_assert_ptr_nonnull(st);
    c = written_condition(st, "Reconciled", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "ApplyFailed");
    ck_assert_ptr_nonnull(strstr(str(c, "message"), "conflict"));
    cJSON_Delete(doc);
    /* The next try, with the conflict gone, applies it. */
    api_script_reset(w.api);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_ptr_nonnull(request_to(&w, "/statefulsets/demo"));
    world_stop(&w);
}
END_TEST

/* Writes to owned objects among the recorded requests: neither the
 * status nor Events. */
static int object_writes(world *w, char paths[][512], int max)
{
    int n = 0;

    for (int i = 0; i < api_script_count(w->api); i++) {
        const api_request *q = api_script_request(w->api, i);

        if (strstr(q->path, "/apis/events.k8s.io/") != NULL ||
            strstr(q->path, "/kafkaclusters/demo/status") != NULL)
            continue;
        if (n < max)
            snprintf(paths[n], sizeof paths[n], "%.*s", (int)strcspn(q->path, "?"), q->path);
        n++;
    }
    return n;
}

/* The apply of the second object in apply order fails (500): nothing
 * after it is written, the reconcile ends in a retry (the controller
 * requeues it with the work queue's backoff), and the status and a
 * Warning Event name the object and carry the API server's message. The
 * next try, the failure gone, writes the rest. */
START_TEST(test_failed_apply_stops_there_and_is_retried)
{
    char order[32][512], got[32][512], second[512];
    const char *name;
    world w;
    cJSON *doc;
    const cJSON *c;
    int n, events = 0;

    /* The apply order, from a reconcile that creates everything. */
    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    n = object_writes(&w, order, 32);
    ck_assert_int_ge(n, 5);
    ck_assert_int_le(n, 32);
    ck_assert_ptr_nonnull(strstr(order[n - 1], "/poddisruptionbudgets/demo"));
    world_stop(&w);
    snprintf(second, sizeof second, "%s", order[1]);
    name = strrchr(second, '/') + 1;

    world_start(&w);
    world_record_events(&w);
    api_script_answer(w.api, "PATCH", second, 500,
                      "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":"
                      "\"InternalError\",\"message\":\"etcdserver: request timed out\","
                      "\"code\":500}",
                      1);
    ck_assert_int_eq(run(&w), OP_RECONCILE_RETRY);
    ck_assert_msg(strstr(w.err.msg, name) != NULL && strstr(w.err.msg, "500") != NULL, "%s",
                  w.err.msg);
    flush_events(&w);
    /* The first object and the failed one; nothing after it. */
    ck_assert_int_eq(object_writes(&w, got, 32), 2);
    ck_assert_str_eq(got[0], order[0]);
    ck_assert_str_eq(got[1], order[1]);
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Reconciled", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "ApplyFailed");
    ck_assert_msg(strstr(str(c, "message"), name) != NULL &&
                      strstr(str(c, "message"), "request timed out") != NULL,
                  "%s", str(c, "message"));
    cJSON_Delete(doc);
    for (int i = 0; i < api_script_count(w.api); i++) {
        const api_request *q = api_script_request(w.api, i);

        if (strstr(q->path, "/apis/events.k8s.io/") != NULL &&
            strstr(q->body, "\"reason\":\"ApplyFailed\"") != NULL &&
            strstr(q->body, "\"type\":\"Warning\"") != NULL &&
            strstr(q->body, "Reconciled: apply ") != NULL && strstr(q->body, name) != NULL)
            events++;
    }
    ck_assert_int_eq(events, 1);

    /* The retry writes the failed object and everything after it. */
    api_script_reset(w.api);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(object_writes(&w, got, 32), n);
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(got[i], order[i]);
    world_stop(&w);
}
END_TEST

START_TEST(test_refused_apply_is_not_retried)
{
    world w;
    const api_request *st;
    cJSON *doc;
    const cJSON *c;

    world_start(&w);
    api_script_answer(w.api, "PATCH", "/services/demo-1-external", 422,
                      "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Invalid\","
                      "\"message\":\"Service \\\"demo-1-external\\\" is invalid: "
                      "spec.ports[0].nodePort: Invalid value: 31091: provided port is already "
                      "allocated\",\"code\":422}",
                      1);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REFUSED);
    st = request_to(&w, "/kafkaclusters/demo/status");
    ck_assert_ptr_nonnull(st);
    c = written_condition(st, "Reconciled", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "NodePortConflict");
    ck_assert_ptr_nonnull(strstr(str(c, "message"), "31091"));
    cJSON_Delete(doc);
    world_stop(&w);

    /* Any other 422: Invalid. */
    world_start(&w);
    api_script_answer(w.api, "PATCH", "/statefulsets/demo", 422,
                      "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Invalid\","
                      "\"message\":\"StatefulSet.apps \\\"demo\\\" is invalid: spec: Forbidden: "
                      "updates to statefulset spec for fields other than ... are forbidden\","
                      "\"code\":422}",
                      1);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REFUSED);
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Reconciled", &doc);
    ck_assert_str_eq(str(c, "reason"), "Invalid");
    cJSON_Delete(doc);
    world_stop(&w);
}
END_TEST

START_TEST(test_refused_spec_writes_only_the_status)
{
    world w;
    cJSON *spec, *doc;
    const cJSON *c;

    world_start(&w);
    spec = cJSON_GetObjectItemCaseSensitive(mem_object(&w.lister, "kafkaclusters", "demo"), "spec");
    cJSON_ReplaceItemInObjectCaseSensitive(spec, "replicas", cJSON_CreateNumber(-1));
    ck_assert_int_eq(run(&w), OP_RECONCILE_REFUSED);
    ck_assert_int_eq(api_script_count(w.api), 1);
    ck_assert_int_eq(w.res.writes, 1);
    ck_assert_ptr_nonnull(strstr(api_script_request(w.api, 0)->path, "/kafkaclusters/demo/status"));
    c = written_condition(api_script_request(w.api, 0), "Reconciled", &doc);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "InvalidSpec");
    ck_assert_ptr_nonnull(strstr(str(c, "message"), "replicas"));
    cJSON_Delete(doc);
    /* Refused again with the status already saying so: no write at all. */
    accept_writes(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REFUSED);
    ck_assert_int_eq(api_script_count(w.api), 0);
    world_stop(&w);
}
END_TEST

/* A broker pod of the cluster, demo-<id>, on node, its advertised
 * addresses pinned as advertised (readdress.h). */
static cJSON *broker_pod(int id, const char *node, const char *advertised)
{
    char buf[1024];

    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"demo-%d\","
             "\"namespace\":\"kafka\",\"labels\":{\"app.kubernetes.io/name\":\"kafka\","
             "\"app.kubernetes.io/instance\":\"demo\",\"app.kubernetes.io/component\":"
             "\"broker\"},\"annotations\":{\"berth.io/advertised\":\"%s\"}},"
             "\"spec\":{\"nodeName\":\"%s\"}}",
             id, advertised, node);
    return cJSON_Parse(buf);
}

/* Node name with one address of type (ExternalIP, InternalIP) in the
 * lister. */
static void put_node(world *w, const char *name, const char *type, const char *address)
{
    char buf[512];

    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\"},"
             "\"status\":{\"addresses\":[{\"type\":\"%s\",\"address\":\"%s\"}]}}",
             name, type, address);
    mem_put(&w->lister, "nodes", cJSON_Parse(buf));
}

/* The status written (a status apply's body) as a new document. */
static cJSON *written_status(world *w)
{
    const api_request *st = request_to(w, "/kafkaclusters/demo/status");
    cJSON *doc;

    ck_assert_ptr_nonnull(st);
    doc = cJSON_Parse(st->body);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

/* Events written whose body names reason. */
static int events_with(world *w, const char *reason)
{
    char needle[160];
    int n = 0;

    snprintf(needle, sizeof needle, "\"reason\":\"%s\"", reason);
    for (int i = 0; i < api_script_count(w->api); i++) {
        const api_request *q = api_script_request(w->api, i);

        if (strstr(q->path, "/apis/events.k8s.io/") != NULL && strstr(q->body, needle) != NULL)
            n++;
    }
    return n;
}

START_TEST(test_address_fallback_is_in_status_and_an_event)
{
    world w;
    cJSON *doc;
    const cJSON *b, *fb;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    /* Broker 0 lands on a node with an InternalIP only, while its
     * nodeport listener asks for the default ExternalIP. */
    mem_put(&w.lister, "pods", broker_pod(0, "node-a", "external=10.0.0.7:31090;"));
    put_node(&w, "node-a", "InternalIP", "10.0.0.7");
    world_record_events(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    doc = written_status(&w);
    b = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(doc, "status"), "brokers"),
                           0);
    ck_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(b, "listeners"), "external"),
                     "10.0.0.7:31090");
    fb = cJSON_GetObjectItemCaseSensitive(b, "addressFallback");
    ck_assert_ptr_nonnull(fb);
    ck_assert_str_eq(str(fb, "external"), "InternalIP");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(fb, "internal"));
    /* Brokers not placed say nothing. */
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(doc, "status"), "brokers"),
                           1),
        "addressFallback"));
    cJSON_Delete(doc);
    ck_assert_int_eq(events_with(&w, "AddressFallback"), 1);
    for (int i = 0; i < api_script_count(w.api); i++) {
        const api_request *q = api_script_request(w.api, i);

        if (strstr(q->body, "\"AddressFallback\"") == NULL)
            continue;
        ck_assert_str_eq(q->method, "POST");
        ck_assert_ptr_nonnull(strstr(q->path, "/apis/events.k8s.io/v1/namespaces/kafka/events"));
        ck_assert_msg(strstr(q->body, "\"Warning\"") != NULL &&
                          strstr(q->body, "broker 0 (pod demo-0) on node node-a: listener "
                                          "external: the node has no ExternalIP address, "
                                          "advertising its InternalIP") != NULL,
                      "%s", q->body);
    }
    /* Said once: the next resyncs see the same and write nothing. */
    accept_writes(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    ck_assert_int_eq(api_script_count(w.api), 0);
    world_stop(&w);
}
END_TEST

START_TEST(test_draining_while_a_broker_pod_stops)
{
    world w;
    cJSON *doc, *pod;
    const cJSON *c;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    /* No broker stopping: False, and no Event for it. */
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Draining", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "NotDraining");
    cJSON_Delete(doc);
    accept_writes(&w);
    put_node(&w, "node-b", "ExternalIP", "203.0.113.11");
    mem_put(&w.lister, "pods", broker_pod(1, "node-b", "external=203.0.113.11:31091;"));
    world_record_events(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    ck_assert_int_eq(events_with(&w, "NotDraining"), 0);
    accept_writes(&w);

    /* Broker 1's pod is deleted and its preStop hook runs: True, naming
     * it, and an Event. */
    pod = mem_object(&w.lister, "pods", "demo-1");
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), "deletionTimestamp",
                            "2026-01-01T00:00:00Z");
    cJSON_AddItemToObject(pod, "status", cJSON_Parse("{\"phase\":\"Running\"}"));
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Draining", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "True");
    ck_assert_str_eq(str(c, "reason"), "BrokerDraining");
    ck_assert_str_eq(str(c, "message"), "broker 1 (pod demo-1) is stopping: its preStop hook "
                                        "drains it before it shuts down");
    cJSON_Delete(doc);
    ck_assert_int_eq(events_with(&w, "BrokerDraining"), 1);
    /* Said once: a resync while it stops writes nothing. */
    accept_writes(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    ck_assert_int_eq(api_script_count(w.api), 0);

    /* The pod is gone: False again, and an Event says so. */
    mem_drop(&w.lister, mem_object(&w.lister, "pods", "demo-1"));
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Draining", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "NotDraining");
    ck_assert_str_eq(str(c, "message"), "no broker is stopping");
    cJSON_Delete(doc);
    ck_assert_int_eq(events_with(&w, "NotDraining"), 1);
    world_stop(&w);
}
END_TEST

/* The request whose method is method and whose path holds path_part, or
 * NULL. */
static const api_request *request_by(world *w, const char *method, const char *path_part)
{
    for (int i = 0; i < api_script_count(w->api); i++) {
        const api_request *q = api_script_request(w->api, i);

        if (strcmp(q->method, method) == 0 && strstr(q->path, path_part) != NULL)
            return q;
    }
    return NULL;
}

/* A broker whose address moved is restarted through the Eviction API, but
 * not while the StatefulSet rolls its pods or is about to (readdress.h):
 * the roll stops brokers without asking the PodDisruptionBudget, so an
 * eviction beside it would be a second broker down. The status says why
 * it waits. */
START_TEST(test_a_moved_address_waits_for_the_statefulsets_roll)
{
    static const char done[] = "{\"observedGeneration\":1,\"currentRevision\":\"r1\","
                               "\"updateRevision\":\"r1\",\"updatedReplicas\":3}";
    world w;
    cJSON *sts, *doc, *tmpl_spec;
    const cJSON *c;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    put_node(&w, "node-b", "ExternalIP", "203.0.113.11");
    mem_put(&w.lister, "pods", broker_pod(0, "node-b", "external=203.0.113.11:31090;"));
    mem_put(&w.lister, "pods", broker_pod(1, "node-b", "external=198.51.100.9:31091;"));
    mem_put(&w.lister, "pods", broker_pod(2, "node-b", "external=203.0.113.11:31092;"));
    sts = mem_object(&w.lister, "statefulsets", "demo");
    cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(sts, "metadata"), "generation", 1);

    /* The StatefulSet controller has not reported the template done. */
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_ptr_null(request_by(&w, "POST", "/eviction"));
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Degraded", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "reason"), "AddressChanged");
    ck_assert_msg(strstr(str(c, "message"), "broker 1 advertises external=198.51.100.9:31091; "
                                            "but its address is now "
                                            "external=203.0.113.11:31091;; it restarts once the "
                                            "StatefulSet's roll is over") != NULL,
                  "%s", str(c, "message"));
    cJSON_Delete(doc);
    accept_writes(&w);

    /* Rolled out: broker 1 is evicted. */
    sts = mem_object(&w.lister, "statefulsets", "demo");
    cJSON_AddItemToObject(sts, "status", cJSON_Parse(done));
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_ptr_nonnull(request_by(&w, "POST", "/pods/demo-1/eviction"));
    api_script_reset(w.api);

    /* The pass that changes the pod template (here the cache's template
     * differs from the one wanted) applies it and evicts nothing. */
    sts = mem_object(&w.lister, "statefulsets", "demo");
    tmpl_spec = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"), "template"),
        "spec");
    cJSON_ReplaceItemInObjectCaseSensitive(tmpl_spec, "terminationGracePeriodSeconds",
                                           cJSON_CreateNumber(1));
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_ptr_nonnull(request_by(&w, "PATCH", "/statefulsets/demo"));
    ck_assert_ptr_null(request_by(&w, "POST", "/eviction"));
    world_stop(&w);
}
END_TEST

/* The StatefulSet's annotation (NULL: none) or its pod template's. */
static const char *sts_annotation(const cJSON *sts, bool tmpl, const char *key)
{
    const cJSON *o = sts;

    if (tmpl)
        o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"),
                                             "template");
    return str(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"),
                                                "annotations"),
               key);
}

/* spec.config of the cluster in the lister becomes config (JSON). */
static void set_config(world *w, const char *config)
{
    cJSON *spec =
        cJSON_GetObjectItemCaseSensitive(mem_object(&w->lister, "kafkaclusters", "demo"), "spec");

    cJSON_DeleteItemFromObjectCaseSensitive(spec, "config");
    cJSON_AddItemToObject(spec, "config", cJSON_Parse(config));
}

/* Config changes without Kafka to ask (operator/reconcile_config.h): a new
 * cluster records spec.config on its StatefulSet and hashes it into the
 * pod template, asking nothing; a changed key that Kafka cannot be asked
 * about rolls nothing (status.config.message says why, and the reconcile
 * looks again soon); a removed key the pods were rolled with rolls them
 * without asking (a new template hash, awaitingRoll, an Event), and
 * awaitingRoll goes once the StatefulSet says every replica runs the new
 * revision. */
START_TEST(test_config_change_rolls_only_when_kafka_or_a_removal_says_so)
{
    world w;
    cJSON *cr, *doc, *sts;
    const cJSON *cfg;
    char hash0[32];
    const char *ann;

    world_start(&w);
    w.r.opts.admin_bootstrap_annotation = true;
    cr = mem_object(&w.lister, "kafkaclusters", "demo");
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(cr, "metadata"), "annotations",
                          cJSON_Parse("{\"berth.io/admin-bootstrap\":\"127.0.0.1:1\"}"));
    set_config(&w, "{\"auto.create.topics.enable\":\"true\"}");
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    sts = cJSON_Parse(request_to(&w, "/statefulsets/demo")->body);
    ann = sts_annotation(sts, false, "berth.io/config");
    ck_assert_ptr_nonnull(ann);
    ck_assert_ptr_nonnull(strstr(ann, "\"auto.create.topics.enable\""));
    ck_assert_ptr_null(strstr(ann, "true"));
    ck_assert_ptr_nonnull(sts_annotation(sts, true, "berth.io/config-hash"));
    snprintf(hash0, sizeof hash0, "%s", sts_annotation(sts, true, "berth.io/config-hash"));
    cJSON_Delete(sts);
    doc = written_status(&w);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "status"), "config"));
    cJSON_Delete(doc);
    accept_writes(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(api_script_count(w.api), 0);

    /* A changed key, and no broker to ask: no roll, status says why. */
    set_config(&w, "{\"auto.create.topics.enable\":\"false\"}");
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_ptr_null(request_to(&w, "/statefulsets/demo"));
    ck_assert_ptr_nonnull(request_to(&w, "/configmaps/demo-brokers"));
    doc = written_status(&w);
    cfg =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "status"), "config");
    ck_assert_msg(str(cfg, "message") != NULL &&
                      strstr(str(cfg, "message"), "cannot ask the brokers") != NULL &&
                      strstr(str(cfg, "message"), "127.0.0.1:1") != NULL,
                  "%s", str(cfg, "message"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cfg, "awaitingRoll"));
    cJSON_Delete(doc);
    ck_assert_int_le(w.res.requeue_after_ms, 15000);
    accept_writes(&w);

    /* The key removed: the pods were rolled with it, so they roll again,
     * and nothing needs asking. */
    world_record_events(&w);
    set_config(&w, "{}");
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    sts = cJSON_Parse(request_to(&w, "/statefulsets/demo")->body);
    ck_assert_str_ne(sts_annotation(sts, true, "berth.io/config-hash"), hash0);
    cJSON_Delete(sts);
    doc = written_status(&w);
    cfg =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "status"), "config");
    ck_assert_ptr_nonnull(cfg);
    ck_assert_str_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cfg, "awaitingRoll"), 0)->valuestring,
        "auto.create.topics.enable");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cfg, "message"));
    cJSON_Delete(doc);
    ck_assert_int_eq(events_with(&w, "ConfigRoll"), 1);
    accept_writes(&w);
    /* Under way: the same; rolled out: awaitingRoll goes. */
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    ck_assert_int_eq(api_script_count(w.api), 0);
    sts = mem_object(&w.lister, "statefulsets", "demo");
    cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(sts, "metadata"), "generation", 2);
    cJSON_AddItemToObject(sts, "status",
                          cJSON_Parse("{\"observedGeneration\":2,\"currentRevision\":\"r2\","
                                      "\"updateRevision\":\"r2\",\"updatedReplicas\":3}"));
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    doc = written_status(&w);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "status"), "config"));
    cJSON_Delete(doc);
    sts = cJSON_Parse(request_to(&w, "/statefulsets/demo")->body);
    ck_assert_ptr_nonnull(strstr(sts_annotation(sts, false, "berth.io/config"), "\"rolling\":[]"));
    cJSON_Delete(sts);
    world_stop(&w);
}
END_TEST

START_TEST(test_gone_cluster_is_done)
{
    world w;

    world_start(&w);
    cJSON_DeleteItemFromArray(w.lister.items, 0);
    ck_assert_int_eq(run(&w), OP_RECONCILE_DONE);
    ck_assert_int_eq(api_script_count(w.api), 0);
    world_stop(&w);
}
END_TEST

/* ---- storage growth (operator/reconcile_storage.c) ------------------- */

/* spec.storage of the cluster in the lister: size, and class unless NULL;
 * a new generation, as the API server would give it. */
static void set_storage(world *w, const char *size, const char *class)
{
    cJSON *cr = mem_object(&w->lister, "kafkaclusters", "demo");
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(cr, "spec"), *s;

    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(cr, "metadata"),
                                           "generation", cJSON_CreateNumber(4));

    cJSON_DeleteItemFromObjectCaseSensitive(spec, "storage");
    s = cJSON_AddObjectToObject(spec, "storage");
    cJSON_AddStringToObject(s, "size", size);
    if (class != NULL)
        cJSON_AddStringToObject(s, "storageClassName", class);
}

/* The broker claims data-demo-0..2 the StatefulSet made, of class and
 * size, and the StorageClass class (expanding or not). The live
 * StatefulSet gets the uid a server would have given it. */
static void put_claims(world *w, const char *class, const char *size, bool expands)
{
    char json[1024];

    for (int i = 0; i < 3; i++) {
        snprintf(json, sizeof json,
                 "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":"
                 "{\"name\":\"data-demo-%d\",\"namespace\":\"kafka\"},\"spec\":{\"accessModes\":"
                 "[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"%s\"}},"
                 "\"storageClassName\":\"%s\"},\"status\":{\"phase\":\"Bound\",\"capacity\":"
                 "{\"storage\":\"%s\"}}}",
                 i, size, class, size);
        mem_put(&w->lister, "persistentvolumeclaims", cJSON_Parse(json));
    }
    snprintf(json, sizeof json,
             "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\",\"metadata\":"
             "{\"name\":\"%s\"},\"provisioner\":\"x\",\"allowVolumeExpansion\":%s}",
             class, expands ? "true" : "false");
    mem_put(&w->lister, "storageclasses", cJSON_Parse(json));
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(
                                mem_object(&w->lister, "statefulsets", "demo"), "metadata"),
                            "uid", "sts-uid-1");
}

/* Sets what claim data-demo-<i> asks for (spec.resources.requests) or
 * has (status.capacity, capacity true) to size. */
static void claim_set(world *w, int i, bool capacity, const char *size)
{
    char name[32];
    cJSON *pvc, *o;

    snprintf(name, sizeof name, "data-demo-%d", i);
    pvc = mem_object(&w->lister, "persistentvolumeclaims", name);
    o = capacity ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pvc, "status"),
                                                    "capacity")
                 : cJSON_GetObjectItemCaseSensitive(
                       cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetObjectItemCaseSensitive(pvc, "spec"), "resources"),
                       "requests");
    cJSON_ReplaceItemInObjectCaseSensitive(o, "storage", cJSON_CreateString(size));
}

/* Requests with method to a path containing path_part. */
static int requests_to(world *w, const char *method, const char *path_part)
{
    int n = 0;

    for (int i = 0; i < api_script_count(w->api); i++) {
        const api_request *q = api_script_request(w->api, i);

        if (strcmp(q->method, method) == 0 && strstr(q->path, path_part) != NULL)
            n++;
    }
    return n;
}

static const char *claim_size_of(const cJSON *sts)
{
    const cJSON *t = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"),
                                         "volumeClaimTemplates"),
        0);

    return str(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "spec"), "resources")
            ->child,
        "storage");
}

START_TEST(test_storage_grows_claims_and_recreates_the_statefulset)
{
    world w;
    const api_request *q;
    cJSON *body, *doc, *sts;
    char *sts_json;
    const cJSON *c;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    put_claims(&w, "ground", "10Gi", true);
    set_storage(&w, "20Gi", NULL);
    /* The server's copy has managedFields, which the informers' cache
     * (the lister) drops. */
    sts = cJSON_Duplicate(mem_object(&w.lister, "statefulsets", "demo"), 1);
    cJSON_AddItemToObject(
        cJSON_GetObjectItemCaseSensitive(sts, "metadata"), "managedFields",
        cJSON_Parse("[{\"manager\":\"berth-operator\",\"operation\":\"Apply\"},"
                    "{\"manager\":\"kubectl-rollout\",\"operation\":\"Update\"}]"));
    sts_json = cJSON_PrintUnformatted(sts);
    cJSON_Delete(sts);
    world_record_events(&w);
    api_script_answer(w.api, "GET", "/statefulsets/demo", 200, sts_json, 1);
    free(sts_json);
    api_script_answer(w.api, "DELETE", "/statefulsets/demo", 200,
                      "{\"kind\":\"Status\",\"status\":\"Success\",\"code\":200}", 1);
    api_script_answer(w.api, "GET", "/statefulsets/demo", 404,
                      "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NotFound\","
                      "\"code\":404}",
                      1);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    flush_events(&w);
    /* Each step told, once. */
    ck_assert_int_eq(events_with(&w, "StorageExpanding"), 1);
    ck_assert_int_eq(events_with(&w, "StorageResized"), 1);
    for (int i = 0; i < api_script_count(w.api); i++) {
        const api_request *e = api_script_request(w.api, i);

        if (strstr(e->path, "/apis/events.k8s.io/") != NULL &&
            strstr(e->body, "\"StorageResized\"") != NULL)
            ck_assert_msg(strstr(e->body, "with claims of 20Gi (were 10Gi)") != NULL, "%s",
                          e->body);
        if (strstr(e->path, "/apis/events.k8s.io/") != NULL &&
            strstr(e->body, "\"StorageExpanding\"") != NULL)
            ck_assert_msg(strstr(e->body, "data-demo-0, data-demo-1, data-demo-2") != NULL, "%s",
                          e->body);
    }
    /* Every claim asked to grow, by a merge patch of its request alone. */
    for (int i = 0; i < 3; i++) {
        char path[64];

        snprintf(path, sizeof path, "/persistentvolumeclaims/data-demo-%d", i);
        q = request_by(&w, "PATCH", path);
        ck_assert_msg(q != NULL, "%s not patched", path);
        ck_assert_str_eq(q->content_type, "application/merge-patch+json");
        ck_assert_str_eq(q->body, "{\"spec\":{\"resources\":{\"requests\":{\"storage\":"
                                  "\"20Gi\"}}}}");
    }
    /* The StatefulSet deleted with its pods orphaned, only the one read... */
    q = request_by(&w, "DELETE", "/statefulsets/demo");
    ck_assert_ptr_nonnull(q);
    body = cJSON_Parse(q->body);
    ck_assert_str_eq(str(body, "propagationPolicy"), "Orphan");
    ck_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(body, "preconditions"), "uid"),
                     "sts-uid-1");
    cJSON_Delete(body);
    /* ... and created again with the new claim size, its pod template as
     * it was. */
    q = request_by(&w, "POST", "/namespaces/kafka/statefulsets");
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_nonnull(strstr(q->path, "fieldManager=berth-operator"));
    body = cJSON_Parse(q->body);
    ck_assert_str_eq(claim_size_of(body), "20Gi");
    ck_assert(cJSON_Compare(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "spec"),
                                         "template"),
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(mem_object(&w.lister, "statefulsets", "demo"), "spec"),
            "template"),
        1));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(body, "metadata"), "uid"));
    cJSON_Delete(body);
    /* Then its fields get back the owners they had, by a merge patch of
     * managedFields alone; no apply of it on top (nothing else differs). */
    ck_assert_int_eq(requests_to(&w, "PATCH", "/statefulsets/demo"), 1);
    q = request_by(&w, "PATCH", "/statefulsets/demo");
    ck_assert_str_eq(q->content_type, "application/merge-patch+json");
    ck_assert_str_eq(q->body, "{\"metadata\":{\"managedFields\":[{\"manager\":\"berth-operator\","
                              "\"operation\":\"Apply\"},{\"manager\":\"kubectl-rollout\","
                              "\"operation\":\"Update\"}]}}");
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Reconciled", &doc);
    ck_assert_str_eq(str(c, "status"), "True");
    /* Status lists the claims whose volume is still smaller than asked. */
    c = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "status"),
                                         "storage"),
        "resizing");
    ck_assert_int_eq(cJSON_GetArraySize(c), 3);
    ck_assert_str_eq(str(cJSON_GetArrayItem(c, 2), "claim"), "data-demo-2");
    ck_assert_str_eq(str(cJSON_GetArrayItem(c, 2), "requested"), "20Gi");
    ck_assert_str_eq(str(cJSON_GetArrayItem(c, 2), "capacity"), "10Gi");
    cJSON_Delete(doc);
    world_stop(&w);
}
END_TEST

/* Each step may be cut short by the operator's death; the next pass
 * finishes what is left and repeats no write that took. */
START_TEST(test_storage_growth_resumes)
{
    world w;
    cJSON *sts, *body;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    put_claims(&w, "ground", "20Gi", true); /* already grown */
    set_storage(&w, "20Gi", NULL);
    /* Deleted, not gone yet (the orphan finalizer): left alone, and looked
     * at again soon. */
    sts = mem_object(&w.lister, "statefulsets", "demo");
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(sts, "metadata"), "deletionTimestamp",
                            "2026-01-01T00:00:00Z");
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(w.res.requeue_after_ms, 1000);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/persistentvolumeclaims/"), 0);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/statefulsets/"), 0);
    ck_assert_int_eq(requests_to(&w, "DELETE", "/statefulsets/"), 0);
    ck_assert_int_eq(requests_to(&w, "POST", "/statefulsets"), 0);
    /* Gone: created with the spec's size by the usual apply. */
    mem_drop(&w.lister, sts);
    api_script_reset(w.api);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/persistentvolumeclaims/"), 0);
    body = cJSON_Parse(request_by(&w, "PATCH", "/statefulsets/demo")->body);
    ck_assert_str_eq(claim_size_of(body), "20Gi");
    cJSON_Delete(body);
    world_stop(&w);
}
END_TEST

/* The claims' growth as status reports it: status.storage.resizing keeps
 * the claims whose volume is still smaller than asked, read again on each
 * pass while there are any, and goes once every volume has grown. */
START_TEST(test_storage_progress_in_status)
{
    world w;
    cJSON *doc, *st;
    const cJSON *r;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    put_claims(&w, "ground", "10Gi", true);
    /* Claims 0 and 1 asked for 20Gi and still have 10Gi; claim 2 grew. */
    for (int i = 0; i < 3; i++)
        claim_set(&w, i, false, "20Gi");
    claim_set(&w, 2, true, "20Gi");
    st = cJSON_GetObjectItemCaseSensitive(mem_object(&w.lister, "kafkaclusters", "demo"), "status");
    cJSON_AddItemToObject(
        st, "storage",
        cJSON_Parse("{\"resizing\":[{\"claim\":\"data-demo-0\",\"requested\":\"20Gi\","
                    "\"capacity\":\"10Gi\"},{\"claim\":\"data-demo-1\",\"requested\":"
                    "\"20Gi\",\"capacity\":\"10Gi\"},{\"claim\":\"data-demo-2\","
                    "\"requested\":\"20Gi\",\"capacity\":\"10Gi\"}]}"));
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/persistentvolumeclaims/"), 0);
    doc = written_status(&w);
    r = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "status"),
                                         "storage"),
        "resizing");
    ck_assert_int_eq(cJSON_GetArraySize(r), 2);
    ck_assert_str_eq(str(cJSON_GetArrayItem(r, 0), "claim"), "data-demo-0");
    ck_assert_str_eq(str(cJSON_GetArrayItem(r, 1), "claim"), "data-demo-1");
    cJSON_Delete(doc);
    /* Every volume grown: status.storage goes. */
    accept_writes(&w);
    for (int i = 0; i < 2; i++)
        claim_set(&w, i, true, "20Gi");
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    doc = written_status(&w);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "status"), "storage"));
    cJSON_Delete(doc);
    /* And then nothing more to say: no write. */
    accept_writes(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(api_script_count(w.api), 0);
    world_stop(&w);
}
END_TEST

/* A pass whose copy of the KafkaCluster does not yet show the status the
 * growing pass wrote (observedGeneration older than the spec), and which
 * finds the StatefulSet already made again: it reads the claims, so
 * status.storage.resizing still lists those smaller than asked. */
START_TEST(test_storage_progress_after_stale_status)
{
    world w;
    cJSON *doc, *st;
    const cJSON *r;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    put_claims(&w, "ground", "10Gi", true);
    for (int i = 0; i < 3; i++)
        claim_set(&w, i, false, "20Gi");
    set_storage(&w, "20Gi", NULL);
    ck_assert_int_eq(
        op_storage_set_template_size(mem_object(&w.lister, "statefulsets", "demo"), "20Gi"), 0);
    st = cJSON_GetObjectItemCaseSensitive(mem_object(&w.lister, "kafkaclusters", "demo"), "status");
    cJSON_ReplaceItemInObjectCaseSensitive(st, "observedGeneration", cJSON_CreateNumber(3));
    cJSON_DeleteItemFromObjectCaseSensitive(st, "storage");
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/persistentvolumeclaims/"), 0);
    ck_assert_int_eq(requests_to(&w, "DELETE", "/statefulsets/"), 0);
    doc = written_status(&w);
    r = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "status"),
                                         "storage"),
        "resizing");
    ck_assert_int_eq(cJSON_GetArraySize(r), 3);
    ck_assert_str_eq(str(cJSON_GetArrayItem(r, 2), "claim"), "data-demo-2");
    ck_assert_str_eq(str(cJSON_GetArrayItem(r, 2), "capacity"), "10Gi");
    cJSON_Delete(doc);
    world_stop(&w);
}
END_TEST

/* A class that cannot expand: no claim or StatefulSet size changes, the
 * status and a Warning say why, and other changes still apply. */
START_TEST(test_storage_class_cannot_expand)
{
    world w;
    cJSON *doc, *body, *spec;
    const cJSON *c;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    put_claims(&w, "fixed", "10Gi", false);
    set_storage(&w, "20Gi", "fixed");
    spec = cJSON_GetObjectItemCaseSensitive(mem_object(&w.lister, "kafkaclusters", "demo"), "spec");
    cJSON_ReplaceItemInObjectCaseSensitive(spec, "image", cJSON_CreateString("apache/kafka:4.5.0"));
    world_record_events(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REFUSED);
    flush_events(&w);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/persistentvolumeclaims/"), 0);
    ck_assert_int_eq(requests_to(&w, "DELETE", "/statefulsets/"), 0);
    /* The image change applied, the claim template left at its size. */
    body = cJSON_Parse(request_by(&w, "PATCH", "/statefulsets/demo")->body);
    ck_assert_str_eq(claim_size_of(body), "10Gi");
    ck_assert_ptr_nonnull(
        strstr(request_by(&w, "PATCH", "/statefulsets/demo")->body, "apache/kafka:4.5.0"));
    cJSON_Delete(body);
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Reconciled", &doc);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "StorageNotExpandable");
    ck_assert_msg(strstr(str(c, "message"), "StorageClass \"fixed\" does not allow volume "
                                            "expansion") != NULL &&
                      strstr(str(c, "message"), "10Gi") != NULL,
                  "%s", str(c, "message"));
    cJSON_Delete(doc);
    ck_assert_int_ge(events_with(&w, "StorageNotExpandable"), 1);
    for (int i = 0; i < api_script_count(w.api); i++) {
        const api_request *q = api_script_request(w.api, i);

        if (strstr(q->path, "/apis/events.k8s.io/") != NULL &&
            strstr(q->body, "\"StorageNotExpandable\"") != NULL)
            ck_assert_msg(strstr(q->body, "\"Warning\"") != NULL, "%s", q->body);
    }
    world_stop(&w);
}
END_TEST

/* A smaller size (one the API server's rule did not see) is refused with
 * both sizes named; nothing else is held back. */
START_TEST(test_storage_shrink_is_refused)
{
    world w;
    cJSON *doc;
    const cJSON *c;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    put_claims(&w, "ground", "10Gi", true);
    set_storage(&w, "5Gi", NULL);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REFUSED);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/persistentvolumeclaims/"), 0);
    ck_assert_int_eq(requests_to(&w, "PATCH", "/statefulsets/"), 0);
    ck_assert_int_eq(requests_to(&w, "DELETE", "/statefulsets/"), 0);
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Reconciled", &doc);
    ck_assert_str_eq(str(c, "reason"), "StorageShrinkRefused");
    ck_assert_msg(strstr(str(c, "message"), "from 10Gi to 5Gi") != NULL, "%s", str(c, "message"));
    cJSON_Delete(doc);
    world_stop(&w);
}
END_TEST

/* Sets the cluster's spec.image and its status.kafka finalized level. */
static void set_image(world *w, const char *image, int finalized)
{
    cJSON *cr = mem_object(&w->lister, "kafkaclusters", "demo");
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(cr, "spec");
    cJSON *st = cJSON_GetObjectItemCaseSensitive(cr, "status"), *k;

    cJSON_ReplaceItemInObjectCaseSensitive(spec, "image", cJSON_CreateString(image));
    ck_assert_ptr_nonnull(st);
    cJSON_DeleteItemFromObjectCaseSensitive(st, "kafka");
    k = cJSON_AddObjectToObject(st, "kafka");
    cJSON_AddStringToObject(k, "image", "apache/kafka:4.4.0");
    cJSON_AddNumberToObject(k, "metadataVersionLevel", finalized);
}

START_TEST(test_downgrade_below_the_finalized_level_is_refused)
{
    world w;
    cJSON *doc;
    const cJSON *c;

    world_start(&w);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REQUEUE_AFTER);
    accept_writes(&w);
    world_record_events(&w);
    /* Finalized at 4.4-IV2 (33): Kafka 4.3.2 runs at most 4.3-IV0 (30). */
    set_image(&w, "apache/kafka:4.3.2", 33);
    ck_assert_int_eq(run(&w), OP_RECONCILE_REFUSED);
    ck_assert_ptr_null(request_to(&w, "/statefulsets/demo"));
    c = written_condition(request_to(&w, "/kafkaclusters/demo/status"), "Reconciled", &doc);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(str(c, "status"), "False");
    ck_assert_str_eq(str(c, "reason"), "DowngradeRefused");
    ck_assert_str_eq(str(c, "message"),
                     "image apache/kafka:4.3.2 runs Kafka 4.3.2, which supports metadata.version "
                     "up to 4.3-IV0 (30), below the cluster's finalized 4.4-IV2 (33): Kafka cannot "
                     "downgrade it, so the brokers keep their image");
    cJSON_Delete(doc);
    flush_events(&w);
    ck_assert_int_eq(events_with(&w, "DowngradeRefused"), 1);
    ck_assert_ptr_nonnull(strstr(request_to(&w, "/apis/events.k8s.io/")->body, "\"Warning\""));
    /* Finalized at 30 the same image is an upgrade's way back: applied. */
    api_script_reset(w.api);
    set_image(&w, "apache/kafka:4.3.2", 30);
    ck_assert_int_ne(run(&w), OP_RECONCILE_REFUSED);
    ck_assert_ptr_nonnull(request_to(&w, "/statefulsets/demo"));
    /* A tag without a release is not checked. */
    api_script_reset(w.api);
    set_image(&w, "apache/kafka:latest", 33);
    ck_assert_int_ne(run(&w), OP_RECONCILE_REFUSED);
    ck_assert_ptr_nonnull(request_to(&w, "/statefulsets/demo"));
    world_stop(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("op_reconcile");
    TCase *tc = tcase_create("outcomes");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_create_applies_every_object_and_the_status);
    tcase_add_test(tc, test_a_pass_asks_for_each_absent_object_once);
    tcase_add_test(tc, test_nothing_changed_writes_nothing);
    tcase_add_test(tc, test_conflict_on_apply_is_retried);
    tcase_add_test(tc, test_a_status_from_a_stale_read_is_refused_and_looked_at_again);
    tcase_add_test(tc, test_failed_apply_stops_there_and_is_retried);
    tcase_add_test(tc, test_refused_apply_is_not_retried);
    tcase_add_test(tc, test_refused_spec_writes_only_the_status);
    tcase_add_test(tc, test_gone_cluster_is_done);
    tcase_add_test(tc, test_address_fallback_is_in_status_and_an_event);
    tcase_add_test(tc, test_draining_while_a_broker_pod_stops);
    tcase_add_test(tc, test_a_moved_address_waits_for_the_statefulsets_roll);
    tcase_add_test(tc, test_storage_grows_claims_and_recreates_the_statefulset);
    tcase_add_test(tc, test_storage_growth_resumes);
    tcase_add_test(tc, test_storage_progress_in_status);
    tcase_add_test(tc, test_storage_progress_after_stale_status);
    tcase_add_test(tc, test_storage_class_cannot_expand);
    tcase_add_test(tc, test_storage_shrink_is_refused);
    tcase_add_test(tc, test_config_change_rolls_only_when_kafka_or_a_removal_says_so);
    tcase_add_test(tc, test_downgrade_below_the_finalized_level_is_refused);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
