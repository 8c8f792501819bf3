/* Summaries of the certificate Secrets (see secret_summary.h). */
#include "secret_summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/str.h"

#define STUB_MARK  '~' /* never in base64, so a stub is never a value */
#define BUNDLE_MAX 16  /* certificates of a bundle summarized */
#define CRT_SUFFIX ".crt"
#define KEY_SUFFIX ".key"

/* value's stub into out (STUB_MARK and 32 hex digits); -1 when OpenSSL
 * fails. */
static int stub_of(const char *value, char out[34])
{
    out[0] = STUB_MARK;
    return pki_digest(value, strlen(value), out + 1);
}

char *op_secret_value(const cJSON *secret, const char *key)
{
    const cJSON *v =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(secret, "data"), key);
    char *out = NULL;
    size_t n;

    if (!cJSON_IsString(v) ||
        util_base64_decode(v->valuestring, strlen(v->valuestring), &out, &n) != 0)
        return NULL;
    return out;
}

static cJSON *facts_json(const pki_cert_facts *f)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "nb", (double)f->not_before);
    cJSON_AddNumberToObject(o, "na", (double)f->not_after);
    cJSON_AddBoolToObject(o, "ca", f->is_ca);
    cJSON_AddBoolToObject(o, "key", f->key_matches);
    cJSON_AddStringToObject(o, "names", f->names);
    cJSON_AddStringToObject(o, "issuer", f->issuer);
    cJSON_AddStringToObject(o, "md", f->md);
    cJSON_AddStringToObject(o, "tbs", f->tbs);
    cJSON_AddStringToObject(o, "sig", f->sig);
    return o;
}

/* The facts of the pair crt_key (and its ".key") of secret, or NULL. */
static cJSON *pair_facts(const cJSON *secret, const char *crt_key)
{
    char key_key[256];
    char *crt = op_secret_value(secret, crt_key), *key;
    pki_cert_facts f;
    cJSON *o = NULL;

    if (crt == NULL)
        return NULL;
    snprintf(key_key, sizeof key_key, "%.*s%s", (int)(strlen(crt_key) - strlen(CRT_SUFFIX)),
             crt_key, KEY_SUFFIX);
    key = op_secret_value(secret, key_key);
    if (pki_facts(crt, strlen(crt), key, &f, NULL) == 0)
        o = facts_json(&f);
    if (key != NULL)
        memset(key, 0, strlen(key));
    free(key);
    free(crt);
    return o;
}

/* Fingerprint, expiry and CA flag of each certificate of the bundle
 * secret's data[key], as an array (empty when there is none). */
static cJSON *bundle_facts(const cJSON *secret, const char *key)
{
    char *pem = op_secret_value(secret, key);
    cJSON *a = cJSON_CreateArray();
    const char *p = pem, *block;
    size_t len;
    int n = 0;

    while (n < BUNDLE_MAX && (block = pki_bundle_next(&p, &len)) != NULL) {
        pki_cert_info info;
        cJSON *o;

        if (pki_inspect(block, len, &info, NULL) != 0)
            continue;
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "fp", info.fingerprint);
        cJSON_AddNumberToObject(o, "na", (double)info.not_after);
        cJSON_AddBoolToObject(o, "ca", info.is_ca);
        cJSON_AddItemToArray(a, o);
        pki_cert_info_clear(&info);
        n++;
    }
    free(pem);
    return a;
}

void op_secret_summarize(cJSON *secret, const char *bundle_key)
{
    cJSON *data = cJSON_GetObjectItemCaseSensitive(secret, "data"), *sum, *v;

    if (op_secret_is_summary(secret))
        return;
    sum = cJSON_AddObjectToObject(secret, OP_SUMMARY_MEMBER);
    if (sum == NULL)
        return;
    /* Facts first, from the values; then the values become stubs. */
    cJSON_ArrayForEach(v, data)
    {
        cJSON *f = NULL;

        if (strcmp(v->string, bundle_key) == 0)
            f = bundle_facts(secret, v->string);
        else if (util_str_ends_with(v->string, CRT_SUFFIX))
            f = pair_facts(secret, v->string);
        if (f != NULL)
            cJSON_AddItemToObject(sum, v->string, f);
    }
    cJSON_ArrayForEach(v, data)
    {
        char stub[34];

        if (cJSON_IsString(v) && stub_of(v->valuestring, stub) == 0)
            cJSON_SetValuestring(v, stub);
        else
            cJSON_SetValuestring(v, ""); /* not a stub of anything: never kept */
    }
}

bool op_secret_is_summary(const cJSON *secret)
{
    return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(secret, OP_SUMMARY_MEMBER));
}

static long long num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

/* o[key] into out (size bytes); false when it is not a string that fits. */
static bool text(const cJSON *o, const char *key, char *out, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
        return false;
    memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
    return true;
}

int op_secret_facts(const cJSON *secret, const char *key, pki_cert_facts *out)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(secret, OP_SUMMARY_MEMBER), key);

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(o) || !text(o, "names", out->names, sizeof out->names) ||
        !text(o, "issuer", out->issuer, sizeof out->issuer) ||
        !text(o, "md", out->md, sizeof out->md) || !text(o, "tbs", out->tbs, sizeof out->tbs) ||
        !text(o, "sig", out->sig, sizeof out->sig)) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->not_before = num(o, "nb");
    out->not_after = num(o, "na");
    out->is_ca = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ca"));
    out->key_matches = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "key"));
    return 0;
}

bool op_secret_bundle_other_ca(const cJSON *secret, const char *key, const char *fingerprint,
                               long long now)
{
    const cJSON *e;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(secret, OP_SUMMARY_MEMBER), key))
    {
        const cJSON *fp = cJSON_GetObjectItemCaseSensitive(e, "fp");

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "ca")) && num(e, "na") > now &&
            cJSON_IsString(fp) && strcmp(fp->valuestring, fingerprint) != 0)
            return true;
    }
    return false;
}

bool op_secret_value_matches(const char *have, const char *value)
{
    char stub[34];

    if (strcmp(have, value) == 0) /* a stub kept as it was, or a value */
        return true;
    return have[0] == STUB_MARK && stub_of(value, stub) == 0 && strcmp(stub, have) == 0;
}

bool op_secret_has_stub(const cJSON *obj)
{
    const cJSON *v;

    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(obj, "data"))
    {
        if (cJSON_IsString(v) && v->valuestring[0] == STUB_MARK)
            return true;
    }
    return false;
}
