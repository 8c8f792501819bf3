/* The drain ledger's JSON parser (drain/ledger.c) on arbitrary bytes: it
 * reads what another sidecar (or anyone with write access to the ConfigMap)
 * stored. No crash, no read past the given length, and whatever it accepts
 * satisfies the ledger's invariants and formats back to JSON that parses to
 * the same text again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drain/ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    drain_ledger *l = NULL, *again = NULL;
    char *text = NULL, *text2 = NULL;
    util_err err;
    int32_t i, k;

    if (drain_ledger_parse((const char *)data, size, &l, &err) != 0)
        return 0;
    for (i = 0; i < l->n; i++) {
        const drain_ledger_entry *e = &l->entries[i];
        if (e->n < 1 || e->n > DRAIN_LEDGER_MAX_REPLICAS || e->n_demoted > e->n ||
            e->n_wrote > DRAIN_LEDGER_MAX_WROTE ||
            !drain_order_same_set(e->written, e->original, e->n))
            abort();
        for (k = 0; k < e->n_demoted; k++)
            if (k > 0 && e->demoted[k - 1] >= e->demoted[k])
                abort();
        if (i > 0 && strcmp(l->entries[i - 1].topic, e->topic) > 0)
            abort();
    }
    if (drain_ledger_format(l, &text, &err) != 0 ||
        drain_ledger_parse(text, strlen(text), &again, &err) != 0 ||
        drain_ledger_format(again, &text2, &err) != 0 || strcmp(text, text2) != 0)
        abort();
    free(text);
    free(text2);
    drain_ledger_free(again);
    drain_ledger_free(l);
    return 0;
}
