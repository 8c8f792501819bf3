/* The broker's readiness, latched. Before the first "ready" it needs: the
 * broker registered and unfenced, in the ISR of every partition it
 * replicates that has a live leader (leaderless ones are reported, not
 * waited for), its KRaft voter (if it is one) caught up, and restore done
 * or timed out. Once that held, only "registered and unfenced" is checked,
 * so a brief ISR shrink never flaps readiness. A new, empty broker
 * replicates nothing and is ready as soon as it is registered.
 *
 * The latch belongs to one broker process, not to the sidecar's: when the
 * broker container alone restarts (killed, crashed; the pod and the sidecar
 * stay), the new process has left every ISR and lost its leadership, so
 * the latch drops and the whole start-up gate, restore included, applies
 * again. A process has ended when, after the broker was seen up: the
 * sidecar's held connection to it was closed by the broker, or its port
 * refused a dial (broker_link.h says why these are the signals), or it was
 * seen unregistered or fenced (it has then left every ISR too). Until it is
 * ready again, the reason starts "broker restarted: <what was seen>".
 *
 * The partition counts are read at every check, latched or not, for
 * `berth-sidecar status`; once latched they decide nothing, and a failure
 * to read them is no verdict.
 *
 * sc_ready_eval is the pure rule; sc_readiness_probe gathers the facts from
 * the broker over a held sc_link and applies it; sc_readiness_wait watches
 * the link between probes, so the latch drops the moment the process ends.
 * `berth-sidecar run` keeps one sc_readiness and one sc_link per process
 * and probes and waits from its prober thread (off the HTTP thread). */
#ifndef BERTH_SIDECAR_SERVE_READINESS_H
#define BERTH_SIDECAR_SERVE_READINESS_H

#include <stdint.h>

#include "kafka/dial.h"
#include "serve/broker_link.h"
#include "util/err.h"

/* How far behind the quorum leader a voter may be and count as caught up. */
#define SC_VOTER_MAX_LAG_MS 5000

typedef struct sc_readiness {
    int latched;               /* ready once in this broker process: only registration counts */
    int up;                    /* the last verdict saw it registered and unfenced */
    long restarts;             /* broker processes seen to end after being up */
    char restarted[256];       /* "broker restarted: ..." of the last one; "" before any */
    char reason[UTIL_ERR_MAX]; /* why the last check said not ready, or "" */
} sc_readiness;

/* What one check counted of the partitions the broker replicates. */
typedef struct sc_partition_counts {
    int32_t replicated; /* partitions it replicates */
    int32_t out_of_isr; /* of those, with a live leader, where it is not in the ISR */
    int32_t leaderless; /* of those, without a leader (reported only) */
    int32_t leads;      /* of those, partitions it leads */
    int32_t prefers;    /* of those, partitions it is the first replica of */
} sc_partition_counts;

/* What one check found. */
typedef struct sc_ready_facts {
    int gone;           /* the process seen last has ended (broker_link.h); counts once */
    char gone_why[200]; /* what showed it */
    int registered;     /* listed by DescribeCluster */
    int fenced;         /* listed as fenced */
    sc_partition_counts parts;
    int counted;         /* parts was read at this check */
    char first_out[160]; /* "topic-3" of the first out_of_isr one */
    int voter;           /* a KRaft voter */
    int voter_caught_up;
    int restore_done; /* restore finished or gave up at its deadline, for this process */
} sc_ready_facts;

/* What the pod's TCP port may tell anyone in the cluster about why the
 * broker is not ready: a fixed class, never the reason itself, which can
 * name topics, SASL users and addresses. The reason stays on the Unix
 * socket (GET /v1/status, `berth-sidecar status`) and in the log. */
typedef enum sc_ready_class {
    SC_READY_UNCHECKED,    /* no check has finished yet */
    SC_READY_UNREACHABLE,  /* the broker could not be asked, or its process ended */
    SC_READY_UNREGISTERED, /* not registered with the cluster, or fenced */
    SC_READY_CATCHING_UP,  /* out of some ISR, or a voter behind the quorum */
    SC_READY_RESTORING,    /* caught up; leadership not handed back yet */
    SC_READY_DRAINED,      /* drained; unready until the broker restarts */
    SC_READY_OTHER         /* a reason no class claims */
} sc_ready_class;

/* The class of a not-ready reason as the readiness hooks write it (this
 * file's, the probe's, the engines', peer DNS's), by its leading phrase;
 * "broker restarted: <what>; " in front is looked past. A reason whose
 * phrase is not in readiness.c's table is SC_READY_OTHER, so a new reason
 * tells nothing on TCP until it is given a class there. */
sc_ready_class sc_ready_classify(const char *reason);

/* "broker catching up" and so on: fixed text naming nothing. */
const char *sc_ready_class_text(sc_ready_class c);

/* Applies the rule to f, latching r; 1 ready, 0 not (r->reason says why).
 * f->gone, or registration or fencing lost after r->up, drops the latch
 * and counts a restart; a restore_done from before that does not count.
 * Evaluate the same facts again only with gone cleared. */
int sc_ready_eval(sc_readiness *r, const sc_ready_facts *f);

/* The broker could not be asked (msg says why): no verdict on registration
 * or ISR, and a latch holds, unless f->gone says the process ended. Sets
 * r->reason. */
void sc_ready_unreachable(sc_readiness *r, const sc_ready_facts *f, const char *msg);

/* Asks the broker over link for the facts and evaluates them, within
 * timeout_ms: the held connection if there is one (its end by the broker
 * is f->gone), else a new dial. 1 ready, 0 not ready (r->reason says why),
 * -1 when the broker could not be asked (err says why; also not ready).
 * facts may be NULL. */
int sc_readiness_probe(sc_readiness *r, sc_link *link, int32_t broker_id, int restore_done,
                       int timeout_ms, sc_ready_facts *facts, util_err *err);

/* Between two sc_readiness_probe calls over link: waits as sc_link_wait
 * does (timeout_ms, wake_fd). Returns 1 when the broker closed the held
 * link, its process ended: the latch has dropped and the restart counts, as
 * a probe would have found, and r->reason says so; the next probe should
 * follow at once. 0 when the time passed or wake_fd turned readable. */
int sc_readiness_wait(sc_readiness *r, sc_link *link, int wake_fd, long timeout_ms);

/* sc_readiness_probe on a connection of its own, dialled to addr as dial
 * says (TLS, SASL; NULL: plaintext; its timeouts are replaced) and closed
 * again: only a refused dial or lost registration shows a restart. */
int sc_readiness_check(sc_readiness *r, const char *addr, int32_t broker_id,
                       const kafka_dial_opts *dial, int restore_done, int timeout_ms,
                       sc_ready_facts *facts, util_err *err);

#endif
