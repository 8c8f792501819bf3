/* How the sidecar reaches its own broker: the command-line flags that say
 * so (TLS trust, client certificate and SASL login), and the dial settings
 * made from them once at start.
 *
 * Every broker connection of the sidecar (readiness, drain, restore, the
 * basic probe) goes through kafka_dial with one kafka_dial_opts, so a
 * listener that wants TLS or SASL is met the same way everywhere. The flags
 * live here, not in each subcommand, so every subcommand that talks to the
 * broker spells, checks and documents them alike. Plaintext without SASL
 * stays the default.
 *
 * The password is read from a file once (never from the command line) and
 * is never logged; sc_broker_dial_free wipes it. The CA and the client
 * certificate and key are files of a mounted Secret, which the TLS
 * transport reads again whenever the kubelet renews them (kafka/tls.h):
 * the sidecar runs for weeks, longer than a certificate may live. */
#ifndef BERTH_SIDECAR_SERVE_BROKER_OPTS_H
#define BERTH_SIDECAR_SERVE_BROKER_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "kafka/dial.h"
#include "util/err.h"

/* getopt_long codes of the flags; a subcommand keeps its own below 500. */
enum {
    SC_BROKER_OPT_CA = 500,
    SC_BROKER_OPT_SERVER_NAME,
    SC_BROKER_OPT_CERT,
    SC_BROKER_OPT_KEY,
    SC_BROKER_OPT_MECHANISM,
    SC_BROKER_OPT_USER,
    SC_BROKER_OPT_PASSWORD_FILE,
};

/* The flags' entries for a subcommand's struct option table. */
#define SC_BROKER_LONGOPTS                                                                         \
    {"broker-ca", required_argument, NULL, SC_BROKER_OPT_CA},                                      \
        {"broker-server-name", required_argument, NULL, SC_BROKER_OPT_SERVER_NAME},                \
        {"broker-cert", required_argument, NULL, SC_BROKER_OPT_CERT},                              \
        {"broker-key", required_argument, NULL, SC_BROKER_OPT_KEY},                                \
        {"sasl-mechanism", required_argument, NULL, SC_BROKER_OPT_MECHANISM},                      \
        {"sasl-user", required_argument, NULL, SC_BROKER_OPT_USER},                                \
    {                                                                                              \
        "sasl-password-file", required_argument, NULL, SC_BROKER_OPT_PASSWORD_FILE                 \
    }

/* Their --help lines. */
#define SC_BROKER_USAGE                                                                            \
    "  --broker-ca FILE        PEM CAs that signed the broker's certificate; turns\n"              \
    "                          TLS on (default: plaintext)\n"                                      \
    "  --broker-server-name NAME  the name the broker's certificate must carry, if\n"              \
    "                          not the host of --broker (needs --broker-ca)\n"                     \
    "  --broker-cert FILE      PEM client certificate chain to present to the\n"                   \
    "                          broker, read again when it changes (needs\n"                        \
    "                          --broker-ca and --broker-key)\n"                                    \
    "  --broker-key FILE       the PEM private key of --broker-cert\n"                             \
    "  --sasl-mechanism PLAIN|SCRAM-SHA-256|SCRAM-SHA-512\n"                                       \
    "                          log in to the broker with SASL (default: no login)\n"               \
    "  --sasl-user USER        the SASL user (needs --sasl-mechanism)\n"                           \
    "  --sasl-password-file FILE  the SASL password: the file, less its final\n"                   \
    "                          newline; read once at start (needs --sasl-mechanism)\n"

/* The flags as given; strings are borrowed from argv. */
typedef struct sc_broker_opts {
    const char *ca_file;     /* NULL: plaintext */
    const char *server_name; /* NULL: the host dialled */
    const char *cert_file;   /* client certificate chain; NULL: none */
    const char *key_file;    /* its key; given with cert_file */
    bool sasl;               /* --sasl-mechanism given */
    kafka_sasl_mechanism mechanism;
    const char *user;
    const char *password_file;
} sc_broker_opts;

/* Takes option code (from getopt_long) with its argument arg into o.
 * Returns 0 when it was one of the flags above, 1 when it is not (the
 * subcommand handles it), -1 with err naming the flag when arg is bad. */
int sc_broker_opts_take(sc_broker_opts *o, int code, const char *arg,
                        util_err *err) UTIL_MUST_CHECK;

/* After every flag was taken: checks that they go together (a user needs a
 * mechanism and a password file, a certificate its key and a CA, and so
 * on). 0, or -1 with err naming the flag. */
int sc_broker_opts_check(const sc_broker_opts *o, util_err *err) UTIL_MUST_CHECK;

/* The first of the flags that was given ("--sasl-user"), or NULL when none
 * was: for subcommands that refuse them in some modes. */
const char *sc_broker_opts_given(const sc_broker_opts *o);

/* One line for the log, without secrets: "TLS (CA /x/ca.pem, client
 * certificate /x/tls.crt), SASL SCRAM-SHA-512 as 'berth'" or "plaintext, no
 * SASL". */
void sc_broker_opts_describe(const sc_broker_opts *o, char *buf, size_t size);

/* The loaded settings: TLS context, password, and the kafka_dial_opts that
 * point at them. */
typedef struct sc_broker_dial sc_broker_dial;

/* Loads what the checked flags name (the CA bundle, the client certificate
 * and key, the password file) with client_id for every connection; err
 * names the flag and file that failed. *out is for sc_broker_dial_free. */
int sc_broker_dial_new(const sc_broker_opts *o, const char *client_id, sc_broker_dial **out,
                       util_err *err) UTIL_MUST_CHECK;

/* The dial settings, borrowed from d for its life. Timeouts are 0 (each
 * caller sets its own on a copy). */
const kafka_dial_opts *sc_broker_dial_opts(const sc_broker_dial *d);

/* Wipes the password and frees d, after every connection made with it is
 * closed. NULL is a no-op. */
void sc_broker_dial_free(sc_broker_dial *d);

#endif
