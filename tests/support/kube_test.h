/* What tests of the kube client keep needing. Against the ground's API
 * server: the admin kubeconfig from $BERTH_KUBECONFIG (a test fails, never
 * skips, without it), a client, throwaway namespaces with random names, JSON
 * from a printf format, dotted-path reads of objects. In unit tests too:
 * exec credential plugins written as shell scripts. Every helper aborts the
 * test on failure, so a test reads as its steps. */
#ifndef BERTH_TESTS_KUBE_TEST_H
#define BERTH_TESTS_KUBE_TEST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/client.h"
#include "kube/config.h"

/* The ground's admin config, for kube_config_free. */
kube_config *kt_admin_config(void);

/* A client for cfg, for kube_client_free. */
kube_client *kt_client(const kube_config *cfg);

/* "<prefix>-<8 random hex>", lowercase, so runs never collide. */
void kt_random_name(char *buf, size_t size, const char *prefix);

/* A new cJSON from a printf format, for cJSON_Delete. */
cJSON *kt_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* GET of the object name of resource res (API version av) in namespace ns
 * (NULL: cluster-scoped): the object, for cJSON_Delete, or NULL when it
 * does not exist (404); aborts the test on any other answer. */
cJSON *kt_get_opt(kube_client *c, const char *av, const char *res, const char *ns,
                  const char *name);

/* The member at a dotted path ("metadata.labels"), or NULL (also when obj
 * is NULL). Borrowed from obj. */
const cJSON *kt_at(const cJSON *obj, const char *path);

/* The string at a dotted path ("metadata.labels.app"), or NULL. Borrowed
 * from obj. */
const char *kt_str(const cJSON *obj, const char *path);

/* The metadata.name of each object in arr, each followed by a comma, into
 * buf; frees arr, which must not be NULL. */
void kt_names_of(cJSON *arr, char *buf, size_t size);

/* Creates namespace ns, labelled berth.io/test=<label>. */
void kt_create_namespace(kube_client *c, const char *ns, const char *label);

/* Creates an empty ConfigMap name in ns (the drain ledger, as the
 * operator pre-creates it). */
void kt_create_configmap(kube_client *c, const char *ns, const char *name);

/* Deletes namespace ns (the API then deletes what it holds). Returns 0 or -1
 * with err set, so cleanup can report without aborting first. */
int kt_delete_namespace(kube_client *c, const char *ns, util_err *err);

/* kt_delete_namespace after releasing the teardown finalizer of each
 * KafkaCluster in ns: no operator is left to release it once a test has
 * stopped its own, and the namespace would stay Terminating. Best effort
 * for the finalizers (each failure is printed); 0, or -1 when the delete
 * fails (err set). */
int kt_delete_cluster_namespace(kube_client *c, const char *ns, util_err *err);

/* Test teardown: if ns is set, deletes that namespace with the admin
 * credentials (a failure is reported, not fatal) and clears ns. */
void kt_drop_namespace(char *ns);

/* Aborts the test with err's message unless rc is 0. */
void kt_must(int rc, const util_err *err);

/* Writes <dir>/<name>, an executable exec credential plugin: a shell
 * script that counts its runs in <dir>/count, keeps its
 * KUBERNETES_EXEC_INFO in <dir>/info and its environment in <dir>/env,
 * then runs body, where $d is dir and $n the run (1 first). */
void kt_exec_plugin(const char *dir, const char *name, const char *body);

/* How many times the plugins in dir have run: 0 before the first. */
int kt_exec_plugin_runs(const char *dir);

/* Seconds on the monotonic clock. */
double kt_now(void);

#endif
