/* berth-operator killed with SIGKILL, no chance to finish anything, on the
 * ground's real API server (kwok nodes):
 *
 * - at random points of the reconciles of 20 new KafkaClusters, several
 *   times, restarted each time: once it is left alone, every cluster
 *   converges (Reconciled and Ready True at its current generation) with
 *   exactly the objects a cluster gets when nothing kills the operator
 *   (a reference cluster reconciled first), each owned by its
 *   KafkaCluster, one broker pod each, and no object of berth's kinds
 *   that is berth's (its label or a KafkaCluster owner) without a live
 *   owner. Names are fixed, so a duplicate would be an object of another
 *   name: the set comparison catches it.
 * - as the leader of two replicas with --leader-elect: the standby takes
 *   the Lease within its duration plus one retry period of the kill (the
 *   configured values, read from the Lease and lib/kube/lease.h) and
 *   reconciles right after (it recreates an owned object deleted after
 *   the kill).
 *
 * BERTH_KILL_RUNS runs (default 1) of the first, each in a namespace of
 * its own with BERTH_KILL_KILLS kills (default 5): the first in the middle
 * of a cluster's reconcile (found in the operator's log), the others after
 * random delays of 0.2 to 1.5 s from the restart; BERTH_KILL_SEED replays
 * a run's delays (each run prints its seed). Everything made is deleted at the end, also after a
 * failure (the sweep). */
#include <check.h>
#include <curl/curl.h>
#include <limits.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/client.h"
#include "kube/lease.h"
#include "kube/lease_record.h"
#include "kube/object.h"
#include "kube/verbs.h"
#include "support/kube_test.h"
#include "support/operator_proc.h"

#define CLUSTERS  20
#define MAX_OWNED 64

/* The kinds berth writes for a cluster (operator/reconcile_run.c). */
static const struct {
    const char *kind, *api_version, *resource;
} kinds[] = {
    {"Secret", "v1", "secrets"},
    {"ServiceAccount", "v1", "serviceaccounts"},
    {"Role", "rbac.authorization.k8s.io/v1", "roles"},
    {"RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings"},
    {"ConfigMap", "v1", "configmaps"},
    {"Lease", "coordination.k8s.io/v1", "leases"},
    {"Service", "v1", "services"},
    {"StatefulSet", "apps/v1", "statefulsets"},
    {"PodDisruptionBudget", "policy/v1", "poddisruptionbudgets"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static kube_config *cfg;
static kube_client *kc;
static char ns[64];
/* Labels (berth.io/test) this run's namespaces and PersistentVolumes, so
 * sweep() finds what a failed test left. Set before the tests fork. */
static char run_label[32];
static pid_t operator_pid[2] = {-1, -1};
static char operator_log[2][PATH_MAX];
static int incarnation; /* operator starts in this test, for log names */

/* ---- helpers ---- */

static const char *str_or(const cJSON *obj, const char *path, const char *dflt)
{
    const cJSON *j = kt_at(obj, path);

    return cJSON_IsString(j) ? j->valuestring : dflt;
}

/* A label of obj; "" when it has none of that key. */
static const char *label(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(kt_at(obj, "metadata.labels"), key);

    return cJSON_IsString(v) ? v->valuestring : "";
}

/* GET; NULL on 404, abort on anything else. */
static cJSON *get_opt(const char *av, const char *res, const char *name)
{
    return kt_get_opt(kc, av, res, ns, name);
}

/* Every object of resource in our namespace (a list's items array, for
 * cJSON_Delete). */
static cJSON *list_all(const char *av, const char *res)
{
    char path[KUBE_PATH_MAX];
    util_err err = {{0}};
    cJSON *list = NULL, *items;

    ck_assert_int_eq(kube_path(path, sizeof path, av, res, ns, NULL, NULL), 0);
    ck_assert_msg(kube_list(kc, path, NULL, &list, NULL, &err) == 0, "%s", err.msg);
    items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
    cJSON_Delete(list);
    return items;
}

static void create(const char *path, cJSON *obj)
{
    util_err err = {{0}};

    if (kube_create(kc, path, obj, NULL, NULL, &err) != 0)
        ck_abort_msg("%s", err.msg);
    cJSON_Delete(obj);
}

static double wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A uniform double in [0, 1) from the test's own generator. */
static double uniform(unsigned *seed)
{
    return (double)rand_r(seed) / ((double)RAND_MAX + 1.0);
}

/* ---- the operator process ---- */

/* Starts operator i (with --leader-elect when leader_elect), logging to a
 * file of its own for each start. */
static void operator_start(int i, bool leader_elect)
{
    const char *args[20];
    int a = 0;

    snprintf(operator_log[i], sizeof operator_log[i], "/tmp/%s-operator-%d.log", ns, incarnation++);
    args[a++] = "--kubeconfig";
    args[a++] = getenv("BERTH_KUBECONFIG");
    args[a++] = "--namespace";
    args[a++] = ns;
    args[a++] = "--resync";
    args[a++] = "5";
    args[a++] = "--metrics-addr";
    args[a++] = "127.0.0.1:0";
    args[a++] = "--health-addr";
    args[a++] = "0";
    args[a++] = "--sidecar-image";
    args[a++] = "localhost/berth-sidecar:test";
    if (leader_elect) {
        args[a++] = "--leader-elect";
        args[a++] = "--leader-elect-namespace";
        args[a++] = ns;
    }
    args[a] = NULL;
    operator_pid[i] = opp_start(operator_log[i], false, args);
}

/* Sends sig to operator i and waits for it; returns its exit status. */
static int operator_signal(int i, int sig)
{
    return opp_signal(&operator_pid[i], sig);
}

/* Lines of operator i's current log that contain text. */
static int log_count(int i, const char *text)
{
    FILE *f = fopen(operator_log[i], "r");
    char line[1024];
    int n = 0;

    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strstr(line, text) != NULL)
            n++;
    if (f != NULL)
        fclose(f);
    return n;
}

/* How many of the clusters named had objects applied by operator i's
 * current incarnation but no reconcile of theirs finished ("reconciled
 * <ns>/<name>:"): reconciles the kill cut in the middle. */
static int cut_reconciles(int i, char names[][16], int n)
{
    FILE *f = fopen(operator_log[i], "r");
    bool applied[CLUSTERS + 1] = {false}, done[CLUSTERS + 1] = {false};
    char line[1024], prefix[128];
    int cut = 0;

    snprintf(prefix, sizeof prefix, "%s/", ns);
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        const char *a = strstr(line, "info  applied "), *r = strstr(line, "reconciled ");
        const char *p = a != NULL ? a : r;

        if (p == NULL || (p = strstr(p, prefix)) == NULL)
            continue;
        p += strlen(prefix);
        for (int c = 0; c < n; c++) {
            size_t len = strlen(names[c]);

            if (strncmp(p, names[c], len) != 0)
                continue;
            if (a != NULL && (p[len] == '-' || p[len] == '\n' || p[len] == ' '))
                applied[c] = true;
            if (a == NULL && p[len] == ':')
                done[c] = true;
        }
    }
    if (f != NULL)
        fclose(f);
    for (int c = 0; c < n; c++)
        if (applied[c] && !done[c])
            cut++;
    return cut;
}

/* Operator i's Lease identity, from its log ("candidate <id> for"); ""
 * until it logged it. */
static void operator_identity(int i, char *buf, size_t size)
{
    FILE *f = fopen(operator_log[i], "r");
    char line[1024];

    buf[0] = '\0';
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        const char *p = strstr(line, "leader election: candidate ");

        if (p != NULL) {
            p += strlen("leader election: candidate ");
            snprintf(buf, size, "%.*s", (int)strcspn(p, " "), p);
        }
    }
    if (f != NULL)
        fclose(f);
}

/* ---- the namespace, clusters and volumes ---- */

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cfg = kt_admin_config();
    kc = kt_client(cfg);
    incarnation = 0;
    opp_ensure_crd(kc);
}

/* A KafkaCluster name with one broker, which is its one voter, on an
 * internal listener only (no node ports to share), and the volume its
 * claim binds to. */
static void create_cluster(const char *name)
{
    char path[KUBE_PATH_MAX];

    create("/api/v1/persistentvolumes",
           kt_json("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{"
                   "\"name\":\"%s-%s\",\"labels\":{\"berth.io/test\":\"%s\"}},"
                   "\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},\"accessModes\":["
                   "\"ReadWriteOnce\"],\"persistentVolumeReclaimPolicy\":\"Retain\","
                   "\"storageClassName\":\"\",\"hostPath\":{\"path\":\"/tmp/%s/%s\"},"
                   "\"claimRef\":{\"namespace\":\"%s\",\"name\":\"data-%s-0\"}}}",
                   ns, name, run_label, ns, name, ns, name));
    snprintf(path, sizeof path, "/apis/berth.io/v1alpha1/namespaces/%s/kafkaclusters", ns);
    create(path, kt_json("{\"apiVersion\":\"berth.io/v1alpha1\",\"kind\":\"KafkaCluster\","
                         "\"metadata\":{\"name\":\"%s\"},\"spec\":{\"image\":"
                         "\"apache/kafka:4.4.0\",\"replicas\":1,\"controllers\":1,"
                         "\"listeners\":[{\"name\":\"internal\",\"port\":9092,"
                         "\"type\":\"internal\"}],\"storage\":{\"size\":\"1Gi\"}}}",
                         name));
}

/* Deletes namespace n with everything in it (its KafkaClusters'
 * finalizers released first). Best effort; says what failed. */
static void drop_namespace(kube_client *c, const char *n)
{
    util_err err = {{0}};

    if (kt_delete_cluster_namespace(c, n, &err) != 0)
        fprintf(stderr, "cleanup: %s\n", err.msg);
}

/* Deletes the PersistentVolumes made for namespace n. */
static void drop_volumes(kube_client *c, const char *n)
{
    kube_list_opts lo = {0};
    char sel[64];
    cJSON *list = NULL;
    const cJSON *it;

    snprintf(sel, sizeof sel, "berth.io/test=%s", run_label);
    lo.label_selector = sel;
    if (kube_list(c, "/api/v1/persistentvolumes", &lo, &list, NULL, NULL) != 0)
        return;
    cJSON_ArrayForEach(it, kt_at(list, "items"))
    {
        char path[KUBE_PATH_MAX];

        if (n != NULL && strncmp(kube_meta_name(it), n, strlen(n)) != 0)
            continue;
        snprintf(path, sizeof path, "/api/v1/persistentvolumes/%s", kube_meta_name(it));
        if (kube_delete(c, path, NULL, NULL) != 0) {
            /* Best effort: the sweep tries again. */
        }
    }
    cJSON_Delete(list);
}

/* Stops our operators and deletes the namespace and its volumes. */
static void drop_run(void)
{
    for (int i = 0; i < 2; i++)
        if (operator_pid[i] > 0)
            operator_signal(i, SIGTERM);
    if (ns[0] != '\0') {
        drop_namespace(kc, ns);
        drop_volumes(kc, ns);
        ns[0] = '\0';
    }
}

static void teardown(void)
{
    drop_run();
    kube_client_free(kc);
    kc = NULL;
    kube_config_free(cfg);
    curl_global_cleanup();
}

static void new_namespace(const char *prefix)
{
    kt_random_name(ns, sizeof ns, prefix);
    kt_create_namespace(kc, ns, run_label);
}

/* ---- what a cluster looks like ---- */

/* "<name>: not Ready", with what the API server says of its pod, so a
 * failure tells the operator's view from the pod's. */
static void not_ready(const char *name, char *why, size_t size)
{
    char pod_name[32];
    cJSON *pod;
    const cJSON *c;
    const char *ready = "no Ready condition";

    snprintf(pod_name, sizeof pod_name, "%s-0", name);
    pod = get_opt("v1", "pods", pod_name);
    cJSON_ArrayForEach(c, kt_at(pod, "status.conditions"))
    {
        if (strcmp(str_or(c, "type", ""), "Ready") == 0)
            ready = strcmp(str_or(c, "status", ""), "True") == 0 ? "Ready" : "not Ready";
    }
    snprintf(why, size, "%s: not Ready; pod %s: %s, phase %s, node %s, %s, resourceVersion %s",
             name, pod_name, pod != NULL ? "exists" : "none", str_or(pod, "status.phase", "-"),
             str_or(pod, "spec.nodeName", "-"), ready,
             str_or(pod, "metadata.resourceVersion", "-"));
    cJSON_Delete(pod);
}

/* Whether KafkaCluster name is converged: Reconciled and Ready True, at
 * its current generation. why says what is missing otherwise. */
static bool converged(const char *name, char *why, size_t size)
{
    cJSON *kcl = get_opt("berth.io/v1alpha1", "kafkaclusters", name);
    const cJSON *c, *gen = kt_at(kcl, "metadata.generation"),
                    *og = kt_at(kcl, "status.observedGeneration");
    bool reconciled = false, ready = false, current;

    cJSON_ArrayForEach(c, kt_at(kcl, "status.conditions"))
    {
        bool yes = strcmp(str_or(c, "status", ""), "True") == 0;

        if (strcmp(str_or(c, "type", ""), "Reconciled") == 0) {
            reconciled = yes;
            if (!yes)
                snprintf(why, size, "%s: Reconciled %s %s: %s", name, str_or(c, "status", "?"),
                         str_or(c, "reason", "?"), str_or(c, "message", ""));
        }
        if (strcmp(str_or(c, "type", ""), "Ready") == 0)
            ready = yes;
    }
    current = cJSON_IsNumber(og) && cJSON_IsNumber(gen) && og->valuedouble == gen->valuedouble;
    if (kcl == NULL)
        snprintf(why, size, "%s: gone", name);
    else if (!current)
        snprintf(why, size, "%s: observedGeneration %g of generation %g", name,
                 cJSON_IsNumber(og) ? og->valuedouble : -1,
                 cJSON_IsNumber(gen) ? gen->valuedouble : -1);
    else if (reconciled && !ready)
        not_ready(name, why, size);
    cJSON_Delete(kcl);
    return reconciled && ready && current;
}

/* Waits until every cluster named converged, at most timeout seconds;
 * fails naming one that did not. Returns the seconds it took. */
static double wait_converged(char names[][16], int n, double timeout)
{
    double t0 = kt_now();
    char why[1024] = "";

    for (int done = 0; done < n;) {
        done = 0;
        for (int i = 0; i < n; i++)
            if (converged(names[i], why, sizeof why))
                done++;
        if (done == n)
            break;
        ck_assert_msg(kt_now() - t0 < timeout,
                      "%d of %d clusters converged after %.0f s; %s; log %s", done, n, timeout, why,
                      operator_log[0]);
        ck_assert_msg(operator_pid[0] <= 0 || waitpid(operator_pid[0], &(int){0}, WNOHANG) == 0,
                      "the operator exited; log %s", operator_log[0]);
        usleep(500000);
    }
    return kt_now() - t0;
}

/* One cluster's owned objects: "Kind <name less the cluster's name>",
 * sorted, one per line, so clusters of different names compare. */
typedef struct owned_set {
    char name[16];
    char uid[64];
    char entries[MAX_OWNED][96];
    int n;
} owned_set;

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Reads every object of berth's kinds in the namespace and files each
 * that is berth's (labelled app.kubernetes.io/managed-by=berth-operator,
 * or owned by a KafkaCluster) under its cluster in sets (n of them, one
 * per live KafkaCluster, filled here). Fails on an orphan: such an object
 * without exactly one owner reference, the controller one, to a live
 * KafkaCluster, or whose name does not start with that cluster's. */
static void inventory(owned_set *sets, int n)
{
    cJSON *clusters = list_all("berth.io/v1alpha1", "kafkaclusters");
    const cJSON *it;
    int k = 0;

    ck_assert_int_eq(cJSON_GetArraySize(clusters), n);
    cJSON_ArrayForEach(it, clusters)
    {
        memset(&sets[k], 0, sizeof sets[k]);
        snprintf(sets[k].name, sizeof sets[k].name, "%s", kube_meta_name(it));
        snprintf(sets[k].uid, sizeof sets[k].uid, "%s", kube_meta_uid(it));
        k++;
    }
    cJSON_Delete(clusters);
    for (size_t t = 0; t < NKINDS; t++) {
        cJSON *items = list_all(kinds[t].api_version, kinds[t].resource);

        cJSON_ArrayForEach(it, items)
        {
            const char *name = kube_meta_name(it);
            const cJSON *refs = kt_at(it, "metadata.ownerReferences"), *ref, *r;
            bool labelled =
                     strcmp(label(it, "app.kubernetes.io/managed-by"), "berth-operator") == 0,
                 kc_owned = false;
            owned_set *s = NULL;

            cJSON_ArrayForEach(r, refs)
            {
                if (strcmp(str_or(r, "kind", ""), "KafkaCluster") == 0)
                    kc_owned = true;
            }
            if (!labelled && !kc_owned)
                continue; /* not berth's: kube-root-ca.crt, the default ServiceAccount */
            ref = cJSON_GetArrayItem(refs, 0);
            ck_assert_msg(cJSON_GetArraySize(refs) == 1 && cJSON_IsTrue(kt_at(ref, "controller")) &&
                              strcmp(str_or(ref, "kind", ""), "KafkaCluster") == 0,
                          "%s %s: berth's, but not controlled by exactly one KafkaCluster",
                          kinds[t].kind, name);
            for (int i = 0; i < n; i++)
                if (strcmp(sets[i].uid, str_or(ref, "uid", "")) == 0)
                    s = &sets[i];
            ck_assert_msg(s != NULL, "orphan: %s %s is owned by KafkaCluster %s (uid %s), gone",
                          kinds[t].kind, name, str_or(ref, "name", "?"), str_or(ref, "uid", "?"));
            ck_assert_msg(strncmp(name, s->name, strlen(s->name)) == 0,
                          "%s %s of KafkaCluster %s does not carry its name", kinds[t].kind, name,
                          s->name);
            ck_assert_int_lt(s->n, MAX_OWNED);
            snprintf(s->entries[s->n++], sizeof s->entries[0], "%s %s", kinds[t].kind,
                     name + strlen(s->name));
        }
        cJSON_Delete(items);
    }
    for (int i = 0; i < n; i++)
        qsort(sets[i].entries, (size_t)sets[i].n, sizeof sets[i].entries[0], entry_cmp);
}

/* The set of cluster name among sets; fails if there is none. */
static const owned_set *set_of(const owned_set *sets, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(sets[i].name, name) == 0)
            return &sets[i];
    ck_abort_msg("no KafkaCluster %s", name);
    return NULL;
}

/* Fails unless a's objects are exactly b's, naming the first that
 * differs. */
static void assert_same_objects(const owned_set *a, const owned_set *b)
{
    for (int i = 0; i < a->n || i < b->n; i++) {
        const char *x = i < a->n ? a->entries[i] : "(none)",
                   *y = i < b->n ? b->entries[i] : "(none)";

        ck_assert_msg(strcmp(x, y) == 0,
                      "KafkaCluster %s has %d objects, %s %d; first difference: %s has \"%s\" "
                      "where %s has \"%s\" (names less the cluster's)",
                      a->name, a->n, b->name, b->n, a->name, x, b->name, y);
    }
}

/* Each cluster's broker pods: exactly one (replicas 1), named for it and
 * controlled by its StatefulSet. */
static void assert_one_pod_each(char names[][16], int n)
{
    cJSON *pods = list_all("v1", "pods");
    const cJSON *p;
    int count[CLUSTERS + 1] = {0};

    cJSON_ArrayForEach(p, pods)
    {
        const char *inst = label(p, "app.kubernetes.io/instance");
        const cJSON *ref = cJSON_GetArrayItem(kt_at(p, "metadata.ownerReferences"), 0);

        for (int i = 0; i < n; i++) {
            if (strcmp(inst, names[i]) != 0)
                continue;
            count[i]++;
            ck_assert_str_eq(str_or(ref, "kind", ""), "StatefulSet");
            ck_assert_str_eq(str_or(ref, "name", ""), names[i]);
        }
    }
    cJSON_Delete(pods);
    for (int i = 0; i < n; i++)
        ck_assert_msg(count[i] == 1, "KafkaCluster %s has %d broker pods", names[i], count[i]);
}

/* ---- the tests ---- */

/* One run: a reference cluster reconciled undisturbed, then 20 new
 * clusters while the operator is SIGKILLed kills times and restarted;
 * then convergence and the checks. Returns the run's seconds. */
static double kill_run(int run, int kills, unsigned seed)
{
    static owned_set sets[CLUSTERS + 1];
    char names[CLUSTERS + 1][16];
    const owned_set *ref;
    double t0 = kt_now(), tconv;
    int applied = 0, cut = 0;

    new_namespace("kill");
    printf("run %d: namespace %s, seed %u\n", run, ns, seed);
    /* The reference: what one cluster gets when nothing kills the
     * operator. */
    snprintf(names[CLUSTERS], sizeof names[CLUSTERS], "ref");
    operator_start(0, false);
    create_cluster("ref");
    wait_converged(&names[CLUSTERS], 1, 120);
    inventory(sets, 1);
    ref = set_of(sets, 1, "ref");
    printf("run %d: a cluster's objects (%d):", run, ref->n);
    for (int i = 0; i < ref->n; i++)
        printf("%s %s", i > 0 ? "," : "", ref->entries[i]);
    printf("\n");
    /* Every kind berth writes is there, so "the same objects" says
     * something. */
    for (size_t t = 0; t < NKINDS; t++) {
        bool found = false;

        for (int i = 0; i < ref->n; i++)
            if (strncmp(ref->entries[i], kinds[t].kind, strlen(kinds[t].kind)) == 0 &&
                ref->entries[i][strlen(kinds[t].kind)] == ' ')
                found = true;
        ck_assert_msg(found, "the reference cluster has no %s", kinds[t].kind);
    }

    /* 20 clusters at once, and the kills while they are reconciled. */
    for (int i = 0; i < CLUSTERS; i++) {
        snprintf(names[i], sizeof names[i], "k%02d", i);
        create_cluster(names[i]);
    }
    for (int k = 0; k < kills; k++) {
        double delay = 0.2 + 1.3 * uniform(&seed), t0k = kt_now();
        int a, r, c;

        /* The first kill waits for a reconcile under way (objects of a
         * cluster applied, its reconcile not finished), so at least one
         * lands between two applies of one cluster; the others come
         * after random delays, wherever the restarted operator is. */
        if (k == 0)
            while (cut_reconciles(0, names, CLUSTERS) == 0) {
                ck_assert_msg(kt_now() - t0k < 30, "no reconcile under way in 30 s; log %s",
                              operator_log[0]);
                usleep(2000);
            }
        else
            usleep((useconds_t)(delay * 1e6));
        delay = kt_now() - t0k;
        ck_assert_int_eq(operator_signal(0, SIGKILL), 128 + SIGKILL);
        a = log_count(0, "info  applied ");
        r = log_count(0, "reconciled ");
        c = cut_reconciles(0, names, CLUSTERS);
        printf("run %d: kill %d after %.2f s: that operator had applied %d objects, finished %d "
               "reconciles with writes, and was in the middle of %d\n",
               run, k + 1, delay, a, r, c);
        applied += a;
        cut += c;
        operator_start(0, false);
    }
    tconv = wait_converged(names, CLUSTERS + 1, 300);
    printf("run %d: the kills cut %d reconciles after %d applies; converged %.1f s after the "
           "last restart\n",
           run, cut, applied, tconv);
    ck_assert_msg(cut > 0, "no kill came in the middle of a reconcile (%d applies)", applied);

    inventory(sets, CLUSTERS + 1);
    ref = set_of(sets, CLUSTERS + 1, "ref");
    for (int i = 0; i < CLUSTERS; i++)
        assert_same_objects(set_of(sets, CLUSTERS + 1, names[i]), ref);
    assert_one_pod_each(names, CLUSTERS + 1);
    drop_run();
    return kt_now() - t0;
}

/* SIGKILL at random points of the reconciles of 20 new clusters, several
 * times: every cluster converges with exactly its objects, each owned by
 * it, no duplicate and no orphan. */
START_TEST(sigkill_mid_reconcile_leaves_no_duplicate_or_orphan)
{
    const char *e;
    int runs = (e = getenv("BERTH_KILL_RUNS")) != NULL ? atoi(e) : 1;
    int kills = (e = getenv("BERTH_KILL_KILLS")) != NULL ? atoi(e) : 5;
    unsigned seed;

    if ((e = getenv("BERTH_KILL_SEED")) != NULL)
        seed = (unsigned)strtoul(e, NULL, 10);
    else
        ck_assert_int_eq(RAND_bytes((unsigned char *)&seed, sizeof seed), 1);
    ck_assert_int_ge(runs, 1);
    ck_assert_int_ge(kills, 1);
    for (int run = 1; run <= runs; run++) {
        double took = kill_run(run, kills, seed);

        printf("run %d of %d passed in %.1f s\n", run, runs, took);
        seed = seed * 1103515245u + 12345u;
    }
}
END_TEST

/* The Lease berth-operator's holder and record; holder "" when none. */
static kube_lease_record lease_record(void)
{
    cJSON *l = get_opt("coordination.k8s.io/v1", "leases", "berth-operator");
    kube_lease_record rec = {0};
    util_err err = {{0}};

    if (l != NULL)
        ck_assert_msg(kube_lease_record_parse(l, &rec, &err) == 0, "%s", err.msg);
    cJSON_Delete(l);
    if (rec.holder == NULL)
        rec.holder = strdup("");
    return rec;
}

/* Two replicas with --leader-elect; SIGKILL of the holder, which cannot
 * release the Lease: the standby takes it (its write of the Lease) once
 * the holder's claim ran out, which is within the Lease's duration plus
 * one retry period of the kill (the holder renewed at most then; the
 * standby saw that renewal at most one retry period later and wakes when
 * the duration has passed since), and then reconciles at once: an owned
 * object deleted after the kill comes back within a retry period of the
 * takeover. Both figures are printed. */
START_TEST(sigkill_of_the_leader_hands_over_within_the_lease_duration)
{
    char names[1][16] = {"ho"}, ident[2][256];
    const double retry = KUBE_LEASE_DEFAULT_RETRY_PERIOD_MS / 1000.0;
    double t_kill, taken = -1, wrote = -1, bound;
    kube_lease_record rec = {0};
    char path[KUBE_PATH_MAX];
    int leader = -1;

    new_namespace("killha");
    create_cluster("ho");
    operator_start(0, true);
    operator_start(1, true);
    for (double t0 = kt_now(); leader < 0;) {
        operator_identity(0, ident[0], sizeof ident[0]);
        operator_identity(1, ident[1], sizeof ident[1]);
        rec = lease_record();
        for (int i = 0; i < 2; i++)
            if (ident[i][0] != '\0' && strcmp(rec.holder, ident[i]) == 0)
                leader = i;
        kube_lease_record_clear(&rec);
        ck_assert_msg(kt_now() - t0 < 60, "no replica took the Lease; logs %s %s", operator_log[0],
                      operator_log[1]);
        usleep(200000);
    }
    wait_converged(names, 1, 120);
    rec = lease_record();
    bound = rec.duration_s + retry;
    kube_lease_record_clear(&rec);

    t_kill = wall_now();
    ck_assert_int_eq(operator_signal(leader, SIGKILL), 128 + SIGKILL);
    ck_assert_int_eq(kube_path(path, sizeof path, "v1", "configmaps", ns, "ho-drain", NULL), 0);
    ck_assert_int_eq(kube_delete(kc, path, NULL, NULL), 0);
    while (wrote < 0) {
        cJSON *cm;

        if (taken < 0) {
            rec = lease_record();
            if (strcmp(rec.holder, ident[1 - leader]) == 0)
                taken = (double)rec.acquire_ns / 1e9 - t_kill;
            kube_lease_record_clear(&rec);
        }
        if (taken >= 0 && (cm = get_opt("v1", "configmaps", "ho-drain")) != NULL) {
            wrote = wall_now() - t_kill;
            cJSON_Delete(cm);
        }
        ck_assert_msg(wall_now() - t_kill < 3 * bound,
                      "no takeover and write %.0f s after the kill; log %s", 3 * bound,
                      operator_log[1 - leader]);
        usleep(50000);
    }
    printf("SIGKILL of the leader: the standby took the Lease %.2f s after the kill and "
           "recreated ho-drain %.2f s after it (Lease duration %.0f s + retry period %.0f s = "
           "%.0f s)\n",
           taken, wrote, bound - retry, retry, bound);
    ck_assert_msg(taken <= bound, "the standby took the Lease %.2f s after the kill, over %.0f s",
                  taken, bound);
    /* Its reconcile then follows at once: no resync nor backoff to wait
     * out, well within one more retry period. */
    ck_assert_msg(wrote - taken <= retry,
                  "the new leader wrote %.2f s after it took the Lease, over %.0f s", wrote - taken,
                  retry);
    ck_assert_int_eq(operator_signal(1 - leader, SIGTERM), 0);
}
END_TEST

/* Before and after all tests, in the parent process: deletes every
 * namespace and PersistentVolume labelled with this run's label. */
static void sweep_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    kt_random_name(run_label, sizeof run_label, "kill");
}

static void sweep(void)
{
    kube_config *scfg = kt_admin_config();
    kube_client *sc = kt_client(scfg);
    kube_list_opts lo = {0};
    char sel[64];
    cJSON *list = NULL;
    const cJSON *o;

    snprintf(sel, sizeof sel, "berth.io/test=%s", run_label);
    lo.label_selector = sel;
    if (kube_list(sc, "/api/v1/namespaces", &lo, &list, NULL, NULL) == 0) {
        cJSON_ArrayForEach(o, kt_at(list, "items"))
        {
            if (kt_at(o, "metadata.deletionTimestamp") != NULL)
                continue;
            fprintf(stderr, "swept namespace %s\n", kube_meta_name(o));
            drop_namespace(sc, kube_meta_name(o));
        }
    }
    cJSON_Delete(list);
    drop_volumes(sc, NULL);
    kube_client_free(sc);
    kube_config_free(scfg);
    curl_global_cleanup();
}

int main(void)
{
    Suite *s = suite_create("operator_kill");
    TCase *tc = tcase_create("ground");
    SRunner *sr;
    int failed;

    /* Each step's figures reach the log as they come, also from a run
     * that fails later. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Each run takes about a minute (printed); BERTH_KILL_RUNS scales it. */
    tcase_set_timeout(tc, 3600);
    tcase_add_unchecked_fixture(tc, sweep_setup, sweep);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sigkill_mid_reconcile_leaves_no_duplicate_or_orphan);
    tcase_add_test(tc, sigkill_of_the_leader_hands_over_within_the_lease_duration);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
