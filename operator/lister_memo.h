/* A lister over another that remembers, for one reconcile pass, the
 * objects it found absent. A pass reads some objects in more than one step
 * (the CA Secrets when it builds them and again with everything it
 * applies; the StatefulSet when it balances and when it applies), and on a
 * new cluster every such read misses the caches and asks the API server,
 * whose second answer would be its first: the pass writes only after its
 * reads. Present objects are not remembered: the caches answer those
 * without a request. */
#ifndef BERTH_OP_LISTER_MEMO_H
#define BERTH_OP_LISTER_MEMO_H

#include <stddef.h>

#include "lister.h"

#define OP_MEMO_MAX 32 /* absent objects remembered; more are asked again */

typedef struct op_memo_lister {
    op_lister base;
    op_lister *inner;          /* borrowed */
    char *absent[OP_MEMO_MAX]; /* "resource/namespace/name", owned */
    size_t n;
} op_memo_lister;

/* A memo over inner (borrowed; it must outlive the memo). */
void op_memo_lister_init(op_memo_lister *m, op_lister *inner);

/* Frees what the memo remembers. */
void op_memo_lister_clear(op_memo_lister *m);

#endif
