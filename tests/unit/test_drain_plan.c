/* The drain planner (lib/drain/plan.c) on model clusters: a drain plans
 * exactly the partitions the broker leads or prefers, skips those under
 * reassignment, reports (and never touches) those whose only in-sync replica
 * it is, reports those that fall below min.insync.replicas; and, the
 * property the ledger exists for, concurrent and overlapping drains and
 * restores of different brokers, interleaved at random step by step (ledger
 * compare-and-set, Kafka writes landing late, metadata read stale), always
 * end with every partition's original order and preferred leader. Also the
 * min.insync.replicas the planner is given (lib/drain/min_isr.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drain/ledger.h"
#include "drain/min_isr.h"
#include "drain/plan.h"
#include "kafka/proto.h"

#define MAXP 12
#define RF   3

/* A model cluster: one topic "t", replicas in order, leader, ISR. */
typedef struct model {
    int32_t n;
    int32_t order[MAXP][RF];
    int32_t leader[MAXP];
    int32_t isr[MAXP][RF];
    int32_t n_isr[MAXP];
} model;

/* A Metadata answer built by hand from the model (no arena). */
typedef struct fake_md {
    kafka_metadata md;
    kafka_metadata_topic topic;
    kafka_metadata_partition parts[MAXP];
    int32_t replicas[MAXP][RF];
    int32_t isr[MAXP][RF];
} fake_md;

static void md_of(const model *m, fake_md *f)
{
    int32_t i;

    memset(f, 0, sizeof *f);
    f->md.n_topics = 1;
    f->md.topics = &f->topic;
    f->topic.name = "t";
    f->topic.n_partitions = m->n;
    f->topic.partitions = f->parts;
    for (i = 0; i < m->n; i++) {
        memcpy(f->replicas[i], m->order[i], sizeof f->replicas[i]);
        memcpy(f->isr[i], m->isr[i], sizeof f->isr[i]);
        f->parts[i].index = i;
        f->parts[i].leader = m->leader[i];
        f->parts[i].n_replicas = RF;
        f->parts[i].replicas = f->replicas[i];
        f->parts[i].n_isr = m->n_isr[i];
        f->parts[i].isr = f->isr[i];
    }
}

/* n partitions over brokers 1..3, each order a rotation or reversal, all in
 * sync, led by the first replica. */
static void model_init(model *m, int32_t n)
{
    static const int32_t perms[6][3] = {{1, 2, 3}, {2, 3, 1}, {3, 1, 2},
                                        {1, 3, 2}, {3, 2, 1}, {2, 1, 3}};
    int32_t i;

    memset(m, 0, sizeof *m);
    m->n = n;
    for (i = 0; i < n; i++) {
        memcpy(m->order[i], perms[i % 6], sizeof m->order[i]);
        memcpy(m->isr[i], perms[i % 6], sizeof m->isr[i]);
        m->n_isr[i] = RF;
        m->leader[i] = m->order[i][0];
    }
}

static const drain_plan_note *find_note(const drain_plan *p, int32_t partition)
{
    int32_t i;

    for (i = 0; i < p->n_notes; i++)
        if (p->notes[i].partition == partition)
            return &p->notes[i];
    return NULL;
}

static const drain_plan_move *find_move(const drain_plan *p, int32_t partition)
{
    int32_t i;

    for (i = 0; i < p->n_moves; i++)
        if (p->moves[i].partition == partition)
            return &p->moves[i];
    return NULL;
}

START_TEST(test_drain_plans_every_replicated_partition)
{
    model m;
    fake_md f;
    drain_ledger *l = drain_ledger_new();
    drain_plan *p;
    util_err err;
    int32_t i;

    model_init(&m, 6);
    m.leader[0] = 2; /* partition 0 (1,2,3) prefers 1 but 2 leads it */
    m.leader[1] = 1; /* partition 1 (2,3,1) prefers 2 but 1 leads it */
    md_of(&m, &f);
    ck_assert_msg(drain_plan_drain(&f.md, NULL, l, NULL, 0, 1, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p->n_led, 2); /* partitions 1 and 3 */
    ck_assert_int_eq(p->n_moves, 6);
    ck_assert_int_eq(p->n_notes, 0);
    for (i = 0; i < p->n_moves; i++) {
        const drain_plan_move *mv = &p->moves[i];
        ck_assert_int_eq(mv->order[RF - 1], 1);
        ck_assert(drain_order_same_set(mv->order, m.order[mv->partition], RF));
        ck_assert_int_eq(mv->reorder, m.order[mv->partition][RF - 1] != 1);
        ck_assert_int_eq(mv->elect, m.leader[mv->partition] != mv->order[0]);
    }
    /* Partition 1 is 2,3,1 already: no reorder, only an election. */
    ck_assert_int_eq(find_move(p, 1)->reorder, 0);
    ck_assert_int_eq(find_move(p, 1)->elect, 1);
    /* Partition 4 (3,2,1): nothing to do. */
    ck_assert_int_eq(find_move(p, 4)->reorder, 0);
    ck_assert_int_eq(find_move(p, 4)->elect, 0);
    ck_assert_int_eq(l->n, 6);
    drain_plan_free(p);
    drain_ledger_free(l);
}
END_TEST

START_TEST(test_drain_reports_isr_and_reassignments)
{
    model m;
    fake_md f;
    drain_ledger *l = drain_ledger_new();
    drain_plan *p;
    util_err err;
    kafka_ongoing_partition op = {0};
    kafka_ongoing_topic ot = {"t", 1, &op};
    kafka_list_partition_reassignments_response ongoing = {0};
    drain_topic_min_isr mi = {"t", 2};
    const drain_plan_note *n;

    model_init(&m, 6);
    /* Partition 0 (1,2,3): only 1 in sync. Partition 3 (1,3,2): 1 and 3 in
     * sync, min.insync.replicas 2. Partition 5 (2,1,3) led by 1: moving. */
    m.n_isr[0] = 1;
    m.isr[0][0] = 1;
    m.n_isr[3] = 2;
    m.isr[3][0] = 1;
    m.isr[3][1] = 3;
    m.leader[5] = 1;
    op.index = 5;
    ongoing.n_topics = 1;
    ongoing.topics = &ot;
    md_of(&m, &f);
    ck_assert_msg(drain_plan_drain(&f.md, &ongoing, l, &mi, 1, 1, &p, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(p->n_notes, 3);
    n = find_note(p, 0);
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->kind, DRAIN_NOTE_ONLY_ISR);
    ck_assert_ptr_null(find_move(p, 0));
    ck_assert_ptr_null(drain_ledger_find(l, "t", 0));
    n = find_note(p, 3);
    ck_assert_int_eq(n->kind, DRAIN_NOTE_BELOW_MIN_ISR);
    ck_assert_int_eq(n->isr_left, 1);
    ck_assert_int_eq(n->min_isr, 2);
    ck_assert_ptr_nonnull(find_move(p, 3)); /* still demoted, never forced */
    ck_assert_int_eq(find_note(p, 5)->kind, DRAIN_NOTE_REASSIGNING);
    ck_assert_ptr_null(find_move(p, 5));
    ck_assert_str_eq(drain_note_name(DRAIN_NOTE_ONLY_ISR),
                     "this broker is the only in-sync replica, left alone");
    drain_plan_free(p);
    drain_ledger_free(l);
}
END_TEST

/* Restore: moves back where Kafka holds berth's order, leaves a foreign
 * order and a moving partition alone, forgets entries of vanished
 * partitions and finished ones, and elects where the broker is first but
 * does not lead. */
START_TEST(test_restore_plan)
{
    model m;
    fake_md f;
    drain_ledger *l = drain_ledger_new();
    drain_plan *p;
    util_err err;
    int32_t order[RF];
    kafka_ongoing_partition op = {0};
    kafka_ongoing_topic ot = {"t", 1, &op};
    kafka_list_partition_reassignments_response ongoing = {0};
    const drain_plan_move *mv;

    model_init(&m, 6);
    /* Broker 1 drained partitions 0 (1,2,3), 3 (1,3,2) and 5 (2,1,3). */
    ck_assert(drain_ledger_demote(l, "t", 0, m.order[0], RF, 1, order, &err) == DRAIN_STEP_WRITE);
    memcpy(m.order[0], order, sizeof order);
    m.leader[0] = order[0];
    ck_assert(drain_ledger_demote(l, "t", 3, m.order[3], RF, 1, order, &err) == DRAIN_STEP_WRITE);
    m.order[3][0] = 2; /* a rebalancer wrote 2,3,1 (berth wrote 3,2,1) */
    m.order[3][1] = 3;
    m.order[3][2] = 1;
    m.leader[3] = 2;
    ck_assert(drain_ledger_demote(l, "t", 5, m.order[5], RF, 1, order, &err) == DRAIN_STEP_WRITE);
    memcpy(m.order[5], order, sizeof order);
    op.index = 5; /* and partition 5 is being moved now */
    ongoing.n_topics = 1;
    ongoing.topics = &ot;
    /* An entry of a partition that no longer exists, and a finished one. */
    ck_assert(drain_ledger_demote(l, "gone", 0, (int32_t[]){1, 2, 3}, RF, 1, order, &err) >= 0);
    ck_assert(drain_ledger_demote(l, "t", 2, m.order[2], RF, 3, order, &err) >= 0);
    ck_assert(drain_ledger_undemote(l, "t", 2, order, RF, 3, order, &err) >= 0);
    /* Partition 4 (3,2,1) has nothing in the ledger. Partition 1 (2,3,1):
     * Kafka's own shutdown moved it from 2 to 3 -- not broker 1's concern. */
    m.leader[1] = 3;
    md_of(&m, &f);
    ck_assert_msg(drain_plan_restore(&f.md, &ongoing, l, 1, &p, &err) == 0, "%s", err.msg);

    mv = find_move(p, 0);
    ck_assert_ptr_nonnull(mv);
    ck_assert_int_eq(mv->reorder, 1);
    ck_assert_int_eq(mv->elect, 1);
    ck_assert(mv->order[0] == 1 && mv->order[1] == 2 && mv->order[2] == 3);
    ck_assert_ptr_null(find_move(p, 3));
    ck_assert_int_eq(find_note(p, 3)->kind, DRAIN_NOTE_FOREIGN_ORDER);
    ck_assert_ptr_null(find_move(p, 5));
    ck_assert_int_eq(find_note(p, 5)->kind, DRAIN_NOTE_REASSIGNING);
    ck_assert_ptr_null(find_move(p, 1));
    ck_assert_int_eq(p->n_moves, 1);
    ck_assert_ptr_null(drain_ledger_find(l, "gone", 0));
    ck_assert_ptr_null(drain_ledger_find(l, "t", 2));
    ck_assert(!drain_ledger_is_demoted(drain_ledger_find(l, "t", 3), 1));
    ck_assert(drain_ledger_is_demoted(drain_ledger_find(l, "t", 5), 1)); /* done after the move */
    drain_plan_free(p);

    /* Broker 3, preferred in partition 2 (3,1,2), lost its leadership. */
    m.leader[2] = 1;
    md_of(&m, &f);
    ck_assert_msg(drain_plan_restore(&f.md, NULL, l, 3, &p, &err) == 0, "%s", err.msg);
    mv = find_move(p, 2);
    ck_assert_ptr_nonnull(mv);
    ck_assert_int_eq(mv->reorder, 0);
    ck_assert_int_eq(mv->elect, 1);
    drain_plan_free(p);
    drain_ledger_free(l);
}
END_TEST

/* ---- the commuting property, by simulation ---- */

typedef enum astate {
    A_CAS_READ,
    A_CAS_WRITE,
    A_ALTER,
    A_ELECT,
    A_SETTLE_LEDGER,
    A_SETTLE_MD,
    A_SETTLE_ALTER,
    A_DONE,
} astate;

typedef struct actor {
    int restore; /* 0 drain, 1 restore */
    int32_t broker;
    astate st;
    long read_version;
    char *pending;    /* ledger JSON to write */
    drain_plan *plan; /* what it wrote (drain/restore), then settle moves */
    drain_plan *settle;
    drain_ledger *settle_ledger;
    int rounds;
} actor;

typedef struct world {
    model m;
    char *ledger_json; /* the ConfigMap's data */
    long version;      /* its resourceVersion */
    /* Kafka writes issued but not landed yet, per actor: the model applies
     * an actor's alter only when the scheduler picks it (A_ALTER). */
} world;

static drain_ledger *world_ledger(const world *w)
{
    drain_ledger *l;
    util_err err;

    ck_assert_msg(drain_ledger_parse(w->ledger_json, strlen(w->ledger_json), &l, &err) == 0, "%s",
                  err.msg);
    return l;
}

static void apply_moves(world *w, const drain_plan *p, int elect)
{
    int32_t i;

    for (i = 0; i < p->n_moves; i++) {
        const drain_plan_move *mv = &p->moves[i];
        if (!elect && mv->reorder)
            memcpy(w->m.order[mv->partition], mv->order, sizeof w->m.order[0]);
        if (elect && mv->elect)
            w->m.leader[mv->partition] = w->m.order[mv->partition][0];
    }
}

/* Does broker lead or come first anywhere? */
static int still_leads(const world *w, int32_t broker)
{
    for (int32_t i = 0; i < w->m.n; i++)
        if (w->m.leader[i] == broker || w->m.order[i][0] == broker)
            return 1;
    return 0;
}

/* One step of actor a. */
static void step(world *w, actor *a)
{
    fake_md f;
    util_err err;
    int32_t pending;

    switch (a->st) {
    case A_CAS_READ: {
        drain_ledger *l = world_ledger(w);
        md_of(&w->m, &f);
        drain_plan_free(a->plan);
        a->plan = NULL;
        if (a->restore)
            ck_assert_msg(drain_plan_restore(&f.md, NULL, l, a->broker, &a->plan, &err) == 0, "%s",
                          err.msg);
        else
            ck_assert_msg(drain_plan_drain(&f.md, NULL, l, NULL, 0, a->broker, &a->plan, &err) == 0,
                          "%s", err.msg);
        /* The plan borrows topic names from the fake metadata, which dies
         * here: point them at a static name. */
        for (int32_t i = 0; i < a->plan->n_moves; i++)
            a->plan->moves[i].topic = "t";
        free(a->pending);
        ck_assert(drain_ledger_format(l, &a->pending, &err) == 0);
        drain_ledger_free(l);
        a->read_version = w->version;
        a->st = A_CAS_WRITE;
        break;
    }
    case A_CAS_WRITE:
        if (w->version != a->read_version) {
            a->st = A_CAS_READ; /* 409 Conflict: read again */
            break;
        }
        free(w->ledger_json);
        w->ledger_json = a->pending;
        a->pending = NULL;
        w->version++;
        a->st = A_ALTER;
        break;
    case A_ALTER:
        apply_moves(w, a->plan, 0);
        a->st = A_ELECT;
        break;
    case A_ELECT:
        apply_moves(w, a->plan, 1);
        a->st = A_SETTLE_LEDGER;
        break;
    case A_SETTLE_LEDGER:
        drain_ledger_free(a->settle_ledger);
        a->settle_ledger = world_ledger(w);
        a->st = A_SETTLE_MD;
        break;
    case A_SETTLE_MD:
        md_of(&w->m, &f);
        drain_plan_free(a->settle);
        a->settle = NULL;
        ck_assert(drain_plan_settle(a->plan, a->settle_ledger, &f.md, &a->settle, &pending, &err) ==
                  0);
        if (a->settle->n_moves > 0)
            a->st = A_SETTLE_ALTER;
        else if (pending > 0 && a->rounds < 40)
            a->st = A_SETTLE_LEDGER; /* read again, as engine/kafka/io.c does a bounded number of
                                        times */
        else if (!a->restore && still_leads(w, a->broker))
            a->st = A_CAS_READ; /* poll: a concurrent write gave some back */
        else
            a->st = A_DONE;
        ck_assert_msg(++a->rounds < 50, "settle does not converge");
        if (pending > 0 && a->rounds >= 40)
            fprintf(stderr, "actor %s %d: settle gave up with %d pending\n",
                    a->restore ? "restore" : "drain", (int)a->broker, (int)pending);
        break;
    case A_SETTLE_ALTER:
        apply_moves(w, a->settle, 0);
        apply_moves(w, a->settle, 1);
        a->st = A_SETTLE_LEDGER;
        break;
    case A_DONE:
        break;
    }
}

static void actor_release(actor *a)
{
    free(a->pending);
    drain_plan_free(a->plan);
    drain_plan_free(a->settle);
    drain_ledger_free(a->settle_ledger);
    memset(a, 0, sizeof *a);
}

/* Runs actors at random until all are done. */
static void run(world *w, actor *as, int n, unsigned *seed)
{
    for (;;) {
        int live = 0, i, pick;
        for (i = 0; i < n; i++)
            live += as[i].st != A_DONE;
        if (live == 0)
            break;
        pick = rand_r(seed) % live;
        for (i = 0; i < n; i++)
            if (as[i].st != A_DONE && pick-- == 0) {
                step(w, &as[i]);
                break;
            }
    }
    for (int i = 0; i < n; i++)
        actor_release(&as[i]);
}

static void start(actor *a, int restore, int32_t broker)
{
    memset(a, 0, sizeof *a);
    a->restore = restore;
    a->broker = broker;
    a->st = A_CAS_READ;
}

static void check_original(const world *w, const model *orig, unsigned seed, const char *what)
{
    int32_t i;

    for (i = 0; i < orig->n; i++) {
        ck_assert_msg(memcmp(w->m.order[i], orig->order[i], sizeof orig->order[i]) == 0,
                      "%s, seed %u: partition %d order %d,%d,%d, original %d,%d,%d", what, seed,
                      (int)i, (int)w->m.order[i][0], (int)w->m.order[i][1], (int)w->m.order[i][2],
                      (int)orig->order[i][0], (int)orig->order[i][1], (int)orig->order[i][2]);
        ck_assert_msg(w->m.leader[i] == orig->leader[i], "%s, seed %u: partition %d leader %d",
                      what, seed, (int)i, (int)w->m.leader[i]);
    }
}

static void leads_none(const world *w, int32_t broker, unsigned seed)
{
    for (int32_t i = 0; i < w->m.n; i++)
        ck_assert_msg(w->m.leader[i] != broker && w->m.order[i][0] != broker,
                      "seed %u: broker %d still leads or prefers partition %d", seed, (int)broker,
                      (int)i);
}

/* Two drains at once, then both restores at once. */
START_TEST(test_concurrent_drains_then_restores_do_not_drift)
{
    unsigned s;

    for (s = 1; s <= 1500; s++) {
        world w = {0};
        model orig;
        actor as[2];
        unsigned seed = s;
        int32_t b1 = 1 + (int32_t)(s % 3), b2 = 1 + (int32_t)((s + 1) % 3);

        model_init(&w.m, MAXP);
        orig = w.m;
        w.ledger_json = strdup("");
        start(&as[0], 0, b1);
        start(&as[1], 0, b2);
        run(&w, as, 2, &seed);
        leads_none(&w, b1, s);
        leads_none(&w, b2, s);
        start(&as[0], 1, b1);
        start(&as[1], 1, b2);
        run(&w, as, 2, &seed);
        check_original(&w, &orig, s, "two drains, two restores");
        free(w.ledger_json);
    }
}
END_TEST

/* Overlap: drain a; then restore a while b and c drain; then restore b and
 * c; interleaved at random. */
START_TEST(test_overlapping_drains_and_restores_do_not_drift)
{
    unsigned s;

    for (s = 1; s <= 1500; s++) {
        world w = {0};
        model orig;
        actor as[3];
        unsigned seed = s * 7919u;
        int32_t a = 1 + (int32_t)(s % 3), b = 1 + (int32_t)((s + 1) % 3),
                c = 1 + (int32_t)((s + 2) % 3);

        model_init(&w.m, MAXP);
        orig = w.m;
        w.ledger_json = strdup("");
        start(&as[0], 0, a);
        run(&w, as, 1, &seed);
        leads_none(&w, a, s);
        start(&as[0], 1, a);
        start(&as[1], 0, b);
        start(&as[2], 0, c);
        run(&w, as, 3, &seed);
        start(&as[0], 1, b);
        start(&as[1], 1, c);
        run(&w, as, 2, &seed);
        check_original(&w, &orig, s, "overlapping rolls");
        free(w.ledger_json);
    }
}
END_TEST

/* A drain interrupted after its ledger write, repeated: same end state. */
START_TEST(test_interrupted_drain_is_idempotent)
{
    world w = {0};
    model orig;
    actor a;
    unsigned seed = 1;

    model_init(&w.m, MAXP);
    orig = w.m;
    w.ledger_json = strdup("");
    start(&a, 0, 2);
    step(&w, &a); /* read */
    step(&w, &a); /* ledger written, Kafka not yet */
    actor_release(&a);
    start(&a, 0, 2);
    run(&w, &a, 1, &seed);
    leads_none(&w, 2, 0);
    start(&a, 0, 2);
    run(&w, &a, 1, &seed); /* again: nothing changes */
    leads_none(&w, 2, 0);
    start(&a, 1, 2);
    run(&w, &a, 1, &seed);
    check_original(&w, &orig, 0, "interrupted drain");
    /* The ledger forgets partitions that are back to their original. */
    start(&a, 1, 2);
    run(&w, &a, 1, &seed);
    {
        drain_ledger *l = world_ledger(&w);
        ck_assert_int_eq(l->n, 0);
        drain_ledger_free(l);
    }
    free(w.ledger_json);
}
END_TEST

/* A restore interrupted after its ledger write (the broker no longer
 * demoted there, Kafka still in the drained order) is finished by the next
 * restore of the same broker, or by a restore of another. */
START_TEST(test_interrupted_restore_is_finished_by_the_next)
{
    int32_t by;

    for (by = 2; by >= 1; by--) {
        world w = {0};
        model orig;
        actor a;
        unsigned seed = 1;

        model_init(&w.m, MAXP);
        orig = w.m;
        w.ledger_json = strdup("");
        start(&a, 0, 2);
        run(&w, &a, 1, &seed);
        leads_none(&w, 2, 0);
        start(&a, 1, 2);
        step(&w, &a); /* read */
        step(&w, &a); /* ledger written, Kafka not yet */
        ck_assert_int_eq(a.st, A_ALTER);
        actor_release(&a);
        leads_none(&w, 2, 0);
        start(&a, 1, by);
        run(&w, &a, 1, &seed);
        check_original(&w, &orig, 0,
                       by == 2 ? "restore after an interrupted restore"
                               : "another broker's restore after it");
        free(w.ledger_json);
    }
}
END_TEST

/* min.insync.replicas as the drain takes it (drain/min_isr.h): a topic's
 * value from whichever answer has it, 1 where it is missing, not a number
 * of at least 1, or refused; topics Metadata lists with an error are left
 * out. */
START_TEST(test_min_isr_is_taken_as_the_drain_takes_it)
{
    static const char *const names[] = {"a", "b", "c", "d", "e", "f"};
    kafka_metadata_topic topics[6] = {{0}};
    kafka_metadata md = {.n_topics = 6, .topics = topics};
    kafka_config_entry three = {.name = "min.insync.replicas", .value = "3"};
    kafka_config_entry zero = {.name = "min.insync.replicas", .value = "0"};
    kafka_config_entry two = {.name = "min.insync.replicas", .value = "2"};
    kafka_config_result first[3] = {
        {.resource_type = KAFKA_RESOURCE_TOPIC,
         .resource_name = "a",
         .n_configs = 1,
         .configs = &three},
        {.resource_type = KAFKA_RESOURCE_TOPIC,
         .resource_name = "b",
         .n_configs = 1,
         .configs = &zero},
        {.error_code = 29,
         .resource_type = KAFKA_RESOURCE_TOPIC,
         .resource_name = "c",
         .n_configs = 1,
         .configs = &three},
    };
    kafka_config_result second = {.resource_type = KAFKA_RESOURCE_TOPIC,
                                  .resource_name = "d",
                                  .n_configs = 1,
                                  .configs = &two};
    kafka_describe_configs_response r1 = {.n_results = 3, .results = first};
    kafka_describe_configs_response r2 = {.n_results = 1, .results = &second};
    const kafka_describe_configs_response *answers[3] = {&r1, NULL, &r2};
    drain_topic_min_isr *list;
    int32_t n;
    util_err err;

    for (int i = 0; i < 6; i++)
        topics[i].name = names[i];
    topics[5].error_code = 3; /* f: unknown to the broker */
    ck_assert_msg(drain_min_isr_list(&md, answers, 3, &list, &n, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(drain_min_isr_of(list, n, "a"), 3);
    ck_assert_int_eq(drain_min_isr_of(list, n, "b"), 1); /* 0: not a minimum */
    ck_assert_int_eq(drain_min_isr_of(list, n, "c"), 1); /* refused */
    ck_assert_int_eq(drain_min_isr_of(list, n, "d"), 2); /* in the second answer */
    ck_assert_int_eq(drain_min_isr_of(list, n, "e"), 1); /* in none */
    ck_assert_str_eq(list[4].topic, "e");
    free(list);
    ck_assert_msg(drain_min_isr_list(&md, NULL, 0, &list, &n, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(list[0].min_isr, 1);
    free(list);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("drain_plan");
    TCase *tc = tcase_create("plan");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_drain_plans_every_replicated_partition);
    tcase_add_test(tc, test_drain_reports_isr_and_reassignments);
    tcase_add_test(tc, test_restore_plan);
    tcase_add_test(tc, test_concurrent_drains_then_restores_do_not_drift);
    tcase_add_test(tc, test_overlapping_drains_and_restores_do_not_drift);
    tcase_add_test(tc, test_interrupted_drain_is_idempotent);
    tcase_add_test(tc, test_interrupted_restore_is_finished_by_the_next);
    tcase_add_test(tc, test_min_isr_is_taken_as_the_drain_takes_it);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
