/* The subcommands of berth-sidecar and what they share: exit codes, the
 * stop flag set by SIGTERM/SIGINT, and small option helpers. Each
 * subcommand lives in its own cmd_<name>.c and takes the arguments after
 * its name (argv[0] is the subcommand's name). */
#ifndef BERTH_SIDECAR_CMD_H
#define BERTH_SIDECAR_CMD_H

#include <stdbool.h>

#include "util/err.h"

#define SC_PROG "berth-sidecar"

/* Exit codes of every subcommand. */
#define SC_EXIT_OK    0
#define SC_EXIT_FAIL  1
#define SC_EXIT_USAGE 2

int sc_cmd_init(int argc, char **argv);
int sc_cmd_run(int argc, char **argv);
int sc_cmd_drain(int argc, char **argv);
int sc_cmd_status(int argc, char **argv);

/* Catches SIGTERM and SIGINT: the first sets the stop flag and calls the
 * stop hook; SIGPIPE is ignored (a client that went away is an error
 * return, not a death). */
void sc_signals_install(void);

/* Whether a stop was asked for. */
bool sc_stopping(void);

/* Runs fn(arg) from the signal handler when a stop is asked for (or at once
 * if one was already asked for): fn must be async-signal-safe, e.g.
 * http_server_stop. NULL clears it. */
void sc_on_stop(void (*fn)(void *), void *arg);

/* Sleeps up to ms milliseconds, less if a stop is asked for. Returns true
 * if stopping. */
bool sc_sleep_ms(long ms);

/* Prints "berth-sidecar <cmd>: <message>" and a pointer to --help on
 * stderr; returns SC_EXIT_USAGE. */
int sc_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a whole decimal integer in [min, max] for option opt. Returns 0,
 * or -1 with err naming the option. */
int sc_parse_long(const char *opt, const char *s, long min, long max, long *out, util_err *err);

/* $name if set and not empty, else dflt. */
const char *sc_env(const char *name, const char *dflt);

#endif
