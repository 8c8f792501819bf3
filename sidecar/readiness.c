/* Latched readiness; see readiness.h. */
#include "readiness.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kafka/cluster.h"
#include "kafka/metadata.h"
#include "kafka/quorum.h"

int sc_ready_eval(sc_readiness *r, const sc_ready_facts *f)
{
    r->reason[0] = '\0';
    if (!f->registered) {
        snprintf(r->reason, sizeof r->reason, "broker not registered with the controller");
        return 0;
    }
    if (f->fenced) {
        snprintf(r->reason, sizeof r->reason, "broker is fenced");
        return 0;
    }
    if (r->latched)
        return 1;
    if (f->out_of_isr > 0) {
        snprintf(r->reason, sizeof r->reason,
                 "not in the ISR of %d of %d partitions it replicates (first: %s)",
                 (int)f->out_of_isr, (int)f->replicated, f->first_out);
        return 0;
    }
    if (f->voter && !f->voter_caught_up) {
        snprintf(r->reason, sizeof r->reason, "KRaft voter has not caught up with the quorum");
        return 0;
    }
    if (!f->restore_done) {
        snprintf(r->reason, sizeof r->reason, "leadership restore still running");
        return 0;
    }
    r->latched = 1;
    return 1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Time left until end (at least 1 ms, so the last call fails by itself). */
static int left(int64_t end)
{
    int64_t l = end - mono_ms();

    return l < 1 ? 1 : (int)l;
}

static int gather_isr(kafka_conn *c, const kafka_api_versions *av, int32_t id, int64_t end,
                      sc_ready_facts *f, util_err *err)
{
    kafka_metadata_request req = {NULL, 0};
    kafka_metadata *md = NULL;
    kafka_metadata_refs *refs = NULL;
    int32_t i;

    if (kafka_metadata_call(c, av, &req, left(end), &md, err) < 0 ||
        kafka_metadata_replicated_by(md, id, &refs, err) < 0) {
        kafka_metadata_free(md);
        return -1;
    }
    f->replicated = refs->n;
    for (i = 0; i < refs->n; i++) {
        const kafka_metadata_partition *p = refs->refs[i].partition;
        if (p->leader < 0) {
            f->leaderless++;
        } else if (!kafka_int32_contains(p->isr, p->n_isr, id)) {
            if (f->out_of_isr++ == 0)
                snprintf(f->first_out, sizeof f->first_out, "%s-%d",
                         refs->refs[i].topic->name ? refs->refs[i].topic->name : "?",
                         (int)p->index);
        }
    }
    kafka_metadata_refs_free(refs);
    kafka_metadata_free(md);
    return 0;
}

static int gather_voter(kafka_conn *c, const kafka_api_versions *av, int32_t id, int64_t end,
                        sc_ready_facts *f, util_err *err)
{
    kafka_describe_quorum_response *q = NULL;
    const kafka_quorum_partition *p;
    int up;

    if (kafka_describe_quorum_call(c, av, NULL, left(end), &q, err) < 0)
        return -1;
    p = kafka_describe_quorum_partition(q);
    up = p != NULL ? kafka_quorum_voter_caught_up(p, id, SC_VOTER_MAX_LAG_MS) : -1;
    f->voter = up >= 0;
    f->voter_caught_up = up == 1;
    kafka_describe_quorum_free(q);
    return 0;
}

int sc_readiness_check(sc_readiness *r, const char *addr, int32_t broker_id,
                       const kafka_dial_opts *dial, int restore_done, int timeout_ms,
                       sc_ready_facts *facts, util_err *err)
{
    int64_t end = mono_ms() + (timeout_ms > 0 ? timeout_ms : 1);
    kafka_dial_opts o = {0};
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    kafka_describe_cluster_response *dc = NULL;
    const kafka_describe_cluster_broker *b;
    sc_ready_facts local = {0}, *f = facts != NULL ? facts : &local;
    int rc = -1;

    memset(f, 0, sizeof *f);
    f->restore_done = restore_done;
    if (dial != NULL)
        o = *dial;
    /* Set-up (connect, TLS, ApiVersions, SASL) may take all that is left. */
    o.connect_timeout_ms = left(end);
    o.call_timeout_ms = left(end);
    if (kafka_dial(addr, &o, &c, &av, err) < 0 ||
        kafka_describe_cluster_call(c, av, NULL, left(end), &dc, err) < 0)
        goto out;
    b = kafka_describe_cluster_find(dc, broker_id);
    f->registered = b != NULL;
    f->fenced = b != NULL && b->is_fenced;
    if (!r->latched && f->registered && !f->fenced &&
        (gather_isr(c, av, broker_id, end, f, err) < 0 ||
         gather_voter(c, av, broker_id, end, f, err) < 0))
        goto out;
    rc = sc_ready_eval(r, f);
out:
    if (rc < 0) {
        util_err_prefix(err, "readiness of broker %d at %s", (int)broker_id, addr);
        snprintf(r->reason, sizeof r->reason, "%s", err != NULL ? err->msg : "broker unreachable");
    }
    kafka_describe_cluster_free(dc);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    return rc;
}
