/* berth-operator as a child process of a test (see operator_proc.h). */
#include "support/operator_proc.h"

#include <check.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/verbs.h"
#include "support/kube_test.h"

const char *opp_bin(void)
{
    static char bin[PATH_MAX + 32];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    snprintf(bin, sizeof bin, "%s/berth-operator", dirname(dirname(dirname(exe))));
    ck_assert_msg(access(bin, X_OK) == 0, "%s is not built", bin);
    return bin;
}

pid_t opp_start(const char *log, bool append, const char *const args[])
{
    const char *bin = opp_bin();
    const char *argv[48];
    size_t a = 0;
    pid_t pid;

    argv[a++] = bin;
    for (size_t i = 0; args[i] != NULL; i++) {
        ck_assert_uint_lt(a, sizeof argv / sizeof argv[0] - 1);
        argv[a++] = args[i];
    }
    argv[a] = NULL;
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (freopen(log, append ? "a" : "w", stderr) == NULL)
            _exit(126);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

int opp_signal(pid_t *pid, int sig)
{
    int status = 0;

    if (*pid <= 0)
        return -1;
    kill(*pid, sig);
    waitpid(*pid, &status, 0);
    *pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void opp_ensure_crd(kube_client *kc)
{
    const char *path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                       "kafkaclusters.berth.io";
    kube_status st = {0};
    cJSON *crd = NULL;

    if (kube_get(kc, path, &crd, &st, NULL) != 0) {
        char cmd[PATH_MAX * 3];

        ck_assert_msg(st.code == 404, "GET %s: %d", path, st.code);
        snprintf(cmd, sizeof cmd,
                 "'%s/kubectl' --kubeconfig '%s' apply --server-side --force-conflicts "
                 "--field-manager=berth-install -f manifests/crd/kafkaclusters.berth.io.yaml "
                 ">/dev/null",
                 getenv("BERTH_GROUND_BIN"), getenv("BERTH_KUBECONFIG"));
        ck_assert_msg(system(cmd) == 0, "installing the CRD failed: %s", cmd);
    }
    cJSON_Delete(crd);
    for (double t0 = kt_now();; usleep(200000)) {
        const cJSON *c;
        bool ok = false;

        crd = NULL;
        ck_assert_msg(kube_get(kc, path, &crd, NULL, NULL) == 0, "GET %s failed", path);
        cJSON_ArrayForEach(c, kt_at(crd, "status.conditions"))
        {
            const char *type = kt_str(c, "type"), *status = kt_str(c, "status");

            if (type != NULL && strcmp(type, "Established") == 0 && status != NULL &&
                strcmp(status, "True") == 0)
                ok = true;
        }
        cJSON_Delete(crd);
        if (ok)
            return;
        ck_assert_msg(kt_now() - t0 < 60, "the CRD never became Established");
    }
}
