/* Latched readiness, per broker process; see readiness.h. */
#include "serve/readiness.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kafka/cluster.h"
#include "kafka/metadata.h"
#include "kafka/quorum.h"
#include "util/clock.h"

/* The reasons made here, each with its class in classes[] below. */
#define WHY_RESTARTED    "broker restarted: "
#define WHY_UNREGISTERED "broker not registered with the controller"
#define WHY_FENCED       "broker is fenced"
#define WHY_OUT_OF_ISR   "not in the ISR of "
#define WHY_VOTER_BEHIND "KRaft voter has not caught up with the quorum"
#define WHY_RESTORING    "leadership restore still running"
#define WHY_UNREACHABLE  "readiness of broker "
#define WHY_AGAIN        "checking it again"

/* Every not-ready reason's leading phrase and its class; '#' stands for a
 * broker id. Reasons made elsewhere are listed by the file that makes them.
 * Only fixed text leads a reason, so no name a user chose decides a class. */
static const struct {
    const char *phrase;
    sc_ready_class class;
} classes[] = {
    {"not checked yet", SC_READY_UNCHECKED}, /* run.c, before the first check */
    {WHY_UNREACHABLE, SC_READY_UNREACHABLE},
    {WHY_AGAIN, SC_READY_UNREACHABLE},
    {"nothing listens on ", SC_READY_UNREACHABLE},                /* broker_link.c */
    {"it closed the sidecar's connection", SC_READY_UNREACHABLE}, /* broker_link.c */
    {"broker does not answer on ", SC_READY_UNREACHABLE},         /* probe.c */
    {WHY_UNREGISTERED, SC_READY_UNREGISTERED},
    {WHY_FENCED, SC_READY_UNREGISTERED},
    {"the cluster does not see broker ", SC_READY_UNREGISTERED}, /* engine/redpanda/engine.c */
    {WHY_OUT_OF_ISR, SC_READY_CATCHING_UP},
    {WHY_VOTER_BEHIND, SC_READY_CATCHING_UP},
    {WHY_RESTORING, SC_READY_RESTORING},
    {"leadership is handed back ", SC_READY_RESTORING}, /* engine/kafka/peer_dns.c */
    {"restore: ", SC_READY_RESTORING},                  /* engine/redpanda/engine.c */
    {"broker # has been drained",
     SC_READY_DRAINED}, /* engine/kafka/engine.c, engine/redpanda/engine.c */
};

static const char *const class_texts[] = {
    [SC_READY_UNCHECKED] = "not checked yet",
    [SC_READY_UNREACHABLE] = "broker not reachable",
    [SC_READY_UNREGISTERED] = "broker not registered",
    [SC_READY_CATCHING_UP] = "broker catching up",
    [SC_READY_RESTORING] = "restoring leadership",
    [SC_READY_DRAINED] = "broker drained",
    [SC_READY_OTHER] = "see berth-sidecar status on the pod",
};

/* Does s begin with phrase, '#' matching one or more digits? */
static bool leads_with(const char *s, const char *phrase)
{
    for (; *phrase != '\0'; phrase++) {
        if (*phrase == '#') {
            if (*s < '0' || *s > '9')
                return false;
            while (*s >= '0' && *s <= '9')
                s++;
        } else if (*s++ != *phrase) {
            return false;
        }
    }
    return true;
}

sc_ready_class sc_ready_classify(const char *reason)
{
    if (reason == NULL)
        return SC_READY_OTHER;
    /* What restarted the broker ("broker restarted: <what>; <why>") comes
     * from fixed phrases holding no "; ": the class is that of <why>. */
    if (leads_with(reason, WHY_RESTARTED)) {
        const char *why = strstr(reason, "; ");

        if (why == NULL)
            return SC_READY_UNREACHABLE;
        reason = why + 2;
    }
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (leads_with(reason, classes[i].phrase))
            return classes[i].class;
    return SC_READY_OTHER;
}

const char *sc_ready_class_text(sc_ready_class c)
{
    if ((unsigned)c >= sizeof class_texts / sizeof class_texts[0] || class_texts[c] == NULL)
        return class_texts[SC_READY_OTHER];
    return class_texts[c];
}

/* The process seen up last has ended: the latch drops, and the restart
 * counts once (not again while the broker stays away). */
static void went_away(sc_readiness *r, const char *what)
{
    if (r->up || r->latched) {
        r->restarts++;
        snprintf(r->restarted, sizeof r->restarted, WHY_RESTARTED "%s", what);
    }
    r->up = 0;
    r->latched = 0;
}

/* r->reason is why, after what restarted it while that restart keeps the
 * broker unready. */
static void set_reason(sc_readiness *r, const char *why)
{
    /* Both fit: restarted is shorter than 256 bytes. */
    if (!r->latched && r->restarted[0] != '\0')
        snprintf(r->reason, sizeof r->reason, "%s; %.250s", r->restarted, why);
    else
        snprintf(r->reason, sizeof r->reason, "%s", why);
}

int sc_ready_eval(sc_readiness *r, const sc_ready_facts *f)
{
    long before = r->restarts;
    char why[UTIL_ERR_MAX];

    r->reason[0] = '\0';
    if (f->gone)
        went_away(r, f->gone_why);
    if (!f->registered) {
        went_away(r, "it was no longer registered with the controller");
        set_reason(r, WHY_UNREGISTERED);
        return 0;
    }
    if (f->fenced) {
        went_away(r, "it was fenced by the controller");
        set_reason(r, WHY_FENCED);
        return 0;
    }
    r->up = 1;
    if (r->latched)
        return 1;
    if (f->parts.out_of_isr > 0) {
        snprintf(why, sizeof why, WHY_OUT_OF_ISR "%d of %d partitions it replicates (first: %s)",
                 (int)f->parts.out_of_isr, (int)f->parts.replicated, f->first_out);
        set_reason(r, why);
        return 0;
    }
    if (f->voter && !f->voter_caught_up) {
        set_reason(r, WHY_VOTER_BEHIND);
        return 0;
    }
    /* A restore finished for the process that just ended is not this one's. */
    if (!f->restore_done || r->restarts != before) {
        set_reason(r, WHY_RESTORING);
        return 0;
    }
    r->latched = 1;
    return 1;
}

void sc_ready_unreachable(sc_readiness *r, const sc_ready_facts *f, const char *msg)
{
    if (f->gone)
        went_away(r, f->gone_why);
    set_reason(r, msg);
}

/* Time left until end (at least 1 ms, so the last call fails by itself). */
static int left(int64_t end)
{
    int64_t l = end - util_mono_ms();

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
    f->parts.replicated = refs->n;
    for (i = 0; i < refs->n; i++) {
        const kafka_metadata_partition *p = refs->refs[i].partition;
        f->parts.leads += p->leader == id;
        f->parts.prefers += p->n_replicas > 0 && p->replicas[0] == id;
        if (p->leader < 0) {
            f->parts.leaderless++;
        } else if (!kafka_int32_contains(p->isr, p->n_isr, id)) {
            if (f->parts.out_of_isr++ == 0)
                snprintf(f->first_out, sizeof f->first_out, "%s-%d",
                         refs->refs[i].topic->name ? refs->refs[i].topic->name : "?",
                         (int)p->index);
        }
    }
    f->counted = 1;
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

/* DescribeCluster on the link's connection; registration into f. On a
 * failure the link is dropped, and f->gone set when the broker closed it. */
static int ask_cluster(sc_link *link, int32_t id, int64_t end, sc_ready_facts *f, util_err *err)
{
    kafka_describe_cluster_response *dc = NULL;
    const kafka_describe_cluster_broker *b;

    if (kafka_describe_cluster_call(link->conn, link->av, NULL, left(end), &dc, err) < 0) {
        f->gone |= sc_link_broke(link, f->gone_why, sizeof f->gone_why);
        return -1;
    }
    b = kafka_describe_cluster_find(dc, id);
    f->registered = b != NULL;
    f->fenced = b != NULL && b->is_fenced;
    kafka_describe_cluster_free(dc);
    return 0;
}

int sc_readiness_probe(sc_readiness *r, sc_link *link, int32_t broker_id, int restore_done,
                       int timeout_ms, sc_ready_facts *facts, util_err *err)
{
    int64_t end = util_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1);
    sc_ready_facts local = {0}, *f = facts != NULL ? facts : &local;
    util_err e = {{0}};
    char why[sizeof f->gone_why];
    int refused = 0, rc = -1;

    memset(f, 0, sizeof *f);
    f->restore_done = restore_done;
    /* The held connection first: if the broker closed it, its process
     * ended, and a new connection asks the one that may have followed. */
    if (link->conn != NULL && ask_cluster(link, broker_id, end, f, &e) < 0 && !f->gone)
        goto out;
    if (link->conn == NULL) {
        if (sc_link_open(link, left(end), &refused, why, sizeof why, &e) < 0) {
            if (refused && !f->gone) {
                f->gone = 1;
                snprintf(f->gone_why, sizeof f->gone_why, "%s", why);
            }
            goto out;
        }
        if (ask_cluster(link, broker_id, end, f, &e) < 0)
            goto out;
    }
    /* The gate's facts, unless latched: also when the process that latched
     * has just been seen to end (f->gone), whose latch drops at this very
     * check while its successor may already be registered. Latched, the
     * partition counts are still read, for status only. */
    if (f->registered && !f->fenced) {
        bool gate = !r->latched || f->gone;

        if (gather_isr(link->conn, link->av, broker_id, end, f, &e) < 0 ||
            (gate && gather_voter(link->conn, link->av, broker_id, end, f, &e) < 0)) {
            f->gone |= sc_link_broke(link, f->gone_why, sizeof f->gone_why);
            if (gate || f->gone)
                goto out;
            f->counted = 0; /* latched: counts unread, the verdict stands */
            e.msg[0] = '\0';
        }
    }
    sc_link_used(link, left(end));
    rc = sc_ready_eval(r, f);
out:
    if (rc < 0) {
        util_err_prefix(&e, WHY_UNREACHABLE "%d at %s", (int)broker_id, link->addr);
        sc_ready_unreachable(r, f, e.msg);
        if (err != NULL)
            *err = e;
    }
    return rc;
}

int sc_readiness_wait(sc_readiness *r, sc_link *link, int wake_fd, long timeout_ms)
{
    sc_ready_facts f;
    long before = r->restarts;

    memset(&f, 0, sizeof f);
    if (sc_link_wait(link, wake_fd, timeout_ms, f.gone_why, sizeof f.gone_why) != 1)
        return 0;
    f.gone = 1;
    sc_ready_unreachable(r, &f, WHY_AGAIN);
    /* Not up when it ended (no restart counted): say what was seen. */
    if (r->restarts == before)
        snprintf(r->reason, sizeof r->reason, "%s; " WHY_AGAIN, f.gone_why);
    return 1;
}

int sc_readiness_check(sc_readiness *r, const char *addr, int32_t broker_id,
                       const kafka_dial_opts *dial, int restore_done, int timeout_ms,
                       sc_ready_facts *facts, util_err *err)
{
    sc_link link;
    int rc;

    sc_link_init(&link, addr, dial);
    rc = sc_readiness_probe(r, &link, broker_id, restore_done, timeout_ms, facts, err);
    sc_link_close(&link);
    return rc;
}
