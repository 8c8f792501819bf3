/* spec.config changes to running brokers (see reconcile_config.h). */
#include "reconcile_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_change.h"
#include "kafka/configs.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kube/object.h"
#include "util/log.h"

/* What the step works out, all owned. */
typedef struct cfg_step {
    cJSON *rolled;   /* the record's "rolled" as it will be written */
    cJSON *live;     /* keys berth holds at the cluster default */
    cJSON *rolling;  /* keys a config roll under way is for */
    cJSON *changed;  /* keys of spec.config whose value is not the rolled one */
    cJSON *removed;  /* keys rolled with, gone from spec.config */
    cJSON *readonly; /* keys Kafka cannot change live */
    cJSON *applied;  /* keys this reconcile wrote live */
    char message[UTIL_ERR_MAX + 128];
} cfg_step;

static void step_free(cfg_step *s)
{
    cJSON_Delete(s->rolled);
    cJSON_Delete(s->live);
    cJSON_Delete(s->rolling);
    cJSON_Delete(s->changed);
    cJSON_Delete(s->removed);
    cJSON_Delete(s->readonly);
    cJSON_Delete(s->applied);
}

static cJSON *desired_sts(op_run *w)
{
    cJSON *d;

    cJSON_ArrayForEach(d, w->desired)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "kind");

        if (cJSON_IsString(k) && strcmp(k->valuestring, "StatefulSet") == 0)
            return d;
    }
    return NULL;
}

static cJSON *annotations_of(cJSON *obj)
{
    cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *a;

    if (m == NULL)
        m = cJSON_AddObjectToObject(obj, "metadata");
    if ((a = cJSON_GetObjectItemCaseSensitive(m, "annotations")) == NULL)
        a = cJSON_AddObjectToObject(m, "annotations");
    return a;
}

/* The record on the desired StatefulSet, and the template's hash (NULL:
 * none, as the live one has none). */
static void put(cJSON *sts, const cJSON *rolled, const cJSON *live, const cJSON *rolling,
                const char *hash)
{
    char *text = op_config_state_print(rolled, live, rolling);
    cJSON *tmpl =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sts, "spec"), "template");

    cJSON_AddStringToObject(annotations_of(sts), OP_CONFIG_ANNOTATION, text);
    free(text);
    if (hash != NULL && tmpl != NULL)
        cJSON_AddStringToObject(annotations_of(tmpl), OP_CONFIG_HASH_ANNOTATION, hash);
}

static const char *value_of(const op_run *w, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(w->c.config, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The broker's own description of keys (n of them), from the broker at
 * the other end of a: which are read-only or unknown go to readonly. When
 * a was dialled at an address that could be any broker, every broker id
 * Metadata names is asked in one request; the one at the other end
 * answers. */
static int classify(op_admin *a, const char *const *keys, int n, cJSON *readonly, util_err *err)
{
    kafka_config_resource res[64];
    char names[64][12];
    int nres = 0, rc = -1;
    kafka_describe_configs_request req = {0};
    kafka_describe_configs_response *out = NULL;
    const kafka_config_result *r = NULL;

    if (a->node_id >= 0) {
        snprintf(names[nres++], sizeof names[0], "%d", (int)a->node_id);
    } else {
        kafka_metadata_request mr = {(const char *const[]){NULL}, 0};
        kafka_metadata *md = NULL;

        if (kafka_metadata_call(a->conn, a->av, &mr, OP_ADMIN_TIMEOUT_MS, &md, err) != 0)
            return util_err_prefix(err, "%s: Metadata", a->hostport);
        for (int32_t i = 0; i < md->n_brokers && nres < 64; i++)
            snprintf(names[nres++], sizeof names[0], "%d", (int)md->brokers[i].node_id);
        kafka_metadata_free(md);
    }
    for (int i = 0; i < nres; i++) {
        res[i].type = KAFKA_RESOURCE_BROKER;
        res[i].name = names[i];
        res[i].keys = keys;
        res[i].n_keys = n;
    }
    req.resources = res;
    req.n_resources = nres;
    if (kafka_describe_configs_call(a->conn, a->av, &req, OP_ADMIN_TIMEOUT_MS, &out, err) != 0)
        return util_err_prefix(err, "%s: DescribeConfigs", a->hostport);
    for (int32_t i = 0; i < out->n_results && r == NULL; i++)
        if (out->results[i].error_code == KAFKA_ERR_NONE)
            r = &out->results[i];
    if (r == NULL) {
        util_err_set(err, "%s: DescribeConfigs of broker %s: %s", a->hostport, names[0],
                     out->n_results > 0 ? kafka_error_name(out->results[0].error_code) : "none");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const kafka_config_entry *e = kafka_config_result_find(r, keys[i]);

        if (e == NULL || e->read_only)
            op_config_add(readonly, keys[i]);
    }
    rc = 0;
done:
    kafka_describe_configs_free(out);
    return rc;
}

static void drop_key(cJSON *keys, const char *k)
{
    int i = 0;
    const cJSON *e;

    cJSON_ArrayForEach(e, keys)
    {
        if (strcmp(e->valuestring, k) == 0) {
            cJSON_DeleteItemFromArray(keys, i);
            return;
        }
        i++;
    }
}

/* One IncrementalAlterConfigs of the cluster default: the resource's
 * error code (0 when taken), -1 when it could not be sent. */
static int alter(op_admin *a, const kafka_config_op *ops, int n, char *why, size_t size,
                 util_err *err)
{
    kafka_alter_config_resource res = {KAFKA_RESOURCE_BROKER, "", ops, n};
    kafka_incremental_alter_configs_request req = {&res, 1, 0};
    kafka_incremental_alter_configs_response *out = NULL;
    int code;

    if (kafka_incremental_alter_configs_call(a->conn, a->av, &req, OP_ADMIN_TIMEOUT_MS, &out,
                                             err) != 0)
        return util_err_prefix(err, "%s: IncrementalAlterConfigs", a->hostport);
    code = out->n_results > 0 ? out->results[0].error_code : KAFKA_ERR_UNKNOWN_SERVER_ERROR;
    snprintf(why, size, "%s%s%s", kafka_error_name((int16_t)code),
             out->n_results > 0 && out->results[0].error_message != NULL ? ": " : "",
             out->n_results > 0 && out->results[0].error_message != NULL
                 ? out->results[0].error_message
                 : "");
    kafka_incremental_alter_configs_free(out);
    return code;
}

/* The cluster default brought to what spec.config wants for the keys in
 * want (SET) and drop (DELETE), writing only what differs. Keys Kafka
 * refuses to change at the cluster level go to s->readonly; s->live gets
 * the keys held there afterwards, s->applied those written now. 0, or -1
 * (err, or s->message for a refused value). */
static int bring(op_run *w, op_admin *a, const cJSON *want, const cJSON *drop, cfg_step *s,
                 util_err *err)
{
    kafka_config_resource res = {KAFKA_RESOURCE_BROKER, "", NULL, 0};
    kafka_describe_configs_request req = {&res, 1, 0, 0};
    kafka_describe_configs_response *out = NULL;
    const kafka_config_result *r;
    kafka_config_op ops[256];
    const cJSON *e;
    int n = 0, rc = 0;
    char why[512];

    if (kafka_describe_configs_call(a->conn, a->av, &req, OP_ADMIN_TIMEOUT_MS, &out, err) != 0)
        return util_err_prefix(err, "%s: DescribeConfigs of the cluster default", a->hostport);
    r = kafka_describe_configs_result(out, KAFKA_RESOURCE_BROKER, "");
    if (r == NULL || r->error_code != KAFKA_ERR_NONE) {
        util_err_set(err, "%s: DescribeConfigs of the cluster default: %s", a->hostport,
                     r != NULL ? kafka_error_name(r->error_code) : "no answer");
        kafka_describe_configs_free(out);
        return -1;
    }
    cJSON_ArrayForEach(e, want)
    {
        const kafka_config_entry *now = kafka_config_result_find(r, e->valuestring);
        const char *v = value_of(w, e->valuestring);

        op_config_add(s->live, e->valuestring);
        if (now != NULL && now->value != NULL && strcmp(now->value, v) == 0)
            continue;
        if (n < 256)
            ops[n++] = (kafka_config_op){e->valuestring, KAFKA_CONFIG_SET, v};
    }
    cJSON_ArrayForEach(e, drop)
    {
        if (kafka_config_result_find(r, e->valuestring) != NULL && n < 256)
            ops[n++] = (kafka_config_op){e->valuestring, KAFKA_CONFIG_DELETE, NULL};
    }
    if (n == 0)
        goto done;
    rc = alter(a, ops, n, why, sizeof why, err);
    if (rc == KAFKA_ERR_NONE) {
        for (int i = 0; i < n; i++)
            if (ops[i].op == KAFKA_CONFIG_SET)
                op_config_add(s->applied, ops[i].name);
        goto done;
    }
    if (rc < 0)
        goto done;
    /* Refused as a whole: one key at a time, to know which. */
    rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int code = alter(a, &ops[i], 1, why, sizeof why, err);

        if (code < 0) {
            rc = -1;
        } else if (code == KAFKA_ERR_NONE) {
            if (ops[i].op == KAFKA_CONFIG_SET)
                op_config_add(s->applied, ops[i].name);
        } else if (code == KAFKA_ERR_INVALID_REQUEST && ops[i].op == KAFKA_CONFIG_SET) {
            /* Not changeable at the cluster level (read-only, or per broker
             * only): it takes a roll. */
            op_config_add(s->readonly, ops[i].name);
            drop_key(s->live, ops[i].name);
        } else {
            snprintf(s->message, sizeof s->message, "%s %s refused by Kafka: %s",
                     ops[i].op == KAFKA_CONFIG_SET ? "setting" : "removing", ops[i].name, why);
            rc = -1;
        }
    }
done:
    kafka_describe_configs_free(out);
    return rc;
}

/* Opens an admin connection to the first broker that answers. */
static int open_any(op_run *w, op_admin **a, util_err *err)
{
    int rc = -1;

    for (int i = 0; i < w->c.replicas && rc != 0; i++)
        rc = op_run_admin_open(w, i, 0, a, err);
    return rc;
}

/* What Kafka says and does for one reconcile: classifies the keys that
 * need it, decides the roll, and brings the cluster default to the keys
 * held live. 0, or -1 with s->message saying why (nothing is decided). */
static int with_kafka(op_run *w, const cJSON *rolled0, const cJSON *managed, cfg_step *s,
                      cJSON *rolled_now, bool *roll)
{
    op_admin *a = NULL;
    util_err kerr = {{0}};
    cJSON *ask = cJSON_CreateArray(), *want = cJSON_CreateArray(), *drop = cJSON_CreateArray();
    const char *keys[256];
    const cJSON *e;
    int n = 0, rc = -1;

    /* Changed keys and the keys of a roll under way still in spec.config,
     * unless berth already holds them live (so they are dynamic). */
    cJSON_ArrayForEach(e, s->changed)
    {
        if (!op_config_has(managed, e->valuestring))
            op_config_add(ask, e->valuestring);
    }
    cJSON_ArrayForEach(e, s->rolling)
    {
        if (value_of(w, e->valuestring) != NULL && !op_config_has(managed, e->valuestring))
            op_config_add(ask, e->valuestring);
    }
    cJSON_ArrayForEach(e, ask)
    {
        if (n < 256)
            keys[n++] = e->valuestring;
    }
    if (open_any(w, &a, &kerr) != 0 || (n > 0 && classify(a, keys, n, s->readonly, &kerr) != 0))
        goto fail;
    cJSON_ArrayForEach(e, s->changed)
    {
        if (op_config_has(s->readonly, e->valuestring))
            *roll = true;
    }
    if (cJSON_GetArraySize(s->removed) > 0)
        *roll = true;
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *r = *roll ? rolled_now : rolled0;
        cJSON *all = cJSON_CreateArray();

        if (*roll) {
            cJSON_ArrayForEach(e, s->changed)
            {
                op_config_add(s->rolling, e->valuestring);
            }
            cJSON_ArrayForEach(e, s->removed)
            {
                op_config_add(s->rolling, e->valuestring);
            }
        }
        cJSON_ArrayForEach(e, s->changed)
        {
            op_config_add(all, e->valuestring);
        }
        cJSON_ArrayForEach(e, s->rolling)
        {
            op_config_add(all, e->valuestring);
        }
        cJSON_ArrayForEach(e, managed)
        {
            op_config_add(all, e->valuestring);
        }
        cJSON_Delete(want);
        cJSON_Delete(drop);
        want = cJSON_CreateArray();
        drop = cJSON_CreateArray();
        /* Held live: a dynamic key whose value some pod does not run with
         * (it differs from the rolled one, or old pods of a roll under way
         * run with another). */
        cJSON_ArrayForEach(e, all)
        {
            const char *v = value_of(w, e->valuestring);
            const cJSON *fp = cJSON_GetObjectItemCaseSensitive(r, e->valuestring);
            char now[OP_CONFIG_FP_SIZE];

            if (v != NULL)
                op_config_fingerprint(v, now);
            if (v != NULL && !op_config_has(s->readonly, e->valuestring) &&
                (!cJSON_IsString(fp) || strcmp(fp->valuestring, now) != 0 ||
                 op_config_has(s->rolling, e->valuestring)))
                op_config_add(want, e->valuestring);
            else if (op_config_has(managed, e->valuestring))
                op_config_add(drop, e->valuestring);
        }
        cJSON_Delete(all);
        cJSON_Delete(s->live);
        s->live = cJSON_CreateArray();
        if (bring(w, a, want, drop, s, &kerr) != 0)
            goto fail;
        if (*roll)
            break;
        cJSON_ArrayForEach(e, s->changed)
        {
            if (op_config_has(s->readonly, e->valuestring))
                *roll = true;
        }
        if (!*roll)
            break;
    }
    rc = 0;
    goto done;
fail:
    if (s->message[0] == '\0')
        snprintf(s->message, sizeof s->message,
                 "cannot ask the brokers which changed keys Kafka updates live: %s", kerr.msg);
done:
    op_admin_free(a);
    cJSON_Delete(ask);
    cJSON_Delete(want);
    cJSON_Delete(drop);
    return rc;
}

/* status.config: the keys held live, those a roll under way is for, and
 * what could not be done. NULL when there is nothing to say. */
static cJSON *config_status(const cfg_step *s)
{
    cJSON *st;

    if (cJSON_GetArraySize(s->live) == 0 && cJSON_GetArraySize(s->rolling) == 0 &&
        s->message[0] == '\0')
        return NULL;
    st = cJSON_CreateObject();
    if (cJSON_GetArraySize(s->live) > 0)
        cJSON_AddItemToObject(st, "appliedLive", cJSON_Duplicate(s->live, 1));
    if (cJSON_GetArraySize(s->rolling) > 0)
        cJSON_AddItemToObject(st, "awaitingRoll", cJSON_Duplicate(s->rolling, 1));
    if (s->message[0] != '\0')
        cJSON_AddStringToObject(st, "message", s->message);
    return st;
}

/* Whether spec.config sets any of keys. */
static bool any_set(const op_run *w, const cJSON *keys)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, keys)
    {
        if (value_of(w, e->valuestring) != NULL)
            return true;
    }
    return false;
}

op_outcome op_run_config(op_run *w, util_err *err)
{
    cJSON *sts = desired_sts(w), *state = NULL, *rolled_now;
    const cJSON *live = op_run_live_of(w, "StatefulSet", NULL), *managed;
    const char *live_hash = NULL;
    cfg_step s = {0};
    bool roll = false;
    char hash[OP_CONFIG_FP_SIZE], list[512];

    (void)err;
    if (w->c.flavor != OP_FLAVOR_KAFKA || sts == NULL)
        return OP_RECONCILE_DONE;
    rolled_now = op_config_rolled_new(w->c.config);
    if (live != NULL) {
        const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(live, "spec"), "template");

        live_hash = kube_meta_annotation(tmpl, OP_CONFIG_HASH_ANNOTATION);
        state = op_config_state_parse(kube_meta_annotation(live, OP_CONFIG_ANNOTATION));
    }
    if (state == NULL) {
        /* A new StatefulSet starts its pods with spec.config; one made by a
         * berth that kept no record is taken to run with it (nothing to
         * roll for, as that berth never rolled for config). */
        cJSON *none = cJSON_CreateArray();

        op_config_hash(rolled_now, hash);
        put(sts, rolled_now, none, none, live == NULL ? hash : live_hash);
        cJSON_Delete(none);
        cJSON_Delete(rolled_now);
        return OP_RECONCILE_DONE;
    }
    managed = cJSON_GetObjectItemCaseSensitive(state, "live");
    s.rolled = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(state, "rolled"), 1);
    s.live = cJSON_Duplicate(managed, 1);
    s.rolling = op_config_roll_done(live)
                    ? cJSON_CreateArray()
                    : cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(state, "rolling"), 1);
    s.readonly = cJSON_CreateArray();
    s.applied = cJSON_CreateArray();
    op_config_changes(w->c.config, s.rolled, &s.changed, &s.removed);

    if (cJSON_GetArraySize(s.changed) > 0 || cJSON_GetArraySize(managed) > 0 ||
        any_set(w, s.rolling)) {
        cJSON *rolling0 = cJSON_Duplicate(s.rolling, 1);

        if (with_kafka(w, s.rolled, managed, &s, rolled_now, &roll) != 0) {
            /* Nothing decided: the record stays (with any key just set
             * live, to be undone if it goes), nothing rolls. */
            const cJSON *k;

            roll = false;
            cJSON_Delete(s.live);
            s.live = cJSON_Duplicate(managed, 1);
            cJSON_ArrayForEach(k, s.applied)
            {
                op_config_add(s.live, k->valuestring);
            }
            cJSON_Delete(s.rolling);
            s.rolling = rolling0;
            rolling0 = NULL;
            util_warn("%s/%s: config: %s", w->c.namespace, w->c.name, s.message);
            op_run_requeue(w, OP_WAIT_CONFIG_RETRY);
        }
        cJSON_Delete(rolling0);
    } else if (cJSON_GetArraySize(s.removed) > 0) {
        const cJSON *k;

        roll = true;
        cJSON_ArrayForEach(k, s.removed)
        {
            op_config_add(s.rolling, k->valuestring);
        }
    }
    if (roll) {
        cJSON_Delete(s.rolled);
        s.rolled = cJSON_Duplicate(rolled_now, 1);
        op_config_hash(s.rolled, hash);
        put(sts, s.rolled, s.live, s.rolling, hash);
        util_info("%s/%s: rolling the brokers for config %s", w->c.namespace, w->c.name,
                  op_config_list(s.rolling, list, sizeof list));
        op_run_event(w, KUBE_EVENT_NORMAL, "ConfigRoll",
                     "rolling the brokers, one at a time and drained, for config keys Kafka "
                     "cannot change live: %s",
                     op_config_list(s.rolling, list, sizeof list));
    } else {
        put(sts, s.rolled, s.live, s.rolling, live_hash);
    }
    if (cJSON_GetArraySize(s.applied) > 0) {
        util_info("%s/%s: applied config %s live", w->c.namespace, w->c.name,
                  op_config_list(s.applied, list, sizeof list));
        op_run_event(w, KUBE_EVENT_NORMAL, "ConfigApplied",
                     "applied to every broker without a restart (cluster default): %s",
                     op_config_list(s.applied, list, sizeof list));
    }
    w->config_status = config_status(&s);
    step_free(&s);
    cJSON_Delete(state);
    cJSON_Delete(rolled_now);
    return OP_RECONCILE_DONE;
}
