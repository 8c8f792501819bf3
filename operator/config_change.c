/* spec.config against what the brokers run with (see config_change.h). */
#include "config_change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/buf.h"

static void sha_hex(const void *data, size_t len, char *fp)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n < 8)
        memset(md, 0, 8);
    for (int i = 0; i < 8; i++)
        snprintf(fp + 2 * i, 3, "%02x", md[i]);
}

void op_config_fingerprint(const char *value, char *fp)
{
    sha_hex(value, strlen(value), fp);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The string-valued members' keys of obj (or the strings of an array),
 * sorted; borrowed from obj, in a new array (free()) of *n. */
static const char **sorted_keys(const cJSON *obj, int *n)
{
    int size = cJSON_GetArraySize(obj), i = 0;
    const char **keys = calloc((size_t)size + 1, sizeof *keys);
    const cJSON *e;

    cJSON_ArrayForEach(e, obj)
    {
        if (!cJSON_IsString(e))
            continue;
        keys[i++] = cJSON_IsArray(obj) ? e->valuestring : e->string;
    }
    qsort(keys, (size_t)i, sizeof *keys, key_cmp);
    *n = i;
    return keys;
}

cJSON *op_config_rolled_new(const cJSON *config)
{
    cJSON *r = cJSON_CreateObject();
    int n;
    const char **keys = sorted_keys(config, &n);

    for (int i = 0; i < n; i++) {
        char fp[OP_CONFIG_FP_SIZE];

        op_config_fingerprint(cJSON_GetObjectItemCaseSensitive(config, keys[i])->valuestring, fp);
        cJSON_AddStringToObject(r, keys[i], fp);
    }
    free(keys);
    return r;
}

void op_config_hash(const cJSON *rolled, char *fp)
{
    util_buf b;
    int n;
    const char **keys = sorted_keys(rolled, &n);

    util_buf_init(&b, UTIL_BUF_NOMAX);
    for (int i = 0; i < n; i++)
        util_buf_addf(&b, "%s=%s\n", keys[i],
                      cJSON_GetObjectItemCaseSensitive(rolled, keys[i])->valuestring);
    sha_hex(b.len > 0 ? b.data : "", b.len, fp);
    util_buf_reset(&b);
    free(keys);
}

static bool string_array(const cJSON *a)
{
    const cJSON *e;

    if (!cJSON_IsArray(a))
        return false;
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsString(e))
            return false;
    }
    return true;
}

cJSON *op_config_state_parse(const char *text)
{
    cJSON *s = text != NULL ? cJSON_Parse(text) : NULL;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(s, "rolled"), *e;

    if (!cJSON_IsObject(r))
        goto bad;
    cJSON_ArrayForEach(e, r)
    {
        if (!cJSON_IsString(e))
            goto bad;
    }
    if (cJSON_GetObjectItemCaseSensitive(s, "live") == NULL)
        cJSON_AddArrayToObject(s, "live");
    if (cJSON_GetObjectItemCaseSensitive(s, "rolling") == NULL)
        cJSON_AddArrayToObject(s, "rolling");
    if (!string_array(cJSON_GetObjectItemCaseSensitive(s, "live")) ||
        !string_array(cJSON_GetObjectItemCaseSensitive(s, "rolling")))
        goto bad;
    return s;
bad:
    cJSON_Delete(s);
    return NULL;
}

static cJSON *sorted_array(const cJSON *a)
{
    cJSON *out = cJSON_CreateArray();
    int n;
    const char **keys = sorted_keys(a, &n);

    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(keys[i], keys[i - 1]) != 0)
            cJSON_AddItemToArray(out, cJSON_CreateString(keys[i]));
    free(keys);
    return out;
}

char *op_config_state_print(const cJSON *rolled, const cJSON *live, const cJSON *rolling)
{
    cJSON *s = cJSON_CreateObject(), *r = cJSON_AddObjectToObject(s, "rolled");
    int n;
    const char **keys = sorted_keys(rolled, &n);
    char *text;

    for (int i = 0; i < n; i++)
        cJSON_AddStringToObject(r, keys[i],
                                cJSON_GetObjectItemCaseSensitive(rolled, keys[i])->valuestring);
    free(keys);
    cJSON_AddItemToObject(s, "live", sorted_array(live));
    cJSON_AddItemToObject(s, "rolling", sorted_array(rolling));
    text = cJSON_PrintUnformatted(s);
    cJSON_Delete(s);
    return text;
}

void op_config_changes(const cJSON *config, const cJSON *rolled, cJSON **changed, cJSON **removed)
{
    int n;
    const char **keys = sorted_keys(config, &n);

    *changed = cJSON_CreateArray();
    *removed = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        const cJSON *was = cJSON_GetObjectItemCaseSensitive(rolled, keys[i]);
        char fp[OP_CONFIG_FP_SIZE];

        op_config_fingerprint(cJSON_GetObjectItemCaseSensitive(config, keys[i])->valuestring, fp);
        if (!cJSON_IsString(was) || strcmp(was->valuestring, fp) != 0)
            cJSON_AddItemToArray(*changed, cJSON_CreateString(keys[i]));
    }
    free(keys);
    keys = sorted_keys(rolled, &n);
    for (int i = 0; i < n; i++) {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(config, keys[i]);

        if (!cJSON_IsString(now))
            cJSON_AddItemToArray(*removed, cJSON_CreateString(keys[i]));
    }
    free(keys);
}

bool op_config_has(const cJSON *keys, const char *s)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, keys)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    }
    return false;
}

static int item_cmp(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->valuestring, (*(cJSON *const *)b)->valuestring);
}

/* Appended, then sorted by detaching every item and adding them back:
 * cJSON's insertion in the middle of an array is not to be relied on
 * (1.7.15 refuses it after an insertion at the front). */
void op_config_add(cJSON *keys, const char *s)
{
    int n;
    cJSON **items;

    if (op_config_has(keys, s))
        return;
    cJSON_AddItemToArray(keys, cJSON_CreateString(s));
    n = cJSON_GetArraySize(keys);
    if ((items = calloc((size_t)n, sizeof *items)) == NULL)
        return;
    for (int i = 0; i < n; i++)
        items[i] = cJSON_DetachItemFromArray(keys, 0);
    qsort(items, (size_t)n, sizeof *items, item_cmp);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(keys, items[i]);
    free(items);
}

static double num_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);

    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool op_config_roll_done(const cJSON *sts)
{
    const char *cur = str_at(sts, "status", "currentRevision");
    const char *upd = str_at(sts, "status", "updateRevision");
    double gen = num_at(sts, "metadata", "generation");
    double obs = num_at(sts, "status", "observedGeneration");
    double want = num_at(sts, "spec", "replicas");
    double updated = num_at(sts, "status", "updatedReplicas");

    return cur != NULL && upd != NULL && strcmp(cur, upd) == 0 && obs >= gen &&
           updated >= (want < 0 ? 1 : want);
}

const char *op_config_list(const cJSON *keys, char *buf, size_t size)
{
    size_t o = 0;
    const cJSON *e;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    cJSON_ArrayForEach(e, keys)
    {
        int n = snprintf(buf + o, size - o, "%s%s", o > 0 ? ", " : "", e->valuestring);

        if (n < 0 || (size_t)n >= size - o) {
            if (size > 4)
                snprintf(buf + size - 4, 4, "...");
            break;
        }
        o += (size_t)n;
    }
    return buf;
}
