/* berth-sidecar run's readiness against the real Kafka of the test ground
 * ($BERTH_KAFKA_BOOTSTRAP): /readyz turns 200 when the broker answers
 * ApiVersions, and says 503 "broker not reachable" (a class, naming no
 * address) for a port where nothing listens and for a "broker" that accepts
 * connections but never answers (the probe's timeout bounds it, and
 * /healthz keeps answering meanwhile: the probe never blocks the HTTP
 * loop); status on the Unix socket prints the reason itself.
 *
 * Then the Kafka engine's latched readiness across a container-only
 * restart: `run` beside broker 2 (with the drain ledger on the ground's API
 * server, checks 10 s apart) is ready; broker 2 is SIGKILLed right after a
 * check while a producer writes to a topic it replicates, and started again
 * with kafka.sh start-broker. /readyz says 503 and status "broker
 * restarted: ..." within a second of the kill, long before the next check
 * (a kubelet probes a restarted container at once), stay 503 after the
 * broker is registered again while it is out of an ISR or not yet leading
 * what it prefers, and turn 200 only when it is in every ISR and leads every
 * partition it is the first replica of (handed back by the sidecar: Kafka
 * had moved them). /metrics counts the restart. And after a drain (run's
 * preStop path, `berth-sidecar drain`): the drained sidecar is unready
 * while the drained broker runs; when that broker is stopped (SIGTERM) and
 * started again beside the same sidecar, the sidecar restores it (replica
 * orders back, leadership handed back) and turns ready by itself. A
 * sidecar SIGKILLed in the middle of that restore (orders written back,
 * hand-back begun) leaves it to the next sidecar, which finishes it and
 * turns ready with every order and leadership back. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "kafka/api_versions.h"
#include "kafka/conn.h"
#include "kafka/elect_leaders.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/topics.h"
#include "kube/verbs.h"
#include "sidecar/cmd.h"
#include "support/kube_test.h"
#include "support/sidecar_proc.h"
#include "support/tmpdir.h"
#include "util/clock.h"

/* run beside the broker at addr, checks 200 ms apart, no drain engine. */
static sp_proc start_run(const char *broker)
{
    return sp_start((char *[]){"--pod-name", "demo-0", "--broker", (char *)broker,
                               "--probe-interval", "200", "--probe-timeout", "1500", NULL},
                    NULL);
}

/* Polls /readyz until it answers want after a first check has run (before
 * that, run answers 503 "not checked yet" whatever the broker does). */
static int wait_readyz(sp_proc *p, int want, char *out, size_t cap)
{
    for (int i = 0; i < 600; i++) {
        if (sp_get(p->port, "/readyz", out, cap) == want && strstr(out, "not checked yet") == NULL)
            return 1;
        usleep(50000);
    }
    return 0;
}

/* The detailed not-ready reason, which /readyz over TCP no longer tells:
 * the "ready:" line of `berth-sidecar status` on the Unix socket, into out
 * ("" when status failed). Returns out. */
static char *reason_of(const sp_proc *p, char *out, size_t cap)
{
    char st[4096] = "";
    const char *l;

    out[0] = '\0';
    sp_status(p, st, sizeof st);
    l = strstr(st, "ready:");
    if (l != NULL)
        snprintf(out, cap, "%.*s\n", (int)strcspn(l, "\n"), l);
    return out;
}

static const char *first_broker(char *buf, size_t size)
{
    const char *b = getenv("BERTH_KAFKA_BOOTSTRAP");

    if (b == NULL || b[0] == '\0')
        ck_abort_msg("BERTH_KAFKA_BOOTSTRAP is not set: run through tests/integration/run.sh");
    snprintf(buf, size, "%.*s", (int)strcspn(b, ","), b);
    return buf;
}

START_TEST(ready_when_the_broker_answers)
{
    char addr[256], out[4096];
    sp_proc p;

    p = start_run(first_broker(addr, sizeof addr));
    ck_assert_msg(wait_readyz(&p, 200, out, sizeof out), "/readyz never 200: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "ready"));
    ck_assert_int_eq(sp_get(p.port, "/metrics", out, sizeof out), 200);
    ck_assert_ptr_nonnull(strstr(out, "\nberth_sidecar_ready 1\n"));
    sp_stop(&p);
}
END_TEST

START_TEST(not_ready_when_nothing_listens)
{
    char out[4096];
    sp_proc p;

    p = start_run("127.0.0.1:1");
    ck_assert(wait_readyz(&p, 503, out, sizeof out));
    /* Anyone in the cluster may ask /readyz: the class only, no address. */
    ck_assert_msg(strstr(out, "not ready: broker not reachable\n") != NULL &&
                      strstr(out, "127.0.0.1") == NULL,
                  "%s", out);
    ck_assert_msg(
        strstr(reason_of(&p, out, sizeof out), "no: broker does not answer on 127.0.0.1:1") != NULL,
        "%s", out);
    sp_stop(&p);
}
END_TEST

START_TEST(not_ready_when_the_broker_never_answers)
{
    char addr[64], out[4096];
    int lfd = sp_silent_listener(addr, sizeof addr);
    sp_proc p;

    p = start_run(addr);
    ck_assert(wait_readyz(&p, 503, out, sizeof out));
    /* While probes hang on the silent broker, the HTTP loop answers. */
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(sp_get(p.port, "/healthz", out, sizeof out), 200);
    for (int i = 0; i < 100 && strstr(reason_of(&p, out, sizeof out), "ApiVersions") == NULL; i++)
        usleep(100000);
    ck_assert_msg(strstr(out, "no: broker does not answer on ") != NULL &&
                      strstr(out, "ApiVersions") != NULL,
                  "%s", out);
    ck_assert_int_eq(sp_get(p.port, "/readyz", out, sizeof out), 503);
    ck_assert_msg(strstr(out, "not ready: broker not reachable\n") != NULL &&
                      strstr(out, "ApiVersions") == NULL,
                  "%s", out);
    sp_stop(&p);
    close(lfd);
}
END_TEST

/* ---- a broker killed and started again beside a running sidecar ---- */

#define CALL_MS     15000
#define KILLED      2 /* the broker killed */
#define N_PARTS     12
#define CLUSTER     "rdy"
#define MAX_BROKERS 3

static char addrs[MAX_BROKERS][128]; /* by broker id */

static kafka_conn *open_conn(const char *addr, kafka_api_versions **av)
{
    kafka_conn *c = NULL;
    util_err err;

    *av = NULL;
    if (kafka_conn_new(addr, NULL, &c, &err) != 0)
        return NULL;
    if (kafka_api_versions_fetch(c, CALL_MS, av, &err) != 0) {
        kafka_conn_free(c);
        return NULL;
    }
    return c;
}

/* Metadata from addr, or NULL when it does not answer. */
static kafka_metadata *metadata_from(const char *addr)
{
    kafka_api_versions *av;
    kafka_conn *c = open_conn(addr, &av);
    kafka_metadata_request req = {NULL, 0};
    kafka_metadata *md = NULL;
    util_err err;

    if (c != NULL && kafka_metadata_call(c, av, &req, CALL_MS, &md, &err) != 0)
        md = NULL;
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    return md;
}

/* What md says of broker id on topic t. */
typedef struct seen {
    int answered;   /* md was there and lists t */
    int registered; /* id among the (unfenced) brokers */
    int out_of_isr; /* partitions with a leader whose ISR lacks id */
    int preferred;  /* partitions whose first replica is id */
    int not_back;   /* of those, led by another broker (or none) */
    int settled;    /* every partition led by its first replica, full ISR */
} seen;

static seen look(const kafka_metadata *md, const char *t, int32_t id)
{
    const kafka_metadata_topic *tp = md != NULL ? kafka_metadata_topic_find(md, t) : NULL;
    seen s = {0};
    int32_t i;

    if (tp == NULL || tp->error_code != 0)
        return s;
    s.answered = 1;
    s.registered = kafka_metadata_broker_find(md, id) != NULL;
    s.settled = tp->n_partitions == N_PARTS;
    for (i = 0; i < tp->n_partitions; i++) {
        const kafka_metadata_partition *p = &tp->partitions[i];
        if (p->leader >= 0 && !kafka_int32_contains(p->isr, p->n_isr, id))
            s.out_of_isr++;
        if (p->n_replicas > 0 && p->replicas[0] == id) {
            s.preferred++;
            s.not_back += p->leader != id;
        }
        s.settled = s.settled && p->leader >= 0 && p->n_replicas > 0 &&
                    p->leader == p->replicas[0] && p->n_isr == p->n_replicas;
    }
    return s;
}

static seen look_at(const char *addr, const char *t, int32_t id)
{
    kafka_metadata *md = metadata_from(addr);
    seen s = look(md, t, id);

    kafka_metadata_free(md);
    return s;
}

/* The topic, replicas rotating over the 3 brokers (broker i%3 first), RF 3,
 * min.insync.replicas 2; then preferred elections until every broker sees
 * each partition led by its first replica with a full ISR. */
static void create_topic(const char *name)
{
    static int32_t replicas[N_PARTS][3];
    kafka_topic_assignment as[N_PARTS];
    kafka_topic_config cfg = {"min.insync.replicas", "2"};
    kafka_new_topic t = {name, -1, -1, as, N_PARTS, &cfg, 1};
    kafka_create_topics_request req = {&t, 1, 30000, 0};
    kafka_create_topics_response *res = NULL;
    kafka_api_versions *av;
    kafka_conn *c = open_conn(addrs[0], &av);
    long long end = util_mono_ms() + 120000;
    util_err err;
    int32_t i, ids[N_PARTS];

    ck_assert_ptr_nonnull(c);
    for (i = 0; i < N_PARTS; i++) {
        for (int k = 0; k < 3; k++)
            replicas[i][k] = (i + k) % 3;
        as[i].partition = i;
        as[i].broker_ids = replicas[i];
        as[i].n_broker_ids = 3;
        ids[i] = i;
    }
    ck_assert_msg(kafka_create_topics_call(c, av, &req, 40000, &res, &err) == 0, "%s", err.msg);
    ck_assert_msg(res->topics[0].error_code == 0, "create %s: %s", name,
                  kafka_error_name(res->topics[0].error_code));
    kafka_create_topics_free(res);
    for (;;) {
        int ok = 1;
        for (int b = 0; b < MAX_BROKERS; b++)
            ok = ok && look_at(addrs[b], name, KILLED).settled;
        if (ok)
            break;
        ck_assert_msg(util_mono_ms() < end, "topic %s not settled", name);
        {
            kafka_topic_partitions all = {name, ids, N_PARTS};
            kafka_elect_leaders_request er = {KAFKA_ELECTION_PREFERRED, &all, 1, 10000};
            kafka_elect_leaders_response *eres = NULL;
            if (kafka_elect_leaders_batched(c, av, &er, 200, CALL_MS, &eres, &err) != 0) {
                /* Only a nudge: the loop looks again and asks again. */
            }
            kafka_elect_leaders_free(eres);
        }
        sc_sleep_ms(500);
    }
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

static void delete_topic(const char *name)
{
    kafka_api_versions *av;
    kafka_conn *c = open_conn(addrs[0], &av);
    kafka_delete_topics_request req = {&name, 1, 30000};
    kafka_delete_topics_response *res = NULL;
    util_err err;

    if (c == NULL || kafka_delete_topics_call(c, av, &req, 40000, &res, &err) != 0)
        fprintf(stderr, "delete %s failed\n", name);
    kafka_delete_topics_free(res);
    kafka_api_versions_free(av);
    kafka_conn_free(c);
}

/* `run` with the Kafka engine for broker id (pod rdy-<id>), the ledger in
 * namespace ns; checks interval_ms apart and small hand-back steps. */
static sp_proc start_engine(int32_t id, const char *ns, const char *interval_ms)
{
    const char *kubeconfig = getenv("BERTH_KUBECONFIG");
    static char env_ns[128];
    char pod[32];
    char *env[] = {env_ns, NULL};

    ck_assert_msg(kubeconfig != NULL && kubeconfig[0] != '\0', "BERTH_KUBECONFIG is not set");
    snprintf(pod, sizeof pod, "%s-%d", CLUSTER, (int)id);
    snprintf(env_ns, sizeof env_ns, "POD_NAMESPACE=%s", ns);
    return sp_start((char *[]){"--pod-name", pod, "--broker", addrs[id], "--kubeconfig",
                               (char *)kubeconfig, "--probe-interval", (char *)interval_ms,
                               "--probe-timeout", "1500", "--handback-batch", "2",
                               "--handback-pause", "300", NULL},
                    env);
}

/* What the test saw from the kill to the end; checked once the ground is
 * whole again, so no assertion fires while a broker is down. */
typedef struct story {
    char fail[600];         /* a step that could not be done */
    char readyz[600];       /* the first /readyz answer after the kill (503) */
    long long unready_ms;   /* from the kill to that answer; -1: none in 10 s */
    char restarted[600];    /* the first status reason naming the restart */
    char before[4096];      /* `status` while it was ready, before the kill */
    char status[4096];      /* `status` while it was unready after the kill */
    int moved_away;         /* preferred partitions Kafka moved off the killed broker */
    int gated;              /* 503s while registered but out of an ISR or not led back */
    char gated_why[600];    /* the last of them: status's reason */
    char gated_readyz[600]; /* and /readyz's answer */
    int ready;              /* /readyz turned 200 again */
    seen at_ready;          /* the killed broker's own metadata right after */
    char metrics[16384];    /* /metrics at the end */
    long long down_ms, back_ms;
} story;

/* The readiness checks run has made so far, from /metrics; -1 if unknown. */
static long checks_of(const sp_proc *p)
{
    static char m[16384];
    const char *at = m;
    long n = 0;

    if (sp_get(p->port, "/metrics", m, sizeof m) != 200)
        return -1;
    while ((at = strstr(at, "\nberth_sidecar_readiness_checks_total{")) != NULL) {
        at = strchr(at, '}');
        if (at == NULL)
            break;
        n += strtol(at + 1, NULL, 10);
    }
    return n;
}

/* Waits (at most 30 s) until run has made a check after the first n. */
static void checks_after(const sp_proc *p, long n)
{
    for (long long end = util_mono_ms() + 30000; util_mono_ms() < end && checks_of(p) <= n;)
        sc_sleep_ms(20);
}

static void kill_and_restart(const sp_proc *p, const char *t, story *st)
{
    const char *sh = getenv("BERTH_KAFKA_SH"), *g = getenv("BERTH_GROUND");
    char pf[512], log[600], out[4096], *producer_argv[32], *start_argv[5], id[8];
    char bootstrap[400];
    long pid = 0;
    long long t0, end;
    pid_t producer = -1, starter = -1;
    int a = 0;
    FILE *f;

    snprintf(pf, sizeof pf, "%s/kafka/b%d/pid", g != NULL && *g ? g : "/tmp/berth-ground", KILLED);
    f = fopen(pf, "r");
    if (sh == NULL || f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
        snprintf(st->fail, sizeof st->fail, "no BERTH_KAFKA_SH or no PID in %s", pf);
        if (f != NULL)
            fclose(f);
        return;
    }
    fclose(f);

    /* Writes go on through the kill (acks=all; min ISR 2 of 3). */
    snprintf(bootstrap, sizeof bootstrap, "bootstrap.servers=%s", getenv("BERTH_KAFKA_BOOTSTRAP"));
    snprintf(log, sizeof log, "%s/producer.log", p->dir);
    producer_argv[a++] = "/bin/bash";
    producer_argv[a++] = (char *)sh;
    producer_argv[a++] = "tool";
    producer_argv[a++] = "org.apache.kafka.tools.ProducerPerformance";
    producer_argv[a++] = "--topic";
    producer_argv[a++] = (char *)t;
    producer_argv[a++] = "--num-records";
    producer_argv[a++] = "100000000";
    producer_argv[a++] = "--record-size";
    producer_argv[a++] = "100";
    producer_argv[a++] = "--throughput";
    producer_argv[a++] = "500";
    producer_argv[a++] = "--producer-props";
    producer_argv[a++] = bootstrap;
    producer_argv[a++] = "acks=all";
    producer_argv[a++] = "linger.ms=5";
    producer_argv[a++] = "request.timeout.ms=8000";
    producer_argv[a++] = "delivery.timeout.ms=60000";
    producer_argv[a] = NULL;
    producer = sp_spawn(producer_argv, log);
    for (end = util_mono_ms() + 90000; util_mono_ms() < end;) {
        char buf[8192] = "";
        FILE *pl = fopen(log, "r");
        if (pl != NULL) {
            buf[fread(buf, 1, sizeof buf - 1, pl)] = '\0';
            fclose(pl);
        }
        if (strstr(buf, "records sent") != NULL)
            break;
        sc_sleep_ms(500);
    }

    /* SIGKILL, right after a check: no controlled shutdown, no drain. */
    checks_after(p, checks_of(p));
    sp_status(p, st->before, sizeof st->before);
    t0 = util_mono_ms();
    kill((pid_t)pid, SIGKILL);
    st->unready_ms = -1;
    for (end = t0 + 10000; util_mono_ms() < end && st->unready_ms < 0;) {
        /* /readyz says only that (it was 200 before the kill); status why. */
        if (sp_get(p->port, "/readyz", out, sizeof out) == 503) {
            st->unready_ms = util_mono_ms() - t0;
            snprintf(st->readyz, sizeof st->readyz, "%.590s", sp_body(out));
            sp_status(p, st->status, sizeof st->status);
            if (strstr(st->status, "broker restarted: ") != NULL)
                reason_of(p, st->restarted, sizeof st->restarted);
        } else {
            sc_sleep_ms(10);
        }
    }
    for (end = util_mono_ms() + 10000; sp_pid_alive(pid) && util_mono_ms() < end;)
        sc_sleep_ms(50);
    /* The sidecar says so; Kafka fences the broker after its session
     * timeout and moves its leaderships away. */
    for (end = util_mono_ms() + 60000; util_mono_ms() < end && st->moved_away == 0;) {
        seen s = look_at(addrs[0], t, KILLED);
        if (st->restarted[0] == '\0' &&
            strstr(reason_of(p, out, sizeof out), "broker restarted: ") != NULL) {
            snprintf(st->restarted, sizeof st->restarted, "%.590s", out);
            sp_status(p, st->status, sizeof st->status);
        }
        if (s.answered && !s.registered && s.not_back == s.preferred)
            st->moved_away = s.preferred;
        sc_sleep_ms(200);
    }
    st->down_ms = util_mono_ms() - t0;

    /* Started again as the ground starts it; meanwhile watch readiness
     * against what the cluster says. */
    snprintf(id, sizeof id, "%d", KILLED);
    snprintf(log, sizeof log, "%s/start-broker.log", p->dir);
    start_argv[0] = "/bin/bash";
    start_argv[1] = (char *)sh;
    start_argv[2] = "start-broker";
    start_argv[3] = id;
    start_argv[4] = NULL;
    starter = sp_spawn(start_argv, log);
    for (end = util_mono_ms() + 240000; util_mono_ms() < end && !st->ready;) {
        seen s = look_at(addrs[0], t, KILLED);
        int code = sp_get(p->port, "/readyz", out, sizeof out);
        if (code == 200) {
            st->ready = 1;
            st->at_ready = look_at(addrs[KILLED], t, KILLED);
            st->back_ms = util_mono_ms() - t0;
        } else if (code == 503 && s.registered && (s.out_of_isr > 0 || s.not_back > 0)) {
            st->gated++;
            snprintf(st->gated_readyz, sizeof st->gated_readyz, "%.590s", sp_body(out));
            reason_of(p, st->gated_why, sizeof st->gated_why);
        }
        if (!st->ready)
            sc_sleep_ms(100);
    }
    /* start-broker returns once every broker is registered (or fails). */
    waitpid(starter, NULL, 0);
    sp_get(p->port, "/metrics", st->metrics, sizeof st->metrics);
    sp_end_session(producer);
    if (!st->ready)
        snprintf(st->fail, sizeof st->fail, "/readyz not 200 within 240 s of the restart: %.500s",
                 out);
}

/* A namespace with the drain ledger (as the operator pre-creates it), a
 * fresh topic, and `run` for broker KILLED, ready. */
typedef struct stage {
    char ns[64], t[96];
    sp_proc p;
} stage;

static void stage_up(stage *sg, const char *topic_prefix, const char *interval_ms)
{
    kube_config *cfg;
    kube_client *kc;
    char out[4096];
    kafka_metadata *md;

    /* Broker addresses by id, from the cluster itself. */
    first_broker(out, sizeof out);
    md = metadata_from(out);
    ck_assert_ptr_nonnull(md);
    ck_assert_int_eq(md->n_brokers, MAX_BROKERS);
    for (int32_t i = 0; i < md->n_brokers; i++)
        snprintf(addrs[md->brokers[i].node_id], sizeof addrs[0], "%s:%d", md->brokers[i].host,
                 (int)md->brokers[i].port);
    kafka_metadata_free(md);

    cfg = kt_admin_config();
    kc = kt_client(cfg);
    kt_random_name(sg->ns, sizeof sg->ns, "rdy");
    kt_create_namespace(kc, sg->ns, "sidecar-readiness");
    kt_create_configmap(kc, sg->ns, CLUSTER "-drain");
    kube_client_free(kc);
    kube_config_free(cfg);
    kt_random_name(sg->t, sizeof sg->t, topic_prefix);
    create_topic(sg->t);

    sg->p = start_engine(KILLED, sg->ns, interval_ms);
    if (!wait_readyz(&sg->p, 200, out, sizeof out)) {
        kill(sg->p.pid, SIGKILL);
        waitpid(sg->p.pid, NULL, 0);
        ck_abort_msg("/readyz never 200: %s", out);
    }
}

/* Stops the sidecar, deletes topic and namespace. */
static void stage_down(stage *sg)
{
    kube_config *cfg = kt_admin_config();
    kube_client *kc = kt_client(cfg);
    util_err err;

    sp_stop(&sg->p);
    delete_topic(sg->t);
    if (kt_delete_namespace(kc, sg->ns, &err) != 0)
        fprintf(stderr, "%s\n", err.msg);
    kube_client_free(kc);
    kube_config_free(cfg);
}

/* Runs kafka.sh with args (start-broker, stop-broker) to its end; its exit
 * status, or -1. */
static int kafka_sh(const sp_proc *p, const char *cmd, int32_t id)
{
    const char *sh = getenv("BERTH_KAFKA_SH");
    char log[600], ids[8];
    char *argv[] = {"/bin/bash", (char *)sh, (char *)cmd, ids, NULL};
    int status;

    if (sh == NULL)
        return -1;
    snprintf(ids, sizeof ids, "%d", (int)id);
    snprintf(log, sizeof log, "%s/kafka-sh.log", p->dir);
    if (waitpid(sp_spawn(argv, log), &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

START_TEST(a_killed_broker_is_unready_until_back_in_every_isr_and_handed_back)
{
    static story st;
    static stage sg;
    const char *t = sg.t;
    sp_proc p;

    stage_up(&sg, "rdy-kill", "10000");
    p = sg.p;
    memset(&st, 0, sizeof st);
    kill_and_restart(&p, t, &st);
    fprintf(stderr,
            "  broker %d killed: /readyz 503 after %lld ms (checks 10 s apart), leaderships moved "
            "after %lld ms, ready again after %lld ms\n"
            "  first answer after the kill: %s  status: %s"
            "  %d answers held it back while registered; the last: %s",
            KILLED, st.unready_ms, st.down_ms, st.back_ms, st.readyz, st.restarted, st.gated,
            st.gated_why);

    stage_down(&sg);

    ck_assert_msg(st.fail[0] == '\0', "%s", st.fail);
    ck_assert_msg(st.restarted[0] != '\0', "status never named the restart");
    /* The next check was 10 s away: the held connection told at once. */
    ck_assert_msg(st.unready_ms >= 0 && st.unready_ms < 1000,
                  "/readyz turned 503 %lld ms after the kill", st.unready_ms);
    ck_assert_msg(strstr(st.readyz, "not ready: broker not reachable\n") != NULL ||
                      strstr(st.readyz, "not ready: broker not registered\n") != NULL,
                  "%s", st.readyz);
    ck_assert_msg(strstr(st.status, "ready:   no: broker restarted: ") != NULL, "status: %s",
                  st.status);
    /* Ready and latched, status still counts partitions live (before the
     * change it had no such line, and its ISR counts stopped at the latch). */
    {
        const char *l = strstr(st.before, "partitions: leads ");
        int leads = -1, prefers = -1, out = -1;

        ck_assert_msg(l != NULL, "status before the kill: %s", st.before);
        ck_assert_int_eq(sscanf(l,
                                "partitions: leads %d, first replica of %d, replicates %*d, "
                                "out of ISR %d",
                                &leads, &prefers, &out),
                         3);
        ck_assert_msg(leads > 0 && prefers > 0 && out >= 0, "status before the kill: %s",
                      st.before);
        fprintf(stderr, "  status before the kill: %.*s\n", (int)strcspn(l, "\n"), l);
    }
    ck_assert_msg(st.moved_away > 0, "Kafka moved no leadership off the killed broker");
    ck_assert_msg(st.gated > 0,
                  "/readyz was never held back while the restarted broker was registered but "
                  "out of an ISR or not leading what it prefers");
    ck_assert_msg(strstr(st.gated_why, "broker restarted: ") != NULL, "%s", st.gated_why);
    /* The reason names the topic when out of its ISR; /readyz never does. */
    ck_assert_msg(strstr(st.gated_readyz, "not ready: broker ") != NULL ||
                      strstr(st.gated_readyz, "not ready: restoring leadership") != NULL,
                  "%s", st.gated_readyz);
    ck_assert_msg(strstr(st.gated_readyz, t) == NULL &&
                      strstr(st.gated_readyz, "restarted") == NULL,
                  "%s", st.gated_readyz);
    /* Ready only in every ISR and leading every partition it prefers. */
    ck_assert(st.at_ready.answered && st.at_ready.registered);
    ck_assert_msg(st.at_ready.out_of_isr == 0, "ready while out of %d ISRs",
                  st.at_ready.out_of_isr);
    ck_assert_msg(st.at_ready.preferred > 0 && st.at_ready.not_back == 0,
                  "ready while %d of its %d preferred leaderships were not handed back",
                  st.at_ready.not_back, st.at_ready.preferred);
    ck_assert_msg(strstr(st.metrics, "\nberth_sidecar_broker_restarts_total 1\n") != NULL, "%s",
                  st.metrics);
}
END_TEST

/* Drained through run (the preStop path), stopped with SIGTERM as after
 * preStop, started again beside the same sidecar: the drain was the old
 * process's, so the sidecar restores the new one and turns ready. */
START_TEST(a_drained_broker_restarted_beside_its_sidecar_is_restored_by_it)
{
    static stage sg;
    char out[4096], log[600], drained_why[600] = "", restarted[600] = "", fail[300] = "";
    char *drain_argv[] = {
        (char *)sp_sidecar_bin(), "drain", "--socket", NULL, "--timeout", "120", NULL};
    seen before, during = {0}, at_ready = {0};
    long long end;
    int status = -1, ready = 0;

    stage_up(&sg, "rdy-drain", "200");
    before = look_at(addrs[KILLED], sg.t, KILLED);
    drain_argv[3] = sg.p.sock;
    snprintf(log, sizeof log, "%s/drain.out", sg.p.dir);
    waitpid(sp_spawn(drain_argv, log), &status, 0);
    for (end = util_mono_ms() + 10000; util_mono_ms() < end && drained_why[0] == '\0';) {
        if (sp_get(sg.p.port, "/readyz", out, sizeof out) == 503 &&
            strstr(out, "not ready: broker drained\n") != NULL &&
            strstr(reason_of(&sg.p, out, sizeof out), "has been drained") != NULL)
            snprintf(drained_why, sizeof drained_why, "%.590s", out);
        sc_sleep_ms(100);
    }
    during = look_at(addrs[0], sg.t, KILLED);

    /* SIGTERM and wait for the exit, then start it again; no assertion
     * until the broker runs again. */
    if (kafka_sh(&sg.p, "stop-broker", KILLED) != 0)
        snprintf(fail, sizeof fail, "kafka.sh stop-broker %d failed", KILLED);
    for (end = util_mono_ms() + 10000; util_mono_ms() < end && restarted[0] == '\0';) {
        if (sp_get(sg.p.port, "/readyz", out, sizeof out) == 503 &&
            strstr(reason_of(&sg.p, out, sizeof out), "broker restarted: ") != NULL)
            snprintf(restarted, sizeof restarted, "%.590s", out);
        sc_sleep_ms(100);
    }
    if (kafka_sh(&sg.p, "start-broker", KILLED) != 0 && fail[0] == '\0')
        snprintf(fail, sizeof fail, "kafka.sh start-broker %d failed", KILLED);
    for (end = util_mono_ms() + 240000; util_mono_ms() < end && !ready;) {
        ready = sp_get(sg.p.port, "/readyz", out, sizeof out) == 200;
        if (ready)
            at_ready = look_at(addrs[KILLED], sg.t, KILLED);
        else
            sc_sleep_ms(200);
    }
    fprintf(stderr, "  drained: %s  stopped: %s  then: %s", drained_why, restarted,
            ready ? "ready\n" : sp_body(out));
    stage_down(&sg);

    ck_assert_msg(fail[0] == '\0', "%s", fail);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "berth-sidecar drain failed");
    ck_assert_msg(drained_why[0] != '\0', "/readyz and status did not say the broker was drained");
    ck_assert_msg(before.preferred > 0 && during.answered && during.preferred == 0,
                  "the drain did not put broker %d last (%d partitions still prefer it)", KILLED,
                  during.preferred);
    ck_assert_msg(restarted[0] != '\0', "status did not name the restart after the stop");
    ck_assert_msg(ready, "the drained broker's sidecar never turned ready after its restart: %s",
                  sp_body(out));
    ck_assert_msg(at_ready.out_of_isr == 0, "ready while out of %d ISRs", at_ready.out_of_isr);
    ck_assert_msg(at_ready.preferred == before.preferred && at_ready.not_back == 0,
                  "ready with %d of %d orders back and %d leaderships not handed back",
                  at_ready.preferred, before.preferred, at_ready.not_back);
}
END_TEST

/* Does p's log hold text yet? */
static int logged(const sp_proc *p, const char *text)
{
    char path[600], *buf = malloc(1 << 20);
    FILE *f;
    size_t n = 0;
    int found = 0;

    snprintf(path, sizeof path, "%s/run.log", p->dir);
    f = fopen(path, "r");
    if (f != NULL && buf != NULL) {
        n = fread(buf, 1, (1 << 20) - 1, f);
        buf[n] = '\0';
        found = strstr(buf, text) != NULL;
    }
    if (f != NULL)
        fclose(f);
    free(buf);
    return found;
}

/* The sidecar is SIGKILLed in the middle of its restore (its orders written
 * back, the hand-back begun), as when its container is killed; the next
 * sidecar beside the same broker finishes the restore: every order back,
 * every leadership handed back, then ready. */
START_TEST(a_sidecar_killed_in_its_restore_is_finished_by_the_next)
{
    static stage sg;
    char out[4096], log[600], fail[300] = "";
    char *drain_argv[] = {
        (char *)sp_sidecar_bin(), "drain", "--socket", NULL, "--timeout", "120", NULL};
    seen before, at_ready = {0};
    long long end;
    int status = -1, ready = 0, killed = 0;

    stage_up(&sg, "rdy-kill9", "200");
    before = look_at(addrs[KILLED], sg.t, KILLED);
    drain_argv[3] = sg.p.sock;
    snprintf(log, sizeof log, "%s/drain.out", sg.p.dir);
    waitpid(sp_spawn(drain_argv, log), &status, 0);
    if (kafka_sh(&sg.p, "stop-broker", KILLED) != 0)
        snprintf(fail, sizeof fail, "kafka.sh stop-broker %d failed", KILLED);
    if (kafka_sh(&sg.p, "start-broker", KILLED) != 0 && fail[0] == '\0')
        snprintf(fail, sizeof fail, "kafka.sh start-broker %d failed", KILLED);
    for (end = util_mono_ms() + 240000; util_mono_ms() < end && !killed;) {
        if (logged(&sg.p, "orders written back")) {
            kill(sg.p.pid, SIGKILL);
            waitpid(sg.p.pid, NULL, 0);
            killed = 1;
        } else {
            sc_sleep_ms(10);
        }
    }
    if (killed) {
        tmpdir_remove(sg.p.dir);
        sg.p = start_engine(KILLED, sg.ns, "200");
    }
    for (end = util_mono_ms() + 240000; killed && util_mono_ms() < end && !ready;) {
        ready = sp_get(sg.p.port, "/readyz", out, sizeof out) == 200;
        if (ready)
            at_ready = look_at(addrs[KILLED], sg.t, KILLED);
        else
            sc_sleep_ms(200);
    }
    stage_down(&sg);

    ck_assert_msg(fail[0] == '\0', "%s", fail);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "berth-sidecar drain failed");
    ck_assert_msg(killed, "the sidecar never said its restore had written the orders back");
    ck_assert_msg(ready, "the next sidecar never turned ready: %s", sp_body(out));
    ck_assert_msg(at_ready.out_of_isr == 0, "ready while out of %d ISRs", at_ready.out_of_isr);
    ck_assert_msg(at_ready.preferred == before.preferred && at_ready.not_back == 0,
                  "ready with %d of %d orders back and %d leaderships not handed back",
                  at_ready.preferred, before.preferred, at_ready.not_back);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sidecar_readiness");
    TCase *tc = tcase_create("readiness"), *kill;
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, ready_when_the_broker_answers);
    tcase_add_test(tc, not_ready_when_nothing_listens);
    tcase_add_test(tc, not_ready_when_the_broker_never_answers);
    suite_add_tcase(s, tc);
    kill = tcase_create("kill");
    tcase_set_timeout(kill, 600);
    tcase_add_test(kill, a_killed_broker_is_unready_until_back_in_every_isr_and_handed_back);
    tcase_add_test(kill, a_drained_broker_restarted_beside_its_sidecar_is_restored_by_it);
    tcase_add_test(kill, a_sidecar_killed_in_its_restore_is_finished_by_the_next);
    suite_add_tcase(s, kill);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
