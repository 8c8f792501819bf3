/* berth-operator as a child process of an integration test, against the
 * ground's API server: the build's binary found beside the test program,
 * started with its stderr in a log file of the test's and stopped by a
 * signal; and the KafkaCluster CRD installed (once, shared by every test:
 * never deleted) and Established before the operator needs it. Every
 * helper aborts the test on failure. */
#ifndef BERTH_TESTS_OPERATOR_PROC_H
#define BERTH_TESTS_OPERATOR_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "kube/client.h"

/* The build's berth-operator: <build>/tests/integration/<test> ->
 * <build>/berth-operator. Static storage. */
const char *opp_bin(void);

/* Starts berth-operator with args (NULL-terminated, without the program
 * name), its stderr appended to log (truncated first unless append). The
 * operator gets SIGTERM if the test's process dies, so a failed assertion
 * leaves none behind. Returns its pid. */
pid_t opp_start(const char *log, bool append, const char *const args[]);

/* Sends sig to *pid, waits for it and sets *pid to -1. Its exit status, or
 * 128 + the signal that ended it; -1 when *pid was not running. */
int opp_signal(pid_t *pid, int sig);

/* Installs manifests/crd/kafkaclusters.berth.io.yaml with the ground's
 * kubectl when the CRD is absent, then waits up to 60 s for it to be
 * Established. */
void opp_ensure_crd(kube_client *kc);

#endif
