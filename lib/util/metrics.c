/* The metrics registry; see metrics.h. A few dozen series at most, so
 * lookups are linear scans under one mutex: simple beats clever here. */
#include "util/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define MAX_LABELS 16

typedef struct series {
    char *key;    /* the rendered label set, "{a=\"x\",b=\"y\"}", or "" */
    double value; /* a histogram's: the sum of its observations */
    /* A histogram's observations per bucket (not cumulative; the last one
     * +Inf), nbounds + 1 of them; NULL for other types. */
    unsigned long long *counts;
} series;

typedef struct metric {
    char *name;
    char *help;
    util_metric_type type;
    double bounds[UTIL_METRICS_MAX_BUCKETS]; /* a histogram's, ascending */
    size_t nbounds;
    series *series;
    size_t n, cap;
} metric;

struct util_metrics {
    pthread_mutex_t mu;
    metric *metrics;
    size_t n, cap;
};

/* Label values escape \, " and newline; help text escapes \ and newline. */
static void add_escaped(util_buf *b, const char *s, int quotes)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            util_buf_adds(b, "\\\\");
        else if (*s == '\n')
            util_buf_adds(b, "\\n");
        else if (*s == '"' && quotes)
            util_buf_adds(b, "\\\"");
        else
            util_buf_add(b, s, 1);
    }
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics; no ':' for labels. */
static int valid_name(const char *s, int colon)
{
    size_t i;

    if (s == NULL || s[0] == '\0')
        return 0;
    for (i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

/* Renders labels into the canonical series key, pairs sorted by name so the
 * caller's order does not make a different series. */
static int labels_key(const char *const *labels, char **out, util_err *err)
{
    size_t idx[MAX_LABELS], n = 0, i, j;
    util_buf b = UTIL_BUF_INIT(UTIL_BUF_NOMAX);

    *out = NULL;
    while (labels != NULL && labels[2 * n] != NULL) {
        const char *name = labels[2 * n];
        if (n == MAX_LABELS)
            return util_err_set(err, "more than %d labels", MAX_LABELS);
        if (!valid_name(name, 0) || strncmp(name, "__", 2) == 0)
            return util_err_set(err, "invalid label name '%s'", name);
        if (labels[2 * n + 1] == NULL)
            return util_err_set(err, "label '%s' has no value", name);
        idx[n] = n;
        n++;
    }
    for (i = 1; i < n; i++) {
        size_t k = idx[i];
        for (j = i; j > 0 && strcmp(labels[2 * idx[j - 1]], labels[2 * k]) > 0; j--)
            idx[j] = idx[j - 1];
        idx[j] = k;
    }
    for (i = 1; i < n; i++)
        if (strcmp(labels[2 * idx[i - 1]], labels[2 * idx[i]]) == 0)
            return util_err_set(err, "label '%s' given twice", labels[2 * idx[i]]);
    for (i = 0; i < n; i++) {
        util_buf_adds(&b, i == 0 ? "{" : ",");
        util_buf_adds(&b, labels[2 * idx[i]]);
        util_buf_adds(&b, "=\"");
        add_escaped(&b, labels[2 * idx[i] + 1], 1);
        util_buf_adds(&b, "\"");
    }
    if (n > 0)
        util_buf_adds(&b, "}");
    *out = util_buf_take(&b);
    return *out == NULL ? util_err_set(err, "out of memory") : 0;
}

int util_metrics_new(util_metrics **out, util_err *err)
{
    util_metrics *m = calloc(1, sizeof *m);

    *out = NULL;
    if (m == NULL)
        return util_err_set(err, "metrics: out of memory");
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return 0;
}

void util_metrics_free(util_metrics *m)
{
    size_t i, j;

    if (m == NULL)
        return;
    for (i = 0; i < m->n; i++) {
        for (j = 0; j < m->metrics[i].n; j++) {
            free(m->metrics[i].series[j].key);
            free(m->metrics[i].series[j].counts);
        }
        free(m->metrics[i].series);
        free(m->metrics[i].name);
        free(m->metrics[i].help);
    }
    free(m->metrics);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* Caller holds mu. */
static metric *find_metric(util_metrics *m, const char *name)
{
    size_t i;

    for (i = 0; i < m->n; i++)
        if (strcmp(m->metrics[i].name, name) == 0)
            return &m->metrics[i];
    return NULL;
}

/* Defines a metric of any type; bounds and n for a histogram. */
static int define(util_metrics *m, const char *name, util_metric_type type, const char *help,
                  const double *bounds, size_t n, util_err *err)
{
    metric *mt;

    if (!valid_name(name, 1))
        return util_err_set(err, "metrics: invalid metric name '%s'", name != NULL ? name : "");
    pthread_mutex_lock(&m->mu);
    if (find_metric(m, name) != NULL) {
        pthread_mutex_unlock(&m->mu);
        return util_err_set(err, "metrics: %s: defined twice", name);
    }
    if (m->n == m->cap) {
        size_t cap = m->cap != 0 ? 2 * m->cap : 8;
        metric *nm = realloc(m->metrics, cap * sizeof *nm);
        if (nm == NULL) {
            pthread_mutex_unlock(&m->mu);
            return util_err_set(err, "metrics: out of memory");
        }
        m->metrics = nm;
        m->cap = cap;
    }
    mt = &m->metrics[m->n];
    memset(mt, 0, sizeof *mt);
    mt->name = strdup(name);
    mt->help = strdup(help != NULL ? help : "");
    mt->type = type;
    if (n > 0)
        memcpy(mt->bounds, bounds, n * sizeof *bounds);
    mt->nbounds = n;
    if (mt->name == NULL || mt->help == NULL) {
        free(mt->name);
        free(mt->help);
        pthread_mutex_unlock(&m->mu);
        return util_err_set(err, "metrics: out of memory");
    }
    m->n++;
    pthread_mutex_unlock(&m->mu);
    return 0;
}

int util_metrics_define(util_metrics *m, const char *name, util_metric_type type, const char *help,
                        util_err *err)
{
    if (type != UTIL_METRIC_COUNTER && type != UTIL_METRIC_GAUGE)
        return util_err_set(err, "metrics: %s: %s", name != NULL ? name : "",
                            type == UTIL_METRIC_HISTOGRAM
                                ? "define a histogram with util_metrics_define_histogram"
                                : "unknown type");
    return define(m, name, type, help, NULL, 0, err);
}

int util_metrics_define_histogram(util_metrics *m, const char *name, const char *help,
                                  const double *bounds, size_t n, util_err *err)
{
    const char *what = name != NULL ? name : "";

    if (n == 0 || n > UTIL_METRICS_MAX_BUCKETS)
        return util_err_set(err, "metrics: %s: between 1 and %d bucket bounds", what,
                            UTIL_METRICS_MAX_BUCKETS);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
            return util_err_set(err, "metrics: %s: bucket bounds must be finite and ascending",
                                what);
    return define(m, name, UTIL_METRIC_HISTOGRAM, help, bounds, n, err);
}

/* Finds the series with key or, with create, makes it, taking over
 * *key_owned (set to NULL). Caller holds mu. */
static series *find_series(metric *mt, const char *key, int create, char **key_owned)
{
    size_t i;

    for (i = 0; i < mt->n; i++)
        if (strcmp(mt->series[i].key, key) == 0)
            return &mt->series[i];
    if (!create)
        return NULL;
    if (mt->n == mt->cap) {
        size_t cap = mt->cap != 0 ? 2 * mt->cap : 4;
        series *ns = realloc(mt->series, cap * sizeof *ns);
        if (ns == NULL)
            return NULL;
        mt->series = ns;
        mt->cap = cap;
    }
    mt->series[mt->n].counts = NULL;
    if (mt->type == UTIL_METRIC_HISTOGRAM &&
        (mt->series[mt->n].counts = calloc(mt->nbounds + 1, sizeof(unsigned long long))) == NULL)
        return NULL;
    mt->series[mt->n].key = *key_owned;
    mt->series[mt->n].value = 0;
    *key_owned = NULL;
    return &mt->series[mt->n++];
}

enum op { OP_ADD, OP_SET, OP_GET, OP_OBSERVE };

/* Counts observation v in histogram series s of mt. */
static void observe(const metric *mt, series *s, double v)
{
    size_t b = 0;

    while (b < mt->nbounds && v > mt->bounds[b])
        b++;
    s->counts[b]++;
    s->value += v;
}

/* A histogram series' count of observations. */
static unsigned long long observations(const metric *mt, const series *s)
{
    unsigned long long n = 0;

    for (size_t b = 0; b <= mt->nbounds; b++)
        n += s->counts[b];
    return n;
}

static int update(util_metrics *m, const char *name, const char *const *labels, double v,
                  enum op op, double *out, util_err *err)
{
    metric *mt;
    series *s;
    char *key;

    if (labels_key(labels, &key, err) != 0)
        return util_err_prefix(err, "metrics: %s", name);
    pthread_mutex_lock(&m->mu);
    mt = find_metric(m, name);
    if (mt == NULL) {
        pthread_mutex_unlock(&m->mu);
        free(key);
        return util_err_set(err, "metrics: %s: not defined", name);
    }
    if (op == OP_SET && mt->type != UTIL_METRIC_GAUGE) {
        pthread_mutex_unlock(&m->mu);
        free(key);
        return util_err_set(err, "metrics: %s: only a gauge can be set", name);
    }
    if ((op == OP_OBSERVE) != (mt->type == UTIL_METRIC_HISTOGRAM) && op != OP_GET) {
        pthread_mutex_unlock(&m->mu);
        free(key);
        return util_err_set(err, "metrics: %s: %s", name,
                            op == OP_OBSERVE ? "only a histogram takes observations"
                                             : "a histogram only takes observations");
    }
    if (op == OP_OBSERVE && isnan(v)) {
        pthread_mutex_unlock(&m->mu);
        free(key);
        return util_err_set(err, "metrics: %s: cannot observe NaN", name);
    }
    if (op == OP_ADD && mt->type == UTIL_METRIC_COUNTER && !(v >= 0)) {
        pthread_mutex_unlock(&m->mu);
        free(key);
        return util_err_set(err, "metrics: %s: a counter cannot go down", name);
    }
    s = find_series(mt, key, op != OP_GET, &key);
    if (s == NULL) {
        pthread_mutex_unlock(&m->mu);
        free(key);
        return op == OP_GET ? util_err_set(err, "metrics: %s: no such series", name)
                            : util_err_set(err, "metrics: out of memory");
    }
    if (op == OP_ADD)
        s->value += v;
    else if (op == OP_SET)
        s->value = v;
    else if (op == OP_OBSERVE)
        observe(mt, s, v);
    else
        *out = mt->type == UTIL_METRIC_HISTOGRAM ? (double)observations(mt, s) : s->value;
    pthread_mutex_unlock(&m->mu);
    free(key);
    return 0;
}

int util_metrics_add(util_metrics *m, const char *name, const char *const *labels, double delta,
                     util_err *err)
{
    return update(m, name, labels, delta, OP_ADD, NULL, err);
}

int util_metrics_observe(util_metrics *m, const char *name, const char *const *labels, double value,
                         util_err *err)
{
    return update(m, name, labels, value, OP_OBSERVE, NULL, err);
}

int util_metrics_set(util_metrics *m, const char *name, const char *const *labels, double value,
                     util_err *err)
{
    return update(m, name, labels, value, OP_SET, NULL, err);
}

int util_metrics_get(util_metrics *m, const char *name, const char *const *labels, double *out,
                     util_err *err)
{
    return update(m, name, labels, 0, OP_GET, out, err);
}

/* Integers print as integers; the rest with full precision. */
static void format_value(char *buf, size_t cap, double v)
{
    if (isnan(v))
        snprintf(buf, cap, "NaN");
    else if (isinf(v))
        snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
    else if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
        snprintf(buf, cap, "%lld", (long long)v);
    else
        snprintf(buf, cap, "%.17g", v);
}

/* One sample line: name, suffix, the series key with le="<le>" added when
 * le is not NULL, the value. */
static void add_sample(util_buf *b, const char *name, const char *suffix, const char *key,
                       const char *le, const char *value)
{
    size_t klen = strlen(key);

    util_buf_adds(b, name);
    util_buf_adds(b, suffix);
    if (le == NULL) {
        util_buf_adds(b, key);
    } else {
        if (klen > 0) {
            util_buf_add(b, key, klen - 1); /* without its '}' */
            util_buf_adds(b, ",le=\"");
        } else {
            util_buf_adds(b, "{le=\"");
        }
        util_buf_adds(b, le);
        util_buf_adds(b, "\"}");
    }
    util_buf_adds(b, " ");
    util_buf_adds(b, value);
    util_buf_adds(b, "\n");
}

/* A bucket bound as its le label: the shortest text that reads back as
 * the same double, so 0.1 is "0.1", not "0.10000000000000001". */
static void format_bound(char *buf, size_t cap, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* A histogram series: its cumulative buckets, _sum and _count. */
static void add_histogram(util_buf *b, const metric *mt, const series *s)
{
    char le[64], num[64];
    unsigned long long n = 0;

    for (size_t i = 0; i <= mt->nbounds; i++) {
        n += s->counts[i];
        if (i < mt->nbounds)
            format_bound(le, sizeof le, mt->bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        snprintf(num, sizeof num, "%llu", n);
        add_sample(b, mt->name, "_bucket", s->key, le, num);
    }
    format_value(num, sizeof num, s->value);
    add_sample(b, mt->name, "_sum", s->key, NULL, num);
    snprintf(num, sizeof num, "%llu", n);
    add_sample(b, mt->name, "_count", s->key, NULL, num);
}

static const char *type_name(util_metric_type t)
{
    return t == UTIL_METRIC_COUNTER ? "counter" : t == UTIL_METRIC_GAUGE ? "gauge" : "histogram";
}

int util_metrics_render(util_metrics *m, char **out, size_t *len, util_err *err)
{
    util_buf b = UTIL_BUF_INIT(UTIL_BUF_NOMAX);
    char num[64];
    size_t i, j;

    *out = NULL;
    *len = 0;
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < m->n; i++) {
        const metric *mt = &m->metrics[i];
        util_buf_adds(&b, "# HELP ");
        util_buf_adds(&b, mt->name);
        util_buf_adds(&b, " ");
        add_escaped(&b, mt->help, 0);
        util_buf_adds(&b, "\n# TYPE ");
        util_buf_adds(&b, mt->name);
        util_buf_adds(&b, " ");
        util_buf_adds(&b, type_name(mt->type));
        util_buf_adds(&b, "\n");
        for (j = 0; j < mt->n; j++) {
            if (mt->type == UTIL_METRIC_HISTOGRAM) {
                add_histogram(&b, mt, &mt->series[j]);
                continue;
            }
            format_value(num, sizeof num, mt->series[j].value);
            add_sample(&b, mt->name, "", mt->series[j].key, NULL, num);
        }
    }
    pthread_mutex_unlock(&m->mu);
    *len = b.len;
    *out = util_buf_take(&b);
    if (*out == NULL) {
        *len = 0;
        return util_err_set(err, "metrics: render: out of memory");
    }
    return 0;
}
