/* The subset comparison of diff.h. */
#include "diff.h"

#include <string.h>

#include "cluster.h"
#include "secret_summary.h"

static bool subset(const cJSON *want, const cJSON *have, bool quantities)
{
    const cJSON *w, *h;

    if (want == NULL)
        return true;
    if (have == NULL)
        return false;
    if (cJSON_IsObject(want)) {
        if (!cJSON_IsObject(have))
            return false;
        cJSON_ArrayForEach(w, want)
        {
            bool q = quantities || strcmp(w->string, "requests") == 0 ||
                     strcmp(w->string, "limits") == 0;

            if (!subset(w, cJSON_GetObjectItemCaseSensitive(have, w->string), q))
                return false;
        }
        return true;
    }
    if (cJSON_IsArray(want)) {
        if (!cJSON_IsArray(have) || cJSON_GetArraySize(want) != cJSON_GetArraySize(have))
            return false;
        h = have->child;
        cJSON_ArrayForEach(w, want)
        {
            if (!subset(w, h, false))
                return false;
            h = h->next;
        }
        return true;
    }
    if (cJSON_IsString(want)) {
        double a, b;

        if (!cJSON_IsString(have))
            return false;
        if (strcmp(want->valuestring, have->valuestring) == 0)
            return true;
        return quantities && op_quantity_parse(want->valuestring, &a) == 0 &&
               op_quantity_parse(have->valuestring, &b) == 0 && a == b;
    }
    if (cJSON_IsNumber(want))
        return cJSON_IsNumber(have) && want->valuedouble == have->valuedouble;
    if (cJSON_IsBool(want))
        return cJSON_IsBool(have) && cJSON_IsTrue(want) == cJSON_IsTrue(have);
    if (cJSON_IsNull(want))
        return cJSON_IsNull(have);
    return false;
}

/* subset for a Secret whose live form is a summary: its data values
 * compare with their stubs. */
static bool secret_subset(const cJSON *want, const cJSON *have)
{
    const cJSON *w, *hd = cJSON_GetObjectItemCaseSensitive(have, "data");

    cJSON_ArrayForEach(w, want)
    {
        const cJSON *v, *h = cJSON_GetObjectItemCaseSensitive(have, w->string);

        if (strcmp(w->string, "data") != 0) {
            if (!subset(w, h, false))
                return false;
            continue;
        }
        cJSON_ArrayForEach(v, w)
        {
            h = cJSON_GetObjectItemCaseSensitive(hd, v->string);
            if (!cJSON_IsString(v) || !cJSON_IsString(h) ||
                !op_secret_value_matches(h->valuestring, v->valuestring))
                return false;
        }
    }
    return true;
}

bool op_subset(const cJSON *want, const cJSON *have)
{
    if (op_secret_is_summary(have))
        return secret_subset(want, have);
    return subset(want, have, false);
}
