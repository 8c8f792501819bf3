/* Fuzzes the port-forward frame parser with hostile messages cut into
 * hostile pieces, and checks what the forwarder relies on: the data, the
 * error text and the verdict do not depend on how the WebSocket library
 * cut the messages. Each input is fed once a message per call and once cut
 * into pieces whose sizes come from the input; any difference aborts, as
 * does a piece outside the bytes given or a success after a refusal. Every
 * piece is copied into an allocation of its own size, so ASan catches a
 * read past it.
 *
 * Input: bytes 0-1 the port asked for (little endian), byte 2 the piece
 * size (1..255, 0: whole messages), then records: a header byte (bit 0: a
 * text message; bit 1: its first piece lacks KUBE_PF_FIRST; bit 2: its
 * last piece lacks KUBE_PF_FINAL), a length byte, and that many bytes of
 * message (fewer at the end of the input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/portforward_frame.h"

typedef struct outcome {
    uint64_t data_hash, err_hash;
    size_t data_len, err_len;
    int rc;
    util_err err;
} outcome;

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* Feeds n bytes at p with flags; returns the parser's result. */
static int piece(kube_pf_parser *ps, const uint8_t *p, size_t n, unsigned flags, outcome *o)
{
    unsigned char *copy = malloc(n > 0 ? n : 1);
    kube_pf_piece pc;
    int rc;

    if (copy == NULL)
        abort();
    memcpy(copy, p, n);
    rc = kube_pf_parse(ps, copy, n, flags, &pc, &o->err);
    if (rc != 0 && pc.kind != KUBE_PF_NONE)
        abort();
    if (pc.kind != KUBE_PF_NONE && (pc.len == 0 || pc.data < copy || pc.data + pc.len > copy + n))
        abort();
    if (pc.kind == KUBE_PF_DATA) {
        o->data_hash = fnv(o->data_hash, pc.data, pc.len);
        o->data_len += pc.len;
    } else if (pc.kind == KUBE_PF_ERROR) {
        o->err_hash = fnv(o->err_hash, pc.data, pc.len);
        o->err_len += pc.len;
    }
    free(copy);
    return rc;
}

static void run(const uint8_t *data, size_t size, uint16_t port, size_t cut, outcome *o)
{
    kube_pf_parser ps;
    size_t off = 0;

    kube_pf_parser_init(&ps, port);
    o->rc = 0;
    while (off + 2 <= size && o->rc == 0) {
        unsigned hdr = data[off], text = hdr & 1 ? KUBE_PF_TEXT : 0;
        size_t len = data[off + 1], at = 0;

        off += 2;
        len = len < size - off ? len : size - off;
        do {
            size_t n = cut == 0 || len - at < cut ? len - at : cut;
            unsigned flags = text;

            if (at == 0 && !(hdr & 2))
                flags |= KUBE_PF_FIRST;
            if (at + n == len && !(hdr & 4))
                flags |= KUBE_PF_FINAL;
            o->rc = piece(&ps, data + off + at, n, flags, o);
            at += n;
        } while (at < len && o->rc == 0);
        off += len;
    }
    /* A refusal is final. */
    if (o->rc != 0) {
        util_err e;
        kube_pf_piece pc;

        if (kube_pf_parse(&ps, "\x00", 1, KUBE_PF_FIRST | KUBE_PF_FINAL, &pc, &e) == 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    outcome whole = {0}, cut = {0};
    uint16_t port;

    if (size < 3)
        return 0;
    port = (uint16_t)(data[0] | data[1] << 8);
    run(data + 3, size - 3, port, 0, &whole);
    run(data + 3, size - 3, port, data[2], &cut);
    if (whole.rc != cut.rc || whole.data_len != cut.data_len || whole.data_hash != cut.data_hash ||
        whole.err_len != cut.err_len || whole.err_hash != cut.err_hash)
        abort();
    if (whole.rc != 0 && strcmp(whole.err.msg, cut.err.msg) != 0)
        abort();
    return 0;
}
