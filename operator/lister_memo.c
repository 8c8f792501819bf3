/* A pass's memo of absent objects (see lister_memo.h). */
#include "lister_memo.h"

#include <stdlib.h>
#include <string.h>

#include "util/str.h"

/* "resource/namespace/name", new (free), or NULL out of memory. */
static char *memo_key(const char *resource, const char *ns, const char *name)
{
    return util_printf("%s/%s/%s", resource, ns != NULL ? ns : "", name);
}

static int memo_get(op_lister *l, const char *api_version, const char *resource, const char *ns,
                    const char *name, cJSON **out, util_err *err)
{
    op_memo_lister *m = l->ctx;
    char *key = NULL;
    int rc;

    /* Most passes find everything: no key is made then. */
    if (m->n > 0 && (key = memo_key(resource, ns, name)) != NULL)
        for (size_t i = 0; i < m->n; i++)
            if (strcmp(m->absent[i], key) == 0) {
                free(key);
                return 1;
            }
    rc = m->inner->get(m->inner, api_version, resource, ns, name, out, err);
    if (rc == 1 && m->n < OP_MEMO_MAX &&
        (key != NULL || (key = memo_key(resource, ns, name)) != NULL)) {
        m->absent[m->n++] = key;
        key = NULL;
    }
    free(key);
    return rc;
}

static int memo_list(op_lister *l, const char *api_version, const char *resource, const char *ns,
                     const char *label_selector, cJSON **out, util_err *err)
{
    op_memo_lister *m = l->ctx;

    return m->inner->list(m->inner, api_version, resource, ns, label_selector, out, err);
}

void op_memo_lister_init(op_memo_lister *m, op_lister *inner)
{
    memset(m, 0, sizeof *m);
    m->base.get = memo_get;
    m->base.list = memo_list;
    m->base.ctx = m;
    m->inner = inner;
}

void op_memo_lister_clear(op_memo_lister *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->absent[i]);
    m->n = 0;
}
