/* The checks every value read from the <cluster>-brokers documents goes
 * through (check.h): where a value sits for messages, characters and
 * names, UTF-8, and typed JSON members. */
#include "init/check.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sc_where_at(sc_where *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->at, sizeof w->at, fmt, ap);
    va_end(ap);
    w->prefix[0] = '\0';
}

void sc_where_prefix(sc_where *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->prefix, sizeof w->prefix, fmt, ap);
    va_end(ap);
}

/* Sets err to "<at>: <prefix><key>: <message>"; without a key the prefix
 * alone names the field. Returns -1. */
int sc_fail(util_err *err, const sc_where *w, const char *key, const char *fmt, ...)
{
    char msg[UTIL_ERR_MAX];
    size_t plen = strlen(w->prefix);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (key != NULL)
        return util_err_set(err, "%s: %s%s: %s", w->at, w->prefix, key, msg);
    if (plen > 0)
        return util_err_set(err, "%s: %.*s: %s", w->at,
                            (int)(w->prefix[plen - 1] == '.' ? plen - 1 : plen), w->prefix, msg);
    return util_err_set(err, "%s: %s", w->at, msg);
}

const char *sc_json_kind(const cJSON *j)
{
    if (j == NULL)
        return "nothing";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    return "an unknown value";
}

/* ---- characters and names ---- */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool sc_is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool sc_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One label of a DNS name, n bytes at s: alphanumerics and inner '-'. */
static bool is_label(const char *s, size_t n, bool any_case)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(any_case ? sc_is_alnum(s[i]) : is_lower_alnum(s[i])) && s[i] != '-')
            return false;
    return true;
}

/* A DNS name: dot-separated labels, at most 253 bytes, the last label not
 * all digits (so "999.1.1.1" is not taken for a name). */
bool sc_is_dns_name(const char *s, bool any_case)
{
    size_t n = strlen(s), start = 0;
    bool digits = true;

    if (n == 0 || n > SC_HOST_MAX)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!is_label(s + start, i - start, any_case))
            return false;
        digits = true;
        for (size_t k = start; k < i; k++)
            digits = digits && sc_is_digit(s[k]);
        start = i + 1;
    }
    return !digits;
}

/* A host a client can dial: IPv4, IPv6 or a DNS name (any case). */
bool sc_is_host(const char *s, bool *ipv6)
{
    unsigned char addr[16];

    *ipv6 = false;
    if (strlen(s) > SC_HOST_MAX)
        return false;
    if (inet_pton(AF_INET, s, addr) == 1)
        return true;
    if (inet_pton(AF_INET6, s, addr) == 1) {
        *ipv6 = true;
        return true;
    }
    return sc_is_dns_name(s, true);
}

/* A Kubernetes label value (what a rack comes from): at most 63 bytes of
 * alphanumerics, '-', '_' and '.', beginning and ending alphanumeric. */
bool sc_is_label_value(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 63 || !sc_is_alnum(s[0]) || !sc_is_alnum(s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!sc_is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

size_t sc_utf8_next(const char *s, size_t len, unsigned *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned c;
    size_t n;

    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] >= 0xc2 && u[0] <= 0xdf) {
        n = 2;
        c = u[0] & 0x1f;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
        n = 3;
        c = u[0] & 0x0f;
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
        n = 4;
        c = u[0] & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3f);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
    if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

bool sc_is_utf8(const char *s)
{
    size_t len = strlen(s), k;
    unsigned cp;

    for (size_t i = 0; i < len; i += k)
        if ((k = sc_utf8_next(s + i, len - i, &cp)) == 0)
            return false;
    return true;
}

/* ---- typed members ---- */

/* An integer member in [min, max]. Absent: 1 if optional, else an error. */
int sc_get_int(const cJSON *obj, const char *key, long min, long max, bool optional, long *out,
               const sc_where *w, util_err *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    double v;

    if (j == NULL) {
        if (optional)
            return 1;
        return sc_fail(err, w, key, "missing (an integer from %ld to %ld)", min, max);
    }
    if (!cJSON_IsNumber(j))
        return sc_fail(err, w, key, "must be an integer from %ld to %ld, got %s", min, max,
                       sc_json_kind(j));
    v = j->valuedouble;
    if (!(v >= (double)min && v <= (double)max) || v != (double)(long)v)
        return sc_fail(err, w, key, "must be an integer from %ld to %ld, got %.17g", min, max, v);
    *out = (long)v;
    return 0;
}

/* A string member. Absent or null: *out = NULL and 1 if optional. */
int sc_get_str(const cJSON *obj, const char *key, bool optional, const char **out,
               const sc_where *w, util_err *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (j == NULL || (optional && cJSON_IsNull(j))) {
        if (optional)
            return 1;
        return sc_fail(err, w, key, "missing (a string)");
    }
    if (!cJSON_IsString(j) || j->valuestring == NULL)
        return sc_fail(err, w, key, "must be a string, got %s", sc_json_kind(j));
    *out = j->valuestring;
    return 0;
}

/* An object member. Absent or null: *out = NULL, which is fine if optional. */
int sc_get_obj(const cJSON *obj, const char *key, bool optional, const cJSON **out,
               const sc_where *w, util_err *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (j == NULL || cJSON_IsNull(j)) {
        if (optional)
            return 0;
        return sc_fail(err, w, key, "missing (an object)");
    }
    if (!cJSON_IsObject(j))
        return sc_fail(err, w, key, "must be an object, got %s", sc_json_kind(j));
    *out = j;
    return 0;
}
