/* How fast the watch parser turns a stream of Pod events into cJSON objects:
 * an informer on a busy cluster sees thousands of Pod updates a minute, and
 * decoding must stay far from being the bottleneck. The stream is synthetic
 * but shaped like the real thing (one ~4 KiB Pod, as the API server writes
 * it, with managedFields, repeated with a new name and resourceVersion per
 * event) and is fed in 16 KiB chunks like a socket delivers it. Prints
 * figures only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/watch_parse.h"
#include "pod_sample.h"

#define EVENTS 20000
#define CHUNK  (16 * 1024)
#define ROUNDS 5

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    (void)err;
    if (ev->resource_version != NULL)
        ++*(unsigned long *)ctx;
    return 0;
}

int main(void)
{
    size_t len = 0, off, one = 0, cap;
    char *tmpl = pod_template(), *stream, num[16], rv[24];
    double best = 0;
    int ev, round;

    if (tmpl == NULL)
        return 1;
    cap = (strlen(tmpl) + 256) * EVENTS;
    stream = malloc(cap);
    if (stream == NULL)
        return 1;
    for (ev = 0; ev < EVENTS; ev++) {
        size_t n;
        snprintf(num, sizeof num, "%d", ev % 250);
        snprintf(rv, sizeof rv, "%d", 1000000 + ev);
        n = expand(stream + len, tmpl, num, rv);
        if (ev == 0)
            one = n;
        len += n;
    }
    free(tmpl);
    printf("stream: %d Pod events, %zu bytes each (first), %.1f MB in %d KiB chunks\n", EVENTS, one,
           (double)len / 1e6, CHUNK / 1024);

    for (round = 0; round < ROUNDS; round++) {
        kube_watch_parser *p;
        unsigned long seen = 0;
        util_err err;
        double t0, dt;

        if (kube_watch_parser_new(NULL, &p, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        t0 = seconds();
        for (off = 0; off < len; off += CHUNK) {
            size_t n = len - off < CHUNK ? len - off : CHUNK;
            if (kube_watch_parser_feed(p, stream + off, n, count_event, &seen, &err) != 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
        }
        dt = seconds() - t0;
        kube_watch_parser_free(p);
        if (seen != EVENTS) {
            fprintf(stderr, "decoded %lu events, expected %d\n", seen, EVENTS);
            return 1;
        }
        printf("round %d: %.3f s, %.0f events/s, %.1f MB/s\n", round + 1, dt, EVENTS / dt,
               (double)len / 1e6 / dt);
        if (best == 0 || dt < best)
            best = dt;
    }
    printf("best: %.0f events/s, %.1f MB/s (decode to cJSON and free)\n", EVENTS / best,
           (double)len / 1e6 / best);
    free(stream);
    return 0;
}
