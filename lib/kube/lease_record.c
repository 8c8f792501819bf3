/* The Lease's election record; see lease_record.h. */
#include "kube/lease_record.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kube/microtime.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/str.h"

void kube_lease_record_clear(kube_lease_record *rec)
{
    free(rec->holder);
    memset(rec, 0, sizeof *rec);
}

static int get_time(const cJSON *spec, const char *field, int64_t *out, util_err *err)
{
    const char *s = NULL;

    *out = 0;
    if (util_json_str(spec, "spec.", field, true, &s, err) < 0)
        return -1;
    if (s == NULL)
        return 0;
    if (kube_time_parse(s, out, err) != 0)
        return util_err_prefix(err, "spec.%s", field);
    return 0;
}

/* The message is the elector's own, which tests and logs know. */
static int get_int(const cJSON *spec, const char *field, int *out, util_err *err)
{
    long long v = 0;

    *out = 0;
    if (util_json_int(spec, "spec.", field, true, 0, INT_MAX, &v, err) < 0)
        return util_err_set(err, "spec.%s: not a non-negative 32-bit integer", field);
    *out = (int)v;
    return 0;
}

int kube_lease_record_parse(const cJSON *lease, kube_lease_record *rec, util_err *err)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
    const cJSON *holder = cJSON_GetObjectItemCaseSensitive(spec, "holderIdentity");

    memset(rec, 0, sizeof *rec);
    if (spec != NULL && !cJSON_IsObject(spec))
        return util_err_set(err, "spec: not an object");
    if (holder != NULL && !cJSON_IsNull(holder) && !cJSON_IsString(holder))
        return util_err_set(err, "spec.holderIdentity: not a string");
    if (get_int(spec, "leaseDurationSeconds", &rec->duration_s, err) != 0 ||
        get_int(spec, "leaseTransitions", &rec->transitions, err) != 0 ||
        get_time(spec, "acquireTime", &rec->acquire_ns, err) != 0 ||
        get_time(spec, "renewTime", &rec->renew_ns, err) != 0)
        return -1;
    rec->holder = util_strdup(cJSON_IsString(holder) ? holder->valuestring : "");
    return rec->holder == NULL ? util_err_set(err, "out of memory") : 0;
}

/* Replaces spec[field] with v (taking it), or removes it when v is NULL. */
static bool set_field(cJSON *spec, const char *field, cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(spec, field);
    if (v == NULL)
        return true;
    return cJSON_AddItemToObject(spec, field, v) != 0;
}

static cJSON *micro(int64_t ns)
{
    char buf[KUBE_MICROTIME_LEN];

    if (ns == 0)
        return NULL;
    kube_time_format_micro(ns, buf);
    return cJSON_CreateString(buf);
}

int kube_lease_record_put(const kube_lease_record *rec, cJSON *lease, util_err *err)
{
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
    cJSON *acq = micro(rec->acquire_ns), *ren = micro(rec->renew_ns);
    bool ok = true;

    if (!cJSON_IsObject(spec)) {
        cJSON_DeleteItemFromObjectCaseSensitive(lease, "spec");
        spec = cJSON_AddObjectToObject(lease, "spec");
    }
    if (spec == NULL || (rec->acquire_ns != 0 && acq == NULL) ||
        (rec->renew_ns != 0 && ren == NULL)) {
        cJSON_Delete(acq);
        cJSON_Delete(ren);
        return util_err_set(err, "out of memory");
    }
    ok = set_field(spec, "holderIdentity", cJSON_CreateString(rec->holder ? rec->holder : ""));
    ok = set_field(spec, "leaseDurationSeconds", cJSON_CreateNumber(rec->duration_s)) && ok;
    ok = set_field(spec, "acquireTime", acq) && ok;
    ok = set_field(spec, "renewTime", ren) && ok;
    ok = set_field(spec, "leaseTransitions", cJSON_CreateNumber(rec->transitions)) && ok;
    return ok ? 0 : util_err_set(err, "out of memory");
}

bool kube_lease_expired(const kube_lease_record *rec, int64_t observed_mono, int64_t now_mono)
{
    if (rec->holder == NULL || rec->holder[0] == '\0')
        return true;
    return now_mono - observed_mono >= (int64_t)rec->duration_s * UTIL_NS_PER_SEC;
}
