/* Typed cJSON members; see json.h. */
#include "util/json.h"

#include <math.h>

/* The member, or NULL when it is missing (absent or null). */
static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *v = obj != NULL ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    return cJSON_IsNull(v) ? NULL : v;
}

/* The missing case: 1 if optional, else the error. */
static int missing(const char *path, const char *key, bool optional, util_err *err)
{
    if (optional)
        return 1;
    return util_err_set(err, "%s%s: missing", path != NULL ? path : "", key);
}

static int wrong(const char *path, const char *key, const char *what, util_err *err)
{
    return util_err_set(err, "%s%s: not %s", path != NULL ? path : "", key, what);
}

int util_json_int(const cJSON *obj, const char *path, const char *key, bool optional, long long min,
                  long long max, long long *out, util_err *err)
{
    const cJSON *v = member(obj, key);
    double d;

    if (v == NULL)
        return missing(path, key, optional, err);
    if (!cJSON_IsNumber(v) || !isfinite(d = v->valuedouble))
        return wrong(path, key, "an integer", err);
    if (d < (double)min || d > (double)max)
        return util_err_set(err, "%s%s: %.0f out of range [%lld, %lld]", path != NULL ? path : "",
                            key, d, min, max);
    if (d != (double)(long long)d)
        return wrong(path, key, "an integer", err);
    *out = (long long)d;
    return 0;
}

int util_json_bool(const cJSON *obj, const char *path, const char *key, bool optional, bool *out,
                   util_err *err)
{
    const cJSON *v = member(obj, key);

    if (v == NULL)
        return missing(path, key, optional, err);
    if (!cJSON_IsBool(v))
        return wrong(path, key, "a boolean", err);
    *out = cJSON_IsTrue(v);
    return 0;
}

int util_json_str(const cJSON *obj, const char *path, const char *key, bool optional,
                  const char **out, util_err *err)
{
    const cJSON *v = member(obj, key);

    if (v == NULL)
        return missing(path, key, optional, err);
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return wrong(path, key, "a string", err);
    *out = v->valuestring;
    return 0;
}

int util_json_obj(const cJSON *obj, const char *path, const char *key, bool optional,
                  const cJSON **out, util_err *err)
{
    const cJSON *v = member(obj, key);

    if (v == NULL)
        return missing(path, key, optional, err);
    if (!cJSON_IsObject(v))
        return wrong(path, key, "an object", err);
    *out = v;
    return 0;
}

int util_json_arr(const cJSON *obj, const char *path, const char *key, bool optional,
                  const cJSON **out, util_err *err)
{
    const cJSON *v = member(obj, key);

    if (v == NULL)
        return missing(path, key, optional, err);
    if (!cJSON_IsArray(v))
        return wrong(path, key, "an array", err);
    *out = v;
    return 0;
}
