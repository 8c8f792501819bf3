/* `berth-sidecar run` as a child process of a test, on loopback: started
 * with a scratch directory for its socket and log, probed over HTTP, asked
 * through its socket by the real clients (berth-drain, berth-sidecar
 * status), and stopped. For the integration tests that run the sidecar's
 * programs as a kubelet would, not its functions. */
#ifndef BERTH_TESTS_SIDECAR_PROC_H
#define BERTH_TESTS_SIDECAR_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct sp_proc {
    pid_t pid;
    int port;  /* its HTTP port on 127.0.0.1 */
    char *dir; /* scratch directory: run.log, the socket, clients' output */
    char sock[512];
} sp_proc;

/* The build's berth-sidecar and berth-drain, beside this test program's
 * directory's grandparent (<build>/tests/integration/x -> <build>/...). */
const char *sp_sidecar_bin(void);
const char *sp_drain_bin(void);

/* Starts `berth-sidecar run --http-addr 127.0.0.1 --http-port P --socket S`
 * followed by args (NULL-terminated), with env (NAME=VALUE strings,
 * NULL-terminated; may be NULL) added to its environment; returns once the
 * socket exists. Aborts the test if it never does. */
sp_proc sp_start(char *const args[], char *const env[]);

/* SIGTERM, and checks that it exits 0; removes its directory. */
void sp_stop(sp_proc *p);

/* Is it still running (not exited, not a zombie)? */
int sp_alive(const sp_proc *p);
/* The same for any process. */
int sp_pid_alive(pid_t pid);

/* `berth-sidecar status --socket` of p, its output in out (cap bytes); its
 * exit status. */
int sp_status(const sp_proc *p, char *out, size_t cap);

/* GET path on 127.0.0.1:port over HTTP/1.0, waiting at most 10 s; the
 * status (-1: no answer), the whole answer in out. */
int sp_get(int port, const char *path, char *out, size_t cap);

/* The body of an HTTP answer (after the blank line), or the whole answer
 * when it has no blank line. */
const char *sp_body(const char *answer);

/* A "broker" that never answers: a socket listening on a free loopback
 * port (the kernel completes connections, nobody reads); its
 * "127.0.0.1:port" in addr. Returns the fd, to close. */
int sp_silent_listener(char *addr, size_t size);

/* Starts argv in a session of its own (its children too), stdout and
 * stderr to log (appended). */
pid_t sp_spawn(char *const argv[], const char *log);

/* Ends what sp_spawn started, its children included: SIGTERM, 10 s, then
 * SIGKILL. */
void sp_end_session(pid_t pid);

/* Runs argv to its end (output to log); its exit status, or -1 when it
 * did not exit by itself. *ms gets how long it ran (may be NULL). */
int sp_run(char *const argv[], const char *log, long long *ms);

#endif
