/* The mover (balance/move.h) against Kafka's own reassignment tool on a
 * real cluster: a helper of bench/balance_move.sh, which starts the
 * 5-broker cluster it needs, not a bench of its own.
 *
 *   balance_move BOOTSTRAP KAFKA_STATE KAFKA_SH WORK_DIR N...
 *
 * For each N: a topic of N partitions, replication factor 3, placed on
 * brokers 0..2 only (partition p on p%3, p+1, p+2: preferred leaders
 * spread over the three), filled by Kafka's ProducerPerformance, then
 * spread over brokers 0..4 by
 *   berth   balance_step (no leaving brokers) every STEP_MS until done;
 *   kafka   ReassignPartitionsCommand --generate --broker-list 0,1,2,3,4,
 *           --execute of its proposal, completion polled every STEP_MS
 *           (ListPartitionReassignments and Metadata), one --verify; then
 *           LeaderElectionCommand --election-type PREFERRED, which Kafka
 *           leaves to its operator;
 * each on a topic of its own with the same layout and the same amount of
 * data (the berth topic deleted first). Prints, per run: wall time,
 * steps, partitions whose replica list changed and replicas added (from
 * Metadata before and after), replicas and bytes copied, leaders moved,
 * and replicas and leaders per broker (min-max against the mean).
 *
 * Copies are read from disk, in every broker's log dir under KAFKA_STATE
 * (bN/data): the topic's replica directories, live (TOPIC-P) and removed
 * (TOPIC-P.ID-delete, kept an hour: the bench sets the brokers'
 * log.segment.delete.delay.ms), and the bytes of their .log segment
 * files, after the move less before it. So a replica copied to a broker
 * and removed from it again counts, which a diff of Metadata misses.
 * Prints figures only.
 *
 * Environment (defaults in brackets): BERTH_BENCH_PARTITION_KB [1024]
 * written per partition in 1 KiB records; BERTH_BENCH_MAX_MOVES [10];
 * BERTH_BENCH_THROTTLE [0] replication bytes/s while moving (0: none;
 * both movers get it); BERTH_BENCH_STEP_MS [500]; BERTH_BENCH_TRACE=1
 * prints each of berth's steps and the placement after it (stderr). */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "balance/move.h"
#include "kafka/configs.h"
#include "kafka/dial.h"
#include "kafka/metadata.h"
#include "kafka/proto.h"
#include "kafka/reassign.h"
#include "kafka/topics.h"
#include "util/clock.h"

#define RF          3
#define OLD_BROKERS 3 /* the topic starts on 0..2 */
#define ALL_BROKERS 5 /* and is spread over 0..4 */
#define RECORD      1024
#define CALL_MS     15000
#define BROKER_MS   10000
#define SETTLE_MS   180000
#define MOVE_MS     900000 /* one rebalance given up after this */
#define LEADER_MS   15000  /* preferred leaders showing in Metadata */

typedef struct bench {
    const char *bootstrap, *state, *kafka_sh, *work;
    kafka_conn *c;
    kafka_api_versions *av;
    long partition_kb;
    int32_t max_moves;
    int64_t throttle;
    int step_ms;
    int trace; /* print every step and the placement it left */
} bench;

/* One topic's placement as Metadata shows it; arrays owned. */
typedef struct layout {
    int32_t n;
    int32_t (*replicas)[RF];
    int32_t *leader;
} layout;

typedef struct result {
    const char *who;
    double seconds;
    int steps;         /* balance_step calls; 0 for Kafka's tool */
    int changed;       /* partitions whose replica list changed (set or order) */
    int added;         /* replicas on a broker that did not hold the partition before */
    int copied;        /* replicas created on disk during the move, later removed ones too */
    long long bytes;   /* their .log bytes */
    int leaders_moved; /* partitions whose leader changed */
    int rep_min, rep_max, lead_min, lead_max;
} result;

/* A topic's replica directories on disk and their .log bytes. */
typedef struct on_disk {
    int replicas;
    long long bytes;
} on_disk;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("balance_move: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : def;
}

static void layout_free(layout *l)
{
    free(l->replicas);
    free(l->leader);
    memset(l, 0, sizeof *l);
}

/* Reads topic's placement into *l (freed first). 1 when every one of n
 * partitions has RF replicas, all in sync, and a leader; else 0. */
static int layout_read(bench *b, const char *topic, int32_t n, layout *l)
{
    const char *names[1] = {topic};
    kafka_metadata_request req = {names, 1};
    kafka_metadata *md;
    const kafka_metadata_topic *t;
    util_err err;
    int ok;

    layout_free(l);
    if (kafka_metadata_call(b->c, b->av, &req, CALL_MS, &md, &err) != 0)
        die("Metadata of %s: %s", topic, err.msg);
    t = kafka_metadata_topic_find(md, topic);
    ok = t != NULL && t->error_code == 0 && t->n_partitions == n;
    l->n = n;
    l->replicas = calloc((size_t)n, sizeof *l->replicas);
    l->leader = calloc((size_t)n, sizeof *l->leader);
    if (l->replicas == NULL || l->leader == NULL)
        die("out of memory");
    for (int32_t i = 0; ok && i < t->n_partitions; i++) {
        const kafka_metadata_partition *p = &t->partitions[i];

        ok = p->index >= 0 && p->index < n && p->n_replicas == RF && p->n_isr == RF &&
             p->leader >= 0;
        if (ok) {
            memcpy(l->replicas[p->index], p->replicas, sizeof l->replicas[0]);
            l->leader[p->index] = p->leader;
        }
    }
    kafka_metadata_free(md);
    return ok;
}

/* Partitions of topic Kafka is moving now. */
static int32_t moving_of(bench *b, const char *topic)
{
    kafka_list_partition_reassignments_request req = {BROKER_MS, NULL, 0};
    kafka_list_partition_reassignments_response *res;
    int32_t n = 0;
    util_err err;

    if (kafka_list_partition_reassignments_call(b->c, b->av, &req, CALL_MS, &res, &err) != 0)
        die("ListPartitionReassignments: %s", err.msg);
    for (int32_t t = 0; t < res->n_topics; t++)
        if (strcmp(res->topics[t].name, topic) == 0)
            n += res->topics[t].n_partitions;
    kafka_list_partition_reassignments_free(res);
    return n;
}

static int all_preferred(const layout *l)
{
    for (int32_t i = 0; i < l->n; i++)
        if (l->leader[i] != l->replicas[i][0])
            return 0;
    return 1;
}

/* Waits until topic's n partitions are settled (layout_read) and none is
 * moving, into *l; with preferred, also up to LEADER_MS more for every
 * leader to be the first replica (an election Kafka has made but its
 * Metadata does not show yet). */
static void wait_settled(bench *b, const char *topic, int32_t n, int preferred, layout *l)
{
    int64_t deadline = util_mono_ms() + SETTLE_MS;

    while (!layout_read(b, topic, n, l) || moving_of(b, topic) > 0) {
        if (util_mono_ms() > deadline)
            die("%s not settled after %d s", topic, SETTLE_MS / 1000);
        sleep_ms(200);
    }
    deadline = util_mono_ms() + LEADER_MS;
    while (preferred && !all_preferred(l) && util_mono_ms() < deadline) {
        sleep_ms(200);
        if (!layout_read(b, topic, n, l))
            deadline = util_mono_ms() + LEADER_MS; /* changing again: start over */
    }
}

/* Creates topic with n partitions, partition p on brokers p%3, p+1, p+2. */
static void create_topic(bench *b, const char *topic, int32_t n)
{
    int32_t(*ids)[RF] = calloc((size_t)n, sizeof *ids);
    kafka_topic_assignment *a = calloc((size_t)n, sizeof *a);
    kafka_new_topic t = {topic, -1, -1, NULL, n, NULL, 0};
    kafka_create_topics_request req = {&t, 1, BROKER_MS, 0};
    kafka_create_topics_response *res;
    util_err err;

    if (ids == NULL || a == NULL)
        die("out of memory");
    for (int32_t p = 0; p < n; p++) {
        for (int32_t r = 0; r < RF; r++)
            ids[p][r] = (p + r) % OLD_BROKERS;
        a[p] = (kafka_topic_assignment){p, ids[p], RF};
    }
    t.assignments = a;
    if (kafka_create_topics_call(b->c, b->av, &req, CALL_MS, &res, &err) != 0)
        die("CreateTopics %s: %s", topic, err.msg);
    if (res->topics[0].error_code != 0)
        die("creating %s: %s", topic, kafka_error_name(res->topics[0].error_code));
    kafka_create_topics_free(res);
    free(a);
    free(ids);
}

static void delete_topic(bench *b, const char *topic)
{
    const char *names[1] = {topic};
    kafka_delete_topics_request req = {names, 1, BROKER_MS};
    kafka_delete_topics_response *res;
    util_err err;

    if (kafka_delete_topics_call(b->c, b->av, &req, CALL_MS, &res, &err) != 0)
        die("DeleteTopics %s: %s", topic, err.msg);
    if (res->n_topics > 0 && res->topics[0].error_code != 0)
        die("deleting %s: %s", topic, kafka_error_name(res->topics[0].error_code));
    kafka_delete_topics_free(res);
}

/* Runs `bash KAFKA_SH tool ARGS` with its output appended to WORK/log;
 * its exit status. */
static int tool(bench *b, const char *log, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int tool(bench *b, const char *log, const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "bash '%s' tool %s >>'%s/%s' 2>&1", b->kafka_sh, args, b->work, log);
    rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void produce(bench *b, const char *topic, int32_t n)
{
    long records = (long)n * b->partition_kb * 1024 / RECORD;

    if (tool(b, "produce.log",
             "org.apache.kafka.tools.ProducerPerformance --topic '%s' --num-records %ld "
             "--record-size %d --throughput -1 --producer-props bootstrap.servers='%s' acks=all",
             topic, records, RECORD, b->bootstrap) != 0)
        die("producing to %s failed (see %s/produce.log)", topic, b->work);
}

/* The bytes of the .log segment files in the replica directory dir. */
static long long log_bytes(const char *dir)
{
    char path[2048];
    long long sum = 0;
    struct dirent *e;
    struct stat st;
    DIR *d = opendir(dir);

    if (d == NULL)
        die("cannot read the replica directory %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len < 4 || strcmp(e->d_name + len - 4, ".log") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0)
            sum += st.st_size;
    }
    closedir(d);
    return sum;
}

/* Is name a replica directory of topic: TOPIC-P, or TOPIC-P.ID-delete (a
 * replica removed, kept log.segment.delete.delay.ms)? */
static int replica_dir(const char *name, const char *topic)
{
    size_t tl = strlen(topic), len = strlen(name);
    const char *p = name + tl + 1;

    if (strncmp(name, topic, tl) != 0 || name[tl] != '-' || *p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == '\0' || (*p == '.' && len > 7 && strcmp(name + len - 7, "-delete") == 0);
}

/* Every replica directory of topic on brokers 0..4, live or removed, and
 * the .log bytes they hold. */
static void disk_of(const bench *b, const char *topic, int *replicas, long long *bytes)
{
    char dir[512], path[1024];
    struct dirent *e;
    DIR *d;

    *replicas = 0;
    *bytes = 0;
    for (int id = 0; id < ALL_BROKERS; id++) {
        snprintf(dir, sizeof dir, "%s/b%d/data", b->state, id);
        if ((d = opendir(dir)) == NULL)
            die("cannot read the log dir %s", dir);
        while ((e = readdir(d)) != NULL)
            if (replica_dir(e->d_name, topic)) {
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                (*replicas)++;
                *bytes += log_bytes(path);
            }
        closedir(d);
    }
}

static int has_id(const int32_t *ids, int32_t id)
{
    for (int32_t r = 0; r < RF; r++)
        if (ids[r] == id)
            return 1;
    return 0;
}

static void min_max(const int *v, int *lo, int *hi)
{
    *lo = *hi = v[0];
    for (int i = 1; i < ALL_BROKERS; i++) {
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
}

/* What changed from before to after, and where things are in after. */
static void compare(const char *topic, const layout *before, const layout *after, result *r)
{
    int replicas[ALL_BROKERS] = {0}, leaders[ALL_BROKERS] = {0};

    r->changed = r->added = r->leaders_moved = 0;
    for (int32_t p = 0; p < after->n; p++) {
        r->changed +=
            memcmp(before->replicas[p], after->replicas[p], sizeof after->replicas[p]) != 0;
        r->leaders_moved += before->leader[p] != after->leader[p];
        for (int32_t k = 0; k < RF; k++) {
            int32_t id = after->replicas[p][k];

            if (id < 0 || id >= ALL_BROKERS)
                die("%s-%d on broker %d", topic, (int)p, (int)id);
            replicas[id]++;
            r->added += !has_id(before->replicas[p], id);
        }
        leaders[after->leader[p]]++;
    }
    min_max(replicas, &r->rep_min, &r->rep_max);
    min_max(leaders, &r->lead_min, &r->lead_max);
}

/* Keeps a removed replica's directory (TOPIC-P.ID-delete) for an hour,
 * as the brokers' dynamic default, so that what a move copied and then
 * removed again can still be counted on disk. */
static void keep_removed(bench *b)
{
    static const kafka_config_op op = {"log.segment.delete.delay.ms", KAFKA_CONFIG_SET, "3600000"};
    kafka_alter_config_resource res = {KAFKA_RESOURCE_BROKER, "", &op, 1};
    kafka_incremental_alter_configs_request req = {&res, 1, 0};
    kafka_incremental_alter_configs_response *out;
    util_err err;

    if (kafka_incremental_alter_configs_call(b->c, b->av, &req, CALL_MS, &out, &err) != 0)
        die("IncrementalAlterConfigs: %s", err.msg);
    if (out->n_results != 1 || out->results[0].error_code != 0)
        die("setting %s: %s", op.name,
            out->n_results > 0 ? kafka_error_name(out->results[0].error_code) : "no result");
    kafka_incremental_alter_configs_free(out);
}

/* One line per step, then every partition as Metadata shows it after
 * it: replicas/leader. */
static void trace_step(bench *b, const char *topic, int step, const balance_progress *p)
{
    const char *names[1] = {topic};
    kafka_metadata_request req = {names, 1};
    const kafka_metadata_topic *t;
    kafka_metadata *md;
    util_err err;

    fprintf(stderr, "  step %d: left %d moving %d started %d elected %d:", step, (int)p->left,
            (int)p->moving, (int)p->started, (int)p->elected);
    if (kafka_metadata_call(b->c, b->av, &req, CALL_MS, &md, &err) != 0)
        die("Metadata of %s: %s", topic, err.msg);
    t = kafka_metadata_topic_find(md, topic);
    for (int32_t i = 0; t != NULL && i < t->n_partitions; i++) {
        const kafka_metadata_partition *mp = &t->partitions[i];

        fprintf(stderr, " %d=", (int)mp->index);
        for (int32_t r = 0; r < mp->n_replicas; r++)
            fprintf(stderr, "%s%d", r > 0 ? "," : "", (int)mp->replicas[r]);
        fprintf(stderr, "/%d", (int)mp->leader);
    }
    fputc('\n', stderr);
    kafka_metadata_free(md);
}

/* A topic of n partitions on brokers 0..2, filled and settled, into
 * *before; its replicas on disk and their bytes into *d. */
static void prepare(bench *b, const char *topic, int32_t n, layout *before, on_disk *d)
{
    create_topic(b, topic, n);
    wait_settled(b, topic, n, 1, before);
    produce(b, topic, n);
    wait_settled(b, topic, n, 1, before);
    disk_of(b, topic, &d->replicas, &d->bytes);
}

/* What the move wrote to disk: every replica directory that was not
 * there before, removed ones too. */
static void copied(const bench *b, const char *topic, const on_disk *before, result *r)
{
    on_disk now;

    disk_of(b, topic, &now.replicas, &now.bytes);
    r->copied = now.replicas - before->replicas;
    r->bytes = now.bytes - before->bytes;
}

static void run_berth(bench *b, int32_t n, result *r, on_disk *d)
{
    char topic[64];
    const char *scope[1] = {topic};
    balance_move_opts o = {.topics = scope,
                           .n_topics = 1,
                           .max_moves = b->max_moves,
                           .throttle_bytes = b->throttle,
                           .timeout_ms = BROKER_MS};
    layout before = {0}, after = {0};
    balance_progress p;
    int64_t t0, deadline;
    int started = 0, refused = 0;
    util_err err;

    snprintf(topic, sizeof topic, "bench-move-%d-berth", (int)n);
    prepare(b, topic, n, &before, d);
    t0 = util_mono_ms();
    deadline = t0 + MOVE_MS;
    for (r->steps = 1;; r->steps++) {
        if (balance_step(b->c, b->av, &o, &p, &err) != 0)
            die("balance_step %d on %s: %s", r->steps, topic, err.msg);
        if (p.state == BALANCE_REFUSED)
            die("balance_step %d on %s refused: %s", r->steps, topic, p.message);
        /* A move Kafka refuses is planned again by a later step, as the
         * operator's next reconcile would: counted and shown, not fatal. */
        if (p.refused > 0 && refused == 0)
            printf("  berth: step %d: Kafka refused %d moves: %s\n", r->steps, (int)p.refused,
                   p.message);
        refused += p.refused;
        started += p.started;
        if (b->trace)
            trace_step(b, topic, r->steps, &p);
        if (p.state == BALANCE_DONE)
            break;
        if (util_mono_ms() > deadline)
            die("%s: %d partitions left after %d s", topic, (int)p.left, MOVE_MS / 1000);
        sleep_ms(b->step_ms);
    }
    r->seconds = (double)(util_mono_ms() - t0) / 1e3;
    wait_settled(b, topic, n, 1, &after);
    compare(topic, &before, &after, r);
    copied(b, topic, d, r);
    printf("  berth: %d moves started (%d refused) in %d steps, %d preferred leaders elected by "
           "the last\n",
           started, refused, r->steps, (int)p.elected);
    delete_topic(b, topic);
    layout_free(&before);
    layout_free(&after);
}

/* Copies the line after "Proposed partition reassignment configuration"
 * in WORK/generate.log into WORK/plan.json. */
static void save_proposal(bench *b)
{
    char path[1024], line[1 << 16];
    FILE *in, *out;
    int next = 0, found = 0;

    snprintf(path, sizeof path, "%s/generate.log", b->work);
    if ((in = fopen(path, "r")) == NULL)
        die("cannot read %s", path);
    snprintf(path, sizeof path, "%s/plan.json", b->work);
    if ((out = fopen(path, "w")) == NULL)
        die("cannot write %s", path);
    /* A long line is read in pieces: all of them go out. */
    while (fgets(line, sizeof line, in) != NULL) {
        if (next && line[0] == '{')
            found = 1;
        if (found) {
            fputs(line, out);
            if (strchr(line, '\n') != NULL)
                break;
        }
        next = next || strstr(line, "Proposed partition reassignment configuration") != NULL;
    }
    fclose(in);
    if (fclose(out) != 0 || !found)
        die("no proposed reassignment in %s/generate.log", b->work);
}

static void run_kafka(bench *b, int32_t n, result *moved, result *elected, on_disk *d)
{
    char topic[64], throttle[64] = "", path[1024];
    layout before = {0}, after = {0};
    int64_t t0, t_gen, t_exec, t_done, t_verify, t1, deadline;
    FILE *f;

    snprintf(topic, sizeof topic, "bench-move-%d-kafka", (int)n);
    if (b->throttle > 0)
        snprintf(throttle, sizeof throttle, "--throttle %" PRId64, b->throttle);
    snprintf(path, sizeof path, "%s/topics.json", b->work);
    if ((f = fopen(path, "w")) == NULL)
        die("cannot write %s", path);
    fprintf(f, "{\"version\":1,\"topics\":[{\"topic\":\"%s\"}]}\n", topic);
    fclose(f);
    prepare(b, topic, n, &before, d);

    t0 = util_mono_ms();
    snprintf(path, sizeof path, "%s/generate.log", b->work);
    remove(path);
    if (tool(b, "generate.log",
             "org.apache.kafka.tools.reassign.ReassignPartitionsCommand --bootstrap-server '%s' "
             "--generate --broker-list 0,1,2,3,4 --topics-to-move-json-file '%s/topics.json'",
             b->bootstrap, b->work) != 0)
        die("--generate failed (see %s/generate.log)", b->work);
    save_proposal(b);
    t_gen = util_mono_ms();
    if (tool(b, "reassign.log",
             "org.apache.kafka.tools.reassign.ReassignPartitionsCommand --bootstrap-server '%s' "
             "--execute --reassignment-json-file '%s/plan.json' %s",
             b->bootstrap, b->work, throttle) != 0)
        die("--execute failed (see %s/reassign.log)", b->work);
    t_exec = util_mono_ms();
    deadline = t_exec + MOVE_MS;
    while (moving_of(b, topic) > 0 || !layout_read(b, topic, n, &after)) {
        if (util_mono_ms() > deadline)
            die("%s: still moving after %d s", topic, MOVE_MS / 1000);
        sleep_ms(b->step_ms);
    }
    t_done = util_mono_ms();
    if (tool(b, "reassign.log",
             "org.apache.kafka.tools.reassign.ReassignPartitionsCommand --bootstrap-server '%s' "
             "--verify --reassignment-json-file '%s/plan.json'",
             b->bootstrap, b->work) != 0)
        die("--verify failed (see %s/reassign.log)", b->work);
    t_verify = util_mono_ms();
    moved->seconds = (double)(t_done - t0) / 1e3;
    wait_settled(b, topic, n, 0, &after);
    compare(topic, &before, &after, moved);
    copied(b, topic, d, moved);
    printf("  kafka: --generate %.1f s, --execute %.1f s, moves done %.1f s after it, "
           "--verify %.1f s\n",
           (double)(t_gen - t0) / 1e3, (double)(t_exec - t_gen) / 1e3,
           (double)(t_done - t_exec) / 1e3, (double)(t_verify - t_done) / 1e3);

    t1 = util_mono_ms();
    if (tool(b, "elect.log",
             "org.apache.kafka.tools.LeaderElectionCommand --bootstrap-server '%s' "
             "--election-type PREFERRED --all-topic-partitions",
             b->bootstrap) != 0)
        printf("  kafka: LeaderElectionCommand exited non-zero (see %s/elect.log)\n", b->work);
    *elected = *moved;
    elected->who = " + preferred election";
    elected->seconds = moved->seconds + (double)(util_mono_ms() - t1) / 1e3;
    wait_settled(b, topic, n, 1, &after);
    compare(topic, &before, &after, elected);
    printf("  kafka: LeaderElectionCommand %.1f s\n", (double)(util_mono_ms() - t1) / 1e3);
    delete_topic(b, topic);
    layout_free(&before);
    layout_free(&after);
}

static void print_row(int32_t n, const result *r)
{
    char steps[16] = "-";

    if (r->steps > 0)
        snprintf(steps, sizeof steps, "%d", r->steps);
    printf("%6d  %-22s %7.1f %6s %8d %8d %8d %8.1f %8d %7d-%-3d %5.1f %7d-%-3d %5.1f\n", (int)n,
           r->who, r->seconds, steps, r->changed, r->added, r->copied,
           (double)r->bytes / (1024.0 * 1024.0), r->leaders_moved, r->rep_min, r->rep_max,
           (double)n * RF / ALL_BROKERS, r->lead_min, r->lead_max, (double)n / ALL_BROKERS);
}

int main(int argc, char **argv)
{
    bench b = {0};
    kafka_dial_opts dial = {.connect_timeout_ms = CALL_MS, .client_id = "berth-bench"};
    char first[256];
    result(*rows)[3];
    on_disk d;
    util_err err;
    int nn = argc - 5;

    if (nn < 1) {
        fprintf(stderr, "usage: balance_move BOOTSTRAP KAFKA_STATE KAFKA_SH WORK_DIR N...\n");
        return 2;
    }
    b.bootstrap = argv[1];
    b.state = argv[2];
    b.kafka_sh = argv[3];
    b.work = argv[4];
    b.partition_kb = env_long("BERTH_BENCH_PARTITION_KB", 1024);
    b.max_moves = (int32_t)env_long("BERTH_BENCH_MAX_MOVES", 10);
    b.throttle = env_long("BERTH_BENCH_THROTTLE", 0);
    b.step_ms = (int)env_long("BERTH_BENCH_STEP_MS", 500);
    b.trace = (int)env_long("BERTH_BENCH_TRACE", 0);
    snprintf(first, sizeof first, "%.*s", (int)strcspn(b.bootstrap, ","), b.bootstrap);
    if (kafka_dial(first, &dial, &b.c, &b.av, &err) != 0)
        die("%s", err.msg);
    keep_removed(&b);
    rows = calloc((size_t)nn, sizeof *rows);
    if (rows == NULL)
        die("out of memory");
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("3 -> 5 brokers, RF %d, %ld KiB per partition in %d-byte records, max_moves %d, "
           "throttle %s, polled every %d ms\n",
           RF, b.partition_kb, RECORD, (int)b.max_moves, b.throttle > 0 ? "set" : "none",
           b.step_ms);
    if (b.throttle > 0)
        printf("throttle: %" PRId64 " bytes/s per broker, for both movers\n", b.throttle);
    for (int i = 0; i < nn; i++) {
        int32_t n = (int32_t)strtol(argv[5 + i], NULL, 10);

        if (n < 1)
            die("partitions: '%s'", argv[5 + i]);
        /* RF 3 on 3 brokers: each of 0..2 holds every partition, so what
         * a placement even over 0..4 adds is what it puts on 3 and 4. */
        printf("N=%d: a placement even over brokers 0..4 adds about %d replicas (those on 3 and "
               "4), no fewer\n",
               (int)n, (int)(n * RF * (ALL_BROKERS - OLD_BROKERS) / ALL_BROKERS));
        rows[i][0].who = "berth";
        run_berth(&b, n, &rows[i][0], &d);
        printf("  berth topic: %d replicas, %.1f MiB on disk before the move\n", d.replicas,
               (double)d.bytes / 1048576.0);
        rows[i][1].who = "kafka --generate";
        run_kafka(&b, n, &rows[i][1], &rows[i][2], &d);
        printf("  kafka topic: %d replicas, %.1f MiB on disk before the move\n", d.replicas,
               (double)d.bytes / 1048576.0);
    }
    printf("\n%6s  %-22s %7s %6s %8s %8s %8s %8s %8s %17s %17s\n", "N", "mover", "time_s", "steps",
           "changed", "added", "copied", "MiB", "leaders", "replicas/broker", "leaders/broker");
    printf("%6s  %-22s %7s %6s %8s %8s %8s %8s %8s %17s %17s\n", "", "", "", "", "parts",
           "replicas", "replicas", "copied", "moved", "min-max  mean", "min-max  mean");
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < 3; k++)
            print_row((int32_t)strtol(argv[5 + i], NULL, 10), &rows[i][k]);
    printf("\nchanged parts: partitions whose replica list changed (set or order), first to "
           "last; added replicas: replicas on a broker that did not hold the partition before;\n"
           "copied replicas, MiB copied: replica directories the move created on disk (those "
           "it removed again included) and the bytes of their .log segment files, read from "
           "the brokers' log dirs;\n"
           "leaders moved: partitions whose leader changed; the kafka time runs from --generate "
           "to the last move done (JVM starts included, --verify not).\n");
    free(rows);
    kafka_api_versions_free(b.av);
    kafka_conn_free(b.c);
    return 0;
}
