/* berth-sidecar status: asks the running sidecar (GET /v1/status on its Unix
 * socket) for its view of the broker and prints it, for a person or as the
 * JSON document itself (--json). The answer is read with the drain
 * client's response parser, which cmd_drain.c links in. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "broker/pod_contract.h"
#include "cmd.h"
#include "drainclient/drain_response.h"
#include "http/drain_api.h"
#include "serve/run.h"
#include "util/clock.h"

#define MAX_STATUS (1024 * 1024)

static const char usage_text[] =
    "usage: " SC_PROG " status [--socket PATH] [--json] [--timeout SECONDS]\n"
    "\n"
    "Prints what the running sidecar reports about this broker: readiness and\n"
    "why, and the drain state.\n"
    "\n"
    "  --socket PATH      the sidecar's socket (default " BROKER_POD_DRAIN_SOCKET ")\n"
    "  --json             print the status document as JSON\n"
    "  --timeout SECONDS  give up after this long (default 10)\n"
    "  --help             print this and exit\n"
    "\n"
    "Exit status: 0 printed, 1 the sidecar could not be asked, 2 usage error.\n";

typedef struct body {
    char *data;
    size_t len;
    int too_long;
} body;

static void on_line(void *ctx, const char *line, size_t len)
{
    body *b = ctx;
    char *p;

    if (b->too_long || b->len + len + 2 > MAX_STATUS) {
        b->too_long = 1;
        return;
    }
    p = realloc(b->data, b->len + len + 2);
    if (p == NULL) {
        b->too_long = 1;
        return;
    }
    b->data = p;
    memcpy(b->data + b->len, line, len);
    b->len += len;
    b->data[b->len++] = '\n';
    b->data[b->len] = '\0';
}

/* Fetches the status body; returns 0 or -1 with err set. */
static int fetch(const char *path, long timeout_s, body *b, util_err *err)
{
    static const char req[] = "GET " HTTP_DRAIN_STATUS_PATH " HTTP/1.1\r\n"
                              "Host: localhost\r\nUser-Agent: berth-sidecar\r\n"
                              "Connection: close\r\n\r\n";
    long long deadline = util_mono_ms() + timeout_s * 1000;
    struct sockaddr_un sa;
    dc_parser p;
    dc_status st = DC_MORE;
    size_t sent = 0;
    int fd;

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path)
        return util_err_set(err, "socket path %s: too long", path);
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return util_err_set(err, "socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        util_err_set(err, "cannot connect to %s: %s (is `berth-sidecar run` up?)", path,
                     strerror(errno));
        close(fd);
        return -1;
    }
    while (sent < sizeof req - 1) {
        ssize_t n = send(fd, req + sent, sizeof req - 1 - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            util_err_set(err, "sending to %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        sent += (size_t)n;
    }
    dc_parser_init(&p, on_line, b);
    while (st == DC_MORE) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long long left = deadline - util_mono_ms();
        char buf[4096];
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
            util_err_set(err, "no answer from %s within %lds", path, timeout_s);
            close(fd);
            return -1;
        }
        n = read(fd, buf, sizeof buf);
        if (n > 0)
            st = dc_parser_feed(&p, buf, (size_t)n);
        else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            st = dc_parser_eof(&p);
    }
    close(fd);
    if (st == DC_ERROR)
        return util_err_set(err, "bad answer from %s: %s", path, p.error);
    if (p.status != 200)
        return util_err_set(err, "%s answered HTTP %d: %.200s", path, p.status,
                            b->data != NULL ? b->data : "");
    if (b->too_long || b->data == NULL)
        return util_err_set(err, "%s: the status is empty or too large", path);
    return 0;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    return cJSON_IsString(v) ? v->valuestring : "?";
}

static int num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static void print_human(const cJSON *o)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "drain"), *e;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "brokerId");
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(d, "count");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kafka");

    printf("broker:  %d (pod %s, berth %s)\n", cJSON_IsNumber(id) ? id->valueint : -1,
           str(o, "pod"), str(o, "version"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ready")))
        printf("ready:   yes\n");
    else
        printf("ready:   no: %s\n", str(o, "readyReason"));
    printf("drain:   %s, %d so far, last result: %s\n", str(d, "state"),
           cJSON_IsNumber(cnt) ? cnt->valueint : 0,
           str(d, "lastResult")[0] != '\0' ? str(d, "lastResult") : "-");
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(k, "leads")))
        printf("partitions: leads %d, first replica of %d, replicates %d, out of ISR %d, "
               "leaderless %d (counted %d ms ago)\n",
               num(k, "leads"), num(k, "prefers"), num(k, "replicated"), num(k, "outOfIsr"),
               num(k, "leaderless"), num(k, "countedMsAgo"));
    /* What the drain engine adds (leadership, ISR...), as it comes. */
    cJSON_ArrayForEach(e, o)
    {
        static const char *const known[] = {"pod",         "brokerId",     "version", "ready",
                                            "readyReason", "readyChecked", "drain"};
        int skip = 0;
        char *v;

        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            skip |= strcmp(e->string, known[i]) == 0;
        if (skip)
            continue;
        v = cJSON_PrintUnformatted(e);
        printf("%s: %s\n", e->string, v != NULL ? v : "?");
        free(v);
    }
}

int sc_cmd_status(int argc, char **argv)
{
    enum { O_SOCK = 256, O_JSON, O_TMO, O_HELP };
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, O_SOCK},
        {"json", no_argument, NULL, O_JSON},
        {"timeout", required_argument, NULL, O_TMO},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *path = BROKER_POD_DRAIN_SOCKET;
    long timeout_s = 10;
    int json = 0, c;
    util_err err = {{0}};
    body b = {0};
    cJSON *o;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case O_SOCK:
            path = optarg;
            break;
        case O_JSON:
            json = 1;
            break;
        case O_TMO:
            if (sc_parse_long("--timeout", optarg, 1, 3600, &timeout_s, &err) != 0)
                return sc_usage_error("status", "%s", err.msg);
            break;
        case O_HELP:
            fputs(usage_text, stdout);
            return SC_EXIT_OK;
        default:
            return sc_usage_error("status", "unknown option or missing value: '%s'",
                                  argv[optind - 1]);
        }
    }
    if (optind < argc)
        return sc_usage_error("status", "unexpected argument '%s'", argv[optind]);
    if (fetch(path, timeout_s, &b, &err) != 0) {
        fprintf(stderr, "%s status: %s\n", SC_PROG, err.msg);
        free(b.data);
        return SC_EXIT_FAIL;
    }
    o = cJSON_Parse(b.data);
    if (!cJSON_IsObject(o)) {
        fprintf(stderr, "%s status: the sidecar's answer is not a JSON object\n", SC_PROG);
        cJSON_Delete(o);
        free(b.data);
        return SC_EXIT_FAIL;
    }
    if (json) {
        char *text = cJSON_Print(o);
        printf("%s\n", text != NULL ? text : "{}");
        free(text);
    } else {
        print_human(o);
    }
    cJSON_Delete(o);
    free(b.data);
    return SC_EXIT_OK;
}
