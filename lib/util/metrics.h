/* A small thread-safe registry of counters, gauges and histograms with
 * labels, rendered
 * in the Prometheus text exposition format (version 0.0.4) for /metrics.
 * Metrics are defined once with their help text; a series (a metric plus one
 * set of label values) comes into being the first time it is touched. */
#ifndef BERTH_UTIL_METRICS_H
#define BERTH_UTIL_METRICS_H

#include <stddef.h>

#include "util/err.h"

#define UTIL_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct util_metrics util_metrics;

typedef enum util_metric_type {
    UTIL_METRIC_COUNTER,
    UTIL_METRIC_GAUGE,
    UTIL_METRIC_HISTOGRAM, /* defined with util_metrics_define_histogram */
} util_metric_type;

/* Most bucket bounds a histogram may have (besides +Inf). */
#define UTIL_METRICS_MAX_BUCKETS 32

/* Creates an empty registry; *out is the caller's (util_metrics_free). */
int util_metrics_new(util_metrics **out, util_err *err) UTIL_MUST_CHECK;

/* NULL is a no-op. */
void util_metrics_free(util_metrics *m);

/* Defines a metric. name must be a valid Prometheus metric name and not yet
 * defined; help is free text. */
int util_metrics_define(util_metrics *m, const char *name, util_metric_type type, const char *help,
                        util_err *err) UTIL_MUST_CHECK;

/* Defines a histogram: bounds are the buckets' upper bounds (n of them, at
 * most UTIL_METRICS_MAX_BUCKETS, finite and strictly ascending; copied),
 * and a bucket +Inf is implied. Each series renders as name_bucket{le=...}
 * (cumulative counts), name_sum and name_count. */
int util_metrics_define_histogram(util_metrics *m, const char *name, const char *help,
                                  const double *bounds, size_t n, util_err *err) UTIL_MUST_CHECK;

/* Label sets are NULL, or a NULL-terminated array of name, value, name,
 * value, ... e.g. (const char *[]){"result", "ok", NULL}. The order of the
 * pairs does not matter; names must be valid label names, unique, and not
 * start with "__"; values are any text (escaped on output). add, observe
 * and set fail for a metric not defined, a bad label set or value (bugs a
 * unit test meets) or out of memory for a new series; counting is best
 * effort, so a caller may drop their result and they carry no
 * UTIL_MUST_CHECK. */

/* Adds delta to a counter's or gauge's series: for a counter delta must be
 * >= 0. */
int util_metrics_add(util_metrics *m, const char *name, const char *const *labels, double delta,
                     util_err *err);

/* Records one observation of value (not NaN) in a histogram's series. */
int util_metrics_observe(util_metrics *m, const char *name, const char *const *labels, double value,
                         util_err *err);

/* Sets a gauge's series to value. */
int util_metrics_set(util_metrics *m, const char *name, const char *const *labels, double value,
                     util_err *err);

/* Reads a series' value into *out (a histogram's: its count of
 * observations); -1 if the series does not exist. */
int util_metrics_get(util_metrics *m, const char *name, const char *const *labels, double *out,
                     util_err *err) UTIL_MUST_CHECK;

/* Renders every metric, in definition order, series in creation order:
 * "# HELP", "# TYPE", then one sample line per series. *out is malloc'd and
 * NUL-terminated, *len its length; the caller frees it. */
int util_metrics_render(util_metrics *m, char **out, size_t *len, util_err *err) UTIL_MUST_CHECK;

#endif
