/* Redpanda's admin API over libcurl, and the decoders of its answers
 * (admin.h). The decoders see bytes from the network: every member is
 * checked for its type and range before use, and an error names the member
 * ("brokers[2].maintenance_status.failed: not an integer"). */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "redpanda/admin.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/str.h"
#include "util/version.h"

#define RP_MAX_BODY (4u << 20)

struct rp_admin {
    char *base; /* without a trailing '/' */
    char *ca_file;
    char *username;
    char *password;
    long connect_timeout_ms;
    long timeout_ms;     /* configured */
    long cur_timeout_ms; /* for the next requests */
    CURL *h;             /* kept so the connection is reused between polls */
};

/* ---- decoding ---- */

static cJSON *parse(const char *body, size_t len, util_err *err)
{
    const char *end = NULL;
    cJSON *root;

    if (body == NULL || len == 0) {
        util_err_set(err, "empty body");
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (root == NULL) {
        size_t at = end != NULL && end >= body && end <= body + len ? (size_t)(end - body) : 0;

        util_err_set(err, "not JSON (at byte %zu of %zu)", at, len);
    }
    return root;
}

#define COUNT_MAX (1LL << 40)

static int maintenance_from(const cJSON *o, const char *path, rp_maintenance_status *out,
                            util_err *err)
{
    rp_maintenance_status m;

    if (!cJSON_IsObject(o))
        return util_err_set(err, "%s: not an object", path[0] != '\0' ? path : "body");
    memset(&m, 0, sizeof m);
    m.partitions = m.eligible = m.transferring = m.failed = -1; /* not reported */
    if (util_json_bool(o, path, "draining", false, &m.draining, err) < 0 ||
        util_json_bool(o, path, "finished", true, &m.finished, err) < 0 ||
        util_json_bool(o, path, "errors", true, &m.errors, err) < 0 ||
        util_json_int(o, path, "partitions", true, 0, COUNT_MAX, &m.partitions, err) < 0 ||
        util_json_int(o, path, "eligible", true, 0, COUNT_MAX, &m.eligible, err) < 0 ||
        util_json_int(o, path, "transferring", true, 0, COUNT_MAX, &m.transferring, err) < 0 ||
        util_json_int(o, path, "failed", true, 0, COUNT_MAX, &m.failed, err) < 0)
        return -1;
    *out = m;
    return 0;
}

static int broker_from(const cJSON *o, const char *path, rp_broker *out, util_err *err)
{
    rp_broker b;
    long long id;
    const cJSON *v;
    const char *ms;
    char sub[96];
    int rc;

    if (!cJSON_IsObject(o))
        return util_err_set(err, "%s: not an object", path[0] != '\0' ? path : "body");
    memset(&b, 0, sizeof b);
    if (util_json_int(o, path, "node_id", false, 0, 2147483647LL, &id, err) < 0 ||
        util_json_bool(o, path, "is_alive", true, &b.is_alive, err) < 0)
        return -1;
    b.node_id = (int)id;
    if ((rc = util_json_str(o, path, "membership_status", true, &ms, err)) < 0)
        return -1;
    if (rc == 0) {
        if (strlen(ms) >= sizeof b.membership_status)
            return util_err_set(err, "%smembership_status: longer than %zu bytes", path,
                                sizeof b.membership_status - 1);
        snprintf(b.membership_status, sizeof b.membership_status, "%s", ms);
    }
    if ((rc = util_json_obj(o, path, "maintenance_status", true, &v, err)) < 0)
        return -1;
    if (rc == 0) {
        snprintf(sub, sizeof sub, "%smaintenance_status.", path);
        if (maintenance_from(v, sub, &b.maintenance, err) != 0)
            return -1;
        b.has_maintenance = true;
    }
    *out = b;
    return 0;
}

int rp_decode_maintenance_status(const char *body, size_t len, rp_maintenance_status *out,
                                 util_err *err)
{
    cJSON *root = parse(body, len, err);
    int rc;

    if (root == NULL)
        return -1;
    rc = maintenance_from(root, "", out, err);
    cJSON_Delete(root);
    return rc;
}

int rp_decode_broker(const char *body, size_t len, rp_broker *out, util_err *err)
{
    cJSON *root = parse(body, len, err);
    int rc;

    if (root == NULL)
        return -1;
    rc = broker_from(root, "", out, err);
    cJSON_Delete(root);
    return rc;
}

int rp_decode_brokers(const char *body, size_t len, rp_broker_list *out, util_err *err)
{
    cJSON *root = parse(body, len, err), *it;
    rp_broker_list l = {NULL, 0};
    int n;

    if (root == NULL)
        return -1;
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return util_err_set(err, "body: not an array of brokers");
    }
    n = cJSON_GetArraySize(root);
    if (n > RP_MAX_BROKERS) {
        cJSON_Delete(root);
        return util_err_set(err, "body: %d brokers, more than %d", n, RP_MAX_BROKERS);
    }
    if (n > 0) {
        l.items = calloc((size_t)n, sizeof *l.items);
        if (l.items == NULL) {
            cJSON_Delete(root);
            return util_err_set(err, "out of memory");
        }
    }
    cJSON_ArrayForEach(it, root)
    {
        char path[32];

        snprintf(path, sizeof path, "[%zu].", l.n);
        if (broker_from(it, path, &l.items[l.n], err) != 0) {
            free(l.items);
            cJSON_Delete(root);
            return -1;
        }
        l.n++;
    }
    cJSON_Delete(root);
    *out = l;
    return 0;
}

/* An array of node ids; absent is empty. *out is malloc'd (NULL when
 * empty). */
static int node_ids(const cJSON *o, const char *name, int **out, size_t *n, util_err *err)
{
    const cJSON *v = NULL, *it;
    int *ids;
    size_t i = 0;
    int count, rc;

    *out = NULL;
    *n = 0;
    if ((rc = util_json_arr(o, "", name, true, &v, err)) != 0)
        return rc < 0 ? -1 : 0; /* absent is empty */
    count = cJSON_GetArraySize(v);
    if (count > RP_MAX_BROKERS)
        return util_err_set(err, "%s: %d ids, more than %d", name, count, RP_MAX_BROKERS);
    if (count == 0)
        return 0;
    ids = calloc((size_t)count, sizeof *ids);
    if (ids == NULL)
        return util_err_set(err, "out of memory");
    cJSON_ArrayForEach(it, v)
    {
        double d = it->valuedouble;

        if (!cJSON_IsNumber(it) || !isfinite(d) || d < 0 || d > 2147483647.0 ||
            d != (double)(int)d) {
            free(ids);
            return util_err_set(err, "%s[%zu]: not a node id", name, i);
        }
        ids[i++] = (int)d;
    }
    *out = ids;
    *n = i;
    return 0;
}

/* A list of partition names: its length and its first entry. Redpanda
 * also has count-only variants (leaderless_count), read when the list is
 * absent. */
static int partition_list(const cJSON *o, const char *name, const char *count_name, size_t *count,
                          char *first, size_t first_size, util_err *err)
{
    const cJSON *v = NULL, *it;
    size_t i = 0;
    long long c = 0;
    int rc;

    *count = 0;
    first[0] = '\0';
    if ((rc = util_json_arr(o, "", name, true, &v, err)) < 0)
        return -1;
    if (rc == 1) {
        if (util_json_int(o, "", count_name, true, 0, COUNT_MAX, &c, err) < 0)
            return -1;
        *count = (size_t)c;
        return 0;
    }
    cJSON_ArrayForEach(it, v)
    {
        if (!cJSON_IsString(it))
            return util_err_set(err, "%s[%zu]: not a string", name, i);
        if (i == 0)
            snprintf(first, first_size, "%s", it->valuestring);
        i++;
    }
    *count = i;
    return 0;
}

int rp_decode_health(const char *body, size_t len, rp_health *out, util_err *err)
{
    cJSON *root = parse(body, len, err);
    rp_health h;
    long long ctl;

    if (root == NULL)
        return -1;
    memset(&h, 0, sizeof h);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return util_err_set(err, "body: not an object");
    }
    ctl = -1; /* none */
    if (util_json_bool(root, "", "is_healthy", false, &h.is_healthy, err) < 0 ||
        util_json_int(root, "", "controller_id", true, -1, 2147483647LL, &ctl, err) < 0 ||
        node_ids(root, "all_nodes", &h.all_nodes, &h.n_all_nodes, err) != 0 ||
        node_ids(root, "nodes_down", &h.nodes_down, &h.n_nodes_down, err) != 0 ||
        partition_list(root, "leaderless_partitions", "leaderless_count", &h.leaderless,
                       h.first_leaderless, sizeof h.first_leaderless, err) != 0 ||
        partition_list(root, "under_replicated_partitions", "under_replicated_count",
                       &h.under_replicated, h.first_under_replicated,
                       sizeof h.first_under_replicated, err) != 0) {
        rp_health_clear(&h);
        cJSON_Delete(root);
        return -1;
    }
    h.controller_id = (int)ctl;
    cJSON_Delete(root);
    *out = h;
    return 0;
}

void rp_broker_list_clear(rp_broker_list *l)
{
    if (l == NULL)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void rp_health_clear(rp_health *h)
{
    if (h == NULL)
        return;
    free(h->all_nodes);
    free(h->nodes_down);
    memset(h, 0, sizeof *h);
    h->controller_id = -1;
}

bool rp_health_node_down(const rp_health *h, int id)
{
    for (size_t i = 0; i < h->n_nodes_down; i++)
        if (h->nodes_down[i] == id)
            return true;
    return false;
}

void rp_health_describe(const rp_health *h, char *buf, size_t size)
{
    size_t n = 0;

#define PUT(...)                                                                                   \
    do {                                                                                           \
        if (n < size) {                                                                            \
            int w = snprintf(buf + n, size - n, __VA_ARGS__);                                      \
            n += w > 0 ? (size_t)w : 0;                                                            \
        }                                                                                          \
    } while (0)

    if (size == 0)
        return;
    buf[0] = '\0';
    PUT("%s", h->is_healthy ? "healthy" : "unhealthy");
    if (h->n_nodes_down > 0) {
        PUT(": nodes down [");
        for (size_t i = 0; i < h->n_nodes_down; i++)
            PUT("%s%d", i > 0 ? "," : "", h->nodes_down[i]);
        PUT("]");
    }
    if (h->leaderless > 0)
        PUT("%s%zu leaderless partitions%s%s%s", h->n_nodes_down > 0 ? ", " : ": ", h->leaderless,
            h->first_leaderless[0] != '\0' ? " (" : "", h->first_leaderless,
            h->first_leaderless[0] != '\0' ? "...)" : "");
    if (h->under_replicated > 0)
        PUT("%s%zu under-replicated partitions%s%s%s",
            h->n_nodes_down > 0 || h->leaderless > 0 ? ", " : ": ", h->under_replicated,
            h->first_under_replicated[0] != '\0' ? " (" : "", h->first_under_replicated,
            h->first_under_replicated[0] != '\0' ? "...)" : "");
    if (h->controller_id < 0)
        PUT("%sno controller",
            h->n_nodes_down > 0 || h->leaderless > 0 || h->under_replicated > 0 ? ", " : ": ");
#undef PUT
}

/* ---- HTTP ---- */

int rp_admin_new(const rp_admin_config *cfg, rp_admin **out, util_err *err)
{
    static const rp_admin_config defaults = {0};
    rp_admin *a;
    const char *url;
    size_t len;

    if (cfg == NULL)
        cfg = &defaults;
    url = cfg->base_url != NULL ? cfg->base_url : RP_ADMIN_DEFAULT_URL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return util_err_set(err, "admin URL '%s': not http:// or https://", url);
    if ((cfg->username == NULL) != (cfg->password == NULL))
        return util_err_set(err, "admin API: a username needs a password and the reverse");
    a = calloc(1, sizeof *a);
    if (a == NULL)
        return util_err_set(err, "out of memory");
    a->base = strdup(url);
    a->ca_file = util_strdup(cfg->ca_file);
    a->username = util_strdup(cfg->username);
    a->password = util_strdup(cfg->password);
    a->connect_timeout_ms =
        cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : RP_ADMIN_CONNECT_TIMEOUT_MS;
    a->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : RP_ADMIN_TIMEOUT_MS;
    a->cur_timeout_ms = a->timeout_ms;
    a->h = curl_easy_init();
    if (a->base == NULL || a->h == NULL || (cfg->ca_file != NULL && a->ca_file == NULL) ||
        (cfg->username != NULL && (a->username == NULL || a->password == NULL))) {
        rp_admin_free(a);
        return util_err_set(err, "out of memory");
    }
    len = strlen(a->base);
    while (len > 0 && a->base[len - 1] == '/')
        a->base[--len] = '\0';
    *out = a;
    return 0;
}

void rp_admin_free(rp_admin *a)
{
    if (a == NULL)
        return;
    if (a->h != NULL)
        curl_easy_cleanup(a->h);
    free(a->base);
    free(a->ca_file);
    free(a->username);
    if (a->password != NULL)
        memset(a->password, 0, strlen(a->password));
    free(a->password);
    free(a);
}

void rp_admin_set_timeout(rp_admin *a, long timeout_ms)
{
    a->cur_timeout_ms = timeout_ms > 0 ? timeout_ms : a->timeout_ms;
}

const char *rp_admin_url(const rp_admin *a)
{
    return a->base;
}

/* An answer's body, bounded by RP_MAX_BODY. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    size_t n = size * nmemb;

    return util_buf_add(user, data, n) == 0 ? n : 0;
}

/* What an error answer says: Redpanda's {"message": "...", "code": N}, or
 * the start of the body with control bytes made visible. */
static void error_text(const util_buf *s, char *out, size_t size)
{
    cJSON *root = s->len > 0 ? cJSON_ParseWithLength(s->data, s->len) : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
    size_t j = 0;

    out[0] = '\0';
    if (cJSON_IsString(m)) {
        snprintf(out, size, "%s", m->valuestring);
        cJSON_Delete(root);
        return;
    }
    cJSON_Delete(root);
    for (size_t i = 0; i < s->len && i < 160 && j + 1 < size; i++) {
        unsigned char c = (unsigned char)s->data[i];

        out[j++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
    }
    out[j] = '\0';
}

/* One request: method on base + path. On a 2xx answer the body (possibly
 * empty) is in *body, which the caller frees; otherwise a status-specific
 * code with err. */
static int request(rp_admin *a, const char *method, const char *path, char **body, size_t *len,
                   util_err *err)
{
    char url[1024], errbuf[CURL_ERROR_SIZE], what[1200];
    struct curl_slist *headers = NULL;
    util_buf s = UTIL_BUF_INIT(RP_MAX_BODY);
    CURLcode rc = CURLE_OK;
    long status = 0;
    CURL *h = a->h;
    int ret = 0;

    snprintf(url, sizeof url, "%s%s", a->base, path);
    snprintf(what, sizeof what, "%s %s", method, url);
    errbuf[0] = '\0';
    curl_easy_reset(h);
#define SET(o, v)                                                                                  \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(h, o, v);                                                        \
    } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "https,http");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_CONNECTTIMEOUT_MS,
        a->connect_timeout_ms < a->cur_timeout_ms ? a->connect_timeout_ms : a->cur_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, a->cur_timeout_ms);
    SET(CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, &s);
    if (a->ca_file != NULL) {
        SET(CURLOPT_CAINFO, a->ca_file);
        SET(CURLOPT_CAPATH, NULL);
    }
    if (a->username != NULL) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERNAME, a->username);
        SET(CURLOPT_PASSWORD, a->password);
    }
    headers = curl_slist_append(headers, "Accept: application/json");
    if (strcmp(method, "GET") != 0) {
        /* An empty body, so a Content-Length: 0 goes with PUT and DELETE. */
        SET(CURLOPT_POSTFIELDS, "");
        SET(CURLOPT_POSTFIELDSIZE, 0L);
        SET(CURLOPT_CUSTOMREQUEST, method);
        headers = curl_slist_append(headers, "Content-Type:");
    }
    if (headers == NULL) {
        ret = util_err_set(err, "%s: out of memory", what);
        goto out;
    }
    SET(CURLOPT_HTTPHEADER, headers);
#undef SET
    if (rc != CURLE_OK) {
        ret = util_err_set(err, "%s: %s", what, curl_easy_strerror(rc));
        goto out;
    }
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        ret = rc == CURLE_COULDNT_CONNECT ? RP_ERR_UNREACHABLE : RP_ERR;
        if (s.fail == UTIL_BUF_TOO_BIG)
            util_err_set(err, "%s: answer larger than %u bytes", what, RP_MAX_BODY);
        else
            util_err_set(err, "%s: %s", what, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        char text[200];

        error_text(&s, text, sizeof text);
        ret = status == 404 ? RP_ERR_NOT_FOUND : RP_ERR;
        if (status == 400 && strcmp(method, "PUT") == 0)
            ret = RP_ERR_BUSY;
        util_err_set(err, "%s: HTTP %ld%s%s", what, status, text[0] != '\0' ? ": " : "", text);
        goto out;
    }
    *body = s.data; /* NULL when empty */
    *len = s.len;
    s.data = NULL;
out:
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    util_buf_reset(&s);
    return ret;
}

static int maintenance(rp_admin *a, const char *method, int broker_id, util_err *err)
{
    char path[64], *body = NULL;
    size_t len = 0;
    int rc;

    if (broker_id < 0)
        return util_err_set(err, "broker id %d: negative", broker_id);
    snprintf(path, sizeof path, "/v1/brokers/%d/maintenance", broker_id);
    rc = request(a, method, path, &body, &len, err);
    free(body);
    return rc;
}

int rp_admin_maintenance_on(rp_admin *a, int broker_id, util_err *err)
{
    return maintenance(a, "PUT", broker_id, err);
}

int rp_admin_maintenance_off(rp_admin *a, int broker_id, util_err *err)
{
    return maintenance(a, "DELETE", broker_id, err);
}

int rp_admin_broker(rp_admin *a, int broker_id, rp_broker *out, util_err *err)
{
    char path[64], *body = NULL;
    size_t len = 0;
    int rc;

    if (broker_id < 0)
        return util_err_set(err, "broker id %d: negative", broker_id);
    snprintf(path, sizeof path, "/v1/brokers/%d", broker_id);
    rc = request(a, "GET", path, &body, &len, err);
    if (rc == 0 && rp_decode_broker(body, len, out, err) != 0)
        rc = (util_err_prefix(err, "GET %s%s", a->base, path), RP_ERR_BAD_ANSWER);
    free(body);
    return rc;
}

int rp_admin_brokers(rp_admin *a, rp_broker_list *out, util_err *err)
{
    char *body = NULL;
    size_t len = 0;
    int rc = request(a, "GET", "/v1/brokers", &body, &len, err);

    if (rc == 0 && rp_decode_brokers(body, len, out, err) != 0)
        rc = (util_err_prefix(err, "GET %s/v1/brokers", a->base), RP_ERR_BAD_ANSWER);
    free(body);
    return rc;
}

int rp_admin_health(rp_admin *a, rp_health *out, util_err *err)
{
    char *body = NULL;
    size_t len = 0;
    int rc = request(a, "GET", "/v1/cluster/health_overview", &body, &len, err);

    if (rc == 0 && rp_decode_health(body, len, out, err) != 0)
        rc =
            (util_err_prefix(err, "GET %s/v1/cluster/health_overview", a->base), RP_ERR_BAD_ANSWER);
    free(body);
    return rc;
}
