/* berth-sidecar: the program in every broker pod. One binary, four
 * subcommands, each in its own cmd_<name>.c:
 *   init    render the broker's configuration before it starts
 *   run     serve health, readiness and metrics, and drain on request
 *   drain   ask run to move leadership off this broker (preStop, humans)
 *   status  print what run reports
 * Logs go to stderr (util/log.h); stdout is for what a subcommand prints. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "util/log.h"
#include "util/version.h"

static const char usage_text[] =
    "usage: " SC_PROG " [--log-format text|json] [--debug] <command> [options]\n"
    "       " SC_PROG " --help | --version\n"
    "\n"
    "The berth sidecar of a Kafka or Redpanda broker pod.\n"
    "\n"
    "Commands:\n"
    "  init     render the broker configuration from the <cluster>-brokers ConfigMap\n"
    "           (init container)\n"
    "  run      serve /healthz, /readyz and /metrics over TCP and the drain and\n"
    "           status API on a Unix socket (native sidecar)\n"
    "  drain    ask the running sidecar to move leadership off this broker\n"
    "  status   print the running sidecar's view of this broker\n"
    "\n"
    "Options:\n"
    "  --log-format text|json  how log lines on stderr look (default text, or\n"
    "                          $BERTH_LOG_FORMAT)\n"
    "  --debug                 log debug lines too\n"
    "  --help                  print this and exit\n"
    "  --version               print the version and exit\n"
    "\n"
    "'" SC_PROG " <command> --help' describes a command.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"init", sc_cmd_init},
    {"run", sc_cmd_run},
    {"drain", sc_cmd_drain},
    {"status", sc_cmd_status},
};

int main(int argc, char **argv)
{
    util_log_format format = UTIL_LOG_TEXT;
    util_log_level level = UTIL_LOG_INFO;
    const char *fmt = sc_env("BERTH_LOG_FORMAT", "text");
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return SC_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("%s %s\n", SC_PROG, BERTH_VERSION);
            return SC_EXIT_OK;
        }
        if (strcmp(a, "--debug") == 0) {
            level = UTIL_LOG_DEBUG;
        } else if (strcmp(a, "--log-format") == 0 && i + 1 < argc) {
            fmt = argv[++i];
        } else if (strncmp(a, "--log-format=", 13) == 0) {
            fmt = a + 13;
        } else {
            fprintf(stderr, "%s: unknown option '%s'\n%s", SC_PROG, a, usage_text);
            return SC_EXIT_USAGE;
        }
    }
    if (util_log_parse_format(fmt, &format) != 0) {
        fprintf(stderr, "%s: log format '%s' is not text or json\n", SC_PROG, fmt);
        return SC_EXIT_USAGE;
    }
    if (i == argc) {
        fprintf(stderr, "%s: no command given\n%s", SC_PROG, usage_text);
        return SC_EXIT_USAGE;
    }
    util_log_setup(format, level);
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(argv[i], commands[c].name) == 0) {
            sc_signals_install();
            return commands[c].fn(argc - i, argv + i);
        }
    fprintf(stderr, "%s: unknown command '%s'\n%s", SC_PROG, argv[i], usage_text);
    return SC_EXIT_USAGE;
}
