/* The server's half of the drain wire contract; see drain_api.h. */
#include "http/drain_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define LINE_MAX_BYTES 1024

int http_drain_request_parse(const char *body, size_t len, http_drain_request *out, util_err *err)
{
    const char *end = NULL;
    const cJSON *t;
    cJSON *root;
    double v;

    out->timeout_ms = 0;
    root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (root == NULL)
        return util_err_set(err, "drain request: body is not JSON");
    /* cJSON stops after the first value; anything but space after it means
     * the body is not one JSON document. */
    while (end < body + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (end != body + len) {
        cJSON_Delete(root);
        return util_err_set(err, "drain request: body is not JSON (trailing data)");
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return util_err_set(err, "drain request: body is not a JSON object");
    }
    t = cJSON_GetObjectItemCaseSensitive(root, "timeout_ms");
    if (t == NULL || !cJSON_IsNumber(t)) {
        cJSON_Delete(root);
        return util_err_set(err, "drain request: timeout_ms: missing or not a number");
    }
    v = cJSON_GetNumberValue(t);
    cJSON_Delete(root);
    /* Compared as doubles first: a huge or NaN value must not reach the
     * integer conversion. */
    if (!(v >= 1 && v <= (double)HTTP_DRAIN_MAX_TIMEOUT_MS) || (double)(long long)v != v)
        return util_err_set(err, "drain request: timeout_ms: not an integer in 1..%lld",
                            HTTP_DRAIN_MAX_TIMEOUT_MS);
    out->timeout_ms = (long long)v;
    return 0;
}

/* Formats into line (LINE_MAX_BYTES), making it one line ending in '\n'. */
__attribute__((format(printf, 3, 0))) static size_t format_line(char *line, const char *prefix,
                                                                const char *fmt, va_list ap)
{
    size_t n = strlen(prefix), i;

    memcpy(line, prefix, n);
    if (fmt != NULL) {
        int m = vsnprintf(line + n, LINE_MAX_BYTES - n - 1, fmt, ap);
        if (m > 0)
            n += (size_t)m < LINE_MAX_BYTES - n - 1 ? (size_t)m : LINE_MAX_BYTES - n - 2;
    }
    for (i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    line[n] = '\0';
    return n;
}

int http_drain_progress(http_stream *s, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = format_line(line, "", fmt, ap);
    va_end(ap);
    if (strncmp(line, HTTP_DRAIN_RESULT_PREFIX, strlen(HTTP_DRAIN_RESULT_PREFIX)) == 0) {
        char quoted[LINE_MAX_BYTES + 2];
        quoted[0] = '>';
        quoted[1] = ' ';
        memcpy(quoted + 2, line, n);
        return http_stream_write(s, quoted, n + 2);
    }
    return http_stream_write(s, line, n);
}

int http_drain_result(http_stream *s, int ok, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    va_list ap;
    size_t n;

    if (ok)
        return http_stream_write(s, HTTP_DRAIN_RESULT_OK "\n", strlen(HTTP_DRAIN_RESULT_OK) + 1);
    va_start(ap, fmt);
    n = format_line(line, HTTP_DRAIN_RESULT_FAILED, fmt != NULL ? fmt : "unknown", ap);
    va_end(ap);
    return http_stream_write(s, line, n);
}
