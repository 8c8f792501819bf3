/* The subset comparison of diff.h. */
#include "diff.h"

#include <string.h>

#include "cluster.h"

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

bool op_subset(const cJSON *want, const cJSON *have)
{
    return subset(want, have, false);
}
