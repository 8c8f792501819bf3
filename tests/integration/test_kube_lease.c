/* Leader election between two processes on the real API server. The test
 * program re-executes itself as a candidate ("lease-candidate NS NAME ID"):
 * a process that runs the elector and reports on stdout when it starts and
 * stops leading. Proven: exactly one candidate leads at any time; the other
 * keeps off while the leader renews; after the leader is SIGKILLed the
 * other leads within lease duration + retry period, and never before the
 * lease duration has passed since the dead leader's last renewal; a leader
 * shut down cleanly releases the Lease and the waiting candidate takes over
 * at once, well before the lease would have expired. The Lease lives in a
 * namespace of its own, deleted afterwards. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kube/lease.h"
#include "support/curl_suite.h"
#include "support/kube_test.h"
#include "util/clock.h"

/* Short timings so the test takes seconds. */
#define DURATION_MS 4000L
#define RENEW_MS    2000L
#define RETRY_MS    1000L
#define MS          ((int64_t)UTIL_NS_PER_MS)

/* ---- the candidate process ---- */

static void say(const char *what, const char *arg)
{
    char line[1200];
    util_time t = util_time_now(NULL);
    int n = snprintf(line, sizeof line, "%s %" PRId64 " %" PRId64 " %s\n", what, t.mono, t.wall,
                     arg != NULL ? arg : "-");

    if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0)
        _exit(3);
}

static void on_started(void *ctx)
{
    (void)ctx;
    say("lead", NULL);
}

static void on_stopped(void *ctx)
{
    (void)ctx;
    say("stop", NULL);
}

static void on_new_leader(const char *id, void *ctx)
{
    (void)ctx;
    say("leader", id[0] != '\0' ? id : "(none)");
}

/* Leads when it can until SIGTERM, then stops cleanly (releasing the
 * Lease if it holds it). */
static int candidate_main(const char *ns, const char *name, const char *id)
{
    kube_lease_options o = {.namespace = ns,
                            .name = name,
                            .identity = id,
                            .lease_duration_ms = DURATION_MS,
                            .renew_deadline_ms = RENEW_MS,
                            .retry_period_ms = RETRY_MS,
                            .on_started_leading = on_started,
                            .on_stopped_leading = on_stopped,
                            .on_new_leader = on_new_leader};
    const char *path = getenv("BERTH_KUBECONFIG");
    kube_config *cfg = NULL;
    kube_lease *l = NULL;
    util_err err = {{0}};
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the elector's thread inherits it */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (path == NULL || kube_config_load(path, NULL, &cfg, &err) != 0 ||
        kube_lease_new(cfg, &o, &l, &err) != 0 || kube_lease_start(l, &err) != 0) {
        fprintf(stderr, "candidate %s: %s\n", id, path == NULL ? "no BERTH_KUBECONFIG" : err.msg);
        return 2;
    }
    say("ready", id);
    sigwait(&set, &sig);
    kube_lease_free(l);
    kube_config_free(cfg);
    curl_global_cleanup();
    say("exit", id);
    return 0;
}

/* ---- the test's side ---- */

#define MAX_EVENTS 16

typedef struct report {
    char what[16];
    int64_t mono, wall;
    char arg[256];
} report;

typedef struct candidate {
    const char *id;
    pid_t pid;
    int fd;
    char buf[4096];
    size_t len;
    report ev[MAX_EVENTS];
    int nev;
    int64_t dead_mono; /* when we saw it die; 0 while alive */
} candidate;

static void spawn(candidate *c, const char *ns, const char *name, const char *id)
{
    int p[2];

    memset(c, 0, sizeof *c);
    c->id = id;
    ck_assert_int_eq(pipe(p), 0);
    c->pid = fork();
    ck_assert_int_ge(c->pid, 0);
    if (c->pid == 0) {
        /* Never outlive the test, even when it fails half-way. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        execl("/proc/self/exe", "test_kube_lease", "lease-candidate", ns, name, id, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    c->fd = p[0];
}

/* Reads one reported line into c->ev, waiting at most timeout_ms. Returns
 * the report, or NULL on timeout or end of output. */
static const report *next_report(candidate *c, long timeout_ms)
{
    double deadline = kt_now() + (double)timeout_ms / 1000;

    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);

        if (nl != NULL) {
            report *r;

            *nl = '\0';
            ck_assert_int_lt(c->nev, MAX_EVENTS);
            r = &c->ev[c->nev];
            ck_assert_msg(sscanf(c->buf, "%15s %" SCNd64 " %" SCNd64 " %255s", r->what, &r->mono,
                                 &r->wall, r->arg) == 4,
                          "%s: bad report '%s'", c->id, c->buf);
            c->len -= (size_t)(nl + 1 - c->buf);
            memmove(c->buf, nl + 1, c->len);
            c->nev++;
            return r;
        }
        double left = deadline - kt_now();
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        if (left <= 0 || c->fd < 0)
            return NULL;
        int rc = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc == 0)
            continue;
        ck_assert_uint_lt(c->len, sizeof c->buf - 1);
        ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
        if (n <= 0) {
            close(c->fd);
            c->fd = -1;
            return NULL;
        }
        c->len += (size_t)n;
    }
}

/* Waits for a report of the given kind (and argument, if not NULL). */
static const report *expect(candidate *c, const char *what, const char *arg, long timeout_ms)
{
    double deadline = kt_now() + (double)timeout_ms / 1000;
    const report *r;

    while ((r = next_report(c, (long)((deadline - kt_now()) * 1000))) != NULL)
        if (strcmp(r->what, what) == 0 && (arg == NULL || strcmp(r->arg, arg) == 0))
            return r;
    ck_abort_msg("%s: no '%s %s' report within %ld ms", c->id, what, arg ? arg : "", timeout_ms);
    return NULL;
}

/* Whether c reported starting to lead, without waiting. */
static bool reported_lead(candidate *c)
{
    while (next_report(c, 0) != NULL)
        ;
    for (int i = 0; i < c->nev; i++)
        if (strcmp(c->ev[i].what, "lead") == 0)
            return true;
    return false;
}

static void finish(candidate *c, int sig)
{
    int status;

    ck_assert_int_eq(kill(c->pid, sig), 0);
    ck_assert_int_eq(waitpid(c->pid, &status, 0), c->pid);
    c->dead_mono = util_time_now(NULL).mono;
    while (next_report(c, 5000) != NULL)
        ;
    if (sig == SIGTERM)
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: exit status %d", c->id,
                      status);
    else
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == sig);
}

/* The Lease's holder and renewTime as the API has them. */
static void read_lease(kube_client *api, const char *path, kube_lease_record *rec)
{
    cJSON *obj = NULL;
    util_err err = {{0}};

    if (kube_get(api, path, &obj, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    ck_assert_msg(kube_lease_record_parse(obj, rec, &err) == 0, "%s", err.msg);
    cJSON_Delete(obj);
}

/* Every leading period of every candidate: [lead, stop) or, for one
 * killed while leading, [lead, death). No two may overlap. */
static void check_one_leader_at_a_time(candidate *cs, int n)
{
    int64_t start[3 * MAX_EVENTS], end[3 * MAX_EVENTS];
    int np = 0;

    for (int i = 0; i < n; i++) {
        int64_t open = -1;

        for (int j = 0; j < cs[i].nev; j++) {
            const report *r = &cs[i].ev[j];

            if (strcmp(r->what, "lead") == 0) {
                ck_assert_msg(open < 0, "%s: started leading twice without stopping", cs[i].id);
                open = r->mono;
            } else if (strcmp(r->what, "stop") == 0) {
                ck_assert_msg(open >= 0, "%s: stopped without leading", cs[i].id);
                start[np] = open;
                end[np++] = r->mono;
                open = -1;
            }
        }
        if (open >= 0) {
            ck_assert_msg(cs[i].dead_mono > 0, "%s: still leading", cs[i].id);
            start[np] = open;
            end[np++] = cs[i].dead_mono;
        }
    }
    for (int a = 0; a < np; a++)
        for (int b = a + 1; b < np; b++)
            ck_assert_msg(end[a] <= start[b] || end[b] <= start[a],
                          "two leaders at once: [%" PRId64 ", %" PRId64 ") and [%" PRId64
                          ", %" PRId64 ")",
                          start[a], end[a], start[b], end[b]);
}

START_TEST(one_leader_takeover_after_kill_and_release_on_shutdown)
{
    kube_config *cfg = kt_admin_config();
    kube_client *api = kt_client(cfg);
    char ns[64], path[256];
    candidate cs[3];
    kube_lease_record rec;
    util_err err = {{0}};
    const report *r;
    int64_t killed, released;

    kt_random_name(ns, sizeof ns, "lea-lease");
    kt_create_namespace(api, ns, "kube-lease");
    snprintf(path, sizeof path, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/operator", ns);

    /* A leads (creating the Lease); B joins and sees A as leader. */
    spawn(&cs[0], ns, "operator", "lea-a");
    expect(&cs[0], "lead", NULL, 30000);
    spawn(&cs[1], ns, "operator", "lea-b");
    expect(&cs[1], "leader", "lea-a", 30000);
    /* Three lease durations of A renewing: B keeps off. */
    usleep(3 * DURATION_MS * 1000);
    ck_assert_msg(!reported_lead(&cs[1]), "lea-b took a Lease that lea-a renews");
    read_lease(api, path, &rec);
    ck_assert_str_eq(rec.holder, "lea-a");
    ck_assert_int_eq(rec.duration_s, DURATION_MS / 1000);
    kube_lease_record_clear(&rec);

    /* SIGKILL: A cannot release. B takes over once the Lease expires. */
    finish(&cs[0], SIGKILL);
    killed = cs[0].dead_mono;
    read_lease(api, path, &rec); /* A's last renewal */
    int64_t last_renew = rec.renew_ns;
    int transitions = rec.transitions;
    kube_lease_record_clear(&rec);
    r = expect(&cs[1], "lead", NULL, 60000);
    ck_assert_msg(r->mono - killed <= (DURATION_MS + RETRY_MS) * MS,
                  "lea-b took over %" PRId64 " ms after the kill", (r->mono - killed) / MS);
    ck_assert_msg(r->wall - last_renew >= DURATION_MS * MS,
                  "lea-b took over %" PRId64 " ms after lea-a's last renewal",
                  (r->wall - last_renew) / MS);
    printf("lea-b led %lld ms after lea-a was killed, %lld ms after its last renewal\n",
           (long long)((r->mono - killed) / MS), (long long)((r->wall - last_renew) / MS));
    read_lease(api, path, &rec);
    ck_assert_str_eq(rec.holder, "lea-b");
    ck_assert_int_eq(rec.transitions, transitions + 1);
    kube_lease_record_clear(&rec);

    /* C joins; B shuts down cleanly: C leads at once. */
    spawn(&cs[2], ns, "operator", "lea-c");
    expect(&cs[2], "leader", "lea-b", 30000);
    finish(&cs[1], SIGTERM);
    r = NULL;
    for (int i = 0; i < cs[1].nev; i++)
        if (strcmp(cs[1].ev[i].what, "stop") == 0)
            r = &cs[1].ev[i];
    ck_assert_msg(r != NULL, "lea-b did not report stopping");
    released = r->mono;
    r = expect(&cs[2], "lead", NULL, 60000);
    ck_assert_msg(r->mono - released < DURATION_MS * MS,
                  "lea-c took over %" PRId64 " ms after the release: it waited for expiry",
                  (r->mono - released) / MS);
    printf("lea-c led %lld ms after lea-b released the Lease\n",
           (long long)((r->mono - released) / MS));
    read_lease(api, path, &rec);
    ck_assert_str_eq(rec.holder, "lea-c");
    kube_lease_record_clear(&rec);

    finish(&cs[2], SIGTERM);
    read_lease(api, path, &rec);
    ck_assert_str_eq(rec.holder, ""); /* released on the way out */
    kube_lease_record_clear(&rec);
    check_one_leader_at_a_time(cs, 3);

    ck_assert_msg(kt_delete_namespace(api, ns, &err) == 0, "%s", err.msg);
    kube_client_free(api);
    kube_config_free(cfg);
}
END_TEST

int main(int argc, char **argv)
{
    Suite *s;
    TCase *tc;

    if (argc == 5 && strcmp(argv[1], "lease-candidate") == 0)
        return candidate_main(argv[2], argv[3], argv[4]);
    s = suite_create("kube_lease_ground");
    tc = tcase_create("apiserver");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, one_leader_takeover_after_kill_and_release_on_shutdown);
    suite_add_tcase(s, tc);
    return curl_suite_run(s);
}
