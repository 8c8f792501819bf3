/* See sidecar_proc.h. */
#include "support/sidecar_proc.h"

#include "support/loopback.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "support/loopback.h"
#include "support/tmpdir.h"

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *bin(char *buf, size_t size, const char *name)
{
    char exe[PATH_MAX];
    ssize_t n;

    if (buf[0] != '\0')
        return buf;
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    snprintf(buf, size, "%s/%s", dirname(dirname(dirname(exe))), name);
    ck_assert_msg(access(buf, X_OK) == 0, "%s: %s", buf, strerror(errno));
    return buf;
}

const char *sp_sidecar_bin(void)
{
    static char path[PATH_MAX];

    return bin(path, sizeof path, "berth-sidecar");
}

const char *sp_drain_bin(void)
{
    static char path[PATH_MAX];

    return bin(path, sizeof path, "berth-drain");
}

sp_proc sp_start(char *const args[], char *const env[])
{
    static int next = 0;
    const char *sidecar = sp_sidecar_bin();
    sp_proc p;
    int n_args = 0;

    while (args[n_args] != NULL)
        n_args++;
    p.dir = tmpdir_new();
    snprintf(p.sock, sizeof p.sock, "%s/drain.sock", p.dir);
    for (int attempt = 0; attempt < 20; attempt++) {
        char port[16], log[600];
        char **argv = calloc((size_t)n_args + 10, sizeof *argv);
        int k = 0;

        ck_assert_ptr_nonnull(argv);
        p.port = 21000 + (int)((getpid() * 7 + next++ * 131) % 15000);
        snprintf(port, sizeof port, "%d", p.port);
        snprintf(log, sizeof log, "%s/run.log", p.dir);
        argv[k++] = (char *)sidecar;
        argv[k++] = "run";
        argv[k++] = "--http-addr";
        argv[k++] = "127.0.0.1";
        argv[k++] = "--http-port";
        argv[k++] = port;
        argv[k++] = "--socket";
        argv[k++] = p.sock;
        for (int i = 0; i < n_args; i++)
            argv[k++] = args[i];
        p.pid = fork();
        ck_assert_int_ge(p.pid, 0);
        if (p.pid == 0) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            dup2(fd, 2);
            for (int i = 0; env != NULL && env[i] != NULL; i++)
                putenv(env[i]);
            execv(sidecar, argv);
            _exit(127);
        }
        free(argv);
        for (int i = 0; i < 500; i++) {
            if (access(p.sock, F_OK) == 0)
                return p;
            if (waitpid(p.pid, NULL, WNOHANG) == p.pid)
                break;
            usleep(10000);
        }
        kill(p.pid, SIGKILL);
        waitpid(p.pid, NULL, 0);
    }
    ck_abort_msg("berth-sidecar run did not start");
    return p;
}

void sp_stop(sp_proc *p)
{
    int status;

    kill(p->pid, SIGTERM);
    ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    tmpdir_remove(p->dir);
    p->dir = NULL;
}

int sp_alive(const sp_proc *p)
{
    return sp_pid_alive(p->pid);
}

int sp_pid_alive(pid_t pid)
{
    char path[64], state = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%*d %*s %c", &state) != 1)
        state = 0;
    fclose(f);
    return state != 0 && state != 'Z';
}

int sp_get(int port, const char *path, char *out, size_t cap)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char req[256];
    size_t got = 0;
    long long end = now_ms() + 10000;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    out[0] = '\0';
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
    send(fd, req, strlen(req), MSG_NOSIGNAL);
    while (got < cap - 1 && now_ms() < end) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&pfd, 1, 1000) <= 0)
            continue;
        n = recv(fd, out + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fd);
    return strncmp(out, "HTTP/1.", 7) == 0 ? atoi(out + 9) : -1;
}

const char *sp_body(const char *answer)
{
    const char *b = strstr(answer, "\r\n\r\n");

    return b != NULL ? b + 4 : answer;
}

int sp_silent_listener(char *addr, size_t size)
{
    int port, fd = lo_listen(64, &port);

    snprintf(addr, size, "127.0.0.1:%d", port);
    return fd;
}

pid_t sp_spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        setsid();
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

void sp_end_session(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(-pid, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid, NULL, WNOHANG) == 0; i++)
        usleep(100000);
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int sp_run(char *const argv[], const char *log, long long *ms)
{
    long long start = now_ms();
    int status;
    pid_t pid = sp_spawn(argv, log);

    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    if (ms != NULL)
        *ms = now_ms() - start;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sp_status(const sp_proc *p, char *out, size_t cap)
{
    char log[600];
    char *argv[] = {(char *)sp_sidecar_bin(), "status", "--socket", (char *)p->sock, NULL};
    FILE *f;
    size_t n;
    int rc;

    snprintf(log, sizeof log, "%s/status.out", p->dir);
    unlink(log);
    rc = sp_run(argv, log, NULL);
    out[0] = '\0';
    f = fopen(log, "r");
    if (f == NULL)
        return rc;
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return rc;
}
