/* The StatefulSet "<c>": the broker pods. What it must get right, and why:
 *
 * - podManagementPolicy Parallel: KRaft voters must start together to form
 *   a quorum; OrderedReady would wait for pod 0 to be Ready, which it never
 *   is alone.
 * - An init container renders the broker configuration from <c>-brokers
 *   with the pod's own facts from the Downward API, so a pod start never
 *   waits for the operator to see the pod.
 * - berth-sidecar runs as a native sidecar (an init container with
 *   restartPolicy Always): it outlives the broker on the way down, so it can
 *   serve the preStop drain and see the broker's shutdown through.
 * - The broker's readiness is the sidecar's /readyz; its liveness is never
 *   the sidecar (a sidecar crash must not restart Kafka). The broker runs as
 *   PID 1 (exec) so SIGTERM reaches it.
 * - The grace period covers waiting for the drain lock, the drain, Kafka's
 *   own shutdown and a margin; the preStop client gets the drain part (lock
 *   wait + drain timeout), the sidecar each of the two apart.
 * - Only the sidecar gets an API token (projected); the broker image is the
 *   user's and needs none.
 * - Memory request = limit and the heap a fraction of it, so the rest stays
 *   page cache the broker can count on.
 * - spec.imagePullSecrets go to the pod as they are: the broker and sidecar
 *   images may come from a private registry.
 * - The pod meets the restricted Pod Security Standard (pod_security):
 *   non-root with a numeric uid, RuntimeDefault seccomp, no capabilities,
 *   no privilege escalation, and resources on every container. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cluster_tls.h"
#include "desired.h"

static cJSON *env_field(const char *name, const char *path)
{
    cJSON *e = cJSON_CreateObject(), *vf, *fr;

    cJSON_AddStringToObject(e, "name", name);
    vf = cJSON_AddObjectToObject(e, "valueFrom");
    fr = cJSON_AddObjectToObject(vf, "fieldRef");
    cJSON_AddStringToObject(fr, "fieldPath", path);
    return e;
}

static cJSON *env_value(const char *name, const char *value)
{
    cJSON *e = cJSON_CreateObject();

    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "value", value);
    return e;
}

/* The pod's facts every berth container reads. */
static cJSON *downward_env(void)
{
    cJSON *a = cJSON_CreateArray();

    cJSON_AddItemToArray(a, env_field("POD_NAME", "metadata.name"));
    cJSON_AddItemToArray(a, env_field("POD_NAMESPACE", "metadata.namespace"));
    cJSON_AddItemToArray(a, env_field("POD_UID", "metadata.uid"));
    cJSON_AddItemToArray(a, env_field("NODE_NAME", "spec.nodeName"));
    cJSON_AddItemToArray(a, env_field("POD_IP", "status.podIP"));
    return a;
}

static cJSON *mount(const char *name, const char *path, int read_only)
{
    cJSON *m = cJSON_CreateObject();

    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "mountPath", path);
    if (read_only)
        cJSON_AddBoolToObject(m, "readOnly", 1);
    return m;
}

static cJSON *strings(const char *const *v)
{
    cJSON *a = cJSON_CreateArray();

    for (; *v != NULL; v++)
        cJSON_AddItemToArray(a, cJSON_CreateString(*v));
    return a;
}

/* The broker image's own user, which every container of the pod runs as:
 * apache/kafka's appuser is uid 1000, Redpanda's redpanda uid 101. Both
 * images name their user (USER appuser), which runAsNonRoot cannot verify,
 * so the pod gives the uid. One uid in the pod keeps what the containers
 * share simple: init's 0640 config files and the sidecar's 0660 drain
 * socket are the broker's own, and the Secret files (0440, group fsGroup)
 * are readable through the primary group. */
static int broker_uid(const op_cluster *c)
{
    return c->flavor == OP_FLAVOR_KAFKA ? 1000 : 101;
}

/* The restricted standard's container half: no privilege escalation, no
 * capabilities. The root filesystem is read-only for berth's own
 * containers, which write only to their volumes (config, run, data); the
 * broker's stays writable, since the image is the user's and writes there
 * (apache/kafka its logs under /opt/kafka/logs, the JVM /tmp/hsperfdata). */
static cJSON *container_security(int read_only_root)
{
    cJSON *sc = cJSON_CreateObject(), *caps;

    cJSON_AddBoolToObject(sc, "allowPrivilegeEscalation", 0);
    caps = cJSON_AddObjectToObject(sc, "capabilities");
    cJSON_AddItemToObject(caps, "drop", strings((const char *[]){"ALL", NULL}));
    if (read_only_root)
        cJSON_AddBoolToObject(sc, "readOnlyRootFilesystem", 1);
    return sc;
}

/* The pod half: non-root as broker_uid, RuntimeDefault seccomp, and the
 * volumes' group fsGroup. OnRootMismatch: the kubelet walks a volume to
 * change its ownership only when its top directory is not already the
 * group's, so a broker with a large data volume does not wait for a chown
 * of every segment at each restart. */
static cJSON *pod_security(const op_cluster *c)
{
    cJSON *sc = cJSON_CreateObject();

    cJSON_AddBoolToObject(sc, "runAsNonRoot", 1);
    cJSON_AddNumberToObject(sc, "runAsUser", broker_uid(c));
    cJSON_AddNumberToObject(sc, "runAsGroup", broker_uid(c));
    cJSON_AddNumberToObject(sc, "fsGroup", broker_uid(c));
    cJSON_AddStringToObject(sc, "fsGroupChangePolicy", "OnRootMismatch");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(sc, "seccompProfile"), "type",
                            "RuntimeDefault");
    return sc;
}

/* Requests and a memory limit for berth's own containers, kept small: a
 * native sidecar's requests add to the broker's for as long as the pod
 * runs. berth-sidecar run measured about 9 MiB resident (VmHWM, probing
 * and serving /metrics); init is the same program for a moment. The limits leave room for a
 * large cluster's metadata and TLS buffers in a drain, where an OOM kill
 * would fail the preStop. No CPU limit: a quota would throttle the drain
 * and the readiness answers the broker's probe waits on. */
static cJSON *small_resources(const char *memory_limit)
{
    cJSON *r = cJSON_CreateObject(), *req;

    req = cJSON_AddObjectToObject(r, "requests");
    cJSON_AddStringToObject(req, "cpu", "50m");
    cJSON_AddStringToObject(req, "memory", "32Mi");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "limits"), "memory", memory_limit);
    return r;
}

static void add_tls_mounts(const op_cluster *c, cJSON *mounts)
{
    for (int i = 0; i < c->nlisteners; i++) {
        char vol[48], path[96];

        if (c->listeners[i].tls_secret == NULL)
            continue;
        snprintf(vol, sizeof vol, "tls-%s", c->listeners[i].name);
        snprintf(path, sizeof path, "%s/%s", BROKER_POD_TLS_DIR, c->listeners[i].name);
        cJSON_AddItemToArray(mounts, mount(vol, path, 1));
    }
}

static const char *data_dir(const op_cluster *c)
{
    return c->flavor == OP_FLAVOR_KAFKA ? BROKER_POD_KAFKA_DATA : BROKER_POD_REDPANDA_DATA;
}

static const cJSON *memory_limit(const op_cluster *c)
{
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(c->resources, "limits");

    return cJSON_GetObjectItemCaseSensitive(lim, "memory");
}

long op_heap_mib(const op_cluster *c)
{
    const cJSON *lim = memory_limit(c);
    double bytes;

    if (c->flavor != OP_FLAVOR_KAFKA)
        return 0;
    if (c->heap_override != NULL && op_quantity_parse(c->heap_override, &bytes) == 0)
        return (long)(bytes / (1024.0 * 1024));
    if (lim == NULL || op_quantity_of(lim, &bytes) != 0 || bytes <= 0)
        return 0;
    return (long)(bytes * c->heap_percent / 100.0 / (1024.0 * 1024));
}

/* A resource of the broker container, the limit else the request, within
 * [0, hi] (hi only bounds what a cast must hold); 0 when neither is given. */
static double container_resource(const op_cluster *c, const char *name, double hi)
{
    static const char *const kinds[] = {"limits", "requests"};
    double v;

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(c->resources, kinds[i]), name);

        if (j != NULL && op_quantity_of(j, &v) == 0 && v > 0)
            return v < hi ? v : hi;
    }
    return 0;
}

/* Unasked, Redpanda (Seastar) runs a shard on every core it sees, and a
 * CPU limit is a time quota, not fewer cores: the shards of a 2-core
 * container on a 32-core node would each get a sliver. So --smp is the
 * whole cores the container may use, at least 1, and below one core
 * --overprovisioned (no busy-polling of a core it does not have), as
 * Redpanda's own chart does. Memory: Redpanda's guidance for Kubernetes is
 * 80 % of the container's memory to Redpanda, the rest headroom for
 * Seastar's overhead and the container's other allocations (the Kafka heap,
 * op_heap_mib, likewise leaves its rest to the page cache). With --memory
 * given, --reserve-memory only bounds what --memory may ask, and Seastar's
 * default reserve (at least 1.5 GiB) would refuse 80 % of a container of a
 * few GiB; so the broker gets --reserve-memory 0M beside it. */
op_redpanda_size op_redpanda_sizing(const op_cluster *c)
{
    op_redpanda_size s = {0, false, 0};
    double cpu, mem;

    if (c->flavor != OP_FLAVOR_REDPANDA)
        return s;
    cpu = container_resource(c, "cpu", 65536);
    mem = container_resource(c, "memory", 1024.0 * 1024 * 1024 * 1024 * 1024 * 1024);
    if (cpu > 0) {
        s.smp = cpu < 1 ? 1 : (int)floor(cpu);
        s.overprovisioned = cpu < 1;
    }
    s.memory_mib = (long)(mem * OP_REDPANDA_MEMORY_PERCENT / 100.0 / (1024.0 * 1024));
    return s;
}

int op_grace_seconds(const op_cluster *c)
{
    return c->lock_wait_s + c->drain_timeout_s + OP_SHUTDOWN_BUDGET_S + OP_GRACE_MARGIN_S;
}

/* The broker's resources: the spec's, with the memory request raised to
 * the limit. */
static cJSON *broker_resources(const op_cluster *c)
{
    cJSON *r = cJSON_Duplicate(c->resources, 1), *req;
    const cJSON *lim = memory_limit(c);

    if (r == NULL || lim == NULL)
        return r;
    req = cJSON_GetObjectItemCaseSensitive(r, "requests");
    if (req == NULL)
        req = cJSON_AddObjectToObject(r, "requests");
    cJSON_DeleteItemFromObjectCaseSensitive(req, "memory");
    cJSON_AddItemToObject(req, "memory", cJSON_Duplicate(lim, 1));
    return r;
}

static cJSON *broker_container(const op_cluster *c)
{
    cJSON *k = cJSON_CreateObject(), *env, *ports, *probe, *hg, *pre, *ex, *mounts, *res;
    char script[1024], timeout[16];
    long heap = op_heap_mib(c);
    op_redpanda_size rp = op_redpanda_sizing(c);

    cJSON_AddStringToObject(k, "name", BROKER_POD_BROKER_CONTAINER);
    cJSON_AddStringToObject(k, "image", c->image);
    /* exec makes the broker PID 1 of the container, so SIGTERM reaches it. */
    if (c->flavor == OP_FLAVOR_KAFKA)
        snprintf(script, sizeof script,
                 "%s/bin/kafka-storage.sh format --ignore-formatted --cluster-id \"$(cat %s)\" "
                 "--config %s && exec %s/bin/kafka-server-start.sh %s",
                 OP_POD_KAFKA_HOME, BROKER_POD_CLUSTER_ID, BROKER_POD_KAFKA_CONFIG,
                 OP_POD_KAFKA_HOME, BROKER_POD_KAFKA_CONFIG);
    else {
        int n = snprintf(script, sizeof script, "exec /usr/bin/rpk redpanda start --config %s",
                         BROKER_POD_REDPANDA_CONFIG);

        if (rp.smp > 0)
            n += snprintf(script + n, sizeof script - (size_t)n, " --smp %d%s", rp.smp,
                          rp.overprovisioned ? " --overprovisioned" : "");
        if (rp.memory_mib > 0)
            snprintf(script + n, sizeof script - (size_t)n, " --memory %ldM --reserve-memory 0M",
                     rp.memory_mib);
    }
    cJSON_AddItemToObject(k, "command", strings((const char *[]){"/bin/sh", "-c", script, NULL}));

    env = cJSON_AddArrayToObject(k, "env");
    if (heap > 0) {
        char opts[64];

        snprintf(opts, sizeof opts, "-Xms%ldm -Xmx%ldm", heap, heap);
        cJSON_AddItemToArray(env, env_value("KAFKA_HEAP_OPTS", opts));
    }
    /* The security properties init renders on top of the JVM's own: its
     * DNS cache no longer than cluster DNS's TTL, so a peer back on a new
     * pod IP is dialled there (sidecar/init/render_kafka.c). */
    if (c->flavor == OP_FLAVOR_KAFKA)
        cJSON_AddItemToArray(
            env, env_value("KAFKA_OPTS", "-Djava.security.properties=" BROKER_POD_KAFKA_JAVA_SEC));
    if (cJSON_GetArraySize(env) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(k, "env");

    ports = cJSON_AddArrayToObject(k, "ports");
    for (int i = 0; i < c->nlisteners; i++) {
        const op_listener *l = &c->listeners[i];
        cJSON *p = cJSON_CreateObject();

        cJSON_AddNumberToObject(p, "containerPort", l->port);
        if (l->type == OP_LISTENER_HOSTPORT)
            cJSON_AddNumberToObject(p, "hostPort", l->port);
        cJSON_AddStringToObject(p, "protocol", "TCP");
        cJSON_AddItemToArray(ports, p);
    }
    if (c->flavor == OP_FLAVOR_KAFKA) {
        cJSON *p = cJSON_CreateObject();

        cJSON_AddNumberToObject(p, "containerPort", c->controller_port);
        cJSON_AddStringToObject(p, "protocol", "TCP");
        cJSON_AddItemToArray(ports, p);
    }

    if ((res = broker_resources(c)) != NULL)
        cJSON_AddItemToObject(k, "resources", res);
    cJSON_AddItemToObject(k, "securityContext", container_security(0));

    /* Readiness is the sidecar's judgement (caught up, leadership
     * restored); there is deliberately no liveness probe through it. The
     * sidecar answers from what it already knows, so one "not ready" is
     * meant, not noise: a single failure counts (with 3, a broker restarted
     * inside its container stayed Ready for the 15 s its ISR gate needed),
     * and a short period lets the roll go on soon after the gate opens. */
    probe = cJSON_AddObjectToObject(k, "readinessProbe");
    hg = cJSON_AddObjectToObject(probe, "httpGet");
    cJSON_AddStringToObject(hg, "path", "/readyz");
    cJSON_AddNumberToObject(hg, "port", BROKER_POD_SIDECAR_PORT);
    cJSON_AddNumberToObject(probe, "periodSeconds", 2);
    cJSON_AddNumberToObject(probe, "failureThreshold", 1);

    pre = cJSON_AddObjectToObject(cJSON_AddObjectToObject(k, "lifecycle"), "preStop");
    ex = cJSON_AddObjectToObject(pre, "exec");
    snprintf(timeout, sizeof timeout, "%d", c->lock_wait_s + c->drain_timeout_s);
    cJSON_AddItemToObject(
        ex, "command",
        strings((const char *[]){BROKER_POD_DRAIN_CLIENT, "--socket", BROKER_POD_DRAIN_SOCKET,
                                 "--timeout", timeout, NULL}));

    mounts = cJSON_AddArrayToObject(k, "volumeMounts");
    cJSON_AddItemToArray(mounts, mount("data", data_dir(c), 0));
    cJSON_AddItemToArray(mounts, mount("config", BROKER_POD_CONFIG_DIR, 1));
    cJSON_AddItemToArray(mounts, mount("run", BROKER_POD_RUN_DIR, 0));
    add_tls_mounts(c, mounts);
    return k;
}

static const char *sidecar_image(const op_cluster *c, const op_options *o)
{
    return c->sidecar_image != NULL ? c->sidecar_image : o->sidecar_image;
}

/* The plain init container that renders the broker configuration. */
static cJSON *init_container(const op_cluster *c, const op_options *o)
{
    cJSON *k = cJSON_CreateObject(), *mounts;

    cJSON_AddStringToObject(k, "name", "init");
    cJSON_AddStringToObject(k, "image", sidecar_image(c, o));
    cJSON_AddItemToObject(
        k, "command",
        strings((const char *[]){"berth-sidecar", "init", "--cluster", c->name, "--config-dir",
                                 BROKER_POD_CONFIG_DIR, "--data-dir", data_dir(c), "--tls-dir",
                                 BROKER_POD_TLS_DIR, NULL}));
    cJSON_AddItemToObject(k, "env", downward_env());
    cJSON_AddItemToObject(k, "resources", small_resources("64Mi"));
    cJSON_AddItemToObject(k, "securityContext", container_security(1));
    mounts = cJSON_AddArrayToObject(k, "volumeMounts");
    cJSON_AddItemToArray(mounts, mount("config", BROKER_POD_CONFIG_DIR, 0));
    cJSON_AddItemToArray(mounts, mount("data", data_dir(c), 0));
    cJSON_AddItemToArray(mounts, mount("sidecar-token", OP_POD_TOKEN_DIR, 1));
    add_tls_mounts(c, mounts);
    return k;
}

/* The native sidecar: an init container that keeps running. A Kafka
 * sidecar talks to its broker on localhost, on the REPLICATION listener
 * with its client certificate (it checks the broker's for the pod DNS
 * name, which the broker's certificate carries), and
 * gets the pod DNS name the other brokers dial ($(POD_NAME) is expanded by
 * the kubelet from the container's environment): after a restart it hands
 * leadership back only once that name has resolved to the pod's new IP
 * long enough for no peer to cache the old one (sidecar/engine/kafka/peer_dns.h). A
 * Redpanda sidecar drains through maintenance mode on the admin API
 * instead (sidecar/engine/redpanda/engine.h). Both get the drain's two budgets
 * apart, so the Lease (or maintenance slot) wait cannot eat into the drain
 * (sidecar/README.md); the preStop client's timeout is their sum. */
static cJSON *sidecar_container(const op_cluster *c, const op_options *o)
{
    cJSON *k = cJSON_CreateObject(), *mounts, *ports, *p, *cmd;
    char port[8], broker[32], peer[OP_NAME_MAX * 2 + 256], lock_wait[16], drain_timeout[16];
    char dns_cache[16];

    snprintf(port, sizeof port, "%d", BROKER_POD_SIDECAR_PORT);
    snprintf(broker, sizeof broker, "localhost:%d", c->replication_port);
    snprintf(peer, sizeof peer, "$(POD_NAME).%s-brokers.%s.svc.%s", c->name, c->namespace,
             o->cluster_domain);
    snprintf(lock_wait, sizeof lock_wait, "%d", c->lock_wait_s);
    snprintf(drain_timeout, sizeof drain_timeout, "%d", c->drain_timeout_s);
    snprintf(dns_cache, sizeof dns_cache, "%d", c->client_dns_cache_s);
    cJSON_AddStringToObject(k, "name", BROKER_POD_SIDECAR_CONTAINER);
    cJSON_AddStringToObject(k, "image", sidecar_image(c, o));
    cJSON_AddStringToObject(k, "restartPolicy", "Always");
    cmd = c->flavor == OP_FLAVOR_KAFKA
              ? strings((const char *[]){"berth-sidecar",
                                         "run",
                                         "--http-port",
                                         port,
                                         "--socket",
                                         BROKER_POD_DRAIN_SOCKET,
                                         "--broker",
                                         broker,
                                         "--broker-ca",
                                         OP_POD_SIDECAR_TLS_DIR "/" OP_CERTS_CA_KEY,
                                         "--broker-server-name",
                                         peer,
                                         "--broker-cert",
                                         OP_POD_SIDECAR_TLS_DIR "/" OP_CERTS_SIDECAR_CRT,
                                         "--broker-key",
                                         OP_POD_SIDECAR_TLS_DIR "/" OP_CERTS_SIDECAR_KEY,
                                         "--peer-name",
                                         peer,
                                         "--client-dns-cache",
                                         dns_cache,
                                         NULL})
              : strings((const char *[]){"berth-sidecar", "run", "--http-port", port, "--socket",
                                         BROKER_POD_DRAIN_SOCKET, "--flavor", "redpanda",
                                         "--admin-url", OP_POD_REDPANDA_ADMIN_URL, NULL});
    cJSON_AddItemToArray(cmd, cJSON_CreateString("--lock-wait"));
    cJSON_AddItemToArray(cmd, cJSON_CreateString(lock_wait));
    cJSON_AddItemToArray(cmd, cJSON_CreateString("--drain-timeout"));
    cJSON_AddItemToArray(cmd, cJSON_CreateString(drain_timeout));
    cJSON_AddItemToObject(k, "command", cmd);
    cJSON_AddItemToObject(k, "env", downward_env());
    ports = cJSON_AddArrayToObject(k, "ports");
    p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", "sidecar-http");
    cJSON_AddNumberToObject(p, "containerPort", BROKER_POD_SIDECAR_PORT);
    cJSON_AddStringToObject(p, "protocol", "TCP");
    cJSON_AddItemToArray(ports, p);
    cJSON_AddItemToObject(k, "resources", small_resources("128Mi"));
    cJSON_AddItemToObject(k, "securityContext", container_security(1));
    mounts = cJSON_AddArrayToObject(k, "volumeMounts");
    cJSON_AddItemToArray(mounts, mount("config", BROKER_POD_CONFIG_DIR, 1));
    cJSON_AddItemToArray(mounts, mount("run", BROKER_POD_RUN_DIR, 0));
    cJSON_AddItemToArray(mounts, mount("sidecar-token", OP_POD_TOKEN_DIR, 1));
    /* No listener's key: the sidecar serves no TLS. It dials its broker's
     * REPLICATION listener with a client certificate of its own. */
    if (c->flavor == OP_FLAVOR_KAFKA)
        cJSON_AddItemToArray(mounts, mount("sidecar-tls", OP_POD_SIDECAR_TLS_DIR, 1));
    return k;
}

/* The sidecar's API credentials: a projected token with the CA and the
 * namespace, laid out like the default service-account mount. */
static cJSON *token_volume(void)
{
    cJSON *v = cJSON_CreateObject(), *srcs, *s, *o, *items, *it, *fr;

    cJSON_AddStringToObject(v, "name", "sidecar-token");
    srcs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(v, "projected"), "sources");

    s = cJSON_CreateObject();
    o = cJSON_AddObjectToObject(s, "serviceAccountToken");
    cJSON_AddStringToObject(o, "path", "token");
    cJSON_AddNumberToObject(o, "expirationSeconds", 3607);
    cJSON_AddItemToArray(srcs, s);

    s = cJSON_CreateObject();
    o = cJSON_AddObjectToObject(s, "configMap");
    cJSON_AddStringToObject(o, "name", "kube-root-ca.crt");
    items = cJSON_AddArrayToObject(o, "items");
    it = cJSON_CreateObject();
    cJSON_AddStringToObject(it, "key", "ca.crt");
    cJSON_AddStringToObject(it, "path", "ca.crt");
    cJSON_AddItemToArray(items, it);
    cJSON_AddItemToArray(srcs, s);

    s = cJSON_CreateObject();
    items = cJSON_AddArrayToObject(cJSON_AddObjectToObject(s, "downwardAPI"), "items");
    it = cJSON_CreateObject();
    cJSON_AddStringToObject(it, "path", "namespace");
    fr = cJSON_AddObjectToObject(it, "fieldRef");
    cJSON_AddStringToObject(fr, "apiVersion", "v1");
    cJSON_AddStringToObject(fr, "fieldPath", "metadata.namespace");
    cJSON_AddItemToArray(items, it);
    cJSON_AddItemToArray(srcs, s);
    return v;
}

/* The sidecar's pair and the CA out of <c>-broker-certs, and none of the
 * brokers' keys; readable by the pod's fsGroup only. */
static cJSON *sidecar_tls_volume(const op_cluster *c)
{
    static const char *const keys[] = {OP_CERTS_CA_KEY, OP_CERTS_SIDECAR_CRT, OP_CERTS_SIDECAR_KEY};
    cJSON *v = cJSON_CreateObject(), *sec, *items;
    char name[OP_NAME_MAX + 32];

    cJSON_AddStringToObject(v, "name", "sidecar-tls");
    sec = cJSON_AddObjectToObject(v, "secret");
    cJSON_AddStringToObject(sec, "secretName",
                            op_name(c, OP_CERTS_SECRET_SUFFIX, name, sizeof name));
    cJSON_AddNumberToObject(sec, "defaultMode", 0440);
    items = cJSON_AddArrayToObject(sec, "items");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        cJSON *it = cJSON_CreateObject();

        cJSON_AddStringToObject(it, "key", keys[i]);
        cJSON_AddStringToObject(it, "path", keys[i]);
        cJSON_AddItemToArray(items, it);
    }
    return v;
}

static cJSON *volumes(const op_cluster *c)
{
    cJSON *a = cJSON_CreateArray(), *v;

    v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "name", "config");
    cJSON_AddObjectToObject(v, "emptyDir");
    cJSON_AddItemToArray(a, v);
    v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "name", "run");
    cJSON_AddObjectToObject(v, "emptyDir");
    cJSON_AddItemToArray(a, v);
    cJSON_AddItemToArray(a, token_volume());
    if (c->flavor == OP_FLAVOR_KAFKA)
        cJSON_AddItemToArray(a, sidecar_tls_volume(c));
    for (int i = 0; i < c->nlisteners; i++) {
        char name[48];

        if (c->listeners[i].tls_secret == NULL)
            continue;
        snprintf(name, sizeof name, "tls-%s", c->listeners[i].name);
        v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "name", name);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(v, "secret"), "secretName",
                                c->listeners[i].tls_secret);
        cJSON_AddItemToArray(a, v);
    }
    return a;
}

/* spec.imagePullSecrets as a pod spec wants them: {name} only, so the
 * pod gets exactly the names the spec gives (cluster.c checked them). */
static cJSON *pull_secrets(const op_cluster *c)
{
    cJSON *a = cJSON_CreateArray();
    const cJSON *e;

    cJSON_ArrayForEach(e, c->pull_secrets)
    {
        cJSON *ref = cJSON_CreateObject();

        cJSON_AddStringToObject(ref, "name",
                                cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring);
        cJSON_AddItemToArray(a, ref);
    }
    return a;
}

/* The spec's affinity, plus a preferred anti-affinity spreading this
 * cluster's brokers over nodes when the spec gives no podAntiAffinity. */
static cJSON *affinity(const op_cluster *c)
{
    cJSON *a = c->affinity != NULL ? cJSON_Duplicate(c->affinity, 1) : cJSON_CreateObject();
    cJSON *anti, *pref, *term, *pat;

    if (cJSON_GetObjectItemCaseSensitive(a, "podAntiAffinity") != NULL)
        return a;
    anti = cJSON_AddObjectToObject(a, "podAntiAffinity");
    pref = cJSON_AddArrayToObject(anti, "preferredDuringSchedulingIgnoredDuringExecution");
    term = cJSON_CreateObject();
    cJSON_AddNumberToObject(term, "weight", 100);
    pat = cJSON_AddObjectToObject(term, "podAffinityTerm");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(pat, "labelSelector"), "matchLabels",
                          op_selector_new(c));
    cJSON_AddStringToObject(pat, "topologyKey", "kubernetes.io/hostname");
    cJSON_AddItemToArray(pref, term);
    return a;
}

static cJSON *pod_template(const op_cluster *c, const op_options *o)
{
    cJSON *t = cJSON_CreateObject(), *m, *spec, *labels, *inits, *ctrs;

    m = cJSON_AddObjectToObject(t, "metadata");
    labels = op_selector_new(c);
    cJSON_AddStringToObject(labels, "app.kubernetes.io/managed-by", OP_FIELD_MANAGER);
    cJSON_AddItemToObject(m, "labels", labels);

    spec = cJSON_AddObjectToObject(t, "spec");
    {
        char sa[OP_NAME_MAX + 16];
        cJSON_AddStringToObject(spec, "serviceAccountName", op_name(c, "-sidecar", sa, sizeof sa));
    }
    cJSON_AddBoolToObject(spec, "automountServiceAccountToken", 0);
    cJSON_AddBoolToObject(spec, "enableServiceLinks", 0);
    cJSON_AddNumberToObject(spec, "terminationGracePeriodSeconds", op_grace_seconds(c));
    cJSON_AddItemToObject(spec, "securityContext", pod_security(c));
    /* The broker and sidecar images may be private; the operator's own pull
     * secrets (the chart's) are not the brokers'. */
    if (cJSON_GetArraySize(c->pull_secrets) > 0)
        cJSON_AddItemToObject(spec, "imagePullSecrets", pull_secrets(c));
    inits = cJSON_AddArrayToObject(spec, "initContainers");
    cJSON_AddItemToArray(inits, init_container(c, o));
    cJSON_AddItemToArray(inits, sidecar_container(c, o));
    ctrs = cJSON_AddArrayToObject(spec, "containers");
    cJSON_AddItemToArray(ctrs, broker_container(c));
    cJSON_AddItemToObject(spec, "volumes", volumes(c));
    cJSON_AddItemToObject(spec, "affinity", affinity(c));
    if (c->node_selector != NULL && cJSON_GetArraySize(c->node_selector) > 0)
        cJSON_AddItemToObject(spec, "nodeSelector", cJSON_Duplicate(c->node_selector, 1));
    if (c->tolerations != NULL && cJSON_GetArraySize(c->tolerations) > 0)
        cJSON_AddItemToObject(spec, "tolerations", cJSON_Duplicate(c->tolerations, 1));
    if (c->topology_spread != NULL && cJSON_GetArraySize(c->topology_spread) > 0)
        cJSON_AddItemToObject(spec, "topologySpreadConstraints",
                              cJSON_Duplicate(c->topology_spread, 1));
    return t;
}

static cJSON *claim_template(const op_cluster *c)
{
    cJSON *t = cJSON_CreateObject(), *m, *spec;

    m = cJSON_AddObjectToObject(t, "metadata");
    cJSON_AddStringToObject(m, "name", "data");
    cJSON_AddItemToObject(m, "labels", op_selector_new(c));
    spec = cJSON_AddObjectToObject(t, "spec");
    cJSON_AddItemToObject(spec, "accessModes", strings((const char *[]){"ReadWriteOnce", NULL}));
    cJSON_AddStringToObject(
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "resources"), "requests"), "storage",
        c->storage_size);
    if (c->storage_class != NULL)
        cJSON_AddStringToObject(spec, "storageClassName", c->storage_class);
    return t;
}

cJSON *op_desired_statefulset(const op_cluster *c, const op_options *o, util_err *err)
{
    cJSON *sts, *spec, *claims, *pol;
    char svc[OP_NAME_MAX + 16];

    if (sidecar_image(c, o) == NULL || sidecar_image(c, o)[0] == '\0') {
        util_err_set(err, "spec.sidecar.image: unset, and the operator has no default sidecar "
                          "image");
        return NULL;
    }

    sts = op_object_new(c, "apps/v1", "StatefulSet", c->name, "broker");
    spec = cJSON_AddObjectToObject(sts, "spec");
    cJSON_AddNumberToObject(spec, "replicas", c->replicas);
    cJSON_AddStringToObject(spec, "serviceName", op_name(c, "-brokers", svc, sizeof svc));
    cJSON_AddStringToObject(spec, "podManagementPolicy", "Parallel");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(spec, "updateStrategy"), "type",
                            "RollingUpdate");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(spec, "selector"), "matchLabels",
                          op_selector_new(c));
    cJSON_AddItemToObject(spec, "template", pod_template(c, o));
    claims = cJSON_AddArrayToObject(spec, "volumeClaimTemplates");
    cJSON_AddItemToArray(claims, claim_template(c));
    pol = cJSON_AddObjectToObject(spec, "persistentVolumeClaimRetentionPolicy");
    cJSON_AddStringToObject(pol, "whenDeleted", c->delete_claim ? "Delete" : "Retain");
    cJSON_AddStringToObject(pol, "whenScaled", "Retain");
    return sts;
}
