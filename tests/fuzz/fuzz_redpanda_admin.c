/* The decoders of Redpanda admin API answers (lib/redpanda/admin.c) on
 * arbitrary bytes: the first byte picks the decoder (broker, broker list,
 * health overview, maintenance status), the rest is the body. No crash, no
 * read past the given length, no leak; a failure always says why, and a
 * success holds values in their documented ranges. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redpanda/admin.h"

static void check_status(const rp_maintenance_status *m)
{
    if (m->partitions < -1 || m->eligible < -1 || m->transferring < -1 || m->failed < -1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    util_err err = {{0}};
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    int rc = 0;

    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 0: {
        rp_broker b;
        rc = rp_decode_broker(body, len, &b, &err);
        if (rc == 0) {
            if (b.node_id < 0 ||
                memchr(b.membership_status, '\0', sizeof b.membership_status) == NULL)
                abort();
            check_status(&b.maintenance);
        }
        break;
    }
    case 1: {
        rp_broker_list l;
        rc = rp_decode_brokers(body, len, &l, &err);
        if (rc == 0) {
            if (l.n > RP_MAX_BROKERS || (l.n > 0 && l.items == NULL))
                abort();
            for (size_t i = 0; i < l.n; i++)
                check_status(&l.items[i].maintenance);
            rp_broker_list_clear(&l);
        }
        break;
    }
    case 2: {
        rp_health h;
        char desc[256];
        rc = rp_decode_health(body, len, &h, &err);
        if (rc == 0) {
            if (h.controller_id < -1 || (h.n_nodes_down > 0 && h.nodes_down == NULL))
                abort();
            rp_health_describe(&h, desc, sizeof desc);
            if (strlen(desc) >= sizeof desc)
                abort();
            rp_health_clear(&h);
        }
        break;
    }
    default: {
        rp_maintenance_status m;
        rc = rp_decode_maintenance_status(body, len, &m, &err);
        if (rc == 0)
            check_status(&m);
        break;
    }
    }
    if (rc != 0 && err.msg[0] == '\0')
        abort();
    return 0;
}
