/* Incremental watch-stream parser; see watch_parse.h.
 *
 * Framing is a four-field state machine (in event, in string, after a
 * backslash, brace depth) run over each byte once. Bytes of UTF-8 sequences
 * are all >= 0x80, so they can never be mistaken for '{', '}', '"' or '\\',
 * and a chunk boundary inside one needs no care. Brackets are not tracked:
 * only braces delimit the top-level object, and anything unbalanced inside
 * it is cJSON's to reject.
 *
 * An event that lies wholly inside one chunk is parsed in place; only an
 * event cut by a chunk boundary is copied into the parser's buffer. Error
 * messages name stream offsets and event numbers, never chunk positions, so
 * the same stream fails the same way however it was split (the fuzz target
 * checks exactly that). */
#include "kube/watch_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A buffer grown by one huge event is dropped afterwards rather than kept
 * for the life of the watch. */
#define KEEP_BUF_MAX (1024u * 1024u)

struct kube_watch_parser {
    size_t max_event;

    bool in_event, in_string, escape;
    size_t depth;

    char *buf; /* the current event's bytes from earlier chunks */
    size_t len, cap;

    unsigned long long offset;      /* stream offset of the next chunk's byte 0 */
    unsigned long long event_start; /* stream offset of the current event's '{' */
    unsigned long long nevents;     /* events begun, so the current is #nevents */

    bool failed;
    util_err failure;
};

static const struct {
    const char *name;
    kube_watch_event_type type;
} event_types[] = {
    {"ADDED", KUBE_WATCH_ADDED},     {"MODIFIED", KUBE_WATCH_MODIFIED},
    {"DELETED", KUBE_WATCH_DELETED}, {"BOOKMARK", KUBE_WATCH_BOOKMARK},
    {"ERROR", KUBE_WATCH_ERROR},
};

const char *kube_watch_event_type_name(kube_watch_event_type type)
{
    size_t i;

    for (i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
        if (event_types[i].type == type)
            return event_types[i].name;
    return "UNKNOWN";
}

int kube_watch_parser_new(const kube_watch_parser_opts *opts, kube_watch_parser **out,
                          util_err *err)
{
    kube_watch_parser *p;

    *out = NULL;
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return util_err_set(err, "watch parser: out of memory");
    p->max_event = opts != NULL && opts->max_event_bytes != 0 ? opts->max_event_bytes
                                                              : KUBE_WATCH_DEFAULT_MAX_EVENT;
    *out = p;
    return 0;
}

void kube_watch_parser_free(kube_watch_parser *p)
{
    if (p == NULL)
        return;
    free(p->buf);
    free(p);
}

static void drop_buffer_if_big(kube_watch_parser *p)
{
    p->len = 0;
    if (p->cap > KEEP_BUF_MAX) {
        free(p->buf);
        p->buf = NULL;
        p->cap = 0;
    }
}

void kube_watch_parser_reset(kube_watch_parser *p)
{
    p->in_event = p->in_string = p->escape = false;
    p->depth = 0;
    drop_buffer_if_big(p);
    p->offset = p->event_start = p->nevents = 0;
    p->failed = false;
    util_err_clear(&p->failure);
}

bool kube_watch_parser_failed(const kube_watch_parser *p)
{
    return p->failed;
}

/* Records the failure (the message is already in p->failure) and hands a
 * copy to the caller. */
static int fail(kube_watch_parser *p, util_err *err)
{
    p->failed = true;
    if (err != NULL)
        *err = p->failure;
    return -1;
}

/* Writes up to 24 bytes of s for an error message, escaping what is not
 * printable ASCII so hostile bytes cannot garble a log line. */
static void snippet(char *out, size_t outsz, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;

    for (i = 0; i < n && i < 24 && o + 5 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

static int fail_event(kube_watch_parser *p, util_err *err, const char *what)
{
    util_err_set(&p->failure, "watch event #%llu (stream offset %llu): %s", p->nevents,
                 p->event_start, what);
    return fail(p, err);
}

/* A bare Status where an event should be is how the server reports a watch
 * it refused; say so rather than "missing type". */
static int fail_not_event(kube_watch_parser *p, util_err *err, const cJSON *root)
{
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
    kube_status st;

    if (cJSON_IsString(kind) && strcmp(kind->valuestring, "Status") == 0 &&
        kube_watch_status(root, &st, NULL) == 0) {
        util_err_set(&p->failure,
                     "watch event #%llu (stream offset %llu): a Status, not an event: "
                     "code %d, reason '%s': %s",
                     p->nevents, p->event_start, st.code, st.reason, st.message);
        return fail(p, err);
    }
    return fail_event(p, err, "missing \"type\"");
}

static const char *resource_version(const cJSON *object)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(object, "metadata");
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");

    return cJSON_IsString(rv) ? rv->valuestring : NULL;
}

/* Parses one framed event (json[0] is '{', json[n-1] its matching '}') and
 * hands it to cb. */
static int dispatch(kube_watch_parser *p, const char *json, size_t n, kube_watch_event_fn cb,
                    void *ctx, util_err *err)
{
    const char *end = NULL;
    cJSON *root, *type, *object;
    kube_watch_event ev = {0};
    char near[128];
    size_t i;
    int rc;

    root = cJSON_ParseWithLengthOpts(json, n, &end, false);
    if (root == NULL || end != json + n) {
        size_t at = end != NULL && end >= json && end <= json + n ? (size_t)(end - json) : 0;
        cJSON_Delete(root);
        snippet(near, sizeof near, json + at, n - at);
        util_err_set(&p->failure,
                     "watch event #%llu (stream offset %llu): not valid JSON at byte %zu "
                     "of the event, near '%s'",
                     p->nevents, p->event_start, at, near);
        return fail(p, err);
    }

    type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (type == NULL) {
        rc = fail_not_event(p, err, root);
        cJSON_Delete(root);
        return rc;
    }
    if (!cJSON_IsString(type)) {
        cJSON_Delete(root);
        return fail_event(p, err, "\"type\" is not a string");
    }
    for (i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
        if (strcmp(type->valuestring, event_types[i].name) == 0)
            break;
    if (i == sizeof event_types / sizeof event_types[0]) {
        snippet(near, sizeof near, type->valuestring, strlen(type->valuestring));
        cJSON_Delete(root);
        util_err_set(&p->failure, "watch event #%llu (stream offset %llu): unknown type '%s'",
                     p->nevents, p->event_start, near);
        return fail(p, err);
    }
    ev.type = event_types[i].type;

    object = cJSON_GetObjectItemCaseSensitive(root, "object");
    if (!cJSON_IsObject(object)) {
        cJSON_Delete(root);
        return fail_event(
            p, err, object == NULL ? "missing \"object\"" : "\"object\" is not a JSON object");
    }
    ev.object = cJSON_DetachItemViaPointer(root, object);
    cJSON_Delete(root);
    ev.resource_version = resource_version(ev.object);
    if (ev.type == KUBE_WATCH_BOOKMARK && ev.resource_version == NULL) {
        cJSON_Delete(ev.object);
        return fail_event(p, err, "BOOKMARK without metadata.resourceVersion");
    }

    util_err_clear(&p->failure);
    rc = cb(&ev, ctx, &p->failure);
    cJSON_Delete(ev.object);
    if (rc != 0) {
        if (p->failure.msg[0] == '\0')
            util_err_set(&p->failure, "watch event #%llu (stream offset %llu): handler failed",
                         p->nevents, p->event_start);
        return fail(p, err);
    }
    return 0;
}

static int fail_oversize(kube_watch_parser *p, util_err *err)
{
    util_err_set(&p->failure,
                 "watch event #%llu (stream offset %llu): larger than the %zu-byte limit",
                 p->nevents, p->event_start, p->max_event);
    return fail(p, err);
}

static int append(kube_watch_parser *p, const char *data, size_t n, util_err *err)
{
    if (n > p->cap - p->len) {
        size_t cap = p->cap ? p->cap : 4096;
        char *b;
        while (cap - p->len < n)
            cap = cap > p->max_event / 2 ? p->max_event : cap * 2;
        b = realloc(p->buf, cap);
        if (b == NULL) {
            util_err_set(&p->failure, "watch event #%llu (stream offset %llu): out of memory",
                         p->nevents, p->event_start);
            return fail(p, err);
        }
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
    return 0;
}

/* Advances the framing state over d[i..n); returns the index just past the
 * event's closing brace, or n if the event continues in a later chunk. */
static size_t scan(kube_watch_parser *p, const char *d, size_t i, size_t n, bool *complete)
{
    *complete = false;
    for (; i < n; i++) {
        char c = d[i];
        if (p->in_string) {
            if (p->escape) {
                p->escape = false;
                continue;
            }
            while (c != '"' && c != '\\') {
                if (++i == n)
                    return n;
                c = d[i];
            }
            if (c == '\\')
                p->escape = true;
            else
                p->in_string = false;
        } else if (c == '"') {
            p->in_string = true;
        } else if (c == '{') {
            p->depth++;
        } else if (c == '}' && --p->depth == 0) {
            *complete = true;
            return i + 1;
        }
    }
    return n;
}

int kube_watch_parser_feed(kube_watch_parser *p, const char *data, size_t len,
                           kube_watch_event_fn cb, void *ctx, util_err *err)
{
    size_t i = 0;
    int rc = 0;

    if (p->failed) {
        if (err != NULL)
            *err = p->failure;
        return -1;
    }
    while (i < len && rc == 0) {
        size_t start = i, end;
        bool complete;

        if (!p->in_event) {
            unsigned char c = (unsigned char)data[i];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                i++;
                continue;
            }
            if (c != '{') {
                char what[8];
                snippet(what, sizeof what, data + i, 1);
                util_err_set(&p->failure,
                             "watch stream offset %llu: unexpected '%s' between events "
                             "(expected '{')",
                             p->offset + i, what);
                rc = fail(p, err);
                break;
            }
            p->in_event = true;
            p->depth = 0;
            p->event_start = p->offset + i;
            p->nevents++;
        }

        end = scan(p, data, i, len, &complete);
        if (p->len + (end - start) > p->max_event) {
            rc = fail_oversize(p, err);
            break;
        }
        if (!complete) {
            rc = append(p, data + start, end - start, err);
            i = end;
            break;
        }
        p->in_event = false;
        if (p->len == 0) {
            rc = dispatch(p, data + start, end - start, cb, ctx, err);
        } else if ((rc = append(p, data + start, end - start, err)) == 0) {
            rc = dispatch(p, p->buf, p->len, cb, ctx, err);
            drop_buffer_if_big(p);
        }
        i = end;
    }
    p->offset += len;
    return rc;
}

int kube_watch_parser_finish(kube_watch_parser *p, util_err *err)
{
    if (p->failed) {
        if (err != NULL)
            *err = p->failure;
        return -1;
    }
    if (!p->in_event)
        return 0;
    util_err_set(&p->failure,
                 "watch event #%llu (stream offset %llu): stream ended inside the event",
                 p->nevents, p->event_start);
    return fail(p, err);
}

/* Copies src into dst (size > 0), cut to fit, control characters made
 * spaces so a message stays one line. */
static void copy_field(char *dst, size_t size, const char *src)
{
    size_t i;

    for (i = 0; i + 1 < size && src[i] != '\0'; i++)
        dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
    dst[i] = '\0';
}

int kube_watch_status(const cJSON *status, kube_status *out, util_err *err)
{
    const cJSON *code, *reason, *message;

    out->code = 0;
    out->reason[0] = out->message[0] = '\0';
    if (!cJSON_IsObject(status))
        return util_err_set(err, "Status: not a JSON object");
    code = cJSON_GetObjectItemCaseSensitive(status, "code");
    reason = cJSON_GetObjectItemCaseSensitive(status, "reason");
    message = cJSON_GetObjectItemCaseSensitive(status, "message");
    if (code != NULL) {
        if (!cJSON_IsNumber(code) || !(code->valuedouble >= 0 && code->valuedouble <= 999) ||
            code->valuedouble != (double)(int)code->valuedouble)
            return util_err_set(err, "Status: \"code\" is not an HTTP status code");
        out->code = (int)code->valuedouble;
    }
    if (reason != NULL && !cJSON_IsString(reason))
        return util_err_set(err, "Status: \"reason\" is not a string");
    if (message != NULL && !cJSON_IsString(message))
        return util_err_set(err, "Status: \"message\" is not a string");
    if (reason != NULL)
        copy_field(out->reason, sizeof out->reason, reason->valuestring);
    if (message != NULL)
        copy_field(out->message, sizeof out->message, message->valuestring);
    return 0;
}
