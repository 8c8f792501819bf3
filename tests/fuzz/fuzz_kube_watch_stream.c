/* Fuzzes the watch-stream parser with hostile bytes cut into hostile chunks,
 * and checks the property the informer relies on: the events, the error and
 * the end-of-stream verdict do not depend on where the stream was cut. The
 * same input is fed once whole and once in chunks whose sizes come from the
 * input's first bytes; any difference aborts. Each chunk is copied into its
 * own exact-size allocation so ASan catches a read past a chunk.
 *
 * Input: byte 0 selects the event size limit (64 B .. 8 KiB) and whether the
 * callback keeps objects; bytes 1..4 are chunk sizes (1..255, or 4 KiB for
 * 0), used in turn; the rest is the stream. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/watch_parse.h"

typedef struct outcome {
    unsigned long events;
    uint64_t hash; /* over every event's type, resourceVersion and object */
    int keep;
    int rc, finish_rc;
    util_err err, finish_err;
} outcome;

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

static int on_event(kube_watch_event *ev, void *ctx, util_err *err)
{
    outcome *o = ctx;
    char *printed = cJSON_PrintUnformatted(ev->object);
    char code[16];

    (void)err;
    if (printed == NULL)
        abort();
    o->events++;
    o->hash = fnv(o->hash, kube_watch_event_type_name(ev->type));
    o->hash = fnv(o->hash, ev->resource_version ? ev->resource_version : "<none>");
    o->hash = fnv(o->hash, printed);
    free(printed);
    if (ev->type == KUBE_WATCH_BOOKMARK && ev->resource_version == NULL)
        abort();
    if (ev->type == KUBE_WATCH_ERROR) {
        kube_status st;
        if (kube_watch_status(ev->object, &st, NULL) == 0) {
            snprintf(code, sizeof code, "%d", st.code);
            o->hash = fnv(fnv(fnv(o->hash, code), st.reason), st.message);
        }
    }
    if (o->keep) {
        cJSON_Delete(ev->object);
        ev->object = NULL;
    }
    return 0;
}

static void run(const uint8_t *data, size_t size, size_t max_event, const uint8_t *sizes,
                size_t nsizes, outcome *o)
{
    kube_watch_parser_opts opts = {.max_event_bytes = max_event};
    kube_watch_parser *p;
    size_t off = 0, i = 0;

    if (kube_watch_parser_new(&opts, &p, NULL) != 0)
        abort();
    o->rc = 0;
    while (off < size && o->rc == 0) {
        size_t n = size - off;
        char *chunk;
        if (nsizes > 0) {
            size_t want = sizes[i++ % nsizes];
            want = want == 0 ? 4096 : want;
            n = n < want ? n : want;
        }
        chunk = malloc(n);
        if (chunk == NULL)
            abort();
        memcpy(chunk, data + off, n);
        o->rc = kube_watch_parser_feed(p, chunk, n, on_event, o, &o->err);
        free(chunk);
        off += n;
    }
    o->finish_rc = kube_watch_parser_finish(p, &o->finish_err);
    if ((o->rc != 0 || o->finish_rc != 0) != kube_watch_parser_failed(p))
        abort();
    kube_watch_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    outcome whole = {0}, cut = {0};
    size_t max_event;

    if (size < 5)
        return 0;
    max_event = (size_t)64 << (data[0] & 7);
    whole.keep = cut.keep = (data[0] >> 3) & 1;
    run(data + 5, size - 5, max_event, NULL, 0, &whole);
    run(data + 5, size - 5, max_event, data + 1, 4, &cut);

    if (whole.events != cut.events || whole.hash != cut.hash || whole.rc != cut.rc ||
        whole.finish_rc != cut.finish_rc)
        abort();
    if (whole.rc != 0 && strcmp(whole.err.msg, cut.err.msg) != 0)
        abort();
    if (whole.finish_rc != 0 && strcmp(whole.finish_err.msg, cut.finish_err.msg) != 0)
        abort();
    return 0;
}
