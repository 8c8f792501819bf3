/* The partition states a rolling restart goes through, as Kafka's Metadata
 * shows them: a helper of bench/pod_roll.sh, not a bench of its own.
 *
 *   roll_metadata sample BOOTSTRAP MIN_ISR INTERVAL_MS [TOPIC...]
 *       one line per Metadata answer, every INTERVAL_MS until SIGTERM or
 *       SIGINT (stdout, line-buffered):
 *         T_MS brokers=0,1,2 below_min=N leaderless=N not_preferred=N
 *              lead=0:N,1:N,2:N out_isr=0:N,1:N,2:N
 *       brokers: the registered, unfenced brokers; below_min: partitions
 *       whose ISR is smaller than MIN_ISR; not_preferred: partitions led by
 *       another broker than the first replica; lead: partitions each broker
 *       leads; out_isr: partitions each broker replicates but is not in the
 *       ISR of. A failed call prints "T_MS error MESSAGE" and the next
 *       sample dials again.
 *   roll_metadata once BOOTSTRAP [TOPIC...]
 *       one such line, from the first broker that answers, and exit.
 *
 * BOOTSTRAP is "host:port[,host:port...]"; each new connection takes the
 * next one, so a broker going away costs one sample. Without TOPICs every
 * topic but Kafka's internal ones counts. T_MS is the wall clock in ms,
 * to set beside the producer's and the pods' times. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka/dial.h"
#include "kafka/metadata.h"

#define MAX_BROKER_ID 63
#define CALL_MS       2000

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static long long wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    if (ms <= 0)
        return;
    while (!stopping && nanosleep(&ts, &ts) != 0)
        ;
}

/* The n-th "host:port" of a comma-separated list (cycling), into buf. */
static const char *nth_endpoint(const char *list, unsigned n, char *buf, size_t size)
{
    unsigned count = 1, i;
    const char *p = list, *end;

    for (const char *q = list; *q != '\0'; q++)
        count += *q == ',';
    for (i = 0; i < n % count; i++)
        p = strchr(p, ',') + 1;
    end = strchr(p, ',');
    snprintf(buf, size, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
    return buf;
}

static void print_counts(const char *label, const int *counts, int max_id)
{
    printf(" %s=", label);
    for (int b = 0, first = 1; b <= max_id; b++)
        if (counts[b] >= 0) {
            printf("%s%d:%d", first ? "" : ",", b, counts[b]);
            first = 0;
        }
}

/* Prints md's sample line, counting the partitions of the topics asked for
 * (all but internal ones when none were). */
static void print_sample(long long t, const kafka_metadata *md, int min_isr, int ntopics)
{
    int lead[MAX_BROKER_ID + 1], out[MAX_BROKER_ID + 1], max_id = -1;
    int below = 0, leaderless = 0, not_preferred = 0;

    for (int b = 0; b <= MAX_BROKER_ID; b++)
        lead[b] = out[b] = -1;
    printf("%lld brokers=", t);
    for (int32_t i = 0; i < md->n_brokers; i++) {
        int32_t id = md->brokers[i].node_id;

        printf("%s%d", i > 0 ? "," : "", (int)id);
        if (id >= 0 && id <= MAX_BROKER_ID) {
            lead[id] = out[id] = 0;
            max_id = id > max_id ? id : max_id;
        }
    }
    for (int32_t ti = 0; ti < md->n_topics; ti++) {
        const kafka_metadata_topic *tp = &md->topics[ti];

        if (tp->error_code != 0 || (ntopics == 0 && tp->is_internal))
            continue;
        for (int32_t pi = 0; pi < tp->n_partitions; pi++) {
            const kafka_metadata_partition *p = &tp->partitions[pi];

            below += p->n_isr < min_isr;
            leaderless += p->leader < 0;
            not_preferred += p->n_replicas > 0 && p->leader != p->replicas[0];
            for (int32_t r = 0; r < p->n_replicas; r++) {
                int32_t id = p->replicas[r];

                if (id < 0 || id > MAX_BROKER_ID)
                    continue;
                if (lead[id] < 0) /* a replica on a broker not registered now */
                    lead[id] = out[id] = 0, max_id = id > max_id ? id : max_id;
                lead[id] += p->leader == id;
                out[id] += !kafka_int32_contains(p->isr, p->n_isr, id);
            }
        }
    }
    printf(" below_min=%d leaderless=%d not_preferred=%d", below, leaderless, not_preferred);
    print_counts("lead", lead, max_id);
    print_counts("out_isr", out, max_id);
    printf("\n");
}

int main(int argc, char **argv)
{
    kafka_metadata_request req = {0};
    kafka_conn *c = NULL;
    kafka_api_versions *av = NULL;
    const char *bootstrap;
    char ep[256];
    int once, min_isr = 0, first_topic;
    long interval = 0;
    unsigned dials = 0;
    int answered = 0;

    once = argc >= 3 && strcmp(argv[1], "once") == 0;
    if (!once && !(argc >= 5 && strcmp(argv[1], "sample") == 0)) {
        fprintf(stderr,
                "usage: %s sample BOOTSTRAP MIN_ISR INTERVAL_MS [TOPIC...]\n"
                "       %s once BOOTSTRAP [TOPIC...]\n"
                "(a helper of bench/pod_roll.sh)\n",
                argv[0], argv[0]);
        return 2;
    }
    bootstrap = argv[2];
    if (!once) {
        min_isr = atoi(argv[3]);
        interval = atol(argv[4]);
    }
    first_topic = once ? 3 : 5;
    if (argc > first_topic) {
        req.topics = (const char *const *)&argv[first_topic];
        req.n_topics = argc - first_topic;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);

    while (!stopping) {
        long long t0 = wall_ms();
        kafka_metadata *md = NULL;
        util_err err = {{0}};
        kafka_dial_opts opts = {.connect_timeout_ms = CALL_MS, .client_id = "berth-bench"};

        if (c == NULL &&
            kafka_dial(nth_endpoint(bootstrap, dials++, ep, sizeof ep), &opts, &c, &av, &err) < 0) {
            printf("%lld error %s\n", t0, err.msg);
        } else if (c != NULL && kafka_metadata_call(c, av, &req, CALL_MS, &md, &err) < 0) {
            printf("%lld error %s: %s\n", t0, kafka_conn_addr(c), err.msg);
            kafka_api_versions_free(av);
            kafka_conn_free(c);
            c = NULL;
            av = NULL;
        } else if (md != NULL) {
            print_sample(wall_ms(), md, min_isr, req.n_topics);
            kafka_metadata_free(md);
            answered = 1;
            if (once)
                break;
        }
        if (once && dials > 8) /* every endpoint tried, some more than once */
            break;
        sleep_ms(once ? 500 : interval - (long)(wall_ms() - t0));
    }
    kafka_api_versions_free(av);
    kafka_conn_free(c);
    return answered ? 0 : 1;
}
