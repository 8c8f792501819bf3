/* The sidecar's drain request body parser (lib/http/drain_api.c) on
 * arbitrary bytes: no crash, no read past the given length, and a success
 * always carries a timeout in range. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http/drain_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    http_drain_request r;
    util_err err;

    if (http_drain_request_parse((const char *)data, size, &r, &err) == 0 &&
        (r.timeout_ms < 1 || r.timeout_ms > HTTP_DRAIN_MAX_TIMEOUT_MS))
        abort();
    return 0;
}
