/* Reading a broker pod's container statuses for what keeps it from
 * running (see container_failure.h). */
#include "container_failure.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The kubelet's waiting reasons that need a person, not patience. */
static const struct {
    const char *reason;
    op_failure_kind kind;
} waiting_reasons[] = {
    {"ErrImagePull", OP_FAILURE_IMAGE},
    {"ImagePullBackOff", OP_FAILURE_IMAGE},
    {"InvalidImageName", OP_FAILURE_IMAGE},
    {"ErrImageNeverPull", OP_FAILURE_IMAGE},
    {"CreateContainerConfigError", OP_FAILURE_CREATE},
    {"CreateContainerError", OP_FAILURE_CREATE},
    {"CrashLoopBackOff", OP_FAILURE_CRASH},
};

static const cJSON *member(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *s = member(o, key);

    return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* A whole-number member, or 0. cJSON keeps valueint within int. */
static int num(const cJSON *o, const char *key)
{
    const cJSON *n = member(o, key);

    return cJSON_IsNumber(n) ? n->valueint : 0;
}

/* Copies src into dst (size bytes), cut on a UTF-8 boundary: the status
 * must hold valid UTF-8, or the API server would store other bytes than
 * berth wrote and every resync would find a difference. */
static void copy_cut(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Appends to f->message, cut to what fits. Every string argument is
 * short already (cut by the callers), so the formatted text fits tmp. */
static void say(op_container_failure *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(op_container_failure *f, const char *fmt, ...)
{
    char tmp[2 * sizeof f->message];
    size_t n = strlen(f->message);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    copy_cut(f->message + n, sizeof f->message - n, tmp);
}

/* The kubelet's message, cut to OP_FAILURE_KUBELET_MAX bytes with "...". */
static void say_kubelet(op_container_failure *f, const char *msg)
{
    char buf[OP_FAILURE_KUBELET_MAX + 1];

    if (msg == NULL || msg[0] == '\0')
        return;
    if (strlen(msg) <= OP_FAILURE_KUBELET_MAX) {
        say(f, "%s", msg);
        return;
    }
    copy_cut(buf, OP_FAILURE_KUBELET_MAX - 2, msg);
    say(f, "%s...", buf);
}

/* "; last exit code 1 (Error), 3 restarts" from the container's last
 * run, or nothing when it has none. */
static void say_last_exit(op_container_failure *f, const cJSON *cs, const char *sep)
{
    const cJSON *t = member(member(cs, "lastState"), "terminated");
    int restarts = num(cs, "restartCount");
    char why[64] = "";

    if (!cJSON_IsNumber(member(t, "exitCode")))
        return;
    if (str(t, "reason") != NULL)
        copy_cut(why, sizeof why, str(t, "reason"));
    say(f, "%slast exit code %d%s%s%s, %d restart%s", sep, num(t, "exitCode"),
        why[0] != '\0' ? " (" : "", why, why[0] != '\0' ? ")" : "", restarts,
        restarts == 1 ? "" : "s");
}

static void set_names(op_container_failure *f, op_failure_kind kind, const char *container,
                      const char *reason)
{
    f->kind = kind;
    copy_cut(f->container, sizeof f->container, container);
    copy_cut(f->reason, sizeof f->reason, reason != NULL && reason[0] != '\0' ? reason : "Error");
    f->message[0] = '\0';
}

/* One container's status: 1 with f filled when it fails, else 0. */
static int check_container(const cJSON *cs, op_container_failure *f)
{
    const char *name = str(cs, "name");
    const cJSON *state = member(cs, "state");
    const cJSON *waiting = member(state, "waiting"), *t;
    const cJSON *last = member(member(cs, "lastState"), "terminated");
    bool ready = cJSON_IsTrue(member(cs, "ready"));

    if (name == NULL)
        return 0;
    if (waiting != NULL) {
        const char *reason = str(waiting, "reason");

        for (size_t i = 0; reason != NULL && i < sizeof waiting_reasons / sizeof *waiting_reasons;
             i++) {
            if (strcmp(reason, waiting_reasons[i].reason) != 0)
                continue;
            set_names(f, waiting_reasons[i].kind, name, reason);
            say_kubelet(f, str(waiting, "message"));
            if (f->kind == OP_FAILURE_CRASH)
                say_last_exit(f, cs, f->message[0] != '\0' ? "; " : "");
            return 1;
        }
        return 0;
    }
    if (ready)
        return 0;
    /* Just exited with an error: the kubelet's back-off comes next. */
    t = member(state, "terminated");
    if (t != NULL && num(t, "exitCode") != 0) {
        set_names(f, OP_FAILURE_CRASH, name, str(t, "reason"));
        say(f, "exited with code %d", num(t, "exitCode"));
        if (str(t, "message") != NULL) {
            say(f, ": ");
            say_kubelet(f, str(t, "message"));
        }
        say_last_exit(f, cs, "; previous run's ");
        return 1;
    }
    /* Runs again after an error, and is not ready yet. */
    if (member(state, "running") != NULL && last != NULL && num(last, "exitCode") != 0) {
        set_names(f, OP_FAILURE_CRASH, name, str(last, "reason"));
        say(f, "runs again, not ready yet; ");
        say_last_exit(f, cs, "");
        return 1;
    }
    return 0;
}

int op_container_failure_find(const cJSON *pod, op_container_failure *out)
{
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
    const cJSON *st = member(pod, "status"), *cs;
    const char *phase = str(st, "phase");

    memset(out, 0, sizeof *out);
    if (pod == NULL || member(member(pod, "metadata"), "deletionTimestamp") != NULL)
        return 0;
    if (phase != NULL && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
        return 0;
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        cJSON_ArrayForEach(cs, member(st, lists[i]))
        {
            if (check_container(cs, out))
                return 1;
        }
    }
    memset(out, 0, sizeof *out);
    return 0;
}

const char *op_failure_condition_reason(op_failure_kind kind)
{
    switch (kind) {
    case OP_FAILURE_IMAGE:
        return "BrokerImagePullFailed";
    case OP_FAILURE_CREATE:
        return "BrokerContainerCreateFailed";
    case OP_FAILURE_CRASH:
        return "BrokerCrashLooping";
    case OP_FAILURE_NONE:
        break;
    }
    return NULL;
}

cJSON *op_container_failure_json(const op_container_failure *f)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "container", f->container);
    cJSON_AddStringToObject(o, "reason", f->reason);
    cJSON_AddStringToObject(o, "message", f->message);
    return o;
}
