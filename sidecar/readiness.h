/* The broker's readiness, latched. Before the first "ready" it needs: the
 * broker registered and unfenced, in the ISR of every partition it
 * replicates that has a live leader (leaderless ones are reported, not
 * waited for), its KRaft voter (if it is one) caught up, and restore done
 * or timed out. Once that held, only "registered and unfenced" is checked,
 * so a brief ISR shrink never flaps readiness. A new, empty broker
 * replicates nothing and is ready as soon as it is registered.
 *
 * sc_ready_eval is the pure rule; sc_readiness_check gathers the facts from
 * the broker and applies it. `berth-sidecar run` keeps one sc_readiness per
 * process and calls sc_readiness_check for /readyz (off the HTTP thread). */
#ifndef BERTH_SIDECAR_READINESS_H
#define BERTH_SIDECAR_READINESS_H

#include <stdint.h>

#include "kafka/dial.h"
#include "util/err.h"

/* How far behind the quorum leader a voter may be and count as caught up. */
#define SC_VOTER_MAX_LAG_MS 5000

typedef struct sc_readiness {
    int latched;               /* was ready once: from now on only registration counts */
    char reason[UTIL_ERR_MAX]; /* why the last check said not ready, or "" */
} sc_readiness;

/* What one check found. */
typedef struct sc_ready_facts {
    int registered;      /* listed by DescribeCluster */
    int fenced;          /* listed as fenced */
    int32_t replicated;  /* partitions it replicates */
    int32_t out_of_isr;  /* of those, with a live leader, where it is not in the ISR */
    int32_t leaderless;  /* of those, without a leader (reported only) */
    char first_out[160]; /* "topic-3" of the first out_of_isr one */
    int voter;           /* a KRaft voter */
    int voter_caught_up;
    int restore_done; /* restore finished or gave up at its deadline */
} sc_ready_facts;

/* Applies the rule to f, latching r; 1 ready, 0 not (r->reason says why). */
int sc_ready_eval(sc_readiness *r, const sc_ready_facts *f);

/* Asks the broker at addr (broker_id), dialled as dial says (TLS, SASL;
 * NULL: plaintext; its timeouts are replaced), for the facts and evaluates
 * them, within timeout_ms. 1 ready, 0 not ready (r->reason says why), -1
 * when the broker could not be asked (err says why; also not ready). */
int sc_readiness_check(sc_readiness *r, const char *addr, int32_t broker_id,
                       const kafka_dial_opts *dial, int restore_done, int timeout_ms,
                       sc_ready_facts *facts, util_err *err);

#endif
