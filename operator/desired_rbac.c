/* The sidecar's identity: ServiceAccount, Role and RoleBinding
 * "<c>-sidecar". Least privilege, by name: get on its cluster's
 * <c>-brokers ConfigMap (the init step renders from it), get on the
 * <c>-broker-certs Secret (the init step takes its broker's certificate
 * for the cluster's mutual TLS from it), get/update on the
 * <c>-drain ConfigMap (the drain ledger) and the <c>-drain Lease (the drain
 * throttle). Nothing else, and nothing of another cluster: pod facts come
 * from the Downward API, and both drain objects are pre-created by the
 * operator so the sidecar never needs create. */
#include "cluster_tls.h"
#include "desired.h"

static cJSON *rule(const char *group, const char *resource, const char *name,
                   const char *const *verbs)
{
    cJSON *r = cJSON_CreateObject(), *a;

    a = cJSON_AddArrayToObject(r, "apiGroups");
    cJSON_AddItemToArray(a, cJSON_CreateString(group));
    a = cJSON_AddArrayToObject(r, "resources");
    cJSON_AddItemToArray(a, cJSON_CreateString(resource));
    a = cJSON_AddArrayToObject(r, "resourceNames");
    cJSON_AddItemToArray(a, cJSON_CreateString(name));
    a = cJSON_AddArrayToObject(r, "verbs");
    for (; *verbs != NULL; verbs++)
        cJSON_AddItemToArray(a, cJSON_CreateString(*verbs));
    return r;
}

cJSON *op_desired_rbac(const op_cluster *c, util_err *err)
{
    static const char *const get[] = {"get", NULL};
    static const char *const get_update[] = {"get", "update", NULL};
    char sa[OP_NAME_MAX + 16], brokers[OP_NAME_MAX + 16], drain[OP_NAME_MAX + 16],
        certs[OP_NAME_MAX + 32];
    cJSON *a = cJSON_CreateArray(), *o, *rules, *ref, *subs, *s;

    (void)err;
    op_name(c, "-sidecar", sa, sizeof sa);
    op_name(c, "-brokers", brokers, sizeof brokers);
    op_name(c, "-drain", drain, sizeof drain);
    op_name(c, OP_CERTS_SECRET_SUFFIX, certs, sizeof certs);

    o = op_object_new(c, "v1", "ServiceAccount", sa, "sidecar");
    cJSON_AddBoolToObject(o, "automountServiceAccountToken", 0);
    cJSON_AddItemToArray(a, o);

    o = op_object_new(c, "rbac.authorization.k8s.io/v1", "Role", sa, "sidecar");
    rules = cJSON_AddArrayToObject(o, "rules");
    cJSON_AddItemToArray(rules, rule("", "configmaps", brokers, get));
    cJSON_AddItemToArray(rules, rule("", "secrets", certs, get));
    cJSON_AddItemToArray(rules, rule("", "configmaps", drain, get_update));
    cJSON_AddItemToArray(rules, rule("coordination.k8s.io", "leases", drain, get_update));
    cJSON_AddItemToArray(a, o);

    o = op_object_new(c, "rbac.authorization.k8s.io/v1", "RoleBinding", sa, "sidecar");
    ref = cJSON_AddObjectToObject(o, "roleRef");
    cJSON_AddStringToObject(ref, "apiGroup", "rbac.authorization.k8s.io");
    cJSON_AddStringToObject(ref, "kind", "Role");
    cJSON_AddStringToObject(ref, "name", sa);
    subs = cJSON_AddArrayToObject(o, "subjects");
    s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "kind", "ServiceAccount");
    cJSON_AddStringToObject(s, "name", sa);
    cJSON_AddStringToObject(s, "namespace", c->namespace);
    cJSON_AddItemToArray(subs, s);
    cJSON_AddItemToArray(a, o);
    return a;
}
