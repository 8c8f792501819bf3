/* The drain client's response parser (sidecar/drainclient/drain_response.c)
 * on arbitrary bytes, fed in pieces whose size the first byte picks, then
 * EOF. It must not crash or read out of bounds, must hand on only
 * NUL-terminated lines of at most DC_LINE_MAX bytes, and may call a drain a
 * success only for a complete 200 answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../sidecar/drainclient/drain_response.c"

static void on_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    if (len > DC_LINE_MAX || line[len] != '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dc_parser p;
    size_t step, off = 1;
    dc_status st = DC_MORE;

    if (size == 0)
        return 0;
    step = (size_t)data[0] % 64 + 1;
    dc_parser_init(&p, on_line, NULL);
    while (off < size && st == DC_MORE) {
        size_t n = size - off < step ? size - off : step;
        st = dc_parser_feed(&p, (const char *)data + off, n);
        off += n;
    }
    if (st == DC_MORE)
        st = dc_parser_eof(&p);
    if (st == DC_ERROR && p.error == NULL)
        abort();
    if (dc_parser_verdict(&p) == 0 && (st != DC_DONE || p.status != 200 || p.result != 1))
        abort();
    return 0;
}
